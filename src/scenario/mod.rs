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
//! Counters start over when the rules are reloaded or `POST /__mock/reset` is called.
//!
//! **Hot reload.** With a rules file, [`Engine::watch`] re-reads it every
//! [`RELOAD_INTERVAL`]; a changed file that compiles replaces the rules, one that does not
//! is logged with its file, line and reason and the last good rules stay.
//!
//! **Inspection** ([`Engine::admin`]): `GET /__mock/requests` lists the last requests
//! ([`log`]), `DELETE /__mock/requests` empties that list, `GET /__mock/rules` shows the
//! loaded rules and the last reload error, and `POST /__mock/reset` clears the log,
//! sequence counters, rate-limit buckets and remembered conversations.

pub mod control;
pub mod facts;
pub mod faults;
pub mod latency;
pub mod limits;
pub mod log;
pub mod rules;
pub mod template;

pub use crate::services::model::script::{Scripted, ScriptedToolCall};
pub use facts::Facts;
pub use faults::{Failure, SimulatedError};
pub use latency::{Overrides, StreamPlan};
pub use rules::{RuleSet, RulesError};

use crate::catalog::{Catalog, Operation};
use crate::endpoints::{Continuation, Endpoint};
use crate::error::ApiError;
use crate::generate::{fnv1a, new_id, prefix_for_object, Rng};
use crate::validate::ValidRequest;
use faults::ErrorMix;
use limits::{Limiter, Verdict};
use poem::http::HeaderMap;
use rules::Action;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often a rules file is checked for changes.
pub const RELOAD_INTERVAL: Duration = Duration::from_millis(500);

/// The most `/responses` ids remembered for conversation tracking.
const REMEMBERED_RESPONSES: usize = 10_000;

/// The scenario settings of a server (from its flags, environment and config file).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `--seed`: seeds fault injection and jitter too.
    pub seed: u64,
    /// Whether `x-mock-*` headers are read (`--no-control-headers` turns them off).
    pub control_headers: bool,
    /// `--error-rate`: the share of requests that get an injected failure.
    pub error_rate: f64,
    /// `--error-mix`: which failures, how often.
    pub error_mix: ErrorMix,
    /// `--rate-limit` entries.
    pub rate_limits: Vec<crate::config::RateLimit>,
    /// `--latency-ms` and the other latency flags.
    pub latency: Overrides,
    /// The file holding the `rules` (the `--config` file).
    pub rules_file: Option<PathBuf>,
}

impl Settings {
    /// The scenario settings of `config` (its rules are in the `--config` file).
    pub fn from_config(config: &crate::config::Config) -> Settings {
        Settings {
            seed: config.seed,
            control_headers: !config.no_control_headers,
            error_rate: config.error_rate,
            // The items were checked when the flags were parsed.
            error_mix: ErrorMix::parse(&config.error_mix).unwrap_or_default(),
            rate_limits: config.rate_limits.clone(),
            latency: Overrides {
                latency_ms: Some(config.latency_ms),
                jitter_ms: Some(config.jitter_ms),
                ttft_ms: Some(config.ttft_ms),
                chunk_interval_ms: Some(config.chunk_interval_ms),
                chunk_tokens: config.chunk_tokens.map(|n| n as usize),
                ..Overrides::default()
            },
            rules_file: config.config.clone(),
        }
    }
}

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

/// The loaded rules with their sequence counters.
#[derive(Debug, Default)]
struct Loaded {
    rules: RuleSet,
    calls: Mutex<HashMap<(usize, String), u64>>,
    digest: u64,
    loaded_at_ms: u64,
}

/// Remembered `/responses` ids → conversations, bounded.
#[derive(Debug, Default)]
struct Conversations {
    by_response: HashMap<String, String>,
    order: VecDeque<String>,
}

