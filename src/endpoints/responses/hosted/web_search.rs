//! The `web_search` tool of `POST /responses` (types `web_search`, `web_search_preview` and
//! their dated versions): `web_search_call` items, then a message composed from the pages
//! found with `url_citation` annotations on the links it cites (`endpoints::web_search`).
//!
//! - The tool acts when `tool_choice` forces it (`"required"`, `{"type": "web_search"}`) or,
//!   with `"auto"`, when the prompt asks for a search or for something current ("search the
//!   web for", "latest", "news", "today", "weather", a URL, ...); never with `"none"`.
//!   `max_tool_calls` and `parallel_tool_calls` apply (`hosted::may_act`).
//! - A prompt with a URL opens it (`open_page`), and, with a quoted phrase, looks for it
//!   there (`find_in_page`); otherwise one `search` action with `query` and `queries`, and,
//!   with `include: ["web_search_call.action.sources"]`, its `sources`.
//! - The tool's `user_location`, `filters.allowed_domains` and `search_context_size` apply.
//! - A scenario rule's `tool_results.web_search` pins the result: `query` and `sources`
//!   (`[{url, title, text}]`), used instead of the corpus; the tool then acts whatever the
//!   prompt (unless `tool_choice` forbids it), and a scripted `text` replaces the composed one.
//! - A request that sends a `web_search_call` back after its last user message is not
//!   searched again; a later question about the sources or the earlier answer ("summarise
//!   that", "which sources") is answered from the pages the earlier answer cited.

use super::reply::{rewrite, Reply};
use super::{earlier, included, mentions, turn, Turn, Use};
use crate::endpoints::endpoint::Call;
use crate::endpoints::web_search::{self, Settings};
use crate::generate::{new_id, Rng};
use crate::services::tokens::Encoding;
use crate::services::web_corpus::Found;
use serde_json::{json, Value};

/// The tool types this module serves.
pub const TYPES: &[&str] = &[
    "web_search",
    "web_search_2025_08_26",
    "web_search_preview",
    "web_search_preview_2025_03_11",
];

/// Words of a question about an earlier search's result.
const FOLLOW_UP: &[&str] = &[
    "source", "summar", "link", "that", "those", "them", "it ", "more", "shorter",
];

/// Rewrites `answer` (the shaped response for `body`, the request with its earlier turns)
/// as the module notes say; leaves it alone when the tool does not act.
pub fn apply(call: &Call, body: &Value, answer: &mut Value, rng: &mut Rng) {
    let Some(turn) = turn(call, body, answer, TYPES, "web_search_call") else {
        return;
    };
    let Turn {
        tool,
        pinned,
        usage,
        left,
        position,
        ..
    } = turn;
    let prompt = turn.prompt();
    if usage == Use::WhenRelevant && pinned.is_none() && !web_search::asks_to_search(prompt) {
        if mentions(prompt, FOLLOW_UP) {
            answer_from_earlier(call, body, answer, position, rng);
        }
        return;
    }
    let settings = Settings::of(tool);
    let (actions, pages, query) = match pinned {
        Some(pinned) => {
            let query = pinned
                .get("query")
                .and_then(Value::as_str)
                .map_or_else(|| web_search::query_of(prompt, None), str::to_string);
            let pages = pinned_pages(pinned);
            (vec![search_action(body, &query, &pages)], pages, query)
        }
        None => match url_in(prompt) {
            Some(url) => {
                let page = opened(&url);
                let mut actions = vec![json!({"type": "open_page", "url": url})];
                if let Some(pattern) = quoted(prompt) {
                    actions.push(json!({"type": "find_in_page", "url": url, "pattern": pattern}));
                }
                (actions, vec![page], url)
            }
            None => {
                let query = web_search::query_of(prompt, settings.city.as_deref());
                let pages = web_search::search(&query, &settings);
                (vec![search_action(body, &query, &pages)], pages, query)
            }
        },
    };
    let items: Vec<Value> = actions
        .into_iter()
        .take(left)
        .map(|action| {
            json!({
                "id": new_id(rng, "ws_"),
                "type": "web_search_call",
                "status": "completed",
                "action": action,
            })
        })
        .collect();
    let found = Results {
        query: &query,
        pages: &pages,
    };
    cite(call, body, answer, position, items, &found, rng);
}

/// What a search found.
struct Results<'a> {
    query: &'a str,
    pages: &'a [Found],
}

