//! The `mcp` tool of `POST /responses`, run on the server: for each MCP server the request
//! offers, an `mcp_list_tools` item (once per conversation: a server already listed in the
//! earlier items keeps that list), then, when a listed tool is called for, either an
//! `mcp_call` with its `output` followed by a message that uses it, or an
//! `mcp_approval_request` (no message) when `require_approval` demands it.
//!
//! - Listing: [`servers::tools_of`], narrowed by the tool's `allowed_tools` (names, or a
//!   filter with `tool_names` / `read_only`). A server that cannot be reached
//!   ([`servers::unreachable`]) gives an `mcp_list_tools` item with `error` and no tools,
//!   and the message says so.
//! - Calling: `tool_choice` `"auto"` calls the listed tool the prompt refers to (the rule of
//!   `tools::Tool::is_referred_to`), else the server's first tool when the prompt names the
//!   server's label; `"required"` or `{"type": "mcp", "server_label", "name"}` force a call
//!   (the named tool, else the first). The arguments are valid against the listed
//!   `input_schema` (the structured-output generator, fed by the prompt).
//! - Approval: `require_approval` is `"always"` by default; `"never"`, or the object form,
//!   where a tool matching `never` (by `tool_names`, or `read_only` and the tool's
//!   `readOnlyHint`) needs none, and any other tool needs one. An `mcp_approval_response` in
//!   the next request (after `previous_response_id`, or with the request in `input`) runs
//!   the approved call (its `approval_request_id` set), or, when `approve` is false, the
//!   model answers that the call was declined.
//! - Scripting: a rule's `tool_results: {mcp: {tools: [...], output: ...}}` pins the tool
//!   list of servers not listed yet and the called tool's output (a string, or JSON written
//!   as text); the server is then called unless `tool_choice` forbids it.

pub mod servers;

use super::super::context_of;
use super::message::{hand_over, message_position, say, since_user, Said};
use super::{script, tool_use, tools_where, Script, Use};
use crate::endpoints::endpoint::Call;
use crate::generate::{new_id, Rng};
use crate::services::conversation::ToolResult;
use crate::services::model::text::{self, Context};
use crate::services::model::tools::{self, Tool};
use crate::services::tokens::Encoding;
use serde_json::{json, Value};

/// One server as this turn sees it: its tool entry, the tools it lists, and its error.
struct Server<'b> {
    tool: &'b Value,
    label: String,
    tools: Vec<Value>,
    error: Option<String>,
}

/// Rewrites `answer` as the module notes say, when the request offers an MCP server.
pub fn apply(call: &Call, body: &Value, answer: &mut Value, rng: &mut Rng) {
    let pinned = match script(call, &["mcp"]) {
        Script::Off => return,
        Script::Pinned(pinned) => Some(pinned),
        Script::Free => None,
    };
    let offered = tools_where(body, |t| t["type"] == "mcp");
    if offered.is_empty() {
        return;
    }
    let usage = match tool_use(body, &["mcp"]) {
        Use::WhenRelevant if pinned.is_some() => Use::Forced,
        usage => usage,
    };
    let pinned_tools = pinned
        .and_then(|p| p.get("tools"))
        .and_then(Value::as_array);
    let Some(position) = message_position(answer) else {
        return;
    };
    if usage == Use::Forbidden {
        return;
    }
    let earlier = body.get("input").and_then(Value::as_array);
    let mut listings = Vec::new();
    let servers: Vec<Server> = offered
        .iter()
        .map(|tool| {
            let label = tool["server_label"].as_str().unwrap_or("").to_string();
            let known = earlier.into_iter().flatten().rev().find(|item| {
                item["type"] == "mcp_list_tools" && item["server_label"] == label.as_str()
            });
            let (tools, error) = match known {
                Some(item) => (
                    item["tools"].as_array().cloned().unwrap_or_default(),
                    item["error"].as_str().map(str::to_string),
                ),
                None => {
                    let error = servers::unreachable(tool);
                    let tools: Vec<Value> = if error.is_some() {
                        Vec::new()
                    } else {
                        pinned_tools
                            .cloned()
                            .unwrap_or_else(|| servers::tools_of(tool))
                            .into_iter()
                            .filter(|t| allowed(tool, t))
                            .collect()
                    };
                    listings.push(json!({
                        "type": "mcp_list_tools",
                        "id": new_id(rng, "mcpl_"),
                        "server_label": label,
                        "tools": tools,
                        "error": error,
                    }));
                    (tools, error)
                }
            };
            let tools = tools.into_iter().filter(|t| allowed(tool, t)).collect();
            Server {
                tool,
                label,
                tools,
                error,
            }
        })
        .collect();
    let context = context_of(body);
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let encoding = Encoding::for_model(model);
    let now = answer
        .get("created_at")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let turn = Turn {
        body,
        pinned_output: pinned
            .and_then(|p| p.get("output"))
            .map(|output| match output {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            }),
        context: &context,
        encoding,
        position,
        listings,
    };
    if let Some(response) = since_user(body)
        .iter()
        .rev()
        .find(|item| item["type"] == "mcp_approval_response")
    {
        return approved(answer, &turn, response, rng);
    }
    if let Some(failed) = servers.iter().find(|s| s.error.is_some()) {
        let text = format!(
            "I could not reach the MCP server '{}', so I could not use its tools.",
            failed.label
        );
        return turn.say(answer, &text, Vec::new(), 0, rng);
    }
    let answering = !context.tool_results.is_empty();
    let chosen = if answering && usage != Use::Forced {
        None
    } else {
        choose(body, &servers, &context.last_user, usage)
    };
    let Some((server, listed)) = chosen else {
        return turn.say(answer, "", Vec::new(), 0, rng);
    };
    let name = listed["name"].as_str().unwrap_or("").to_string();
    let as_tool = Tool {
        name: name.clone(),
        description: listed["description"].as_str().unwrap_or("").to_string(),
        parameters: Some(listed["input_schema"].clone()),
        custom: false,
        format: None,
    };
    let arguments = tools::call(&as_tool, &context, now, rng).input;
    let written = encoding.count(&arguments);
    if needs_approval(server.tool, listed) {
        let request = json!({
            "type": "mcp_approval_request",
            "id": new_id(rng, "mcpr_"),
            "server_label": server.label,
            "name": name,
            "arguments": arguments,
        });
        let at = position + turn.listings.len();
        insert(answer, position, turn.listings);
        return hand_over(answer, at, request, written);
    }
    let run = Run {
        label: &server.label,
        name: &name,
        arguments: &arguments,
        approval: None,
    };
    run.answer(answer, &turn, written, rng);
}

