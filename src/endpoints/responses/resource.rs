//! The stored response as a resource: `GET /responses/{id}` (as answered, as of now for a
//! background one; `?stream=true&starting_after=N` replays a background stream's events
//! after N), `DELETE`, `POST /responses/{id}/cancel` (background responses not yet
//! finished) and `GET /responses/{id}/input_items` (one page of the input items).
//!
//! Ids never created in the namespace get the generated answer in lenient mode and the real
//! 404 (`Response with id '…' not found.`) with `--strict-ids`; a deleted one is a 404 in
//! both.

use super::history::{self, find, missing, RESPONSE};
use super::keep::EVENTS;
use super::stream;
use crate::endpoints::endpoint::{Call, Endpoint};
use crate::endpoints::stored::{current, page, path_param, set};
use crate::error::ApiError;
use crate::services::sse::Event;
use crate::store::{lifecycle, Object};
use serde_json::{json, Value};
use std::sync::Arc;

/// The stored response the path names (see [`find`]).
fn stored(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    let id = path_param(call, "response_id");
    find(call, RESPONSE, id, || missing("Response", id))
}

/// Whether a retrieve asks for the stream (`?stream=true`).
fn wants_stream(call: &Call) -> bool {
    call.request.query.get("stream").and_then(Value::as_bool) == Some(true)
}

/// `GET /responses/{response_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getResponse", "beta_getResponse"],
    check: |call| {
        let object = stored(call)?;
        if wants_stream(call) && object.is_some_and(|o| o.extra.get(EVENTS).is_none()) {
            return Err(ApiError::invalid_request(
                "This response cannot be streamed: only responses created with \
                 `background: true` and `stream: true` can be.",
            )
            .with_param("stream"));
        }
        Ok(())
    },
    shape: |call, answer, _| {
        if let Ok(Some(object)) = stored(call) {
            *answer = current(&object);
        }
    },
    wants_stream,
    stream: |call, answer| {
        let after = call
            .request
            .query
            .get("starting_after")
            .and_then(Value::as_i64)
            .unwrap_or(-1);
        let values = match stored(call) {
            Ok(Some(object)) => object
                .extra
                .get(EVENTS)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            _ => answer.map(stream::event_values).unwrap_or_default(),
        };
        Some(
            values
                .iter()
                .filter(|e| {
                    e.get("sequence_number")
                        .and_then(Value::as_i64)
                        .is_some_and(|n| n > after)
                })
                .map(Event::typed)
                .collect(),
        )
    },
    typed_stream_errors: true,
    polled: true,
    ..Endpoint::GENERIC
};

/// `DELETE /responses/{response_id}` (answered with no body, as the spec declares).
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteResponse", "beta_deleteResponse"],
    check: |call| stored(call).map(drop),
    shape: |call, _, _| {
        let id = path_param(call, "response_id");
        call.store.delete(call.namespace, RESPONSE, id);
    },
    ..Endpoint::GENERIC
};

/// `POST /responses/{response_id}/cancel`: a background response not yet finished becomes
/// `cancelled` (again `cancelled` when it already is); others are the real 400s.
pub const CANCEL: Endpoint = Endpoint {
    ops: &["cancelResponse", "beta_cancelResponse"],
    check: |call| {
        let Some(object) = stored(call)? else {
            return Ok(());
        };
        let body = current(&object);
        if body.get("background").and_then(Value::as_bool) != Some(true) {
            return Err(ApiError::invalid_request(
                "Cannot cancel a synchronous response.",
            ));
        }
        match body.get("status").and_then(Value::as_str) {
            Some("queued" | "in_progress" | "cancelled") => Ok(()),
            Some(status) => Err(ApiError::invalid_request(format!(
                "Cannot cancel a response with status '{status}'."
            ))),
            None => Ok(()),
        }
    },
    shape: |call, answer, _| {
        let id = path_param(call, "response_id");
        let cancelled = call.store.update(call.namespace, RESPONSE, id, |object| {
            let mut body = current(object);
            if body.get("status").and_then(Value::as_str) != Some("cancelled") {
                set(&mut body, "status", json!("cancelled"));
                set(&mut body, "completed_at", Value::Null);
            }
            object.body = body;
            lifecycle::set_stages(&mut object.extra, &[]);
        });
        match cancelled {
            Some(object) => *answer = current(&object),
            // Never stored (lenient ids): the generated response, cancelled before it finished.
            None => {
                set(answer, "status", json!("cancelled"));
                set(answer, "completed_at", Value::Null);
            }
        }
    },
    ..Endpoint::GENERIC
};

/// `GET /responses/{response_id}/input_items`: newest first unless `order=asc`, 20 a page
/// unless `limit` says otherwise.
pub const INPUT_ITEMS: Endpoint = Endpoint {
    ops: &["listInputItems", "beta_listInputItems"],
    check: |call| stored(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(object)) = stored(call) {
            page(call, history::stored_inputs(&object), answer, "desc");
            history::default_limit(call, answer);
        }
    },
    ..Endpoint::GENERIC
};
