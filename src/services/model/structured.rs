//! Instances of client-supplied JSON Schemas: structured outputs and tool arguments.
//!
//! The schemas here come from the request (`response_format.json_schema.schema`,
//! `text.format.schema`, a function's `parameters`), not from the spec, so they are walked
//! on their own: local `$ref`s (`#`, `#/$defs/...`, `#/definitions/...`) resolve inside the
//! schema itself. The instance is valid against the schema and reads like an answer to the
//! conversation:
//! - strings are chosen from the field name and the [`Context`]: place-like fields take a
//!   name from the message ("Paris"), query-like fields take the topic, prose fields take
//!   the reply, `name` takes a name from the message;
//! - numbers take the numbers written in the message, in order, when they fit the bounds;
//! - an `enum` value mentioned in the message is preferred;
//! - `pattern` is satisfied by a string generated from the regular expression itself.
//!
//! Recursion is bounded: past [`MAX_DEPTH`] objects keep only required properties, arrays
//! keep only `minItems` items and unions prefer a non-recursive branch.

use super::text::{capitalise, Context};
use crate::generate::{rfc3339, Rng};
use serde_json::{Map, Number, Value};
use std::collections::HashSet;

/// Depth after which only what the schema requires is generated.
pub const MAX_DEPTH: usize = 8;

/// Depth at which generation gives up (`null`), whatever the schema says: self-referencing
/// `allOf`s and `$ref` chains end here.
const GIVE_UP_DEPTH: usize = MAX_DEPTH * 4;

/// The most items, properties or characters one generated value gets.
pub const MAX_SIZE: usize = 10_000;

/// The total size (values plus string characters) of one instance. Past it, arrays and
/// objects stop growing and further values are `null`, so an absurd `minItems` or
/// `minLength` cannot exhaust the server (the instance is then invalid, not endless).
pub const OUTPUT_BUDGET: usize = 200_000;

/// Field names (or `_name` endings) that hold a place; they take names from the message.
pub const PLACE_FIELDS: &[&str] = &[
    "location",
    "city",
    "place",
    "destination",
    "origin",
    "address",
    "country",
    "region",
    "town",
    "state",
    "where",
];

/// Whether a field named `name` holds a place (see [`PLACE_FIELDS`]).
pub fn is_place_field(name: &str) -> bool {
    let name = name.to_lowercase();
    PLACE_FIELDS
        .iter()
        .any(|p| name == *p || name.ends_with(&format!("_{p}")))
}

/// The schema that accepts anything (`items` left out).
static ANY: Value = Value::Bool(true);

/// Generates instances of one client-supplied schema.
pub struct Instances<'a> {
    root: &'a Value,
    context: &'a Context,
    reply: &'a str,
    now: i64,
    numbers: Vec<f64>,
    names: Vec<String>,
    remaining: usize,
    /// The random source for choices the context does not decide.
    pub rng: Rng,
}

