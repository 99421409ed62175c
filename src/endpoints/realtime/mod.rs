//! The Realtime API: the WebSocket session's behaviour and the ephemeral keys that open it.
//!
//! The server's socket transport (`server::sockets`) upgrades `GET /v1/realtime` and
//! carries text frames; everything a session *does* lives here:
//!
//! | module | owns |
//! |---|---|
//! | `session` | one session's state (configuration, conversation items, input audio buffer) and what each client event does to it |
//! | `events` | client events checked against the spec's client-event schemas, and the `error` event |
//! | `config` | the default session configurations, `session.update` merging, and reading settings |
//! | `reply` | a response's event sequence: text, audio with transcript, function calls, usage |
//! | `turns` | a turn as the scenario rules see it (the sockets' pseudo-operations, the planner a session asks, a failed response) |
//! | `translation` | the translation session: turns found by their energy, interpreted in text and audio |
//! | `audio` | PCM16 and G.711 μ-law/A-law, and energy-based voice activity detection |
//!
//! `POST /realtime/calls/{call_id}/accept` ([`ACCEPT_CALL`]) keeps the accepted call's
//! session configuration in the caller's namespace; a sideband socket
//! (`GET /realtime?call_id=`) then opens that session ([`accepted_call`]).
//!
//! `POST /realtime/client_secrets` mints an `ek_` key ([`CLIENT_SECRETS`]) kept in the store
//! with its expiry and session configuration; [`client_secret`] reads it back when a socket
//! opens with it.

mod audio;
mod config;
mod events;
mod reply;
mod session;
mod translation;
pub mod turns;

pub use audio::{alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear, Format};
pub use events::{ClientEvents, Refusal};
pub use session::{Opening, Session};
pub use translation::Translation;

use super::Endpoint;
use crate::catalog::Catalog;
use crate::error::ApiError;
use crate::store::{Found, Object, Store};
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// The store namespace of minted client secrets (looked up by value, whoever minted them).
const SECRETS_NAMESPACE: &str = "realtime-client-secrets";

/// The store kind of a client secret.
const SECRET_KIND: &str = "realtime.client_secret";

/// `POST /realtime/client_secrets`: an ephemeral key for the session it describes, working
/// on the Realtime socket until `expires_after.seconds` (default 600) have passed.
pub const CLIENT_SECRETS: Endpoint = Endpoint {
    ops: &["create-realtime-client-secret"],
    shape: |call, answer, generator| {
        let requested = call.request.body.get("session");
        let session_id = format!("sess_{}", generator.rng.alphanumeric(21));
        let now = now_seconds();
        let kind = requested
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str);
        let session = if kind == Some("transcription") {
            config::transcription(&session_id, now)
        } else {
            let model = requested
                .and_then(|s| s.get("model"))
                .and_then(Value::as_str)
                .unwrap_or("gpt-realtime");
            config::conversation(&session_id, model, now)
        };
        mint(call, answer, generator, session);
    },
    ..Endpoint::GENERIC
};

/// `POST /realtime/translations/client_secrets`: an ephemeral key for a translation
/// session, as [`CLIENT_SECRETS`].
pub const TRANSLATION_CLIENT_SECRETS: Endpoint = Endpoint {
    ops: &["create-realtime-translation-client-secret"],
    shape: |call, answer, generator| {
        let session_id = format!("sess_{}", generator.rng.alphanumeric(21));
        let session = translation::configuration(&session_id, None, now_seconds());
        mint(call, answer, generator, session);
    },
    ..Endpoint::GENERIC
};

/// Mints the key of a client-secret request over the `session` defaults (with the
/// request's `session` merged in), answers with it and keeps it in the store.
fn mint(
    call: &super::Call,
    answer: &mut Value,
    generator: &mut crate::generate::Generator,
    mut session: Value,
) {
    let body = &call.request.body;
    let now = now_seconds();
    let seconds = body
        .pointer("/expires_after/seconds")
        .and_then(Value::as_i64)
        .unwrap_or(600);
    let value = format!("ek_{}", generator.rng.alphanumeric(32));
    let shape = match session.get("type").and_then(Value::as_str) {
        Some("translation") => "RealtimeTranslationSession",
        Some("transcription") => "RealtimeTranscriptionSessionCreateResponseGA",
        _ => "RealtimeSessionCreateResponseGA",
    };
    if let Some(requested) = body.get("session").and_then(Value::as_object) {
        // Each requested setting is taken where the session object can show it (a tool
        // whose URL is empty, say, cannot be echoed into a valid answer).
        for (key, asked) in requested {
            let mut candidate = session.get(key).cloned().unwrap_or(Value::Null);
            config::merge(&mut candidate, asked);
            let pointer = format!("/components/schemas/{shape}/properties/{key}");
            let fits = call
                .catalog
                .schemas
                .answer_validator_at(&pointer)
                .is_none_or(|validator| validator.is_valid(&config::shown(&candidate)));
            if fits {
                session[key.as_str()] = candidate;
            }
        }
    }
    session["expires_at"] = json!(now + seconds);
    let session = config::shown(&session);
    *answer = json!({"value": value, "expires_at": now + seconds, "session": session});
    let mut object = Object::new(SECRET_KIND, &value, answer.clone());
    object.extra = json!({"owner": call.namespace});
    // A store over its limits refuses the secret; the socket then refuses the key.
    let _ = call.store.create(SECRETS_NAMESPACE, object);
}

