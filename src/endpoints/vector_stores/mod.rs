//! Vector stores: stores of files, chunked and embedded, searched by meaning.
//!
//! A vector store (kind [`KIND`]) keeps only what a client set (name, metadata, expiry) and
//! when it was last active; its `status`, `file_counts` and `usage_bytes` are derived, every
//! time it is shown, from its files as they are at that moment, so they are always true
//! together. Each file added to a store is a `vector_store.file` child ([`files`]) whose
//! ingestion is a lifecycle timeline: `in_progress` until its stage, then `completed` (or
//! `failed`). Its chunks ([`ingest`]) are computed when it is added: their text is kept in
//! the object's `extra`, their unit vectors (the mock's embedding model at
//! [`ingest::DIMENSIONS`]) as little-endian `f32` in its `bytes`, so a search ([`search`]) reads them without parsing. File batches ([`batches`])
//! add several files at once and derive their own counts the same way.
//!
//! Unknown vector store ids follow the store's contract: a generated answer under lenient
//! ids, `No vector store found with id '…'.` under `--strict-ids`, and a 404 in both modes
//! once deleted. Deleting a vector store deletes its files and batches (their chunks leave
//! search with them); deleting the underlying File does not touch a vector store, which keeps
//! the chunks it copied at ingestion.

pub mod batches;
pub mod files;
pub mod ingest;
pub mod search;

use super::stored::{page, path_param, set};
use super::{Call, Endpoint};
use crate::error::ApiError;
use crate::generate::{new_id, Generator};
use crate::store::{lifecycle, Found, Object};
use serde_json::{json, Value};
use std::sync::Arc;

/// The store kind of vector stores.
pub const KIND: &str = "vector_store";

/// The store kind of vector store files (their parent is the vector store).
pub const FILE_KIND: &str = "vector_store.file";

/// The store id of File `file` in vector store `store` (one File may be in several).
pub fn file_store_id(store: &str, file: &str) -> String {
    format!("{store}/{file}")
}

/// Seconds in a day, for `expires_after.days`.
const DAY_SECS: i64 = 86_400;

/// `POST /vector_stores`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createVectorStore"],
    check: check_create,
    shape: create,
    ..Endpoint::GENERIC
};

/// `GET /vector_stores`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listVectorStores"],
    shape: |call, answer, _| {
        let now = lifecycle::now_ms();
        let stores = call
            .store
            .list(call.namespace, KIND, None)
            .iter()
            .map(|store| view(call, store, now))
            .collect();
        page(call, stores, answer, "desc");
    },
    ..Endpoint::GENERIC
};

/// `GET /vector_stores/{vector_store_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getVectorStore"],
    check: |call| find(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(store)) = find(call) {
            *answer = view(call, &store, lifecycle::now_ms());
        }
    },
    ..Endpoint::GENERIC
};

/// `POST /vector_stores/{vector_store_id}`.
pub const MODIFY: Endpoint = Endpoint {
    ops: &["modifyVectorStore"],
    check: |call| find(call).map(drop),
    shape: modify,
    ..Endpoint::GENERIC
};

/// `DELETE /vector_stores/{vector_store_id}`.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteVectorStore"],
    check: |call| find(call).map(drop),
    shape: delete,
    ..Endpoint::GENERIC
};

/// The real API's 404 for a vector store.
pub fn store_not_found(id: &str) -> ApiError {
    ApiError::invalid_request(format!("No vector store found with id '{id}'."))
        .with_status(404)
        .with_param("vector_store_id")
}

/// The vector store named by the path's `vector_store_id`: `Ok(None)` when unknown under
/// lenient ids; the 404 when deleted, or unknown under strict ids.
pub fn find(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    let id = path_param(call, "vector_store_id");
    match call.store.get(call.namespace, KIND, id) {
        Found::Live(store) => Ok(Some(store)),
        Found::Deleted => Err(store_not_found(id)),
        Found::Unknown if call.store.settings.strict_ids => Err(store_not_found(id)),
        Found::Unknown => Ok(None),
    }
}

/// Tallies files (as they are now) into `file_counts` and their total `usage_bytes`.
pub fn tally<'a>(files: impl Iterator<Item = &'a Value>) -> (Value, i64) {
    let mut counts = [0i64; 4];
    let mut usage = 0;
    let mut total = 0;
    for file in files {
        total += 1;
        usage += file.get("usage_bytes").and_then(Value::as_i64).unwrap_or(0);
        let slot = match file.get("status").and_then(Value::as_str) {
            Some("completed") => 1,
            Some("failed") => 2,
            Some("cancelled") => 3,
            _ => 0,
        };
        counts[slot] += 1;
    }
    let counts = json!({
        "in_progress": counts[0],
        "completed": counts[1],
        "failed": counts[2],
        "cancelled": counts[3],
        "total": total,
    });
    (counts, usage)
}

