//! What the hosted tools do to the composed answer, shared: finding its message, putting a
//! tool's items before it with new text ([`say`]), replacing it with a call the client
//! executes ([`hand_over`]), and reading the earlier items of the turn ([`since_user`]).
//!
//! Usage stays coherent: `input_tokens` adds what the model read from a tool, and
//! `output_tokens` counts the new text (and the calls' arguments) instead of the replaced
//! text. `max_output_tokens` still cuts the new text (the response is then `incomplete`),
//! keeping only the annotations inside the kept text.

use crate::generate::Rng;
use crate::services::model::logprobs;
use crate::services::model::text;
use crate::services::tokens::Encoding;
use serde_json::{json, Value};

/// Output item types that end a turn with a call (no message follows them).
pub const CALLS: &[&str] = &[
    "function_call",
    "custom_tool_call",
    "computer_call",
    "shell_call",
    "local_shell_call",
    "apply_patch_call",
    "mcp_approval_request",
];

/// Where the answer's message is, when the answer is a message and calls no tool.
pub fn message_position(answer: &Value) -> Option<usize> {
    let output = answer.get("output").and_then(Value::as_array)?;
    let calls = output
        .iter()
        .any(|item| item["type"].as_str().is_some_and(|t| CALLS.contains(&t)));
    if calls {
        return None;
    }
    output.iter().position(|item| item["type"] == "message")
}

/// The items of `body`'s input after its last user message.
pub fn since_user(body: &Value) -> &[Value] {
    let Some(items) = body.get("input").and_then(Value::as_array) else {
        return &[];
    };
    let last_user = items.iter().rposition(|item| item["role"] == "user");
    &items[last_user.map_or(0, |i| i + 1)..]
}

/// The new text of the message and what the tool cost.
pub struct Said<'a> {
    /// The tokenizer of the answer's model.
    pub encoding: Encoding,
    /// The request (with its earlier turns): `max_output_tokens`, `top_logprobs`.
    pub body: &'a Value,
    /// The message's new text.
    pub text: &'a str,
    /// Its annotations (each with an `index` or `end_index` into the text).
    pub annotations: Vec<Value>,
    /// Tokens the model read from the tool's results.
    pub read: usize,
    /// Tokens the model wrote into the tool's items (arguments).
    pub written: usize,
}

