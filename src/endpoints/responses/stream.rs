//! Streamed `/responses`: the typed event sequence (`response.created` ...
//! `response.completed`, or `response.incomplete`) built from the non-streamed answer, with
//! `sequence_number`s counting up from 0, including reasoning-summary, function-call-argument
//! and custom-tool-input events for those output items, the `file_search_call` progress
//! events (other hosted tools' events: `hosted::events`), and an
//! `output_text.annotation.added` event for each annotation of a text.

use super::hosted;
use crate::services::sse::{
    deltas_with_logprobs, fragments, token_deltas, ARGUMENT_FRAGMENT_CHARS,
};
use serde_json::{json, Value};

/// The `/responses` events of `answer`; `sequence_number` is filled in order at the end. A
/// background response starts `queued`.
pub fn event_values(answer: &Value) -> Vec<Value> {
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let mut events: Vec<Value> = Vec::new();
    let mut pending = answer.clone();
    if let Value::Object(object) = &mut pending {
        object.insert("status".into(), json!("in_progress"));
        object.insert("output".into(), json!([]));
        object.insert("completed_at".into(), Value::Null);
        object.insert("incomplete_details".into(), Value::Null);
        // The real API sends `usage: null` here; the spec's schema has no null usage.
        object.remove("usage");
    }
    if answer.get("background").and_then(Value::as_bool) == Some(true) {
        let mut queued = pending.clone();
        queued["status"] = json!("queued");
        events.push(json!({"type": "response.created", "response": queued}));
        events.push(json!({"type": "response.queued", "response": queued}));
    } else {
        events.push(json!({"type": "response.created", "response": pending}));
    }
    events.push(json!({"type": "response.in_progress", "response": pending}));
    let empty = Vec::new();
    for (output_index, item) in answer
        .get("output")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
        .iter()
        .enumerate()
    {
        let item_id = item.get("id").cloned().unwrap_or(json!(""));
        let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
        let mut started = item.clone();
        if let Value::Object(object) = &mut started {
            if object.contains_key("status") {
                object.insert("status".into(), json!("in_progress"));
            }
            match kind {
                "message" => {
                    object.insert("content".into(), json!([]));
                }
                "function_call" => {
                    object.insert("arguments".into(), json!(""));
                }
                "custom_tool_call" => {
                    object.insert("input".into(), json!(""));
                }
                "reasoning" => {
                    object.insert("summary".into(), json!([]));
                }
                "file_search_call" => {
                    object.insert("results".into(), Value::Null);
                }
                _ => hosted::events::started(kind, object),
            }
        }
        events.push(json!({"type": "response.output_item.added", "output_index": output_index, "item": started}));
        match kind {
            "message" => {
                for (content_index, part) in item
                    .get("content")
                    .and_then(Value::as_array)
                    .unwrap_or(&empty)
                    .iter()
                    .enumerate()
                {
                    let at = PartAt {
                        item_id: &item_id,
                        output_index,
                        content_index,
                    };
                    text_part_events(&mut events, model, &at, part);
                }
            }
            "reasoning" => {
                for (summary_index, part) in item
                    .get("summary")
                    .and_then(Value::as_array)
                    .unwrap_or(&empty)
                    .iter()
                    .enumerate()
                {
                    let text = part.get("text").and_then(Value::as_str).unwrap_or("");
                    let at = json!({"item_id": item_id, "output_index": output_index, "summary_index": summary_index});
                    let with = |kind: &str, extra: Value| merged(&at, kind, extra);
                    events.push(with(
                        "response.reasoning_summary_part.added",
                        json!({"part": {"type": "summary_text", "text": ""}}),
                    ));
                    for piece in token_deltas(model, text) {
                        events.push(with(
                            "response.reasoning_summary_text.delta",
                            json!({"delta": piece}),
                        ));
                    }
                    events.push(with(
                        "response.reasoning_summary_text.done",
                        json!({"text": text}),
                    ));
                    events.push(with(
                        "response.reasoning_summary_part.done",
                        json!({"part": {"type": "summary_text", "text": text}}),
                    ));
                }
            }
            "function_call" => {
                let arguments = item.get("arguments").and_then(Value::as_str).unwrap_or("");
                for fragment in fragments(arguments, ARGUMENT_FRAGMENT_CHARS) {
                    events.push(json!({
                        "type": "response.function_call_arguments.delta", "item_id": item_id,
                        "output_index": output_index, "delta": fragment,
                    }));
                }
                events.push(json!({
                    "type": "response.function_call_arguments.done", "item_id": item_id,
                    "output_index": output_index, "arguments": arguments,
                    "name": item.get("name"),
                }));
            }
            "custom_tool_call" => {
                let input = item.get("input").and_then(Value::as_str).unwrap_or("");
                for fragment in fragments(input, ARGUMENT_FRAGMENT_CHARS) {
                    events.push(json!({
                        "type": "response.custom_tool_call_input.delta", "item_id": item_id,
                        "output_index": output_index, "delta": fragment,
                    }));
                }
                events.push(json!({
                    "type": "response.custom_tool_call_input.done", "item_id": item_id,
                    "output_index": output_index, "input": input,
                }));
            }
            "file_search_call" => {
                for stage in ["in_progress", "searching", "completed"] {
                    events.push(json!({
                        "type": format!("response.file_search_call.{stage}"),
                        "item_id": item_id, "output_index": output_index,
                    }));
                }
            }
            _ => hosted::events::progress(&mut events, answer, item, output_index),
        }
        events.push(json!({"type": "response.output_item.done", "output_index": output_index, "item": item}));
    }
    let terminal = match answer.get("status").and_then(Value::as_str) {
        Some("failed") => "response.failed",
        Some("incomplete") => "response.incomplete",
        _ => "response.completed",
    };
    events.push(json!({"type": terminal, "response": answer}));
    events
        .into_iter()
        .enumerate()
        .map(|(sequence, mut event)| {
            if let Value::Object(object) = &mut event {
                object.insert("sequence_number".into(), json!(sequence));
            }
            event
        })
        .collect()
}

