//! Batches that run: `POST /batches` reads the input file's JSONL lines, sends each through
//! the server's own pipeline (the [`Dispatch`](super::Dispatch) the server gives every
//! [`Call`]) as the batch's creator, and writes the answers to an output file and an error
//! file (purpose `batch_output`). Clients then watch the batch go `validating` →
//! `in_progress` → `finalizing` → `completed` over `--lifecycle-ms`, each timestamp and the
//! request counts appearing with its stage, and the file ids only once it has completed.
//!
//! The lines run when the batch is created (inside `shape`, synchronously: a line's body is
//! JSON, so validation needs no waiting); the files are stored then too, and named in the
//! batch only at completion. Input that cannot be read (an unknown file when ids are
//! lenient, text that is not JSONL, a line without `custom_id`, `method` `POST`, the batch's
//! `url` and a `body`, a repeated `custom_id`) fails the batch as the real API does:
//! `validating` → `failed`, with one `errors.data` entry per bad line. Cancelling replaces
//! the stages still to come with `cancelling` → `cancelled` and drops the unannounced files.
//! [`run`] owns reading the lines and writing the result files.

pub mod run;

use super::stored::{current, lookup, page, path_param};
use super::{files, Call, Endpoint};
use crate::error::ApiError;
use crate::generate::{new_id, Generator};
use crate::store::lifecycle::{self, Stage};
use crate::store::{Found, Object};
use serde_json::{json, Value};

/// The store kind of batches.
pub const KIND: &str = "batch";

/// How long a batch may take, as the real API states it: `completion_window` `24h`.
const WINDOW_SECONDS: u64 = 24 * 60 * 60;

/// `POST /batches`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createBatch"],
    check: check_create,
    shape: create,
    polled: true,
    ..Endpoint::GENERIC
};

/// `GET /batches`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listBatches"],
    shape: |call, answer, _| {
        let batches = call
            .store
            .list(call.namespace, KIND, None)
            .iter()
            .map(|b| current(b))
            .collect();
        page(call, batches, answer, "desc");
    },
    ..Endpoint::GENERIC
};

/// `GET /batches/{batch_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["retrieveBatch"],
    check: |call| lookup(call, KIND, "batch_id", "Batch").map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(batch)) = lookup(call, KIND, "batch_id", "Batch") {
            *answer = current(&batch);
        }
    },
    polled: true,
    ..Endpoint::GENERIC
};

/// `POST /batches/{batch_id}/cancel`.
pub const CANCEL: Endpoint = Endpoint {
    ops: &["cancelBatch"],
    check: check_cancel,
    shape: cancel,
    polled: true,
    ..Endpoint::GENERIC
};

/// The input file must be a stored file of this namespace with purpose `batch`: a deleted
/// one (or an unknown one, when ids are strict) is the real 404; one with another purpose a
/// 400. An unknown id with lenient ids is accepted, and the batch fails while validating.
fn check_create(call: &Call) -> Result<(), ApiError> {
    let Some(id) = call.request.body_str("input_file_id") else {
        return Ok(());
    };
    let file = call
        .store
        .lookup(call.namespace, files::KIND, id, "File")
        .map_err(|e| e.with_param("input_file_id"))?;
    if let Some(file) = file {
        let purpose = file.body.get("purpose").and_then(Value::as_str);
        if purpose != Some("batch") {
            return Err(ApiError::invalid_request(format!(
                "The input file {id} has purpose '{}', but the Batch API only reads files \
                 uploaded with purpose 'batch'.",
                purpose.unwrap_or("")
            ))
            .with_param("input_file_id")
            .with_code("invalid_value"));
        }
    }
    call.store.check_room(4096)
}

