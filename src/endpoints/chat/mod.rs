//! `POST /chat/completions`: answers that read the conversation.
//!
//! The endpoint builds the whole answer ([`Endpoint::whole_answer`]: no generated instance):
//! the fields the real API always sends, in its order (`id`, `object`, `created`, `model`,
//! `choices`, `usage`, `service_tier`, `system_fingerprint`), plus `metadata` when the request
//! sends it. What they say is decided here from the request:
//! - each of the `n` choices is a text reply ([`text::reply`]), a JSON instance of
//!   `response_format`'s schema (or a JSON object for `json_object`), or tool calls chosen
//!   by [`tools::select`] (legacy `functions` give a `function_call`);
//! - `stop` cuts the text before the first stop sequence; `max_completion_tokens` /
//!   `max_tokens` cut it to that many tokens with `finish_reason: "length"`;
//! - `logprobs` / `top_logprobs` describe exactly the returned tokens;
//! - `usage` counts with the model's tokenizer: 3 tokens per message plus its role, content
//!   and name (1 more for a name), 3 to prime the reply, and the tool definitions;
//!   reasoning models (o-series, gpt-5) add reasoning tokens, which come out of the token
//!   budget first but never take more than half of it.
//!
//! With `web_search_options`, the text is composed from a web search and cites its pages
//! (`web_search`).
//!
//! When a named tool is forced, `finish_reason` is `"stop"` (as the real API does);
//! otherwise tool calls finish with `"tool_calls"` and legacy calls with `"function_call"`.

pub mod stored;
mod stream;
mod web_search;

use crate::endpoints::endpoint::{Call as EndpointCall, Endpoint};
use crate::endpoints::models;
use crate::error::ApiError;
use crate::generate::{echo_fits, fnv1a, new_id, Generator, Rng};
use crate::services::conversation::{content_text, Conversation};
use crate::services::model::script::{self, Scripted};
use crate::services::model::structured::{json_mode_schema, Instances};
use crate::services::model::text::{self, Context};
use crate::services::model::tools::{self, Call, Choice, Tool};
use crate::services::model::{logprobs, prediction};
use crate::services::tokens::Encoding;
use crate::validate::{semantic, ValidRequest};
use base64::Engine;
use serde_json::{json, Map, Value};

/// The request fields that decide what the answer says ([`Endpoint::content_fields`]).
pub const CONTENT_FIELDS: &[&str] = &[
    "model",
    "messages",
    "tools",
    "tool_choice",
    "functions",
    "function_call",
    "response_format",
    "seed",
    "parallel_tool_calls",
    "modalities",
    "audio",
    "prediction",
    "reasoning_effort",
];

/// `POST /chat/completions`.
pub const ENDPOINT: Endpoint = Endpoint {
    ops: &["createChatCompletion"],
    check: |call| {
        models::check_body_model(call)?;
        check(call.request)?;
        semantic::chat(&call.request.body, !call.store.settings.strict_ids)
    },
    content_fields: Some(CONTENT_FIELDS),
    shape: shape_call,
    stream: |call, answer| answer.map(|answer| stream::chunks(answer, call.request)),
    whole_answer: true,
    ..Endpoint::GENERIC
};

fn shape_call(call: &EndpointCall, answer: &mut Value, generator: &mut Generator<'_>) {
    shape(call.request, call.script, answer, generator);
    // `metadata` comes back when the request sends it (a stored completion always has it).
    let metadata = call.request.body.get("metadata");
    if let (Some(metadata), Value::Object(object)) = (metadata, &mut *answer) {
        if echo_fits(call.catalog, call.op, "metadata", metadata) {
            object.insert("metadata".into(), metadata.clone());
        }
    }
    if let Some(script) = call.script {
        script::use_chat_call_ids(script, answer);
    } else {
        let messages = call.request.body.get("messages").and_then(Value::as_array);
        let context = context_of(messages.map_or(&[][..], Vec::as_slice));
        web_search::apply(call.request, &context.last_user, answer);
    }
    if stored::wanted(call) {
        stored::keep(call, answer);
    }
}

/// Tokens added per message, and to prime the assistant's reply.
pub const TOKENS_PER_MESSAGE: usize = 3;
/// Tokens added when a message has a `name`.
pub const TOKENS_PER_NAME: usize = 1;
/// Tokens an image part costs at `detail: low`; other details cost [`IMAGE_TOKENS_HIGH`].
pub const IMAGE_TOKENS_LOW: usize = 85;
/// Tokens an image part costs at `detail: high` or `auto` (a 1024×1024 image).
pub const IMAGE_TOKENS_HIGH: usize = 765;

