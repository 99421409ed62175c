//! The tools an MCP server lists (`mcp_list_tools`), derived deterministically from the
//! `mcp` tool's `connector_id`, else from words of its `server_label` and `server_url`
//! (`deepwiki`, `github`, `stripe`, `weather`), else a generic `search`/`fetch` pair; and
//! whether the server can be reached at all ([`unreachable`]).
//!
//! Each listed tool has a JSON Schema `input_schema`, and read-only tools carry the MCP
//! annotation `readOnlyHint: true` (which `allowed_tools` and `require_approval` filters
//! with `read_only` look at).

use serde_json::{json, Value};

/// One listed tool: name, description, input schema (properties as `(name, type, what)`),
/// and whether it only reads.
struct Listed {
    name: &'static str,
    description: &'static str,
    properties: &'static [(&'static str, &'static str, &'static str)],
    read_only: bool,
}

const fn tool(
    name: &'static str,
    description: &'static str,
    properties: &'static [(&'static str, &'static str, &'static str)],
    read_only: bool,
) -> Listed {
    Listed {
        name,
        description,
        properties,
        read_only,
    }
}

const DEEPWIKI: &[Listed] = &[
    tool(
        "read_wiki_structure",
        "Get a list of documentation topics for a GitHub repository",
        &[("repoName", "string", "GitHub repository: owner/repo")],
        true,
    ),
    tool(
        "read_wiki_contents",
        "View documentation about a GitHub repository",
        &[("repoName", "string", "GitHub repository: owner/repo")],
        true,
    ),
    tool(
        "ask_question",
        "Ask any question about a GitHub repository",
        &[
            ("repoName", "string", "GitHub repository: owner/repo"),
            (
                "question",
                "string",
                "The question to ask about the repository",
            ),
        ],
        true,
    ),
];

const GITHUB: &[Listed] = &[
    tool(
        "search_repositories",
        "Search for GitHub repositories",
        &[("query", "string", "Search query")],
        true,
    ),
    tool(
        "get_issue",
        "Get the details of an issue in a GitHub repository",
        &[
            ("owner", "string", "Repository owner"),
            ("repo", "string", "Repository name"),
            ("issue_number", "integer", "The number of the issue"),
        ],
        true,
    ),
    tool(
        "create_issue",
        "Create a new issue in a GitHub repository",
        &[
            ("owner", "string", "Repository owner"),
            ("repo", "string", "Repository name"),
            ("title", "string", "Issue title"),
            ("body", "string", "Issue body"),
        ],
        false,
    ),
];

const STRIPE: &[Listed] = &[
    tool(
        "list_customers",
        "List the customers of the Stripe account",
        &[("limit", "integer", "How many customers to return")],
        true,
    ),
    tool(
        "create_customer",
        "Create a customer in Stripe",
        &[
            ("name", "string", "The customer's name"),
            ("email", "string", "The customer's email address"),
        ],
        false,
    ),
    tool(
        "create_payment_link",
        "Create a payment link for a price",
        &[
            ("price", "string", "The id of the price"),
            ("quantity", "integer", "How many units"),
        ],
        false,
    ),
];

const WEATHER: &[Listed] = &[tool(
    "get_forecast",
    "Get the weather forecast for a city",
    &[
        ("city", "string", "The city"),
        ("days", "integer", "How many days ahead"),
    ],
    true,
)];

const MAIL: &[Listed] = &[
    tool(
        "search_emails",
        "Search the user's email messages",
        &[("query", "string", "Words to search for")],
        true,
    ),
    tool(
        "read_email",
        "Read one email message by its id",
        &[("message_id", "string", "The id of the message")],
        true,
    ),
];

const CALENDAR: &[Listed] = &[
    tool(
        "search_events",
        "Search the user's calendar events",
        &[("query", "string", "Words to search for")],
        true,
    ),
    tool(
        "fetch",
        "Fetch one calendar event by its id",
        &[("id", "string", "The id of the event")],
        true,
    ),
];

