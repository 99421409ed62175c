//! The [`Engine`]: the scenario state of one server, and [`Engine::plan`], which decides
//! per request what the control headers, rate limits, injected faults and rules call for
//! (in the order given in the [module notes](super)).

use super::control;
use super::conversations::Conversations;
use super::facts::Facts;
use super::faults::{self, ErrorMix, Failure, SimulatedError};
use super::latency::Overrides;
use super::limits::{self, Limiter, Verdict};
use super::loading::{self, Loaded, Loader};
use super::log::{self, unix_ms};
use super::plan::{Outcome, Plan, Trace};
use super::render::render;
use super::rulefile::RulesError;
use super::rules::{Rule, Step};
use crate::catalog::{Catalog, Operation};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::generate::{fnv1a, Rng};
use crate::validate::ValidRequest;
use poem::http::HeaderMap;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
            seed: config.seed.unwrap_or(0),
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

/// The scenario state of one server.
pub struct Engine {
    pub(super) settings: Settings,
    pub(super) catalog: Arc<Catalog>,
    pub(super) rules: Loader,
    pub(super) limiter: Limiter,
    pub(super) arrivals: AtomicU64,
    pub(super) conversations: Conversations,
    pub(super) log: log::RequestLog,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("settings", &self.settings)
            .field("rules", &self.rule_count())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// The engine for `settings`; reads and checks the rules file, so a bad file fails here.
    pub fn new(catalog: Arc<Catalog>, settings: Settings) -> Result<Engine, RulesError> {
        Ok(Engine {
            rules: Loader::new(settings.rules_file.clone(), catalog.clone())?,
            limiter: Limiter::new(settings.rate_limits.clone()),
            settings,
            catalog,
            arrivals: AtomicU64::new(0),
            conversations: Conversations::default(),
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

    /// The number of rules in force now (the file's and the added ones).
    pub fn rule_count(&self) -> usize {
        self.rules.current().rules.rules.len()
    }

    /// Re-reads the rules file if its content changed. `Ok(true)` when new rules were
    /// loaded (rules added with [`Engine::add_rules`] stay in force); on error the current
    /// rules stay and the error is kept for `GET /__mock/rules`.
    pub fn reload(&self) -> Result<bool, RulesError> {
        self.rules.reload()
    }

    /// Starts checking the rules file for changes every
    /// [`RELOAD_INTERVAL`](super::loading::RELOAD_INTERVAL) (nothing to do without one). The task
    /// ends when the engine is dropped.
    pub fn watch(self: &Arc<Engine>) -> Option<tokio::task::JoinHandle<()>> {
        self.settings.rules_file.as_ref()?;
        Some(loading::watch(Arc::downgrade(self), |engine| {
            let _ = engine.reload();
        }))
    }

    /// Adds the rules of `text`, a document in the rules file's format (`rules:` then a
    /// list of rules; other top-level keys are ignored), to the rules in force and returns
    /// how many were added. Errors name the pseudo file `<added rules>` with the line in
    /// `text`; a rule name already in force is refused; on error nothing is added.
    ///
    /// Added rules stay in force across reloads of the rules file until
    /// [`Engine::clear_added_rules`]. Rules are tried by priority (highest first); within a
    /// priority the file's rules come first, then the added ones in the order added. Every
    /// change of the rules in force restarts the sequence counters, as a reload does.
    pub fn add_rules(&self, text: &str) -> Result<usize, RulesError> {
        self.rules.add(text)
    }

    /// Removes every rule added with [`Engine::add_rules`] (restarting the sequence
    /// counters when there were any); the file's rules stay.
    pub fn clear_added_rules(&self) {
        self.rules.clear_added();
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
        self.plan_limited(op, endpoint, request, headers, api_key, None)
    }

    /// [`Engine::plan`] for a request under an organization limit (its key's, or its
    /// project's for the model): `limit` is the bucket's name and the limit, applied instead
    /// of the `--rate-limit` entries.
    pub fn plan_limited(
        &self,
        op: &Operation,
        endpoint: &Endpoint,
        request: &ValidRequest,
        headers: &HeaderMap,
        api_key: Option<&str>,
        limit: Option<(&str, limits::Limit)>,
    ) -> Plan {
        // What rules match on (the conversation's texts) is read only when rules exist.
        let model = request.body.get("model").and_then(Value::as_str);
        let streams = op.stream.is_some() && request.wants_stream();
        let mut plan = Plan {
            remember_answer: endpoint.continuation.is_some(),
            trace: Trace {
                operation: op.id.clone(),
                model: model.map(str::to_string),
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
            plan.trace.delivery = if plan.trace.dropped {
                Some("reset".into())
            } else if streams {
                plan.stream.fault()
            } else {
                None
            };
        };

        if let Some(failure) = controls.failure {
            plan.trace.fault = Some("control_header".into());
            plan.outcome = Outcome::Fail(failure);
            finish(&mut plan, overrides, &mut rng);
            return plan;
        }
        if limit.is_some() || self.limiter.is_active() {
            let key = api_key.unwrap_or("");
            let body = &request.body;
            let tokens = || limits::request_tokens(model, body);
            let verdict = match limit {
                Some((bucket, limit)) => self.limiter.check_limit(
                    bucket,
                    model.unwrap_or(""),
                    limit,
                    tokens,
                    Instant::now(),
                ),
                None => self.limiter.check(key, model, tokens, Instant::now()),
            };
            match verdict {
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

        let loaded = self.rules.current();
        if loaded.rules.rules.is_empty() && controls.rule.is_none() {
            finish(&mut plan, overrides, &mut rng);
            return plan;
        }
        let facts = Facts::of(op, request);
        let conversation = controls.conversation.clone().unwrap_or_else(|| {
            self.conversations
                .conversation_of(endpoint, request, &facts)
        });
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
            plan.outcome = render(&self.catalog, op, request, &facts, &step.action, &mut rng);
        }
        finish(&mut plan, overrides, &mut rng);
        plan
    }

    /// Logs one answered request (see [`log::ReceivedRequest`]), moving its parts in, and
    /// returns its number in the log.
    pub fn record(&self, received: Received) -> u64 {
        let Received {
            method,
            path,
            operation,
            status,
            request_id,
            trace,
            elapsed,
            key,
            bodies,
            socket,
        } = received;
        let trace = trace.unwrap_or_default();
        self.log.record(log::ReceivedRequest {
            seq: 0,
            at_ms: unix_ms().saturating_sub(elapsed.as_millis() as u64),
            request_id,
            method,
            path,
            operation,
            status: if trace.dropped { 0 } else { status },
            trace,
            duration_ms: elapsed.as_secs_f64() * 1000.0,
            key,
            bodies,
            socket,
        })
    }

    /// Remembers which conversation an answer that can be continued (a `/responses`
    /// answer) belongs to, so a later request naming it (`previous_response_id`) continues
    /// that conversation.
    pub fn remember_answer(&self, plan: &Plan, answer: &Value) {
        self.conversations.remember_answer(plan, answer);
    }

    /// Clears the request log, sequence counters, rate-limit buckets and remembered
    /// conversations.
    pub fn reset(&self) {
        self.log.clear();
        if let Ok(mut calls) = self.rules.current().calls.lock() {
            calls.clear();
        }
        self.limiter.reset();
        self.conversations.clear();
    }
}

/// The rule's step for this call of `conversation`, counting the call; `None` once a
/// `stop` sequence is used up.
fn next_step<'a>(
    loaded: &'a Loaded,
    index: usize,
    rule: &'a Rule,
    conversation: &str,
) -> Option<(&'a Rule, usize, &'a Step)> {
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

/// One answered request, as the server hands it to [`Engine::record`].
#[derive(Debug)]
pub struct Received {
    /// HTTP method.
    pub method: String,
    /// The path as sent.
    pub path: String,
    /// The matched operation.
    pub operation: Option<String>,
    /// The answer's status.
    pub status: u16,
    /// The `x-request-id` it was answered with.
    pub request_id: String,
    /// What the scenario engine did; `None` for requests that never reached
    /// [`Engine::plan`] (unknown routes, bad keys, invalid bodies).
    pub trace: Option<Trace>,
    /// Time until the answer's head was ready.
    pub elapsed: Duration,
    /// The masked API key, when one was sent.
    pub key: Option<String>,
    /// The start of the request and response bodies.
    pub bodies: log::Bodies,
    /// For a WebSocket upgrade: its activity so far (the socket amends it).
    pub socket: Option<log::SocketActivity>,
}

#[cfg(test)]
mod tests {
    use super::super::testing::{chat, engine_with, text_of};
    use super::*;
    use serde_json::json;

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
    fn realtime_turns_match_their_socket_and_count_per_session() {
        use crate::endpoints::realtime::turns::{socket_operation, REALTIME_SOCKET, TURNS};
        let (engine, _) = engine_with(
            "rules:\n  - name: voice\n    match: {endpoint: /realtime, last_user_message: hi}\n    \
             sequence: [{text: one}, {text: two}]\n  - name: by-id\n    match: {operation: \
             realtime-websocket, last_user_message: bye}\n    reply: {text: later}\n",
            Settings::default(),
        );
        let op = socket_operation(REALTIME_SOCKET).unwrap();
        let turn = |said: &str, session: &str| {
            let request = ValidRequest {
                body: json!({"model": "gpt-realtime", "conversation": session,
                    "input": [{"type": "message", "role": "user",
                        "content": [{"type": "input_text", "text": said}]}]}),
                ..ValidRequest::default()
            };
            text_of(&engine.plan(op, &TURNS, &request, &HeaderMap::new(), None))
        };
        assert_eq!(turn("hi", "conv_a"), "one");
        assert_eq!(turn("hi", "conv_a"), "two");
        assert_eq!(turn("hi", "conv_b"), "one");
        assert_eq!(turn("bye", "conv_a"), "later");
        // Chat requests never match a Realtime rule.
        let chat_plan = chat(
            &engine,
            json!([{"role": "user", "content": "hi"}]),
            &HeaderMap::new(),
        );
        assert!(matches!(chat_plan.outcome, Outcome::Normal));
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
}
