//! Values chosen from a field's name and the conversation: places and names from the
//! message, the topic for queries, the reply for prose, plausible numbers for `age`,
//! `price`, `latitude` and the like.

use super::Instances;
use crate::generate::{rfc3339, Rng};
use crate::services::model::text::capitalise;
use serde_json::{Map, Value};

/// Field names (or `_name` endings) that hold a place; they take names from the message.
pub const PLACE_FIELDS: &[&str] = &[
    "location",
    "city",
    "place",
    "destination",
    "origin",
    "address",
    "country",
    "region",
    "town",
    "state",
    "where",
];

/// Whether a field named `name` holds a place (see [`PLACE_FIELDS`]).
pub fn is_place_field(name: &str) -> bool {
    let name = name.to_lowercase();
    PLACE_FIELDS
        .iter()
        .any(|p| name == *p || name.ends_with(&format!("_{p}")))
}

impl Instances<'_> {
    pub(super) fn topic(&self) -> String {
        self.context
            .topic()
            .unwrap_or_else(|| "general question".into())
    }

    /// A string for a field, chosen from its name and the conversation.
    pub(super) fn text_for(&mut self, field: &str, _schema: &Map<String, Value>) -> String {
        let name = field.to_lowercase();
        let has = |parts: &[&str]| {
            parts
                .iter()
                .any(|p| name == *p || name.ends_with(&format!("_{p}")))
        };
        if let Some(quote) = self.take_quote(field) {
            return quote;
        }
        if has(PLACE_FIELDS) {
            if let Some(place) = self.take_name() {
                return place;
            }
            return capitalise(&self.topic());
        }
        if has(&["name", "person", "author", "user", "username", "customer"]) {
            if let Some(person) = self.take_name() {
                return person;
            }
            return title_case(&self.topic());
        }
        if has(&["title", "heading", "subject", "label", "headline"]) {
            return title_case(&self.topic());
        }
        if has(&[
            "query", "q", "search", "keywords", "keyword", "topic", "term", "terms", "question",
            "prompt", "input", "text", "phrase",
        ]) {
            return self.topic();
        }
        if has(&[
            "summary",
            "description",
            "answer",
            "explanation",
            "content",
            "message",
            "reason",
            "reasoning",
            "response",
            "body",
            "details",
            "comment",
            "notes",
            "note",
            "justification",
            "analysis",
            "result",
            "output",
            "feedback",
            "story",
            "sentence",
        ]) {
            return if self.reply.is_empty() {
                capitalise(&self.topic())
            } else {
                self.reply.to_string()
            };
        }
        if has(&["email"]) {
            return "ada@example.com".into();
        }
        if has(&["url", "link", "website", "homepage", "href"]) {
            return format!("https://example.com/{}", slug(&self.topic()));
        }
        if has(&["phone", "telephone"]) {
            return "+1-555-0100".into();
        }
        if has(&["date", "day", "birthday", "deadline"]) {
            return rfc3339(self.now)[..10].to_string();
        }
        if has(&["time", "timestamp"]) {
            return rfc3339(self.now);
        }
        if has(&["language", "lang"]) {
            return "English".into();
        }
        if has(&["currency"]) {
            return "USD".into();
        }
        if has(&["color", "colour"]) {
            return "blue".into();
        }
        if has(&["id", "uuid", "identifier"]) {
            return crate::generate::new_id_of_length(&mut self.rng, "id_", 12);
        }
        if let Some(keyword) = self.context.keywords().first() {
            if name.is_empty() || name == "item" {
                return keyword.clone();
            }
        }
        let topic = self.topic();
        if name.is_empty() {
            topic
        } else {
            format!("{} for {topic}", name.replace('_', " "))
        }
    }

    /// The quoted value of the message that `field` takes (see [`super::quoted`]), once.
    fn take_quote(&mut self, field: &str) -> Option<String> {
        self.quotes_used.resize(self.quotes.len(), false);
        let index = super::quoted::for_field(&self.quotes, &self.quotes_used, field)?;
        self.quotes_used[index] = true;
        Some(self.quotes[index].value.clone())
    }

    /// The next name from the message; the last one is reused once all were taken.
    fn take_name(&mut self) -> Option<String> {
        match self.names.len() {
            0 => None,
            1 => self.names.first().cloned(),
            _ => Some(self.names.remove(0)),
        }
    }
}

pub(super) fn preferred_number(field: &str, now: i64, rng: &mut Rng) -> f64 {
    let name = field.to_lowercase();
    let has = |parts: &[&str]| parts.iter().any(|p| name.contains(p));
    if has(&["year"]) {
        return (1970 + now / 31_556_952) as f64;
    }
    if has(&["age"]) {
        return 30.0;
    }
    if has(&["temperature", "temp"]) {
        return 21.0;
    }
    if has(&["rating", "score", "stars"]) {
        return 4.0;
    }
    if has(&["price", "amount", "cost", "total", "salary"]) {
        return 20.0;
    }
    if has(&["latitude", "lat"]) {
        return 48.85;
    }
    if has(&["longitude", "lon", "lng"]) {
        return 2.35;
    }
    if has(&["confidence", "probability"]) {
        return 0.9;
    }
    if has(&[
        "count", "quantity", "number", "num", "limit", "size", "max", "top",
    ]) {
        return 3.0;
    }
    (1 + rng.below(10)) as f64
}

fn title_case(text: &str) -> String {
    let titled = text
        .split(' ')
        .map(|w| {
            if w.len() > 3 || w.chars().next().is_some_and(char::is_uppercase) {
                capitalise(w)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    capitalise(&titled)
}

pub(super) fn slug(text: &str) -> String {
    let slug: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    slug.split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::super::tests::instance;
    use serde_json::json;

    #[test]
    fn quoted_values_go_to_the_fields_they_name() {
        let schema = json!({
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "body": {"type": "string"},
                "assignee": {"type": "string"}
            },
            "required": ["title", "body", "assignee"],
            "additionalProperties": false
        });
        let value = instance(
            &schema,
            r#"Open an issue titled "Login fails on Safari" with the body "Steps: sign in twice" for Ada"#,
        );
        assert_eq!(value["title"], "Login fails on Safari");
        assert_eq!(value["body"], "Steps: sign in twice");
    }

    #[test]
    fn weather_arguments_take_the_place_and_unit_from_the_message() {
        let schema = json!({
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["location", "unit"],
            "additionalProperties": false
        });
        let value = instance(
            &schema,
            "What's the weather in San Francisco in fahrenheit?",
        );
        assert_eq!(
            value,
            json!({"location": "San Francisco", "unit": "fahrenheit"})
        );
    }
}
