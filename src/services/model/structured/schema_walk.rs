//! The walk over a client schema: local `$ref`s, `const`, `enum`, `allOf` merging,
//! `anyOf`/`oneOf` branches, objects and arrays, bounded by depth and the output budget.

use super::{Instances, GIVE_UP_DEPTH, MAX_DEPTH, MAX_SIZE};
use crate::services::model::text::words;
use serde_json::{Map, Number, Value};
use std::collections::HashSet;

/// The schema that accepts anything (`items` left out).
static ANY: Value = Value::Bool(true);

impl<'a> Instances<'a> {
    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(self.root);
        }
        let decoded = pointer.replace("~1", "/").replace("~0", "~");
        self.root.pointer(&decoded)
    }

    pub(super) fn value(&mut self, schema: &Value, field: &str, depth: usize) -> Value {
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
                !text.is_empty() && words(&message).contains(&text.to_lowercase().as_str())
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
            // Values are drawn in the order of `required` (an array, which clients keep as
            // written), then by name, so the schema's key order (which differs between
            // clients: Rust's serde_json sorts keys) never changes them, while places still go
            // to fields in the author's order (origin before destination). They are laid out
            // in the schema's order.
            let rank = |name: &str| {
                required
                    .iter()
                    .position(|r| *r == name)
                    .unwrap_or(usize::MAX)
            };
            let mut by_name: Vec<(&String, &Value)> = properties.iter().collect();
            by_name.sort_unstable_by(|a, b| (rank(a.0), a.0).cmp(&(rank(b.0), b.0)));
            let mut drawn: Map<String, Value> = Map::new();
            for (name, property) in by_name {
                if depth > MAX_DEPTH && !required.contains(&name.as_str()) {
                    continue;
                }
                let value = self.value(property, name, depth + 1);
                drawn.insert(name.clone(), value);
            }
            for name in properties.keys() {
                if let Some(value) = drawn.remove(name) {
                    out.insert(name.clone(), value);
                }
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

#[cfg(test)]
mod tests {
    use super::super::tests::instance;
    use super::super::OUTPUT_BUDGET;
    use serde_json::json;

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
}
