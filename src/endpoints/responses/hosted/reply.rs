//! What every hosted tool does to the answer once it has acted: its output items go before
//! the message, and the message says the text composed from the tool's result, with that
//! text's annotations (citations). Usage and status follow: `input_tokens` adds what the
//! model read from the tool, `output_tokens` counts the new text instead of the replaced
//! one, and `max_output_tokens` still cuts the text (the response is then `incomplete`),
//! keeping only the annotations inside the kept text.

use crate::generate::Rng;
use crate::services::model::logprobs;
use crate::services::model::text;
use crate::services::tokens::Encoding;
use serde_json::{json, Value};

/// The message a tool's result gives, and what reading the result cost.
pub struct Reply<'a> {
    /// The request (with its earlier turns).
    pub body: &'a Value,
    /// The message's text.
    pub text: String,
    /// The text's annotations; each ends at its `end_index` (or `index`) in characters.
    pub annotations: Vec<Value>,
    /// Tokens the model read from the tool's result, counted as input.
    pub read: usize,
}

impl Reply<'_> {
    /// The reply with the rule's scripted text instead of the composed one (and then no
    /// annotations), when the rule scripting `call`'s answer gives text.
    pub fn scripted(self, call: &crate::endpoints::endpoint::Call) -> Self {
        match call.script.and_then(|s| s.text.clone()) {
            Some(text) => Reply {
                text,
                annotations: Vec::new(),
                ..self
            },
            None => self,
        }
    }
}

/// Where the answer's message is, when the answer is a message and calls no function or
/// custom tool.
pub fn message_position(answer: &Value) -> Option<usize> {
    let output = answer.get("output").and_then(Value::as_array)?;
    let calls = output.iter().any(|item| {
        matches!(
            item.get("type").and_then(Value::as_str),
            Some("function_call" | "custom_tool_call")
        )
    });
    if calls {
        return None;
    }
    output.iter().position(|item| item["type"] == "message")
}

/// The character position where an annotation ends.
fn annotation_end(annotation: &Value) -> u64 {
    annotation
        .get("end_index")
        .or_else(|| annotation.get("index"))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// Puts `items` before the message at `position`, gives the message `reply`'s text and
/// annotations, and updates usage and status.
pub fn rewrite(
    answer: &mut Value,
    position: usize,
    items: Vec<Value>,
    reply: &Reply,
    rng: &mut Rng,
) {
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let encoding = Encoding::for_model(model);
    let reasoning = answer
        .pointer("/usage/output_tokens_details/reasoning_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let budget = reply
        .body
        .get("max_output_tokens")
        .and_then(Value::as_u64)
        .map(|limit| (limit as usize).saturating_sub(reasoning));
    let (visible, cut) = match budget {
        Some(budget) => text::truncate_tokens(encoding, &reply.text, budget),
        None => (reply.text.clone(), false),
    };
    let length = visible.chars().count() as u64;
    let annotations: Vec<Value> = reply
        .annotations
        .iter()
        .filter(|a| annotation_end(a) <= length)
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
        let top = reply
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
    let new = encoding.count(&visible);
    if let Some(output) = answer.get_mut("output").and_then(Value::as_array_mut) {
        for (offset, item) in items.into_iter().enumerate() {
            output.insert(position + offset, item);
        }
    }
    if let Some(usage) = answer.get_mut("usage") {
        let count = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0) as usize;
        let input = count("input_tokens") + reply.read;
        let output = (count("output_tokens") + new).saturating_sub(old);
        usage["input_tokens"] = json!(input);
        usage["output_tokens"] = json!(output);
        usage["total_tokens"] = json!(input + output);
    }
    let created = answer.get("created_at").cloned().unwrap_or(Value::Null);
    answer["status"] = json!(if cut { "incomplete" } else { "completed" });
    answer["completed_at"] = if cut { Value::Null } else { created };
    answer["incomplete_details"] = if cut {
        json!({"reason": "max_output_tokens"})
    } else {
        Value::Null
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_gets_the_cited_text_after_the_tool_items() {
        let mut answer = json!({
            "model": "gpt-4o", "created_at": 5, "status": "completed",
            "completed_at": 5, "incomplete_details": null,
            "output": [{"id": "msg_1", "type": "message", "status": "completed",
                        "role": "assistant",
                        "content": [{"type": "output_text", "annotations": [],
                                     "logprobs": [], "text": "Some reply."}]}],
            "usage": {"input_tokens": 10, "output_tokens": 3, "total_tokens": 13,
                      "output_tokens_details": {"reasoning_tokens": 0}},
        });
        let body = json!({"input": "What is the capital?"});
        let reply = Reply {
            body: &body,
            text: "The capital is Quillton.".into(),
            annotations: vec![
                json!({"type": "file_citation", "file_id": "file-a", "index": 24}),
                json!({"type": "url_citation", "start_index": 4, "end_index": 11}),
            ],
            read: 7,
        };
        let items = vec![json!({"id": "a"}), json!({"id": "b"})];
        rewrite(&mut answer, 0, items, &reply, &mut Rng::new(1));
        assert_eq!(answer["output"][0]["id"], "a");
        assert_eq!(answer["output"][1]["id"], "b");
        let part = &answer["output"][2]["content"][0];
        assert_eq!(part["text"], "The capital is Quillton.");
        assert_eq!(part["annotations"][0]["file_id"], "file-a");
        assert_eq!(part["annotations"][1]["end_index"], 11);
        assert_eq!(answer["usage"]["input_tokens"], 17);
        let output = answer["usage"]["output_tokens"].as_u64().unwrap();
        assert_eq!(
            output as usize,
            Encoding::for_model("gpt-4o").count("The capital is Quillton.")
        );
        assert_eq!(answer["usage"]["total_tokens"], 17 + output);

        let cut_body = json!({"input": "What is the capital?", "max_output_tokens": 2});
        let mut cut = json!({"model": "gpt-4o", "created_at": 5, "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "x"}]}]});
        let reply = Reply {
            body: &cut_body,
            ..reply
        };
        rewrite(&mut cut, 0, vec![json!({})], &reply, &mut Rng::new(1));
        assert_eq!(cut["status"], "incomplete");
        assert_eq!(cut["output"][1]["content"][0]["annotations"], json!([]));
    }
}
