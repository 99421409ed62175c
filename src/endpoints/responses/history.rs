//! What a `/responses` request continues: the items of the stored chain named by
//! `previous_response_id` (each earlier response's input items, then its output, oldest
//! first), or the items of the stored `conversation`. [`full_body`] is the request with that
//! history in front of its own `input`, so the reply, `usage.input_tokens` and
//! `/responses/input_tokens` all see the whole context. Earlier `instructions` are not
//! carried over, as in the real API.
//!
//! [`input_items`] turns a request's `input` into stored items (`msg_…` ids, a `status`,
//! typed content parts), the form `input_items` lists and conversations keep.

use crate::endpoints::endpoint::Call;
use crate::endpoints::stored::current;
use crate::error::ApiError;
use crate::generate::{new_id, prefix_for_type, Rng};
use crate::store::{Found, Object};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::sync::Arc;

/// The store kind of stored responses.
pub const RESPONSE: &str = "response";
/// The store kind of conversations.
pub const CONVERSATION: &str = "conversation";
/// The store kind of a conversation's items (their `parent` is the conversation).
pub const CONVERSATION_ITEM: &str = "conversation.item";
/// The key under a stored response's `extra` that holds its input items.
pub const INPUT_ITEMS: &str = "input_items";
/// How many earlier responses a chain may have before the rest is ignored.
const MAX_CHAIN: usize = 1000;

/// The conversation id a request names (`conversation` as a string or `{id}`).
pub fn conversation_id(body: &Value) -> Option<&str> {
    match body.get("conversation")? {
        Value::String(id) => Some(id),
        other => other.get("id").and_then(Value::as_str),
    }
}

/// The real API's 404 for a stored thing `what` (`Response`, `Conversation`) it cannot find.
pub fn missing(what: &str, id: &str) -> ApiError {
    ApiError::invalid_request(format!("{what} with id '{id}' not found.")).with_status(404)
}

/// The live object `kind`/`id`: `Ok(None)` when it was never created and ids are lenient,
/// `missing` when it was deleted, or is unknown and ids are strict.
pub fn find(
    call: &Call,
    kind: &str,
    id: &str,
    missing: impl Fn() -> ApiError,
) -> Result<Option<Arc<Object>>, ApiError> {
    match call.store.get(call.namespace, kind, id) {
        Found::Live(object) => Ok(Some(object)),
        Found::Deleted => Err(missing()),
        Found::Unknown if call.store.settings.strict_ids => Err(missing()),
        Found::Unknown => Ok(None),
    }
}

/// Refuses a request whose context cannot be found: both `previous_response_id` and
/// `conversation` (when strict, or when either names a stored object; lenient mode answers
/// made-up ids of both), an unknown or deleted previous response, an unknown or deleted
/// conversation.
pub fn check(call: &Call) -> Result<(), ApiError> {
    let body = &call.request.body;
    let previous = body.get("previous_response_id").and_then(Value::as_str);
    let conversation = conversation_id(body);
    let previous_found = previous
        .map(|id| {
            find(call, RESPONSE, id, || {
                ApiError::invalid_request(format!("Previous response with id '{id}' not found."))
                    .with_status(404)
                    .with_param("previous_response_id")
                    .with_code("previous_response_not_found")
            })
        })
        .transpose()?
        .flatten();
    let conversation_found = conversation
        .map(|id| {
            find(call, CONVERSATION, id, || {
                missing("Conversation", id).with_param("conversation")
            })
        })
        .transpose()?
        .flatten();
    let known = previous_found.is_some() || conversation_found.is_some();
    if previous.is_some() && conversation.is_some() && (call.store.settings.strict_ids || known) {
        return Err(ApiError::invalid_request(
            "Mutually exclusive parameters: Ensure you are only providing one of: \
             'previous_response_id' or 'conversation'.",
        )
        .with_code("mutually_exclusive_parameters"));
    }
    let background = body.get("background").and_then(Value::as_bool) == Some(true);
    if background && body.get("store").and_then(Value::as_bool) == Some(false) {
        return Err(ApiError::invalid_request(
            "Background mode requires `store` to be true: set `store: true` (the default) \
             or leave `background` off.",
        )
        .with_param("background"));
    }
    Ok(())
}

/// The items before this request: the stored chain of `previous_response_id`, else the
/// items of `conversation`, else none.
pub fn earlier_items(call: &Call) -> Vec<Value> {
    let body = &call.request.body;
    if let Some(id) = body.get("previous_response_id").and_then(Value::as_str) {
        return chain_items(call, id);
    }
    match conversation_id(body) {
        Some(id) => call
            .store
            .list(call.namespace, CONVERSATION_ITEM, Some(id))
            .iter()
            .map(|item| item.body.clone())
            .collect(),
        None => Vec::new(),
    }
}

