//! `POST /responses` and `POST /responses/input_tokens`; the stored response's own
//! operations are in `resource`, the context a request continues (`previous_response_id`,
//! `conversation`) in `history`, what a create keeps (the store, background
//! lifecycles, conversation items) in `keep`, and the hosted tools (`file_search`, ...: their
//! output items and a message that uses their result) in `hosted`.
//!
//! The response object is built whole from the request ([`Endpoint::whole_answer`]: no
//! generated instance), with every field the real API always sends:
//! - `output` holds, in order, a `reasoning` item for reasoning models (o-series, gpt-5;
//!   with a summary when `reasoning.summary` is set), then either `function_call` /
//!   `custom_tool_call` items chosen by [`tools::select`], or one `message` with an
//!   `output_text` part (JSON valid against `text.format`'s schema when it has one);
//! - `instructions`, `metadata`, `tools`, `tool_choice`, `text`, `previous_response_id`,
//!   `conversation`, `temperature`, `top_p`, `truncation`, ... are echoed with the API's
//!   defaults, each only where it is valid in the answer (`generate::echo_fits`; an array
//!   keeps the items that are), so an echo never breaks the response schema;
//! - `max_output_tokens` caps reasoning plus output; when the text is cut the response is
//!   `incomplete` with `incomplete_details.reason: "max_output_tokens"`;
//! - `usage.input_tokens` is [`input_tokens`] (what `/responses/input_tokens` answers
//!   for the same body), `output_tokens` counts the output with the tokenizer plus
//!   reasoning tokens.

use crate::endpoints::chat::{
    self, content_tokens, is_reasoning_model, structured_text, tools_tokens,
};
use crate::services::conversation::Conversation;
use crate::services::model::text::{self, Context};
use crate::services::model::tools::{self, Choice, Tool};
use crate::services::model::{logprobs, reasoning};
use crate::services::tokens::Encoding;
pub mod history;
pub mod hosted;
pub mod keep;
pub mod resource;
mod stream;

use crate::endpoints::endpoint::{Call, Continuation, Endpoint};
use crate::endpoints::models;
use crate::error::ApiError;
use crate::generate::{echo_fits, new_id, Generator, Rng};
use crate::services::model::script::{self, Scripted};
use crate::services::sse::Event;
use crate::validate::{semantic, ValidRequest};
use serde_json::{json, Map, Value};

/// The request fields that decide what the answer says ([`Endpoint::content_fields`]).
pub const CONTENT_FIELDS: &[&str] = &[
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "text",
    "reasoning",
    "parallel_tool_calls",
    "prompt",
];

/// `POST /responses`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createResponse", "beta_createResponse"],
    check: |call| {
        models::check_body_model(call)?;
        check(call.request)?;
        history::check(call)?;
        check_items(call, !call.store.settings.strict_ids)
    },
    content_fields: Some(CONTENT_FIELDS),
    shape: shape_call,
    stream: |call, answer| {
        let answer = answer?;
        let values = stream::event_values(answer);
        keep::keep_events(call, answer, &values);
        Some(values.iter().map(Event::typed).collect())
    },
    typed_stream_errors: true,
    continuation: Some(continuation),
    polled: true,
    whole_answer: true,
    ..Endpoint::GENERIC
};

/// `POST /responses/input_tokens`.
pub const INPUT_TOKENS: Endpoint = Endpoint {
    ops: &["Getinputtokencounts", "beta_Getinputtokencounts"],
    content_fields: Some(CONTENT_FIELDS),
    check: history::check,
    shape: |call, answer, _| {
        let earlier = history::earlier_items(call);
        let body = history::full_body(&call.request.body, &earlier);
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_MODEL);
        let count = input_tokens(Encoding::for_model(model), &body);
        *answer = json!({"object": "response.input_tokens", "input_tokens": count});
    },
    whole_answer: true,
    ..Endpoint::GENERIC
};

