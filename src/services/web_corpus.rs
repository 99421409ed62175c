//! The mock's small web: a fixed corpus of plausible pages (written for the mock) that the
//! `web_search` tool of `/responses` and Chat Completions' `web_search_options` search.
//!
//! [`search`] ranks pages by the query's significant words found in a page's keywords and
//! title; a page of the searcher's country (`user_location.country`) ranks higher among
//! pages that match, and `allowed_domains` keeps only pages on those domains (or their
//! subdomains). When fewer than two pages match, reference pages about the query's topic are
//! made up on an allowed domain (an encyclopedia otherwise), so every search finds sources.

use crate::services::model::text::{capitalise, is_stopword, words};

/// One page of the corpus.
struct Page {
    url: &'static str,
    title: &'static str,
    /// The ISO country the page is local to, when it is.
    country: Option<&'static str>,
    keywords: &'static [&'static str],
    /// One or two sentences the answer quotes.
    summary: &'static str,
}

const PAGES: &[Page] = &[
    Page {
        url: "https://www.reuters.com/technology/ai-models-weekly-roundup/",
        title: "AI models: the week in review",
        country: None,
        keywords: &["ai", "artificial", "intelligence", "model", "models", "openai", "llm", "news", "latest", "technology", "tech"],
        summary: "Several AI labs released updated language models this week, with most of the gains in reasoning benchmarks and tool use.",
    },
    Page {
        url: "https://www.theverge.com/tech/smartphones-launch-season",
        title: "Smartphone launch season: what was announced",
        country: Some("US"),
        keywords: &["phone", "phones", "smartphone", "iphone", "android", "launch", "tech", "technology", "gadgets", "news"],
        summary: "This season's phone launches focused on longer battery life and on-device AI features rather than new designs.",
    },
    Page {
        url: "https://www.bbc.co.uk/news/science-environment-climate-summit",
        title: "Climate summit ends with new emissions pledges",
        country: Some("GB"),
        keywords: &["climate", "summit", "emissions", "environment", "carbon", "warming", "news", "latest", "world"],
        summary: "Delegates at the climate summit agreed on new emissions pledges and a fund to help vulnerable countries adapt.",
    },
    Page {
        url: "https://apnews.com/world-news/headlines-today",
        title: "Today's top headlines",
        country: Some("US"),
        keywords: &["news", "headlines", "today", "latest", "world", "current", "events", "breaking"],
        summary: "Today's top stories include talks on trade, a storm system moving across the Atlantic, and new economic figures.",
    },
    Page {
        url: "https://weather.com/weather/today/l/san-francisco-ca",
        title: "San Francisco, CA weather today",
        country: Some("US"),
        keywords: &["weather", "forecast", "temperature", "rain", "san", "francisco", "today", "sunny", "california"],
        summary: "Expect morning fog clearing to sun in San Francisco, with a high near 19 °C and a light westerly wind.",
    },
    Page {
        url: "https://www.metoffice.gov.uk/weather/forecast/london",
        title: "London weather forecast",
        country: Some("GB"),
        keywords: &["weather", "forecast", "temperature", "rain", "london", "today", "uk"],
        summary: "London stays mostly cloudy with scattered showers in the afternoon and a high of 12 °C.",
    },
    Page {
        url: "https://www.espn.com/soccer/story/match-report",
        title: "Match report: late winner settles the derby",
        country: Some("US"),
        keywords: &["football", "soccer", "match", "score", "won", "win", "game", "league", "sports", "derby"],
        summary: "A stoppage-time header settled the derby 2-1, moving the home side to the top of the table.",
    },
    Page {
        url: "https://www.nba.com/news/game-recap",
        title: "Game recap: overtime thriller",
        country: Some("US"),
        keywords: &["basketball", "nba", "game", "score", "won", "win", "playoffs", "sports"],
        summary: "The visitors won 118-112 in overtime after a 40-point night from their starting guard.",
    },
    Page {
        url: "https://www.bloomberg.com/markets/stocks-close",
        title: "Stocks close higher as tech rallies",
        country: Some("US"),
        keywords: &["stock", "stocks", "market", "markets", "price", "shares", "nasdaq", "dow", "finance", "economy", "rally"],
        summary: "US stocks closed higher, led by technology shares, while bond yields eased after softer inflation data.",
    },
    Page {
        url: "https://www.coindesk.com/markets/bitcoin-price",
        title: "Bitcoin price today",
        country: None,
        keywords: &["bitcoin", "crypto", "cryptocurrency", "price", "btc", "ethereum", "market"],
        summary: "Bitcoin traded in a narrow range today as volumes stayed light ahead of the weekend.",
    },
    Page {
        url: "https://blog.rust-lang.org/releases/latest",
        title: "Announcing the latest stable Rust release",
        country: None,
        keywords: &["rust", "release", "cargo", "programming", "language", "compiler", "version", "stable"],
        summary: "The latest stable Rust release brings faster compile times, new lints in Clippy and several stabilised library APIs.",
    },
    Page {
        url: "https://docs.python.org/3/whatsnew/index.html",
        title: "What's new in Python",
        country: None,
        keywords: &["python", "release", "version", "programming", "language", "features"],
        summary: "Each Python release lists its new syntax, library changes and deprecations in the What's New pages.",
    },
    Page {
        url: "https://www.nasa.gov/news/mission-update",
        title: "Mission update: lunar lander on schedule",
        country: Some("US"),
        keywords: &["nasa", "space", "moon", "lunar", "mission", "launch", "rocket", "mars", "astronaut"],
        summary: "NASA says the lunar lander mission remains on schedule after a successful engine test last week.",
    },
    Page {
        url: "https://www.nature.com/articles/research-highlights",
        title: "Research highlights",
        country: None,
        keywords: &["science", "research", "study", "scientists", "discovery", "biology", "physics"],
        summary: "This week's highlights include a new catalyst for cheaper hydrogen and a survey of deep-sea biodiversity.",
    },
    Page {
        url: "https://www.who.int/news-room/fact-sheets",
        title: "Health fact sheets",
        country: None,
        keywords: &["health", "disease", "vaccine", "flu", "medicine", "symptoms", "outbreak"],
        summary: "The fact sheets summarise symptoms, prevention and treatment for common diseases, updated as guidance changes.",
    },
    Page {
        url: "https://www.lonelyplanet.com/articles/best-places-to-visit",
        title: "Best places to visit this year",
        country: None,
        keywords: &["travel", "visit", "trip", "vacation", "holiday", "destinations", "places", "tourism"],
        summary: "This year's list favours smaller cities with good rail links, from Porto to Kyoto.",
    },
    Page {
        url: "https://www.seriouseats.com/recipes/weeknight-dinners",
        title: "Easy weeknight dinner recipes",
        country: None,
        keywords: &["recipe", "recipes", "cooking", "dinner", "food", "cook", "bake", "meal"],
        summary: "Most of these weeknight recipes take under 30 minutes and use one pan.",
    },
    Page {
        url: "https://www.lemonde.fr/actualite/a-la-une",
        title: "À la une : l'actualité du jour",
        country: Some("FR"),
        keywords: &["news", "actualité", "france", "paris", "latest", "today", "headlines"],
        summary: "The day's French headlines cover the budget debate in parliament and a transport strike in Paris.",
    },
];

