//! What `POST /responses` keeps: with `store` (the default) the response as answered, with
//! its input items, under the caller's namespace; a `background` response as its final
//! body behind a lifecycle (`queued`, then `in_progress`, then the final status with its
//! output and usage, over `lifecycle_ms`), and a background stream's events, for resuming
//! with `starting_after`. A response in a `conversation` appends its input and output
//! items to it.

use super::history::{self, CONVERSATION_ITEM, INPUT_ITEMS, RESPONSE};
use crate::endpoints::endpoint::Call;
use crate::generate::{new_id, prefix_for_type, Rng};
use crate::store::lifecycle::{self, Stage};
use crate::store::{Found, Object};
use serde_json::{json, Map, Value};

/// The key under a stored response's `extra` that holds its stream's events.
pub const EVENTS: &str = "events";

/// Whether the request runs in the background.
pub fn is_background(call: &Call) -> bool {
    call.request.body.get("background").and_then(Value::as_bool) == Some(true)
}

/// Keeps the response `answer` (and makes it `queued` when it runs in the background and
/// is not streamed), and appends its items to the request's conversation.
pub fn keep(call: &Call, answer: &mut Value, rng: &mut Rng) {
    let body = &call.request.body;
    let Some(id) = answer.get("id").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    let inputs = history::input_items(body.get("input"), rng);
    if let Some(conversation) = history::conversation_id(body) {
        let output = answer
            .get("output")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        append(call, conversation, inputs.iter().chain(&output), rng);
    }
    if body.get("store").and_then(Value::as_bool) == Some(false) {
        return;
    }
    let mut extra = Map::new();
    extra.insert(INPUT_ITEMS.into(), Value::Array(inputs));
    let mut extra = Value::Object(extra);
    if is_background(call) && !call.request.wants_stream() {
        let now = lifecycle::now_ms();
        let stages = background_stages(answer, now, call.store.settings.lifecycle_ms);
        lifecycle::set_stages(&mut extra, &stages);
        *answer = queued(answer);
    }
    let object = Object {
        extra,
        ..Object::new(RESPONSE, &id, answer.clone())
    };
    // A full store refuses the object; the answer is still given, as a response that was
    // not kept (the limit's 400 comes on later writes that can refuse).
    let _ = call.store.create(call.namespace, object);
}

/// Keeps the events of a background stream with its stored response.
pub fn keep_events(call: &Call, answer: &Value, events: &[Value]) {
    if !is_background(call) {
        return;
    }
    let Some(id) = answer.get("id").and_then(Value::as_str) else {
        return;
    };
    call.store.update(call.namespace, RESPONSE, id, |object| {
        if let Some(extra) = object.extra.as_object_mut() {
            extra.insert(EVENTS.into(), Value::Array(events.to_vec()));
        }
    });
}

/// A response as it is before it starts: `queued`, with no output or usage yet.
fn queued(answer: &Value) -> Value {
    let mut queued = answer.clone();
    if let Some(map) = queued.as_object_mut() {
        map.insert("status".into(), json!("queued"));
        map.insert("output".into(), json!([]));
        map.insert("completed_at".into(), Value::Null);
        map.insert("incomplete_details".into(), Value::Null);
        map.remove("usage");
    }
    queued
}

/// `in_progress` halfway through `total_ms`, then the final `answer` (its status, output,
/// usage and completion time) at the end.
fn background_stages(answer: &Value, now_ms: u64, total_ms: u64) -> Vec<Stage> {
    let done_ms = now_ms + total_ms;
    let mut done = Map::new();
    for key in ["status", "output", "usage", "incomplete_details"] {
        if let Some(value) = answer.get(key) {
            done.insert(key.into(), value.clone());
        }
    }
    let completed = answer.get("status").and_then(Value::as_str) == Some("completed");
    done.insert(
        "completed_at".into(),
        if completed {
            json!(done_ms / 1000)
        } else {
            Value::Null
        },
    );
    lifecycle::spread(
        now_ms,
        total_ms,
        vec![json!({"status": "in_progress"}), Value::Object(done)],
    )
}

/// Appends `items` to conversation `id` (when it is stored), each with an id of its own: an
/// item whose id the namespace already holds gets a fresh one.
pub fn append<'a>(
    call: &Call,
    conversation: &str,
    items: impl Iterator<Item = &'a Value>,
    rng: &mut Rng,
) -> Vec<Value> {
    let Found::Live(_) = call
        .store
        .get(call.namespace, history::CONVERSATION, conversation)
    else {
        return Vec::new();
    };
    let mut added = Vec::new();
    for item in items {
        let mut item = history::item(item, rng);
        let taken = item.get("id").and_then(Value::as_str).is_some_and(|id| {
            !matches!(
                call.store.get(call.namespace, CONVERSATION_ITEM, id),
                Found::Unknown
            )
        });
        if taken {
            let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
            let fresh = new_id(rng, prefix_for_type(kind).unwrap_or("item_"));
            item["id"] = json!(fresh);
        }
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let object = Object {
            parent: Some(conversation.to_string()),
            ..Object::new(CONVERSATION_ITEM, &id, item.clone())
        };
        if call.store.create(call.namespace, object).is_ok() {
            added.push(item);
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_background_response_shows_its_output_only_at_the_end() {
        let answer = json!({"id": "resp_1", "status": "completed", "output": [{"id": "msg_1"}],
            "usage": {"input_tokens": 1}, "completed_at": 5});
        let stages = background_stages(&answer, 1000, 300);
        let start = queued(&answer);
        assert_eq!(start["status"], "queued");
        assert!(start.get("usage").is_none());
        let middle = lifecycle::view(&start, &stages, 1200);
        assert_eq!(middle["status"], "in_progress");
        assert_eq!(middle["output"], json!([]));
        let end = lifecycle::view(&start, &stages, 1300);
        assert_eq!(end["status"], "completed");
        assert_eq!(end["output"], answer["output"]);
        assert_eq!(end["completed_at"], 1);
    }
}
