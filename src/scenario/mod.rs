//! Scenario control: response rules, control headers, fault injection, rate limits and
//! latency.
//!
//! The server calls [`Engine::plan`] once per validated API request. The [`Plan`] it gets
//! back says what to do instead of, or on top of, the normal answer, decided in this order:
//!
//! 1. control headers (`x-mock-…`, see [`control`]) are read, unless disabled; a forced
//!    status or error answers at once;
//! 2. rate limits ([`limits`]) count the request, and refuse it with a real 429 when it does
//!    not fit;
//! 3. the global error rate ([`faults`]) may inject a failure, drawn from a random source
//!    seeded by `--seed` and the request's arrival number (so a sequential client sees the
//!    same failures on every run);
//! 4. the first matching rule ([`rules`]) in priority order gives its step for this call:
//!    scripted text/tool calls (carried to the endpoint's behaviour in
//!    [`ValidRequest::scripted`](crate::validate::ValidRequest::scripted)), a whole body, an
//!    error, a dropped connection, and/or latency and stream settings ([`latency`]).
//!
//! **Sequences and conversations.** A rule's steps are handed out in order, counted per rule
//! and per conversation. A request's conversation is, in this order:
//! - the `x-mock-conversation` header;
//! - for `/responses`: the `conversation` parameter, else the conversation of the response
//!   named by `previous_response_id` (every answered `/responses` request remembers which
//!   conversation its response id belongs to);
//! - otherwise the hash of the system prompt and the first user message, which stay the same
//!   while a chat conversation grows turn by turn (and across the SDKs' retries);
//! - requests without any conversation text share one conversation.
//!
//! Counters start over when the rules in force change (a reload, added or cleared rules)
//! or `POST /__mock/reset` is called.
//!
//! **Hot reload.** With a rules file, [`Engine::watch`] re-reads it every
//! [`RELOAD_INTERVAL`]; a changed file that compiles replaces the rules, one that does not
//! is logged with its file, line and reason and the last good rules stay ([`loading`]).
//!
//! **Added rules.** [`Engine::add_rules`] adds rules (same format as the file) while the
//! server runs; they stay in force across reloads until [`Engine::clear_added_rules`].
//!
//! **Inspection** ([`Engine::admin`]): `GET /__mock/requests` lists the last requests
//! ([`log`]), `DELETE /__mock/requests` empties that list, `GET /__mock/rules` shows the
//! loaded rules and the last reload error, and `POST /__mock/reset` clears the log,
//! sequence counters, rate-limit buckets and remembered conversations ([`admin`]).
//!
//! **Files.** [`engine`] holds the [`Engine`] and [`Engine::plan`]; [`plan`] the decision
//! it returns; [`rulefile`] the rules file format and its parsing; [`rules`] the compiled
//! rules and their matching; [`render`] a step's answer; [`loading`] the rules in force and
//! hot reload; [`conversations`] conversation tracking; [`admin`] the `/__mock/` answers.
//! This file only declares the modules and re-exports; they name each other by file
//! (`super::plan::Plan`), never through it.

pub mod admin;
pub mod control;
pub mod conversations;
pub mod engine;
pub mod facts;
pub mod faults;
pub mod latency;
pub mod limits;
pub mod loading;
pub mod log;
pub mod plan;
pub mod render;
pub mod rulefile;
pub mod rules;
pub mod template;

pub use crate::services::model::script::{Scripted, ScriptedToolCall};
pub use engine::{Engine, Received, Settings};
pub use facts::Facts;
pub use faults::{Failure, SimulatedError};
pub use latency::{Overrides, StreamPlan};
pub use loading::RELOAD_INTERVAL;
pub use plan::{Outcome, Plan, Trace};
pub use rulefile::RulesError;
pub use rules::RuleSet;

#[cfg(test)]
mod testing;
