//! Evals that grade: `/evals` keeps evals (create, list, retrieve, update, delete) and
//! [`runs`] their runs and output items, all in the store.
//!
//! An eval is its `data_source_config` (as the API shows it: a JSON Schema of the items,
//! and of the sample when there is one) and its `testing_criteria`, each given an `id`
//! (`{name}-{uuid}`) that run results name. Deleting an eval deletes its runs and their
//! output items.
//!
//! [`data`] reads a run's data, [`graders`] grades each datum and [`metrics`] holds the
//! `text_similarity` metrics.

pub mod data;
pub mod graders;
pub mod metrics;
pub mod runs;

use super::stored::{lookup, page, path_param, set};
use super::{Call, Endpoint};
use crate::error::ApiError;
use crate::generate::{echo_fits, new_id, Generator, Rng};
use crate::store::{lifecycle, Object};
use serde_json::{json, Value};
use std::sync::Arc;

/// The store kind of evals.
pub const KIND: &str = "eval";

/// `POST /evals`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createEval"],
    check: |call| call.store.check_room(4096),
    shape: create,
    ..Endpoint::GENERIC
};

/// `GET /evals`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listEvals"],
    shape: |call, answer, _| {
        let evals = call
            .store
            .list(call.namespace, KIND, None)
            .iter()
            .map(|e| e.body.clone())
            .collect();
        page(call, evals, answer, "asc");
    },
    ..Endpoint::GENERIC
};

/// `GET /evals/{eval_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getEval"],
    check: |call| find(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(eval)) = find(call) {
            *answer = eval.body.clone();
        }
    },
    ..Endpoint::GENERIC
};

/// `POST /evals/{eval_id}`: `name` and `metadata`.
pub const UPDATE: Endpoint = Endpoint {
    ops: &["updateEval"],
    check: |call| find(call).map(drop),
    shape: update,
    ..Endpoint::GENERIC
};

/// `DELETE /evals/{eval_id}`.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteEval"],
    check: |call| find(call).map(drop),
    shape: |call, answer, _| {
        let id = path_param(call, "eval_id");
        if let Ok(Some(eval)) = find(call) {
            for run in call.store.list(call.namespace, runs::KIND, Some(&eval.id)) {
                runs::remove(call, &run.id);
            }
            call.store.delete(call.namespace, KIND, &eval.id);
        }
        *answer = json!({"object": "eval.deleted", "deleted": true, "eval_id": id});
    },
    ..Endpoint::GENERIC
};

/// The eval named by the path's `eval_id`.
pub fn find(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    lookup(call, KIND, "eval_id", "Eval")
}

fn create(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let body = &call.request.body;
    let id = new_id(&mut generator.rng, "eval_");
    let criteria: Vec<Value> = body["testing_criteria"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|criterion| {
            let mut criterion = shown_criterion(criterion);
            let name = criterion["name"].as_str().unwrap_or("grader").to_string();
            let uuid = uuid(&mut generator.rng);
            set(&mut criterion, "id", json!(format!("{name}-{uuid}")));
            criterion
        })
        .collect();
    let name = match body.get("name").and_then(Value::as_str) {
        Some(name) => name.to_string(),
        None => answer["name"].as_str().unwrap_or("eval").to_string(),
    };
    let mut eval = json!({
        "object": "eval",
        "id": id,
        "name": name,
        "data_source_config": data_source_config(&body["data_source_config"]),
        "testing_criteria": criteria,
        "created_at": lifecycle::now_ms() / 1000,
        "metadata": metadata_of(body),
    });
    keep_fitting(
        call,
        &mut eval,
        answer,
        &["data_source_config", "testing_criteria"],
    );
    *answer = eval.clone();
    if let Err(error) = call
        .store
        .create(call.namespace, Object::new(KIND, &id, eval))
    {
        tracing::warn!(%id, message = %error.message, "eval not stored");
    }
}

fn update(call: &Call, answer: &mut Value, _: &mut Generator) {
    let body = &call.request.body;
    let id = path_param(call, "eval_id");
    let updated = call.store.update(call.namespace, KIND, id, |eval| {
        if let Some(name) = body.get("name").and_then(Value::as_str) {
            set(&mut eval.body, "name", json!(name));
        }
        if body.get("metadata").is_some() {
            set(&mut eval.body, "metadata", metadata_of(body));
        }
    });
    if let Some(updated) = updated {
        *answer = updated.body.clone();
    }
}

/// Replaces each of `keys` of `object` that the answer schema refuses (a request may send
/// `"image_url": ""`, which is no URI) with the generated answer's value there.
pub fn keep_fitting(call: &Call, object: &mut Value, generated: &Value, keys: &[&str]) {
    for key in keys {
        if !echo_fits(call.catalog, call.op, key, &object[*key]) {
            if let Some(value) = generated.get(*key) {
                set(object, key, value.clone());
            }
        }
    }
}

/// Roles an eval message may have.
const ROLES: [&str; 4] = ["user", "assistant", "system", "developer"];

/// A testing criterion as the eval shows it: the messages of a model grader's `input`
/// are typed `message`, and a role outside the four an eval message has becomes `user`.
fn shown_criterion(criterion: &Value) -> Value {
    let mut shown = criterion.clone();
    if let Some(messages) = shown.get_mut("input").and_then(Value::as_array_mut) {
        for message in messages.iter_mut().filter(|m| m.is_object()) {
            let role = message["role"].as_str().unwrap_or("");
            if !ROLES.contains(&role) {
                set(message, "role", json!("user"));
            }
            set(message, "type", json!("message"));
        }
    }
    shown
}

/// A request's `metadata` object (empty when absent or null).
pub fn metadata_of(body: &Value) -> Value {
    match body.get("metadata") {
        Some(metadata) if metadata.is_object() => metadata.clone(),
        _ => json!({}),
    }
}

/// A version-4 UUID from `rng`, as the real API writes criterion ids.
fn uuid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// The JSON Schema of a sample, as `include_sample_schema` and stored completions show it.
fn sample_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "model": {"type": "string"},
            "choices": {"type": "array", "items": {"type": "object"}},
            "output_text": {"type": "string"},
            "output_json": {"type": "object"},
        },
        "required": ["model", "choices"],
    })
}

/// The `data_source_config` an eval shows: the request's, with the `schema` its items (and
/// samples) follow.
fn data_source_config(config: &Value) -> Value {
    let kind = config["type"].as_str().unwrap_or("custom");
    let metadata = config.get("metadata").cloned().unwrap_or(Value::Null);
    match kind {
        "logs" | "stored_completions" => {
            let item = json!({"type": "object", "additionalProperties": true});
            let schema = json!({
                "type": "object",
                "properties": {"item": item, "sample": sample_schema()},
                "required": ["item", "sample"],
            });
            let mut shown = json!({"type": kind, "schema": schema});
            if metadata.is_object() {
                set(&mut shown, "metadata", metadata);
            }
            shown
        }
        _ => {
            let item = config
                .get("item_schema")
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"}));
            let mut properties = json!({"item": item});
            let mut required = vec![json!("item")];
            if config["include_sample_schema"].as_bool() == Some(true) {
                set(&mut properties, "sample", sample_schema());
                required.push(json!("sample"));
            }
            json!({
                "type": "custom",
                "schema": {"type": "object", "properties": properties, "required": required},
            })
        }
    }
}
