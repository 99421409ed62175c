//! Reading jobs: retrieve, list (with `metadata` filters), events and checkpoints, each as of
//! now. A job seen succeeded for the first time gets its result file (`step_metrics.csv`,
//! purpose `fine-tune-results`), so the file exists exactly once the job has finished.

use super::registry::{reached, CHECKPOINTS, EVENTS, JOB};
use crate::endpoints::files::store_file;
use crate::endpoints::stored::{current, lookup, metadata_filters, page, set};
use crate::endpoints::Call;
use crate::generate::Generator;
use crate::store::lifecycle::now_ms;
use crate::store::{Found, Object};
use serde_json::{json, Value};
use std::sync::Arc;

/// How the 404 names a job.
pub const WHAT: &str = "FineTuningJob";

/// The job named by the path, when stored (see [`lookup`]).
pub fn job(call: &Call) -> Result<Option<Arc<Object>>, crate::error::ApiError> {
    lookup(call, JOB, "fine_tuning_job_id", WHAT)
}

/// `job` as of now, with its result file created when it has just succeeded.
pub fn view(call: &Call, job: &Arc<Object>, generator: &mut Generator) -> Value {
    let now = current(job);
    let succeeded = now.get("status").and_then(Value::as_str) == Some("succeeded");
    let pending = job.extra.get("csv").and_then(Value::as_str).is_some()
        && job.extra.get("result_file").is_none_or(Value::is_null);
    if !(succeeded && pending) {
        return now;
    }
    // Claim the result file first, so concurrent readers create it once.
    let mut claimed = false;
    call.store.update(call.namespace, JOB, &job.id, |object| {
        let free = object.extra.get("result_file").is_none_or(Value::is_null);
        if free {
            set(&mut object.extra, "result_file", json!("pending"));
            claimed = true;
        }
    });
    if !claimed {
        return match call.store.get(call.namespace, JOB, &job.id) {
            Found::Live(object) => current(&object),
            _ => now,
        };
    }
    let csv = job.extra.get("csv").and_then(Value::as_str).unwrap_or("");
    let file = store_file(
        call,
        generator,
        "step_metrics.csv",
        "fine-tune-results",
        csv.as_bytes().to_vec(),
        None,
    );
    let file_id = file.get("id").cloned().unwrap_or(Value::Null);
    let updated = call.store.update(call.namespace, JOB, &job.id, |object| {
        set(&mut object.extra, "result_file", file_id.clone());
        set(&mut object.body, "result_files", json!([file_id.clone()]));
    });
    updated.map_or(now, |o| current(&o))
}

/// `GET /fine_tuning/jobs/{id}`.
pub fn retrieve(call: &Call, answer: &mut Value, generator: &mut Generator) {
    if let Ok(Some(stored)) = job(call) {
        *answer = view(call, &stored, generator);
    }
}

/// `GET /fine_tuning/jobs`: this namespace's jobs, newest first, filtered by
/// `metadata[key]=value`.
pub fn list(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let filters = metadata_filters(call);
    let jobs: Vec<Value> = call
        .store
        .list(call.namespace, JOB, None)
        .iter()
        .map(|j| view(call, j, generator))
        .filter(|j| filters.matches(j))
        .collect();
    page(call, jobs, answer, "desc");
}

/// `GET /fine_tuning/jobs/{id}/events`: the events so far, newest first (none for a job
/// never created here).
pub fn events(call: &Call, answer: &mut Value, _: &mut Generator) {
    let items = match job(call) {
        Ok(Some(stored)) => reached(&stored.extra, EVENTS, now_ms()),
        _ => Vec::new(),
    };
    page(call, items, answer, "desc");
}

/// `GET /fine_tuning/jobs/{id}/checkpoints`: the checkpoints so far, newest first (none for
/// a job never created here).
pub fn checkpoints(call: &Call, answer: &mut Value, _: &mut Generator) {
    let items = match job(call) {
        Ok(Some(stored)) => reached(&stored.extra, CHECKPOINTS, now_ms()),
        _ => Vec::new(),
    };
    page(call, items, answer, "desc");
}
