//! Assembles flat `key=value` fields (query strings, forms, multipart) into a JSON object.
//!
//! The SDKs encode arrays as `include[]=a&include[]=b` and objects as `metadata[key]=v`.
//! Keys are split into a path (`metadata[key]` -> `metadata`, `key`), repeated keys and `[]`
//! build arrays, and each leaf string is coerced to the type its schema asks for, so the
//! result can be checked by the same JSON Schema validator as a JSON body.

use crate::catalog::SchemaStore;
use serde_json::{Map, Value};

/// One step of a bracketed field name.
#[derive(Debug, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    Append,
}

/// Splits `a[b][]` into `a`, `b`, append. A key with unbalanced brackets is taken literally.
fn steps(key: &str) -> Vec<Step<'_>> {
    let Some(open) = key.find('[') else {
        return vec![Step::Key(key)];
    };
    if open == 0 || !key.ends_with(']') {
        return vec![Step::Key(key)];
    }
    let mut out = vec![Step::Key(&key[..open])];
    for part in key[open + 1..key.len() - 1].split("][") {
        if part.contains('[') || part.contains(']') {
            return vec![Step::Key(key)];
        }
        out.push(if part.is_empty() {
            Step::Append
        } else {
            Step::Key(part)
        });
    }
    out
}

/// Builds a JSON object from `fields`, coercing each leaf by the schema found at its path
/// inside `schema` (an object schema). Names the spec declares literally with brackets
/// (`project_ids[]`) are kept whole.
pub fn assemble(
    store: &SchemaStore,
    schema: &Value,
    fields: impl IntoIterator<Item = (String, FieldValue)>,
) -> Value {
    let mut object = Map::new();
    for (key, value) in fields {
        let declared = property(store, schema, &key).is_some();
        let path = if declared {
            vec![Step::Key(key.as_str())]
        } else {
            steps(&key)
        };
        insert(store, &mut object, schema, &path, value);
    }
    Value::Object(object)
}

/// A field's raw value: text to be coerced, or an already-typed value (a file part).
#[derive(Debug, Clone)]
pub enum FieldValue {
    /// Text that is coerced to the schema's type.
    Text(String),
    /// A value used as is.
    Json(Value),
}

fn insert(
    store: &SchemaStore,
    object: &mut Map<String, Value>,
    schema: &Value,
    path: &[Step<'_>],
    value: FieldValue,
) {
    let Some((Step::Key(name), rest)) = path.split_first() else {
        return;
    };
    let child_schema = property(store, schema, name)
        .cloned()
        .unwrap_or(Value::Null);
    match rest.first() {
        None => {
            let leaf = coerce(store, &child_schema, value);
            match object.get_mut(*name) {
                // A repeated key becomes an array when the schema wants one.
                Some(Value::Array(items)) if wants_array(store, &child_schema) => {
                    items.push(item_of(store, &child_schema, leaf))
                }
                Some(existing) if wants_array(store, &child_schema) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, item_of(store, &child_schema, leaf)]);
                }
                _ => {
                    let leaf = if wants_array(store, &child_schema) && !leaf.is_array() {
                        Value::Array(vec![item_of(store, &child_schema, leaf)])
                    } else {
                        leaf
                    };
                    object.insert(name.to_string(), leaf);
                }
            }
        }
        Some(Step::Append) => {
            let items_schema = items(store, &child_schema).cloned().unwrap_or(Value::Null);
            let slot = object
                .entry(name.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(vec![slot.take()]);
            }
            if let Value::Array(list) = slot {
                if rest.len() == 1 {
                    list.push(coerce(store, &items_schema, value));
                } else {
                    // `a[][b]=x`: starts a new element when `b` is already set on the last.
                    let starts_new = match (list.last(), &rest[1]) {
                        (Some(Value::Object(last)), Step::Key(k)) => last.contains_key(*k),
                        _ => true,
                    };
                    if starts_new || !matches!(list.last(), Some(Value::Object(_))) {
                        list.push(Value::Object(Map::new()));
                    }
                    if let Some(Value::Object(last)) = list.last_mut() {
                        insert(store, last, &items_schema, &rest[1..], value);
                    }
                }
            }
        }
        Some(Step::Key(_)) => {
            let slot = object
                .entry(name.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                insert(store, inner, &child_schema, rest, value);
            }
        }
    }
}

fn item_of(store: &SchemaStore, array_schema: &Value, value: Value) -> Value {
    match (&value, items(store, array_schema)) {
        (Value::String(s), Some(item_schema)) => {
            coerce(store, item_schema, FieldValue::Text(s.clone()))
        }
        _ => value,
    }
}

