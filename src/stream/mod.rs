//! Server-sent event sequences, built from the same answer as the non-streamed response.
//!
//! - Chat and legacy completions stream `chat.completion.chunk` / `text_completion` chunks
//!   and end with `data: [DONE]`; joining the deltas gives the non-streamed answer. Text
//!   arrives in deltas of [`TOKENS_PER_DELTA`] tokens (with their logprobs when the answer
//!   has them), tool calls as `id` + `name` then argument fragments, then a chunk with
//!   `finish_reason`, and a usage chunk with empty `choices` when
//!   `stream_options.include_usage` is set.
//! - `/responses` streams the typed event sequence (`response.created` ...
//!   `response.completed`, or `response.incomplete`) with `sequence_number`s counting up
//!   from 0, including reasoning-summary, function-call-argument and custom-tool-input
//!   events for those output items.
//! - Other streaming operations (speech, transcription, image generation and edits) send
//!   one instance of each event variant the spec lists, in spec order (deltas, then done).

use crate::behave::tokens::Encoding;
use crate::catalog::{Catalog, Operation};
use crate::generate::Generator;
use crate::validate::ValidRequest;
use serde_json::{json, Map, Value};

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The `event:` field, when the API names its events.
    pub name: Option<String>,
    /// The `data:` payload.
    pub data: String,
}

impl Event {
    fn data(value: &Value) -> Event {
        Event {
            name: None,
            data: value.to_string(),
        }
    }

    fn typed(value: &Value) -> Event {
        Event {
            name: value
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_string),
            data: value.to_string(),
        }
    }

    fn done() -> Event {
        Event {
            name: None,
            data: "[DONE]".into(),
        }
    }

    /// The event in wire format, ending with the blank line.
    pub fn encode(&self) -> String {
        match &self.name {
            Some(name) => format!("event: {name}\ndata: {}\n\n", self.data),
            None => format!("data: {}\n\n", self.data),
        }
    }
}

/// Whether `request` asks `op` for a streamed answer.
pub fn is_requested(op: &Operation, request: &ValidRequest) -> bool {
    match op.id.as_str() {
        "createSpeech" => request.body.get("stream_format").and_then(Value::as_str) == Some("sse"),
        "createCompletion" => request.wants_stream(),
        _ => op.stream.is_some() && request.wants_stream(),
    }
}

/// The events answering `request`, given the non-streamed `answer` when there is one.
pub fn events<'a>(
    catalog: &'a Catalog,
    op: &Operation,
    request: &ValidRequest,
    answer: Option<&Value>,
    generator: &mut Generator<'a>,
) -> Vec<Event> {
    if let Some(events) = crate::behave::stream_events(op, request, answer) {
        return events.iter().map(Event::typed).collect();
    }
    match (op.id.as_str(), answer) {
        ("createChatCompletion", Some(answer)) => chat_chunks(answer, request),
        ("createCompletion", Some(answer)) => completion_chunks(answer, request),
        ("createResponse", Some(answer)) => response_events(answer),
        _ => variant_events(catalog, op, generator),
    }
}