impl<'a> Instances<'a> {
    /// A generator for `root`, using `context` for wording and `reply` for prose fields.
    pub fn new(
        root: &'a Value,
        context: &'a Context,
        reply: &'a str,
        now: i64,
        rng: Rng,
    ) -> Instances<'a> {
        Instances {
            root,
            context,
            reply,
            now,
            numbers: context.numbers(),
            names: context.proper_nouns(),
            remaining: OUTPUT_BUDGET,
            rng,
        }
    }

    /// Uses `names` instead of the names found in the message (one call per place).
    pub fn with_names(mut self, names: Vec<String>) -> Instances<'a> {
        self.names = names;
        self
    }

    /// An instance of the whole schema.
    ///
    /// ```
    /// use openai_mock::services::model::structured::Instances;
    /// use openai_mock::services::model::text::Context;
    /// use openai_mock::generate::Rng;
    /// use serde_json::json;
    /// let schema = json!({"type": "object", "properties": {"city": {"type": "string"}},
    ///                     "required": ["city"], "additionalProperties": false});
    /// let context = Context::from_user("What's the weather in Lisbon?");
    /// let value = Instances::new(&schema, &context, "", 0, Rng::new(1)).instance();
    /// assert_eq!(value, json!({"city": "Lisbon"}));
    /// ```
    pub fn instance(&mut self) -> Value {
        self.value(self.root, "", 0)
    }

    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(self.root);
        }
        let decoded = pointer.replace("~1", "/").replace("~0", "~");
        self.root.pointer(&decoded)
    }

    fn value(&mut self, schema: &Value, field: &str, depth: usize) -> Value {
        if depth > GIVE_UP_DEPTH || self.remaining == 0 {
            return Value::Null;
        }
        self.remaining -= 1;
        let schema = match schema {
            Value::Bool(true) => return Value::String(self.text_for(field, &Map::new())),
            Value::Bool(false) | Value::Null => return Value::Null,
            other => other,
        };
        let Some(object) = schema.as_object() else {
            return Value::Null;
        };
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            // Siblings of `$ref` (2020-12) are rare in these schemas; the target decides.
            return match self.resolve(reference) {
                Some(target) if depth < MAX_DEPTH * 2 => self.value(target, field, depth + 1),
                _ => Value::Null,
            };
        }
        if let Some(constant) = object.get("const") {
            return constant.clone();
        }
        if let Some(options) = object.get("enum").and_then(Value::as_array) {
            return self.choose_enum(options);
        }
        if let Some(parts) = object.get("allOf").and_then(Value::as_array) {
            let merged = self.merge_all_of(object, parts);
            return self.value_of_merged(merged, field, depth);
        }
        for union in ["anyOf", "oneOf"] {
            if let Some(branches) = object.get(union).and_then(Value::as_array) {
                if let Some(branch) = self.pick_branch(branches, depth) {
                    return self.value(branch, field, depth + 1);
                }
            }
        }
        let kind = match object.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(Value::Array(kinds)) => {
                let kinds: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
                kinds
                    .iter()
                    .find(|k| **k != "null")
                    .or(kinds.first())
                    .copied()
                    .unwrap_or("string")
            }
            _ if object.contains_key("properties") || object.contains_key("required") => "object",
            _ if object.contains_key("items") || object.contains_key("prefixItems") => "array",
            _ => "string",
        };
        match kind {
            "object" => self.object(object, depth),
            "array" => self.array(object, field, depth),
            "integer" => self.number(object, field, true),
            "number" => self.number(object, field, false),
            "boolean" => Value::Bool(true),
            "null" => Value::Null,
            _ => Value::String(self.string(object, field)),
        }
    }

    /// `allOf` parts merged into one object schema (properties, required, type).
    fn merge_all_of(&self, own: &Map<String, Value>, parts: &[Value]) -> Map<String, Value> {
        let mut merged = own.clone();
        merged.remove("allOf");
        for part in parts {
            let mut part = part;
            for _ in 0..16 {
                match part
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| self.resolve(r))
                {
                    Some(target) => part = target,
                    None => break,
                }
            }
            let Some(part) = part.as_object() else {
                continue;
            };
            for (key, value) in part {
                match (key.as_str(), merged.get_mut(key)) {
                    ("properties", Some(Value::Object(existing))) => {
                        if let Value::Object(more) = value {
                            existing.extend(more.clone());
                        }
                    }
                    ("required", Some(Value::Array(existing))) => {
                        if let Value::Array(more) = value {
                            existing.extend(more.iter().cloned());
                        }
                    }
                    (_, Some(_)) => {}
                    (_, None) => {
                        merged.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        merged
    }

    fn value_of_merged(&mut self, merged: Map<String, Value>, field: &str, depth: usize) -> Value {
        self.value(&Value::Object(merged), field, depth + 1)
    }

    /// Prefers a branch that is not `null` and, past the depth limit, one without `$ref`.
    fn pick_branch<'s>(&self, branches: &'s [Value], depth: usize) -> Option<&'s Value> {
        let is_null = |b: &Value| b.get("type").and_then(Value::as_str) == Some("null");
        let recursive = |b: &Value| b.get("$ref").is_some();
        if depth > MAX_DEPTH {
            if let Some(null) = branches.iter().find(|b| is_null(b)) {
                return Some(null);
            }
            if let Some(plain) = branches.iter().find(|b| !recursive(b)) {
                return Some(plain);
            }
        }
        branches.iter().find(|b| !is_null(b)).or(branches.first())
    }

    fn choose_enum(&mut self, options: &[Value]) -> Value {
        let message = self.context.last_user.to_lowercase();
        let mentioned = options.iter().find(|option| {
            option.as_str().is_some_and(|text| {
                !text.is_empty()
                    && super::text::words(&message).contains(&text.to_lowercase().as_str())
            })
        });
        if let Some(option) = mentioned {
            return option.clone();
        }
        let present: Vec<&Value> = options.iter().filter(|o| !o.is_null()).collect();
        if present.is_empty() {
            return options.first().cloned().unwrap_or(Value::Null);
        }
        present[self.rng.below(present.len() as u64) as usize].clone()
    }

    fn object(&mut self, schema: &Map<String, Value>, depth: usize) -> Value {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(properties) = properties {
            for (name, property) in properties {
                if depth > MAX_DEPTH && !required.contains(&name.as_str()) {
                    continue;
                }
                let value = self.value(property, name, depth + 1);
                out.insert(name.clone(), value);
            }
        }
        let extra = schema.get("additionalProperties");
        let extra_schema: Option<&Value> = match extra {
            Some(Value::Bool(false)) => None,
            Some(value @ Value::Object(_)) => Some(value),
            _ => None,
        };
        for name in &required {
            if !out.contains_key(*name) {
                let value = match extra_schema {
                    Some(schema) => self.value(schema, name, depth + 1),
                    None => Value::String(self.text_for(name, &Map::new())),
                };
                out.insert((*name).to_string(), value);
            }
        }
        let min = schema
            .get("minProperties")
            .and_then(Value::as_u64)
            .map_or(0, |m| (m as usize).min(MAX_SIZE));
        let mut counter = 1;
        while out.len() < min && extra != Some(&Value::Bool(false)) && self.remaining > 0 {
            let key = format!("item_{counter}");
            counter += 1;
            let value = match extra_schema {
                Some(schema) => self.value(schema, &key, depth + 1),
                None => Value::String(self.text_for(&key, &Map::new())),
            };
            out.insert(key, value);
        }
        Value::Object(out)
    }

    fn array(&mut self, schema: &Map<String, Value>, field: &str, depth: usize) -> Value {
        let min = schema
            .get("minItems")
            .and_then(Value::as_u64)
            .map_or(0, |m| (m as usize).min(MAX_SIZE));
        let max = schema
            .get("maxItems")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        let prefix: &[Value] = schema
            .get("prefixItems")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        let items = schema.get("items");
        let wanted = if depth > MAX_DEPTH {
            min
        } else {
            min.max(prefix.len()).max(2)
        };
        let count = wanted.min(max).max(min);
        let singular = singular(field);
        let mut out: Vec<Value> = Vec::with_capacity(count.min(1_024));
        let mut seen = std::collections::HashSet::new();
        for i in 0..count {
            if self.remaining == 0 {
                break;
            }
            let item_schema = match prefix.get(i) {
                Some(schema) => schema,
                None => match items {
                    Some(Value::Bool(false)) => break,
                    Some(schema) => schema,
                    None => &ANY,
                },
            };
            let mut value = self.value_static_safe(item_schema, &singular, depth + 1);
            // Repeats read badly even where the schema allows them.
            if !seen.insert(value.to_string()) {
                value = self.distinct(value, &seen, i);
                seen.insert(value.to_string());
            }
            out.push(value);
        }
        Value::Array(out)
    }

    fn value_static_safe(&mut self, schema: &Value, field: &str, depth: usize) -> Value {
        if schema == &Value::Bool(true) {
            return Value::String(self.text_for(field, &Map::new()));
        }
        self.value(schema, field, depth)
    }

    /// Makes a repeated array item different from the ones before it, when its type
    /// allows (strings get a number, numbers grow); other values are kept.
    fn distinct(&mut self, value: Value, before: &HashSet<String>, index: usize) -> Value {
        match &value {
            Value::String(text) => {
                for n in (index + 1)..(index + 50) {
                    let candidate = Value::String(format!("{text} {n}"));
                    if !before.contains(&candidate.to_string()) {
                        return candidate;
                    }
                }
                value
            }
            Value::Number(number) => {
                let base = number.as_f64().unwrap_or(0.0);
                for n in 1..50 {
                    let candidate = if number.is_f64() {
                        Number::from_f64(base + n as f64).map(Value::Number)
                    } else {
                        Some(Value::from(base as i64 + n))
                    };
                    if let Some(candidate) = candidate {
                        if !before.contains(&candidate.to_string()) {
                            return candidate;
                        }
                    }
                }
                value
            }
            _ => value,
        }
    }

    fn number(&mut self, schema: &Map<String, Value>, field: &str, integer: bool) -> Value {
        let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
        let low = bound("minimum");
        let high = bound("maximum");
        let low_exclusive = bound("exclusiveMinimum");
        let high_exclusive = bound("exclusiveMaximum");
        let multiple = bound("multipleOf").filter(|m| *m > 0.0);
        let fits = |v: f64| {
            low.is_none_or(|l| v >= l)
                && high.is_none_or(|h| v <= h)
                && low_exclusive.is_none_or(|l| v > l)
                && high_exclusive.is_none_or(|h| v < h)
                && (!integer || v.fract() == 0.0)
                && multiple.is_none_or(|m| is_multiple(v, m))
        };
        // Numbers from the message, in order, when they fit.
        if let Some(at) = self.numbers.iter().position(|n| fits(*n)) {
            let n = self.numbers.remove(at);
            return number_value(n, integer);
        }
        let preferred = preferred_number(field, self.now, &mut self.rng);
        let mut candidate = preferred;
        let floor = low.or(low_exclusive);
        let ceiling = high.or(high_exclusive);
        if let Some(l) = floor {
            if candidate < l || (low_exclusive.is_some() && candidate <= l) {
                candidate = l;
            }
        }
        if let Some(h) = ceiling {
            if candidate > h {
                candidate = h;
            }
        }
        let step = multiple.unwrap_or(if integer { 1.0 } else { 0.5 });
        let step = if integer { step.max(1.0).ceil() } else { step };
        let start = (candidate / step).round();
        for offset in [0.0, 1.0, -1.0, 2.0, -2.0, 3.0, 4.0, 5.0] {
            let value = round_to_step((start + offset) * step, step);
            if fits(value) {
                return number_value(value, integer);
            }
        }
        // Narrow exclusive ranges: the midpoint.
        if let (Some(l), Some(h)) = (floor, ceiling) {
            let mid = (l + h) / 2.0;
            let mid = if integer { mid.floor() } else { mid };
            return number_value(mid, integer);
        }
        number_value(candidate, integer)
    }

    fn string(&mut self, schema: &Map<String, Value>, field: &str) -> String {
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            if let Some(sample) = sample_regex(pattern) {
                return sample;
            }
        }
        let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
        let text = match format {
            "date-time" => rfc3339(self.now),
            "date" => rfc3339(self.now)[..10].to_string(),
            "time" => rfc3339(self.now)[11..].to_string(),
            "email" | "idn-email" => "ada@example.com".into(),
            "hostname" | "idn-hostname" => "example.com".into(),
            "ipv4" => "192.0.2.1".into(),
            "ipv6" => "2001:db8::1".into(),
            "uuid" => uuid(&mut self.rng),
            "uri" | "iri" | "uri-reference" | "iri-reference" | "url" => {
                format!("https://example.com/{}", slug(&self.topic()))
            }
            "duration" => "PT1H".into(),
            _ => self.text_for(field, schema),
        };
        let min = schema
            .get("minLength")
            .and_then(Value::as_u64)
            .map_or(0, |m| (m as usize).min(MAX_SIZE).min(self.remaining));
        let max = schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        let text = fit_length(text, min, max);
        self.remaining = self.remaining.saturating_sub(text.len());
        text
    }

    fn topic(&self) -> String {
        self.context
            .topic()
            .unwrap_or_else(|| "general question".into())
    }

    /// A string for a field, chosen from its name and the conversation.
    fn text_for(&mut self, field: &str, _schema: &Map<String, Value>) -> String {
        let name = field.to_lowercase();
        let has = |parts: &[&str]| {
            parts
                .iter()
                .any(|p| name == *p || name.ends_with(&format!("_{p}")))
        };
        if has(PLACE_FIELDS) {
            if let Some(place) = self.take_name() {
                return place;
            }
            return capitalise(&self.topic());
        }
        if has(&["name", "person", "author", "user", "username", "customer"]) {
            if let Some(person) = self.take_name() {
                return person;
            }
            return title_case(&self.topic());
        }
        if has(&["title", "heading", "subject", "label", "headline"]) {
            return title_case(&self.topic());
        }
        if has(&[
            "query", "q", "search", "keywords", "keyword", "topic", "term", "terms", "question",
            "prompt", "input", "text", "phrase",
        ]) {
            return self.topic();
        }
        if has(&[
            "summary",
            "description",
            "answer",
            "explanation",
            "content",
            "message",
            "reason",
            "reasoning",
            "response",
            "body",
            "details",
            "comment",
            "notes",
            "note",
            "justification",
            "analysis",
            "result",
            "output",
            "feedback",
            "story",
            "sentence",
        ]) {
            return if self.reply.is_empty() {
                capitalise(&self.topic())
            } else {
                self.reply.to_string()
            };
        }
        if has(&["email"]) {
            return "ada@example.com".into();
        }
        if has(&["url", "link", "website", "homepage", "href"]) {
            return format!("https://example.com/{}", slug(&self.topic()));
        }
        if has(&["phone", "telephone"]) {
            return "+1-555-0100".into();
        }
        if has(&["date", "day", "birthday", "deadline"]) {
            return rfc3339(self.now)[..10].to_string();
        }
        if has(&["time", "timestamp"]) {
            return rfc3339(self.now);
        }
        if has(&["language", "lang"]) {
            return "English".into();
        }
        if has(&["currency"]) {
            return "USD".into();
        }
        if has(&["color", "colour"]) {
            return "blue".into();
        }
        if has(&["id", "uuid", "identifier"]) {
            return format!("id_{}", self.rng.alphanumeric(12));
        }
        if let Some(keyword) = self.context.keywords().first() {
            if name.is_empty() || name == "item" {
                return keyword.clone();
            }
        }
        let topic = self.topic();
        if name.is_empty() {
            topic
        } else {
            format!("{} for {topic}", name.replace('_', " "))
        }
    }

    /// The next name from the message; the last one is reused once all were taken.
    fn take_name(&mut self) -> Option<String> {
        match self.names.len() {
            0 => None,
            1 => self.names.first().cloned(),
            _ => Some(self.names.remove(0)),
        }
    }
}

