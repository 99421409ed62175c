//! The streaming events of the agentic tools' output items (`mcp_list_tools`, `mcp_call`,
//! `shell_call`), between an item's `response.output_item.added` and `.done`; kept apart
//! from `stream` so each tool family adds its events in one place.
//!
//! - `mcp_list_tools`: `response.mcp_list_tools.in_progress`, then `.completed` (or
//!   `.failed` when the item has an `error`); the added item has no tools yet.
//! - `mcp_call`: `response.mcp_call.in_progress`, the arguments as
//!   `response.mcp_call_arguments.delta` fragments and `.done`, then
//!   `response.mcp_call.completed` (or `.failed` with an `error`); the added item has empty
//!   arguments and no output.
//! - `shell_call`: per command, `response.shell_call_command.added` (empty),
//!   `.delta` (the command) and `.done`; the added item has no commands yet.
//! - `mcp_approval_request`, `computer_call`, `local_shell_call` and `apply_patch_call`
//!   arrive whole, with only the added and done events.

use crate::services::sse::{fragments, ARGUMENT_FRAGMENT_CHARS};
use serde_json::{json, Map, Value};

/// Empties the parts of an agentic item that its own events fill in, for the `added` event.
pub fn started(kind: &str, item: &mut Map<String, Value>) {
    match kind {
        "mcp_list_tools" => {
            item.insert("tools".into(), json!([]));
            item.insert("error".into(), Value::Null);
        }
        "mcp_call" => {
            item.insert("arguments".into(), json!(""));
            item.insert("output".into(), Value::Null);
            item.insert("error".into(), Value::Null);
            item.insert("status".into(), json!("in_progress"));
        }
        "shell_call" => {
            if let Some(action) = item.get_mut("action").and_then(Value::as_object_mut) {
                action.insert("commands".into(), json!([]));
            }
        }
        _ => {}
    }
}

/// The events of an agentic `item` at `output_index`, appended to `events`.
pub fn events(events: &mut Vec<Value>, kind: &str, item: &Value, output_index: usize) {
    let item_id = item.get("id").cloned().unwrap_or(json!(""));
    let at = |kind: &str| json!({"type": kind, "item_id": item_id, "output_index": output_index});
    let failed = item.get("error").is_some_and(|e| !e.is_null());
    match kind {
        "mcp_list_tools" => {
            events.push(at("response.mcp_list_tools.in_progress"));
            events.push(at(if failed {
                "response.mcp_list_tools.failed"
            } else {
                "response.mcp_list_tools.completed"
            }));
        }
        "mcp_call" => {
            events.push(at("response.mcp_call.in_progress"));
            let arguments = item.get("arguments").and_then(Value::as_str).unwrap_or("");
            for fragment in fragments(arguments, ARGUMENT_FRAGMENT_CHARS) {
                let mut delta = at("response.mcp_call_arguments.delta");
                delta["delta"] = json!(fragment);
                events.push(delta);
            }
            let mut done = at("response.mcp_call_arguments.done");
            done["arguments"] = json!(arguments);
            events.push(done);
            events.push(at(if failed {
                "response.mcp_call.failed"
            } else {
                "response.mcp_call.completed"
            }));
        }
        "shell_call" => {
            let commands = item
                .pointer("/action/commands")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str);
            for (index, command) in commands.enumerate() {
                let with = |kind: &str, key: &str, text: &str| {
                    json!({"type": kind, "output_index": output_index,
                           "command_index": index, key: text})
                };
                events.push(with("response.shell_call_command.added", "command", ""));
                events.push(with("response.shell_call_command.delta", "delta", command));
                events.push(with("response.shell_call_command.done", "command", command));
            }
        }
        _ => {}
    }
}