/// Whether `model` is a reasoning model (o-series or gpt-5, but not the `-chat` variants).
pub fn is_reasoning_model(model: &str) -> bool {
    let model = model.strip_prefix("ft:").unwrap_or(model);
    let o_series = model.len() > 1
        && model.starts_with('o')
        && model[1..].starts_with(|c: char| c.is_ascii_digit());
    (o_series || model.starts_with("gpt-5")) && !model.contains("chat")
}

/// The reasoning tokens a reasoning model spends for `effort` (before the budget cap).
pub fn reasoning_tokens(model: &str, effort: Option<&str>, rng: &mut Rng) -> usize {
    if !is_reasoning_model(model) {
        return 0;
    }
    let base = match effort {
        Some("none" | "minimal") => return 0,
        Some("low") => 64,
        Some("high" | "xhigh") => 448,
        _ => 192,
    };
    base + 64 * rng.below(3) as usize
}

/// Refuses what the real endpoint refuses although the schema allows it:
/// `json_object` output without the word "json" in the messages, and a `tool_choice` that
/// forces a tool when there are no tools or names one the request does not offer.
pub fn check(request: &ValidRequest) -> Result<(), ApiError> {
    let body = &request.body;
    if body
        .pointer("/response_format/type")
        .and_then(Value::as_str)
        == Some("json_object")
    {
        let mentions_json = body
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|m| {
                content_text(m.get("content"))
                    .to_lowercase()
                    .contains("json")
            });
        if !mentions_json {
            return Err(ApiError::invalid_request(
                "'messages' must contain the word 'json' in some form, to use 'response_format' \
                 of type 'json_object'.",
            )
            .with_param("messages"));
        }
    }
    let tools = list(body.get("tools"), Tool::from_chat);
    check_tool_choice(
        &Choice::from_chat(body.get("tool_choice")),
        &tools,
        "tools",
        "tool_choice",
    )?;
    if body.get("functions").is_some() {
        let functions = list(body.get("functions"), Tool::from_legacy_function);
        check_tool_choice(
            &Choice::from_legacy(body.get("function_call")),
            &functions,
            "functions",
            "function_call",
        )?;
    }
    Ok(())
}

/// A forcing `choice` needs tools, and a named one must be among them.
pub fn check_tool_choice(
    choice: &Choice,
    tools: &[Tool],
    tools_param: &str,
    choice_param: &str,
) -> Result<(), ApiError> {
    let forcing = matches!(choice, Choice::Required | Choice::Named(_))
        || matches!(choice, Choice::Allowed { required: true, .. });
    if forcing && tools.is_empty() {
        return Err(ApiError::invalid_request(format!(
            "Invalid value for '{choice_param}': '{choice_param}' is only allowed when \
             '{tools_param}' are specified."
        ))
        .with_param(choice_param)
        .with_code("invalid_value"));
    }
    if let Choice::Named(name) = choice {
        if !tools.iter().any(|tool| &tool.name == name) {
            return Err(ApiError::invalid_request(format!(
                "Invalid value for '{choice_param}': no tool named '{name}' is in \
                 '{tools_param}'."
            ))
            .with_param(choice_param)
            .with_code("invalid_value"));
        }
    }
    Ok(())
}

/// What one choice says.
struct Answer {
    content: Option<String>,
    calls: Vec<Call>,
    legacy_call: bool,
    finish_reason: &'static str,
    reasoning_tokens: usize,
    completion_tokens: usize,
}