const GENERIC: &[Listed] = &[
    tool(
        "search",
        "Search the server's documents for a query",
        &[("query", "string", "Words to search for")],
        true,
    ),
    tool(
        "fetch",
        "Fetch one document by its id",
        &[("id", "string", "The id of the document")],
        true,
    ),
];

/// The tools the server of `mcp` (an `mcp` tool of the request) lists, in order.
pub fn tools_of(mcp: &Value) -> Vec<Value> {
    let connector = mcp.get("connector_id").and_then(Value::as_str);
    let listed = match connector {
        Some("connector_gmail" | "connector_outlookemail") => MAIL,
        Some("connector_googlecalendar" | "connector_outlookcalendar") => CALENDAR,
        Some(_) => GENERIC,
        None => {
            let words = format!(
                "{} {}",
                mcp.get("server_label")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                mcp.get("server_url").and_then(Value::as_str).unwrap_or("")
            )
            .to_lowercase();
            [
                ("deepwiki", DEEPWIKI),
                ("github", GITHUB),
                ("stripe", STRIPE),
                ("weather", WEATHER),
            ]
            .iter()
            .find(|(word, _)| words.contains(word))
            .map_or(GENERIC, |(_, tools)| tools)
        }
    };
    listed.iter().map(listing).collect()
}

fn listing(listed: &Listed) -> Value {
    let properties: serde_json::Map<String, Value> = listed
        .properties
        .iter()
        .map(|(name, kind, what)| {
            let mut schema = json!({"type": kind, "description": what});
            if *kind == "integer" {
                schema["minimum"] = json!(1);
                schema["maximum"] = json!(100);
            }
            ((*name).to_string(), schema)
        })
        .collect();
    let required: Vec<&str> = listed.properties.iter().map(|(name, _, _)| *name).collect();
    json!({
        "name": listed.name,
        "description": listed.description,
        "input_schema": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        },
        "annotations": {"readOnlyHint": listed.read_only},
    })
}

/// Why the server of `mcp` cannot be reached, if it cannot: it has neither `server_url`
/// nor `connector_id`, or its URL's host is under a reserved test domain (`.invalid`,
/// `.test`, `.example`), which is how a test asks for the failure.
pub fn unreachable(mcp: &Value) -> Option<String> {
    let label = mcp
        .get("server_label")
        .and_then(Value::as_str)
        .unwrap_or("");
    if mcp.get("connector_id").and_then(Value::as_str).is_some() {
        return None;
    }
    let Some(url) = mcp.get("server_url").and_then(Value::as_str) else {
        return Some(format!(
            "Error retrieving tool list from MCP server: '{label}'. A server_url or \
             connector_id is required."
        ));
    };
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':', '?'])
        .next()
        .unwrap_or("")
        .to_lowercase();
    let reserved = [".invalid", ".test", ".example"]
        .iter()
        .any(|tld| host.ends_with(tld));
    reserved.then(|| {
        format!(
            "Error retrieving tool list from MCP server: '{label}'. Http status code: 424 \
             (Failed Dependency)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_list_tools_by_connector_or_name() {
        let names = |mcp: Value| -> Vec<String> {
            tools_of(&mcp)
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            names(
                json!({"server_label": "deepwiki", "server_url": "https://mcp.deepwiki.com/mcp"})
            ),
            ["read_wiki_structure", "read_wiki_contents", "ask_question"]
        );
        assert_eq!(
            names(json!({"server_label": "mail", "connector_id": "connector_gmail"})),
            ["search_emails", "read_email"]
        );
        assert_eq!(
            names(json!({"server_label": "x", "server_url": "https://x.dev/mcp"})),
            ["search", "fetch"]
        );
        assert!(
            unreachable(&json!({"server_label": "d", "server_url": "https://a.dev"})).is_none()
        );
        assert!(unreachable(
            &json!({"server_label": "d", "server_url": "https://down.invalid/mcp"})
        )
        .is_some_and(|e| e.contains("'d'")));
        assert!(unreachable(&json!({"server_label": "d"})).is_some());
    }
}