/// Puts `items` before the message at `position`, gives the message the new text and its
/// annotations, and updates usage and status.
pub fn say(answer: &mut Value, position: usize, items: Vec<Value>, said: &Said, rng: &mut Rng) {
    let encoding = said.encoding;
    let reasoning = answer
        .pointer("/usage/output_tokens_details/reasoning_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let budget = said
        .body
        .get("max_output_tokens")
        .and_then(Value::as_u64)
        .map(|limit| (limit as usize).saturating_sub(reasoning + said.written));
    let (visible, cut) = match budget {
        Some(budget) => text::truncate_tokens(encoding, said.text, budget),
        None => (said.text.to_string(), false),
    };
    let length = visible.chars().count() as u64;
    let annotations: Vec<Value> = said
        .annotations
        .iter()
        .filter(|a| {
            a.get("end_index")
                .or_else(|| a.get("index"))
                .and_then(Value::as_u64)
                .is_some_and(|i| i <= length)
        })
        .cloned()
        .collect();
    let Some(message) = answer.pointer_mut(&format!("/output/{position}")) else {
        return;
    };
    let old = message
        .pointer("/content/0/text")
        .and_then(Value::as_str)
        .map_or(0, |t| encoding.count(t));
    let wants_logprobs = message
        .pointer("/content/0/logprobs")
        .and_then(Value::as_array)
        .is_some_and(|l| !l.is_empty());
    let logprobs: Vec<Value> = if wants_logprobs {
        let top = said
            .body
            .get("top_logprobs")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        logprobs::for_text(encoding, &visible, top, rng)
            .iter()
            .map(logprobs::TokenLogprob::to_chat)
            .collect()
    } else {
        Vec::new()
    };
    message["status"] = json!(if cut { "incomplete" } else { "completed" });
    message["content"] = json!([{
        "type": "output_text",
        "annotations": annotations,
        "logprobs": logprobs,
        "text": visible,
    }]);
    let new = encoding.count(&visible) + said.written;
    if let Some(output) = answer.get_mut("output").and_then(Value::as_array_mut) {
        for (offset, item) in items.into_iter().enumerate() {
            output.insert(position + offset, item);
        }
    }
    account(answer, said.read, new, old);
    finish(answer, cut);
}

/// Replaces the message at `position` with `call` (an item the client executes), counting
/// `written` output tokens for it instead of the message's text.
pub fn hand_over(answer: &mut Value, position: usize, call: Value, written: usize) {
    let Some(output) = answer.get_mut("output").and_then(Value::as_array_mut) else {
        return;
    };
    if position >= output.len() {
        return;
    }
    let message = output.remove(position);
    output.insert(position, call);
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let old = message
        .pointer("/content/0/text")
        .and_then(Value::as_str)
        .map_or(0, |t| Encoding::for_model(model).count(t));
    account(answer, 0, written, old);
    finish(answer, false);
}

/// Adds `read` input tokens and `new` output tokens in place of `old` ones.
pub fn account(answer: &mut Value, read: usize, new: usize, old: usize) {
    if let Some(usage) = answer.get_mut("usage") {
        let count = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0) as usize;
        let input = count("input_tokens") + read;
        let output = (count("output_tokens") + new).saturating_sub(old);
        usage["input_tokens"] = json!(input);
        usage["output_tokens"] = json!(output);
        usage["total_tokens"] = json!(input + output);
    }
}

/// The response's status once its output is final (`cut`: the text was cut).
fn finish(answer: &mut Value, cut: bool) {
    let created = answer.get("created_at").cloned().unwrap_or(Value::Null);
    answer["status"] = json!(if cut { "incomplete" } else { "completed" });
    answer["completed_at"] = if cut { Value::Null } else { created };
    answer["incomplete_details"] = if cut {
        json!({"reason": "max_output_tokens"})
    } else {
        Value::Null
    };
}

/// Tests, and the fixture the tools' tests share.
#[cfg(test)]
pub mod tests {
    use super::*;

    /// A composed answer with one message ("Some reply."), for the tools' tests.
    pub fn answer() -> Value {
        json!({
            "model": "gpt-4o", "created_at": 5, "status": "completed",
            "completed_at": 5, "incomplete_details": null,
            "output": [{"id": "msg_1", "type": "message", "status": "completed",
                        "role": "assistant",
                        "content": [{"type": "output_text", "annotations": [],
                                     "logprobs": [], "text": "Some reply."}]}],
            "usage": {"input_tokens": 10, "output_tokens": 3, "total_tokens": 13,
                      "output_tokens_details": {"reasoning_tokens": 0}},
        })
    }

    #[test]
    fn a_handed_over_call_replaces_the_message_and_its_tokens() {
        let mut answer = answer();
        assert_eq!(message_position(&answer), Some(0));
        hand_over(&mut answer, 0, json!({"type": "shell_call"}), 9);
        assert_eq!(answer["output"], json!([{"type": "shell_call"}]));
        assert_eq!(message_position(&answer), None);
        assert_eq!(answer["usage"]["output_tokens"], 9);
        assert_eq!(answer["usage"]["total_tokens"], 19);
    }

    #[test]
    fn the_turn_starts_after_the_last_user_message() {
        let body = json!({"input": [
            {"role": "user", "content": "a"}, {"type": "x"},
            {"role": "user", "content": "b"}, {"type": "y"}]});
        assert_eq!(since_user(&body), [json!({"type": "y"})]);
        assert!(since_user(&json!({"input": "text"})).is_empty());
    }
}