/// What every answer of this turn shares.
struct Turn<'a> {
    body: &'a Value,
    /// The output a scenario rule pinned for the call (`tool_results.mcp.output`).
    pinned_output: Option<String>,
    context: &'a Context,
    encoding: Encoding,
    position: usize,
    /// The `mcp_list_tools` items this turn adds.
    listings: Vec<Value>,
}

impl Turn<'_> {
    /// Puts the listings and `items` before the message, which says `text` (its own text
    /// when `text` is empty).
    fn say(
        &self,
        answer: &mut Value,
        text: &str,
        items: Vec<Value>,
        written: usize,
        rng: &mut Rng,
    ) {
        if self.listings.is_empty() && items.is_empty() && text.is_empty() {
            return;
        }
        let kept = answer
            .pointer(&format!("/output/{}/content/0/text", self.position))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let text = if text.is_empty() { kept.as_str() } else { text };
        let read = items
            .iter()
            .filter_map(|item| item["output"].as_str())
            .map(|output| self.encoding.count(output))
            .sum();
        let said = Said {
            encoding: self.encoding,
            body: self.body,
            text,
            annotations: Vec::new(),
            read,
            written,
        };
        let all = self.listings.iter().cloned().chain(items).collect();
        say(answer, self.position, all, &said, rng);
    }
}

/// One call the server runs.
struct Run<'a> {
    label: &'a str,
    name: &'a str,
    arguments: &'a str,
    approval: Option<&'a str>,
}

impl Run<'_> {
    /// The `mcp_call` with its output, then a message that uses the output.
    fn answer(&self, answer: &mut Value, turn: &Turn, written: usize, rng: &mut Rng) {
        let output = match &turn.pinned_output {
            Some(pinned) => pinned.clone(),
            None => output_of(self.name, self.arguments, turn.context, rng),
        };
        let item = json!({
            "type": "mcp_call",
            "id": new_id(rng, "mcp_"),
            "server_label": self.label,
            "name": self.name,
            "arguments": self.arguments,
            "output": output,
            "error": null,
            "status": "completed",
            "approval_request_id": self.approval,
        });
        let mut using = turn.context.clone();
        using.tool_results = vec![ToolResult {
            name: Some(self.name.to_string()),
            output: output.clone(),
        }];
        let text = text::reply(&using, rng);
        turn.say(answer, &text, vec![item], written, rng);
    }
}

/// The answer to an `mcp_approval_response`: the approved call, or a message that the
/// call was declined. A response to a request not in the items is ignored.
fn approved(answer: &mut Value, turn: &Turn, response: &Value, rng: &mut Rng) {
    let id = response["approval_request_id"].as_str().unwrap_or("");
    let request = turn
        .body
        .get("input")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|item| item["type"] == "mcp_approval_request" && item["id"] == id);
    let Some(request) = request else {
        return;
    };
    let field = |key: &str| request[key].as_str().unwrap_or("");
    if response["approve"] != true {
        let text = format!(
            "The call to {} on the MCP server '{}' was not approved, so I did not run it.",
            field("name"),
            field("server_label")
        );
        return turn.say(answer, &text, Vec::new(), 0, rng);
    }
    let run = Run {
        label: field("server_label"),
        name: field("name"),
        arguments: field("arguments"),
        approval: Some(id),
    };
    run.answer(answer, turn, 0, rng);
}

