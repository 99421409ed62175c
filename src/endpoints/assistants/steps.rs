//! Run steps: the `tool_calls` step of a run's function calls (their outputs filled in once
//! submitted) or of its file search, and the `message_creation` step of its answer. Steps are
//! stored by the run (their parent) and appear as the run reaches them.
//!
//! A file search call's `results` (with scores and chunk text) are stored, and shown only
//! when `include[]` holds `step_details.tool_calls[*].file_search.results[*].content`, as
//! the real API does.

use super::{find, find_run, missing, shown};
use crate::endpoints::stored::{page, path_param};
use crate::endpoints::{Call, Endpoint};
use crate::error::ApiError;
use crate::generate::new_id;
use crate::generate::Rng;
use crate::store::lifecycle;
use serde_json::{json, Value};

pub use super::STEP_KIND as KIND;

/// The `include[]` value that shows file search results.
pub const INCLUDE_RESULTS: &str = "step_details.tool_calls[*].file_search.results[*].content";

/// `GET /threads/{thread_id}/runs/{run_id}/steps`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listRunSteps"],
    check: |call| find_run(call).map(drop),
    shape: |call, answer, _| {
        let run = path_param(call, "run_id");
        let include = includes_results(call);
        let items = run_steps(call, run, lifecycle::now_ms())
            .into_iter()
            .map(|step| presented(step, include))
            .collect();
        page(call, items, answer, "desc");
    },
    ..Endpoint::GENERIC
};

/// `GET /threads/{thread_id}/runs/{run_id}/steps/{step_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getRunStep"],
    check: |call| find_step(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(step)) = find_step(call) {
            *answer = presented(step, includes_results(call));
        }
    },
    ..Endpoint::GENERIC
};

/// The step named by the path as it is now; unknown when it belongs to another run or has
/// not appeared yet.
fn find_step(call: &Call) -> Result<Option<Value>, ApiError> {
    find_run(call)?;
    let id = path_param(call, "step_id");
    let Some(step) = find(call, KIND, id, "run step")? else {
        return Ok(None);
    };
    match shown(&step, lifecycle::now_ms()) {
        Some(body) if step.parent.as_deref() == Some(path_param(call, "run_id")) => Ok(Some(body)),
        _ if call.store.settings.strict_ids => Err(missing("run step", id)),
        _ => Ok(None),
    }
}

/// The steps of `run` that have appeared by `now_ms`, in creation order.
pub fn run_steps(call: &Call, run: &str, now_ms: u64) -> Vec<Value> {
    call.store
        .list(call.namespace, KIND, Some(run))
        .iter()
        .filter_map(|s| shown(s, now_ms))
        .collect()
}

/// Whether the query's `include[]` asks for file search results.
pub fn includes_results(call: &Call) -> bool {
    let query = &call.request.query;
    match query.get("include").or_else(|| query.get("include[]")) {
        Some(Value::Array(items)) => items.iter().any(|i| i == INCLUDE_RESULTS),
        Some(Value::String(one)) => one == INCLUDE_RESULTS,
        _ => false,
    }
}

/// A step as answered: file search `results` removed unless `include` asks for them.
pub fn presented(mut step: Value, include: bool) -> Value {
    if include {
        return step;
    }
    let calls = step
        .pointer_mut("/step_details/tool_calls")
        .and_then(Value::as_array_mut);
    for call in calls.into_iter().flatten() {
        if let Some(search) = call.get_mut("file_search").and_then(Value::as_object_mut) {
            search.remove("results");
        }
    }
    step
}

/// A new step of `run` (its body as stored) of `kind` with `details`, in progress, created
/// at `created_at` (seconds).
pub fn body(run: &Value, kind: &str, details: Value, created_at: u64, rng: &mut Rng) -> Value {
    json!({
        "id": new_id(rng, "step_"),
        "object": KIND,
        "created_at": created_at,
        "assistant_id": run["assistant_id"],
        "thread_id": run["thread_id"],
        "run_id": run["id"],
        "type": kind,
        "status": "in_progress",
        "step_details": details,
        "last_error": null,
        "expired_at": null,
        "cancelled_at": null,
        "failed_at": null,
        "completed_at": null,
        "metadata": {},
        "usage": null,
    })
}
