//! The event stream of a streamed run turn (`stream: true` on create run, create thread and
//! run, and submit tool outputs), read back from what the turn stored:
//!
//! `thread.created` (a new thread) · `thread.run.created`, `thread.run.queued` (a new run) ·
//! `thread.run.step.completed` (the calls a resumed run got outputs for) ·
//! `thread.run.queued`/`in_progress` (the turn's stages before the last) · per step:
//! `thread.run.step.created`, `thread.run.step.in_progress` (and `.completed` for a finished
//! tool step) · per message: `thread.message.created`, `thread.message.in_progress`,
//! `thread.message.delta`… (the text in token deltas, the annotations with the last one),
//! `thread.message.completed` (or `.incomplete`), then its `thread.run.step.completed` ·
//! the run's last stage (`thread.run.completed`, `incomplete` or `requires_action`) ·
//! `done` with `[DONE]`.
//!
//! Each event is named by `event:` and carries the object (or delta) as `data`; the deltas
//! join into exactly the stored message text. A run that is not stored (an unknown id under
//! lenient ids) streams the generated run, finished.

use super::super::steps::{includes_results, presented};
use super::super::RUN_KIND as KIND;
use super::super::{shown, MESSAGE_KIND, STEP_KIND, THREAD_KIND};
use crate::endpoints::stored::current;
use crate::endpoints::vector_stores::string_array;
use crate::endpoints::Call;
use crate::services::sse::{token_deltas, Event};
use crate::store::lifecycle::{self, Stage};
use crate::store::{Found, Object};
use serde_json::{json, Value};

fn event(name: &str, data: &Value) -> Event {
    Event {
        name: Some(name.to_string()),
        data: data.to_string(),
    }
}

fn done() -> Event {
    Event {
        name: Some("done".into()),
        data: "[DONE]".into(),
    }
}

/// Run statuses a stream can end with.
const FINAL: [&str; 6] = [
    "requires_action",
    "completed",
    "incomplete",
    "failed",
    "cancelled",
    "expired",
];

/// The events of the turn the request started (see the module notes); for a run that is
/// not stored (an unknown id under lenient ids) the generated run, finished.
pub fn events(call: &Call, answer: Option<&Value>) -> Option<Vec<Event>> {
    let answer = answer?;
    let id = answer.get("id").and_then(Value::as_str).unwrap_or_default();
    let Found::Live(run) = call.store.get(call.namespace, KIND, id) else {
        // A generated run: it is shown finished, so clients waiting for a final run get one.
        let mut run = answer.clone();
        if !FINAL.contains(&run["status"].as_str().unwrap_or_default()) {
            crate::endpoints::stored::set(&mut run, "status", json!("completed"));
            crate::endpoints::stored::set(&mut run, "required_action", Value::Null);
        }
        return Some(vec![event(&status_event("thread.run", &run), &run), done()]);
    };
    let now = lifecycle::now_ms();
    let turn = &run.extra["turn"];
    let include = includes_results(call);
    let mut out = Vec::new();
    if turn["new_thread"] == true {
        if let Found::Live(thread) = call.store.get(
            call.namespace,
            THREAD_KIND,
            run.body["thread_id"].as_str().unwrap_or_default(),
        ) {
            out.push(event("thread.created", &current(&thread)));
        }
    }
    let stages = lifecycle::stages(&run.extra);
    let first = turn["first"].as_u64().unwrap_or(0) as usize;
    let state =
        |upto: usize| lifecycle::view(&run.body, &stages[..upto.min(stages.len())], u64::MAX);
    if first == 0 {
        out.push(event("thread.run.created", &run.body));
        out.push(event("thread.run.queued", &run.body));
    }
    for id in ids(&turn["done"]) {
        if let Some(step) = child(call, STEP_KIND, &id, now) {
            out.push(event(
                "thread.run.step.completed",
                &presented(step, include),
            ));
        }
    }
    let turn_stages: Vec<usize> = (first..stages.len())
        .filter(|&k| stages.get(k).is_some_and(|s: &Stage| s.at_ms <= now))
        .collect();
    let (last, before) = match turn_stages.split_last() {
        Some((last, before)) => (Some(*last), before.to_vec()),
        None => (None, Vec::new()),
    };
    for k in before {
        let run_now = state(k + 1);
        out.push(event(&status_event("thread.run", &run_now), &run_now));
    }
    let mut pending_step = None;
    for id in ids(&turn["objects"]) {
        if let Some(object) = stored(call, &id) {
            let initial = object.body.clone();
            let Some(last_view) = shown(&object, now) else {
                continue;
            };
            if object.kind == MESSAGE_KIND {
                message_events(
                    &mut out,
                    &initial,
                    &last_view,
                    run.body["model"].as_str().unwrap_or("gpt-4o"),
                );
                if let Some(step) = pending_step.take() {
                    out.push(event(&status_event("thread.run.step", &step), &step));
                }
                continue;
            }
            let initial = presented(initial, include);
            let last_view = presented(last_view, include);
            out.push(event("thread.run.step.created", &initial));
            out.push(event("thread.run.step.in_progress", &initial));
            match (last_view["type"].as_str(), last_view["status"].as_str()) {
                (Some("message_creation"), _) => pending_step = Some(last_view),
                (_, Some("in_progress")) => {}
                _ => out.push(event(
                    &status_event("thread.run.step", &last_view),
                    &last_view,
                )),
            }
        }
    }
    if let Some(k) = last {
        let run_now = state(k + 1);
        out.push(event(&status_event("thread.run", &run_now), &run_now));
    }
    out.push(done());
    Some(out)
}

