//! Reflects valid input into a generated response.
//!
//! - Path ids come back as the object's ids: `GET /files/file-abc` -> `"id": "file-abc"`
//!   (not a `{version}`, and not when the answer holds the parameter under its own name, as
//!   a part's `upload_id`), and every `{x_id}` path parameter fills a top-level `x_id` field.
//! - A top-level response field with the same name as a request field takes the request's
//!   value (`model`, `metadata`, `instructions`, `tools`, `temperature`, ...).
//!
//! A value is reflected only where it stays valid against the response schema at that
//! place, checked with the answer validator (`format` asserted): a request may send
//! `"image_url": ""` (the request schemas read `format` as an annotation), but the answer's
//! `image_url` is a URI, so the generated one stays. Where the place has no schema of its
//! own to check (a property of one branch of a union), body fields are not reflected, and
//! path ids (strings into string fields) are.

use crate::catalog::SchemaStore;
use crate::validate::ValidRequest;
use serde_json::Value;

/// Applies path and body reflection to `body`, an instance of schema target `target`.
pub fn reflect(
    store: &SchemaStore,
    target: usize,
    body: &mut Value,
    request: &ValidRequest,
    id_param: Option<&str>,
) {
    let Value::Object(object) = body else {
        return;
    };
    let fits = |name: &str, value: &Value| fits(store, target, name, value);
    for (name, value) in &request.path {
        let value = Value::String(value.clone());
        if object.get(name).is_some_and(Value::is_string) && fits(name, &value) != Some(false) {
            object.insert(name.clone(), value.clone());
        }
        // The id parameter names the answered object, unless it is no id (a skill's
        // `{version}`) or the answer points back to it by that name (a part's `upload_id`).
        let names_answer = (name == "id" || name.ends_with("_id")) && !object.contains_key(name);
        if Some(name.as_str()) == id_param
            && names_answer
            && object.get("id").is_some_and(Value::is_string)
            && fits("id", &value) != Some(false)
        {
            object.insert("id".into(), value);
        }
    }
    let Value::Object(sent) = &request.body else {
        return;
    };
    for (name, value) in sent {
        if !object.contains_key(name) || name == "id" || name == "object" {
            continue;
        }
        if fits(name, value) == Some(true) {
            object.insert(name.clone(), value.clone());
        }
    }
}

/// Whether `value` is valid as top-level property `name` of an answer of schema target
/// `target` (with `format` asserted); `None` when that place has no schema of its own to
/// check (a property of one branch of a union, or one the schema does not declare).
pub fn fits(store: &SchemaStore, target: usize, name: &str, value: &Value) -> Option<bool> {
    store
        .answer_property_validator(target, name)
        .map(|validator| validator.is_some_and(|validator| validator.is_valid(value)))
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
