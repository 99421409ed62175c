//! `json_object` output that follows the prompt: the keys a prompt names become the schema
//! of the answer, each typed by its name (or by the prompt's own JSON example).
//!
//! Keys are read from, in order of preference:
//! - a JSON object written in the system or user text (`{"name": "…", "age": 30}`): its keys,
//!   and value types taken from its values;
//! - a list after the words "key(s)", "field(s)", "propert(y|ies)" or "attribute(s)", such as
//!   "with keys name and age" or "fields: `email`, `is_active`, tags" (names may be quoted).
//!
//! When nothing is named the caller falls back to its generic shape.

use serde_json::{json, Map, Value};

/// The object schema for the keys the conversation's `texts` name, or `None`.
///
/// ```
/// # use openai_mock::services::model::structured::json_mode_schema;
/// let schema = json_mode_schema(&["Reply in JSON with keys name, age and is_member."]).unwrap();
/// assert_eq!(schema["required"], serde_json::json!(["name", "age", "is_member"]));
/// assert_eq!(schema["properties"]["age"]["type"], "integer");
/// assert_eq!(schema["properties"]["is_member"]["type"], "boolean");
/// ```
pub fn json_mode_schema(texts: &[&str]) -> Option<Value> {
    texts
        .iter()
        .find_map(|text| example_schema(text))
        .or_else(|| {
            let names: Vec<String> = texts.iter().flat_map(|text| listed_names(text)).collect();
            let mut unique: Vec<String> = Vec::new();
            for name in names {
                if !unique.contains(&name) {
                    unique.push(name);
                }
            }
            (!unique.is_empty()).then(|| {
                object_schema(
                    unique
                        .iter()
                        .map(|name| (name.clone(), schema_for_name(name))),
                )
            })
        })
}

fn object_schema(properties: impl Iterator<Item = (String, Value)>) -> Value {
    let properties: Map<String, Value> = properties.collect();
    let required: Vec<Value> = properties.keys().map(|k| json!(k)).collect();
    json!({"type": "object", "properties": properties, "required": required,
           "additionalProperties": false})
}

/// The schema of the first JSON object example in `text` that has keys.
fn example_schema(text: &str) -> Option<Value> {
    let mut search = 0;
    while let Some(offset) = text[search..].find('{') {
        let start = search + offset;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        if let Some(Ok(Value::Object(example))) = stream.next() {
            if !example.is_empty() {
                return Some(object_schema(
                    example
                        .iter()
                        .map(|(name, value)| (name.clone(), schema_for_value(name, value))),
                ));
            }
        }
        search = start + 1;
    }
    None
}

fn schema_for_value(name: &str, value: &Value) -> Value {
    match value {
        Value::Bool(_) => json!({"type": "boolean"}),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({"type": "integer"}),
        Value::Number(_) => json!({"type": "number"}),
        Value::Array(items) => {
            let item = match items.first() {
                None | Some(Value::String(_)) | Some(Value::Null) => json!({"type": "string"}),
                Some(first) => schema_for_value(name, first),
            };
            json!({"type": "array", "items": item, "minItems": 1, "maxItems": 3})
        }
        Value::Object(fields) => object_schema(
            fields
                .iter()
                .map(|(key, value)| (key.clone(), schema_for_value(key, value))),
        ),
        Value::String(_) | Value::Null => schema_for_name(name),
    }
}

const LIST_WORDS: [&str; 8] = [
    "keys",
    "key",
    "fields",
    "field",
    "properties",
    "property",
    "attributes",
    "attribute",
];

