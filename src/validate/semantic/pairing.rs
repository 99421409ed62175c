//! Tool-call pairing: every tool result answers a call the model made.
//!
//! - Chat Completions: a `tool` message must follow an assistant message with `tool_calls`
//!   (after the other tool messages answering it), and its `tool_call_id` must be one of those
//!   calls' ids.
//! - Responses: a tool output item (`function_call_output`, `custom_tool_call_output`, ...)
//!   must carry the `call_id` of a matching call item in the input or in the items before it
//!   (the stored chain, the conversation).

use crate::error::ApiError;
use serde_json::Value;

/// Refuses a `tool` message that answers no call of the assistant message before it.
pub fn chat(messages: &[Value]) -> Result<(), ApiError> {
    let mut open: Option<Vec<&str>> = None;
    for (index, message) in messages.iter().enumerate() {
        match message.get("role").and_then(Value::as_str) {
            Some("tool") => {
                let Some(calls) = &open else {
                    return Err(ApiError::invalid_request(
                        "Invalid parameter: messages with role 'tool' must be a response to a \
                         preceeding message with 'tool_calls'.",
                    )
                    .with_param(format!("messages.[{index}].role")));
                };
                let id = message
                    .get("tool_call_id")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if !calls.contains(&id) {
                    return Err(ApiError::invalid_request(format!(
                        "Invalid parameter: 'tool_call_id' of '{id}' not found in 'tool_calls' \
                         of previous message."
                    ))
                    .with_param(format!("messages.[{index}].tool_call_id")));
                }
            }
            Some("assistant") => open = Some(call_ids(message)).filter(|ids| !ids.is_empty()),
            _ => open = None,
        }
    }
    Ok(())
}

/// The ids of an assistant message's `tool_calls`.
pub fn call_ids(message: &Value) -> Vec<&str> {
    message
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|call| call.get("id").and_then(Value::as_str))
        .collect()
}

/// The call item type a Responses tool output item answers, and the words its error uses.
fn call_type(output_type: &str) -> Option<(&'static str, &'static str)> {
    Some(match output_type {
        "function_call_output" => ("function_call", "function call output"),
        "custom_tool_call_output" => ("custom_tool_call", "custom tool call output"),
        "computer_call_output" => ("computer_call", "computer call output"),
        "local_shell_call_output" => ("local_shell_call", "local shell call output"),
        "shell_call_output" => ("shell_call", "shell call output"),
        "apply_patch_call_output" => ("apply_patch_call", "apply patch call output"),
        _ => return None,
    })
}

/// Refuses a Responses tool output item whose `call_id` matches no call item of its type in
/// `earlier` (the chain or conversation before the request) or in `input`.
pub fn responses(input: &[Value], earlier: &[Value]) -> Result<(), ApiError> {
    for item in input {
        let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
        let Some((call, words)) = call_type(kind) else {
            continue;
        };
        let Some(id) = item.get("call_id").and_then(Value::as_str) else {
            continue;
        };
        let found = earlier.iter().chain(input).any(|other| {
            other.get("type").and_then(Value::as_str) == Some(call)
                && other.get("call_id").and_then(Value::as_str) == Some(id)
        });
        if !found {
            return Err(ApiError::invalid_request(format!(
                "No tool call found for {words} with call_id {id}."
            ))
            .with_param("input"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_tool_message_must_answer_a_call_of_the_message_before() {
        let call = json!({"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "f", "arguments": "{}"}}]});
        let good = [
            json!({"role": "user", "content": "hi"}),
            call.clone(),
            json!({"role": "tool", "tool_call_id": "call_1", "content": "1"}),
        ];
        assert!(chat(&good).is_ok());
        let wrong = [
            call,
            json!({"role": "tool", "tool_call_id": "call_2", "content": "1"}),
        ];
        let error = chat(&wrong).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("messages.[1].tool_call_id"));
        let orphan = [json!({"role": "tool", "tool_call_id": "call_1", "content": "1"})];
        assert_eq!(
            chat(&orphan).unwrap_err().param.as_deref(),
            Some("messages.[0].role")
        );
    }

    #[test]
    fn a_function_output_needs_its_call_in_the_input_or_before_it() {
        let output = json!({"type": "function_call_output", "call_id": "call_9", "output": "1"});
        let call = json!({"type": "function_call", "call_id": "call_9", "name": "f",
            "arguments": "{}"});
        assert!(responses(&[call.clone(), output.clone()], &[]).is_ok());
        assert!(responses(std::slice::from_ref(&output), &[call]).is_ok());
        let error = responses(&[output], &[]).unwrap_err();
        assert_eq!(
            error.message,
            "No tool call found for function call output with call_id call_9."
        );
    }
}
