//! What fine-tuning keeps in the store, and what other families ask about it: the store
//! kinds, the timed items of a job (events and checkpoints that appear once reached), and
//! the fine-tuned models a namespace has (a model exists once its job has succeeded, until
//! it is deleted). `/models`, chat completions and Responses look models up here.
//!
//! A job is one object of kind [`JOB`]: its body as created (`validating_files`), the stages
//! of its lifecycle in `extra.stages`, and in `extra` its [`EVENTS`] and [`CHECKPOINTS`]
//! (each a [`Timed`] item), the CSV of its metrics and the name of the model it yields.
//! Deleting a model leaves a tombstone of kind [`MODEL`].

use crate::endpoints::stored::current;
use crate::store::lifecycle::now_ms;
use crate::store::{Found, Object, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The store kind of fine-tuning jobs.
pub const JOB: &str = "fine_tuning.job";
/// The store kind of fine-tuned models (only their tombstones: a live model is a job's).
pub const MODEL: &str = "fine_tuning.model";
/// The store kind of checkpoint permissions (their parent is the checkpoint's name).
pub const PERMISSION: &str = "checkpoint.permission";
/// The key under a job's `extra` holding its events.
pub const EVENTS: &str = "events";
/// The key under a job's `extra` holding its checkpoints.
pub const CHECKPOINTS: &str = "checkpoints";
/// The key under a job's `extra` holding the name of the model it yields.
pub const YIELDS: &str = "model";

/// An item that exists from `at_ms` (Unix milliseconds) on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timed {
    /// When the item appears.
    pub at_ms: u64,
    /// The item as the API shows it.
    pub item: Value,
}

/// The timed items under `extra[key]`.
pub fn timed(extra: &Value, key: &str) -> Vec<Timed> {
    extra
        .get(key)
        .and_then(|items| serde_json::from_value(items.clone()).ok())
        .unwrap_or_default()
}

/// The items under `extra[key]` that have appeared by `now_ms`, in order.
pub fn reached(extra: &Value, key: &str, now_ms: u64) -> Vec<Value> {
    timed(extra, key)
        .into_iter()
        .filter(|t| t.at_ms <= now_ms)
        .map(|t| t.item)
        .collect()
}

/// Where a fine-tuned model stands in a namespace.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelState {
    /// Its job succeeded: the job as of now.
    Ready(Value),
    /// It was deleted.
    Deleted,
    /// A job of this namespace will yield it (or would have: failed, cancelled).
    NotReady,
    /// No job of this namespace names it.
    Unknown,
}

/// Where the fine-tuned model `id` stands in `namespace`.
pub fn model_state(store: &Store, namespace: &str, id: &str) -> ModelState {
    if store.get(namespace, MODEL, id) == Found::Deleted {
        return ModelState::Deleted;
    }
    let mut named = false;
    for job in store.list(namespace, JOB, None) {
        if job.extra.get(YIELDS).and_then(Value::as_str) != Some(id) {
            continue;
        }
        named = true;
        let view = current(&job);
        if view.get("status").and_then(Value::as_str) == Some("succeeded") {
            return ModelState::Ready(view);
        }
    }
    if named {
        ModelState::NotReady
    } else {
        ModelState::Unknown
    }
}

/// The fine-tuned models of `namespace` that exist now: each job that has succeeded, as of
/// now, whose model was not deleted.
pub fn ready_models(store: &Store, namespace: &str) -> Vec<Value> {
    store
        .list(namespace, JOB, None)
        .iter()
        .filter(|job| job.extra.get(YIELDS).and_then(Value::as_str).is_some())
        .map(|job| current(job))
        .filter(|view| view.get("status").and_then(Value::as_str) == Some("succeeded"))
        .filter(|view| {
            let id = view
                .get("fine_tuned_model")
                .and_then(Value::as_str)
                .unwrap_or("");
            store.get(namespace, MODEL, id) != Found::Deleted
        })
        .collect()
}

/// The `Model` object of a succeeded job's model: created when the job finished, owned by
/// the job's organization.
pub fn model_object(job: &Value) -> Value {
    serde_json::json!({
        "id": job.get("fine_tuned_model").cloned().unwrap_or(Value::Null),
        "object": "model",
        "created": job.get("finished_at").cloned().unwrap_or(Value::Null),
        "owned_by": job.get("organization_id").cloned().unwrap_or(Value::Null),
    })
}

/// Whether `name` is a checkpoint (or the fine-tuned model) of a job of `namespace` that has
/// been reached by now.
pub fn checkpoint_exists(store: &Store, namespace: &str, name: &str) -> bool {
    let now = now_ms();
    store
        .list(namespace, JOB, None)
        .iter()
        .any(|job: &std::sync::Arc<Object>| {
            reached(&job.extra, CHECKPOINTS, now)
                .iter()
                .any(|c| c.get("fine_tuned_model_checkpoint").and_then(Value::as_str) == Some(name))
        })
}