/// Names listed after a key word, up to the end of the sentence.
fn listed_names(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut names = Vec::new();
    for word in LIST_WORDS {
        let mut from = 0;
        while let Some(offset) = lower[from..].find(word) {
            let at = from + offset;
            from = at + word.len();
            let before_ok = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
            let after = &text[from..];
            let after_ok = !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
            // A singular word names one key only when the name is marked: `key: x`, `key "x"`,
            // `key named x` ("which key opens the door?" names none).
            let marked = after.trim_start().starts_with([':', '"', '\'', '`'])
                || after.trim_start().starts_with("named ");
            if !(before_ok && after_ok) || (!word.ends_with('s') && !marked) {
                continue;
            }
            let sentence = after
                .split(['.', '\n', ';', '!', '?', '(', ')'])
                .next()
                .unwrap_or("");
            for part in sentence
                .split([',', '/'])
                .flat_map(|p| p.split(" and "))
                .flat_map(|p| p.split(" or "))
            {
                let part = part.trim().trim_start_matches(':').trim();
                let part = part.strip_prefix("named ").unwrap_or(part).trim();
                // "age for Ada Lovelace": the name is the first word.
                let part = part.split_whitespace().next().unwrap_or("");
                let name = part.trim_matches(|c| matches!(c, '"' | '\'' | '`' | ' ' | ':'));
                if is_identifier(name) && !names.contains(&name.to_string()) {
                    names.push(name.to_string());
                }
            }
            if !names.is_empty() {
                return names;
            }
        }
    }
    names
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
        && !matches!(name, "and" | "or" | "the" | "with" | "a" | "an" | "only")
}

/// A schema typed by what a key's name says it holds.
fn schema_for_name(name: &str) -> Value {
    let lower = name.to_lowercase();
    let has = |words: &[&str]| {
        words
            .iter()
            .any(|w| lower == *w || lower.ends_with(&format!("_{w}")))
    };
    if ["is_", "has_", "can_", "should_", "was_", "allow_"]
        .iter()
        .any(|p| lower.starts_with(p))
        || has(&[
            "enabled",
            "active",
            "valid",
            "verified",
            "available",
            "success",
        ])
    {
        json!({"type": "boolean"})
    } else if has(&[
        "age",
        "count",
        "year",
        "quantity",
        "number",
        "num",
        "total",
        "rank",
        "size",
        "id_number",
    ]) {
        json!({"type": "integer", "minimum": 0, "maximum": 120})
    } else if has(&[
        "price",
        "score",
        "amount",
        "rate",
        "ratio",
        "percentage",
        "temperature",
        "latitude",
        "longitude",
        "confidence",
    ]) {
        json!({"type": "number", "minimum": 0, "maximum": 100})
    } else if has(&["email"]) {
        json!({"type": "string", "format": "email"})
    } else if has(&["url", "link", "website"]) {
        json!({"type": "string", "format": "uri"})
    } else if has(&["date", "birthday"]) {
        json!({"type": "string", "format": "date"})
    } else if lower.ends_with("_list")
        || (lower.ends_with('s')
            && !lower.ends_with("ss")
            && !lower.ends_with("us")
            && lower.len() > 3
            && !has(&["status", "address", "analysis", "series", "news"]))
    {
        json!({"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3})
    } else {
        json!({"type": "string"})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(schema: &Value) -> Vec<&str> {
        schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn named_keys_in_several_wordings() {
        for (text, expected) in [
            ("Reply in JSON with keys name and age", vec!["name", "age"]),
            (
                "Return a JSON object with the fields: `email`, `is_active`, tags.",
                vec!["email", "is_active", "tags"],
            ),
            (
                "Use the properties \"city\", \"country\" or \"population\".",
                vec!["city", "country", "population"],
            ),
        ] {
            let schema = json_mode_schema(&[text]).unwrap();
            assert_eq!(keys(&schema), expected, "{text}");
        }
        let schema = json_mode_schema(&["fields: email, is_active, tags, age"]).unwrap();
        assert_eq!(schema["properties"]["email"]["format"], "email");
        assert_eq!(schema["properties"]["is_active"]["type"], "boolean");
        assert_eq!(schema["properties"]["tags"]["type"], "array");
        assert_eq!(schema["properties"]["age"]["type"], "integer");
    }

    #[test]
    fn a_json_example_gives_keys_and_types() {
        let text = r#"Answer like {"title": "x", "year": 1999, "tags": ["a"], "rating": 4.5}."#;
        let schema = json_mode_schema(&[text]).unwrap();
        assert_eq!(keys(&schema), ["title", "year", "tags", "rating"]);
        assert_eq!(schema["properties"]["year"]["type"], "integer");
        assert_eq!(schema["properties"]["rating"]["type"], "number");
        assert_eq!(schema["properties"]["tags"]["items"]["type"], "string");
    }

    #[test]
    fn nothing_named_gives_none() {
        assert_eq!(json_mode_schema(&["Tell me a joke in JSON.", ""]), None);
        assert_eq!(json_mode_schema(&["Which key opens the door?"]), None);
    }
}
