//! WebSocket upgrades: `GET /v1/realtime` (a Realtime session, `?model=` or `?call_id=`;
//! `intent=transcription` for a transcription session), `GET /v1/realtime/translations`,
//! and `GET /v1/responses` (the Responses API's WebSocket mode).
//!
//! Everything that can fail is decided before the upgrade, so a client gets the real HTTP
//! error rather than a socket that closes: the key (the `Authorization` header, the
//! browser's `openai-insecure-api-key.<key>` subprotocol, or an `ek_` client secret minted
//! by `POST /realtime/client_secrets`, refused once expired), then the query (`model` or
//! `call_id`, and a model that exists).
//!
//! Each socket is one entry of the request log (the upgrade: status 101, its
//! pseudo-operation, the model), amended with its events as they go. A Realtime session
//! asks the scenario engine about each turn (its rules, faults, limits and latency, as
//! for a request to `GET /realtime`: see `endpoints::realtime::turns`).
//!
//! | module | owns |
//! |---|---|
//! | `realtime` | the Realtime frame loop: limits, idle and session timeouts, the closing event |
//! | `delivery` | the Realtime socket's outgoing events: paced, broken off and cancelled responses |
//! | `activity` | a socket's log entry, amended with its events |
//! | `responses` | the Responses WebSocket mode: each `response.create` through the pipeline as `POST /v1/responses` with `stream: true`, its SSE events sent as frames |

mod activity;
mod delivery;
mod realtime;
mod responses;

use super::auth::Credentials;
use super::pipeline::Pipeline;
use crate::endpoints::realtime::turns::{self, TurnScript};
use crate::endpoints::realtime::{self as behaviour, Opening, Session, Socket, Translation};
use crate::error::ApiError;
use crate::scenario::{Engine, Failure, Outcome};
use crate::validate::ValidRequest;
use activity::Activity;
use poem::http::{header, HeaderMap, Method};
use poem::web::websocket::{CloseCode, Message, WebSocket, WebSocketConfig};
use poem::{FromRequest, IntoResponse, Request, Response};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The largest frame or message a socket takes (the real API's limit for audio appends
/// is 15 MiB).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// How long a socket may stay silent (no frame from the client) before it is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The subprotocol prefix browsers use to send a key.
const KEY_PROTOCOL: &str = "openai-insecure-api-key.";

/// Which socket a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Realtime,
    Translations,
    Responses,
}

impl Kind {
    /// The socket's pseudo-operation id (see `endpoints::realtime::turns`).
    fn operation(self) -> &'static str {
        match self {
            Kind::Realtime => turns::REALTIME_SOCKET,
            Kind::Translations => turns::TRANSLATION_SOCKET,
            Kind::Responses => turns::RESPONSES_SOCKET,
        }
    }
}

/// A socket upgrade, as its log entry shows it.
pub(super) struct Opened {
    /// The socket's pseudo-operation id.
    pub operation: &'static str,
    /// The `model` query parameter.
    pub model: Option<String>,
    /// The entry's number in the request log, set once it is logged (the socket amends
    /// the entry with its events).
    pub seq: Arc<OnceLock<u64>>,
}

impl Opened {
    /// What the log entry shows of the upgrade before the socket's turns.
    pub(super) fn trace(&self) -> crate::scenario::Trace {
        crate::scenario::Trace {
            operation: self.operation.to_string(),
            model: self.model.clone(),
            ..crate::scenario::Trace::default()
        }
    }
}

/// The socket `req` asks for, when it is a WebSocket upgrade of one of the socket paths.
fn kind_of(req: &Request, base: &str) -> Option<Kind> {
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade || req.method() != Method::GET {
        return None;
    }
    let path = req.uri().path();
    let path = path
        .strip_prefix(base)
        .filter(|_| !base.is_empty())
        .unwrap_or(path);
    match path.trim_end_matches('/') {
        "/realtime" => Some(Kind::Realtime),
        "/realtime/translations" => Some(Kind::Translations),
        "/responses" => Some(Kind::Responses),
        _ => None,
    }
}

/// The key a socket request carries: the `Authorization` header's, else the browser
/// subprotocol's.
fn socket_key(req: &Request, credentials: &Credentials) -> Option<String> {
    credentials.key.clone().or_else(|| {
        req.headers()
            .get(header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|v| v.to_str().ok())?
            .split(',')
            .find_map(|p| p.trim().strip_prefix(KEY_PROTOCOL))
            .filter(|key| !key.is_empty())
            .map(str::to_string)
    })
}

