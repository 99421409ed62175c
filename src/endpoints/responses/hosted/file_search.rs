//! The `file_search` tool of `POST /responses`: turning the composed answer into a
//! `file_search_call` item followed by a message that cites the files it used. The search
//! and the composition are the shared `crate::endpoints::file_search` (see its notes for
//! the Responses form of the items and annotations).
//!
//! When the search happens:
//! - the request offers a `file_search` tool with `vector_store_ids`, no scenario rule
//!   scripts the answer, the answer is a message (no function or custom tool was called),
//!   and the last user message is not empty;
//! - `tool_choice` allows it: `"none"`, a named function or custom tool, or an
//!   `allowed_tools` list without `file_search` forbid it; `"required"` or
//!   `{"type": "file_search"}` force it;
//! - otherwise (`"auto"`) the search is used when its results are relevant (they share a
//!   significant word with the question, `file_search::relevant`).
//!
//! The tool's `max_num_results`, `ranking_options.score_threshold` and `filters` apply.
//! `usage.input_tokens` adds the text of the results the model read; `output_tokens`
//! counts the composed text instead of the replaced one. `max_output_tokens` still cuts the
//! text (the response is then `incomplete`), keeping the citations inside the kept text.

use super::super::context_of;
use super::{offered, tool_use, Use};
use crate::endpoints::endpoint::Call;
use crate::endpoints::file_search::{self, Search};
use crate::endpoints::vector_stores::string_array;
use crate::generate::{new_id, Rng};
use crate::services::model::logprobs;
use crate::services::model::text;
use crate::services::tokens::Encoding;
use serde_json::{json, Value};

/// Rewrites `answer` (the shaped response for `body`, the request with its earlier turns)
/// as the module notes say; leaves it alone when the search does not happen.
pub fn apply(call: &Call, body: &Value, answer: &mut Value, rng: &mut Rng) {
    if call.script.is_some() {
        return;
    }
    let Some(tool) = offered(body, &["file_search"]) else {
        return;
    };
    let usage = tool_use(body, &["file_search"]);
    if usage == Use::Forbidden {
        return;
    }
    let context = context_of(body);
    let query = context.last_user.trim();
    if query.is_empty() || !context.tool_results.is_empty() {
        return;
    }
    let Some(position) = message_position(answer) else {
        return;
    };
    let stores = string_array(tool.get("vector_store_ids"));
    if stores.is_empty() {
        return;
    }
    let results = file_search::search(
        call,
        &Search {
            vector_store_ids: &stores,
            query,
            max_num_results: tool
                .get("max_num_results")
                .and_then(Value::as_u64)
                .map_or(file_search::DEFAULT_RESULTS, |n| n as usize),
            score_threshold: tool
                .pointer("/ranking_options/score_threshold")
                .and_then(Value::as_f64)
                .unwrap_or(0.0) as f32,
            filters: tool.get("filters").filter(|f| !f.is_null()),
        },
    );
    if usage == Use::WhenRelevant && !file_search::relevant(query, &results) {
        return;
    }
    let include = body
        .get("include")
        .and_then(Value::as_array)
        .is_some_and(|items| items.iter().any(|i| i == "file_search_call.results"));
    let item = json!({
        "id": new_id(rng, "fs_"),
        "type": "file_search_call",
        "status": "completed",
        "queries": [query],
        "results": if include {
            Value::Array(file_search::response_results(&results))
        } else {
            Value::Null
        },
    });
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let encoding = Encoding::for_model(model);
    let read: usize = file_search::response_results(&results)
        .iter()
        .map(|r| encoding.count(r["text"].as_str().unwrap_or("")))
        .sum();
    let composed = file_search::compose(query, &results);
    let cited = Cited {
        encoding,
        body,
        composed: &composed,
        read,
    };
    rewrite(answer, position, item, &cited, rng);
}

/// Where the answer's message is, when the answer is a message and calls no tool.
fn message_position(answer: &Value) -> Option<usize> {
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

/// What the rewritten message says, and what the search cost.
struct Cited<'a> {
    encoding: Encoding,
    body: &'a Value,
    composed: &'a file_search::Answer,
    /// Tokens of the results' text, read as input.
    read: usize,
}

/// Puts the `file_search_call` item before the message at `position`, gives the message the
/// composed text and its citations, and updates usage and status.
fn rewrite(answer: &mut Value, position: usize, item: Value, cited: &Cited, rng: &mut Rng) {
    let encoding = cited.encoding;
    let reasoning = answer
        .pointer("/usage/output_tokens_details/reasoning_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let budget = cited
        .body
        .get("max_output_tokens")
        .and_then(Value::as_u64)
        .map(|limit| (limit as usize).saturating_sub(reasoning));
    let (visible, cut) = match budget {
        Some(budget) => text::truncate_tokens(encoding, &cited.composed.text, budget),
        None => (cited.composed.text.clone(), false),
    };
    let length = visible.chars().count();
    let annotations: Vec<Value> = cited
        .composed
        .response_annotations()
        .into_iter()
        .filter(|a| a["index"].as_u64().is_some_and(|i| i as usize <= length))
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
        let top = cited
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
        output.insert(position, item);
    }
    if let Some(usage) = answer.get_mut("usage") {
        let count = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0) as usize;
        let input = count("input_tokens") + cited.read;
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
    fn the_message_gets_the_cited_text_after_the_search_call() {
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
        let composed = file_search::Answer {
            text: "The capital is Quillton.".into(),
            citations: vec![file_search::Citation {
                file_id: "file-a".into(),
                filename: "a.txt".into(),
                result: 0,
                index: 24,
            }],
        };
        let body = json!({"input": "What is the capital?"});
        let cited = Cited {
            encoding: Encoding::for_model("gpt-4o"),
            body: &body,
            composed: &composed,
            read: 7,
        };
        let item = json!({"id": "fs_1", "type": "file_search_call"});
        rewrite(&mut answer, 0, item, &cited, &mut Rng::new(1));
        assert_eq!(answer["output"][0]["type"], "file_search_call");
        let part = &answer["output"][1]["content"][0];
        assert_eq!(part["text"], "The capital is Quillton.");
        assert_eq!(part["annotations"][0]["file_id"], "file-a");
        assert_eq!(part["annotations"][0]["index"], 24);
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
        let cited = Cited {
            body: &cut_body,
            ..cited
        };
        rewrite(&mut cut, 0, json!({}), &cited, &mut Rng::new(1));
        assert_eq!(cut["status"], "incomplete");
        assert_eq!(cut["output"][1]["content"][0]["annotations"], json!([]));
    }
}
