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
//! | `audio` | PCM16 and G.711 μ-law/A-law, and energy-based voice activity detection |
//!
//! `POST /realtime/client_secrets` mints an `ek_` key ([`CLIENT_SECRETS`]) kept in the store
//! with its expiry and session configuration; [`client_secret`] reads it back when a socket
//! opens with it.

mod audio;
mod config;
mod events;
mod reply;
mod session;

pub use audio::{alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear, Format};
pub use events::{ClientEvents, Refusal};
pub use session::{Opening, Session};

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
        let body = &call.request.body;
        let now = now_seconds();
        let seconds = body
            .pointer("/expires_after/seconds")
            .and_then(Value::as_i64)
            .unwrap_or(600);
        let value = format!("ek_{}", generator.rng.alphanumeric(32));
        let session_id = format!("sess_{}", generator.rng.alphanumeric(21));
        let requested = body.get("session").cloned().unwrap_or_else(|| json!({}));
        let mut session = if requested.get("type").and_then(Value::as_str) == Some("transcription")
        {
            config::transcription(&session_id, now)
        } else {
            let model = requested
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or("gpt-realtime");
            config::conversation(&session_id, model, now)
        };
        config::merge(&mut session, &requested);
        session["expires_at"] = json!(now + seconds);
        *answer = json!({"value": value, "expires_at": now + seconds, "session": session});
        let mut object = Object::new(SECRET_KIND, &value, answer.clone());
        object.extra = json!({"owner": call.namespace});
        // A store over its limits refuses the secret; the socket then refuses the key.
        let _ = call.store.create(SECRETS_NAMESPACE, object);
    },
    ..Endpoint::GENERIC
};

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
