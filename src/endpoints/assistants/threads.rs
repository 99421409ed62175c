//! Threads: created empty or with messages, retrieved, modified (metadata and tool
//! resources) and deleted, which deletes their messages, runs and run steps too.

use super::messages::{add_message, check_messages};
use super::{deleted, field_or, find_thread, modify, tool_resources};
use super::{MESSAGE_KIND, RUN_KIND, STEP_KIND};
use crate::endpoints::stored::current;
use crate::endpoints::{Call, Endpoint};
use crate::generate::{new_id, Generator};
use crate::store::Object;
use serde_json::{json, Value};

pub use super::THREAD_KIND as KIND;

/// `POST /threads`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createThread"],
    check: |call| {
        check_messages(call.request.body.get("messages"), "messages")?;
        call.store.check_room(4096)
    },
    shape: |call, answer, generator| {
        *answer = create_thread(call, &call.request.body, generator);
    },
    ..Endpoint::GENERIC
};

/// `GET /threads/{thread_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getThread"],
    check: |call| find_thread(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(thread)) = find_thread(call) {
            *answer = current(&thread);
        }
    },
    ..Endpoint::GENERIC
};

/// `POST /threads/{thread_id}`.
pub const MODIFY: Endpoint = Endpoint {
    ops: &["modifyThread"],
    check: |call| find_thread(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(thread)) = find_thread(call) {
            if let Some(updated) = modify(call, &thread, &["metadata"]) {
                *answer = current(&updated);
            }
            if let Some(resources) = call.request.body.get("tool_resources") {
                let resources = tool_resources(Some(resources));
                let updated = call.store.update(call.namespace, KIND, &thread.id, |t| {
                    crate::endpoints::stored::set(&mut t.body, "tool_resources", resources.clone())
                });
                if let Some(updated) = updated {
                    *answer = current(&updated);
                }
            }
        }
    },
    ..Endpoint::GENERIC
};

/// `DELETE /threads/{thread_id}`.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteThread"],
    check: |call| find_thread(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(thread)) = find_thread(call) {
            delete_thread(call, &thread.id);
            *answer = deleted(&thread.id, "thread.deleted");
        }
    },
    ..Endpoint::GENERIC
};

/// Stores a thread from a `CreateThreadRequest` body (`messages`, `tool_resources`,
/// `metadata`) with its messages; the thread as answered.
pub fn create_thread(call: &Call, body: &Value, generator: &mut Generator) -> Value {
    let id = new_id(&mut generator.rng, "thread_");
    let thread = json!({
        "id": id,
        "object": KIND,
        "created_at": generator.now(),
        "tool_resources": tool_resources(body.get("tool_resources")),
        "metadata": field_or(body, "metadata", json!({})),
    });
    if let Err(error) = call
        .store
        .create(call.namespace, Object::new(KIND, &id, thread.clone()))
    {
        tracing::warn!(%id, message = %error.message, "thread not stored");
    }
    let given = body.get("messages").and_then(Value::as_array);
    for message in given.into_iter().flatten() {
        add_message(call, &id, message, generator);
    }
    thread
}

/// Deletes a thread with its messages, its runs and their steps.
fn delete_thread(call: &Call, id: &str) {
    let ns = call.namespace;
    for message in call.store.list(ns, MESSAGE_KIND, Some(id)) {
        call.store.delete(ns, MESSAGE_KIND, &message.id);
    }
    for run in call.store.list(ns, RUN_KIND, Some(id)) {
        for step in call.store.list(ns, STEP_KIND, Some(&run.id)) {
            call.store.delete(ns, STEP_KIND, &step.id);
        }
        call.store.delete(ns, RUN_KIND, &run.id);
    }
    call.store.delete(ns, KIND, id);
}