/// A vector store as a client sees it at `now_ms`: its counts, usage and status from its
/// files as they are then, and `expires_at` from `last_active_at` and `expires_after`.
pub fn view(call: &Call, store: &Object, now_ms: u64) -> Value {
    let files: Vec<Value> = call
        .store
        .list(call.namespace, files::KIND, Some(&store.id))
        .iter()
        .map(|file| files::at(file, now_ms))
        .collect();
    let (counts, usage) = tally(files.iter());
    let mut body = store.body.clone();
    let last_active = body.get("last_active_at").and_then(Value::as_i64);
    let days = body
        .get("expires_after")
        .and_then(|e| e.get("days"))
        .and_then(Value::as_i64);
    let expires_at = match (last_active, days) {
        (Some(last), Some(days)) => Some(last + days * DAY_SECS),
        _ => None,
    };
    let now_secs = (now_ms / 1000) as i64;
    let status = if expires_at.is_some_and(|at| at <= now_secs) {
        "expired"
    } else if counts["in_progress"].as_i64().unwrap_or(0) > 0 {
        "in_progress"
    } else {
        "completed"
    };
    set(&mut body, "file_counts", counts);
    set(&mut body, "usage_bytes", json!(usage));
    set(&mut body, "status", json!(status));
    set(&mut body, "expires_at", json!(expires_at));
    body
}

/// Marks the vector store active now (searches, changes and new files do).
pub fn touch(call: &Call, store_id: &str, now_secs: i64) {
    call.store.update(call.namespace, KIND, store_id, |store| {
        set(&mut store.body, "last_active_at", json!(now_secs));
    });
}

fn check_create(call: &Call) -> Result<(), ApiError> {
    let body = &call.request.body;
    ingest::check_strategy(body.get("chunking_strategy"))?;
    let ids = string_array(body.get("file_ids"));
    let bytes = ingest::check_files(call, &ids)?;
    call.store.check_room(512 + bytes)
}

/// The strings of a JSON array (none when it is absent).
pub fn string_array(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn create(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let body = &call.request.body;
    let now = generator.now();
    let id = new_id(&mut generator.rng, "vs_");
    let mut store = json!({
        "id": id,
        "object": "vector_store",
        "created_at": now,
        "name": body.get("name").and_then(Value::as_str).unwrap_or(""),
        "usage_bytes": 0,
        "file_counts": {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0},
        "status": "completed",
        "last_active_at": now,
        "metadata": body.get("metadata").filter(|m| m.is_object()).cloned().unwrap_or(json!({})),
    });
    if let Some(expires) = body.get("expires_after").filter(|e| e.is_object()) {
        set(&mut store, "expires_after", expires.clone());
    }
    let object = Object::new(KIND, &id, store);
    if let Err(error) = call.store.create(call.namespace, object) {
        tracing::warn!(%id, message = %error.message, "vector store not stored");
        return;
    }
    let specs: Vec<ingest::FileSpec> = string_array(body.get("file_ids"))
        .into_iter()
        .map(|file_id| ingest::FileSpec {
            file_id,
            chunking_strategy: body.get("chunking_strategy").cloned(),
            attributes: None,
        })
        .collect();
    ingest::add_files(call, generator, &id, &specs, None);
    if let Found::Live(stored) = call.store.get(call.namespace, KIND, &id) {
        *answer = view(call, &stored, lifecycle::now_ms());
    }
}

fn modify(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let Ok(Some(store)) = find(call) else {
        return;
    };
    let body = &call.request.body;
    let now = generator.now();
    let updated = call.store.update(call.namespace, KIND, &store.id, |store| {
        if let Some(name) = body.get("name") {
            let name = name.as_str().unwrap_or("");
            set(&mut store.body, "name", json!(name));
        }
        if let Some(metadata) = body.get("metadata") {
            let metadata = if metadata.is_object() {
                metadata.clone()
            } else {
                json!({})
            };
            set(&mut store.body, "metadata", metadata);
        }
        match body.get("expires_after") {
            Some(Value::Null) => {
                if let Some(map) = store.body.as_object_mut() {
                    map.remove("expires_after");
                }
            }
            Some(expires) => set(&mut store.body, "expires_after", expires.clone()),
            None => {}
        }
        set(&mut store.body, "last_active_at", json!(now));
    });
    if let Some(updated) = updated {
        *answer = view(call, &updated, lifecycle::now_ms());
    }
}

fn delete(call: &Call, answer: &mut Value, _: &mut Generator) {
    let id = path_param(call, "vector_store_id");
    if let Ok(Some(store)) = find(call) {
        for kind in [files::KIND, batches::KIND] {
            for child in call.store.list(call.namespace, kind, Some(&store.id)) {
                call.store.delete(call.namespace, kind, &child.id);
            }
        }
        call.store.delete(call.namespace, KIND, &store.id);
    }
    *answer = json!({"id": id, "object": "vector_store.deleted", "deleted": true});
}
