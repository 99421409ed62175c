//! Checkpoint permissions: which projects may use a fine-tuned model checkpoint. Created per
//! project id, listed (filtered by `project_id`, newest first unless `order=ascending`) and
//! deleted; each is stored under its checkpoint's name.

use super::registry::{checkpoint_exists, PERMISSION};
use crate::endpoints::stored::{page, path_param};
use crate::endpoints::Call;
use crate::error::ApiError;
use crate::generate::{new_id, Generator};
use crate::store::{not_found, Found, Object};
use serde_json::{json, Value};

const CHECKPOINT: &str = "fine_tuned_model_checkpoint";

/// Under strict ids, the checkpoint must be one of this namespace's.
pub fn check_checkpoint(call: &Call) -> Result<(), ApiError> {
    let name = path_param(call, CHECKPOINT);
    if call.store.settings.strict_ids && !checkpoint_exists(call.store, call.namespace, name) {
        return Err(not_found("Checkpoint", name).with_param(CHECKPOINT));
    }
    Ok(())
}

/// Refusals of a create: the checkpoint, and room for the permissions.
pub fn check_create(call: &Call) -> Result<(), ApiError> {
    check_checkpoint(call)?;
    call.store.check_room(512)
}

/// `POST /fine_tuning/checkpoints/{checkpoint}/permissions`: one permission per project.
pub fn create(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let checkpoint = path_param(call, CHECKPOINT).to_string();
    let projects: Vec<String> = call
        .request
        .body
        .get("project_ids")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut created = Vec::new();
    for project in projects {
        let id = new_id(&mut generator.rng, "cp_");
        let permission = json!({
            "object": "checkpoint.permission",
            "id": id,
            "created_at": generator.now(),
            "project_id": project,
        });
        let mut object = Object::new(PERMISSION, &id, permission.clone());
        object.parent = Some(checkpoint.clone());
        if call.store.create(call.namespace, object).is_ok() {
            created.push(permission);
        }
    }
    page(call, created, answer, "asc");
}

/// `GET /fine_tuning/checkpoints/{checkpoint}/permissions`.
pub fn list(call: &Call, answer: &mut Value, _: &mut Generator) {
    let checkpoint = path_param(call, CHECKPOINT);
    let project = call.request.query.get("project_id").and_then(Value::as_str);
    let mut items: Vec<Value> = call
        .store
        .list(call.namespace, PERMISSION, Some(checkpoint))
        .iter()
        .map(|p| p.body.clone())
        .filter(|p| {
            project.is_none_or(|id| p.get("project_id").and_then(Value::as_str) == Some(id))
        })
        .collect();
    if call.request.query.get("order").and_then(Value::as_str) != Some("ascending") {
        items.reverse();
    }
    page(call, items, answer, "asc");
}

/// The 404 for a permission that is not this checkpoint's (deleted, or unknown under strict
/// ids).
pub fn check_delete(call: &Call) -> Result<(), ApiError> {
    let id = path_param(call, "permission_id");
    let checkpoint = path_param(call, CHECKPOINT);
    match call.store.get(call.namespace, PERMISSION, id) {
        Found::Live(p) if p.parent.as_deref() == Some(checkpoint) => Ok(()),
        Found::Unknown if !call.store.settings.strict_ids => Ok(()),
        _ => Err(not_found("CheckpointPermission", id).with_param("permission_id")),
    }
}

/// `DELETE /fine_tuning/checkpoints/{checkpoint}/permissions/{permission_id}`.
pub fn delete(call: &Call, answer: &mut Value, _: &mut Generator) {
    let id = path_param(call, "permission_id");
    // Only a stored permission is deleted: an unknown id under lenient ids leaves no tombstone.
    if let Found::Live(_) = call.store.get(call.namespace, PERMISSION, id) {
        call.store.delete(call.namespace, PERMISSION, id);
    }
    *answer = json!({"object": "checkpoint.permission", "id": id, "deleted": true});
}
