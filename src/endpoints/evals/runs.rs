//! Eval runs and their output items.
//!
//! `POST /evals/{eval_id}/runs` reads the run's data ([`data`]), samples it when the data
//! source names a `model`, and grades every datum with the eval's testing criteria
//! ([`graders`]), all at creation; what it found is then revealed on the lifecycle timer:
//! the run is `queued`, `in_progress` after a third of `--lifecycle-ms`, and `completed`
//! at its end, when `result_counts`, `per_testing_criteria_results` and `per_model_usage`
//! appear (zero before) and the output items become visible. Data that cannot be read at
//! all (an input file that does not exist) fails the run (`failed`, with `error`).
//! Cancelling makes the run `canceled` at once and drops its output items; deleting it
//! drops them too.

use super::data::{self, Datum, Usage};
use super::graders::{self, Verdict};
use super::{find as find_eval, metadata_of};
use crate::endpoints::stored::{current, page, path_param, set};
use crate::endpoints::{files, Call, Endpoint};
use crate::error::ApiError;
use crate::generate::{new_id, Generator};
use crate::store::lifecycle::{self, Stage};
use crate::store::{not_found, Found, Object};
use serde_json::{json, Value};
use std::sync::Arc;

/// The store kind of eval runs (their parent is the eval).
pub const KIND: &str = "eval.run";

/// The store kind of output items (their parent is the run).
pub const ITEM_KIND: &str = "eval.run.output_item";

/// The `max_completion_tokens` a sample reports when its run set none (the real API's
/// default, as in the spec's example output item).
const DEFAULT_MAX_COMPLETION_TOKENS: u64 = 2048;

/// Statuses a run never leaves.
const FINISHED: [&str; 3] = ["completed", "failed", "canceled"];

/// `POST /evals/{eval_id}/runs`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createEvalRun"],
    check: check_create,
    shape: |call, answer, generator| {
        create(call, answer, generator);
        show_error(answer);
    },
    polled: true,
    ..Endpoint::GENERIC
};

/// `GET /evals/{eval_id}/runs`, filtered by `status`.
pub const LIST: Endpoint = Endpoint {
    ops: &["getEvalRuns"],
    check: |call| find_eval(call).map(drop),
    shape: |call, answer, _| {
        let status = call.request.query.get("status").and_then(Value::as_str);
        let eval = path_param(call, "eval_id");
        let runs = call
            .store
            .list(call.namespace, KIND, Some(eval))
            .iter()
            .map(|r| {
                let mut run = current(r);
                show_error(&mut run);
                run
            })
            .filter(|r| status.is_none_or(|s| r["status"] == s))
            .collect();
        page(call, runs, answer, "asc");
    },
    ..Endpoint::GENERIC
};

/// `GET /evals/{eval_id}/runs/{run_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getEvalRun"],
    check: |call| find(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(run)) = find(call) {
            *answer = current(&run);
        }
        show_error(answer);
    },
    polled: true,
    ..Endpoint::GENERIC
};

/// `POST /evals/{eval_id}/runs/{run_id}`: cancels the run.
pub const CANCEL: Endpoint = Endpoint {
    ops: &["cancelEvalRun"],
    check: check_cancel,
    shape: |call, answer, generator| {
        cancel(call, answer, generator);
        show_error(answer);
    },
    polled: true,
    ..Endpoint::GENERIC
};

/// Shows a run that has not failed with an empty `error` object rather than `null`: the
/// spec's example sends `null`, but every openai-python release types `EvalRun.error` as a
/// required `EvalAPIError`, and its own suite checks answers against that type.
fn show_error(run: &mut Value) {
    if let Some(error) = run.get_mut("error").filter(|e| e.is_null()) {
        *error = json!({"code": "", "message": ""});
    }
}

/// `DELETE /evals/{eval_id}/runs/{run_id}`.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteEvalRun"],
    check: |call| find(call).map(drop),
    shape: |call, answer, _| {
        let id = path_param(call, "run_id");
        if let Ok(Some(run)) = find(call) {
            remove(call, &run.id);
        }
        *answer = json!({"object": "eval.run.deleted", "deleted": true, "run_id": id});
    },
    ..Endpoint::GENERIC
};

