//! The Assistants API, stored: assistants (this module), threads ([`threads`]), their
//! messages ([`messages`]), runs with the tool loop ([`runs`]) and run steps ([`steps`]).
//!
//! Kinds in the store: `assistant`, `thread`, `thread.message` (parent: the thread),
//! `thread.run` (parent: the thread) and `thread.run.step` (parent: the run). What a run
//! produces (its steps, the assistant's message) is stored when the run is created or
//! resumed, each with the moment it appears (`extra.visible_at_ms`, see [`shown`]) and a
//! lifecycle timeline, so every read shows the run, its steps and its messages as they are
//! at that moment, coherent with each other.
//!
//! Ids follow the store's contract: under lenient ids an id never created answers with a
//! generated object (and a run on a never-created thread works on an empty thread); under
//! `--strict-ids`, and in both modes once deleted, it is the real 404:
//! `No assistant found with id 'asst_…'.` (likewise thread, message, run and run step).

pub mod messages;
pub mod runs;
pub mod steps;
pub mod threads;

use super::stored::{current, page, path_param, set};
use super::vector_stores::string_array;
use super::{Call, Endpoint};
use crate::error::ApiError;
use crate::generate::{new_id, Generator};
use crate::store::{lifecycle, not_found, Found, Object};
use serde_json::{json, Value};
use std::sync::Arc;

/// The store kind of assistants.
pub const KIND: &str = "assistant";
/// The store kind of threads.
pub const THREAD_KIND: &str = "thread";
/// The store kind of messages (their parent is the thread).
pub const MESSAGE_KIND: &str = "thread.message";
/// The store kind of runs (their parent is the thread).
pub const RUN_KIND: &str = "thread.run";
/// The store kind of run steps (their parent is the run).
pub const STEP_KIND: &str = "thread.run.step";

/// `POST /assistants`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createAssistant"],
    check: |call| call.store.check_room(4096),
    shape: create,
    ..Endpoint::GENERIC
};

/// `GET /assistants`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listAssistants"],
    shape: |call, answer, _| {
        let items = call
            .store
            .list(call.namespace, KIND, None)
            .iter()
            .map(|a| current(a))
            .collect();
        page(call, items, answer, "desc");
    },
    ..Endpoint::GENERIC
};

/// `GET /assistants/{assistant_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getAssistant"],
    check: |call| find_assistant(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(assistant)) = find_assistant(call) {
            *answer = current(&assistant);
        }
    },
    ..Endpoint::GENERIC
};

/// `POST /assistants/{assistant_id}`.
pub const MODIFY: Endpoint = Endpoint {
    ops: &["modifyAssistant"],
    check: |call| find_assistant(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(assistant)) = find_assistant(call) {
            if let Some(updated) = modify(call, &assistant, MODIFIABLE) {
                *answer = current(&updated);
            }
        }
    },
    ..Endpoint::GENERIC
};

/// `DELETE /assistants/{assistant_id}`.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteAssistant"],
    check: |call| find_assistant(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(assistant)) = find_assistant(call) {
            call.store.delete(call.namespace, KIND, &assistant.id);
            *answer = deleted(&assistant.id, "assistant.deleted");
        }
    },
    ..Endpoint::GENERIC
};

/// The fields of an assistant a modify request may change.
const MODIFIABLE: &[&str] = &[
    "model",
    "name",
    "description",
    "instructions",
    "tools",
    "tool_resources",
    "metadata",
    "temperature",
    "top_p",
    "response_format",
    "reasoning_effort",
];

/// The stored object of `kind` with `id`: `Ok(None)` when never created and ids are lenient;
/// `No {noun} found with id '{id}'.` (404) when deleted, or unknown under strict ids.
pub fn find(
    call: &Call,
    kind: &str,
    id: &str,
    noun: &str,
) -> Result<Option<Arc<Object>>, ApiError> {
    match call.store.get(call.namespace, kind, id) {
        Found::Live(object) => Ok(Some(object)),
        Found::Deleted => Err(missing(noun, id)),
        Found::Unknown if call.store.settings.strict_ids => Err(missing(noun, id)),
        Found::Unknown => Ok(None),
    }
}

/// The real 404 for an Assistants object: `No {noun} found with id '{id}'.`
pub fn missing(noun: &str, id: &str) -> ApiError {
    let mut error = not_found(noun, id);
    error.message = format!("No {noun} found with id '{id}'.");
    error
}

/// The thread named by path parameter `thread_id`.
pub fn find_thread(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    find(call, THREAD_KIND, path_param(call, "thread_id"), "thread")
}