/// `POST /responses`: the answer to the whole context (the stored chain or conversation,
/// then the input), kept as [`keep`] says.
fn shape_call(call: &Call, answer: &mut Value, generator: &mut Generator<'_>) {
    let fits = |name: &str, value: &Value| echo_fits(call.catalog, call.op, name, value);
    let earlier = history::earlier_items(call);
    if earlier.is_empty() {
        shape(call.request, call.script, answer, generator, &fits);
    } else {
        let full = ValidRequest {
            body: history::full_body(&call.request.body, &earlier).into_owned(),
            ..call.request.clone()
        };
        shape(&full, call.script, answer, generator, &fits);
    }
    if let Some(script) = call.script {
        script::use_response_call_ids(script, answer);
    }
    let mut rng = Rng::new(generator.rng.next_u64());
    let body = history::full_body(&call.request.body, &earlier);
    hosted::apply(call, &body, answer, &mut rng);
    keep::keep(call, answer, &mut rng);
}

/// The conversation a request continues: `conversation` (an id, or an object with one),
/// else the one the response named by `previous_response_id` belongs to.
fn continuation(request: &ValidRequest) -> Option<Continuation<'_>> {
    let body = &request.body;
    let named = match body.get("conversation") {
        Some(Value::String(id)) => Some(id.as_str()),
        Some(object) => object.get("id").and_then(Value::as_str),
        None => None,
    };
    if let Some(id) = named {
        return Some(Continuation::Conversation(id));
    }
    body.get("previous_response_id")
        .and_then(Value::as_str)
        .map(Continuation::Answer)
}

/// The model used when a request names none (`/responses/input_tokens` may omit it).
const DEFAULT_MODEL: &str = "gpt-4o";

