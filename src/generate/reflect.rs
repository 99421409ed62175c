//! Reflects valid input into a generated response.
//!
//! - Path ids come back as the object's ids: `GET /files/file-abc` -> `"id": "file-abc"`,
//!   and every `{x_id}` path parameter fills a top-level `x_id` field.
//! - A top-level response field with the same name as a request field takes the request's
//!   value when that value is valid against the response field's schema (`model`,
//!   `metadata`, `instructions`, `tools`, `temperature`, ...).

use crate::catalog::SchemaStore;
use crate::validate::ValidRequest;
use serde_json::Value;

/// Applies path and body reflection to `body`, an instance of `schema`.
pub fn reflect(
    store: &SchemaStore,
    schema: &Value,
    body: &mut Value,
    request: &ValidRequest,
    id_param: Option<&str>,
) {
    let Value::Object(object) = body else {
        return;
    };
    for (name, value) in &request.path {
        if object.get(name).is_some_and(Value::is_string) {
            object.insert(name.clone(), Value::String(value.clone()));
        }
        if Some(name.as_str()) == id_param && object.get("id").is_some_and(Value::is_string) {
            object.insert("id".into(), Value::String(value.clone()));
        }
    }
    let Value::Object(sent) = &request.body else {
        return;
    };
    for (name, value) in sent {
        if !object.contains_key(name) || name == "id" || name == "object" {
            continue;
        }
        let Some(pointer) = property_pointer(store, schema, name, 0) else {
            continue;
        };
        if store
            .validator_at(&pointer)
            .is_some_and(|validator| validator.is_valid(value))
        {
            object.insert(name.clone(), value.clone());
        }
    }
}

/// The JSON pointer (into the schema document) of property `name` of an object schema.
fn property_pointer(
    store: &SchemaStore,
    schema: &Value,
    name: &str,
    depth: usize,
) -> Option<String> {
    if depth > 6 {
        return None;
    }
    let reference = schema.get("$ref").and_then(Value::as_str)?;
    let base = reference.split_once('#').map_or(reference, |(_, p)| p);
    let target = store.root().pointer(base)?;
    if target.get("properties").and_then(|p| p.get(name)).is_some() {
        return Some(format!("{base}/properties/{}", escape(name)));
    }
    // Only `allOf` parts are certain to describe the generated object; an `anyOf` branch
    // may not be the one that was generated.
    let parts = target.get("allOf").and_then(Value::as_array)?;
    parts.iter().enumerate().find_map(|(i, part)| {
        if part.get("properties").and_then(|p| p.get(name)).is_some() {
            Some(format!("{base}/allOf/{i}/properties/{}", escape(name)))
        } else {
            property_pointer(store, part, name, depth + 1)
        }
    })
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}
/// An uploaded file's name and size come back on the created object
/// (`POST /files` -> `filename`, `bytes`).
pub fn upload(request: &ValidRequest, answer: &mut Value) {
    let Some(file) = request.files.first() else {
        return;
    };
    let Value::Object(object) = answer else {
        return;
    };
    if let (Some(name), Some(Value::String(_))) = (&file.filename, object.get("filename")) {
        object.insert("filename".into(), Value::String(name.clone()));
    }
    if object.get("bytes").is_some_and(Value::is_i64) {
        object.insert("bytes".into(), Value::from(file.size as i64));
    }
}
