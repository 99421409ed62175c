//! Client events checked against the spec: which event types the document declares (read
//! from the `RealtimeClientEvent` union, so a refreshed spec brings its new events along),
//! each checked against its own schema, and the `error` server event that answers one that
//! fails, naming the offending `event_id`, as the real API does.

use crate::catalog::Catalog;
use crate::error::ApiError;
use crate::generate::Rng;
use crate::validate::to_api_error;
use base64::Engine;
use serde_json::{json, Value};

/// The client events of one union of the spec (`RealtimeClientEvent`), by `type`.
pub struct ClientEvents {
    /// `(type, JSON pointer of its schema)`, in the document's order.
    kinds: Vec<(String, String)>,
}

impl ClientEvents {
    /// The members of the union `name` in `catalog`'s components.
    pub fn of(catalog: &Catalog, name: &str) -> ClientEvents {
        let members = catalog
            .schemas
            .component(name)
            .and_then(|union| union.get("anyOf").or_else(|| union.get("oneOf")))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let kinds = members
            .iter()
            .filter_map(|member| {
                let reference = member.get("$ref")?.as_str()?;
                let component = reference.rsplit('/').next()?;
                let schema = catalog.schemas.component(component)?;
                let kind = schema.pointer("/properties/type/enum/0")?.as_str()?;
                Some((kind.to_string(), format!("/components/schemas/{component}")))
            })
            .collect();
        ClientEvents { kinds }
    }

    /// Adds the events of another union (a transcription session also takes
    /// `transcription_session.update`).
    pub fn with(mut self, catalog: &Catalog, component: &str) -> ClientEvents {
        if let Some(kind) = catalog
            .schemas
            .component(component)
            .and_then(|schema| schema.pointer("/properties/type/enum/0"))
            .and_then(Value::as_str)
        {
            self.kinds
                .push((kind.to_string(), format!("/components/schemas/{component}")));
        }
        self
    }

    /// The event in `text`, checked: its `type` and the whole event, or the error to send
    /// back with the client's `event_id` when it has one.
    pub fn check(&self, catalog: &Catalog, text: &str) -> Result<Value, Refusal> {
        let event: Value = serde_json::from_str(text).map_err(|error| {
            Refusal::new(
                ApiError::invalid_request(format!(
                    "Invalid JSON in the event: {error}. Each event must be one JSON object."
                ))
                .with_code("invalid_json"),
                None,
            )
        })?;
        let event_id = event
            .get("event_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        let refuse = |error: ApiError| Refusal::new(error, event_id.as_deref());
        if !event.is_object() {
            return Err(refuse(
                ApiError::invalid_request("The event must be a JSON object.")
                    .with_code("invalid_event"),
            ));
        }
        let Some(kind) = event.get("type") else {
            return Err(refuse(
                ApiError::invalid_request("The 'type' field is missing.")
                    .with_code("invalid_event"),
            ));
        };
        let pointer = kind
            .as_str()
            .and_then(|kind| self.kinds.iter().find(|(k, _)| k == kind))
            .map(|(_, pointer)| pointer.as_str());
        let Some(pointer) = pointer else {
            let supported: Vec<String> = self.kinds.iter().map(|(k, _)| format!("'{k}'")).collect();
            let shown = kind
                .as_str()
                .map_or_else(|| kind.to_string(), str::to_string);
            return Err(refuse(
                ApiError::invalid_request(format!(
                    "Invalid value: '{shown}'. Supported values are: {}.",
                    supported.join(", ")
                ))
                .with_param("type")
                .with_code("invalid_value"),
            ));
        };
        if let Some(validator) = catalog.schemas.validator_at(pointer) {
            if let Some(error) = to_api_error(validator.iter_errors(&event)) {
                return Err(refuse(error));
            }
        }
        Ok(event)
    }
}

/// A client event the session refuses, and the id it carried.
#[derive(Debug)]
pub struct Refusal {
    /// What is wrong (message, param, code).
    pub error: Box<ApiError>,
    /// The client event's `event_id`, when it had one.
    pub event_id: Option<String>,
}

impl Refusal {
    /// A refusal of the event `event_id`.
    pub fn new(error: ApiError, event_id: Option<&str>) -> Refusal {
        Refusal {
            error: Box::new(error),
            event_id: event_id.map(str::to_string),
        }
    }

    /// The `error` server event's body (without its own `event_id`).
    pub fn event(&self) -> Value {
        json!({
            "type": "error",
            "error": {
                "type": self.error.kind,
                "code": self.error.code,
                "message": self.error.message,
                "param": self.error.param,
                "event_id": self.event_id,
            },
        })
    }
}

/// Gives a server event its `event_id`, from the socket's id source.
pub fn stamp(ids: &mut Rng, mut event: Value) -> Value {
    let id = format!("event_{}", ids.alphanumeric(21));
    if let Some(object) = event.as_object_mut() {
        object.shift_insert(0, "event_id".into(), Value::String(id));
    }
    event
}

/// The events that answer a client event (or its refusal), stamped.
pub fn stamped(ids: &mut Rng, answered: Result<Vec<Value>, Refusal>) -> Vec<Value> {
    answered
        .unwrap_or_else(|refusal| vec![refusal.event()])
        .into_iter()
        .map(|event| stamp(ids, event))
        .collect()
}

/// The bytes of an append event's base64 `audio`, or the real error.
pub fn audio_bytes(event: &Value) -> Result<Vec<u8>, ApiError> {
    let audio = event.get("audio").and_then(Value::as_str).unwrap_or("");
    base64::engine::general_purpose::STANDARD
        .decode(audio)
        .map_err(|_| {
            ApiError::invalid_request("Invalid 'audio'. Expected base64-encoded audio bytes.")
                .with_param("audio")
                .with_code("invalid_value")
        })
}
