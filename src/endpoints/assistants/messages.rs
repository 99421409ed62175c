//! Messages of a thread: created by clients (or with the thread, or as a run's
//! `additional_messages`) and by runs (the assistant's answer, which appears with its run
//! step and completes with the run). Listed with `order`, `after`, `before`, `limit` and
//! `run_id`; retrieved, modified (metadata) and deleted.

use super::{deleted, field_or, find, find_thread, missing, put_child, shown};
use crate::endpoints::stored::{page, path_param, set};
use crate::endpoints::{Call, Endpoint};
use crate::error::ApiError;
use crate::generate::{new_id, Generator};
use crate::store::{lifecycle, Object};
use serde_json::{json, Value};
use std::sync::Arc;

pub use super::MESSAGE_KIND as KIND;

/// `POST /threads/{thread_id}/messages`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createMessage"],
    check: |call| {
        find_thread(call)?;
        check_content(call.request.body.get("content"), "")?;
        call.store.check_room(4096)
    },
    shape: |call, answer, generator| {
        let thread = path_param(call, "thread_id");
        *answer = add_message(call, thread, &call.request.body, generator);
    },
    ..Endpoint::GENERIC
};

/// `GET /threads/{thread_id}/messages`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listMessages"],
    check: |call| find_thread(call).map(drop),
    shape: |call, answer, _| {
        let run = call.request.query.get("run_id").and_then(Value::as_str);
        let items = thread_messages(call, path_param(call, "thread_id"), lifecycle::now_ms())
            .into_iter()
            .filter(|m| run.is_none_or(|run| m["run_id"] == run))
            .collect();
        page(call, items, answer, "desc");
    },
    ..Endpoint::GENERIC
};

/// `GET /threads/{thread_id}/messages/{message_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getMessage"],
    check: |call| find_message(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some((_, message))) = find_message(call) {
            *answer = message;
        }
    },
    ..Endpoint::GENERIC
};

/// `POST /threads/{thread_id}/messages/{message_id}`.
pub const MODIFY: Endpoint = Endpoint {
    ops: &["modifyMessage"],
    check: |call| find_message(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some((stored, _))) = find_message(call) {
            let metadata = call.request.body.get("metadata").cloned();
            let updated = call.store.update(call.namespace, KIND, &stored.id, |m| {
                if let Some(metadata) = &metadata {
                    set(&mut m.body, "metadata", metadata.clone());
                }
            });
            if let Some(message) = updated.and_then(|m| shown(&m, lifecycle::now_ms())) {
                *answer = message;
            }
        }
    },
    ..Endpoint::GENERIC
};

/// `DELETE /threads/{thread_id}/messages/{message_id}`.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteMessage"],
    check: |call| find_message(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some((stored, _))) = find_message(call) {
            call.store.delete(call.namespace, KIND, &stored.id);
            *answer = deleted(&stored.id, "thread.message.deleted");
        }
    },
    ..Endpoint::GENERIC
};

/// The message named by the path, as it is now: unknown (lenient `None`, strict 404) when it
/// belongs to another thread or has not appeared yet.
fn find_message(call: &Call) -> Result<Option<(Arc<Object>, Value)>, ApiError> {
    find_thread(call)?;
    let id = path_param(call, "message_id");
    let thread = path_param(call, "thread_id");
    let Some(message) = find(call, KIND, id, "message")? else {
        return Ok(None);
    };
    let now_shown = shown(&message, lifecycle::now_ms());
    match now_shown {
        Some(body) if message.parent.as_deref() == Some(thread) => Ok(Some((message, body))),
        _ if call.store.settings.strict_ids => Err(missing("message", id)),
        _ => Ok(None),
    }
}

/// The messages of `thread` that have appeared by `now_ms`, in creation order.
pub fn thread_messages(call: &Call, thread: &str, now_ms: u64) -> Vec<Value> {
    call.store
        .list(call.namespace, KIND, Some(thread))
        .iter()
        .filter_map(|m| shown(m, now_ms))
        .collect()
}

