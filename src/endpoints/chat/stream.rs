//! Streamed chat completions: `chat.completion.chunk` events built from the non-streamed
//! answer, so the deltas join into exactly it. Text arrives a few tokens per chunk (with its
//! logprobs when the answer has them), tool calls as `id` + `name` then argument fragments,
//! then a chunk with `finish_reason`, a usage chunk with empty `choices` when
//! `stream_options.include_usage` is set, and `data: [DONE]`.

use crate::services::sse::{
    deltas_with_logprobs, fragments, include_usage, token_deltas, Event, ARGUMENT_FRAGMENT_CHARS,
};
use crate::validate::ValidRequest;
use serde_json::{json, Map, Value};

/// The `chat.completion.chunk` events of `answer`, ending with `data: [DONE]`.
pub fn chunks(answer: &Value, request: &ValidRequest) -> Vec<Event> {
    let include_usage = include_usage(&request.body);
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let mut base = Map::new();
    for key in [
        "id",
        "created",
        "model",
        "service_tier",
        "system_fingerprint",
    ] {
        if let Some(value) = answer.get(key) {
            base.insert(key.into(), value.clone());
        }
    }
    base.insert("object".into(), json!("chat.completion.chunk"));
    // Every chunk starts with the same fields: they are serialised once, and each chunk adds
    // only its `choices` (and `"usage": null` when usage comes last).
    let mut prefix = Value::Object(base.clone()).to_string();
    prefix.pop();
    prefix.push_str(if base.is_empty() {
        "\"choices\":"
    } else {
        ",\"choices\":"
    });
    let suffix = if include_usage {
        ",\"usage\":null}"
    } else {
        "}"
    };
    let chunk = |choices: Value| {
        let choices = choices.to_string();
        let mut data = String::with_capacity(prefix.len() + choices.len() + suffix.len());
        data.push_str(&prefix);
        data.push_str(&choices);
        data.push_str(suffix);
        Event { name: None, data }
    };
    let delta = |index: &Value, delta: Value, logprobs: Value, finish: Value| json!([{ "index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish }]);
    let mut events = Vec::new();
    let empty = Vec::new();
    for choice in answer
        .get("choices")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
    {
        let index = choice.get("index").cloned().unwrap_or(json!(0));
        let message = choice.get("message").cloned().unwrap_or(json!({}));
        let content = message.get("content").and_then(Value::as_str);
        let opening = json!({
            "role": "assistant",
            "content": if content.is_some() { json!("") } else { Value::Null },
            "refusal": null,
        });
        events.push(chunk(delta(&index, opening, Value::Null, Value::Null)));
        if let Some(content) = content {
            let entries = choice
                .pointer("/logprobs/content")
                .and_then(Value::as_array);
            for (piece, logprobs) in deltas_with_logprobs(model, content, entries) {
                let logprobs = logprobs.map_or(
                    Value::Null,
                    |entries| json!({"content": entries, "refusal": null}),
                );
                events.push(chunk(delta(
                    &index,
                    json!({ "content": piece }),
                    logprobs,
                    Value::Null,
                )));
            }
        }
        if let Some(refusal) = message.get("refusal").and_then(Value::as_str) {
            for piece in token_deltas(model, refusal) {
                events.push(chunk(delta(
                    &index,
                    json!({ "refusal": piece }),
                    Value::Null,
                    Value::Null,
                )));
            }
        }
        for (i, call) in message
            .get("tool_calls")
            .and_then(Value::as_array)
            .unwrap_or(&empty)
            .iter()
            .enumerate()
        {
            if let Some(custom) = call.get("custom") {
                // The chunk schema only knows function calls; a custom call comes whole.
                let whole =
                    json!({"tool_calls": [{"index": i, "id": call.get("id"), "custom": custom}]});
                events.push(chunk(delta(&index, whole, Value::Null, Value::Null)));
                continue;
            }
            let name = call.pointer("/function/name").cloned().unwrap_or(json!(""));
            let arguments = call
                .pointer("/function/arguments")
                .and_then(Value::as_str)
                .unwrap_or("");
            let opening = json!({"tool_calls": [{
                "index": i, "id": call.get("id"), "type": "function",
                "function": {"name": name, "arguments": ""}
            }]});
            events.push(chunk(delta(&index, opening, Value::Null, Value::Null)));
            for fragment in fragments(arguments, ARGUMENT_FRAGMENT_CHARS) {
                let part =
                    json!({"tool_calls": [{"index": i, "function": {"arguments": fragment}}]});
                events.push(chunk(delta(&index, part, Value::Null, Value::Null)));
            }
        }
        if let Some(call) = message.get("function_call") {
            let arguments = call.get("arguments").and_then(Value::as_str).unwrap_or("");
            let opening = json!({"function_call": {"name": call.get("name"), "arguments": ""}});
            events.push(chunk(delta(&index, opening, Value::Null, Value::Null)));
            for fragment in fragments(arguments, ARGUMENT_FRAGMENT_CHARS) {
                let part = json!({"function_call": {"arguments": fragment}});
                events.push(chunk(delta(&index, part, Value::Null, Value::Null)));
            }
        }
        let finish = choice
            .get("finish_reason")
            .cloned()
            .unwrap_or(json!("stop"));
        events.push(chunk(delta(&index, json!({}), Value::Null, finish)));
    }
    if include_usage {
        let mut last = base.clone();
        last.insert("choices".into(), json!([]));
        last.insert(
            "usage".into(),
            answer.get("usage").cloned().unwrap_or(Value::Null),
        );
        events.push(Event::data(&Value::Object(last)));
    }
    events.push(Event::done());
    events
}