/// `{prefix}.{status}` of an object.
fn status_event(prefix: &str, object: &Value) -> String {
    format!(
        "{prefix}.{}",
        object["status"].as_str().unwrap_or("in_progress")
    )
}

fn ids(value: &Value) -> Vec<String> {
    string_array(Some(value))
}

/// A step or message of the turn, by id.
fn stored(call: &Call, id: &str) -> Option<std::sync::Arc<Object>> {
    [STEP_KIND, MESSAGE_KIND].iter().find_map(|kind| {
        match call.store.get(call.namespace, kind, id) {
            Found::Live(object) => Some(object),
            _ => None,
        }
    })
}

fn child(call: &Call, kind: &str, id: &str, now: u64) -> Option<Value> {
    match call.store.get(call.namespace, kind, id) {
        Found::Live(object) => shown(&object, now),
        _ => None,
    }
}

/// A message's events: created and in progress (empty), its text in deltas (annotations
/// with the last), and its final status.
fn message_events(out: &mut Vec<Event>, initial: &Value, last: &Value, model: &str) {
    out.push(event("thread.message.created", initial));
    out.push(event("thread.message.in_progress", initial));
    let text = last
        .pointer("/content/0/text/value")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let annotations: Vec<Value> = last
        .pointer("/content/0/text/annotations")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .enumerate()
                .map(|(index, a)| {
                    let mut a = a.clone();
                    a["index"] = json!(index);
                    a
                })
                .collect()
        })
        .unwrap_or_default();
    let mut deltas = token_deltas(model, text);
    if deltas.is_empty() {
        deltas.push(String::new());
    }
    let count = deltas.len();
    for (i, piece) in deltas.into_iter().enumerate() {
        let mut text = json!({"value": piece});
        if i + 1 == count && !annotations.is_empty() {
            text["annotations"] = json!(annotations);
        }
        let delta = json!({
            "id": last["id"],
            "object": "thread.message.delta",
            "delta": {"content": [{"index": 0, "type": "text", "text": text}]},
        });
        out.push(event("thread.message.delta", &delta));
    }
    out.push(event(&status_event("thread.message", last), last));
}
