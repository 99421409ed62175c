//! A conversation's items: list (newest first unless `order=asc`, 20 a page unless `limit`
//! says otherwise), add (up to 20 at once, each given an id and a status), retrieve and
//! delete (answered with the conversation). Items are stored objects whose `parent` is the
//! conversation.

use super::{answer_with, body_items, stored};
use crate::endpoints::endpoint::{Call, Endpoint};
use crate::endpoints::responses::history::{self, find, missing, CONVERSATION_ITEM};
use crate::endpoints::responses::keep::append;
use crate::endpoints::stored::{page, path_param, set};
use crate::error::ApiError;
use crate::generate::Rng;
use crate::store::Object;
use serde_json::{json, Value};
use std::sync::Arc;

/// The stored item the path names, in the conversation the path names.
fn stored_item(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    let conversation = stored(call)?;
    let id = path_param(call, "item_id");
    let item = find(call, CONVERSATION_ITEM, id, || missing("Item", id))?;
    match (conversation, item) {
        (Some(conversation), Some(item)) if item.parent.as_deref() != Some(&conversation.id) => {
            Err(missing("Item", id))
        }
        (_, item) => Ok(item),
    }
}

/// The items of the conversation the path names, in creation order.
fn items_of(call: &Call) -> Vec<Value> {
    let id = path_param(call, "conversation_id");
    call.store
        .list(call.namespace, CONVERSATION_ITEM, Some(id))
        .iter()
        .map(|item| item.body.clone())
        .collect()
}

/// `GET /conversations/{conversation_id}/items`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listConversationItems"],
    check: |call| stored(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(_)) = stored(call) {
            page(call, items_of(call), answer, "desc");
            history::default_limit(call, answer);
        }
    },
    ..Endpoint::GENERIC
};

/// `POST /conversations/{conversation_id}/items`: the added items, as a list.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createConversationItems"],
    check: |call| stored(call).map(drop),
    shape: |call, answer, generator| {
        let Ok(Some(conversation)) = stored(call) else {
            return;
        };
        let items = body_items(call);
        let mut rng = Rng::new(generator.rng.next_u64());
        let added = append(call, &conversation.id, items.iter(), &mut rng);
        let id_at = |i: Option<&Value>| i.and_then(|i| i.get("id")).cloned();
        *answer = json!({
            "object": "list",
            "first_id": id_at(added.first()).unwrap_or(json!("")),
            "last_id": id_at(added.last()).unwrap_or(json!("")),
            "has_more": false,
            "data": added,
        });
    },
    ..Endpoint::GENERIC
};

/// `GET /conversations/{conversation_id}/items/{item_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getConversationItem"],
    check: |call| stored_item(call).map(drop),
    shape: |call, answer, _| answer_with(stored_item(call), answer),
    ..Endpoint::GENERIC
};

/// `DELETE /conversations/{conversation_id}/items/{item_id}`: answers with the conversation.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteConversationItem"],
    check: |call| stored_item(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(item)) = stored_item(call) {
            call.store
                .delete(call.namespace, CONVERSATION_ITEM, &item.id);
        }
        answer_with(stored(call), answer);
        // Never stored (lenient ids): the generated conversation is the path's, not the item's.
        let conversation = path_param(call, "conversation_id");
        if answer.get("id").and_then(Value::as_str) != Some(conversation) {
            set(answer, "id", json!(conversation));
        }
    },
    ..Endpoint::GENERIC
};