/// `GET /evals/{eval_id}/runs/{run_id}/output_items`, filtered by `status` (`pass`,
/// `fail`); none until the run has completed.
pub const ITEMS: Endpoint = Endpoint {
    ops: &["getEvalRunOutputItems"],
    check: |call| find(call).map(drop),
    shape: |call, answer, _| {
        let status = call.request.query.get("status").and_then(Value::as_str);
        let items = match find(call) {
            Ok(Some(run)) if completed(&run) => call
                .store
                .list(call.namespace, ITEM_KIND, Some(&run.id))
                .iter()
                .map(|i| i.body.clone())
                .filter(|i| status.is_none_or(|s| i["status"] == s))
                .collect(),
            _ => Vec::new(),
        };
        page(call, items, answer, "asc");
    },
    ..Endpoint::GENERIC
};

/// `GET /evals/{eval_id}/runs/{run_id}/output_items/{output_item_id}`.
pub const ITEM: Endpoint = Endpoint {
    ops: &["getEvalRunOutputItem"],
    check: |call| find_item(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(item)) = find_item(call) {
            *answer = item.body.clone();
        }
    },
    ..Endpoint::GENERIC
};

/// The run named by the path's `run_id`, when it belongs to the path's eval.
fn find(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    let id = path_param(call, "run_id");
    let eval = path_param(call, "eval_id");
    let found = match call.store.get(call.namespace, KIND, id) {
        Found::Live(run) if run.parent.as_deref() != Some(eval) => Found::Unknown,
        found => found,
    };
    resolve(call, found, "EvalRun", id)
}

/// The output item named by the path, once its run has completed.
fn find_item(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    let run = find(call)?;
    let id = path_param(call, "output_item_id");
    let found = match (call.store.get(call.namespace, ITEM_KIND, id), run) {
        (Found::Live(item), Some(run))
            if item.parent.as_deref() == Some(run.id.as_str()) && completed(&run) =>
        {
            Found::Live(item)
        }
        (Found::Deleted, _) => Found::Deleted,
        _ => Found::Unknown,
    };
    resolve(call, found, "EvalRunOutputItem", id)
}

/// A lookup's outcome under the id rules: the object, nothing (lenient and unknown), or the
/// real 404.
fn resolve(
    call: &Call,
    found: Found,
    what: &str,
    id: &str,
) -> Result<Option<Arc<Object>>, ApiError> {
    match found {
        Found::Live(object) => Ok(Some(object)),
        Found::Unknown if !call.store.settings.strict_ids => Ok(None),
        _ => Err(not_found(what, id)),
    }
}

fn completed(run: &Object) -> bool {
    current(run)["status"] == "completed"
}

/// Deletes a run and its output items.
pub fn remove(call: &Call, run_id: &str) {
    for item in call.store.list(call.namespace, ITEM_KIND, Some(run_id)) {
        call.store.delete(call.namespace, ITEM_KIND, &item.id);
    }
    call.store.delete(call.namespace, KIND, run_id);
}

/// The eval must exist (under the id rules), and a `file_id` source must name a file that
/// was not deleted (nor is unknown under strict ids).
fn check_create(call: &Call) -> Result<(), ApiError> {
    find_eval(call)?;
    let source = &call.request.body["data_source"]["source"];
    if source["type"] == "file_id" {
        let id = source["id"].as_str().unwrap_or("");
        call.store
            .lookup(call.namespace, files::KIND, id, "File")
            .map_err(|e| e.with_param("data_source.source.id"))?;
    }
    call.store.check_room(4096)
}

/// What grading a run's data gave.
struct Graded {
    total: u64,
    passed: u64,
    failed: u64,
    errored: u64,
    /// Per criterion id: passed, failed.
    per_criterion: Vec<(String, u64, u64)>,
    items: Vec<Value>,
}