/// The scenario state of one server.
pub struct Engine {
    settings: Settings,
    catalog: Arc<Catalog>,
    loaded: RwLock<Arc<Loaded>>,
    last_reload_error: Mutex<Option<String>>,
    limiter: Limiter,
    arrivals: AtomicU64,
    conversations: Mutex<Conversations>,
    log: log::RequestLog,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("settings", &self.settings)
            .field("rules", &self.rule_count())
            .finish_non_exhaustive()
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Engine {
    /// The engine for `settings`; reads and checks the rules file, so a bad file fails here.
    pub fn new(catalog: Arc<Catalog>, settings: Settings) -> Result<Engine, RulesError> {
        let loaded = match &settings.rules_file {
            Some(path) => {
                let text = read_rules_text(path)?;
                Loaded {
                    rules: RuleSet::parse(&text, path, &catalog)?,
                    digest: fnv1a(&[text.as_bytes()]),
                    loaded_at_ms: unix_ms(),
                    calls: Mutex::default(),
                }
            }
            None => Loaded::default(),
        };
        Ok(Engine {
            limiter: Limiter::new(settings.rate_limits.clone()),
            settings,
            catalog,
            loaded: RwLock::new(Arc::new(loaded)),
            last_reload_error: Mutex::new(None),
            arrivals: AtomicU64::new(0),
            conversations: Mutex::default(),
            log: log::RequestLog::default(),
        })
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The request log.
    pub fn log(&self) -> &log::RequestLog {
        &self.log
    }

    /// The number of rules loaded now.
    pub fn rule_count(&self) -> usize {
        self.current().rules.rules.len()
    }

    fn current(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .map(|loaded| loaded.clone())
            .unwrap_or_default()
    }

    /// Re-reads the rules file if its content changed. `Ok(true)` when new rules were
    /// loaded; on error the current rules stay and the error is kept for `GET /__mock/rules`.
    pub fn reload(&self) -> Result<bool, RulesError> {
        let Some(path) = &self.settings.rules_file else {
            return Ok(false);
        };
        let result = read_rules_text(path).and_then(|text| {
            let digest = fnv1a(&[text.as_bytes()]);
            if digest == self.current().digest {
                return Ok(None);
            }
            Ok(Some((RuleSet::parse(&text, path, &self.catalog)?, digest)))
        });
        let mut last_error = self
            .last_reload_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match result {
            Ok(None) => Ok(false),
            Ok(Some((rules, digest))) => {
                let count = rules.rules.len();
                if let Ok(mut loaded) = self.loaded.write() {
                    *loaded = Arc::new(Loaded {
                        rules,
                        digest,
                        loaded_at_ms: unix_ms(),
                        calls: Mutex::default(),
                    });
                }
                *last_error = None;
                tracing::info!(target: "openai_mock::scenario", file = %path.display(), rules = count, "rules reloaded");
                Ok(true)
            }
            Err(error) => {
                if last_error.as_deref() != Some(error.to_string().as_str()) {
                    tracing::error!(target: "openai_mock::scenario", "rules not reloaded, keeping the last good ones: {error}");
                }
                *last_error = Some(error.to_string());
                Err(error)
            }
        }
    }

    /// Starts checking the rules file for changes every [`RELOAD_INTERVAL`] (nothing to do
    /// without one). The task ends when the engine is dropped.
    pub fn watch(self: &Arc<Engine>) -> Option<tokio::task::JoinHandle<()>> {
        self.settings.rules_file.as_ref()?;
        let weak: Weak<Engine> = Arc::downgrade(self);
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(RELOAD_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(engine) = weak.upgrade() else {
                    return;
                };
                let _ = engine.reload();
            }
        }))
    }

    /// Decides what to do with a validated request to `op`, served by `endpoint` (see the
    /// module notes for the order). `api_key` is the bearer key, used for rate limits.
    pub fn plan(
        &self,
        op: &Operation,
        endpoint: &Endpoint,
        request: &ValidRequest,
        headers: &HeaderMap,
        api_key: Option<&str>,
    ) -> Plan {
        let facts = Facts::of(op, request);
        let mut plan = Plan {
            remember_answer: endpoint.continuation.is_some(),
            trace: Trace {
                operation: op.id.clone(),
                model: facts.model.clone(),
                retry_count: headers
                    .get("x-stainless-retry-count")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok()),
                ..Trace::default()
            },
            ..Plan::default()
        };
        let controls = if self.settings.control_headers {
            match control::read(headers) {
                Ok(controls) => controls,
                Err(error) => {
                    plan.trace.fault = Some("control_header".into());
                    plan.outcome = Outcome::Fail(Failure::Error(SimulatedError {
                        error,
                        headers: Vec::new(),
                    }));
                    return plan;
                }
            }
        } else {
            control::Controls::default()
        };
        plan.seed = controls.seed;
        plan.trace.label = controls.label.clone();
        let arrival = self.arrivals.fetch_add(1, Ordering::Relaxed);
        let mut rng = Rng::new(fnv1a(&[
            &self.settings.seed.to_le_bytes(),
            b"scenario",
            &arrival.to_le_bytes(),
        ]));
        let mut overrides = controls.overrides.over(self.settings.latency);
        let finish = |plan: &mut Plan, overrides: Overrides, rng: &mut Rng| {
            plan.trace.dropped = matches!(plan.outcome, Outcome::Fail(Failure::ConnectionReset));
            let jitter = overrides.jitter_ms.unwrap_or(0);
            let jitter = if jitter > 0 { rng.below(jitter + 1) } else { 0 };
            plan.delay = Duration::from_millis(overrides.latency_ms.unwrap_or(0) + jitter);
            plan.stream = overrides.stream_plan();
        };

        if let Some(failure) = controls.failure {
            plan.trace.fault = Some("control_header".into());
            plan.outcome = Outcome::Fail(failure);
            finish(&mut plan, overrides, &mut rng);
            return plan;
        }
        if self.limiter.is_active() {
            let key = api_key.unwrap_or("");
            let model = facts.model.as_deref();
            let body = &request.body;
            match self.limiter.check(
                key,
                model,
                || limits::request_tokens(model, body),
                Instant::now(),
            ) {
                Verdict::Unlimited => {}
                Verdict::Allowed(headers) => plan.headers = headers,
                Verdict::Denied(refusal) => {
                    plan.trace.fault = Some("rate_limit".into());
                    plan.outcome = Outcome::Fail(Failure::Error(refusal));
                    finish(&mut plan, overrides, &mut rng);
                    return plan;
                }
            }
        }
        if faults::strikes(self.settings.error_rate, &mut rng) {
            let name = self.settings.error_mix.pick(&mut rng).to_string();
            if let Some(failure) = faults::preset(&name) {
                plan.trace.fault = Some(name);
                plan.outcome = Outcome::Fail(failure);
                finish(&mut plan, overrides, &mut rng);
                return plan;
            }
        }

        let loaded = self.current();
        if loaded.rules.rules.is_empty() && controls.rule.is_none() {
            finish(&mut plan, overrides, &mut rng);
            return plan;
        }
        let conversation = controls
            .conversation
            .clone()
            .unwrap_or_else(|| self.conversation_of(endpoint, request, &facts));
        plan.trace.conversation = Some(conversation.clone());
        let chosen =
            match &controls.rule {
                Some(name) => match loaded.rules.named(name) {
                    Some((index, rule)) => next_step(&loaded, index, rule, &conversation),
                    None => {
                        let names: Vec<&str> = loaded
                            .rules
                            .rules
                            .iter()
                            .filter(|r| r.named)
                            .map(|r| r.name.as_str())
                            .collect();
                        plan.trace.fault = Some("control_header".into());
                        plan.outcome =
                            Outcome::Fail(Failure::Error(SimulatedError {
                                error: ApiError::invalid_request(format!(
                            "Invalid x-mock-rule header: no rule is named {name:?}; the named \
                             rules are: {}",
                            if names.is_empty() { "(none)".to_string() } else { names.join(", ") }
                        )),
                                headers: Vec::new(),
                            }));
                        return plan;
                    }
                },
                None => loaded
                    .rules
                    .rules
                    .iter()
                    .enumerate()
                    .filter(|(_, rule)| rule.matches(&facts, headers, &request.body))
                    .find_map(|(index, rule)| next_step(&loaded, index, rule, &conversation)),
            };
        if let Some((rule, step_index, step)) = chosen {
            plan.trace.rule = Some(rule.name.clone());
            plan.trace.step = Some(step_index);
            overrides = controls
                .overrides
                .over(step.overrides)
                .over(self.settings.latency);
            plan.outcome = self.render(op, request, &facts, &step.action, &mut rng);
        }
        finish(&mut plan, overrides, &mut rng);
        plan
    }

    /// Logs one answered request (see [`log::Entry`]); `trace` is `None` for requests that
    /// never reached [`Engine::plan`] (unknown routes, bad keys, invalid bodies).
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        method: &str,
        path: &str,
        operation: Option<&str>,
        status: u16,
        request_id: &str,
        trace: Option<&Trace>,
        elapsed: Duration,
    ) {
        let trace = trace.cloned().unwrap_or_default();
        self.log.record(log::Entry {
            seq: 0,
            at_ms: unix_ms().saturating_sub(elapsed.as_millis() as u64),
            request_id: request_id.to_string(),
            method: method.to_string(),
            path: path.to_string(),
            operation: operation.map(str::to_string),
            status: if trace.dropped { 0 } else { status },
            trace,
            duration_ms: elapsed.as_secs_f64() * 1000.0,
        });
    }

    /// The conversation key of a request (see the module notes).
    fn conversation_of(
        &self,
        endpoint: &Endpoint,
        request: &ValidRequest,
        facts: &Facts,
    ) -> String {
        match endpoint.continuation.and_then(|read| read(request)) {
            Some(Continuation::Conversation(id)) => return format!("conversation:{id}"),
            Some(Continuation::Answer(previous)) => {
                let remembered = self
                    .conversations
                    .lock()
                    .ok()
                    .and_then(|c| c.by_response.get(previous).cloned());
                return remembered.unwrap_or_else(|| format!("response:{previous}"));
            }
            None => {}
        }
        if facts.system_prompt.is_empty() && facts.first_user_message.is_empty() {
            return String::new();
        }
        let hash = fnv1a(&[
            facts.system_prompt.as_bytes(),
            facts.first_user_message.as_bytes(),
        ]);
        format!("messages:{hash:016x}")
    }

    /// Remembers which conversation an answer that can be continued (a `/responses`
    /// answer) belongs to, so a later request naming it (`previous_response_id`) continues
    /// that conversation.
    pub fn remember_answer(&self, plan: &Plan, answer: &Value) {
        if !plan.remember_answer {
            return;
        }
        let (Some(conversation), Some(id)) = (
            plan.trace.conversation.as_ref(),
            answer.get("id").and_then(Value::as_str),
        ) else {
            return;
        };
        let Ok(mut remembered) = self.conversations.lock() else {
            return;
        };
        if remembered.order.len() >= REMEMBERED_RESPONSES {
            if let Some(oldest) = remembered.order.pop_front() {
                remembered.by_response.remove(&oldest);
            }
        }
        remembered.order.push_back(id.to_string());
        remembered
            .by_response
            .insert(id.to_string(), conversation.clone());
    }

    /// Renders a rule step's action for this request.
    fn render(
        &self,
        op: &Operation,
        request: &ValidRequest,
        facts: &Facts,
        action: &Action,
        rng: &mut Rng,
    ) -> Outcome {
        let id = new_id(rng, id_prefix(&self.catalog, op));
        let context = template::Context {
            model: facts.model.as_deref().unwrap_or(""),
            id: &id,
            created: (unix_ms() / 1000) as i64,
            last_user_message: &facts.last_user_message,
            request: &request.body,
        };
        match action {
            Action::Behave { text, tool_calls } if text.is_none() && tool_calls.is_empty() => {
                Outcome::Normal
            }
            Action::Behave { text, tool_calls } => Outcome::Scripted(Scripted {
                text: text.as_ref().map(|t| t.render(&context)),
                tool_calls: tool_calls
                    .iter()
                    .map(|call| ScriptedToolCall {
                        id: call.id.clone().unwrap_or_else(|| new_id(rng, "call_")),
                        name: call.name.clone(),
                        arguments: match call.arguments.render(&context) {
                            Value::String(text) => text,
                            other => other.to_string(),
                        },
                    })
                    .collect(),
            }),
            Action::Body { status, body } => Outcome::Body {
                status: *status,
                body: body.render(&context),
            },
            Action::Error { error, message } => {
                let mut error = error.clone();
                error.error.message = message.render(&context);
                Outcome::Fail(Failure::Error(error))
            }
            Action::ConnectionReset => Outcome::Fail(Failure::ConnectionReset),
        }
    }

    /// Answers the `/__mock/...` inspection endpoints; `None` for other paths.
    pub fn admin(&self, method: &str, path: &str) -> Option<(u16, Value)> {
        let rest = path.strip_prefix("/__mock/")?;
        Some(match (method, rest) {
            ("GET", "requests") => (200, self.log.to_json()),
            ("DELETE", "requests") => {
                self.log.clear();
                (200, json!({"object": "list", "deleted": true}))
            }
            ("POST", "reset") => {
                self.reset();
                (200, json!({"reset": true}))
            }
            ("GET", "rules") => (200, self.rules_json()),
            _ => {
                let error = ApiError::unknown_route(method, path).body();
                (404, error)
            }
        })
    }

    /// Clears the request log, sequence counters, rate-limit buckets and remembered
    /// conversations.
    pub fn reset(&self) {
        self.log.clear();
        if let Ok(mut calls) = self.current().calls.lock() {
            calls.clear();
        }
        self.limiter.reset();
        if let Ok(mut conversations) = self.conversations.lock() {
            *conversations = Conversations::default();
        }
    }

    fn rules_json(&self) -> Value {
        let loaded = self.current();
        let rules: Vec<Value> = loaded
            .rules
            .rules
            .iter()
            .map(|rule| {
                json!({
                    "name": rule.name, "priority": rule.priority, "line": rule.line,
                    "steps": rule.steps.len(),
                })
            })
            .collect();
        json!({
            "file": self.settings.rules_file,
            "loaded_at_ms": loaded.loaded_at_ms,
            "rules": rules,
            "last_reload_error": self.last_reload_error.lock().ok().and_then(|e| e.clone()),
        })
    }
}

