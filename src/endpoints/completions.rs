//! `POST /completions` (legacy): continuations of one or more prompts.
//!
//! - `prompt` may be a string, an array of strings, an array of token ids or an array of
//!   token-id arrays (decoded with the model's tokenizer); an absent prompt is empty.
//! - Each prompt gets `n` choices, indexed prompt by prompt. With `best_of`, that many
//!   candidates are written per prompt and the `n` with the highest total log probability
//!   are returned; `usage.completion_tokens` counts every candidate, as the real API bills.
//! - `max_tokens` (default 16) cuts the text with `finish_reason: "length"`; `stop` cuts it
//!   before the first stop sequence.
//! - `echo` puts the prompt in front of the text (and its tokens in front of `logprobs`).
//! - `suffix` is counted in the prompt tokens, and the completion ends with a space when
//!   the suffix starts with a word, so that prompt + text + suffix reads on.
//! - `logprobs: k` gives the legacy parallel arrays with `k` alternatives per token.

use crate::endpoints::endpoint::Endpoint;
use crate::endpoints::models;
use crate::generate::{fnv1a, Generator, Rng};
use crate::services::model::logprobs::{self, TokenLogprob};
use crate::services::model::script::Scripted;
use crate::services::model::text;
use crate::services::sse::{include_usage, token_deltas, Event, TOKENS_PER_DELTA};
use crate::services::tokens::Encoding;
use crate::validate::ValidRequest;
use serde_json::{json, Map, Value};

/// The request fields that decide what the answer says ([`Endpoint::content_fields`]).
pub const CONTENT_FIELDS: &[&str] = &["model", "prompt", "suffix", "seed"];

/// `POST /completions`. The SDKs stream it although the spec declares no event schema.
pub const ENDPOINT: Endpoint = Endpoint {
    ops: &["createCompletion"],
    check: models::check_body_model,
    content_fields: Some(CONTENT_FIELDS),
    shape: |call, answer, generator| shape(call.request, call.script, answer, generator),
    wants_stream: |call| call.request.wants_stream(),
    stream: |call, answer| answer.map(|answer| chunks(answer, call.request)),
    ..Endpoint::GENERIC
};

/// `max_tokens` when the request does not set it.
pub const DEFAULT_MAX_TOKENS: usize = 16;

/// The prompts of a request, decoded to text, with their token counts.
pub fn prompts(encoding: Encoding, prompt: Option<&Value>) -> Vec<(String, usize)> {
    let text = |t: &str| (t.to_string(), encoding.count(t));
    let tokens = |ids: &[Value]| {
        let ids: Vec<u32> = ids
            .iter()
            .filter_map(Value::as_u64)
            .map(|id| id as u32)
            .collect();
        (encoding.decode(&ids), ids.len())
    };
    match prompt {
        Some(Value::String(prompt)) => vec![text(prompt)],
        Some(Value::Array(items)) if items.iter().all(Value::is_string) && !items.is_empty() => {
            items.iter().filter_map(Value::as_str).map(text).collect()
        }
        Some(Value::Array(items)) if items.iter().all(Value::is_array) && !items.is_empty() => {
            items
                .iter()
                .filter_map(Value::as_array)
                .map(|ids| tokens(ids))
                .collect()
        }
        Some(Value::Array(items)) if !items.is_empty() => vec![tokens(items)],
        _ => vec![text("")],
    }
}

struct Candidate {
    text: String,
    finish_reason: &'static str,
    tokens: usize,
    entries: Vec<TokenLogprob>,
    score: f64,
}