fn grade(criteria: &[Value], datums: &[Datum]) -> Graded {
    let mut graded = Graded {
        total: datums.len() as u64,
        passed: 0,
        failed: 0,
        errored: 0,
        per_criterion: criteria
            .iter()
            .map(|c| (c["id"].as_str().unwrap_or("").to_string(), 0, 0))
            .collect(),
        items: Vec::new(),
    };
    for datum in datums {
        let scope = graders::scope(&datum.item, datum.sample.as_ref());
        let verdicts: Result<Vec<Verdict>, String> = match &datum.error {
            Some(error) => Err(error.clone()),
            None => criteria.iter().map(|c| graders::grade(c, &scope)).collect(),
        };
        let (status, results, error) = match verdicts {
            Ok(verdicts) => {
                for (verdict, counts) in verdicts.iter().zip(graded.per_criterion.iter_mut()) {
                    if verdict.passed {
                        counts.1 += 1;
                    } else {
                        counts.2 += 1;
                    }
                }
                let all = verdicts.iter().all(|v| v.passed);
                if all {
                    graded.passed += 1;
                } else {
                    graded.failed += 1;
                }
                let results = verdicts.iter().map(Verdict::to_result).collect();
                (if all { "pass" } else { "fail" }, results, None)
            }
            Err(message) => {
                graded.errored += 1;
                ("error", Vec::new(), Some(message))
            }
        };
        let mut sample = datum.sample.clone().unwrap_or_else(empty_sample);
        normalise_sample(&mut sample, error);
        graded.items.push(json!({
            "status": status,
            "datasource_item": datum.item,
            "results": results,
            "sample": sample,
        }));
    }
    graded
}

/// The sample of a datum that has none: no messages, no tokens, the default parameters.
fn empty_sample() -> Value {
    json!({"input": [], "output": [], "finish_reason": "", "model": "",
           "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "cached_tokens": 0},
           "error": null, "temperature": 1.0, "top_p": 1.0, "seed": 42,
           "max_completion_tokens": DEFAULT_MAX_COMPLETION_TOKENS})
}

/// Fills what the output item's `sample` needs and a JSONL sample may lack; `error` says why
/// the datum could not be graded.
fn normalise_sample(sample: &mut Value, error: Option<String>) {
    let Some(map) = sample.as_object_mut() else {
        *sample = empty_sample();
        return;
    };
    let defaults = empty_sample();
    for (key, value) in defaults.as_object().into_iter().flatten() {
        map.entry(key.clone()).or_insert_with(|| value.clone());
    }
    if let Some(message) = error {
        map.insert(
            "error".into(),
            json!({"code": "invalid_data", "message": message}),
        );
    }
}

