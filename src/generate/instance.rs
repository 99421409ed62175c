//! Schema-driven instances: a deterministic, schema-valid value for any schema.
//!
//! The walk follows `$ref`s (using a fixture from `fixtures/` when one exists for that
//! component), merges `allOf`, picks one `anyOf` branch, fills every declared property, and
//! chooses leaf values from the field name and format, so ids carry real prefixes and
//! timestamps are current. Recursion is bounded: past [`MAX_DEPTH`] only required
//! properties are filled and arrays stay empty.

use super::ids;
use super::rng::Rng;
use crate::catalog::SchemaStore;
use serde_json::{Map, Number, Value};

/// Model ids used where the schema wants a model object.
const MODELS: [&str; 4] = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini"];

/// Depth after which the generator fills only what the schema requires.
pub const MAX_DEPTH: usize = 10;

/// Generates instances of schemas from one store.
pub struct Generator<'a> {
    store: &'a SchemaStore,
    fixtures: &'a Map<String, Value>,
    /// The random source; public so behaviours can draw from the same sequence.
    pub rng: Rng,
    now: i64,
    stack: Vec<&'a str>,
}

impl<'a> Generator<'a> {
    /// A generator drawing from `rng`, stamping times with `now` (Unix seconds).
    pub fn new(
        store: &'a SchemaStore,
        fixtures: &'a Map<String, Value>,
        rng: Rng,
        now: i64,
    ) -> Generator<'a> {
        Generator {
            store,
            fixtures,
            rng,
            now,
            stack: Vec::new(),
        }
    }

    /// An instance of `schema`.
    pub fn generate(&mut self, schema: &'a Value) -> Value {
        self.value(schema, "", 0, false)
    }

    /// An instance of `schema` using only required properties and empty arrays.
    pub fn generate_minimal(&mut self, schema: &'a Value) -> Value {
        self.value(schema, "", 0, true)
    }

    /// The current time the generator stamps into `created` fields.
    pub fn now(&self) -> i64 {
        self.now
    }

    fn value(&mut self, schema: &'a Value, field: &str, depth: usize, minimal: bool) -> Value {
        let minimal = minimal || depth > MAX_DEPTH;
        if let Some(reference) = keyword(schema, "$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().unwrap_or_default();
            if let Some(fixture) = self.fixtures.get(name) {
                return self.fixture_instance(fixture);
            }
            let (target, component) = self.store.resolve(schema);
            let component = component.unwrap_or(name);
            let repeats = self.stack.iter().filter(|n| **n == component).count();
            self.stack.push(component);
            let value = self.value(target, field, depth + 1, minimal || repeats >= 1);
            self.stack.pop();
            return value;
        }
        if let Some(constant) = keyword(schema, "const") {
            return constant.clone();
        }
        if let Some(options) = keyword(schema, "enum").and_then(Value::as_array) {
            if let Some(first) = options.iter().find(|o| !o.is_null()).or(options.first()) {
                return first.clone();
            }
        }
        if let Some(branches) = keyword(schema, "allOf").and_then(Value::as_array) {
            // Parts of an object are merged; a non-object part (an enum or union under
            // `allOf`, next to a nullability marker) is the value itself.
            let mut merged = Map::new();
            for branch in branches {
                match self.value(branch, field, depth + 1, minimal) {
                    Value::Object(part) => merged.extend(part),
                    Value::Null => {}
                    other => return other,
                }
            }
            let own = self.object(schema, depth, minimal);
            merged.extend(own);
            return self.finish_object(merged);
        }
        if let (Some(branches), Some(_)) = (
            keyword(schema, "anyOf").and_then(Value::as_array),
            keyword(schema, "properties"),
        ) {
            // An object whose `anyOf` only says which properties are required together
            // (`image_url` or `file_id`): fill one branch's and leave the others out.
            let chosen = branches.first();
            let wanted = required_of(chosen);
            let excluded: Vec<&str> = branches
                .iter()
                .skip(1)
                .flat_map(|b| required_of(Some(b)))
                .filter(|name| !wanted.contains(name))
                .collect();
            let object = self.object_with(schema, depth, minimal, &wanted, &excluded);
            return self.finish_object(object);
        }
        if let Some(branches) = keyword(schema, "anyOf").and_then(Value::as_array) {
            if let Some(branch) = self.pick_branch(branches) {
                return self.value(branch, field, depth + 1, minimal);
            }
            return Value::Null;
        }
        let kind = match keyword(schema, "type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(types)) => types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null"),
            _ if keyword(schema, "properties").is_some() => "object",
            _ if keyword(schema, "items").is_some() => "array",
            _ => "",
        };
        match kind {
            "object" => {
                let object = self.object(schema, depth, minimal);
                self.finish_object(object)
            }
            "array" => self.array(schema, field, depth, minimal),
            "string" => Value::String(self.string(schema, field)),
            "integer" => self.integer(schema, field),
            "number" => self.number(schema, field),
            "boolean" => Value::Bool(
                keyword(schema, "default")
                    .and_then(Value::as_bool)
                    .unwrap_or(matches!(field, "deleted" | "success" | "ok")),
            ),
            "null" => Value::Null,
            // An unconstrained schema: any JSON value will do; an empty object reads best.
            _ => keyword(schema, "default")
                .cloned()
                .unwrap_or(Value::Object(Map::new())),
        }
    }

    /// Prefers a branch that is not `null` and does not recurse into a component already
    /// being generated.
    fn pick_branch(&self, branches: &'a [Value]) -> Option<&'a Value> {
        let is_null = |b: &Value| keyword(b, "type").and_then(Value::as_str) == Some("null");
        let recurses = |b: &Value| {
            keyword(b, "$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.rsplit('/').next())
                .is_some_and(|name| self.stack.contains(&name))
        };
        branches
            .iter()
            .find(|b| !is_null(b) && !recurses(b))
            .or_else(|| branches.iter().find(|b| !is_null(b)))
            .or(branches.first())
    }

    fn object(&mut self, schema: &'a Value, depth: usize, minimal: bool) -> Map<String, Value> {
        self.object_with(schema, depth, minimal, &[], &[])
    }

    /// Fills an object's properties: all of them, or only the required ones (plus
    /// `also_required`) when minimal; never those in `excluded`.
    fn object_with(
        &mut self,
        schema: &'a Value,
        depth: usize,
        minimal: bool,
        also_required: &[&str],
        excluded: &[&str],
    ) -> Map<String, Value> {
        let mut out = Map::with_capacity(
            keyword(schema, "properties")
                .and_then(Value::as_object)
                .map_or(0, Map::len),
        );
        let mut required = required_of(Some(schema));
        required.extend_from_slice(also_required);
        if let Some(properties) = keyword(schema, "properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let name_str = name.as_str();
                if excluded.contains(&name_str) && !required.contains(&name_str) {
                    continue;
                }
                if minimal && !required.contains(&name_str) {
                    continue;
                }
                let value = self.value(property, name, depth + 1, minimal);
                out.insert(name.clone(), value);
            }
        }
        out
    }

    /// A fixture, with a fresh id of the same prefix so that created objects differ.
    fn fixture_instance(&mut self, fixture: &Value) -> Value {
        let mut value = fixture.clone();
        let prefix = value
            .get("object")
            .and_then(Value::as_str)
            .and_then(ids::prefix_for_object);
        if let (Some(prefix), Some(Value::String(id))) = (prefix, value.get_mut("id")) {
            if id.starts_with(prefix) {
                *id = ids::new_id(&mut self.rng, prefix);
            }
        }
        value
    }

    /// Gives a generated object a realistic id once its `object`/`type` is known.
    fn finish_object(&mut self, mut object: Map<String, Value>) -> Value {
        if object.get("id").is_some_and(Value::is_string) {
            let prefix = object
                .get("object")
                .and_then(Value::as_str)
                .and_then(ids::prefix_for_object)
                .or_else(|| {
                    object
                        .get("type")
                        .and_then(Value::as_str)
                        .and_then(ids::prefix_for_type)
                });
            if let Some(prefix) = prefix {
                object.insert(
                    "id".into(),
                    Value::String(ids::new_id(&mut self.rng, prefix)),
                );
            } else if object.get("object").and_then(Value::as_str) == Some("model") {
                let model = MODELS[self.rng.below(MODELS.len() as u64) as usize];
                object.insert("id".into(), Value::String(model.into()));
            }
        }
        Value::Object(object)
    }

    fn array(&mut self, schema: &'a Value, field: &str, depth: usize, minimal: bool) -> Value {
        let min = keyword(schema, "minItems")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let max = keyword(schema, "maxItems")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        let count = if minimal { min } else { min.max(1).min(max) };
        let Some(items) = keyword(schema, "items") else {
            return Value::Array(Vec::new());
        };
        let singular = field.strip_suffix('s').unwrap_or(field);
        Value::Array(
            (0..count)
                .map(|_| self.value(items, singular, depth + 1, minimal))
                .collect(),
        )
    }

    fn string(&mut self, schema: &Value, field: &str) -> String {
        if let Some(default) = keyword(schema, "default").and_then(Value::as_str) {
            return default.to_string();
        }
        let min = keyword(schema, "minLength")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let max = keyword(schema, "maxLength")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        let format = keyword(schema, "format")
            .and_then(Value::as_str)
            .unwrap_or("");
        let text = match (format, field) {
            ("date-time", _) => rfc3339(self.now),
            ("date", _) => rfc3339(self.now)[..10].to_string(),
            ("uri" | "url", _) => "https://example.com/openai-mock".into(),
            ("email", _) | (_, "email") => "ada@example.com".into(),
            ("binary", _) => "file".into(),
            ("byte", _) => "b3BlbmFpLW1vY2s=".into(),
            (_, "id") => ids::new_id(&mut self.rng, "id_"),
            (_, f) if f.ends_with("_id") => {
                let stem = f.trim_end_matches("_id");
                ids::new_id(&mut self.rng, &format!("{stem}_"))
            }
            (_, "model") => "gpt-4o-2024-08-06".into(),
            (_, "url" | "image_url" | "download_url") => "https://example.com/openai-mock".into(),
            (_, "name" | "title" | "filename") => "openai-mock example".into(),
            (_, "text" | "content" | "message" | "transcript" | "output" | "summary") => {
                "This is a response from openai-mock.".into()
            }
            (_, "system_fingerprint") => format!("fp_{}", self.rng.hex(10)),
            (_, "" | "item") => "string".into(),
            (_, f) => f.to_string(),
        };
        fit_length(text, min, max)
    }

    fn integer(&mut self, schema: &Value, field: &str) -> Value {
        if let Some(default) = keyword(schema, "default").filter(|d| d.is_i64() || d.is_u64()) {
            return default.clone();
        }
        let min = bound(schema, "minimum", "exclusiveMinimum", 1);
        let max = bound(schema, "maximum", "exclusiveMaximum", -1);
        let timestamp = is_timestamp(field);
        let position = field == "index" || field.ends_with("_index");
        let candidate = if timestamp {
            self.now
        } else if position {
            0
        } else {
            1 + self.rng.below(100) as i64
        };
        let low = min.unwrap_or(i64::MIN);
        let high = max.unwrap_or(i64::MAX);
        Value::from(candidate.clamp(low, high.max(low)))
    }

    fn number(&mut self, schema: &Value, field: &str) -> Value {
        if let Some(default) = keyword(schema, "default").filter(|d| d.is_number()) {
            return default.clone();
        }
        if is_timestamp(field) {
            // Some timestamps are typed `number`; the real API still sends whole seconds.
            return Value::from(self.now);
        }
        let low = keyword(schema, "minimum")
            .or_else(|| keyword(schema, "exclusiveMinimum"))
            .and_then(Value::as_f64)
            .unwrap_or(f64::MIN);
        let high = keyword(schema, "maximum")
            .or_else(|| keyword(schema, "exclusiveMaximum"))
            .and_then(Value::as_f64)
            .unwrap_or(f64::MAX);
        let mut value = 0.5_f64.clamp(low, high.max(low));
        if keyword(schema, "exclusiveMinimum").is_some() && value <= low {
            value = low + (high.min(low + 1.0) - low) / 2.0;
        }
        Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

/// Whether a field holds a Unix time (`created`, `created_at`, `expires_at`, ...).
fn is_timestamp(field: &str) -> bool {
    field == "created" || field.ends_with("_at") || field == "timestamp" || field.ends_with("_time")
}

/// The `required` names of a schema.
fn required_of(schema: Option<&Value>) -> Vec<&str> {
    schema
        .and_then(|s| keyword(s, "required"))
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The value of keyword `name` in `schema`. Schemas are small objects, and the walk asks
/// each node for about ten keywords, so scanning the few entries beats hashing the name.
fn keyword<'v>(schema: &'v Value, name: &str) -> Option<&'v Value> {
    let Value::Object(map) = schema else {
        return None;
    };
    if map.len() > 8 {
        return map.get(name);
    }
    map.iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn bound(schema: &Value, inclusive: &str, exclusive: &str, step: i64) -> Option<i64> {
    keyword(schema, inclusive)
        .and_then(as_i64_lossy)
        .or_else(|| {
            keyword(schema, exclusive)
                .and_then(as_i64_lossy)
                .map(|b| b + step)
        })
}

fn as_i64_lossy(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
}

fn fit_length(mut text: String, min: usize, max: usize) -> String {
    while text.chars().count() < min {
        text.push('x');
    }
    if text.chars().count() > max {
        text = text.chars().take(max).collect();
    }
    text
}

/// Formats Unix seconds as RFC 3339 UTC, e.g. `2026-11-22T03:04:05Z`.
///
/// ```
/// assert_eq!(openai_mock::generate::rfc3339(0), "1970-01-01T00:00:00Z");
/// assert_eq!(openai_mock::generate::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
/// ```
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}
