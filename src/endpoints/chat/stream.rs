//! Streamed chat completions: `chat.completion.chunk` events built from the non-streamed
//! answer, so the deltas join into exactly it. Text arrives a few tokens per chunk (with its
//! logprobs when the answer has them), tool calls as `id` + `name` then argument fragments,
//! then a chunk with `finish_reason`, a usage chunk with empty `choices` when
//! `stream_options.include_usage` is set, and `data: [DONE]`.

use crate::services::sse::{
    deltas_with_logprobs, fragments, include_usage, token_delta_slices, token_deltas, Event,
    ARGUMENT_FRAGMENT_CHARS,
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
        let entries = choice
            .pointer("/logprobs/content")
            .and_then(Value::as_array)
            .filter(|entries| !entries.is_empty());
        if let (Some(content), None) = (content, entries) {
            // The common case, text without logprobs: each chunk is written straight into its
            // payload, with no JSON value built per chunk.
            for piece in token_delta_slices(model, content) {
                events.push(
                    text_chunk(&prefix, &index, piece, suffix).unwrap_or_else(|| {
                        chunk(delta(
                            &index,
                            json!({ "content": piece }),
                            Value::Null,
                            Value::Null,
                        ))
                    }),
                );
            }
        } else if let Some(content) = content {
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

/// The chunk of one text delta without logprobs, `prefix` + its `choices` + `suffix`, written
/// directly: byte for byte what serialising
/// `[{"index": i, "delta": {"content": piece}, "logprobs": null, "finish_reason": null}]`
/// gives. `None` only if serde_json refuses to write (it does not for numbers and strings).
fn text_chunk(prefix: &str, index: &Value, piece: &str, suffix: &str) -> Option<Event> {
    let mut data = Vec::with_capacity(prefix.len() + piece.len() + suffix.len() + 72);
    data.extend_from_slice(prefix.as_bytes());
    data.extend_from_slice(b"[{\"index\":");
    serde_json::to_writer(&mut data, index).ok()?;
    data.extend_from_slice(b",\"delta\":{\"content\":");
    serde_json::to_writer(&mut data, piece).ok()?;
    data.extend_from_slice(b"},\"logprobs\":null,\"finish_reason\":null}]");
    data.extend_from_slice(suffix.as_bytes());
    let data = String::from_utf8(data).ok()?;
    Some(Event { name: None, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_chunk_is_written_as_its_json_value_would_serialise() {
        let prefix = r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":"#;
        for piece in [
            "Hello",
            " \"quoted\"\n",
            "caf\u{e9} \u{1f600}",
            "\u{7}tab\t",
        ] {
            let written = text_chunk(prefix, &json!(2), piece, ",\"usage\":null}");
            let choices = json!([{"index": 2, "delta": {"content": piece}, "logprobs": null, "finish_reason": null}]);
            let expected = format!("{prefix}{choices},\"usage\":null}}");
            assert_eq!(written.map(|event| event.data), Some(expected));
        }
    }
}
