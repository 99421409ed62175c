//! Leaf services the endpoints share, below them and above the schema-driven generator:
//!
//! | module | owns |
//! |---|---|
//! | [`canonical_json`] | JSON with sorted keys, so key order never changes an answer |
//! | [`embedding`] | the mock's semantic embedding model (`/embeddings`, vector store search) |
//! | [`tokens`] | the real tokenizers (`o200k_base`, `cl100k_base`) from build-time tables |
//! | [`conversation`] | one reader of a request's conversation (chat messages, Responses input, prompts) |
//! | [`model`] | the simulated model: reply text, structured outputs, tool calls, logprobs, scripted output |
//! | [`sse`] | server-sent events and the deltas streams are cut into |
//! | [`web_corpus`] | the small built-in web that web search tools search |

mod canonical;
pub mod conversation;
pub mod embedding;
pub mod model;
pub mod prices;
pub mod sse;
mod token_counts;
mod token_hash;
mod token_pattern;
pub mod tokens;
pub mod web_corpus;

pub use canonical::canonical_json;
