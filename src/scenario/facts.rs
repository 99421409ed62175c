//! What rules match on, read once from a validated request.
//!
//! The conversation text is read the same way for every text endpoint:
//! - chat completions: `messages` (roles `user`, `system` and `developer`);
//! - `/responses`: `input` (a string is one user message) and `instructions`;
//! - legacy completions: `prompt` (a string, or the last/first of a list of strings);
//! - anything else with a string `input` (embeddings, moderations): that string.
//!
//! Content given as a list of parts contributes the `text` of each part, joined by newlines.

use crate::catalog::Operation;
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
        let (first, last, system) = conversation_text(body);
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
            last_user_message: last,
            first_user_message: first,
            system_prompt: system,
            tools: offers("tools") || offers("functions"),
        }
    }
}

/// The text of a message's content: a string, or the `text` of each part.
pub fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| match part {
                Value::String(text) => Some(text.as_str()),
                _ => part.get("text").and_then(Value::as_str),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// (first user message, last user message, system prompt) of a request body.
fn conversation_text(body: &Value) -> (String, String, String) {
    let role = |item: &Value| item.get("role").and_then(Value::as_str).map(str::to_string);
    let messages = body
        .get("messages")
        .or_else(|| body.get("input"))
        .and_then(Value::as_array);
    let mut system: Vec<String> = body
        .get("instructions")
        .and_then(Value::as_str)
        .map(str::to_string)
        .into_iter()
        .collect();
    if let Some(items) = messages {
        let users: Vec<String> = items
            .iter()
            .filter(|item| role(item).as_deref() == Some("user"))
            .map(|item| content_text(item.get("content")))
            .collect();
        system.extend(
            items
                .iter()
                .filter(|item| matches!(role(item).as_deref(), Some("system" | "developer")))
                .map(|item| content_text(item.get("content"))),
        );
        let first = users.first().cloned().unwrap_or_default();
        let last = users.last().cloned().unwrap_or_default();
        return (first, last, system.join("\n"));
    }
    let prompt = body.get("prompt").or_else(|| body.get("input"));
    let (first, last) = match prompt {
        Some(Value::String(text)) => (text.clone(), text.clone()),
        Some(Value::Array(items)) => {
            let texts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            (
                texts.first().copied().unwrap_or_default().to_string(),
                texts.last().copied().unwrap_or_default().to_string(),
            )
        }
        _ => (String::new(), String::new()),
    };
    (first, last, system.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(body: Value) -> (String, String, String) {
        conversation_text(&body)
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