fn create(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let Ok(Some(eval)) = find_eval(call) else {
        return;
    };
    let body = &call.request.body;
    let data_source = body["data_source"].clone();
    let now_ms = lifecycle::now_ms();
    let id = new_id(&mut generator.rng, "evalrun_");
    let read = data::read(call, &data_source["source"]);
    let mut datums = read.clone().unwrap_or_default();
    let sampled = data::sample_all(&data_source, &mut datums, generator.now());
    let model = sampled
        .as_ref()
        .map(|(m, _)| m.clone())
        .or_else(|| data_source["source"]["model"].as_str().map(str::to_string))
        .unwrap_or_default();
    let name = match body.get("name").and_then(Value::as_str) {
        Some(name) => name.to_string(),
        None if model.is_empty() => format!("{} run", eval.body["name"].as_str().unwrap_or("eval")),
        None => model.clone(),
    };
    let run = json!({
        "object": "eval.run",
        "id": id,
        "eval_id": eval.id,
        "status": "queued",
        "model": model,
        "name": name,
        "created_at": now_ms / 1000,
        "report_url": format!("https://platform.openai.com/evaluations/{}?run_id={id}", eval.id),
        "result_counts": {"total": 0, "errored": 0, "failed": 0, "passed": 0},
        "per_model_usage": [],
        "per_testing_criteria_results": [],
        "data_source": data_source,
        "metadata": metadata_of(body),
        "error": null,
    });
    let total_ms = call.store.settings.lifecycle_ms;
    let started = Stage {
        at_ms: now_ms + total_ms / 3,
        patch: json!({"status": "in_progress"}),
    };
    let stages = match read {
        Err(error) => vec![
            started,
            Stage {
                at_ms: now_ms + total_ms,
                patch: json!({"status": "failed", "error": error}),
            },
        ],
        Ok(_) => {
            let criteria = eval.body["testing_criteria"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let graded = grade(&criteria, &datums);
            store_items(call, generator, &eval.id, &id, &graded.items, now_ms);
            let done = json!({
                "status": "completed",
                "result_counts": {"total": graded.total, "errored": graded.errored,
                                  "failed": graded.failed, "passed": graded.passed},
                "per_testing_criteria_results": graded.per_criterion.iter()
                    .map(|(c, p, f)| json!({"testing_criteria": c, "passed": p, "failed": f}))
                    .collect::<Vec<_>>(),
                "per_model_usage": usage(sampled.as_ref()),
            });
            vec![
                started,
                Stage {
                    at_ms: now_ms + total_ms,
                    patch: done,
                },
            ]
        }
    };
    let mut run = run;
    super::keep_fitting(call, &mut run, answer, &["data_source"]);
    let mut object = Object::new(KIND, &id, run);
    object.parent = Some(eval.id.clone());
    lifecycle::set_stages(&mut object.extra, &stages);
    *answer = current(&object);
    if let Err(error) = call.store.create(call.namespace, object) {
        tracing::warn!(%id, message = %error.message, "eval run not stored");
    }
}

fn usage(sampled: Option<&(String, Usage)>) -> Vec<Value> {
    sampled
        .filter(|(_, usage)| usage.invocations > 0)
        .map(|(model, usage)| {
            json!({
                "model_name": model,
                "invocation_count": usage.invocations,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.prompt_tokens + usage.completion_tokens,
                "cached_tokens": 0,
            })
        })
        .into_iter()
        .collect()
}

/// Stores the output items of run `run_id` (shown once the run has completed).
fn store_items(
    call: &Call,
    generator: &mut Generator,
    eval_id: &str,
    run_id: &str,
    items: &[Value],
    now_ms: u64,
) {
    for (index, item) in items.iter().enumerate() {
        let id = new_id(&mut generator.rng, "outputitem_");
        let mut body = json!({
            "object": "eval.run.output_item",
            "id": id,
            "run_id": run_id,
            "eval_id": eval_id,
            "created_at": (now_ms + call.store.settings.lifecycle_ms) / 1000,
            "datasource_item_id": index,
        });
        for (key, value) in item.as_object().into_iter().flatten() {
            set(&mut body, key, value.clone());
        }
        let mut object = Object::new(ITEM_KIND, &id, body);
        object.parent = Some(run_id.to_string());
        if let Err(error) = call.store.create(call.namespace, object) {
            tracing::warn!(%id, message = %error.message, "eval output item not stored");
            return;
        }
    }
}

fn check_cancel(call: &Call) -> Result<(), ApiError> {
    let Some(run) = find(call)? else {
        return Ok(());
    };
    let status = current(&run)["status"].as_str().unwrap_or("").to_string();
    if FINISHED.contains(&status.as_str()) {
        return Err(ApiError::invalid_request(format!(
            "Cannot cancel run {}: its status is '{status}'. Only a queued or in-progress run \
             can be canceled.",
            run.id
        ))
        .with_param("run_id"));
    }
    Ok(())
}

/// Replaces the stages still to come with `canceled` (now), and drops the output items.
fn cancel(call: &Call, answer: &mut Value, _: &mut Generator) {
    let Ok(Some(run)) = find(call) else {
        return;
    };
    let now_ms = lifecycle::now_ms();
    let mut stages: Vec<Stage> = lifecycle::stages(&run.extra)
        .into_iter()
        .filter(|s| s.at_ms <= now_ms)
        .collect();
    stages.push(Stage {
        at_ms: now_ms,
        patch: json!({"status": "canceled"}),
    });
    for item in call.store.list(call.namespace, ITEM_KIND, Some(&run.id)) {
        call.store.delete(call.namespace, ITEM_KIND, &item.id);
    }
    let updated = call.store.update(call.namespace, KIND, &run.id, |object| {
        lifecycle::set_stages(&mut object.extra, &stages);
    });
    if let Some(updated) = updated {
        *answer = current(&updated);
    }
}