/// Builds the chat completion answering `request` into `answer` (whatever `answer` held is
/// replaced).
pub fn shape(
    request: &ValidRequest,
    script: Option<&Scripted>,
    answer: &mut Value,
    generator: &mut Generator<'_>,
) {
    let body = &request.body;
    let model = request.body_str("model").unwrap_or("gpt-4o");
    let encoding = Encoding::for_model(model);
    let empty = Vec::new();
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let context = context_of(messages);
    let now = generator.now();
    let base_seed = generator.rng.next_u64();

    let legacy = body.get("functions").is_some_and(Value::is_array);
    let (tool_list, choice) = if legacy {
        (
            list(body.get("functions"), Tool::from_legacy_function),
            Choice::from_legacy(body.get("function_call")),
        )
    } else {
        (
            list(body.get("tools"), Tool::from_chat),
            Choice::from_chat(body.get("tool_choice")),
        )
    };
    let parallel =
        !legacy && body.get("parallel_tool_calls").and_then(Value::as_bool) != Some(false);
    let limit = body
        .get("max_completion_tokens")
        .or_else(|| body.get("max_tokens"))
        .and_then(Value::as_u64)
        .map(|l| l as usize);
    let stops = text::stop_sequences(body.get("stop"));
    let wants_logprobs = body.get("logprobs").and_then(Value::as_bool) == Some(true);
    let top_logprobs = body
        .get("top_logprobs")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let n = body
        .get("n")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .clamp(1, 128) as usize;
    let effort = body.get("reasoning_effort").and_then(Value::as_str);
    let audio = audio_request(body);

    let predicted = content_text(body.pointer("/prediction/content"));
    let edit = (!predicted.is_empty())
        .then(|| prediction::edited(&predicted, &context.last_user))
        .flatten();
    let mut choices = Vec::with_capacity(n);
    let mut completion_total = 0;
    let mut reasoning_total = 0;
    let mut first_content = None;
    for index in 0..n {
        let mut rng = Rng::new(fnv1a(&[
            &base_seed.to_le_bytes(),
            &(index as u64).to_le_bytes(),
        ]));
        let mut reasoning = reasoning_tokens(model, effort, &mut rng);
        let budget = limit.map(|limit| {
            reasoning = reasoning.min(limit / 2);
            limit - reasoning
        });
        let selected = match script {
            Some(_) => Vec::new(),
            None => tools::select(&tool_list, &choice, &context, parallel),
        };
        let answer = if let Some(scripted) = script {
            scripted_answer(encoding, scripted, legacy, &stops, budget, reasoning)
        } else if selected.is_empty() {
            let text = match &edit {
                Some(edited) => edited.clone(),
                None => compose(body, &context, now, &mut rng),
            };
            text_answer(encoding, &text, &stops, budget, reasoning)
        } else {
            let calls = tools::calls(&selected, &context, parallel, now, &mut rng);
            call_answer(
                encoding,
                calls,
                legacy,
                choice.is_named(),
                budget,
                reasoning,
            )
        };
        completion_total += answer.completion_tokens;
        reasoning_total += answer.reasoning_tokens;
        if index == 0 {
            first_content = answer.content.clone();
        }
        let mut message = Map::new();
        message.insert("role".into(), json!("assistant"));
        let mut content = answer.content.clone().map_or(Value::Null, Value::String);
        if let (Some(format), Some(transcript)) = (&audio, &answer.content) {
            message.insert(
                "audio".into(),
                audio_output(format, transcript, now, &mut rng),
            );
            content = Value::Null;
        }
        message.insert("content".into(), content);
        message.insert("refusal".into(), Value::Null);
        if !answer.calls.is_empty() {
            if answer.legacy_call {
                if let Some(call) = answer.calls.first() {
                    message.insert(
                        "function_call".into(),
                        json!({"name": call.name, "arguments": call.input}),
                    );
                }
            } else {
                let calls: Vec<Value> = answer
                    .calls
                    .iter()
                    .map(|call| tool_call_value(call, &mut rng))
                    .collect();
                message.insert("tool_calls".into(), Value::Array(calls));
            }
        }
        message.insert("annotations".into(), json!([]));
        let logprobs = if wants_logprobs {
            let content = answer
                .content
                .as_deref()
                .filter(|_| audio.is_none())
                .map(|text| {
                    let entries = logprobs::for_text(encoding, text, top_logprobs, &mut rng);
                    Value::Array(entries.iter().map(|e| e.to_chat()).collect())
                })
                .unwrap_or(Value::Null);
            json!({"content": content, "refusal": null})
        } else {
            Value::Null
        };
        choices.push(json!({
            "index": index,
            "message": message,
            "logprobs": logprobs,
            "finish_reason": answer.finish_reason,
        }));
    }

    let prompt_tokens = prompt_tokens(encoding, messages, &tool_list);
    let (accepted, rejected) = prediction_tokens(encoding, body, first_content.as_deref());
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_total,
        "total_tokens": prompt_tokens + completion_total,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning_total,
            "audio_tokens": 0,
            "accepted_prediction_tokens": accepted,
            "rejected_prediction_tokens": rejected,
        },
    });
    let tier = match body.get("service_tier").and_then(Value::as_str) {
        None | Some("auto") => "default",
        Some(tier) => tier,
    };
    let id = new_id(&mut generator.rng, "chatcmpl-");
    let fingerprint = format!("fp_{}", generator.rng.hex(10));
    // The fields the real API always sends, in its order.
    *answer = json!({
        "id": id,
        "object": "chat.completion",
        "created": now,
        "model": model,
        "choices": choices,
        "usage": usage,
        "service_tier": tier,
        "system_fingerprint": fingerprint,
    });
}

