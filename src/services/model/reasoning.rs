//! Reasoning items of the Responses API: summaries in several parts, sized by the
//! `reasoning.summary` setting and the effort, and encrypted reasoning content
//! (`include: ["reasoning.encrypted_content"]`) that round-trips.
//!
//! **Summary parts.** `concise` gives one part, `auto` two and `detailed` three; low (or
//! minimal) effort takes one away (never below one) and high effort adds one. Each part is a
//! bold heading and a sentence about the request, as real summaries are.
//!
//! **Encrypted content** is opaque to clients but checkable by the mock: base64 of a marker,
//! a checksum and a random nonce (not bound to the item's id, which clients may drop). On input, content that does not
//! decode, lacks the marker or fails the checksum (an unknown or tampered blob) is refused
//! with the real API's `invalid_encrypted_content`.

use crate::error::ApiError;
use crate::generate::{fnv1a, Rng};
use base64::Engine;
use serde_json::Value;

/// The marker that opens every sealed blob.
const MARKER: &[u8; 4] = b"omr1";
/// The key the checksum is made with.
const KEY: &[u8] = b"openai-mock reasoning content";
/// Random bytes per blob.
const NONCE: usize = 24;

/// How many summary parts a `summary` setting and an `effort` give.
pub fn summary_part_count(summary: &str, effort: Option<&str>) -> usize {
    let base: usize = match summary {
        "concise" => 1,
        "detailed" => 3,
        _ => 2,
    };
    match effort {
        Some("minimal" | "low") => base.saturating_sub(1).max(1),
        Some("high" | "xhigh") => base + 1,
        _ => base,
    }
}

/// The texts of the summary parts for a request about `topic`.
pub fn summary_parts(topic: &str, summary: &str, effort: Option<&str>) -> Vec<String> {
    let steps: [(&str, String); 5] = [
        (
            "Understanding the request",
            format!("The user wants help with {topic}. I should work out what they need most."),
        ),
        (
            "Gathering the key points",
            format!("I'm collecting the facts about {topic} that matter for a useful answer."),
        ),
        (
            "Checking the details",
            "I'm double-checking the details so the answer is accurate and consistent.".into(),
        ),
        (
            "Weighing the alternatives",
            "I'm comparing the possible approaches and keeping the clearest one.".into(),
        ),
        (
            "Drafting the answer",
            "I'll answer briefly and directly, with the most useful points first.".into(),
        ),
    ];
    let count = summary_part_count(summary, effort).min(steps.len());
    // Always end on drafting the answer.
    let mut chosen: Vec<&(&str, String)> = steps[..count - 1].iter().collect();
    chosen.extend(steps.last());
    chosen
        .into_iter()
        .map(|(title, text)| format!("**{title}**\n\n{text}"))
        .collect()
}

fn checksum(nonce: &[u8]) -> [u8; 8] {
    fnv1a(&[KEY, nonce]).to_le_bytes()
}

/// Opaque encrypted content for a reasoning item.
///
/// ```
/// use openai_mock::generate::Rng;
/// use openai_mock::services::model::reasoning::{seal, verify};
/// let blob = seal(&mut Rng::new(1));
/// assert!(verify(&blob));
/// assert!(!verify("not-ours"));
/// ```
pub fn seal(rng: &mut Rng) -> String {
    let nonce: Vec<u8> = (0..NONCE).map(|_| rng.below(256) as u8).collect();
    let mut bytes = MARKER.to_vec();
    bytes.extend(checksum(&nonce));
    bytes.extend(&nonce);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Whether `blob` is content [`seal`] made.
pub fn verify(blob: &str) -> bool {
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(blob) else {
        return false;
    };
    if bytes.len() != MARKER.len() + 8 + NONCE || !bytes.starts_with(MARKER) {
        return false;
    }
    let (sum, nonce) = bytes[MARKER.len()..].split_at(8);
    sum == checksum(nonce)
}

/// Refuses a reasoning item in `input` whose `encrypted_content` the mock did not make for
/// it.
pub fn check_encrypted(input: &[Value]) -> Result<(), ApiError> {
    for item in input {
        if item.get("type").and_then(Value::as_str) != Some("reasoning") {
            continue;
        }
        let Some(blob) = item.get("encrypted_content").and_then(Value::as_str) else {
            continue;
        };
        let id = item.get("id").and_then(Value::as_str).unwrap_or("");
        if !verify(blob) {
            let what = if id.is_empty() {
                String::new()
            } else {
                format!(" for item {id}")
            };
            return Err(ApiError::invalid_request(format!(
                "The encrypted content{what} could not be verified."
            ))
            .with_code("invalid_encrypted_content"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parts_follow_the_setting_and_the_effort() {
        assert_eq!(summary_parts("tides", "concise", Some("low")).len(), 1);
        assert_eq!(summary_parts("tides", "auto", None).len(), 2);
        assert_eq!(summary_parts("tides", "detailed", Some("high")).len(), 4);
        assert!(summary_parts("tides", "auto", None)[1].starts_with("**Drafting"));
    }

    #[test]
    fn tampered_content_is_refused() {
        let blob = seal(&mut Rng::new(9));
        let good = json!({"type": "reasoning", "id": "rs_1", "summary": [],
            "encrypted_content": blob});
        assert!(check_encrypted(&[good]).is_ok());
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(&blob)
            .unwrap();
        bytes[20] ^= 1;
        let tampered = json!({"type": "reasoning", "id": "rs_1", "summary": [],
            "encrypted_content": base64::engine::general_purpose::STANDARD.encode(bytes)});
        let error = check_encrypted(&[tampered]).unwrap_err();
        assert_eq!(error.code.as_deref(), Some("invalid_encrypted_content"));
    }
}