/// The items of the chain ending at response `id`, oldest first: each response's input
/// items, then its output (as of now).
fn chain_items(call: &Call, id: &str) -> Vec<Value> {
    let mut turns: Vec<Vec<Value>> = Vec::new();
    let mut next = Some(id.to_string());
    while let Some(id) = next.take() {
        if turns.len() >= MAX_CHAIN {
            break;
        }
        let Found::Live(object) = call.store.get(call.namespace, RESPONSE, &id) else {
            break;
        };
        let body = current(&object);
        let mut items: Vec<Value> = stored_inputs(&object);
        if let Some(output) = body.get("output").and_then(Value::as_array) {
            items.extend(output.iter().cloned());
        }
        turns.push(items);
        next = body
            .get("previous_response_id")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    turns.into_iter().rev().flatten().collect()
}

/// The input items kept with a stored response.
pub fn stored_inputs(object: &Object) -> Vec<Value> {
    object
        .extra
        .get(INPUT_ITEMS)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The request body with `earlier` items in front of its `input` (the body itself when
/// there are none).
pub fn full_body<'a>(body: &'a Value, earlier: &[Value]) -> Cow<'a, Value> {
    if earlier.is_empty() {
        return Cow::Borrowed(body);
    }
    let mut items = earlier.to_vec();
    match body.get("input") {
        Some(Value::String(text)) => items.push(json!({"role": "user", "content": text})),
        Some(Value::Array(input)) => items.extend(input.iter().cloned()),
        _ => {}
    }
    let mut full = body.clone();
    if let Some(map) = full.as_object_mut() {
        map.insert("input".into(), Value::Array(items));
    }
    Cow::Owned(full)
}

/// The request's `input` as stored items: a string is one user message; messages get
/// `type`, an id, a `status` and typed content parts; other items get an id and a status
/// when they have none.
pub fn input_items(input: Option<&Value>, rng: &mut Rng) -> Vec<Value> {
    match input {
        Some(Value::String(text)) => vec![item(&json!({"role": "user", "content": text}), rng)],
        Some(Value::Array(items)) => items.iter().map(|i| item(i, rng)).collect(),
        _ => Vec::new(),
    }
}

/// One input item in its stored form (see [`input_items`]).
pub fn item(input: &Value, rng: &mut Rng) -> Value {
    let mut item = input.clone();
    let Some(map) = item.as_object_mut() else {
        return item;
    };
    let role = map.get("role").and_then(Value::as_str).map(str::to_string);
    if role.is_some() && !map.contains_key("type") {
        map.insert("type".into(), json!("message"));
    }
    let kind = map
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if kind == "item_reference" {
        return item;
    }
    if kind == "message" {
        let assistant = role.as_deref() == Some("assistant");
        let part = if assistant {
            "output_text"
        } else {
            "input_text"
        };
        let parts = match map.get("content") {
            Some(Value::String(text)) => vec![json!({"type": part, "text": text})],
            Some(Value::Array(parts)) => parts.clone(),
            _ => Vec::new(),
        };
        let parts = parts
            .into_iter()
            .map(|mut p| {
                if assistant && p.get("type").and_then(Value::as_str) == Some("output_text") {
                    if let Some(p) = p.as_object_mut() {
                        p.entry("annotations").or_insert_with(|| json!([]));
                        p.entry("logprobs").or_insert_with(|| json!([]));
                    }
                }
                p
            })
            .collect();
        map.insert("content".into(), Value::Array(parts));
    }
    let has_id = map
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| !id.is_empty());
    if !has_id {
        let prefix = prefix_for_type(&kind).unwrap_or("item_");
        map.insert("id".into(), json!(new_id(rng, prefix)));
    }
    if matches!(
        kind.as_str(),
        "message" | "function_call" | "function_call_output" | "custom_tool_call"
    ) {
        map.entry("status").or_insert_with(|| json!("completed"));
    }
    item
}

/// The page size of item lists when the query names no `limit`.
pub const DEFAULT_LIMIT: usize = 20;

/// Cuts a list page filled without a `limit` in the query to [`DEFAULT_LIMIT`] items, as
/// the real item lists do.
pub fn default_limit(call: &Call, answer: &mut Value) {
    if call.request.query.get("limit").is_some() {
        return;
    }
    let Some(data) = answer.get_mut("data").and_then(Value::as_array_mut) else {
        return;
    };
    if data.len() <= DEFAULT_LIMIT {
        return;
    }
    data.truncate(DEFAULT_LIMIT);
    let last = data.last().and_then(|i| i.get("id")).cloned();
    if let Some(map) = answer.as_object_mut() {
        map.insert("has_more".into(), Value::Bool(true));
        if let Some(last) = last {
            map.insert("last_id".into(), last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_input_is_one_user_message_with_an_id() {
        let items = input_items(Some(&json!("Hi")), &mut Rng::new(1));
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["type"], "message");
        assert_eq!(items[0]["role"], "user");
        assert_eq!(items[0]["status"], "completed");
        assert_eq!(
            items[0]["content"],
            json!([{"type": "input_text", "text": "Hi"}])
        );
        assert!(items[0]["id"].as_str().unwrap().starts_with("msg_"));
    }

    #[test]
    fn earlier_items_come_before_the_input() {
        let body = json!({"input": "second", "instructions": "Be brief."});
        let earlier = [json!({"role": "user", "content": "first"})];
        let full = full_body(&body, &earlier);
        assert_eq!(full["input"][0]["content"], "first");
        assert_eq!(full["input"][1]["content"], "second");
        assert_eq!(full["instructions"], "Be brief.");
    }
}