fn list(value: Option<&Value>, parse: fn(&Value) -> Option<Tool>) -> Vec<Tool> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(parse).collect())
        .unwrap_or_default()
}

/// The conversation's context: system prompt, last user message, and the tool results
/// that follow it.
pub fn context_of(messages: &[Value]) -> Context {
    Context::of(&Conversation::of_items(messages, None))
}

/// The full (uncut) text of one choice: JSON for structured formats, prose otherwise.
fn compose(body: &Value, context: &Context, now: i64, rng: &mut Rng) -> String {
    let reply = text::reply(context, rng);
    structured_text(body.get("response_format"), context, &reply, now, rng).unwrap_or(reply)
}

/// The text for a `json_schema` / `json_object` format (chat `response_format` or the
/// Responses API's `text.format`), or `None` for plain text.
pub fn structured_text(
    format: Option<&Value>,
    context: &Context,
    reply: &str,
    now: i64,
    rng: &mut Rng,
) -> Option<String> {
    let format = format?;
    match format.get("type").and_then(Value::as_str)? {
        "json_schema" => {
            // Chat nests the schema under `json_schema`; the Responses API does not.
            let schema = format
                .pointer("/json_schema/schema")
                .or_else(|| format.get("schema"))
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"}));
            let mut instances =
                Instances::new(&schema, context, reply, now, Rng::new(rng.next_u64()));
            Some(instances.instance().to_string())
        }
        "json_object" => {
            // The keys the prompt names, typed by their names; else a topic and an answer.
            if let Some(schema) = json_mode_schema(&[&context.system, &context.last_user]) {
                let mut instances =
                    Instances::new(&schema, context, reply, now, Rng::new(rng.next_u64()));
                return Some(instances.instance().to_string());
            }
            let mut object = Map::new();
            if let Some(topic) = context.topic() {
                object.insert("topic".into(), json!(topic));
            }
            object.insert("answer".into(), json!(reply));
            Some(Value::Object(object).to_string())
        }
        _ => None,
    }
}

fn text_answer(
    encoding: Encoding,
    text: &str,
    stops: &[String],
    budget: Option<usize>,
    reasoning: usize,
) -> Answer {
    let (text, _) = text::cut_at_stop(text, stops);
    let (text, cut) = match budget {
        Some(budget) => text::truncate_tokens(encoding, &text, budget),
        None => (text, false),
    };
    let tokens = encoding.count(&text);
    Answer {
        content: Some(text),
        calls: Vec::new(),
        legacy_call: false,
        finish_reason: if cut { "length" } else { "stop" },
        reasoning_tokens: reasoning,
        completion_tokens: tokens + reasoning,
    }
}

/// The answer a scenario rule scripted (see [`super::scripted`]): its tool calls, and its
/// text as the content, cut by `stop` and the token budget like composed text.
fn scripted_answer(
    encoding: Encoding,
    scripted: &Scripted,
    legacy: bool,
    stops: &[String],
    budget: Option<usize>,
    reasoning: usize,
) -> Answer {
    let calls = script::calls(scripted);
    let text = scripted.text.as_deref();
    if calls.is_empty() {
        return text_answer(encoding, text.unwrap_or(""), stops, budget, reasoning);
    }
    let mut answer = call_answer(encoding, calls, legacy, false, budget, reasoning);
    if let Some(text) = text {
        answer.completion_tokens += encoding.count(text);
        answer.content = Some(text.to_string());
    }
    answer
}

fn call_answer(
    encoding: Encoding,
    mut calls: Vec<Call>,
    legacy: bool,
    forced: bool,
    budget: Option<usize>,
    reasoning: usize,
) -> Answer {
    if legacy {
        calls.truncate(1);
    }
    let mut tokens = 0;
    let mut cut = false;
    for call in &mut calls {
        let cost = encoding.count(&call.name) + encoding.count(&call.input);
        if let Some(budget) = budget {
            let left = budget.saturating_sub(tokens + encoding.count(&call.name));
            if cost > budget.saturating_sub(tokens) {
                call.input = text::truncate_tokens(encoding, &call.input, left).0;
                cut = true;
                tokens = budget;
                break;
            }
        }
        tokens += cost;
    }
    let finish_reason = if cut {
        "length"
    } else if forced {
        "stop"
    } else if legacy {
        "function_call"
    } else {
        "tool_calls"
    };
    Answer {
        content: None,
        calls,
        legacy_call: legacy,
        finish_reason,
        reasoning_tokens: reasoning,
        completion_tokens: tokens + reasoning,
    }
}