/// A page a search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Its address.
    pub url: String,
    /// Its title.
    pub title: String,
    /// The sentence an answer quotes from it.
    pub summary: String,
}

/// What a search looks for.
#[derive(Debug, Clone, Default)]
pub struct Query<'a> {
    /// The search text.
    pub text: &'a str,
    /// The searcher's country (`user_location.country`), when known.
    pub country: Option<&'a str>,
    /// The domains results must be on; empty allows every domain.
    pub allowed_domains: &'a [String],
    /// The most pages to return (at least 1).
    pub max: usize,
}

/// The significant words of `text`, lowercased.
fn terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| w.chars().count() > 1 && !is_stopword(w))
        .collect()
}

/// `domain` without a scheme, `www.` or path.
fn bare_domain(domain: &str) -> &str {
    let domain = domain.trim();
    let domain = domain
        .strip_prefix("https://")
        .or_else(|| domain.strip_prefix("http://"))
        .unwrap_or(domain);
    let domain = domain.split('/').next().unwrap_or(domain);
    domain.strip_prefix("www.").unwrap_or(domain)
}

/// Whether `url` is on one of `domains` (or a subdomain of one); true when `domains` is
/// empty.
pub fn on_allowed_domain(url: &str, domains: &[String]) -> bool {
    if domains.is_empty() {
        return true;
    }
    let host = bare_domain(url);
    domains.iter().any(|d| {
        let d = bare_domain(d);
        !d.is_empty() && (host == d || host.ends_with(&format!(".{d}")))
    })
}

