//! Conversations: `POST /conversations` (with up to 20 first `items` and `metadata`),
//! retrieve, update (`metadata`) and delete (`conversation.deleted`), kept in the store
//! under the caller's namespace. Their items are in [`items`]; `POST /responses` with
//! `conversation` reads them as earlier context and appends its input and output items
//! (`responses::keep`).
//!
//! Ids never created in the namespace get the generated answer in lenient mode and the real
//! 404 (`Conversation with id '…' not found.`) with `--strict-ids`; a deleted one is a 404
//! in both.

pub mod items;

use super::endpoint::{Call, Endpoint};
use super::responses::history::{find, missing, CONVERSATION, CONVERSATION_ITEM};
use super::responses::keep::append;
use super::stored::{current, path_param, set};
use crate::error::ApiError;
use crate::generate::{new_id, Generator, Rng};
use crate::store::Object;
use serde_json::{json, Value};
use std::sync::Arc;

/// The stored conversation the path names (see [`find`]).
pub fn stored(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    let id = path_param(call, "conversation_id");
    find(call, CONVERSATION, id, || missing("Conversation", id))
}

/// `POST /conversations`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createConversation"],
    check: |call| call.store.check_room(0),
    shape: create,
    ..Endpoint::GENERIC
};

fn create(call: &Call, answer: &mut Value, generator: &mut Generator<'_>) {
    let mut rng = Rng::new(generator.rng.next_u64());
    let id = answer
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| id.starts_with("conv_"))
        .map_or_else(|| new_id(&mut rng, "conv_"), str::to_string);
    let metadata = match call.request.body.get("metadata") {
        Some(metadata @ Value::Object(_)) => metadata.clone(),
        _ => json!({}),
    };
    *answer = json!({
        "id": id,
        "object": "conversation",
        "created_at": generator.now(),
        "metadata": metadata,
    });
    if call
        .store
        .create(
            call.namespace,
            Object::new(CONVERSATION, &id, answer.clone()),
        )
        .is_ok()
    {
        append(call, &id, body_items(call).iter(), &mut rng);
    }
}

/// The `items` of the request body.
fn body_items(call: &Call) -> Vec<Value> {
    call.request
        .body
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Answers with the stored object `found` as it is now (the generated answer when the id
/// is unknown and lenient).
fn answer_with(found: Result<Option<Arc<Object>>, ApiError>, answer: &mut Value) {
    if let Ok(Some(object)) = found {
        *answer = current(&object);
    }
}

/// `GET /conversations/{conversation_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getConversation"],
    check: |call| stored(call).map(drop),
    shape: |call, answer, _| answer_with(stored(call), answer),
    ..Endpoint::GENERIC
};

/// `POST /conversations/{conversation_id}`: replaces `metadata`.
pub const UPDATE: Endpoint = Endpoint {
    ops: &["updateConversation"],
    check: |call| stored(call).map(drop),
    shape: |call, answer, _| {
        let metadata = call
            .request
            .body
            .get("metadata")
            .cloned()
            .unwrap_or(json!({}));
        let id = path_param(call, "conversation_id");
        let updated = call
            .store
            .update(call.namespace, CONVERSATION, id, |object| {
                set(&mut object.body, "metadata", metadata.clone());
            });
        match updated {
            Some(object) => *answer = current(&object),
            None => set(answer, "metadata", metadata),
        }
    },
    ..Endpoint::GENERIC
};

/// `DELETE /conversations/{conversation_id}`: the conversation and its items.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteConversation"],
    check: |call| stored(call).map(drop),
    shape: |call, answer, _| {
        let id = path_param(call, "conversation_id");
        for item in call.store.list(call.namespace, CONVERSATION_ITEM, Some(id)) {
            call.store
                .delete(call.namespace, CONVERSATION_ITEM, &item.id);
        }
        call.store.delete(call.namespace, CONVERSATION, id);
        *answer = json!({"id": id, "object": "conversation.deleted", "deleted": true});
    },
    ..Endpoint::GENERIC
};