fn tool_call_value(call: &Call, rng: &mut Rng) -> Value {
    let id = new_id(rng, "call_");
    if call.custom {
        json!({"id": id, "type": "custom", "custom": {"name": call.name, "input": call.input}})
    } else {
        json!({"id": id, "type": "function", "function": {"name": call.name, "arguments": call.input}})
    }
}

/// The requested audio output format, when `modalities` asks for audio.
fn audio_request(body: &Value) -> Option<String> {
    let modalities = body.get("modalities")?.as_array()?;
    if !modalities.iter().any(|m| m.as_str() == Some("audio")) {
        return None;
    }
    let format = body
        .pointer("/audio/format")
        .and_then(Value::as_str)
        .unwrap_or("wav");
    Some(if format == "pcm16" { "pcm" } else { format }.to_string())
}

fn audio_output(format: &str, transcript: &str, now: i64, rng: &mut Rng) -> Value {
    let media = crate::generate::media::speech(format);
    json!({
        "id": new_id(rng, "audio_"),
        "expires_at": now + 3_600,
        "data": base64::engine::general_purpose::STANDARD.encode(media.bytes),
        "transcript": transcript,
    })
}

/// Prompt tokens of `messages` and the tool definitions, as documented in the module notes.
pub fn prompt_tokens(encoding: Encoding, messages: &[Value], tools: &[Tool]) -> usize {
    let mut total = TOKENS_PER_MESSAGE;
    for message in messages {
        total += TOKENS_PER_MESSAGE;
        if let Some(role) = message.get("role").and_then(Value::as_str) {
            total += encoding.count(role);
        }
        total += content_tokens(encoding, message.get("content"));
        if let Some(name) = message.get("name").and_then(Value::as_str) {
            total += encoding.count(name) + TOKENS_PER_NAME;
        }
        let calls = message.get("tool_calls").and_then(Value::as_array);
        for call in calls.into_iter().flatten() {
            let function = call.get("function").or_else(|| call.get("custom"));
            for key in ["name", "arguments", "input"] {
                if let Some(text) = function.and_then(|f| f.get(key)).and_then(Value::as_str) {
                    total += encoding.count(text);
                }
            }
        }
        if let Some(call) = message.get("function_call") {
            for key in ["name", "arguments"] {
                if let Some(text) = call.get(key).and_then(Value::as_str) {
                    total += encoding.count(text);
                }
            }
        }
    }
    total + tools_tokens(encoding, tools)
}

/// Tokens for tool definitions: name, description and parameter schema of each, plus a
/// small fixed overhead (an approximation of how the real API renders them).
pub fn tools_tokens(encoding: Encoding, tools: &[Tool]) -> usize {
    if tools.is_empty() {
        return 0;
    }
    let per_tool: usize = tools
        .iter()
        .map(|tool| {
            let parameters = tool
                .parameters
                .as_ref()
                .map_or(String::new(), crate::services::canonical_json);
            8 + encoding.count(&tool.name)
                + encoding.count(&tool.description)
                + encoding.count(&parameters)
        })
        .sum();
    12 + per_tool
}

/// Tokens of a message `content`: text parts by the tokenizer, images by detail.
pub fn content_tokens(encoding: Encoding, content: Option<&Value>) -> usize {
    match content {
        Some(Value::String(text)) => encoding.count(text),
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|part| match part.get("type").and_then(Value::as_str) {
                Some("image_url" | "input_image") => {
                    let detail = part
                        .pointer("/image_url/detail")
                        .or_else(|| part.get("detail"))
                        .and_then(Value::as_str);
                    if detail == Some("low") {
                        IMAGE_TOKENS_LOW
                    } else {
                        IMAGE_TOKENS_HIGH
                    }
                }
                _ => part
                    .get("text")
                    .or_else(|| part.get("refusal"))
                    .and_then(Value::as_str)
                    .map_or(0, |text| encoding.count(text)),
            })
            .sum(),
        _ => 0,
    }
}

/// Accepted and rejected prediction tokens ([`prediction::accounting`]).
fn prediction_tokens(encoding: Encoding, body: &Value, content: Option<&str>) -> (usize, usize) {
    let predicted = content_text(body.pointer("/prediction/content"));
    if predicted.is_empty() {
        return (0, 0);
    }
    let predicted = encoding.encode(&predicted);
    let produced = encoding.encode(content.unwrap_or(""));
    prediction::accounting(&predicted, &produced)
}

#[cfg(test)]
mod tests;
