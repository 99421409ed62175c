//! The `tool_search` tool of `POST /responses` and deferred function tools
//! (`defer_loading: true`): the model sees a deferred function only after searching for it.
//!
//! When the composed answer calls a deferred function and the request offers `tool_search`:
//! - `execution: "server"` (the default): a `tool_search_call` (its `arguments.query` taken
//!   from the prompt) and a `tool_search_output` listing the deferred functions the prompt
//!   refers to go before the calls, in the same answer;
//! - `execution: "client"`: the answer is the `tool_search_call` alone (with a `call_id`);
//!   the client's `tool_search_output` in the next request lets the calls follow.
//!
//! A turn that already has a `tool_search_output` (since the last user message) searches no
//! more. The listed definitions are the request's own, with `strict` and `parameters`
//! defaulted as the response's `tools` show them.

use super::super::context_of;
use super::message::{account, since_user};
use crate::endpoints::endpoint::Call;
use crate::generate::{echo_fits, new_id, Rng};
use crate::services::model::tools::Tool;
use crate::services::tokens::Encoding;
use serde_json::{json, Value};

/// Rewrites `answer` as the module notes say, when a deferred function is called.
pub fn apply(call: &Call, body: &Value, answer: &mut Value, rng: &mut Rng) {
    if call.script.is_some() {
        return;
    }
    let Some(search) = super::offered(body, &["tool_search"]) else {
        return;
    };
    if since_user(body)
        .iter()
        .any(|item| item["type"] == "tool_search_output")
    {
        return;
    }
    let deferred = super::tools_where(body, |t| {
        t["type"] == "function" && t["defer_loading"] == true
    });
    let Some(output) = answer.get("output").and_then(Value::as_array) else {
        return;
    };
    let called: Vec<&str> = output
        .iter()
        .filter(|item| item["type"] == "function_call")
        .filter_map(|item| item["name"].as_str())
        .collect();
    let Some(first) = output.iter().position(|item| {
        item["type"] == "function_call"
            && deferred
                .iter()
                .any(|d| d["name"] == item["name"].as_str().unwrap_or(""))
    }) else {
        return;
    };
    let context = context_of(body);
    let found: Vec<Value> = deferred
        .iter()
        .filter(|d| {
            let name = d["name"].as_str().unwrap_or("");
            called.contains(&name)
                || Tool::from_responses(d).is_some_and(|t| t.is_referred_to(&context.last_user))
        })
        .map(|d| definition(d))
        // Only definitions valid in an answer's `tools` (the response's `Tool` schema).
        .filter(|d| echo_fits(call.catalog, call.op, "tools", &json!([d])))
        .collect();
    let query = context
        .topic()
        .unwrap_or_else(|| context.last_user.trim().to_string());
    let client = search["execution"] == "client";
    let execution = if client { "client" } else { "server" };
    let call_id = client.then(|| new_id(rng, "call_"));
    let search_call = json!({
        "type": "tool_search_call",
        "id": new_id(rng, "tsc_"),
        "call_id": call_id,
        "execution": execution,
        "arguments": {"query": query},
        "status": "completed",
    });
    let encoding = Encoding::for_model(answer.get("model").and_then(Value::as_str).unwrap_or(""));
    let written = encoding.count(&query);
    let Some(output) = answer.get_mut("output").and_then(Value::as_array_mut) else {
        return;
    };
    if client {
        // The calls wait for the client's search results.
        let removed: Vec<Value> = output
            .iter()
            .filter(|item| item["type"] == "function_call")
            .cloned()
            .collect();
        output.retain(|item| item["type"] != "function_call");
        output.insert(first.min(output.len()), search_call);
        let dropped: usize = removed
            .iter()
            .map(|c| {
                encoding.count(c["name"].as_str().unwrap_or(""))
                    + encoding.count(c["arguments"].as_str().unwrap_or(""))
            })
            .sum();
        account(answer, 0, written, dropped);
        return;
    }
    let result = json!({
        "type": "tool_search_output",
        "id": new_id(rng, "tso_"),
        "call_id": null,
        "execution": "server",
        "tools": found,
        "status": "completed",
    });
    output.insert(first, result);
    output.insert(first, search_call);
    account(answer, 0, written, 0);
}

/// A deferred function's definition as the search lists it.
fn definition(tool: &Value) -> Value {
    let mut listed = tool.clone();
    if let Value::Object(object) = &mut listed {
        object.entry("strict").or_insert(Value::Bool(true));
        object.entry("parameters").or_insert(Value::Null);
    }
    listed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_definitions_show_the_response_defaults() {
        let listed = definition(&json!({"type": "function", "name": "f", "defer_loading": true}));
        assert_eq!(
            listed,
            json!({"type": "function", "name": "f", "defer_loading": true,
                   "strict": true, "parameters": null})
        );
    }
}
