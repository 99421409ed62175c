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

mod agentic_events;
pub mod apply_patch;
pub mod code_interpreter;
pub mod computer;
pub mod events;
pub mod file_search;
pub mod image_generation;
pub mod mcp;
pub mod message;
pub mod reply;
pub mod shell;
pub mod tool_search;
pub mod web_search;

use super::context_of;
use crate::endpoints::endpoint::Call;
use crate::generate::Rng;
use crate::services::model::text::Context;
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
pub fn tools_where(body: &Value, keep: impl Fn(&Value) -> bool) -> Vec<&Value> {
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
    web_search::apply(call, body, answer, rng);
    code_interpreter::apply(call, body, answer, rng);
    image_generation::apply(call, body, answer, rng);
    tool_search::apply(call, body, answer, rng);
    mcp::apply(call, body, answer, rng);
    computer::apply(call, body, answer, rng);
    shell::apply(call, body, answer, rng);
    apply_patch::apply(call, body, answer, rng);
}

/// What a scenario rule says about one hosted tool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Script<'a> {
    /// No rule scripts the answer: the tool acts as the prompt and `tool_choice` say.
    Free,
    /// The rule pins the tool's result (its `tool_results` entry): the tool acts with it
    /// unless `tool_choice` forbids it.
    Pinned(&'a Value),
    /// The rule scripts the answer without this tool: it does not act.
    Off,
}

/// What the rule scripting `call`'s answer says about the tool whose `type` is one of
/// `types` (its `tool_results` entry is under any of them).
pub fn script<'a>(call: &'a Call, types: &[&str]) -> Script<'a> {
    match call.script {
        None => Script::Free,
        Some(scripted) => types
            .iter()
            .find_map(|kind| scripted.tool_results.get(*kind))
            .map_or(Script::Off, Script::Pinned),
    }
}

/// Where a hosted tool stands when it may act on an answer.
pub struct Turn<'a> {
    /// The tool's definition in the request.
    pub tool: &'a Value,
    /// The result a scenario rule pinned for it.
    pub pinned: Option<&'a Value>,
    /// How `tool_choice` treats it (`Forced` or `WhenRelevant`).
    pub usage: Use,
    /// How many calls it may still make.
    pub left: usize,
    /// The conversation it answers.
    pub context: Context,
    /// Where the answer's message is.
    pub position: usize,
}

impl Turn<'_> {
    /// The last user message, trimmed.
    pub fn prompt(&self) -> &str {
        self.context.last_user.trim()
    }

    /// Whether the tool acts: a rule pinned its result, `tool_choice` forces it, or the
    /// prompt says one of `cues`.
    pub fn wanted(&self, cues: &[&str]) -> bool {
        self.pinned.is_some() || self.usage == Use::Forced || mentions(self.prompt(), cues)
    }
}

/// Whether the hosted tool whose `type` is one of `types` (output items of type `item`)
/// may act on `answer`: the request offers it, the rule scripting the answer (if any) pins
/// its result, [`may_act`] allows it, the answer is a message that calls no function, there
/// is a last user message, and neither function outputs nor an `item` of this tool came
/// after it (the tool already ran for this question).
pub fn turn<'a>(
    call: &'a Call,
    body: &'a Value,
    answer: &Value,
    types: &[&str],
    item: &str,
) -> Option<Turn<'a>> {
    let pinned = match script(call, types) {
        Script::Off => return None,
        Script::Pinned(pinned) => Some(pinned),
        Script::Free => None,
    };
    let tool = offered(body, types)?;
    let (usage, left) = may_act(body, answer, types)?;
    let context = context_of(body);
    if context.last_user.trim().is_empty()
        || !context.tool_results.is_empty()
        || !since_last_user(body, item).is_empty()
    {
        return None;
    }
    let position = reply::message_position(answer)?;
    Some(Turn {
        tool,
        pinned,
        usage,
        left,
        context,
        position,
    })
}

/// Whether `include` lists `name`.
pub fn included(body: &Value, name: &str) -> bool {
    body.get("include")
        .and_then(Value::as_array)
        .is_some_and(|items| items.iter().any(|i| i == name))
}

/// The hosted tool calls already in `answer`'s output (items whose type ends in `_call`,
/// other than function calls).
fn hosted_calls(answer: &Value) -> usize {
    answer
        .get("output")
        .and_then(Value::as_array)
        .map_or(0, |output| {
            output
                .iter()
                .filter_map(|item| item.get("type").and_then(Value::as_str))
                .filter(|kind| kind.ends_with("_call") && *kind != "function_call")
                .count()
        })
}

/// Whether, and how, the hosted tool whose `type` is one of `types` may still act on
/// `answer`, with how many calls it may make: `None` when `tool_choice` forbids it, when
/// `max_tool_calls` calls were made, or when `parallel_tool_calls` is false and another tool
/// was called. `"required"` is met by any tool: once one was called, the others act only
/// when relevant.
pub fn may_act(body: &Value, answer: &Value, types: &[&str]) -> Option<(Use, usize)> {
    let usage = tool_use(body, types);
    if usage == Use::Forbidden {
        return None;
    }
    let done = hosted_calls(answer);
    let left = match body.get("max_tool_calls").and_then(Value::as_u64) {
        Some(max) => (max as usize).checked_sub(done).filter(|left| *left > 0)?,
        None => usize::MAX,
    };
    let parallel = body.get("parallel_tool_calls").and_then(Value::as_bool) != Some(false);
    if done > 0 && !parallel {
        return None;
    }
    let named = body
        .pointer("/tool_choice/type")
        .and_then(Value::as_str)
        .is_some_and(|kind| types.contains(&kind));
    let usage = if done > 0 && usage == Use::Forced && !named {
        Use::WhenRelevant
    } else {
        usage
    };
    Some((usage, if parallel { left } else { 1 }))
}

/// Whether `prompt` contains one of `cues` (lowercase phrases).
pub fn mentions(prompt: &str, cues: &[&str]) -> bool {
    let lower = prompt.to_lowercase();
    cues.iter().any(|cue| lower.contains(cue))
}

/// The input items of `kind` (`web_search_call`, ...) that came after the last user message:
/// the tool already ran for the question, and its items were sent back.
pub fn since_last_user<'a>(body: &'a Value, kind: &str) -> Vec<&'a Value> {
    let Some(items) = body.get("input").and_then(Value::as_array) else {
        return Vec::new();
    };
    let start = items
        .iter()
        .rposition(|item| item.get("role").and_then(Value::as_str) == Some("user"))
        .map_or(0, |at| at + 1);
    items[start..]
        .iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some(kind))
        .collect()
}

/// The input items of `kind` anywhere in the request (earlier turns included), last first.
pub fn earlier<'a>(body: &'a Value, kind: &str) -> Vec<&'a Value> {
    body.get("input")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .rev()
                .filter(|item| item.get("type").and_then(Value::as_str) == Some(kind))
                .collect()
        })
        .unwrap_or_default()
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
