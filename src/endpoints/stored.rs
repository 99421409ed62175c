//! What the stateful endpoint families share: path ids, lookups with the real API's 404,
//! and list pages (`limit`, `order`, `after`, `before`) over the stored objects.

use super::Call;
use crate::error::ApiError;
use crate::generate::page_window;
use crate::store::{lifecycle, Object};
use serde_json::Value;
use std::sync::Arc;

/// The value of path parameter `name` (empty when the operation has none by that name).
pub fn path_param<'a>(call: &'a Call, name: &str) -> &'a str {
    call.request
        .path
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The stored object of `kind` named by path parameter `param`: `Ok(None)` when it is unknown
/// and ids are lenient; the real API's 404 (`No such {what} object: …`) when it was deleted,
/// or is unknown and ids are strict.
pub fn lookup(
    call: &Call,
    kind: &str,
    param: &str,
    what: &str,
) -> Result<Option<Arc<Object>>, ApiError> {
    call.store
        .lookup(call.namespace, kind, path_param(call, param), what)
}

/// An object as a client sees it now: its body with the lifecycle stages that have begun.
pub fn current(object: &Object) -> Value {
    if object.extra.get(lifecycle::STAGES).is_none() {
        return object.body.clone();
    }
    lifecycle::view(
        &object.body,
        &lifecycle::stages(&object.extra),
        lifecycle::now_ms(),
    )
}

/// Fills the list envelope `answer` (as generated for the operation) with one page of
/// `items` (in creation order), as the query's `limit`, `order` (else `default_order`),
/// `after` and `before` ask (see [`page_window`]).
pub fn page(call: &Call, items: Vec<Value>, answer: &mut Value, default_order: &str) {
    let id_of = |item: &Value| item.get("id").and_then(Value::as_str).map(str::to_string);
    let (items, has_more) = page_window(
        items,
        |item: &Value| item.get("id").and_then(Value::as_str),
        &call.request.query,
        default_order,
    );
    let first = items.first().and_then(id_of);
    let last = items.last().and_then(id_of);
    let Some(envelope) = answer.as_object_mut() else {
        return;
    };
    envelope.insert("object".into(), Value::from("list"));
    envelope.insert("data".into(), Value::Array(items));
    if envelope.contains_key("has_more") {
        envelope.insert("has_more".into(), Value::Bool(has_more));
    }
    for (key, id) in [("first_id", first), ("last_id", last)] {
        if envelope.contains_key(key) {
            envelope.insert(key.into(), id.map_or(Value::Null, Value::String));
        }
    }
    // An empty page has no first or last id: the real API sends null, which some list
    // schemas do not allow; an empty string keeps those answers valid.
    if !schema_valid(call, answer) {
        for key in ["first_id", "last_id"] {
            if let Some(value) = answer.get_mut(key).filter(|v| v.is_null()) {
                *value = Value::String(String::new());
            }
        }
    }
}

/// Whether `answer` validates against the operation's response schema.
fn schema_valid(call: &Call, answer: &Value) -> bool {
    call.op
        .response
        .schema
        .and_then(|index| call.catalog.schemas.validator(index))
        .is_none_or(|validator| validator.is_valid(answer))
}

/// Sets `key` of an object body; a body that is not an object (an odd import) is left alone.
pub fn set(body: &mut Value, key: &str, value: Value) {
    if let Some(map) = body.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}

/// `metadata` key/value pairs an object must carry to be listed (`metadata[key]=value` in
/// a list query, or a `metadata` object in a request body).
#[derive(Debug, Clone, Default)]
pub struct MetadataFilter(Vec<(String, Value)>);

impl MetadataFilter {
    /// The pairs of `metadata` (none when it is absent or not an object).
    pub fn of(metadata: Option<&Value>) -> MetadataFilter {
        MetadataFilter(
            metadata
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        )
    }

    /// Whether `object`'s `metadata` has every pair.
    pub fn matches(&self, object: &Value) -> bool {
        self.0
            .iter()
            .all(|(key, value)| object.get("metadata").and_then(|m| m.get(key)) == Some(value))
    }
}

/// The list query's `metadata[key]=value` filter.
pub fn metadata_filters(call: &Call) -> MetadataFilter {
    MetadataFilter::of(call.request.query.get("metadata"))
}
