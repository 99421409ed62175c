//! The decision [`Engine::plan`](super::engine::Engine::plan) hands the server for one
//! request: the [`Plan`] (delay, stream settings, extra headers), its [`Outcome`] and the
//! [`Trace`] written to the request log.

use super::faults::Failure;
use super::latency::StreamPlan;
use crate::services::model::script::Scripted;
use serde_json::Value;
use std::time::Duration;

/// What to do with one request.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The seed to generate with, when a control header overrides `--seed`.
    pub seed: Option<u64>,
    /// How long to wait before the answer's head.
    pub delay: Duration,
    /// How a streamed answer is delivered.
    pub stream: StreamPlan,
    /// The answer.
    pub outcome: Outcome,
    /// Extra headers for the answer (`x-ratelimit-*` under a rate limit).
    pub headers: Vec<(String, String)>,
    /// What happened, for the request log.
    pub trace: Trace,
    /// Whether the answer can be continued by id, so its conversation is remembered.
    pub remember_answer: bool,
}

/// The answer a [`Plan`] calls for.
#[derive(Debug, Clone, Default)]
pub enum Outcome {
    /// The endpoint's normal answer; with scripted output when a rule gave some.
    #[default]
    Normal,
    /// The normal answer built around this scripted output.
    Scripted(Scripted),
    /// This body, with this status.
    Body {
        /// HTTP status.
        status: u16,
        /// The JSON body.
        body: Value,
    },
    /// A failure instead of an answer.
    Fail(Failure),
}

/// What the scenario machinery did to a request, for the request log.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Trace {
    /// The operation id.
    #[serde(skip)]
    pub operation: String,
    /// The request's model.
    pub model: Option<String>,
    /// The rule that answered, by name.
    pub rule: Option<String>,
    /// The rule's step that answered (0-based).
    pub step: Option<usize>,
    /// The conversation the request was counted under (see the module notes).
    pub conversation: Option<String>,
    /// The injected fault, if any (`rate_limit`, a preset name, or `control_header`).
    pub fault: Option<String>,
    /// The `x-stainless-retry-count` the SDKs send on retries.
    pub retry_count: Option<u32>,
    /// The `x-mock-label` header.
    pub label: Option<String>,
    /// What the client saw besides the status, for injected connection and stream faults:
    /// `reset` (the connection dropped before any answer), `reset after N events`,
    /// `error event after N events`, `stalled N ms after M events`.
    pub delivery: Option<String>,
    /// Whether the connection is dropped instead of answered.
    #[serde(skip)]
    pub dropped: bool,
}

impl Plan {
    /// The scripted output to hand to the behaviour, if any.
    pub fn scripted(&self) -> Option<Scripted> {
        match &self.outcome {
            Outcome::Scripted(scripted) => Some(scripted.clone()),
            _ => None,
        }
    }
}
