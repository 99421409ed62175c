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
//! `usage.input_tokens` adds the text of the results the model read; the rest (usage,
//! `max_output_tokens`) is `message::say`.

use super::super::context_of;
use super::message::{message_position, say, Said};
use super::{offered, tool_use, Use};
use crate::endpoints::endpoint::Call;
use crate::endpoints::file_search::{self, Search};
use crate::endpoints::vector_stores::string_array;
use crate::generate::{new_id, Rng};
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
    let said = Said {
        encoding,
        body,
        text: &composed.text,
        annotations: composed.response_annotations(),
        read,
        written: 0,
    };
    say(answer, position, vec![item], &said, rng);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_gets_the_cited_text_after_the_search_call() {
        let mut answer = super::super::message::tests::answer();
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
        let said = Said {
            encoding: Encoding::for_model("gpt-4o"),
            body: &body,
            text: &composed.text,
            annotations: composed.response_annotations(),
            read: 7,
            written: 0,
        };
        let item = json!({"id": "fs_1", "type": "file_search_call"});
        say(&mut answer, 0, vec![item], &said, &mut Rng::new(1));
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
    }
}