/// A message's `content` as stored: a string becomes one text part; request text parts
/// (`{type: text, text: "…"}`) become `{type: text, text: {value, annotations: []}}`;
/// image parts stay as they are.
pub fn content(given: Option<&Value>) -> Value {
    let text = |value: &str| json!({"type": "text", "text": {"value": value, "annotations": []}});
    match given {
        Some(Value::String(value)) => json!([text(value)]),
        Some(Value::Array(parts)) => Value::Array(
            parts
                .iter()
                .map(|part| match part.get("text") {
                    Some(Value::String(value)) => text(value),
                    _ => part.clone(),
                })
                .collect(),
        ),
        _ => json!([]),
    }
}

/// Stores a message a client sends (`role`, `content`, `attachments`, `metadata`) in
/// `thread`, completed at once.
pub fn add_message(call: &Call, thread: &str, request: &Value, generator: &mut Generator) -> Value {
    let id = new_id(&mut generator.rng, "msg_");
    let mut message = body(&id, thread, generator.now());
    set(
        &mut message,
        "role",
        field_or(request, "role", json!("user")),
    );
    set(&mut message, "content", content(request.get("content")));
    set(
        &mut message,
        "attachments",
        field_or(request, "attachments", json!([])),
    );
    set(
        &mut message,
        "metadata",
        field_or(request, "metadata", json!({})),
    );
    set(&mut message, "status", json!("completed"));
    set(&mut message, "completed_at", json!(generator.now()));
    put_child(call, message.clone(), thread, 0, Vec::new());
    message
}

/// A message body with every field at its empty value: a user message in progress.
pub fn body(id: &str, thread: &str, created_at: i64) -> Value {
    json!({
        "id": id,
        "object": KIND,
        "created_at": created_at,
        "thread_id": thread,
        "status": "in_progress",
        "incomplete_details": null,
        "completed_at": null,
        "incomplete_at": null,
        "role": "user",
        "content": [],
        "assistant_id": null,
        "run_id": null,
        "attachments": [],
        "metadata": {},
    })
}

/// Refuses image parts whose `image_url.url` is not an absolute URL (`scheme:rest`, no
/// spaces), as the real API does; `prefix` names where the message sits in the request
/// (`messages[0].`).
pub fn check_content(content: Option<&Value>, prefix: &str) -> Result<(), ApiError> {
    let parts = content.and_then(Value::as_array).into_iter().flatten();
    for (index, part) in parts.enumerate() {
        let Some(url) = part.pointer("/image_url/url").and_then(Value::as_str) else {
            continue;
        };
        if !is_url(url) {
            let param = format!("{prefix}content[{index}].image_url.url");
            return Err(ApiError::invalid_request(format!(
                "Invalid '{param}': Expected a valid URL, but got a value with an invalid format."
            ))
            .with_param(param)
            .with_code("invalid_value"));
        }
    }
    Ok(())
}

/// Refuses the first message of `messages` (a request's list) whose content
/// [`check_content`] refuses; `param` names the list (`messages`, `additional_messages`).
pub fn check_messages(messages: Option<&Value>, param: &str) -> Result<(), ApiError> {
    let items = messages.and_then(Value::as_array).into_iter().flatten();
    for (index, message) in items.enumerate() {
        check_content(message.get("content"), &format!("{param}[{index}]."))?;
    }
    Ok(())
}

/// Whether `text` is an absolute URL: a scheme (a letter, then letters, digits, `+`, `-`,
/// `.`), a colon, and something after it, without whitespace.
fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_urls_must_be_urls() {
        assert!(is_url("https://example.com/a.png"));
        assert!(is_url("data:image/png;base64,AAAA"));
        assert!(!is_url(""));
        assert!(!is_url("example.com/a.png"));
        assert!(!is_url("https://exa mple.com"));
        let content = json!([{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": ""}}]);
        let error = check_content(Some(&content), "messages[2].").unwrap_err();
        assert_eq!(
            error.param.as_deref(),
            Some("messages[2].content[1].image_url.url")
        );
    }
}
