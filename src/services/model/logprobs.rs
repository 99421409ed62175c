//! Log probabilities for the tokens a mock answer actually contains.
//!
//! Each token of the text (as the model's tokenizer splits it) gets a plausible negative
//! log probability drawn from the answer's random source; its `top_logprobs` list starts
//! with the token itself and continues with common alternatives, in decreasing order.

use crate::generate::Rng;
use crate::services::tokens::Encoding;
use serde_json::{json, Map, Value};

/// Alternatives offered in `top_logprobs` after the chosen token.
const ALTERNATIVES: &[&str] = &[
    " the", " a", ",", ".", " and", " to", " of", " is", " in", "\n", " it", " that", " for",
    " on", " with", " as", " be", " this", " I", " you",
];

/// One token of a text with its log probability and its alternatives.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLogprob {
    /// The token's text.
    pub token: String,
    /// Its log probability (at most 0).
    pub logprob: f64,
    /// The most likely tokens at this position, the chosen one first.
    pub top: Vec<(String, f64)>,
}

/// Log probabilities for every token of `text`, with `top` alternatives each.
pub fn for_text(encoding: Encoding, text: &str, top: usize, rng: &mut Rng) -> Vec<TokenLogprob> {
    encoding
        .pieces(text)
        .into_iter()
        .map(|token| {
            // Mostly confident tokens, sometimes an uncertain one.
            let draw = rng.below(1_000) as f64 / 1_000.0;
            let logprob = round(-(draw * draw * draw) * 4.0);
            let mut alternatives = vec![(token.clone(), logprob)];
            let start = rng.below(ALTERNATIVES.len() as u64) as usize;
            let mut step = 0;
            while alternatives.len() < top && step < ALTERNATIVES.len() {
                let candidate = ALTERNATIVES[(start + step) % ALTERNATIVES.len()];
                step += 1;
                if candidate != token {
                    let gap = 1.5 + alternatives.len() as f64 * 0.75;
                    alternatives.push((candidate.to_string(), round(logprob - gap)));
                }
            }
            alternatives.truncate(top);
            TokenLogprob {
                token,
                logprob,
                top: alternatives,
            }
        })
        .collect()
}

fn round(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

fn bytes(token: &str) -> Value {
    Value::from(token.bytes().map(u64::from).collect::<Vec<u64>>())
}

impl TokenLogprob {
    /// The chat completions form: `{token, logprob, bytes, top_logprobs: [...]}` (also
    /// the Responses API's `output_text.logprobs` form).
    pub fn to_chat(&self) -> Value {
        let top: Vec<Value> = self
            .top
            .iter()
            .map(|(token, logprob)| json!({"token": token, "logprob": logprob, "bytes": bytes(token)}))
            .collect();
        json!({
            "token": self.token,
            "logprob": self.logprob,
            "bytes": bytes(&self.token),
            "top_logprobs": top,
        })
    }

    /// The Responses streaming form (no `bytes`).
    pub fn to_stream_event(&self) -> Value {
        let top: Vec<Value> = self
            .top
            .iter()
            .map(|(token, logprob)| json!({"token": token, "logprob": logprob}))
            .collect();
        json!({"token": self.token, "logprob": self.logprob, "top_logprobs": top})
    }
}

/// The legacy completions form: parallel arrays, `top_logprobs` as token → logprob maps,
/// `text_offset` counted in characters from `offset`. (The real API sends `null` for the
/// first echoed prompt token; the spec's schema allows only numbers, so it gets one.)
pub fn legacy(entries: &[TokenLogprob], offset: usize) -> Value {
    let mut tokens = Vec::new();
    let mut token_logprobs = Vec::new();
    let mut top_logprobs = Vec::new();
    let mut text_offset = Vec::new();
    let mut at = offset;
    for entry in entries {
        tokens.push(Value::from(entry.token.clone()));
        text_offset.push(Value::from(at as u64));
        at += entry.token.chars().count();
        token_logprobs.push(json!(entry.logprob));
        let mut top = Map::new();
        for (token, logprob) in &entry.top {
            top.insert(token.clone(), json!(logprob));
        }
        top_logprobs.push(Value::Object(top));
    }
    json!({
        "tokens": tokens,
        "token_logprobs": token_logprobs,
        "top_logprobs": top_logprobs,
        "text_offset": text_offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_token_with_the_token_on_top() {
        let entries = for_text(Encoding::O200k, "Hello there, world.", 3, &mut Rng::new(5));
        let joined: String = entries.iter().map(|e| e.token.as_str()).collect();
        assert_eq!(joined, "Hello there, world.");
        for entry in &entries {
            assert!(entry.logprob <= 0.0);
            assert_eq!(entry.top.len(), 3);
            assert_eq!(entry.top[0], (entry.token.clone(), entry.logprob));
            assert!(entry.top.windows(2).all(|w| w[0].1 >= w[1].1));
        }
    }
}