/// One query parameter's value.
fn query_value(headers_query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(headers_query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

impl Pipeline {
    /// The answer to a WebSocket upgrade of a socket path: the upgrade, or the real HTTP
    /// error, and what the log shows of it; `None` when `req` is not one.
    pub(super) async fn socket(
        &self,
        req: &Request,
        credentials: &Credentials,
    ) -> Option<(Result<Response, ApiError>, Opened)> {
        let kind = kind_of(req, &self.catalog.base_path)?;
        let opened = Opened {
            operation: kind.operation(),
            model: query_value(req.uri().query(), "model"),
            seq: Arc::new(OnceLock::new()),
        };
        let answer = self
            .upgrade(kind, req, credentials, opened.seq.clone())
            .await;
        Some((answer, opened))
    }

    async fn upgrade(
        &self,
        kind: Kind,
        req: &Request,
        credentials: &Credentials,
        seq: Arc<OnceLock<u64>>,
    ) -> Result<Response, ApiError> {
        let key = socket_key(req, credentials);
        let mut configured = None;
        match key.as_deref() {
            Some(key) if key.starts_with("ek_") && kind != Kind::Responses => {
                match behaviour::client_secret(&self.settings.store, key) {
                    Some(secret) => {
                        let secret = secret?;
                        configured = Some(secret.session);
                    }
                    None => return Err(ApiError::incorrect_api_key(key)),
                }
            }
            _ => self
                .settings
                .keys
                .check(&Credentials { key: key.clone() }, false)?,
        }
        let query = req.uri().query();
        let model = query_value(query, "model");
        let call_id = query_value(query, "call_id");
        if let (None, Some(call_id)) = (&configured, &call_id) {
            // The sideband of an accepted call opens the session it was accepted with.
            let namespace = key.as_deref().unwrap_or(super::pipeline::NO_KEY);
            configured = behaviour::accepted_call(&self.settings.store, namespace, call_id);
        }
        let ws = WebSocket::from_request_without_body(req)
            .await
            .map_err(|error| {
                ApiError::invalid_request(format!("Invalid WebSocket upgrade: {error}"))
            })?
            .protocols(["realtime"])
            .config(
                WebSocketConfig::default()
                    .max_message_size(Some(MAX_MESSAGE_BYTES))
                    .max_frame_size(Some(MAX_MESSAGE_BYTES)),
            );
        let activity = Activity::new(self.settings.scenarios.clone(), seq);
        if kind == Kind::Responses {
            let pipeline = self.clone();
            return Ok(ws
                .on_upgrade(move |socket| responses::start(socket, pipeline, key, activity))
                .into_response());
        }
        let from_secret = configured
            .as_ref()
            .and_then(|c| c.get("model"))
            .and_then(|m| m.as_str())
            .map(str::to_string);
        let model = model.or(from_secret);
        if configured.is_none() {
            behaviour::check_opening(&self.catalog, model.as_deref(), call_id.as_deref())?;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let ids = self.settings.ids.next_source();
        let mut session = if kind == Kind::Translations {
            Socket::Translation(Box::new(Translation::new(
                self.catalog.clone(),
                model.as_deref(),
                configured.as_ref(),
                self.settings.seed,
                now,
                ids,
            )))
        } else {
            let transcription = query_value(query, "intent").as_deref() == Some("transcription")
                || configured
                    .as_ref()
                    .and_then(|c| c.get("type"))
                    .is_some_and(|t| t == "transcription");
            let opening = Opening {
                model,
                transcription,
                configured,
                seed: self.settings.seed,
                now,
            };
            Socket::Session(Box::new(Session::new(self.catalog.clone(), opening, ids)))
        };
        let plans = realtime::Plans::default();
        session.set_planner(planner(
            self.settings.scenarios.clone(),
            req.headers().clone(),
            key,
            plans.clone(),
        ));
        Ok(ws
            .on_upgrade(move |socket| realtime::run(socket, session, plans, activity))
            .into_response())
    }
}

/// The planner of a Realtime session: each turn planned by the scenario engine as a request
/// to the socket's pseudo-operation (with the upgrade's headers and key), its plan kept in
/// `plans` for the frame loop (pacing, faults, the log) and its script handed to the
/// session.
fn planner(
    engine: Arc<Engine>,
    headers: HeaderMap,
    key: Option<String>,
    plans: realtime::Plans,
) -> turns::Planner {
    Box::new(move |body| {
        let Some(op) = turns::socket_operation(turns::REALTIME_SOCKET) else {
            return TurnScript::Normal;
        };
        let request = ValidRequest {
            body: body.clone(),
            ..ValidRequest::default()
        };
        let mut plan = engine.plan(op, &turns::TURNS, &request, &headers, key.as_deref());
        if plan.trace.delivery.is_none() {
            plan.trace.delivery = plan.stream.fault();
        }
        let script = match &plan.outcome {
            Outcome::Scripted(script) => TurnScript::Scripted(script.clone()),
            Outcome::Fail(Failure::Error(error)) => TurnScript::Error(error.error.clone()),
            _ => TurnScript::Normal,
        };
        if let Ok(mut plans) = plans.lock() {
            plans.push(plan);
        }
        script
    })
}

/// A socket's next client frame, once idle timeouts and closing handshakes are dealt with.
pub(super) enum Frame {
    /// A text frame: one event.
    Text(String),
    /// A binary frame, which no socket takes.
    Binary,
    /// A frame that could not be read (over the size limit, broken framing).
    Broken(String),
    /// The client closed the socket, or it went silent for [`IDLE_TIMEOUT`] (and was closed).
    Gone,
}

/// Reads the next frame from `stream`, answering close frames and closing an idle socket
/// through `sink`.
pub(super) async fn next_frame<S, K>(stream: &mut S, sink: &mut K) -> Frame
where
    S: futures_util::Stream<Item = std::io::Result<Message>> + Unpin,
    K: futures_util::Sink<Message> + Unpin,
{
    use futures_util::{SinkExt, StreamExt};
    loop {
        match tokio::time::timeout(IDLE_TIMEOUT, stream.next()).await {
            Err(_) => {
                let close = Message::Close(Some((CloseCode::Away, "idle timeout".into())));
                let _ = sink.send(close).await;
                return Frame::Gone;
            }
            Ok(None) => return Frame::Gone,
            Ok(Some(Ok(Message::Close(_)))) => {
                // Flushes the close reply the WebSocket layer queued, so the client's
                // closing handshake ends at once.
                let _ = sink.close().await;
                return Frame::Gone;
            }
            Ok(Some(Err(error))) => return Frame::Broken(error.to_string()),
            Ok(Some(Ok(Message::Text(text)))) => return Frame::Text(text),
            Ok(Some(Ok(Message::Binary(_)))) => return Frame::Binary,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// The refusal of a binary frame.
pub(super) fn binary_refused() -> ApiError {
    ApiError::invalid_request(
        "Binary frames are not supported: send each event as a JSON text frame.",
    )
    .with_code("invalid_event")
}