/// The server and listed tool to call (see the module notes), if any.
fn choose<'s>(
    body: &Value,
    servers: &'s [Server],
    prompt: &str,
    usage: Use,
) -> Option<(&'s Server<'s>, &'s Value)> {
    let choice = body.get("tool_choice").filter(|c| c["type"] == "mcp");
    let named_server = choice.and_then(|c| c["server_label"].as_str());
    let named_tool = choice.and_then(|c| c["name"].as_str());
    let candidates = servers
        .iter()
        .filter(|s| named_server.is_none_or(|label| s.label == label));
    let mut first = None;
    let lower = prompt.to_lowercase();
    for server in candidates {
        for listed in &server.tools {
            let name = listed["name"].as_str().unwrap_or("");
            if let Some(wanted) = named_tool {
                if name == wanted {
                    return Some((server, listed));
                }
                continue;
            }
            first = first.or(Some((server, listed)));
            let as_tool = Tool {
                name: name.to_string(),
                description: listed["description"].as_str().unwrap_or("").to_string(),
                parameters: None,
                custom: false,
                format: None,
            };
            if as_tool.is_referred_to(prompt) {
                return Some((server, listed));
            }
        }
        let label = server.label.to_lowercase();
        if !label.is_empty() && lower.contains(&label) && named_tool.is_none() {
            if let Some(listed) = server.tools.first() {
                return Some((server, listed));
            }
        }
    }
    if usage == Use::Forced {
        first
    } else {
        None
    }
}

/// Whether a tool filter (`{tool_names, read_only}`) matches a listed tool.
fn matches(filter: &Value, listed: &Value) -> bool {
    let named = filter["tool_names"]
        .as_array()
        .is_some_and(|names| names.iter().any(|n| *n == listed["name"]));
    let read_only = filter["read_only"] == true && listed["annotations"]["readOnlyHint"] == true;
    named || read_only
}

/// Whether the server's `allowed_tools` lets the model use a listed tool.
fn allowed(server: &Value, listed: &Value) -> bool {
    match server.get("allowed_tools") {
        Some(Value::Array(names)) => names.iter().any(|n| *n == listed["name"]),
        Some(filter @ Value::Object(_)) => matches(filter, listed),
        _ => true,
    }
}

/// Whether calling a listed tool needs the user's approval first.
fn needs_approval(server: &Value, listed: &Value) -> bool {
    match server.get("require_approval") {
        Some(Value::String(setting)) => setting != "never",
        Some(object @ Value::Object(_)) => {
            let never = object.get("never").is_some_and(|f| matches(f, listed));
            !never
        }
        _ => true,
    }
}

/// What the MCP tool answers: search-like tools a JSON list of results, fetch-like tools a
/// JSON document, creating tools the created object, other tools a text answer.
fn output_of(name: &str, arguments: &str, context: &Context, rng: &mut Rng) -> String {
    let args: Value = serde_json::from_str(arguments).unwrap_or(Value::Null);
    let topic = context.topic().unwrap_or_else(|| "the request".into());
    let first_string = args
        .as_object()
        .and_then(|o| o.values().find_map(Value::as_str))
        .unwrap_or(topic.as_str())
        .to_string();
    let lower = name.to_lowercase();
    if lower.starts_with("search") || lower.starts_with("list") {
        let results: Vec<Value> = (1..=3)
            .map(|n| {
                json!({
                    "id": new_id(rng, "doc_"),
                    "title": format!("{} ({n})", text::capitalise(&first_string)),
                })
            })
            .collect();
        return json!({ "results": results }).to_string();
    }
    if lower.starts_with("create") {
        return json!({"id": new_id(rng, "obj_"), "status": "created"}).to_string();
    }
    if lower.starts_with("fetch") || lower.starts_with("read") || lower.starts_with("get") {
        return json!({
            "id": first_string,
            "title": text::capitalise(&topic),
            "text": text::reply(&Context::from_user(&context.last_user), rng),
        })
        .to_string();
    }
    text::reply(&Context::from_user(&context.last_user), rng)
}

/// Inserts `items` into the answer's output at `position`.
fn insert(answer: &mut Value, position: usize, items: Vec<Value>) {
    if let Some(output) = answer.get_mut("output").and_then(Value::as_array_mut) {
        for (offset, item) in items.into_iter().enumerate() {
            output.insert(position + offset, item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_and_allowed_filters() {
        let read = json!({"name": "search", "annotations": {"readOnlyHint": true}});
        let write = json!({"name": "create_issue", "annotations": {"readOnlyHint": false}});
        assert!(needs_approval(&json!({}), &read));
        assert!(!needs_approval(
            &json!({"require_approval": "never"}),
            &read
        ));
        let filter = json!({"require_approval": {"never": {"read_only": true}}});
        assert!(!needs_approval(&filter, &read));
        assert!(needs_approval(&filter, &write));
        let names = json!({"require_approval": {"never": {"tool_names": ["create_issue"]}}});
        assert!(!needs_approval(&names, &write));
        assert!(allowed(&json!({"allowed_tools": ["search"]}), &read));
        assert!(!allowed(&json!({"allowed_tools": ["search"]}), &write));
        assert!(!allowed(
            &json!({"allowed_tools": {"read_only": true}}),
            &write
        ));
    }
}
