//! Stored chat completions: with `store: true`, `POST /chat/completions` keeps its answer
//! (streamed or not: a stream is cut from the same answer) together with the request's
//! messages and `metadata`. Then `GET /chat/completions/{id}` returns it exactly as answered,
//! `GET /chat/completions` lists the namespace's stored completions (filtered by `model` and
//! `metadata[key]=value`), `GET /chat/completions/{id}/messages` pages through the request
//! messages (ids `{completion id}-{index}`), `POST /chat/completions/{id}` replaces the
//! metadata (and nothing else), and `DELETE` makes the id a 404.
//!
//! Ids never created in the namespace get the generated answer under lenient ids and the
//! real 404 under `--strict-ids`.

use crate::endpoints::stored::{lookup, metadata_filters, page, path_param, set};
use crate::endpoints::{Call, Endpoint};
use crate::services::conversation::content_text;
use crate::store::Object;
use serde_json::{json, Map, Value};

/// The store kind of stored chat completions (the API's `object`).
pub const KIND: &str = "chat.completion";

/// What the real 404 calls a chat completion.
const WHAT: &str = "ChatCompletion";

/// The key of a stored completion's `extra` that holds its request messages.
const MESSAGES: &str = "messages";

/// `GET /chat/completions`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listChatCompletions"],
    shape: |call, answer, _| list(call, answer),
    ..Endpoint::GENERIC
};

/// `GET /chat/completions/{completion_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getChatCompletion"],
    check: |call| find(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(stored)) = find(call) {
            *answer = stored.body.clone();
        }
    },
    ..Endpoint::GENERIC
};

/// `POST /chat/completions/{completion_id}`: replaces `metadata`, the one field that can
/// change.
pub const UPDATE: Endpoint = Endpoint {
    ops: &["updateChatCompletion"],
    check: |call| find(call).map(drop),
    shape: |call, answer, _| {
        let metadata = match call.request.body.get("metadata") {
            Some(metadata) if metadata.is_object() => metadata.clone(),
            _ => json!({}),
        };
        let id = path_param(call, "completion_id");
        let updated = call.store.update(call.namespace, KIND, id, |object| {
            set(&mut object.body, "metadata", metadata.clone());
        });
        match updated {
            Some(updated) => *answer = updated.body.clone(),
            None => set(answer, "metadata", metadata),
        }
    },
    ..Endpoint::GENERIC
};

/// `DELETE /chat/completions/{completion_id}`.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteChatCompletion"],
    check: |call| find(call).map(drop),
    shape: |call, answer, _| {
        let id = path_param(call, "completion_id");
        call.store.delete(call.namespace, KIND, id);
        *answer = json!({"object": "chat.completion.deleted", "id": id, "deleted": true});
    },
    ..Endpoint::GENERIC
};

/// `GET /chat/completions/{completion_id}/messages`: the request messages, oldest first
/// by default (none for a completion never stored here).
pub const MESSAGES_LIST: Endpoint = Endpoint {
    ops: &["getChatCompletionMessages"],
    check: |call| find(call).map(drop),
    shape: |call, answer, _| {
        let messages = match find(call) {
            Ok(Some(stored)) => stored.extra[MESSAGES]
                .as_array()
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        page(call, messages, answer, "asc");
    },
    ..Endpoint::GENERIC
};

/// The stored completion named by the path's `completion_id`.
fn find(call: &Call) -> Result<Option<std::sync::Arc<Object>>, crate::error::ApiError> {
    lookup(call, KIND, "completion_id", WHAT)
}

/// Whether the request asks for its completion to be kept.
pub fn wanted(call: &Call) -> bool {
    call.request.body.get("store").and_then(Value::as_bool) == Some(true)
}

/// Keeps the shaped `answer` of a `store: true` request, with its metadata (which the
/// answer then carries too, so retrieve gives back exactly what create answered) and its
/// request messages.
pub fn keep(call: &Call, answer: &mut Value) {
    let Some(id) = answer.get("id").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    let metadata = match call.request.body.get("metadata") {
        Some(metadata) if metadata.is_object() => metadata.clone(),
        _ => json!({}),
    };
    set(answer, "metadata", metadata);
    let messages: Vec<Value> = call
        .request
        .body
        .get("messages")
        .and_then(Value::as_array)
        .map(|messages| {
            messages
                .iter()
                .enumerate()
                .map(|(index, message)| stored_message(&id, index, message))
                .collect()
        })
        .unwrap_or_default();
    let mut object = Object::new(KIND, &id, answer.clone());
    object.extra = json!({ MESSAGES: messages });
    if let Err(error) = call.store.create(call.namespace, object) {
        tracing::warn!(%id, message = %error.message, "chat completion not stored");
    }
}

/// A request message as the messages list shows it: its role, its text as `content`, its
/// parts (text and images) as `content_parts` when it was sent as parts, and its `name`.
fn stored_message(completion_id: &str, index: usize, message: &Value) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("{completion_id}-{index}")));
    out.insert(
        "role".into(),
        message.get("role").cloned().unwrap_or(json!("user")),
    );
    let content = message.get("content");
    let (text, parts) = match content {
        Some(Value::Array(parts)) => {
            let kept: Vec<Value> = parts
                .iter()
                .filter(|p| matches!(p["type"].as_str(), Some("text" | "image_url")))
                .cloned()
                .collect();
            let text = content_text(content);
            (
                if text.is_empty() {
                    Value::Null
                } else {
                    json!(text)
                },
                json!(kept),
            )
        }
        Some(Value::String(text)) => (json!(text), Value::Null),
        _ => (Value::Null, Value::Null),
    };
    out.insert("content".into(), text);
    out.insert(
        "name".into(),
        message.get("name").cloned().unwrap_or(Value::Null),
    );
    out.insert("content_parts".into(), parts);
    for key in ["tool_calls", "function_call", "tool_call_id", "refusal"] {
        if let Some(value) = message.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), value.clone());
        }
    }
    Value::Object(out)
}

/// The namespace's stored completions that pass the `model` and `metadata` filters.
fn list(call: &Call, answer: &mut Value) {
    let model = call.request.query.get("model").and_then(Value::as_str);
    let filters = metadata_filters(call);
    let items = call
        .store
        .list(call.namespace, KIND, None)
        .iter()
        .map(|c| c.body.clone())
        .filter(|c| model.is_none_or(|m| c["model"].as_str() == Some(m)))
        .filter(|c| filters.matches(c))
        .collect();
    page(call, items, answer, "asc");
}
