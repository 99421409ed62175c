//! The one reader of a request's conversation, for every text endpoint and the scenario
//! engine alike.
//!
//! - chat completions: `messages`;
//! - `/responses`: `instructions`, and `input` (a string is one user message; items are
//!   messages, function calls and their outputs);
//! - legacy completions: `prompt` (a string, or the first and last of a list of strings);
//! - anything else with a string `input` (embeddings, moderations): that string.
//!
//! System and developer messages (and `instructions`) make the system prompt. Tool results
//! are those that follow the last user message: chat `tool` messages (named through the
//! assistant `tool_calls` they answer) and `function` messages, and Responses
//! `function_call_output` / `custom_tool_call_output` items (named through the call items
//! they answer), and the outputs of the client-side built-in tools, named after their tool:
//! `shell_call_output` (its stdout and stderr), `local_shell_call_output`,
//! `apply_patch_call_output` (its output, else its status) and `computer_call_output` (a
//! screenshot, read as a fixed sentence since the mock does not look at images). Content given as a list of parts contributes the `text` of each part,
//! joined by newlines ([`content_text`]).

use serde_json::Value;

/// The output of a tool call, as sent back by the client.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolResult {
    /// The function's name, when it can be found.
    pub name: Option<String>,
    /// The output text (often JSON).
    pub output: String,
}

/// A request's conversation, read once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    /// The system and developer prompts (and `instructions`), in order.
    pub system: Vec<String>,
    /// The text of each user message, in order.
    pub users: Vec<String>,
    /// The tool results after the last user message.
    pub tool_results: Vec<ToolResult>,
}

impl Conversation {
    /// The conversation of a request body (see the module notes).
    pub fn of(body: &Value) -> Conversation {
        let instructions = body.get("instructions").and_then(Value::as_str);
        let items = body
            .get("messages")
            .or_else(|| body.get("input"))
            .and_then(Value::as_array);
        if let Some(items) = items {
            return Conversation::of_items(items, instructions);
        }
        let mut conversation = Conversation {
            system: instructions.map(str::to_string).into_iter().collect(),
            ..Conversation::default()
        };
        match body.get("prompt").or_else(|| body.get("input")) {
            Some(Value::String(text)) => conversation.users.push(text.clone()),
            Some(Value::Array(prompts)) => {
                let texts: Vec<&str> = prompts.iter().filter_map(Value::as_str).collect();
                // Only the first and the last prompt matter to the readers.
                if let Some(first) = texts.first() {
                    conversation.users.push((*first).to_string());
                }
                if let Some(last) = texts.last().filter(|_| texts.len() > 1) {
                    conversation.users.push((*last).to_string());
                }
            }
            _ => {}
        }
        conversation
    }

    /// The conversation of chat messages or Responses input items, after `instructions`.
    pub fn of_items(items: &[Value], instructions: Option<&str>) -> Conversation {
        fn role(item: &Value) -> &str {
            item.get("role").and_then(Value::as_str).unwrap_or("")
        }
        let mut system: Vec<String> = instructions.map(str::to_string).into_iter().collect();
        let mut users = Vec::new();
        let mut last_user = None;
        for (index, item) in items.iter().enumerate() {
            match role(item) {
                "system" | "developer" => system.push(content_text(item.get("content"))),
                "user" => {
                    users.push(content_text(item.get("content")));
                    last_user = Some(index);
                }
                _ => {}
            }
        }
        let after = last_user.map_or(0, |i| i + 1);
        let tool_results = items
            .iter()
            .enumerate()
            .skip(after)
            .filter_map(|(index, item)| tool_result(&items[..index], item))
            .collect();
        Conversation {
            system,
            users,
            tool_results,
        }
    }

    /// The first user message (empty when there is none).
    pub fn first_user(&self) -> &str {
        self.users.first().map_or("", String::as_str)
    }

    /// The last user message (empty when there is none).
    pub fn last_user(&self) -> &str {
        self.users.last().map_or("", String::as_str)
    }

    /// The system prompts, joined by newlines.
    pub fn system_prompt(&self) -> String {
        self.system.join("\n")
    }
}