/// Shapes the generated text completion into the answer for `request`.
pub fn shape(
    request: &ValidRequest,
    script: Option<&Scripted>,
    answer: &mut Value,
    generator: &mut Generator<'_>,
) {
    let body = &request.body;
    let model = request
        .body_str("model")
        .unwrap_or("gpt-3.5-turbo-instruct");
    let encoding = Encoding::for_model(model);
    let prompts = prompts(encoding, body.get("prompt"));
    let n = body
        .get("n")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .clamp(1, 128) as usize;
    let best_of = body
        .get("best_of")
        .and_then(Value::as_u64)
        .map_or(n, |b| b as usize)
        .max(n);
    let max_tokens = body
        .get("max_tokens")
        .and_then(Value::as_u64)
        .map_or(DEFAULT_MAX_TOKENS, |m| m as usize);
    let stops = text::stop_sequences(body.get("stop"));
    let echo = body.get("echo").and_then(Value::as_bool) == Some(true);
    let top = body
        .get("logprobs")
        .and_then(Value::as_u64)
        .map(|k| k as usize);
    let suffix = body.get("suffix").and_then(Value::as_str).unwrap_or("");
    let base_seed = generator.rng.next_u64();
    // A scenario rule's scripted text replaces the composed continuation.
    let scripted = script.and_then(|s| s.text.as_deref());

    let mut choices = Vec::new();
    let mut completion_tokens = 0;
    let mut prompt_tokens = 0;
    for (prompt_index, (prompt, prompt_count)) in prompts.iter().enumerate() {
        prompt_tokens += prompt_count + encoding.count(suffix);
        let mut candidates: Vec<Candidate> = (0..best_of)
            .map(|candidate| {
                let mut rng = Rng::new(fnv1a(&[
                    &base_seed.to_le_bytes(),
                    &(prompt_index as u64).to_le_bytes(),
                    &(candidate as u64).to_le_bytes(),
                ]));
                write(
                    encoding, prompt, suffix, &stops, max_tokens, scripted, &mut rng,
                )
            })
            .collect();
        completion_tokens += candidates.iter().map(|c| c.tokens).sum::<usize>();
        if best_of > n {
            candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        for (choice_index, candidate) in candidates.into_iter().take(n).enumerate() {
            let mut rng = Rng::new(fnv1a(&[&base_seed.to_le_bytes(), b"echo"]));
            let logprobs = top.map_or(Value::Null, |top| {
                let mut entries = if echo {
                    logprobs::for_text(encoding, prompt, top, &mut rng)
                } else {
                    Vec::new()
                };
                entries.extend(candidate.entries.iter().map(|e| trim_top(e, top)));
                logprobs::legacy(&entries, 0)
            });
            let text = if echo {
                format!("{prompt}{}", candidate.text)
            } else {
                candidate.text
            };
            choices.push(json!({
                "text": text,
                "index": prompt_index * n + choice_index,
                "logprobs": logprobs,
                "finish_reason": candidate.finish_reason,
            }));
        }
    }
    let Value::Object(object) = answer else {
        return;
    };
    object.insert("object".into(), json!("text_completion"));
    object.insert("model".into(), json!(model));
    object.insert("choices".into(), Value::Array(choices));
    object.insert(
        "usage".into(),
        json!({
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }),
    );
}

fn trim_top(entry: &TokenLogprob, top: usize) -> TokenLogprob {
    let mut entry = entry.clone();
    entry.top.truncate(top);
    entry
}

/// One candidate continuation of `prompt`.
fn write(
    encoding: Encoding,
    prompt: &str,
    suffix: &str,
    stops: &[String],
    max_tokens: usize,
    scripted: Option<&str>,
    rng: &mut Rng,
) -> Candidate {
    let mut full = scripted.map_or_else(|| text::continuation(prompt, rng), str::to_string);
    if suffix.starts_with(char::is_alphanumeric) && !full.ends_with(char::is_whitespace) {
        full.push(' ');
    }
    let (stopped, _) = text::cut_at_stop(&full, stops);
    let (text, cut) = text::truncate_tokens(encoding, &stopped, max_tokens);
    let entries = logprobs::for_text(encoding, &text, 5, rng);
    let score = entries.iter().map(|e| e.logprob).sum();
    Candidate {
        tokens: encoding.count(&text),
        text,
        finish_reason: if cut { "length" } else { "stop" },
        entries,
        score,
    }
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

/// The `text_completion` chunks of a streamed legacy completion, ending with `data: [DONE]`.
pub fn chunks(answer: &Value, request: &ValidRequest) -> Vec<Event> {
    let include_usage = include_usage(&request.body);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_in_every_form() {
        let encoding = Encoding::Cl100k;
        let ids: Vec<Value> = encoding
            .encode("Hello world")
            .into_iter()
            .map(Value::from)
            .collect();
        assert_eq!(
            prompts(encoding, Some(&Value::Array(ids.clone()))),
            [("Hello world".to_string(), 2)]
        );
        assert_eq!(prompts(encoding, Some(&json!([ids, ids]))).len(), 2);
        assert_eq!(
            prompts(encoding, Some(&json!(["a", "b c"]))),
            [("a".to_string(), 1), ("b c".to_string(), 2)]
        );
        assert_eq!(prompts(encoding, None), [(String::new(), 0)]);
    }
}
