//! Where a generated text ends: cut at a request's stop sequences or at a token budget.

use crate::services::tokens::Encoding;
use serde_json::Value;

/// `text` cut before the first occurrence of any of `stops`; `true` when it was cut.
pub fn cut_at_stop(text: &str, stops: &[String]) -> (String, bool) {
    let first = stops
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min();
    match first {
        Some(at) => (text[..at].to_string(), true),
        None => (text.to_string(), false),
    }
}

/// The stop sequences of a request's `stop` field (a string or an array of strings).
pub fn stop_sequences(stop: Option<&Value>) -> Vec<String> {
    match stop {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// At most `max` tokens of `text` (cut on a token boundary); `true` when it was cut.
pub fn truncate_tokens(encoding: Encoding, text: &str, max: usize) -> (String, bool) {
    let pieces = encoding.pieces(text);
    if pieces.len() <= max {
        return (text.to_string(), false);
    }
    (pieces[..max].concat(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_and_truncation_cut_the_text() {
        let (cut, stopped) = cut_at_stop("one two three", &["two".into()]);
        assert_eq!((cut.as_str(), stopped), ("one ", true));
        let (short, truncated) = truncate_tokens(Encoding::O200k, "one two three four", 2);
        assert_eq!((short.as_str(), truncated), ("one two", true));
    }
}
