//! What rules match on, read once from a validated request.
//!
//! The conversation text is read by the one conversation reader,
//! [`Conversation`](crate::services::conversation::Conversation), as the endpoints read it.

use crate::catalog::Operation;
use crate::services::conversation::Conversation;
use crate::validate::ValidRequest;
use serde_json::Value;

/// The matchable facts of one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The operation id, e.g. `createChatCompletion`.
    pub operation: String,
    /// The upper-case HTTP method.
    pub method: String,
    /// The templated path, e.g. `/chat/completions`.
    pub path: String,
    /// The body's `model`, when it is a string.
    pub model: Option<String>,
    /// The text of the last user message.
    pub last_user_message: String,
    /// The text of the first user message (part of the conversation key).
    pub first_user_message: String,
    /// The system and developer prompts (and `/responses` `instructions`), joined by newlines.
    pub system_prompt: String,
    /// Whether the request offers tools (`tools` or the legacy `functions`, non-empty).
    pub tools: bool,
}

impl Facts {
    /// Reads the facts of `request` to `op`.
    pub fn of(op: &Operation, request: &ValidRequest) -> Facts {
        let body = &request.body;
        let conversation = Conversation::of(body);
        let offers = |key: &str| {
            body.get(key)
                .and_then(Value::as_array)
                .is_some_and(|list| !list.is_empty())
        };
        Facts {
            operation: op.id.clone(),
            method: op.method.clone(),
            path: op.path.clone(),
            model: body
                .get("model")
                .and_then(Value::as_str)
                .map(str::to_string),
            last_user_message: conversation.last_user().to_string(),
            first_user_message: conversation.first_user().to_string(),
            system_prompt: conversation.system_prompt(),
            tools: offers("tools") || offers("functions"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// (first user message, last user message, system prompt), as the facts read them.
    fn texts(body: Value) -> (String, String, String) {
        let conversation = Conversation::of(&body);
        (
            conversation.first_user().to_string(),
            conversation.last_user().to_string(),
            conversation.system_prompt(),
        )
    }

    #[test]
    fn chat_messages_give_first_last_and_system() {
        let (first, last, system) = texts(json!({"messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "ok"},
            {"role": "developer", "content": [{"type": "text", "text": "No emoji."}]},
            {"role": "user", "content": [{"type": "text", "text": "two"}, {"type": "image_url", "image_url": {"url": "x"}}]},
        ]}));
        assert_eq!(
            (first.as_str(), last.as_str(), system.as_str()),
            ("one", "two", "You are terse.\nNo emoji.")
        );
    }

    #[test]
    fn responses_input_and_instructions() {
        let (first, last, system) = texts(json!({"input": "hello", "instructions": "Be kind."}));
        assert_eq!((first.as_str(), last.as_str()), ("hello", "hello"));
        assert_eq!(system, "Be kind.");
        let (_, last, _) = texts(json!({"input": [
            {"role": "user", "content": [{"type": "input_text", "text": "first"}]},
            {"type": "function_call_output", "call_id": "c", "output": "{}"},
            {"role": "user", "content": "later"},
        ]}));
        assert_eq!(last, "later");
    }

    #[test]
    fn prompts_and_inputs() {
        let (first, last, _) = texts(json!({"prompt": ["a", "b", "c"]}));
        assert_eq!((first.as_str(), last.as_str()), ("a", "c"));
        let (_, last, _) = texts(json!({"input": "embed me"}));
        assert_eq!(last, "embed me");
        assert_eq!(texts(json!({})), Default::default());
    }
}
