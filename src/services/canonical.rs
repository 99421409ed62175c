//! Canonical JSON: object keys in sorted order at every level, so that the same request
//! written by different clients (Python, JavaScript and Rust order keys differently) hashes,
//! counts and reads the same.

use serde_json::Value;

/// `value` as compact JSON with object keys sorted at every level.
///
/// ```
/// # use openai_mock::services::canonical_json;
/// let a = serde_json::json!({"role": "user", "content": {"b": 1, "a": [2]}});
/// assert_eq!(canonical_json(&a), r#"{"content":{"a":[2],"b":1},"role":"user"}"#);
/// ```
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

/// Writes `value` as JSON with object keys in sorted order.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
