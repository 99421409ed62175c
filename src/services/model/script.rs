//! Scripted assistant output ([`Scripted`]): what a scenario rule says the model answers.
//!
//! The text endpoints read it (in their `Call`) where they would compose their own text or
//! choose tool calls, and use it instead; everything else (token counts, `max_tokens` cuts,
//! finish reasons, logprobs, streaming) follows from it as for composed output.
//! [`use_chat_call_ids`] and [`use_response_call_ids`] then give the answer's tool calls the
//! ids the rule asked for.

use super::tools::Call;
use serde_json::{json, Value};

/// Assistant output a rule scripted for one request.
///
/// The behaviour of the text endpoints (chat completions, `/responses`, legacy completions)
/// answers with this output instead of composing its own, and computes everything else
/// (usage, finish reason, logprobs, streaming) from it as usual.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scripted {
    /// The assistant's text.
    pub text: Option<String>,
    /// The assistant's tool calls, in order.
    pub tool_calls: Vec<ScriptedToolCall>,
    /// Results pinned for hosted tools, by tool type (`web_search`, `code_interpreter`,
    /// ...): each tool that acts uses its entry instead of computing its own result.
    pub tool_results: serde_json::Map<String, Value>,
}

/// One scripted tool call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptedToolCall {
    /// The call id (`call_…`), given by the rule or fresh.
    pub id: String,
    /// The function's name.
    pub name: String,
    /// The arguments, as JSON text.
    pub arguments: String,
}

/// The scripted tool calls as calls the behaviour can make.
pub fn calls(scripted: &Scripted) -> Vec<Call> {
    scripted
        .tool_calls
        .iter()
        .map(|call| Call {
            name: call.name.clone(),
            input: call.arguments.clone(),
            custom: false,
        })
        .collect()
}

/// Replaces the ids of a chat completion's tool calls (`tool_calls[].id`) with the scripted
/// ones, in order.
pub fn use_chat_call_ids(scripted: &Scripted, answer: &mut Value) {
    let Some(choices) = answer.get_mut("choices").and_then(Value::as_array_mut) else {
        return;
    };
    for choice in choices {
        let Some(calls) = choice
            .pointer_mut("/message/tool_calls")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        let ids = scripted.tool_calls.iter().map(|call| call.id.as_str());
        for (call, id) in calls.iter_mut().zip(ids) {
            call["id"] = json!(id);
        }
    }
}

/// Replaces the `call_id` of a `/responses` answer's `function_call` items with the scripted
/// ids, in order.
pub fn use_response_call_ids(scripted: &Scripted, answer: &mut Value) {
    let Some(output) = answer.get_mut("output").and_then(Value::as_array_mut) else {
        return;
    };
    let calls = output
        .iter_mut()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("function_call"));
    let ids = scripted.tool_calls.iter().map(|call| call.id.as_str());
    for (call, id) in calls.zip(ids) {
        call["call_id"] = json!(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_ids_replace_generated_ones() {
        let scripted = Scripted {
            text: None,
            tool_calls: vec![ScriptedToolCall {
                id: "call_script".into(),
                name: "f".into(),
                arguments: "{}".into(),
            }],
            ..Scripted::default()
        };
        let mut chat = json!({"choices": [{"message": {"tool_calls": [{"id": "call_x"}]}}]});
        use_chat_call_ids(&scripted, &mut chat);
        assert_eq!(
            chat["choices"][0]["message"]["tool_calls"][0]["id"],
            "call_script"
        );
        let mut response = json!({"output": [{"type": "reasoning"}, {"type": "function_call", "call_id": "call_y"}]});
        use_response_call_ids(&scripted, &mut response);
        assert_eq!(response["output"][1]["call_id"], "call_script");
        assert_eq!(calls(&scripted)[0].input, "{}");
    }
}
