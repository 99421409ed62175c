//! Web search as both text endpoints use it (the `web_search` tool of `/responses`, and
//! `web_search_options` of Chat Completions): what a prompt asks to search for
//! ([`query_of`], [`asks_to_search`]), the search over the built-in corpus
//! (`services::web_corpus`), and the answer composed from the pages found ([`compose`]),
//! whose citations point at the markdown link after each sentence they support.

use crate::services::model::text::Context;
use crate::services::web_corpus::{self, Found, Query};
use serde_json::Value;

/// Phrases that make a prompt call for a web search when `tool_choice` is `auto`.
const CUES: &[&str] = &[
    "search the web",
    "search online",
    "web search",
    "search for",
    "look up",
    "look online",
    "google",
    "latest",
    "news",
    "headline",
    "today",
    "tonight",
    "this week",
    "right now",
    "current",
    "recent",
    "weather",
    "forecast",
    "stock price",
    "price of",
    "who won",
    "score of",
    "http://",
    "https://",
];

/// Leading phrases that say how to search rather than what for.
const LEADS: &[&str] = &[
    "please",
    "can you",
    "could you",
    "search the web for",
    "search online for",
    "search the web",
    "search for",
    "look up",
    "find out",
    "find",
    "tell me",
];

/// Whether `prompt` calls for a web search.
pub fn asks_to_search(prompt: &str) -> bool {
    let lower = prompt.to_lowercase();
    CUES.iter().any(|cue| lower.contains(cue))
}

/// The search query for `prompt`: the prompt without the words that ask for a search, with
/// `city` added when the prompt asks about somewhere local.
pub fn query_of(prompt: &str, city: Option<&str>) -> String {
    let mut rest = prompt.trim();
    loop {
        let lower = rest.to_lowercase();
        let Some(lead) = LEADS.iter().find(|lead| {
            lower.starts_with(*lead) && lower[lead.len()..].starts_with([' ', ',', ':'])
        }) else {
            break;
        };
        let Some(after) = rest.get(lead.len()..) else {
            break;
        };
        rest = after.trim_start_matches([' ', ',', ':']);
    }
    let query = rest.trim().trim_end_matches(['?', '.', '!']).trim();
    let query = if query.is_empty() {
        Context::from_user(prompt)
            .topic()
            .unwrap_or_else(|| prompt.trim().to_string())
    } else {
        query.to_string()
    };
    let lower = query.to_lowercase();
    match city {
        Some(city)
            if !lower.contains(&city.to_lowercase())
                && [
                    "weather", "near me", "local", "nearby", "forecast", "events",
                ]
                .iter()
                .any(|w| lower.contains(w)) =>
        {
            format!("{query} {city}")
        }
        _ => query,
    }
}

/// The settings of a search that a tool (or `web_search_options`) gives.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `user_location.country`.
    pub country: Option<String>,
    /// `user_location.city`.
    pub city: Option<String>,
    /// `filters.allowed_domains`.
    pub allowed_domains: Vec<String>,
    /// How many pages to read, from `search_context_size`.
    pub pages: usize,
}

impl Settings {
    /// The settings in a tool definition or `web_search_options` object: `user_location`
    /// (its fields directly, or under `approximate` as Chat Completions sends them),
    /// `filters.allowed_domains` and `search_context_size` (low 2, medium 3, high 5 pages).
    pub fn of(tool: &Value) -> Settings {
        let location = tool.get("user_location").filter(|l| !l.is_null());
        let place = |key: &str| {
            location
                .and_then(|l| {
                    l.get(key)
                        .or_else(|| l.pointer(&format!("/approximate/{key}")))
                })
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let allowed_domains = tool
            .pointer("/filters/allowed_domains")
            .and_then(Value::as_array)
            .map(|d| {
                d.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let pages = match tool.get("search_context_size").and_then(Value::as_str) {
            Some("low") => 2,
            Some("high") => 5,
            _ => 3,
        };
        Settings {
            country: place("country"),
            city: place("city"),
            allowed_domains,
            pages,
        }
    }
}

/// The pages a search for `query` finds.
pub fn search(query: &str, settings: &Settings) -> Vec<Found> {
    web_corpus::search(&Query {
        text: query,
        country: settings.country.as_deref(),
        allowed_domains: &settings.allowed_domains,
        max: settings.pages,
    })
}

/// One citation of a composed answer, in characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    /// Where the cited span starts.
    pub start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
    /// The page cited.
    pub url: String,
    /// Its title.
    pub title: String,
}

/// The answer composed from `pages`: an opening line, then one line per page with its
/// sentence and a markdown link to it; each link is one citation.
pub fn compose(query: &str, pages: &[Found]) -> (String, Vec<Citation>) {
    let mut text = format!("Here is what I found about {query}:\n");
    let mut citations = Vec::new();
    for page in pages {
        text.push_str("\n- ");
        text.push_str(&page.summary);
        text.push(' ');
        let start = text.chars().count();
        let host = page
            .url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or(&page.url);
        let host = host.strip_prefix("www.").unwrap_or(host);
        text.push_str(&format!("([{host}]({}))", page.url));
        citations.push(Citation {
            start,
            end: text.chars().count(),
            url: page.url.clone(),
            title: page.title.clone(),
        });
    }
    (text, citations)
}

/// The text a model reads from `pages` (their titles and sentences).
pub fn read_text(pages: &[Found]) -> String {
    pages
        .iter()
        .map(|p| format!("{}\n{}\n{}", p.title, p.url, p.summary))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_drops_the_request_to_search_and_adds_the_city_for_local_questions() {
        assert_eq!(
            query_of("Search the web for the latest Rust release.", None),
            "the latest Rust release"
        );
        assert_eq!(
            query_of("What's the weather today?", Some("London")),
            "What's the weather today London"
        );
        assert!(asks_to_search("Any news on the climate summit?"));
        assert!(!asks_to_search("Write a haiku about autumn."));
    }

    #[test]
    fn citations_point_at_the_links_in_the_text() {
        let pages = search("latest Rust release", &Settings::of(&Value::Null));
        let (text, citations) = compose("the latest Rust release", &pages);
        assert!(!citations.is_empty());
        let chars: Vec<char> = text.chars().collect();
        for citation in &citations {
            let cited: String = chars[citation.start..citation.end].iter().collect();
            assert!(cited.starts_with("(["), "{cited}");
            assert!(cited.contains(&citation.url), "{cited}");
        }
        assert_eq!(
            citations[0].url,
            "https://blog.rust-lang.org/releases/latest"
        );
    }
}