/// Splits text into small deltas of a few words each, keeping the separators.
pub fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut words = 0;
    for ch in text.chars() {
        current.push(ch);
        if ch == ' ' {
            words += 1;
            if words == 2 {
                out.push(std::mem::take(&mut current));
                words = 0;
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Tokens per content delta: the real API sends one to a few tokens per chunk.
pub const TOKENS_PER_DELTA: usize = 3;

/// Characters per fragment of streamed tool-call arguments.
pub const ARGUMENT_FRAGMENT_CHARS: usize = 8;

/// Splits `text` into deltas of [`TOKENS_PER_DELTA`] tokens of `model`'s tokenizer;
/// joined, they give `text` back.
pub fn token_deltas(model: &str, text: &str) -> Vec<String> {
    Encoding::for_model(model)
        .pieces(text)
        .chunks(TOKENS_PER_DELTA)
        .map(|group| group.concat())
        .collect()
}

/// The deltas of `text` paired with the logprob entries of their tokens, when `entries`
/// (one per token, in the answer's form) spell out exactly `text`.
fn deltas_with_logprobs(
    model: &str,
    text: &str,
    entries: Option<&Vec<Value>>,
) -> Vec<(String, Option<Vec<Value>>)> {
    if let Some(entries) = entries.filter(|e| !e.is_empty()) {
        let tokens: Option<Vec<&str>> = entries
            .iter()
            .map(|e| e.get("token").and_then(Value::as_str))
            .collect();
        if tokens.as_ref().is_some_and(|t| t.concat() == text) {
            return entries
                .chunks(TOKENS_PER_DELTA)
                .map(|group| {
                    let delta: String = group
                        .iter()
                        .filter_map(|e| e.get("token").and_then(Value::as_str))
                        .collect();
                    (delta, Some(group.to_vec()))
                })
                .collect();
        }
    }
    token_deltas(model, text)
        .into_iter()
        .map(|delta| (delta, None))
        .collect()
}

fn include_usage(request: &ValidRequest) -> bool {
    request
        .body
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        == Some(true)
}

fn chat_chunks(answer: &Value, request: &ValidRequest) -> Vec<Event> {
    let include_usage = include_usage(request);
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
    let chunk = |choices: Value| {
        let mut chunk = base.clone();
        chunk.insert("choices".into(), choices);
        if include_usage {
            chunk.insert("usage".into(), Value::Null);
        }
        Value::Object(chunk)
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
    let mut events: Vec<Event> = events.iter().map(Event::data).collect();
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

/// Splits a string into fragments of at most `size` characters.
fn fragments(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(size.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// The legacy logprobs arrays restricted to `range` (the tokens of one delta).
fn legacy_logprobs_slice(logprobs: &Value, range: std::ops::Range<usize>) -> Value {
    let mut out = Map::new();
    for key in ["tokens", "token_logprobs", "top_logprobs", "text_offset"] {
        let slice = logprobs
            .get(key)
            .and_then(Value::as_array)
            .and_then(|items| items.get(range.clone()))
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        out.insert(key.into(), Value::Array(slice));
    }
    Value::Object(out)
}

fn completion_chunks(answer: &Value, request: &ValidRequest) -> Vec<Event> {
    let include_usage = include_usage(request);
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let mut events = Vec::new();
    let empty = Vec::new();
    // Unlike chat chunks, the completion schema has no nullable `usage`: only the last
    // chunk carries it.
    let base = |choices: Value| {
        json!({
            "id": answer.get("id"), "object": "text_completion", "created": answer.get("created"),
            "model": answer.get("model"), "system_fingerprint": answer.get("system_fingerprint"),
            "choices": choices,
        })
    };
    for choice in answer
        .get("choices")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
    {
        let index = choice.get("index").cloned().unwrap_or(json!(0));
        let text = choice.get("text").and_then(Value::as_str).unwrap_or("");
        let logprobs = choice.get("logprobs").filter(|l| !l.is_null());
        let tokens: Option<Vec<&str>> = logprobs
            .and_then(|l| l.get("tokens"))
            .and_then(Value::as_array)
            .and_then(|t| t.iter().map(Value::as_str).collect());
        // With logprobs, deltas follow their tokens so each chunk carries its own.
        let deltas: Vec<(String, Value)> = match (tokens, logprobs) {
            (Some(tokens), Some(logprobs)) if tokens.concat() == text && !tokens.is_empty() => (0
                ..tokens.len())
                .step_by(TOKENS_PER_DELTA)
                .map(|start| {
                    let end = (start + TOKENS_PER_DELTA).min(tokens.len());
                    (
                        tokens[start..end].concat(),
                        legacy_logprobs_slice(logprobs, start..end),
                    )
                })
                .collect(),
            _ => token_deltas(model, text)
                .into_iter()
                .map(|piece| (piece, Value::Null))
                .collect(),
        };
        for (piece, logprobs) in deltas {
            events.push(Event::data(&base(json!([{
                "index": index, "text": piece, "logprobs": logprobs, "finish_reason": null
            }]))));
        }
        let finish = choice
            .get("finish_reason")
            .cloned()
            .unwrap_or(json!("stop"));
        events.push(Event::data(&base(json!([{
            "index": index, "text": "", "logprobs": null, "finish_reason": finish
        }]))));
    }
    if include_usage {
        let mut last = base(json!([]));
        last["usage"] = answer.get("usage").cloned().unwrap_or(Value::Null);
        events.push(Event::data(&last));
    }
    events.push(Event::done());
    events
}

/// Builds `/responses` events; `sequence_number` is filled in order at the end.
fn response_events(answer: &Value) -> Vec<Event> {
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
    events.push(json!({"type": "response.created", "response": pending}));
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
                _ => {}
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
            _ => {}
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
            Event::typed(&event)
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
    let mut extra = json!({ text_key: text });
    if kind == "output_text" {
        extra["logprobs"] = Value::Array(all_logprobs);
    }
    events.push(with(done_event, extra));
    events.push(with("response.content_part.done", json!({"part": part})));
}

/// One event of each variant the operation's event schema lists, in spec order.
fn variant_events<'a>(
    catalog: &'a Catalog,
    op: &Operation,
    generator: &mut Generator<'a>,
) -> Vec<Event> {
    let Some(index) = op.stream else {
        return Vec::new();
    };
    let store = &catalog.schemas;
    let (schema, _) = store.resolve(store.target(index));
    let variants: Vec<&Value> = match schema.get("anyOf").and_then(Value::as_array) {
        Some(branches) => branches.iter().collect(),
        None => vec![schema],
    };
    variants
        .into_iter()
        .map(|variant| Event::typed(&generator.generate(variant)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_rejoin_to_the_text() {
        let text = "The quick brown fox jumps over the lazy dog.";
        let parts = pieces(text);
        assert!(parts.len() > 1);
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn token_deltas_rejoin_and_hold_a_few_tokens_each() {
        let text = "Streaming sends a few tokens at a time, like the real API.";
        let deltas = token_deltas("gpt-4o", text);
        assert_eq!(deltas.concat(), text);
        assert!(deltas
            .iter()
            .all(|d| (1..=TOKENS_PER_DELTA).contains(&Encoding::O200k.count(d))));
    }

    #[test]
    fn events_encode_in_sse_wire_format() {
        assert_eq!(Event::done().encode(), "data: [DONE]\n\n");
        let typed = Event::typed(&json!({"type": "response.created"}));
        assert_eq!(
            typed.encode(),
            "event: response.created\ndata: {\"type\":\"response.created\"}\n\n"
        );
    }
}
