//! Server-sent events: the [`Event`] type and its wire format, and the helpers every
//! streaming endpoint uses to cut an answer into deltas.
//!
//! Each endpoint builds its own event sequence from the same answer as the non-streamed
//! response (chat and legacy completions in `endpoints::chat` and `endpoints::completions`,
//! `/responses` in `endpoints::responses`, media in their modules); operations without
//! their own builder send one event of each variant the spec lists
//! (`generate::variant_events`). Text arrives in deltas of [`TOKENS_PER_DELTA`] tokens,
//! tool-call arguments in fragments of [`ARGUMENT_FRAGMENT_CHARS`] characters.

use crate::services::tokens::Encoding;
use serde_json::Value;

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The `event:` field, when the API names its events.
    pub name: Option<String>,
    /// The `data:` payload.
    pub data: String,
}

impl Event {
    /// A `data:`-only event.
    pub fn data(value: &Value) -> Event {
        Event {
            name: None,
            data: value.to_string(),
        }
    }

    /// An event named by the payload's `type`.
    pub fn typed(value: &Value) -> Event {
        Event {
            name: value
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_string),
            data: value.to_string(),
        }
    }

    /// The `data: [DONE]` terminator of chat and legacy completion streams.
    pub fn done() -> Event {
        Event {
            name: None,
            data: "[DONE]".into(),
        }
    }

    /// The event in wire format, ending with the blank line.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// Appends the event in wire format to `out`, with no allocation of its own.
    pub fn encode_into(&self, out: &mut String) {
        if let Some(name) = &self.name {
            out.push_str("event: ");
            out.push_str(name);
            out.push('\n');
        }
        out.push_str("data: ");
        out.push_str(&self.data);
        out.push_str("\n\n");
    }

    /// The length of the event in wire format.
    pub fn encoded_len(&self) -> usize {
        self.name.as_ref().map_or(0, |name| name.len() + 8) + self.data.len() + 8
    }
}

/// `events` in wire format, one after the other, in one buffer sized once.
pub fn encode_all(events: &[Event]) -> String {
    let mut out = String::with_capacity(events.iter().map(Event::encoded_len).sum());
    for event in events {
        event.encode_into(&mut out);
    }
    out
}

/// Named events for each of `values` (see [`Event::typed`]).
pub fn typed_events(values: &[Value]) -> Vec<Event> {
    values.iter().map(Event::typed).collect()
}

/// Splits text into small deltas of a few words each, keeping the separators.
pub fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut words = 0;
    for ch in text.chars() {
        current.push(ch);
        if ch == ' ' {
            words += 1;
            if words == 2 {
                out.push(std::mem::take(&mut current));
                words = 0;
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Tokens per content delta: the real API sends one to a few tokens per chunk.
pub const TOKENS_PER_DELTA: usize = 3;

/// Characters per fragment of streamed tool-call arguments.
pub const ARGUMENT_FRAGMENT_CHARS: usize = 8;

/// Splits `text` into deltas of [`TOKENS_PER_DELTA`] tokens of `model`'s tokenizer;
/// joined, they give `text` back.
pub fn token_deltas(model: &str, text: &str) -> Vec<String> {
    token_delta_slices(model, text)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// The deltas of [`token_deltas`] as slices of `text`, with no allocation per delta: each
/// holds [`TOKENS_PER_DELTA`] tokens (a token that ends inside a character counts with the
/// next), and joined they are exactly `text`.
pub fn token_delta_slices<'a>(model: &str, text: &'a str) -> Vec<&'a str> {
    let ends = Encoding::for_model(model).token_ends(text);
    let mut out = Vec::with_capacity(ends.len() / TOKENS_PER_DELTA + 1);
    let (mut start, mut tokens) = (0, 0);
    for end in ends {
        if end > text.len() || !text.is_char_boundary(end) {
            continue;
        }
        tokens += 1;
        if tokens == TOKENS_PER_DELTA {
            out.extend(text.get(start..end));
            start = end;
            tokens = 0;
        }
    }
    if start < text.len() {
        out.extend(text.get(start..));
    }
    out
}

/// The deltas of `text` paired with the logprob entries of their tokens, when `entries`
/// (one per token, in the answer's form) spell out exactly `text`.
pub fn deltas_with_logprobs(
    model: &str,
    text: &str,
    entries: Option<&Vec<Value>>,
) -> Vec<(String, Option<Vec<Value>>)> {
    if let Some(entries) = entries.filter(|e| !e.is_empty()) {
        let tokens: Option<Vec<&str>> = entries
            .iter()
            .map(|e| e.get("token").and_then(Value::as_str))
            .collect();
        if tokens.as_ref().is_some_and(|t| t.concat() == text) {
            return entries
                .chunks(TOKENS_PER_DELTA)
                .map(|group| {
                    let delta: String = group
                        .iter()
                        .filter_map(|e| e.get("token").and_then(Value::as_str))
                        .collect();
                    (delta, Some(group.to_vec()))
                })
                .collect();
        }
    }
    token_deltas(model, text)
        .into_iter()
        .map(|delta| (delta, None))
        .collect()
}

/// Whether a chat or legacy completion stream ends with a usage chunk
/// (`stream_options.include_usage`).
pub fn include_usage(body: &Value) -> bool {
    body.pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        == Some(true)
}

/// Splits a string into fragments of at most `size` characters.
pub fn fragments(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(size.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn delta_slices_join_into_the_text_and_group_whole_characters() {
        for text in [
            "Hello there, how can I help you today? Ask me anything at all.",
            "\u{4f60}\u{597d}\u{ff0c}\u{4e16}\u{754c}\u{3002}\u{6211}\u{4eec}\u{5f00}\u{59cb}\u{5427}",
            "Smile \u{1f600}\u{1f44d}\u{1f3fd} and caf\u{e9} na\u{ef}ve \u{2014} done",
            "",
        ] {
            for model in ["gpt-4o", "gpt-3.5-turbo"] {
                let slices = token_delta_slices(model, text);
                assert_eq!(slices.concat(), text);
                let by_pieces: Vec<String> = Encoding::for_model(model)
                    .pieces(text)
                    .chunks(TOKENS_PER_DELTA)
                    .map(|group| group.concat())
                    .collect();
                assert_eq!(slices, by_pieces, "{model}: {text}");
            }
        }
    }

    #[test]
    fn pieces_rejoin_to_the_text() {
        let text = "The quick brown fox jumps over the lazy dog.";
        let parts = pieces(text);
        assert!(parts.len() > 1);
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn token_deltas_rejoin_and_hold_a_few_tokens_each() {
        let text = "Streaming sends a few tokens at a time, like the real API.";
        let deltas = token_deltas("gpt-4o", text);
        assert_eq!(deltas.concat(), text);
        assert!(deltas
            .iter()
            .all(|d| (1..=TOKENS_PER_DELTA).contains(&Encoding::O200k.count(d))));
    }

    #[test]
    fn events_encode_in_sse_wire_format() {
        assert_eq!(Event::done().encode(), "data: [DONE]\n\n");
        let typed = Event::typed(&json!({"type": "response.created"}));
        assert_eq!(
            typed.encode(),
            "event: response.created\ndata: {\"type\":\"response.created\"}\n\n"
        );
    }
}
