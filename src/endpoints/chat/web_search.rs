//! Chat Completions' `web_search_options`: the assistant's message is composed from the pages
//! a web search finds for the last user message (`endpoints::web_search`), with a
//! `url_citation` annotation on each cited link, as the search models answer.
//!
//! It applies when the request has `web_search_options` and no JSON `response_format`, no scenario rule scripts the
//! answer, and a choice's message has text and no tool calls (a choice cut by a token limit
//! keeps its text). `user_location.approximate` and `search_context_size` apply;
//! `usage.prompt_tokens` adds what the model read from the pages, and `completion_tokens`
//! counts the new text.

use crate::endpoints::web_search::{self, Settings};
use crate::services::tokens::Encoding;
use crate::validate::ValidRequest;
use serde_json::{json, Value};

/// Rewrites the messages of `answer` as the module notes say.
pub fn apply(request: &ValidRequest, last_user: &str, answer: &mut Value) {
    let Some(options) = request
        .body
        .get("web_search_options")
        .filter(|o| o.is_object())
    else {
        return;
    };
    let structured = request
        .body
        .pointer("/response_format/type")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind != "text");
    if last_user.trim().is_empty() || structured {
        return;
    }
    let settings = Settings::of(options);
    let query = web_search::query_of(last_user.trim(), settings.city.as_deref());
    let pages = web_search::search(&query, &settings);
    let (text, citations) = web_search::compose(&query, &pages);
    let annotations: Vec<Value> = citations
        .iter()
        .map(|c| {
            json!({"type": "url_citation", "url_citation": {
                "start_index": c.start, "end_index": c.end, "url": c.url, "title": c.title,
            }})
        })
        .collect();
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let encoding = Encoding::for_model(model);
    let new = encoding.count(&text);
    let mut old = 0;
    let mut rewritten = 0;
    for choice in answer
        .get_mut("choices")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if choice.get("finish_reason").and_then(Value::as_str) != Some("stop") {
            continue;
        }
        let Some(message) = choice.get_mut("message") else {
            continue;
        };
        let Some(content) = message.get("content").and_then(Value::as_str) else {
            continue;
        };
        old += encoding.count(content);
        rewritten += 1;
        message["content"] = json!(text);
        message["annotations"] = json!(annotations);
        // Logprobs described the replaced text.
        if let Some(logprobs) = choice.get_mut("logprobs").filter(|l| !l.is_null()) {
            logprobs["content"] = Value::Null;
        }
    }
    if rewritten == 0 {
        return;
    }
    if let Some(usage) = answer.get_mut("usage") {
        let count = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0) as usize;
        let prompt = count("prompt_tokens") + encoding.count(&web_search::read_text(&pages));
        let completion = (count("completion_tokens") + new * rewritten).saturating_sub(old);
        usage["prompt_tokens"] = json!(prompt);
        usage["completion_tokens"] = json!(completion);
        usage["total_tokens"] = json!(prompt + completion);
    }
}