fn create(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let body = &call.request.body;
    let endpoint = call.request.body_str("endpoint").unwrap_or_default();
    let input_file_id = call.request.body_str("input_file_id").unwrap_or_default();
    let now_ms = lifecycle::now_ms();
    let created_at = now_ms / 1000;
    let id = new_id(&mut generator.rng, "batch_");
    let mut batch = json!({
        "id": id,
        "object": "batch",
        "endpoint": endpoint,
        "input_file_id": input_file_id,
        "completion_window": body.get("completion_window").cloned().unwrap_or(json!("24h")),
        "status": "validating",
        "created_at": created_at,
        "expires_at": created_at + WINDOW_SECONDS,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": body.get("metadata").cloned().unwrap_or(Value::Null),
    });
    let total_ms = call.store.settings.lifecycle_ms;
    let input = match call.store.get(call.namespace, files::KIND, input_file_id) {
        Found::Live(file) => run::read(file.bytes.as_deref().unwrap_or_default(), endpoint),
        _ => Err(vec![run::batch_error(
            "invalid_request",
            format!("No such File object: {input_file_id}. The batch cannot read its input file."),
            Some("input_file_id"),
            None,
        )]),
    };
    let (stages, file_ids) = match input {
        Err(errors) => {
            let at_ms = now_ms + total_ms;
            let failed = json!({
                "status": "failed",
                "failed_at": at_ms / 1000,
                "errors": {"object": "list", "data": errors},
            });
            (
                vec![Stage {
                    at_ms,
                    patch: failed,
                }],
                Vec::new(),
            )
        }
        Ok(lines) => {
            let results = run::run(call, &lines, generator);
            if let Some(model) = results.model.as_deref() {
                super::stored::set(&mut batch, "model", json!(model));
            }
            let expires = body.get("output_expires_after");
            let files = run::store_files(call, generator, &id, &results, expires);
            // The timeline starts once the lines have run, so even a large batch is seen
            // validating first.
            let start_ms = lifecycle::now_ms().max(now_ms);
            (timeline(start_ms, total_ms, &results, &files), files.ids())
        }
    };
    let mut object = Object::new(KIND, &id, batch);
    lifecycle::set_stages(&mut object.extra, &stages);
    super::stored::set(&mut object.extra, "files", json!(file_ids));
    *answer = current(&object);
    if let Err(error) = call.store.create(call.namespace, object) {
        tracing::warn!(%id, message = %error.message, "batch not stored");
    }
}

/// The stages of a batch whose lines ran: `in_progress`, `finalizing` and `completed`, a
/// third of the lifecycle apart.
fn timeline(now_ms: u64, total_ms: u64, results: &run::Results, files: &run::Files) -> Vec<Stage> {
    let at = |i: u64| now_ms + total_ms * i / 3;
    let counts = |completed: usize, failed: usize| json!({"total": results.total(), "completed": completed, "failed": failed});
    let mut completed = json!({
        "status": "completed",
        "completed_at": at(3) / 1000,
        "usage": results.usage,
    });
    if let Some(output) = &files.output {
        super::stored::set(&mut completed, "output_file_id", json!(output));
    }
    if let Some(error) = &files.error {
        super::stored::set(&mut completed, "error_file_id", json!(error));
    }
    vec![
        Stage {
            at_ms: at(1),
            patch: json!({
                "status": "in_progress",
                "in_progress_at": at(1) / 1000,
                "request_counts": counts(0, 0),
            }),
        },
        Stage {
            at_ms: at(2),
            patch: json!({
                "status": "finalizing",
                "finalizing_at": at(2) / 1000,
                "request_counts": counts(results.output.len(), results.errors.len()),
            }),
        },
        Stage {
            at_ms: at(3),
            patch: completed,
        },
    ]
}

/// Statuses a batch never leaves.
const FINISHED: [&str; 4] = ["completed", "failed", "expired", "cancelled"];

fn check_cancel(call: &Call) -> Result<(), ApiError> {
    let Some(batch) = lookup(call, KIND, "batch_id", "Batch")? else {
        return Ok(());
    };
    let status = current(&batch)["status"].as_str().unwrap_or("").to_string();
    if FINISHED.contains(&status.as_str()) {
        return Err(ApiError::invalid_request(format!(
            "Cannot cancel batch {}: its status is '{status}'. Only a batch that is \
             validating, in progress or finalizing can be cancelled.",
            batch.id
        ))
        .with_param("batch_id"));
    }
    Ok(())
}

/// Replaces the stages still to come with `cancelling` (now) and `cancelled` (half a
/// lifecycle later), and deletes the result files the batch would have named.
fn cancel(call: &Call, answer: &mut Value, _: &mut Generator) {
    let id = path_param(call, "batch_id");
    let Ok(Some(batch)) = lookup(call, KIND, "batch_id", "Batch") else {
        return;
    };
    if current(&batch)["status"] == "cancelling" {
        *answer = current(&batch);
        return;
    }
    let now_ms = lifecycle::now_ms();
    let done_ms = now_ms + call.store.settings.lifecycle_ms / 2;
    let mut stages: Vec<Stage> = lifecycle::stages(&batch.extra)
        .into_iter()
        .filter(|s| s.at_ms <= now_ms)
        .collect();
    stages.push(Stage {
        at_ms: now_ms,
        patch: json!({"status": "cancelling", "cancelling_at": now_ms / 1000}),
    });
    stages.push(Stage {
        at_ms: done_ms,
        patch: json!({"status": "cancelled", "cancelled_at": done_ms / 1000}),
    });
    let files: Vec<String> = batch.extra["files"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    for file in &files {
        call.store.delete(call.namespace, files::KIND, file);
    }
    let updated = call.store.update(call.namespace, KIND, id, |object| {
        lifecycle::set_stages(&mut object.extra, &stages);
        super::stored::set(&mut object.extra, "files", json!([]));
    });
    if let Some(updated) = updated {
        *answer = current(&updated);
    }
}