/// The schemas a value at this location may take: `$ref`s followed and unions flattened.
fn alternatives<'a>(store: &'a SchemaStore, schema: &'a Value) -> Vec<&'a Value> {
    let mut out = Vec::new();
    collect_alternatives(store, schema, &mut out, 0);
    out
}

fn collect_alternatives<'a>(
    store: &'a SchemaStore,
    schema: &'a Value,
    out: &mut Vec<&'a Value>,
    depth: usize,
) {
    if depth > 8 {
        return;
    }
    let (schema, _) = store.resolve(schema);
    let mut branched = false;
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            branched = true;
            for branch in branches {
                collect_alternatives(store, branch, out, depth + 1);
            }
        }
    }
    if !branched || schema.get("type").is_some() || schema.get("properties").is_some() {
        out.push(schema);
    }
}

fn types_of(store: &SchemaStore, schema: &Value) -> Vec<String> {
    let mut types = Vec::new();
    for alt in alternatives(store, schema) {
        match alt.get("type") {
            Some(Value::String(t)) => types.push(t.clone()),
            Some(Value::Array(ts)) => {
                types.extend(ts.iter().filter_map(Value::as_str).map(String::from))
            }
            _ => {
                if alt.get("properties").is_some() {
                    types.push("object".into());
                }
            }
        }
    }
    types
}

/// Whether a string alternative of `schema` takes `text` as it is: one with no `enum` (or
/// `const`), or one that lists `text`. `"47"` for `max_output_tokens` (an integer, or the
/// string `"inf"`) is the integer.
fn takes_string(store: &SchemaStore, schema: &Value, text: &str) -> bool {
    alternatives(store, schema).into_iter().any(|alt| {
        let is_string = match alt.get("type") {
            Some(Value::String(t)) => t == "string",
            Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
            _ => false,
        };
        let listed = alt
            .get("enum")
            .and_then(Value::as_array)
            .map(|options| options.iter().any(|o| o == text))
            .or_else(|| alt.get("const").map(|c| c == text));
        is_string && listed != Some(false)
    })
}

fn wants_array(store: &SchemaStore, schema: &Value) -> bool {
    let types = types_of(store, schema);
    types.iter().any(|t| t == "array") && !types.iter().any(|t| t == "string")
}

/// The schema of property `name` of an object schema, looking through unions.
pub fn property<'a>(store: &'a SchemaStore, schema: &'a Value, name: &str) -> Option<&'a Value> {
    alternatives(store, schema).into_iter().find_map(|alt| {
        alt.get("properties")
            .and_then(|p| p.get(name))
            .or_else(|| alt.get("additionalProperties").filter(|a| a.is_object()))
    })
}

/// The item schema of an array schema, looking through unions.
pub fn items<'a>(store: &'a SchemaStore, schema: &'a Value) -> Option<&'a Value> {
    alternatives(store, schema)
        .into_iter()
        .find_map(|alt| alt.get("items"))
}

/// Coerces a text field to the type its schema asks for; text that does not fit is kept
/// as a string so the validator reports the type error with the real wording.
fn coerce(store: &SchemaStore, schema: &Value, value: FieldValue) -> Value {
    let text = match value {
        FieldValue::Json(v) => return v,
        FieldValue::Text(text) => text,
    };
    let types = types_of(store, schema);
    let has = |t: &str| types.iter().any(|x| x == t);
    if types.is_empty() || takes_string(store, schema, &text) {
        return Value::String(text);
    }
    if has("integer") {
        if let Ok(i) = text.parse::<i64>() {
            return Value::from(i);
        }
    }
    if has("number") {
        if let Some(n) = text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
        {
            return Value::Number(n);
        }
    }
    if has("boolean") {
        match text.as_str() {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            _ => {}
        }
    }
    if has("null") && (text.is_empty() || text == "null") {
        return Value::Null;
    }
    if has("object") || has("array") {
        if let Ok(parsed) = serde_json::from_str::<Value>(&text) {
            if parsed.is_object() || parsed.is_array() {
                return parsed;
            }
        }
    }
    Value::String(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracketed_keys_split_into_steps() {
        assert_eq!(steps("include[]"), vec![Step::Key("include"), Step::Append]);
        assert_eq!(
            steps("metadata[key]"),
            vec![Step::Key("metadata"), Step::Key("key")]
        );
        assert_eq!(steps("plain"), vec![Step::Key("plain")]);
        assert_eq!(steps("odd[key"), vec![Step::Key("odd[key")]);
        assert_eq!(steps("[x]"), vec![Step::Key("[x]")]);
    }
}