/// `at` with `type: kind` and the fields of `extra`.
fn merged(at: &Value, kind: &str, extra: Value) -> Value {
    let mut event = at.clone();
    if let (Value::Object(event), Value::Object(extra)) = (&mut event, extra) {
        event.insert("type".into(), json!(kind));
        event.extend(extra);
    }
    event
}

/// Where a content part sits in a `/responses` output.
struct PartAt<'v> {
    item_id: &'v Value,
    output_index: usize,
    content_index: usize,
}

/// A logprob entry of an `output_text` part in the streaming form (no `bytes`).
fn stream_logprob(entry: &Value) -> Value {
    let top: Vec<Value> = entry
        .get("top_logprobs")
        .and_then(Value::as_array)
        .map(|top| {
            top.iter()
                .map(|t| json!({"token": t.get("token"), "logprob": t.get("logprob")}))
                .collect()
        })
        .unwrap_or_default();
    json!({"token": entry.get("token"), "logprob": entry.get("logprob"), "top_logprobs": top})
}

fn text_part_events(events: &mut Vec<Value>, model: &str, at: &PartAt<'_>, part: &Value) {
    let at = json!({"item_id": at.item_id, "output_index": at.output_index, "content_index": at.content_index});
    let with = |kind: &str, extra: Value| merged(&at, kind, extra);
    let kind = part.get("type").and_then(Value::as_str).unwrap_or("");
    let (text_key, delta_event, done_event) = match kind {
        "output_text" => (
            "text",
            "response.output_text.delta",
            "response.output_text.done",
        ),
        "refusal" => ("refusal", "response.refusal.delta", "response.refusal.done"),
        _ => {
            events.push(with("response.content_part.added", json!({"part": part})));
            events.push(with("response.content_part.done", json!({"part": part})));
            return;
        }
    };
    let text = part.get(text_key).and_then(Value::as_str).unwrap_or("");
    let mut empty_part = part.clone();
    if let Value::Object(object) = &mut empty_part {
        object.insert(text_key.into(), json!(""));
        if object.contains_key("annotations") {
            object.insert("annotations".into(), json!([]));
        }
        if object.contains_key("logprobs") {
            object.insert("logprobs".into(), json!([]));
        }
    }
    events.push(with(
        "response.content_part.added",
        json!({"part": empty_part}),
    ));
    let entries = part.get("logprobs").and_then(Value::as_array);
    let mut all_logprobs = Vec::new();
    for (piece, logprobs) in deltas_with_logprobs(model, text, entries) {
        let mut extra = json!({"delta": piece});
        if kind == "output_text" {
            let logprobs: Vec<Value> = logprobs
                .unwrap_or_default()
                .iter()
                .map(stream_logprob)
                .collect();
            all_logprobs.extend(logprobs.iter().cloned());
            extra["logprobs"] = Value::Array(logprobs);
        }
        events.push(with(delta_event, extra));
    }
    for (annotation_index, annotation) in part
        .get("annotations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        events.push(with(
            "response.output_text.annotation.added",
            json!({"annotation_index": annotation_index, "annotation": annotation}),
        ));
    }
    let mut extra = json!({ text_key: text });
    if kind == "output_text" {
        extra["logprobs"] = Value::Array(all_logprobs);
    }
    events.push(with(done_event, extra));
    events.push(with("response.content_part.done", json!({"part": part})));
}