fn read_rules_text(path: &std::path::Path) -> Result<String, RulesError> {
    std::fs::read_to_string(path).map_err(|e| RulesError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the file: {e}"),
    })
}

/// The rule's step for this call of `conversation`, counting the call; `None` once a
/// `stop` sequence is used up.
fn next_step<'a>(
    loaded: &'a Loaded,
    index: usize,
    rule: &'a rules::Rule,
    conversation: &str,
) -> Option<(&'a rules::Rule, usize, &'a rules::Step)> {
    let mut calls = loaded.calls.lock().ok()?;
    let count = calls.entry((index, conversation.to_string())).or_insert(0);
    let step = rule.step(*count)?;
    let step_index = if rule.steps.len() > 1 {
        rule.steps
            .iter()
            .position(|s| std::ptr::eq(s, step))
            .unwrap_or(0)
    } else {
        0
    };
    *count += 1;
    Some((rule, step_index, step))
}

/// The id prefix of the object `op` answers with (`chatcmpl-`, `resp_`, ...), from the
/// `object` property of its response schema; `mock_` when it has none.
fn id_prefix(catalog: &Catalog, op: &Operation) -> &'static str {
    let store = &catalog.schemas;
    let Some(index) = op.response.schema else {
        return "mock_";
    };
    let mut pending = vec![store.target(index)];
    let mut seen = 0;
    while let Some(schema) = pending.pop() {
        seen += 1;
        if seen > 16 {
            break;
        }
        let (schema, _) = store.resolve(schema);
        if let Some(object) = schema.pointer("/properties/object") {
            let (object, _) = store.resolve(object);
            let name = object
                .get("const")
                .or_else(|| object.pointer("/enum/0"))
                .or_else(|| object.get("default"))
                .and_then(Value::as_str);
            if let Some(prefix) = name.and_then(prefix_for_object) {
                return prefix;
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                pending.extend(branches.iter());
            }
        }
    }
    "mock_"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn engine_with(rules: &str, settings: Settings) -> (Engine, PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "openai-mock-engine-{}-{}",
            std::process::id(),
            fnv1a(&[rules.as_bytes()])
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config.yaml");
        std::fs::write(&file, rules).unwrap();
        let settings = Settings {
            rules_file: Some(file.clone()),
            control_headers: true,
            ..settings
        };
        (Engine::new(Catalog::embedded(), settings).unwrap(), file)
    }

    fn chat(engine: &Engine, messages: Value, headers: &HeaderMap) -> Plan {
        let catalog = Catalog::embedded();
        let op = catalog.operation("createChatCompletion").unwrap();
        let request = ValidRequest {
            body: json!({"model": "gpt-4o", "messages": messages}),
            ..ValidRequest::default()
        };
        engine.plan(
            op,
            &crate::endpoints::chat::ENDPOINT,
            &request,
            headers,
            Some("sk-test"),
        )
    }

    fn text_of(plan: &Plan) -> String {
        match &plan.outcome {
            Outcome::Scripted(s) => s.text.clone().unwrap_or_default(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn sequences_count_per_conversation() {
        let (engine, _) = engine_with(
            "rules:\n  - name: agent\n    sequence: [{text: one}, {text: two}, {text: three}]\n",
            Settings::default(),
        );
        let none = HeaderMap::new();
        let turn = |first: &str, extra: usize| {
            let mut messages = vec![json!({"role": "user", "content": first})];
            for i in 0..extra {
                messages.push(json!({"role": "assistant", "content": format!("a{i}")}));
                messages.push(json!({"role": "user", "content": format!("u{i}")}));
            }
            text_of(&chat(&engine, Value::Array(messages), &none))
        };
        assert_eq!(turn("plan a trip", 0), "one");
        assert_eq!(turn("something else", 0), "one");
        assert_eq!(turn("plan a trip", 1), "two");
        assert_eq!(turn("plan a trip", 2), "three");
        assert_eq!(turn("plan a trip", 3), "three");
        engine.reset();
        assert_eq!(turn("plan a trip", 0), "one");
    }

    #[test]
    fn templates_render_into_scripted_text_and_bodies() {
        let (engine, _) = engine_with(
            "rules:\n  - match: {last_user_message: echo}\n    reply: {text: '{{model}} says {{last_user_message}}'}\n  - reply:\n      body: {id: '{{id}}', created: '{{created}}', model: '{{request./model}}'}\n",
            Settings::default(),
        );
        let none = HeaderMap::new();
        let plan = chat(
            &engine,
            json!([{"role": "user", "content": "echo this"}]),
            &none,
        );
        assert_eq!(text_of(&plan), "gpt-4o says echo this");
        let plan = chat(
            &engine,
            json!([{"role": "user", "content": "anything"}]),
            &none,
        );
        let Outcome::Body { status: 200, body } = plan.outcome else {
            panic!("{:?}", plan.outcome)
        };
        assert!(
            body["id"].as_str().unwrap().starts_with("chatcmpl-"),
            "{body}"
        );
        assert!(body["created"].as_i64().unwrap() > 1_700_000_000);
        assert_eq!(body["model"], "gpt-4o");
    }

    #[test]
    fn control_headers_choose_rules_force_errors_and_can_be_off() {
        let (engine, file) = engine_with(
            "rules:\n  - {name: special, match: {model: nothing-matches}, reply: {text: chosen}}\n",
            Settings::default(),
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-mock-rule", "special".parse().unwrap());
        let messages = json!([{"role": "user", "content": "hi"}]);
        assert_eq!(
            text_of(&chat(&engine, messages.clone(), &headers)),
            "chosen"
        );
        headers.insert("x-mock-rule", "missing".parse().unwrap());
        let Outcome::Fail(Failure::Error(e)) = chat(&engine, messages.clone(), &headers).outcome
        else {
            panic!()
        };
        assert!(e.error.message.contains("special"));

        let mut headers = HeaderMap::new();
        headers.insert("x-mock-status", "500".parse().unwrap());
        headers.insert("x-mock-latency-ms", "7".parse().unwrap());
        let plan = chat(&engine, messages.clone(), &headers);
        assert!(
            matches!(plan.outcome, Outcome::Fail(Failure::Error(ref e)) if e.error.status == 500)
        );
        assert_eq!(plan.delay, Duration::from_millis(7));

        let off = Engine::new(
            Catalog::embedded(),
            Settings {
                rules_file: Some(file),
                control_headers: false,
                ..Settings::default()
            },
        )
        .unwrap();
        let plan = chat(&off, messages, &headers);
        assert!(matches!(plan.outcome, Outcome::Normal));
        assert_eq!(plan.delay, Duration::ZERO);
    }

    #[test]
    fn error_injection_is_deterministic_under_a_seed() {
        let run = |seed| {
            let engine = Engine::new(
                Catalog::embedded(),
                Settings {
                    seed,
                    error_rate: 0.3,
                    ..Settings::default()
                },
            )
            .unwrap();
            (0..200)
                .map(|_| {
                    chat(
                        &engine,
                        json!([{"role": "user", "content": "x"}]),
                        &HeaderMap::new(),
                    )
                    .trace
                    .fault
                    .unwrap_or_default()
                })
                .collect::<Vec<_>>()
        };
        let first = run(1);
        assert_eq!(first, run(1));
        assert_ne!(first, run(2));
        let hits = first.iter().filter(|f| !f.is_empty()).count();
        assert!((30..90).contains(&hits), "{hits}");
        for kind in [
            "rate_limit_exceeded",
            "server_error",
            "overloaded",
            "connection_reset",
        ] {
            assert!(first.iter().any(|f| f == kind), "{kind} never drawn");
        }
    }

    #[test]
    fn a_bad_reload_keeps_the_last_good_rules() {
        let (engine, file) = engine_with("rules:\n  - reply: {text: first}\n", Settings::default());
        let none = HeaderMap::new();
        let messages = json!([{"role": "user", "content": "hi"}]);
        assert_eq!(engine.reload(), Ok(false));
        std::fs::write(&file, "rules:\n  - reply: {text: second}\n").unwrap();
        assert_eq!(engine.reload(), Ok(true));
        assert_eq!(text_of(&chat(&engine, messages.clone(), &none)), "second");
        std::fs::write(
            &file,
            "rules:\n  - reply: {text: third}\n  - reply: {bogus: 1}\n",
        )
        .unwrap();
        let error = engine.reload().unwrap_err();
        assert_eq!(error.line, 3);
        assert_eq!(text_of(&chat(&engine, messages, &none)), "second");
        let (_, rules) = engine.admin("GET", "/__mock/rules").unwrap();
        assert!(rules["last_reload_error"].as_str().unwrap().contains(":3:"));
    }

    #[test]
    fn responses_continue_their_conversation_through_previous_response_id() {
        let (engine, _) = engine_with(
            "rules:\n  - sequence: [{text: A}, {text: B}]\n",
            Settings::default(),
        );
        let catalog = Catalog::embedded();
        let op = catalog.operation("createResponse").unwrap();
        let none = HeaderMap::new();
        let ask = |body: Value| {
            let request = ValidRequest {
                body,
                ..ValidRequest::default()
            };
            engine.plan(
                op,
                &crate::endpoints::responses::CREATE,
                &request,
                &none,
                None,
            )
        };
        let first = ask(json!({"model": "gpt-4o", "input": "start"}));
        assert_eq!(text_of(&first), "A");
        engine.remember_answer(&first, &json!({"id": "resp_1"}));
        let second =
            ask(json!({"model": "gpt-4o", "input": "go on", "previous_response_id": "resp_1"}));
        assert_eq!(text_of(&second), "B");
        assert_eq!(second.trace.conversation, first.trace.conversation);
    }

    #[test]
    fn id_prefixes_follow_the_answered_object() {
        let catalog = Catalog::embedded();
        let prefix = |id: &str| id_prefix(&catalog, catalog.operation(id).unwrap());
        assert_eq!(prefix("createChatCompletion"), "chatcmpl-");
        assert_eq!(prefix("createResponse"), "resp_");
        assert_eq!(prefix("createCompletion"), "cmpl-");
    }
}