fn singular(field: &str) -> String {
    if let Some(stem) = field.strip_suffix("ies") {
        return format!("{stem}y");
    }
    if field.ends_with("ss") {
        return field.to_string();
    }
    field.strip_suffix('s').unwrap_or(field).to_string()
}

fn preferred_number(field: &str, now: i64, rng: &mut Rng) -> f64 {
    let name = field.to_lowercase();
    let has = |parts: &[&str]| parts.iter().any(|p| name.contains(p));
    if has(&["year"]) {
        return (1970 + now / 31_556_952) as f64;
    }
    if has(&["age"]) {
        return 30.0;
    }
    if has(&["temperature", "temp"]) {
        return 21.0;
    }
    if has(&["rating", "score", "stars"]) {
        return 4.0;
    }
    if has(&["price", "amount", "cost", "total", "salary"]) {
        return 20.0;
    }
    if has(&["latitude", "lat"]) {
        return 48.85;
    }
    if has(&["longitude", "lon", "lng"]) {
        return 2.35;
    }
    if has(&["confidence", "probability"]) {
        return 0.9;
    }
    if has(&[
        "count", "quantity", "number", "num", "limit", "size", "max", "top",
    ]) {
        return 3.0;
    }
    (1 + rng.below(10)) as f64
}

fn is_multiple(value: f64, step: f64) -> bool {
    let ratio = value / step;
    (ratio - ratio.round()).abs() < 1e-9
}

