//! Message ordering in Chat Completions: an assistant message with `tool_calls` must be
//! followed by one `tool` message per call before any other message. An assistant message
//! whose calls are still unanswered at the end of the list is left alone (the caller may be
//! about to run the tools).

use super::pairing::call_ids;
use crate::error::ApiError;
use serde_json::Value;

/// Refuses a message that comes while an assistant message's tool calls are unanswered.
pub fn chat(messages: &[Value]) -> Result<(), ApiError> {
    let mut pending: Vec<&str> = Vec::new();
    let mut opened_at = 0;
    for (index, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str);
        if role == Some("tool") {
            let id = message.get("tool_call_id").and_then(Value::as_str);
            pending.retain(|call| Some(*call) != id);
            continue;
        }
        if !pending.is_empty() {
            return Err(unanswered(opened_at, &pending));
        }
        if role == Some("assistant") {
            pending = call_ids(message);
            opened_at = index;
        }
    }
    Ok(())
}

fn unanswered(index: usize, pending: &[&str]) -> ApiError {
    ApiError::invalid_request(format!(
        "An assistant message with 'tool_calls' must be followed by tool messages responding to \
         each 'tool_call_id'. The following tool_call_ids did not have response messages: {}",
        pending.join(", ")
    ))
    .with_param(format!("messages.[{index}].role"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_call_is_answered_before_the_next_message() {
        let call = json!({"role": "assistant", "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": "{}"}},
            {"id": "call_b", "type": "function", "function": {"name": "f", "arguments": "{}"}}]});
        let answer = |id: &str| json!({"role": "tool", "tool_call_id": id, "content": "1"});
        let user = json!({"role": "user", "content": "next"});
        let good = [
            call.clone(),
            answer("call_b"),
            answer("call_a"),
            user.clone(),
        ];
        assert!(chat(&good).is_ok());
        assert!(chat(std::slice::from_ref(&call)).is_ok());
        let error = chat(&[call, answer("call_a"), user]).unwrap_err();
        assert!(error
            .message
            .ends_with("did not have response messages: call_b"));
        assert_eq!(error.param.as_deref(), Some("messages.[0].role"));
    }
}