/// The pages for `query`, best first, as the module notes say.
pub fn search(query: &Query) -> Vec<Found> {
    let terms = terms(query.text);
    let max = query.max.max(1);
    let mut scored: Vec<(usize, usize, &Page)> = PAGES
        .iter()
        .enumerate()
        .filter(|(_, page)| on_allowed_domain(page.url, query.allowed_domains))
        .filter_map(|(order, page)| {
            let title = page.title.to_lowercase();
            let hits = terms
                .iter()
                .filter(|t| page.keywords.contains(&t.as_str()) || title.contains(t.as_str()))
                .count();
            (hits > 0).then(|| {
                let local = match (query.country, page.country) {
                    (Some(wanted), Some(country)) if wanted.eq_ignore_ascii_case(country) => 1,
                    _ => 0,
                };
                (hits * 2 + local, order, page)
            })
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut found: Vec<Found> = scored
        .into_iter()
        .take(max)
        .map(|(_, _, page)| Found {
            url: page.url.to_string(),
            title: page.title.to_string(),
            summary: page.summary.to_string(),
        })
        .collect();
    if found.len() < 2.min(max) {
        for page in reference_pages(&terms, query.allowed_domains) {
            if found.len() >= 2.min(max) {
                break;
            }
            if !found.iter().any(|f| f.url == page.url) {
                found.push(page);
            }
        }
    }
    found
}

/// Reference pages about the topic `terms` name, on the allowed domains (or an
/// encyclopedia and a dictionary).
fn reference_pages(terms: &[String], allowed: &[String]) -> Vec<Found> {
    let topic: Vec<String> = terms.iter().take(4).map(|t| capitalise(t)).collect();
    let topic = if topic.is_empty() {
        "Web search".to_string()
    } else {
        topic.join(" ")
    };
    let slug = topic.replace(' ', "_");
    let domains: Vec<String> = if allowed.is_empty() {
        vec!["en.wikipedia.org".into(), "www.britannica.com".into()]
    } else {
        allowed.iter().map(|d| bare_domain(d).to_string()).collect()
    };
    domains
        .iter()
        .filter(|d| !d.is_empty())
        .enumerate()
        .map(|(index, domain)| {
            let (url, title) = match domain.as_str() {
                "en.wikipedia.org" => (
                    format!("https://en.wikipedia.org/wiki/{slug}"),
                    format!("{topic} - Wikipedia"),
                ),
                _ => (
                    format!("https://{domain}/topics/{}", slug.to_lowercase()),
                    format!("{topic} | {domain}"),
                ),
            };
            let summary = if index == 0 {
                format!("{topic} is described here with its background, the main facts and recent developments.")
            } else {
                format!("This overview of {} collects key dates, figures and further reading.", topic.to_lowercase())
            };
            Found {
                url,
                title,
                summary,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_ranked_by_the_query_and_filtered_by_domain() {
        let found = search(&Query {
            text: "What's the weather forecast in London today?",
            country: Some("GB"),
            allowed_domains: &[],
            max: 3,
        });
        assert_eq!(
            found[0].url,
            "https://www.metoffice.gov.uk/weather/forecast/london"
        );
        let allowed = vec!["weather.com".to_string()];
        let found = search(&Query {
            text: "weather forecast",
            country: None,
            allowed_domains: &allowed,
            max: 3,
        });
        assert!(found
            .iter()
            .all(|f| f.url.starts_with("https://weather.com/")));
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn an_unknown_topic_still_finds_reference_pages() {
        let found = search(&Query {
            text: "history of the Zorblax festival",
            max: 5,
            ..Query::default()
        });
        assert_eq!(found.len(), 2);
        assert!(found[0].url.starts_with("https://en.wikipedia.org/wiki/"));
        assert!(on_allowed_domain(
            "https://a.example.com/x",
            &["example.com".into()]
        ));
        assert!(!on_allowed_domain(
            "https://badexample.com/x",
            &["example.com".into()]
        ));
    }
}