/// The store kind of an accepted call.
const CALL_KIND: &str = "realtime.call";

/// `POST /realtime/calls/{call_id}/accept`: the call's session configuration (the request
/// body) is kept, so a sideband socket for the call opens with it.
pub const ACCEPT_CALL: Endpoint = Endpoint {
    ops: &["accept-realtime-call"],
    shape: |call, _, _| {
        let Some((_, call_id)) = call.request.path.first() else {
            return;
        };
        let object = Object::new(CALL_KIND, call_id, call.request.body.clone());
        // A store over its limits keeps no call; the sideband then opens a plain session.
        let _ = call.store.create(call.namespace, object);
    },
    ..Endpoint::GENERIC
};

/// The session configuration the call `call_id` was accepted with in `namespace`, if it
/// was.
pub fn accepted_call(store: &Store, namespace: &str, call_id: &str) -> Option<Value> {
    match store.get(namespace, CALL_KIND, call_id) {
        Found::Live(object) => Some(object.body.clone()),
        _ => None,
    }
}

/// What a Realtime socket runs: a conversation (or transcription) session, or a
/// translation session.
pub enum Socket {
    /// `GET /v1/realtime`.
    Session(Box<Session>),
    /// `GET /v1/realtime/translations`.
    Translation(Box<Translation>),
}

impl Socket {
    /// The events a socket opens with.
    pub fn open(&mut self) -> Vec<Value> {
        match self {
            Socket::Session(session) => session.open(),
            Socket::Translation(translation) => translation.open(),
        }
    }

    /// The events that answer one text frame.
    pub fn handle(&mut self, text: &str) -> Vec<Value> {
        match self {
            Socket::Session(session) => session.handle(text),
            Socket::Translation(translation) => translation.handle(text),
        }
    }

    /// The `error` event for a frame the transport refuses.
    pub fn refuse(&mut self, error: ApiError) -> Value {
        match self {
            Socket::Session(session) => session.refuse(error),
            Socket::Translation(translation) => translation.refuse(error),
        }
    }

    /// The event sent when the session reaches its time limit.
    pub fn expired(&mut self) -> Value {
        let error = ApiError::invalid_request(format!(
            "Your session hit the maximum duration of {} minutes.",
            config::SESSION_SECONDS / 60
        ))
        .with_code("session_expired");
        self.refuse(error)
    }

    /// Asks `planner` about each turn (a translation session has no turns to script).
    pub fn set_planner(&mut self, planner: turns::Planner) {
        if let Socket::Session(session) = self {
            session.set_planner(planner);
        }
    }

    /// Marks the unfinished output items of a cancelled response `incomplete`.
    pub fn cancel(&mut self, unfinished: &[String]) {
        if let Socket::Session(session) = self {
            session.cancel(unfinished);
        }
    }

    /// Whether the client closed the session (a translation's `session.close`).
    pub fn closed(&self) -> bool {
        matches!(self, Socket::Translation(translation) if translation.closed)
    }
}

/// A minted client secret that opens a socket.
#[derive(Debug, Clone)]
pub struct Secret {
    /// The namespace (API key) that minted it: the socket works in it.
    pub owner: String,
    /// The session configuration it was minted with.
    pub session: Value,
}

/// The client secret `key`, when one was minted: the secret, or the 401 for one that
/// expired. `None` when `key` is not a minted secret.
pub fn client_secret(store: &Store, key: &str) -> Option<Result<Secret, ApiError>> {
    let Found::Live(object) = store.get(SECRETS_NAMESPACE, SECRET_KIND, key) else {
        return None;
    };
    let expires_at = object
        .body
        .get("expires_at")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if expires_at <= now_seconds() {
        return Some(Err(ApiError {
            status: 401,
            message: "Ephemeral token expired".into(),
            kind: "invalid_request_error".into(),
            param: None,
            code: Some("invalid_api_key".into()),
        }));
    }
    Some(Ok(Secret {
        owner: object
            .extra
            .get("owner")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        session: object.body.get("session").cloned().unwrap_or(Value::Null),
    }))
}

/// Refuses what the real API refuses before upgrading `GET /v1/realtime`: neither `model`
/// nor `call_id`, or a model that is not a Realtime (or, for transcription, any known)
/// model.
pub fn check_opening(
    catalog: &Catalog,
    model: Option<&str>,
    call_id: Option<&str>,
) -> Result<(), ApiError> {
    match (model, call_id) {
        (None, None) => Err(ApiError::invalid_request(
            "You must provide a model parameter in the query string (?model=...), or a call_id.",
        )
        .with_param("model")
        .with_code("missing_model")),
        (Some(model), _)
            if !super::models::known_ids(catalog).iter().any(|m| m == model)
                && !model.contains("realtime") =>
        {
            Err(super::models::not_found(model))
        }
        _ => Ok(()),
    }
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