/// `value` rounded to the decimals of `step`, to avoid `0.30000000000000004`.
fn round_to_step(value: f64, step: f64) -> f64 {
    let decimals = format!("{step}")
        .split_once('.')
        .map_or(0, |(_, d)| d.len())
        .min(12);
    let scale = 10f64.powi(decimals as i32);
    (value * scale).round() / scale
}

fn number_value(value: f64, integer: bool) -> Value {
    if integer {
        return Value::from(value as i64);
    }
    Number::from_f64(value).map_or(Value::from(0), Value::Number)
}

fn fit_length(mut text: String, min: usize, max: usize) -> String {
    let base = if text.is_empty() {
        "text".to_string()
    } else {
        text.clone()
    };
    while text.chars().count() < min {
        text.push(' ');
        text.push_str(&base);
    }
    if text.chars().count() > max {
        text = text.chars().take(max).collect::<String>();
        let trimmed = text.trim_end().to_string();
        if trimmed.chars().count() >= min {
            text = trimmed;
        }
    }
    text
}

fn title_case(text: &str) -> String {
    let titled = text
        .split(' ')
        .map(|w| {
            if w.len() > 3 || w.chars().next().is_some_and(char::is_uppercase) {
                capitalise(w)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    capitalise(&titled)
}

fn slug(text: &str) -> String {
    let slug: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    slug.split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn uuid(rng: &mut Rng) -> String {
    let hex = rng.hex(32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// A string matching the regular expression `pattern` (the shortest readable one the
/// walk finds: the first alternative, the minimum repetitions but at least one, letters
/// and digits preferred within a class), or `None` when the pattern does not parse.
pub fn sample_regex(pattern: &str) -> Option<String> {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn class_char(class: &Class) -> Option<char> {
        match class {
            Class::Unicode(class) => {
                let ranges = class.ranges();
                for preferred in ['a', 'A', '0', 'x', ' '] {
                    if ranges
                        .iter()
                        .any(|r| r.start() <= preferred && preferred <= r.end())
                    {
                        return Some(preferred);
                    }
                }
                ranges
                    .iter()
                    .find(|r| !r.start().is_control() || !r.end().is_control())
                    .map(|r| {
                        if r.start().is_control() {
                            r.end()
                        } else {
                            r.start()
                        }
                    })
            }
            Class::Bytes(class) => {
                let range = class.ranges().first()?;
                let byte = if range.start() <= b'a' && b'a' <= range.end() {
                    b'a'
                } else {
                    range.start()
                };
                byte.is_ascii().then_some(byte as char)
            }
        }
    }
    fn walk(hir: &Hir, out: &mut String, budget: &mut usize) -> Option<()> {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(literal) => out.push_str(std::str::from_utf8(&literal.0).ok()?),
            HirKind::Class(class) => out.push(class_char(class)?),
            HirKind::Repetition(repetition) => {
                let count = match repetition.max {
                    Some(0) => 0,
                    Some(max) => repetition.min.max(1).min(max),
                    None => repetition.min.max(1),
                };
                for _ in 0..count.min(1_000) {
                    walk(&repetition.sub, out, budget)?;
                }
            }
            HirKind::Capture(capture) => walk(&capture.sub, out, budget)?,
            HirKind::Concat(parts) => {
                for part in parts {
                    walk(part, out, budget)?;
                }
            }
            HirKind::Alternation(branches) => walk(branches.first()?, out, budget)?,
        }
        Some(())
    }
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let mut out = String::new();
    let mut budget = 100_000;
    walk(&hir, &mut out, &mut budget)?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn instance(schema: &Value, message: &str) -> Value {
        let context = Context::from_user(message);
        Instances::new(
            schema,
            &context,
            "A short reply.",
            1_700_000_000,
            Rng::new(3),
        )
        .instance()
    }

    fn assert_valid(schema: &Value, value: &Value) {
        let validator = jsonschema::validator_for(schema).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{value} is invalid: {errors:?}");
    }

    #[test]
    fn weather_arguments_take_the_place_and_unit_from_the_message() {
        let schema = json!({
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["location", "unit"],
            "additionalProperties": false
        });
        let value = instance(
            &schema,
            "What's the weather in San Francisco in fahrenheit?",
        );
        assert_eq!(
            value,
            json!({"location": "San Francisco", "unit": "fahrenheit"})
        );
    }

    #[test]
    fn numbers_come_from_the_message() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "integer"}, "b": {"type": "number"}}, "required": ["a", "b"]});
        assert_eq!(
            instance(&schema, "add 2 and 3.5"),
            json!({"a": 2, "b": 3.5})
        );
    }

    #[test]
    fn constrained_schemas_give_valid_instances() {
        let schemas = [
            json!({"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"}),
            json!({"type": "string", "minLength": 40, "maxLength": 45}),
            json!({"type": "integer", "exclusiveMinimum": 10, "exclusiveMaximum": 12}),
            json!({"type": "number", "minimum": 0.1, "maximum": 0.3, "multipleOf": 0.1}),
            json!({"type": "array", "items": {"type": "integer", "enum": [1, 2, 3]},
                   "minItems": 3, "uniqueItems": true}),
            json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}],
                   "items": false}),
            json!({"anyOf": [{"type": "null"}, {"type": "object", "properties": {
                   "x": {"type": ["integer", "null"]}}, "required": ["x"]}]}),
            json!({"allOf": [{"type": "object", "properties": {"a": {"type": "string"}},
                   "required": ["a"]}, {"properties": {"b": {"const": 4}}, "required": ["b"]}]}),
            json!({"type": "object", "additionalProperties": {"type": "integer"},
                   "minProperties": 2}),
            json!({"$defs": {"node": {"type": "object", "properties": {
                     "value": {"type": "string"},
                     "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
                     "required": ["value", "children"], "additionalProperties": false}},
                   "$ref": "#/$defs/node"}),
            json!({"type": "object", "properties": {"when": {"type": "string", "format": "date-time"},
                   "id": {"type": "string", "format": "uuid"}}, "required": ["when", "id"]}),
        ];
        for schema in &schemas {
            let value = instance(schema, "Plan a trip to Rome for 4 people");
            assert_valid(schema, &value);
        }
    }

    #[test]
    fn self_referencing_and_huge_schemas_end() {
        let looping = json!({"allOf": [{"$ref": "#"}], "type": "object"});
        let _ = instance(&looping, "anything");
        let huge = json!({"type": "array", "minItems": 1_000_000_000u64,
            "items": {"type": "string", "minLength": 1_000_000_000u64}});
        let value = instance(&huge, "anything");
        assert!(value.to_string().len() < 2 * OUTPUT_BUDGET);
        let nested = json!({"type": "array", "minItems": 5000, "items": {"type": "array",
            "minItems": 5000, "items": {"type": "integer"}}});
        let value = instance(&nested, "anything");
        assert!(value.to_string().len() < 10 * OUTPUT_BUDGET);
    }

    #[test]
    fn regex_samples_match() {
        for pattern in ["^a+b?c{2,3}$", "^(foo|bar)-[0-9]+$", "\\w+@\\w+\\.com"] {
            let sample = sample_regex(pattern).expect("parses");
            let schema = json!({"type": "string", "pattern": pattern});
            assert_valid(&schema, &json!(sample));
        }
    }
}
