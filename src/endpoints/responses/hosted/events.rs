//! The streamed events of the web search, code interpreter and image generation items
//! (what `responses::stream` sends between an item's `output_item.added` and
//! `output_item.done`), and what those items show while they are in progress.
//!
//! - `web_search_call`: `response.web_search_call.in_progress`, `.searching`, `.completed`;
//! - `code_interpreter_call`: `response.code_interpreter_call.in_progress`, the code as
//!   `response.code_interpreter_call_code.delta` fragments and `.done`, then
//!   `response.code_interpreter_call.interpreting` and `.completed`; the added item has
//!   empty `code` and no `outputs` yet;
//! - `image_generation_call`: `response.image_generation_call.in_progress`, `.generating`,
//!   one `.partial_image` per partial image (`partial_images` of the tool), `.completed`;
//!   the added item has no `result` yet.

use super::image_generation;
use crate::services::sse::{fragments, ARGUMENT_FRAGMENT_CHARS};
use serde_json::{json, Map, Value};

/// Blanks what an item of `kind` shows only when it is done, in its `output_item.added`
/// event.
pub fn started(kind: &str, item: &mut Map<String, Value>) {
    match kind {
        "code_interpreter_call" => {
            item.insert("code".into(), json!(""));
            item.insert("outputs".into(), Value::Null);
        }
        "image_generation_call" => {
            item.insert("result".into(), Value::Null);
        }
        _ => super::agentic_events::started(kind, item),
    }
}

/// Pushes the progress events of `item` (at `output_index` of `answer`): those of a web
/// search, code interpreter or image generation call here, the agentic tools' in
/// `agentic_events`.
pub fn progress(events: &mut Vec<Value>, answer: &Value, item: &Value, output_index: usize) {
    let item_id = item.get("id").cloned().unwrap_or(json!(""));
    let at = |kind: &str| json!({"type": kind, "item_id": item_id, "output_index": output_index});
    match item.get("type").and_then(Value::as_str) {
        Some("web_search_call") => {
            for stage in ["in_progress", "searching", "completed"] {
                events.push(at(&format!("response.web_search_call.{stage}")));
            }
        }
        Some("code_interpreter_call") => {
            events.push(at("response.code_interpreter_call.in_progress"));
            let code = item.get("code").and_then(Value::as_str).unwrap_or("");
            for fragment in fragments(code, ARGUMENT_FRAGMENT_CHARS) {
                let mut delta = at("response.code_interpreter_call_code.delta");
                delta["delta"] = json!(fragment);
                events.push(delta);
            }
            let mut done = at("response.code_interpreter_call_code.done");
            done["code"] = json!(code);
            events.push(done);
            events.push(at("response.code_interpreter_call.interpreting"));
            events.push(at("response.code_interpreter_call.completed"));
        }
        Some("image_generation_call") => {
            events.push(at("response.image_generation_call.in_progress"));
            events.push(at("response.image_generation_call.generating"));
            for (index, image) in image_generation::partials(answer, item)
                .into_iter()
                .enumerate()
            {
                let mut partial = at("response.image_generation_call.partial_image");
                partial["partial_image_index"] = json!(index);
                partial["partial_image_b64"] = json!(image);
                for key in ["size", "quality", "background", "output_format"] {
                    if let Some(value) = item.get(key).filter(|v| v.is_string()) {
                        partial[key] = value.clone();
                    }
                }
                events.push(partial);
            }
            events.push(at("response.image_generation_call.completed"));
        }
        Some(kind) => super::agentic_events::events(events, kind, item, output_index),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_deltas_join_into_the_code() {
        let code = "print(sum([1, 2, 3]))\n".repeat(5);
        let item = json!({"id": "ci_1", "type": "code_interpreter_call", "code": code});
        let mut events = Vec::new();
        progress(&mut events, &json!({}), &item, 2);
        let joined: String = events
            .iter()
            .filter(|e| e["type"] == "response.code_interpreter_call_code.delta")
            .map(|e| e["delta"].as_str().unwrap())
            .collect();
        assert_eq!(joined, code);
        assert_eq!(
            events.last().unwrap()["type"],
            "response.code_interpreter_call.completed"
        );
        assert!(events
            .iter()
            .all(|e| e["output_index"] == 2 && e["item_id"] == "ci_1"));
    }
}