/// Refuses what the real endpoint refuses although the schema allows it: `json_object`
/// text without the word "json" in the input or instructions, and a `tool_choice` that
/// forces a function when there are none or names one the request does not offer.
pub fn check(request: &ValidRequest) -> Result<(), ApiError> {
    let body = &request.body;
    if body.pointer("/text/format/type").and_then(Value::as_str) == Some("json_object") {
        let context = context_of(body);
        let input = match body.get("input") {
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        if !format!("{}{input}", context.system)
            .to_lowercase()
            .contains("json")
        {
            return Err(ApiError::invalid_request(
                "Response input messages must contain the word 'json' in some form to use \
                 'text.format' of type 'json_object'.",
            )
            .with_param("input"));
        }
    }
    let tools: Vec<Tool> = body
        .get("tools")
        .and_then(Value::as_array)
        .map(|tools| tools.iter().filter_map(Tool::from_responses).collect())
        .unwrap_or_default();
    let choice = Choice::from_responses(body.get("tool_choice"));
    // Hosted tools (web search, ...) can satisfy `required`; only a named function needs one.
    let hosted = body
        .get("tools")
        .and_then(Value::as_array)
        .is_some_and(|all| all.len() > tools.len());
    if !(hosted && choice == Choice::Required) {
        chat::check_tool_choice(&choice, &tools, "tools", "tool_choice")?;
    }
    Ok(())
}

/// The checks after the schema ([`semantic::responses`]) and the encrypted reasoning sent
/// back. Items before the input (a stored chain, a conversation) and item references are not
/// read here yet, so tool-call pairing skips requests that have them.
fn check_items(call: &Call, lenient: bool) -> Result<(), ApiError> {
    let body = &call.request.body;
    let input = body.get("input").and_then(Value::as_array);
    reasoning::check_encrypted(input.map_or(&[][..], Vec::as_slice))?;
    // Item references name stored items, which are not read here.
    let references = input.into_iter().flatten().any(|item| {
        item.get("type").and_then(Value::as_str) == Some("item_reference")
            || (item.get("type").is_none() && item.get("role").is_none())
    });
    if references {
        return semantic::responses(body, None, lenient);
    }
    let chained =
        body.get("previous_response_id").is_some() || history::conversation_id(body).is_some();
    if !chained {
        return semantic::responses(body, Some(&[]), lenient);
    }
    // Tool outputs pair with the calls of the stored chain or conversation; an id never
    // stored (lenient ids) gives nothing to pair against, so pairing is skipped.
    let earlier = history::earlier_items(call);
    semantic::responses(body, (!earlier.is_empty()).then_some(&earlier[..]), lenient)
}

/// Builds the response object answering `request` into `answer` (keeping an `id` it holds
/// with the `resp_` prefix), echoing a request field only where `fits` says it is valid in
/// the answer.
pub fn shape(
    request: &ValidRequest,
    script: Option<&Scripted>,
    answer: &mut Value,
    generator: &mut Generator<'_>,
    fits: &dyn Fn(&str, &Value) -> bool,
) {
    let body = &request.body;
    let model = request.body_str("model").unwrap_or(DEFAULT_MODEL);
    let encoding = Encoding::for_model(model);
    let context = context_of(body);
    let now = generator.now();
    let mut rng = Rng::new(generator.rng.next_u64());
    let tool_list: Vec<Tool> = body
        .get("tools")
        .and_then(Value::as_array)
        .map(|tools| tools.iter().filter_map(Tool::from_responses).collect())
        .unwrap_or_default();
    let choice = Choice::from_responses(body.get("tool_choice"));
    let parallel = body.get("parallel_tool_calls").and_then(Value::as_bool) != Some(false);
    let limit = body
        .get("max_output_tokens")
        .and_then(Value::as_u64)
        .map(|l| l as usize);
    let effort = body.pointer("/reasoning/effort").and_then(Value::as_str);
    let mut reasoning = chat::reasoning_tokens(model, effort, &mut rng);
    let budget = limit.map(|limit| {
        reasoning = reasoning.min(limit / 2);
        limit - reasoning
    });
    let include: Vec<&str> = body
        .get("include")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();

    let mut output = Vec::new();
    if is_reasoning_model(model) {
        output.push(reasoning_item(body, &context, &include, &mut rng));
    }
    let mut output_tokens = reasoning;
    let mut incomplete = false;
    // A scenario rule's scripted output replaces the composed text and the chosen tools.
    let scripted = script;
    let selected = match scripted {
        Some(_) => Vec::new(),
        None => tools::select(&tool_list, &choice, &context, parallel),
    };
    let scripted_calls = scripted.map(script::calls).unwrap_or_default();
    let scripted_text = scripted.and_then(|s| s.text.clone());
    if selected.is_empty() && (scripted_calls.is_empty() || scripted_text.is_some()) {
        let full = match scripted_text {
            Some(text) => text,
            None => {
                let reply = text::reply(&context, &mut rng);
                structured_text(
                    body.pointer("/text/format"),
                    &context,
                    &reply,
                    now,
                    &mut rng,
                )
                .unwrap_or(reply)
            }
        };
        let (visible, cut) = match budget {
            Some(budget) => text::truncate_tokens(encoding, &full, budget),
            None => (full, false),
        };
        incomplete = cut;
        output_tokens += encoding.count(&visible);
        let top = body
            .get("top_logprobs")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let logprobs: Vec<Value> = if include.contains(&"message.output_text.logprobs") {
            logprobs::for_text(encoding, &visible, top, &mut rng)
                .iter()
                .map(logprobs::TokenLogprob::to_chat)
                .collect()
        } else {
            Vec::new()
        };
        output.push(json!({
            "id": new_id(&mut rng, "msg_"),
            "type": "message",
            "status": if cut { "incomplete" } else { "completed" },
            "content": [{
                "type": "output_text",
                "annotations": [],
                "logprobs": logprobs,
                "text": visible,
            }],
            "role": "assistant",
        }));
    }
    if !selected.is_empty() || !scripted_calls.is_empty() {
        let calls = match scripted {
            Some(_) => scripted_calls,
            None => tools::calls(&selected, &context, parallel, now, &mut rng),
        };
        for call in calls {
            output_tokens += encoding.count(&call.name) + encoding.count(&call.input);
            let call_id = new_id(&mut rng, "call_");
            output.push(if call.custom {
                json!({
                    "id": new_id(&mut rng, "ctc_"),
                    "type": "custom_tool_call",
                    "status": "completed",
                    "call_id": call_id,
                    "input": call.input,
                    "name": call.name,
                })
            } else {
                json!({
                    "id": new_id(&mut rng, "fc_"),
                    "type": "function_call",
                    "status": "completed",
                    "arguments": call.input,
                    "call_id": call_id,
                    "name": call.name,
                })
            });
        }
    }

    let input_tokens = input_tokens(encoding, body);
    let usage = json!({
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    });
    let id = answer
        .get("id")
        .filter(|id| id.as_str().is_some_and(|id| id.starts_with("resp_")))
        .cloned()
        .unwrap_or_else(|| json!(new_id(&mut rng, "resp_")));
    let answer_parts = Parts {
        output,
        usage,
        incomplete,
    };
    *answer = response_object(body, model, id, now, answer_parts, fits);
}

/// What a response says: its output items, usage, and whether the output was cut.
struct Parts {
    output: Vec<Value>,
    usage: Value,
    incomplete: bool,
}

/// The response object around the output, echoing the request's settings where they are
/// valid in the answer (`fits`), else the API's defaults.
fn response_object(
    body: &Value,
    model: &str,
    id: Value,
    now: i64,
    parts: Parts,
    fits: &dyn Fn(&str, &Value) -> bool,
) -> Value {
    let Parts {
        output,
        usage,
        incomplete,
    } = parts;
    // An array that does not fit as a whole keeps the items that fit (`tools` without the
    // one whose `server_url` is not a URI).
    let echo = |key: &str, default: Value| match body.get(key) {
        None | Some(Value::Null) => default,
        Some(value) if fits(key, value) => value.clone(),
        Some(Value::Array(items)) => {
            let kept: Vec<Value> = items
                .iter()
                .filter(|item| fits(key, &Value::Array(vec![(*item).clone()])))
                .cloned()
                .collect();
            let kept = Value::Array(kept);
            if fits(key, &kept) {
                kept
            } else {
                default
            }
        }
        Some(_) => default,
    };
    let mut object = Map::new();
    object.insert("id".into(), id);
    object.insert("object".into(), json!("response"));
    object.insert("created_at".into(), json!(now));
    let status = if incomplete {
        "incomplete"
    } else {
        "completed"
    };
    object.insert("status".into(), json!(status));
    object.insert("background".into(), echo("background", json!(false)));
    object.insert(
        "completed_at".into(),
        if incomplete { Value::Null } else { json!(now) },
    );
    if let Some(conversation) = body.get("conversation").filter(|c| !c.is_null()) {
        let id = conversation
            .as_str()
            .or_else(|| conversation.get("id").and_then(Value::as_str))
            .unwrap_or_default();
        object.insert("conversation".into(), json!({ "id": id }));
    }
    object.insert("error".into(), Value::Null);
    object.insert(
        "incomplete_details".into(),
        if incomplete {
            json!({"reason": "max_output_tokens"})
        } else {
            Value::Null
        },
    );
    object.insert("instructions".into(), echo("instructions", Value::Null));
    object.insert(
        "max_output_tokens".into(),
        echo("max_output_tokens", Value::Null),
    );
    object.insert("max_tool_calls".into(), echo("max_tool_calls", Value::Null));
    object.insert("model".into(), json!(model));
    object.insert("output".into(), Value::Array(output));
    object.insert(
        "parallel_tool_calls".into(),
        echo("parallel_tool_calls", json!(true)),
    );
    object.insert(
        "previous_response_id".into(),
        echo("previous_response_id", Value::Null),
    );
    for key in [
        "prompt",
        "prompt_cache_key",
        "prompt_cache_retention",
        "safety_identifier",
        "user",
    ] {
        if let Some(value) = body.get(key).filter(|v| !v.is_null() && fits(key, v)) {
            object.insert(key.into(), value.clone());
        }
    }
    let reasoning = if is_reasoning_model(model) {
        json!({
            "effort": body.pointer("/reasoning/effort").cloned().unwrap_or(json!("medium")),
            "summary": body.pointer("/reasoning/summary").cloned().unwrap_or(Value::Null),
        })
    } else {
        Value::Null
    };
    object.insert("reasoning".into(), reasoning);
    let tier = match body.get("service_tier").and_then(Value::as_str) {
        None | Some("auto") => "default",
        Some(tier) => tier,
    };
    object.insert("service_tier".into(), json!(tier));
    object.insert("store".into(), echo("store", json!(true)));
    object.insert("temperature".into(), echo("temperature", json!(1.0)));
    let mut text = echo("text", json!({}));
    if let Value::Object(text) = &mut text {
        text.entry("format")
            .or_insert_with(|| json!({"type": "text"}));
        text.entry("verbosity").or_insert_with(|| json!("medium"));
    }
    object.insert("text".into(), text);
    object.insert("tool_choice".into(), echo("tool_choice", json!("auto")));
    let mut tools = echo("tools", json!([]));
    // The real API defaults a function tool's omitted `strict` to true.
    for tool in tools.as_array_mut().into_iter().flatten() {
        if let Value::Object(tool) = tool {
            if tool.get("type").and_then(Value::as_str) == Some("function") {
                tool.entry("strict").or_insert(Value::Bool(true));
            }
        }
    }
    object.insert("tools".into(), tools);
    object.insert("top_logprobs".into(), echo("top_logprobs", json!(0)));
    object.insert("top_p".into(), echo("top_p", json!(1.0)));
    object.insert("truncation".into(), echo("truncation", json!("disabled")));
    object.insert("usage".into(), usage);
    object.insert("metadata".into(), echo("metadata", json!({})));
    Value::Object(object)
}

fn reasoning_item(body: &Value, context: &Context, include: &[&str], rng: &mut Rng) -> Value {
    let setting = body
        .pointer("/reasoning/summary")
        .or_else(|| body.pointer("/reasoning/generate_summary"))
        .and_then(Value::as_str);
    let effort = body.pointer("/reasoning/effort").and_then(Value::as_str);
    let summary: Vec<Value> = setting
        .map(|setting| {
            let topic = context.topic().unwrap_or_else(|| "the request".into());
            reasoning::summary_parts(&topic, setting, effort)
                .into_iter()
                .map(|text| json!({"type": "summary_text", "text": text}))
                .collect()
        })
        .unwrap_or_default();
    let id = new_id(rng, "rs_");
    let mut item = json!({"id": id, "type": "reasoning", "summary": summary});
    if include.contains(&"reasoning.encrypted_content") {
        item["encrypted_content"] = json!(reasoning::seal(rng));
    }
    item
}

/// The conversation of a Responses request: `instructions` and system/developer messages,
/// the last user message, and the function outputs that follow it.
pub fn context_of(body: &Value) -> Context {
    Context::of(&Conversation::of(body))
}

/// Input tokens of a Responses request body: `instructions` as a system message, each
/// input message (3 tokens plus its role and content), each function call or output
/// (3 tokens plus its text), 3 to prime the reply, the tool definitions, and a
/// `json_schema` text format's schema.
pub fn input_tokens(encoding: Encoding, body: &Value) -> usize {
    let per_item = chat::TOKENS_PER_MESSAGE;
    let mut total = per_item;
    if let Some(instructions) = body.get("instructions").and_then(Value::as_str) {
        total += per_item + encoding.count("system") + encoding.count(instructions);
    }
    match body.get("input") {
        Some(Value::String(text)) => {
            total += per_item + encoding.count("user") + encoding.count(text)
        }
        Some(Value::Array(items)) => {
            for item in items {
                total += per_item;
                if let Some(role) = item.get("role").and_then(Value::as_str) {
                    total += encoding.count(role) + content_tokens(encoding, item.get("content"));
                    continue;
                }
                for key in ["name", "arguments", "input"] {
                    if let Some(text) = item.get(key).and_then(Value::as_str) {
                        total += encoding.count(text);
                    }
                }
                match item.get("output") {
                    Some(Value::String(text)) => total += encoding.count(text),
                    Some(parts @ Value::Array(_)) => total += content_tokens(encoding, Some(parts)),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    let tools: Vec<Tool> = body
        .get("tools")
        .and_then(Value::as_array)
        .map(|tools| tools.iter().filter_map(Tool::from_responses).collect())
        .unwrap_or_default();
    total += tools_tokens(encoding, &tools);
    if let Some(schema) = body.pointer("/text/format/schema") {
        total += encoding.count(&crate::services::canonical_json(schema));
    }
    total
}
