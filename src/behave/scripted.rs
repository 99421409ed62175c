//! Scripted assistant output from a scenario rule ([`crate::scenario::Scripted`]).
//!
//! The text endpoints read [`ValidRequest::scripted`](crate::validate::ValidRequest) where
//! they would compose their own text or choose tool calls, and use the scripted output
//! instead; everything else (token counts, `max_tokens` cuts, finish reasons, logprobs,
//! streaming) follows from it as for composed output. [`use_call_ids`] then gives the
//! answer's tool calls the ids the rule asked for.

use super::tools::Call;
use crate::scenario::Scripted;
use serde_json::{json, Value};

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

/// Replaces the ids of the answer's tool calls (chat `tool_calls[].id`, `/responses`
/// `function_call` `call_id`) with the scripted ones, in order.
pub fn use_call_ids(operation: &str, scripted: &Scripted, answer: &mut Value) {
    let ids = scripted.tool_calls.iter().map(|call| call.id.as_str());
    match operation {
        "createChatCompletion" => {
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
                for (call, id) in calls.iter_mut().zip(ids.clone()) {
                    call["id"] = json!(id);
                }
            }
        }
        "createResponse" => {
            let Some(output) = answer.get_mut("output").and_then(Value::as_array_mut) else {
                return;
            };
            let calls = output
                .iter_mut()
                .filter(|item| item.get("type").and_then(Value::as_str) == Some("function_call"));
            for (call, id) in calls.zip(ids) {
                call["call_id"] = json!(id);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ScriptedToolCall;

    #[test]
    fn scripted_ids_replace_generated_ones() {
        let scripted = Scripted {
            text: None,
            tool_calls: vec![ScriptedToolCall {
                id: "call_script".into(),
                name: "f".into(),
                arguments: "{}".into(),
            }],
        };
        let mut chat = json!({"choices": [{"message": {"tool_calls": [{"id": "call_x"}]}}]});
        use_call_ids("createChatCompletion", &scripted, &mut chat);
        assert_eq!(
            chat["choices"][0]["message"]["tool_calls"][0]["id"],
            "call_script"
        );
        let mut response = json!({"output": [{"type": "reasoning"}, {"type": "function_call", "call_id": "call_y"}]});
        use_call_ids("createResponse", &scripted, &mut response);
        assert_eq!(response["output"][1]["call_id"], "call_script");
        assert_eq!(calls(&scripted)[0].input, "{}");
    }
}