/// The run named by the path (its thread must exist; a run of another thread is unknown).
pub fn find_run(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    find_thread(call)?;
    let id = path_param(call, "run_id");
    let run = find(call, RUN_KIND, id, "run")?;
    match run {
        Some(run) if run.parent.as_deref() == Some(path_param(call, "thread_id")) => Ok(Some(run)),
        Some(_) if call.store.settings.strict_ids => Err(missing("run", id)),
        _ => Ok(None),
    }
}

/// The assistant named by the path.
fn find_assistant(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    find(call, KIND, path_param(call, "assistant_id"), "assistant")
}

/// An object as a client sees it at `now_ms`: `None` before it appears
/// (`extra.visible_at_ms`), else its body with the lifecycle stages that have begun.
pub fn shown(object: &Object, now_ms: u64) -> Option<Value> {
    let visible_at = object
        .extra
        .get(VISIBLE_AT)
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if visible_at > now_ms {
        return None;
    }
    Some(lifecycle::view(
        &object.body,
        &lifecycle::stages(&object.extra),
        now_ms,
    ))
}

/// The `extra` key of the moment an object appears.
pub const VISIBLE_AT: &str = "visible_at_ms";

/// The answer of a delete: `{id, object, deleted: true}`.
pub fn deleted(id: &str, object: &str) -> Value {
    json!({"id": id, "object": object, "deleted": true})
}

/// Sets each of `fields` the request body holds on the stored object's body.
pub fn modify(call: &Call, object: &Object, fields: &[&str]) -> Option<Arc<Object>> {
    let body = &call.request.body;
    call.store
        .update(call.namespace, &object.kind, &object.id, |stored| {
            for field in fields {
                if let Some(value) = body.get(*field) {
                    set(&mut stored.body, field, value.clone());
                }
            }
        })
}

/// A request field, or `default` when absent or null.
pub fn field_or(body: &Value, key: &str, default: Value) -> Value {
    body.get(key)
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or(default)
}

fn create(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let body = &call.request.body;
    let id = new_id(&mut generator.rng, "asst_");
    let assistant = json!({
        "id": id,
        "object": KIND,
        "created_at": generator.now(),
        "name": field_or(body, "name", Value::Null),
        "description": field_or(body, "description", Value::Null),
        "model": field_or(body, "model", json!("gpt-4o")),
        "instructions": field_or(body, "instructions", Value::Null),
        "tools": field_or(body, "tools", json!([])),
        "tool_resources": tool_resources(body.get("tool_resources")),
        "metadata": field_or(body, "metadata", json!({})),
        "temperature": field_or(body, "temperature", json!(1.0)),
        "top_p": field_or(body, "top_p", json!(1.0)),
        "response_format": field_or(body, "response_format", json!("auto")),
    });
    *answer = assistant.clone();
    if let Err(error) = call
        .store
        .create(call.namespace, Object::new(KIND, &id, assistant))
    {
        tracing::warn!(%id, message = %error.message, "assistant not stored");
    }
}

/// `tool_resources` as stored: the request's `code_interpreter.file_ids` and
/// `file_search.vector_store_ids` (an empty object when none).
pub fn tool_resources(given: Option<&Value>) -> Value {
    let mut out = serde_json::Map::new();
    let Some(given) = given.filter(|g| g.is_object()) else {
        return Value::Object(out);
    };
    if let Some(files) = given.pointer("/code_interpreter/file_ids") {
        out.insert("code_interpreter".into(), json!({"file_ids": files}));
    }
    if let Some(stores) = given.pointer("/file_search/vector_store_ids") {
        out.insert(
            "file_search".into(),
            json!({"vector_store_ids": stores.clone()}),
        );
    }
    Value::Object(out)
}

/// The vector store ids in a `tool_resources` value.
pub fn vector_store_ids(resources: Option<&Value>) -> Vec<String> {
    string_array(resources.and_then(|r| r.pointer("/file_search/vector_store_ids")))
}

/// Stores `body` (an object with its `object` kind and `id`) as a child of `parent` that
/// appears at `visible_at_ms` and changes by `stages`: a message of a thread, a step of a run.
pub fn put_child(
    call: &Call,
    body: Value,
    parent: &str,
    visible_at_ms: u64,
    stages: Vec<lifecycle::Stage>,
) {
    let kind = body["object"].as_str().unwrap_or_default().to_string();
    let id = body["id"].as_str().unwrap_or_default().to_string();
    let mut object = Object::new(&kind, &id, body);
    object.parent = Some(parent.to_string());
    lifecycle::set_stages(&mut object.extra, &stages);
    set(&mut object.extra, VISIBLE_AT, json!(visible_at_ms));
    if let Err(error) = call.store.create(call.namespace, object) {
        tracing::warn!(%kind, %id, message = %error.message, "not stored");
    }
}
