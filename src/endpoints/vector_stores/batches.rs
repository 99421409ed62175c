//! Vector store file batches: several files added at once. A batch (kind [`KIND`], under its
//! vector store) stores only its identity and whether it was cancelled; its `file_counts`
//! and `status` are derived from its files as they are when it is shown. Cancelling stops
//! the files still in progress (they become `cancelled`, and never reach search).

use super::files::{self, batch_counts, list_page};
use super::{find, ingest};
use crate::endpoints::stored::{path_param, set};
use crate::endpoints::{Call, Endpoint};
use crate::error::ApiError;
use crate::generate::{new_id, Generator};
use crate::store::{lifecycle, Found, Object};
use serde_json::{json, Value};
use std::sync::Arc;

/// The store kind of file batches.
pub const KIND: &str = "vector_store.file_batch";

/// `POST /vector_stores/{vector_store_id}/file_batches`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createVectorStoreFileBatch"],
    check: check_create,
    shape: create,
    ..Endpoint::GENERIC
};

/// `GET /vector_stores/{vector_store_id}/file_batches/{batch_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getVectorStoreFileBatch"],
    check: |call| find_batch(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(batch)) = find_batch(call) {
            *answer = view(call, &batch, lifecycle::now_ms());
        }
    },
    ..Endpoint::GENERIC
};

/// `POST /vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel`.
pub const CANCEL: Endpoint = Endpoint {
    ops: &["cancelVectorStoreFileBatch"],
    check: |call| find_batch(call).map(drop),
    shape: cancel,
    ..Endpoint::GENERIC
};

/// `GET /vector_stores/{vector_store_id}/file_batches/{batch_id}/files`.
pub const LIST_FILES: Endpoint = Endpoint {
    ops: &["listFilesInVectorStoreBatch"],
    check: |call| find_batch(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(batch)) = find_batch(call) {
            let store = batch.parent.as_deref().unwrap_or("");
            list_page(call, store, Some(&batch.id), answer);
        }
    },
    ..Endpoint::GENERIC
};

/// The real API's kind of 404 for a file batch.
fn batch_not_found(id: &str) -> ApiError {
    ApiError::invalid_request(format!("No file batch found with id '{id}'."))
        .with_status(404)
        .with_param("batch_id")
}

/// The batch named by the path: `Ok(None)` when it (or its store) is unknown under lenient
/// ids; a 404 when deleted, or unknown under strict ids, or in another vector store.
fn find_batch(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    let Some(store) = find(call)? else {
        return Ok(None);
    };
    let id = path_param(call, "batch_id");
    match call.store.get(call.namespace, KIND, id) {
        Found::Live(batch) if batch.parent.as_deref() == Some(store.id.as_str()) => Ok(Some(batch)),
        Found::Unknown if !call.store.settings.strict_ids => Ok(None),
        _ => Err(batch_not_found(id)),
    }
}

/// A batch as a client sees it at `now_ms`.
fn view(call: &Call, batch: &Object, now_ms: u64) -> Value {
    let store = batch.parent.as_deref().unwrap_or("");
    let counts = batch_counts(call, store, &batch.id, now_ms);
    let count = |key: &str| counts.get(key).and_then(Value::as_i64).unwrap_or(0);
    let cancelled = batch.extra.get("cancelled").and_then(Value::as_bool) == Some(true);
    let status = if cancelled {
        "cancelled"
    } else if count("in_progress") > 0 {
        "in_progress"
    } else if count("total") > 0 && count("failed") == count("total") {
        "failed"
    } else {
        "completed"
    };
    let mut body = batch.body.clone();
    set(&mut body, "file_counts", counts);
    set(&mut body, "status", json!(status));
    body
}

fn check_create(call: &Call) -> Result<(), ApiError> {
    find(call)?;
    let body = &call.request.body;
    let specs = ingest::specs(body);
    ingest::check_strategy(body.get("chunking_strategy"))?;
    for spec in &specs {
        ingest::check_strategy(spec.chunking_strategy.as_ref())?;
    }
    let ids: Vec<String> = specs.into_iter().map(|s| s.file_id).collect();
    let bytes = ingest::check_files(call, &ids)?;
    call.store.check_room(512 + bytes)
}

fn create(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let Ok(Some(store)) = find(call) else {
        return;
    };
    let id = new_id(&mut generator.rng, "vsfb_");
    let body = json!({
        "id": id,
        "object": "vector_store.files_batch",
        "created_at": generator.now(),
        "vector_store_id": store.id,
        "status": "in_progress",
        "file_counts": {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0},
    });
    let mut object = Object::new(KIND, &id, body);
    object.parent = Some(store.id.clone());
    if let Err(error) = call.store.create(call.namespace, object) {
        tracing::warn!(%id, message = %error.message, "file batch not stored");
        return;
    }
    let specs = ingest::specs(&call.request.body);
    ingest::add_files(call, generator, &store.id, &specs, Some(&id));
    if let Found::Live(batch) = call.store.get(call.namespace, KIND, &id) {
        *answer = view(call, &batch, lifecycle::now_ms());
    }
}

/// Cancels the batch: its files still in progress become `cancelled` now.
fn cancel(call: &Call, answer: &mut Value, _: &mut Generator) {
    let Ok(Some(batch)) = find_batch(call) else {
        return;
    };
    let store = batch.parent.as_deref().unwrap_or("");
    let now = lifecycle::now_ms();
    for file in call.store.list(call.namespace, files::KIND, Some(store)) {
        let in_batch = file.extra.get("batch_id").and_then(Value::as_str) == Some(&batch.id);
        if !in_batch || files::at(&file, now)["status"] != "in_progress" {
            continue;
        }
        call.store
            .update(call.namespace, files::KIND, &file.id, |file| {
                let mut stages = lifecycle::stages(&file.extra);
                stages.retain(|stage| stage.at_ms <= now);
                stages.push(lifecycle::Stage {
                    at_ms: now,
                    patch: json!({"status": "cancelled"}),
                });
                lifecycle::set_stages(&mut file.extra, &stages);
            });
    }
    let cancelled = call.store.update(call.namespace, KIND, &batch.id, |batch| {
        if !batch.extra.is_object() {
            batch.extra = json!({});
        }
        set(&mut batch.extra, "cancelled", json!(true));
    });
    if let Some(cancelled) = cancelled {
        *answer = view(call, &cancelled, now);
    }
}
