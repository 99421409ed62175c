//! Realtime turns as the scenario rules see them. No operation of the spec describes a
//! WebSocket, so each socket has a pseudo-operation ([`socket_operation`]): the request log
//! names a socket by it, and rules match a Realtime turn by it (`endpoint: /realtime`, or
//! `operation: realtime-websocket`).
//!
//! Before a session writes a response, it asks its [`Planner`] (given by the server, which
//! consults the scenario engine) about the turn, described as a `/responses`-like body
//! ([`request_body`]: `model`, `instructions`, `input`, `tools`, and the session's
//! `conversation` id, so rule sequences count per socket). The answer, a [`TurnScript`],
//! scripts the reply text, function calls, or an error.

use crate::catalog::{Operation, SuccessResponse};
use crate::endpoints::{Continuation, Endpoint};
use crate::error::ApiError;
use crate::services::model::script::Scripted;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The pseudo-operation id of a Realtime conversation socket (`GET /realtime`).
pub const REALTIME_SOCKET: &str = "realtime-websocket";

/// The pseudo-operation id of a Realtime translation socket.
pub const TRANSLATION_SOCKET: &str = "realtime-translations-websocket";

/// The pseudo-operation id of a Responses WebSocket-mode socket (its turns are logged and
/// matched as `POST /responses`).
pub const RESPONSES_SOCKET: &str = "responses-websocket";

/// The socket pseudo-operations, by id: `GET` on their path, answered with 101.
pub fn socket_operations() -> &'static [Operation] {
    static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        [
            (REALTIME_SOCKET, "/realtime"),
            (TRANSLATION_SOCKET, "/realtime/translations"),
            (RESPONSES_SOCKET, "/responses"),
        ]
        .into_iter()
        .map(|(id, path)| Operation {
            id: id.to_string(),
            method: "GET".into(),
            path: path.into(),
            admin: false,
            params: Vec::new(),
            query: 0,
            body: None,
            response: SuccessResponse {
                status: 101,
                content_type: None,
                content_types: Vec::new(),
                schema: None,
            },
            stream: None,
            id_param: None,
        })
        .collect()
    })
}

/// The pseudo-operation `id`, when it is one.
pub fn socket_operation(id: &str) -> Option<&'static Operation> {
    socket_operations().iter().find(|op| op.id == id)
}

/// The socket pseudo-operations that rules can match: the Realtime conversation socket
/// (the others' turns are matched as what they are).
pub fn matchable_socket_operations() -> impl Iterator<Item = &'static Operation> {
    socket_operations()
        .iter()
        .filter(|op| op.id == REALTIME_SOCKET)
}

/// How the scenario engine treats a Realtime turn: counted per session, by the
/// `conversation` of its [`request_body`].
pub const TURNS: Endpoint = Endpoint {
    ops: &[],
    continuation: Some(|request| {
        request
            .body_str("conversation")
            .map(Continuation::Conversation)
    }),
    ..Endpoint::GENERIC
};

/// What the scenario says about one turn.
#[derive(Debug, Clone, Default)]
pub enum TurnScript {
    /// The session answers as it would.
    #[default]
    Normal,
    /// The reply's text, or its function calls, as a rule scripted them.
    Scripted(Scripted),
    /// The response fails with this error.
    Error(ApiError),
}

/// Asks the scenario about a turn (see the module notes); given by the server.
pub type Planner = Box<dyn FnMut(&Value) -> TurnScript + Send + Sync>;

/// A turn as a `/responses`-like body: what rules match on.
pub fn request_body(config: &Value, items: &[Value], conversation_id: &str) -> Value {
    let input: Vec<Value> = items.iter().map(readable_item).collect();
    let mut body = json!({
        "model": config.get("model").and_then(Value::as_str).unwrap_or("gpt-realtime"),
        "input": input,
        "conversation": conversation_id,
    });
    if let Some(instructions) = config.get("instructions").filter(|i| i.is_string()) {
        body["instructions"] = instructions.clone();
    }
    if let Some(tools) = config
        .get("tools")
        .filter(|t| t.as_array().is_some_and(|t| !t.is_empty()))
    {
        body["tools"] = tools.clone();
    }
    body
}

/// The events of a response that fails with `error`: `response.created`, the `error`
/// event (naming the client's `event_id`), and `response.done` with status `failed`.
pub fn failed(created: &Value, error: &ApiError, event_id: Option<&str>) -> Vec<Value> {
    let mut response = created.clone();
    response["status"] = json!("failed");
    response["status_details"] = failed_details(error);
    vec![
        json!({"type": "response.created", "response": created}),
        super::Refusal::new(error.clone(), event_id).event(),
        json!({"type": "response.done", "response": response}),
    ]
}

/// The output items of a response whose `response.output_item.done` is among `unsent`
/// (events not sent, because the response was cancelled or broke off), by id.
pub fn unfinished_items(unsent: &[Value]) -> Vec<String> {
    unsent
        .iter()
        .filter(|e| e.get("type").and_then(Value::as_str) == Some("response.output_item.done"))
        .filter_map(|e| e.pointer("/item/id").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// `done`, a response's `response.done` event not yet sent, changed for a response that
/// ended early: `status` (`cancelled`, `failed`) with its `details`, and its `unfinished`
/// output items `incomplete`.
pub fn ended_early(done: &Value, status: &str, details: Value, unfinished: &[String]) -> Value {
    let mut done = done.clone();
    if let Some(response) = done.get_mut("response") {
        response["status"] = json!(status);
        response["status_details"] = details;
        if let Some(output) = response.get_mut("output").and_then(Value::as_array_mut) {
            for item in output {
                let id = item.get("id").and_then(Value::as_str).unwrap_or("");
                if unfinished.iter().any(|u| u == id) {
                    item["status"] = json!("incomplete");
                }
            }
        }
    }
    done
}

/// The `status_details` of a response the client cancelled.
pub fn cancelled_details() -> Value {
    json!({"type": "cancelled", "reason": "client_cancelled"})
}

/// The `status_details` of a response that failed with `error`.
pub fn failed_details(error: &ApiError) -> Value {
    json!({"type": "failed", "error": {
        "type": error.kind,
        "code": error.code.clone().unwrap_or_else(|| error.kind.clone()),
    }})
}

/// A Realtime item as the conversation reader takes it: message parts' text or transcript
/// as `text`.
pub fn readable_item(item: &Value) -> Value {
    let mut item = item.clone();
    if let Some(parts) = item.get_mut("content").and_then(Value::as_array_mut) {
        for part in parts {
            let said = part
                .get("transcript")
                .and_then(Value::as_str)
                .map(str::to_string);
            if let (Some(said), Some(object)) = (said, part.as_object_mut()) {
                object.insert("text".into(), json!(said));
            }
        }
    }
    item
}