/// A `search` action for `query`, with the `sources` when `include` asks for them.
fn search_action(body: &Value, query: &str, pages: &[Found]) -> Value {
    let mut action = json!({"type": "search", "query": query, "queries": [query]});
    if included(body, "web_search_call.action.sources") {
        action["sources"] = pages
            .iter()
            .map(|p| json!({"type": "url", "url": p.url}))
            .collect();
    }
    action
}

/// The pages a rule pinned (`sources: [{url, title, text}]`); entries without a `url` are
/// skipped.
fn pinned_pages(pinned: &Value) -> Vec<Found> {
    pinned
        .get("sources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|source| {
            let url = source.get("url").and_then(Value::as_str)?;
            let text = |key: &str| source.get(key).and_then(Value::as_str);
            Some(Found {
                url: url.to_string(),
                title: text("title").unwrap_or(url).to_string(),
                summary: text("text")
                    .or_else(|| text("summary"))
                    .unwrap_or("")
                    .to_string(),
            })
        })
        .collect()
}

/// Gives the message at `position` the answer composed from what was `found`, after
/// `items`.
fn cite(
    call: &Call,
    body: &Value,
    answer: &mut Value,
    position: usize,
    items: Vec<Value>,
    found: &Results,
    rng: &mut Rng,
) {
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let read = Encoding::for_model(model).count(&web_search::read_text(found.pages));
    let (text, citations) = web_search::compose(found.query, found.pages);
    let reply = Reply {
        body,
        text,
        annotations: citations
            .iter()
            .map(|c| {
                json!({
                    "type": "url_citation",
                    "url": c.url,
                    "title": c.title,
                    "start_index": c.start,
                    "end_index": c.end,
                })
            })
            .collect(),
        read,
    }
    .scripted(call);
    rewrite(answer, position, items, &reply, rng);
}

/// A follow-up question about an earlier search: the message cites the pages the last
/// earlier answer cited, without searching again.
fn answer_from_earlier(
    call: &Call,
    body: &Value,
    answer: &mut Value,
    position: usize,
    rng: &mut Rng,
) {
    if earlier(body, "web_search_call").is_empty() {
        return;
    }
    let mut pages: Vec<Found> = Vec::new();
    for message in earlier(body, "message") {
        let annotations = message
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|part| part.get("annotations").and_then(Value::as_array))
            .flatten();
        for annotation in annotations.filter(|a| a["type"] == "url_citation") {
            let url = annotation["url"].as_str().unwrap_or_default();
            if !url.is_empty() && !pages.iter().any(|p| p.url == url) {
                pages.push(Found {
                    url: url.to_string(),
                    title: annotation["title"].as_str().unwrap_or(url).to_string(),
                    summary: format!(
                        "The earlier search cited {}.",
                        annotation["title"].as_str().unwrap_or(url)
                    ),
                });
            }
        }
        if !pages.is_empty() {
            break;
        }
    }
    if !pages.is_empty() {
        let found = Results {
            query: "the earlier search",
            pages: &pages,
        };
        cite(call, body, answer, position, Vec::new(), &found, rng);
    }
}

/// The first `http(s)://` URL in `text`.
fn url_in(text: &str) -> Option<String> {
    let start = text.find("https://").or_else(|| text.find("http://"))?;
    let url: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '<' | '>' | ')'))
        .collect();
    let url = url.trim_end_matches(['.', ',', '?', '!', ';', ':']);
    (url.len() > "https://".len()).then(|| url.to_string())
}

/// The first phrase in double quotes in `text`.
fn quoted(text: &str) -> Option<String> {
    let mut parts = text.split(['"', '“', '”']);
    parts.next()?;
    parts
        .next()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
}

/// The page at `url`, as the answer quotes it.
fn opened(url: &str) -> Found {
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(url);
    Found {
        url: url.to_string(),
        title: host.to_string(),
        summary: format!("The page at {host} was opened and read."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_quoted_phrases_are_found_in_the_prompt() {
        assert_eq!(
            url_in("Open https://example.com/docs, and look for \"rate limits\".").as_deref(),
            Some("https://example.com/docs")
        );
        assert_eq!(
            quoted("Open https://example.com and find \"rate limits\"").as_deref(),
            Some("rate limits")
        );
        assert_eq!(url_in("no link here"), None);
    }
}
