//! The hosted (built-in) tools of `POST /responses`: each tool the request offers gets a
//! chance, in turn, to turn the composed answer into that tool's output items followed by a
//! message that uses the tool's result. One module per tool; this module owns what they
//! share: how `tool_choice` treats a tool ([`tool_use`]) and finding the offered tool
//! ([`offered`]).
//!
//! A tool acts only when no scenario rule scripts the answer, the answer does not already
//! call a function, a custom tool or another client-side tool, and [`tool_use`] allows it.
//!
//! Two kinds of tool:
//! - hosted ones run on the server and put their items before a message that uses their
//!   result (`file_search`, `mcp`), or before the calls they lead to (`tool_search`);
//! - client-side ones (`computer`, `shell`, `local_shell`, `apply_patch`) are called by the
//!   model and executed by the client: the answer is the call item alone, and the client's
//!   `*_output` item in the next request continues the loop ([`candidate`] and
//!   `message::hand_over`).

pub mod apply_patch;
pub mod computer;
pub mod file_search;
pub mod mcp;
pub mod message;
pub mod shell;
pub mod tool_search;

use crate::endpoints::endpoint::Call;
use crate::generate::Rng;
use serde_json::Value;

/// How the request's `tool_choice` treats one hosted tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// `"none"`, a named function or custom tool, or an `allowed_tools` list without it.
    Forbidden,
    /// `"auto"` (or no choice): the tool acts when the prompt calls for it.
    WhenRelevant,
    /// `"required"`, `{"type": <the tool>}`, or `allowed_tools` in `required` mode.
    Forced,
}

/// How `tool_choice` treats the hosted tool whose `type` is one of `types` (a tool can
/// have several names, such as `web_search` and `web_search_preview`).
pub fn tool_use(body: &Value, types: &[&str]) -> Use {
    let named = |value: &Value| value.as_str().is_some_and(|t| types.contains(&t));
    match body.get("tool_choice") {
        Some(Value::String(mode)) => match mode.as_str() {
            "none" => Use::Forbidden,
            "required" => Use::Forced,
            _ => Use::WhenRelevant,
        },
        Some(choice @ Value::Object(_)) => match choice.get("type").and_then(Value::as_str) {
            Some(kind) if types.contains(&kind) => Use::Forced,
            Some("allowed_tools") => {
                let listed = choice
                    .get("tools")
                    .and_then(Value::as_array)
                    .is_some_and(|tools| tools.iter().any(|t| named(&t["type"])));
                if !listed {
                    Use::Forbidden
                } else if choice.get("mode").and_then(Value::as_str) == Some("required") {
                    Use::Forced
                } else {
                    Use::WhenRelevant
                }
            }
            Some(_) => Use::Forbidden,
            None => Use::WhenRelevant,
        },
        _ => Use::WhenRelevant,
    }
}

/// The tools of the request's `tools` that `keep` keeps.
pub fn tools_where<'a>(body: &'a Value, keep: impl Fn(&Value) -> bool) -> Vec<&'a Value> {
    body.get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| keep(t))
        .collect()
}

/// The first tool in the request's `tools` whose `type` is one of `types`.
pub fn offered<'a>(body: &'a Value, types: &[&str]) -> Option<&'a Value> {
    body.get("tools")
        .and_then(Value::as_array)
        .and_then(|tools| {
            tools
                .iter()
                .find(|t| t["type"].as_str().is_some_and(|t| types.contains(&t)))
        })
}

/// A tool of `types` that may act on `answer`: the offered tool, how `tool_choice` treats
/// it, and where the answer's message is. `None` when a rule scripts the answer, the tool is
/// not offered or is forbidden, or the answer already calls a tool.
pub fn candidate<'b>(
    call: &Call,
    body: &'b Value,
    answer: &Value,
    types: &[&str],
) -> Option<(&'b Value, Use, usize)> {
    if call.script.is_some() {
        return None;
    }
    let tool = offered(body, types)?;
    let usage = tool_use(body, types);
    if usage == Use::Forbidden {
        return None;
    }
    Some((tool, usage, message::message_position(answer)?))
}

/// Whether a client-side tool whose output items are `output_type` acts on this turn: not
/// after its own output came back (the task is done, the model answers with the output),
/// and, unless `tool_choice` forces it, only when the prompt calls for it (`relevant`) and
/// no other tool's result is being answered.
pub fn client_turn(body: &Value, usage: Use, output_type: &str, relevant: bool) -> bool {
    let since = message::since_user(body);
    if since.iter().any(|item| item["type"] == output_type) {
        return false;
    }
    let answering = since.iter().any(|item| {
        item["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("_output"))
    });
    usage == Use::Forced || (relevant && !answering)
}

/// Lets each offered hosted tool act on `answer` (the shaped response for `body`, the request
/// with its earlier turns).
pub fn apply(call: &Call, body: &Value, answer: &mut Value, rng: &mut Rng) {
    file_search::apply(call, body, answer, rng);
    tool_search::apply(call, body, answer, rng);
    mcp::apply(call, body, answer, rng);
    computer::apply(call, body, answer, rng);
    shell::apply(call, body, answer, rng);
    apply_patch::apply(call, body, answer, rng);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tool_choice_forces_forbids_or_leaves_a_hosted_tool_to_relevance() {
        let with = |choice: Value| json!({"tool_choice": choice});
        let types = ["web_search", "web_search_preview"];
        assert_eq!(tool_use(&json!({}), &types), Use::WhenRelevant);
        assert_eq!(tool_use(&with(json!("auto")), &types), Use::WhenRelevant);
        assert_eq!(tool_use(&with(json!("none")), &types), Use::Forbidden);
        assert_eq!(tool_use(&with(json!("required")), &types), Use::Forced);
        assert_eq!(
            tool_use(&with(json!({"type": "web_search_preview"})), &types),
            Use::Forced
        );
        assert_eq!(
            tool_use(&with(json!({"type": "file_search"})), &types),
            Use::Forbidden
        );
        assert_eq!(
            tool_use(&with(json!({"type": "function", "name": "f"})), &types),
            Use::Forbidden
        );
        let allowed = |mode: &str, kind: &str| {
            with(json!({"type": "allowed_tools", "mode": mode, "tools": [{"type": kind}]}))
        };
        assert_eq!(
            tool_use(&allowed("required", "web_search"), &types),
            Use::Forced
        );
        assert_eq!(
            tool_use(&allowed("auto", "web_search"), &types),
            Use::WhenRelevant
        );
        assert_eq!(
            tool_use(&allowed("auto", "file_search"), &types),
            Use::Forbidden
        );
    }
}
