//! The one test harness of both test binaries (`suite` and `external`).
//!
//! | module | gives |
//! |---|---|
//! | [`mock`] | an in-process [`openai_mock::MockServer`] with JSON/SSE helpers and schema checks |
//! | [`binary`] | the release binary on ephemeral ports ([`binary::Spawned`]), raw HTTP helpers |
//! | [`python`] | the Python venv with the pinned openai SDK and pytest, and a pytest runner |
//! | [`timing`] | wall time per external suite, for the report of `.ci/run` |
#![allow(dead_code)]

pub mod binary;
pub mod mock;
pub mod python;
pub mod timing;

/// The last `max` bytes of `text` or a little fewer, cut at a character boundary (for
/// failure messages that quote a long output).
pub fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