/// The tool result `item` carries, named through the call among `before` it answers.
fn tool_result(before: &[Value], item: &Value) -> Option<ToolResult> {
    let text = |key: &str| item.get(key).and_then(Value::as_str);
    match (text("role"), text("type")) {
        (Some("tool"), _) => {
            let id = text("tool_call_id");
            let name = before.iter().rev().find_map(|message| {
                message
                    .get("tool_calls")?
                    .as_array()?
                    .iter()
                    .find(|call| call.get("id").and_then(Value::as_str) == id)?
                    .pointer("/function/name")?
                    .as_str()
                    .map(str::to_string)
            });
            Some(ToolResult {
                name,
                output: content_text(item.get("content")),
            })
        }
        (Some("function"), _) => Some(ToolResult {
            name: text("name").map(str::to_string),
            output: content_text(item.get("content")),
        }),
        (_, Some("function_call_output" | "custom_tool_call_output")) => {
            let call_id = text("call_id");
            let name = before.iter().rev().find_map(|other| {
                let is_call = matches!(
                    other.get("type").and_then(Value::as_str),
                    Some("function_call" | "custom_tool_call")
                );
                (is_call && other.get("call_id").and_then(Value::as_str) == call_id).then(|| {
                    other
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })?
            });
            Some(ToolResult {
                name,
                output: content_text(item.get("output")),
            })
        }
        (_, Some(kind)) => builtin_result(kind, item),
        _ => None,
    }
}

/// The result a client-side built-in tool's output item carries (see the module notes).
fn builtin_result(kind: &str, item: &Value) -> Option<ToolResult> {
    let text = |key: &str| item.get(key).and_then(Value::as_str).unwrap_or_default();
    let (name, output) = match kind {
        "shell_call_output" => {
            let streams: Vec<&str> = item
                .get("output")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .flat_map(|part| ["stdout", "stderr"].map(|key| part.get(key)))
                .filter_map(|text| text.and_then(Value::as_str))
                .filter(|text| !text.trim().is_empty())
                .collect();
            ("shell", streams.join("\n"))
        }
        "local_shell_call_output" => ("local_shell", text("output").to_string()),
        "apply_patch_call_output" => {
            let output = match text("output") {
                "" => format!("the patch status is {}", text("status")),
                output => output.to_string(),
            };
            ("apply_patch", output)
        }
        "computer_call_output" => (
            "computer",
            "the screenshot shows the screen after the action".to_string(),
        ),
        _ => return None,
    };
    Some(ToolResult {
        name: Some(name.to_string()),
        output,
    })
}

/// The text of a message `content` (or a tool output): a string, or the `text` of its parts
/// joined by newlines.
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chat_messages_give_system_users_and_named_tool_results() {
        let body = json!({"messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Weather in Oslo?"}]},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"t\": -3}"},
        ]});
        let conversation = Conversation::of(&body);
        assert_eq!(conversation.system_prompt(), "Be brief.");
        assert_eq!(conversation.last_user(), "Weather in Oslo?");
        assert_eq!(
            conversation.tool_results,
            [ToolResult {
                name: Some("get_weather".into()),
                output: "{\"t\": -3}".into()
            }]
        );
    }

    #[test]
    fn responses_input_prompts_and_strings_read_the_same_way() {
        let body = json!({"instructions": "Be kind.", "input": [
            {"role": "user", "content": "first"},
            {"type": "function_call", "call_id": "c", "name": "lookup", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c", "output": "found"},
        ]});
        let conversation = Conversation::of(&body);
        assert_eq!(conversation.system_prompt(), "Be kind.");
        assert_eq!(conversation.tool_results[0].name.as_deref(), Some("lookup"));
        let prompt = Conversation::of(&json!({"prompt": ["a", "b", "c"]}));
        assert_eq!((prompt.first_user(), prompt.last_user()), ("a", "c"));
        let shell = Conversation::of(&json!({"input": [
            {"role": "user", "content": "list the files"},
            {"type": "shell_call_output", "call_id": "c", "output": [
                {"stdout": "a.txt\n", "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}]},
        ]}));
        assert_eq!(
            shell.tool_results,
            [ToolResult {
                name: Some("shell".into()),
                output: "a.txt\n".into()
            }]
        );
        let input = Conversation::of(&json!({"input": "hello"}));
        assert_eq!((input.first_user(), input.last_user()), ("hello", "hello"));
    }
}
