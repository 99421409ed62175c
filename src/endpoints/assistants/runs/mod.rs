//! Runs: created on a thread (or with a new thread, `POST /threads/runs`), listed,
//! retrieved, modified (metadata), cancelled, and resumed with tool outputs.
//!
//! A run is stored with its timeline ([`work`] decides what it does and schedules it): it
//! goes `queued` → `in_progress` → `requires_action` (function calls) or `completed` /
//! `incomplete`, over `--lifecycle-ms`; answers carry `openai-poll-after-ms`, so the SDKs'
//! `create_and_poll` returns as soon as the run gets there. `submit_tool_outputs` (only in
//! `requires_action`, with an output for exactly the calls asked for) completes the
//! calls' step with the outputs and schedules the next turn from that moment (`queued`
//! again, then `in_progress` and the answer, which quotes the outputs). Cancelling replaces
//! the stages still to come with `cancelling` and, half a lifecycle later, `cancelled`; the
//! steps and message not yet shown are dropped, those in progress end `cancelled` /
//! `incomplete`.
//!
//! With `stream: true` the turn happens at once (its stages all begin at the request) and
//! the answer is its event stream ([`stream`]). The run's `extra.turn` records the turn
//! for the stream: the index of its first stage, the steps and message it stored, the
//! steps it completed on resuming, and whether it created the thread.

pub mod stream;
pub mod work;

use super::messages::{add_message, check_messages, thread_messages, KIND as MESSAGE_KIND};
use super::threads::create_thread;
use super::{field_or, find, find_run, find_thread, shown, vector_store_ids, THREAD_KIND};
use crate::endpoints::stored::{current, page, path_param, set};
use crate::endpoints::{Call, Endpoint};
use crate::error::ApiError;
use crate::generate::{new_id, Generator};
use crate::store::lifecycle::{self, Stage};
use crate::store::{Found, Object};
use serde_json::{json, Value};
use work::{conversation, schedule, think, EXPIRES_AFTER_SECS};

pub use super::RUN_KIND as KIND;

/// `POST /threads/{thread_id}/runs`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createRun"],
    check: |call| {
        find_thread(call)?;
        check_messages(
            call.request.body.get("additional_messages"),
            "additional_messages",
        )?;
        check_assistant(call)
    },
    shape: |call, answer, generator| {
        let thread = path_param(call, "thread_id").to_string();
        *answer = start(call, &thread, false, generator);
    },
    wants_stream: |call| call.request.wants_stream(),
    stream: stream::events,
    polled: true,
    ..Endpoint::GENERIC
};

/// `POST /threads/runs`.
pub const CREATE_AND_RUN: Endpoint = Endpoint {
    ops: &["createThreadAndRun"],
    check: |call| {
        let messages = call.request.body.pointer("/thread/messages");
        check_messages(messages, "thread.messages")?;
        check_assistant(call)
    },
    shape: |call, answer, generator| {
        let given = call
            .request
            .body
            .get("thread")
            .cloned()
            .unwrap_or(json!({}));
        let thread = create_thread(call, &given, generator);
        let thread = thread["id"].as_str().unwrap_or_default().to_string();
        *answer = start(call, &thread, true, generator);
    },
    wants_stream: |call| call.request.wants_stream(),
    stream: stream::events,
    polled: true,
    ..Endpoint::GENERIC
};

/// `GET /threads/{thread_id}/runs`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listRuns"],
    check: |call| find_thread(call).map(drop),
    shape: |call, answer, _| {
        let thread = path_param(call, "thread_id");
        let runs = call
            .store
            .list(call.namespace, KIND, Some(thread))
            .iter()
            .map(|r| current(r))
            .collect();
        page(call, runs, answer, "desc");
    },
    ..Endpoint::GENERIC
};

/// `GET /threads/{thread_id}/runs/{run_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getRun"],
    check: |call| find_run(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(run)) = find_run(call) {
            *answer = current(&run);
        }
    },
    polled: true,
    ..Endpoint::GENERIC
};

/// `POST /threads/{thread_id}/runs/{run_id}`.
pub const MODIFY: Endpoint = Endpoint {
    ops: &["modifyRun"],
    check: |call| find_run(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(run)) = find_run(call) {
            if let Some(updated) = super::modify(call, &run, &["metadata"]) {
                *answer = current(&updated);
            }
        }
    },
    ..Endpoint::GENERIC
};

/// `POST /threads/{thread_id}/runs/{run_id}/cancel`.
pub const CANCEL: Endpoint = Endpoint {
    ops: &["cancelRun"],
    check: check_cancel,
    shape: cancel,
    polled: true,
    ..Endpoint::GENERIC
};

/// `POST /threads/{thread_id}/runs/{run_id}/submit_tool_outputs`.
pub const SUBMIT_TOOL_OUTPUTS: Endpoint = Endpoint {
    ops: &["submitToolOuputsToRun"],
    check: check_submit,
    shape: submit,
    wants_stream: |call| call.request.wants_stream(),
    stream: stream::events,
    polled: true,
    ..Endpoint::GENERIC
};

/// A named assistant must exist under strict ids, and must not have been deleted.
fn check_assistant(call: &Call) -> Result<(), ApiError> {
    let id = call.request.body_str("assistant_id").unwrap_or_default();
    find(call, super::KIND, id, "assistant").map_err(|e| e.with_param("assistant_id"))?;
    call.store.check_room(16 * 1024)
}

/// Total milliseconds a turn takes: the lifecycle, or nothing when it is streamed.
fn turn_ms(call: &Call) -> u64 {
    match call.request.wants_stream() {
        true => 0,
        false => call.store.settings.lifecycle_ms,
    }
}

/// Creates and stores a run on `thread` from the request, with its first turn.
fn start(call: &Call, thread: &str, new_thread: bool, generator: &mut Generator) -> Value {
    let body = &call.request.body;
    let now_ms = lifecycle::now_ms();
    let created = now_ms / 1000;
    let assistant_id = call.request.body_str("assistant_id").unwrap_or_default();
    let assistant = match call.store.get(call.namespace, super::KIND, assistant_id) {
        Found::Live(a) => a.body.clone(),
        _ => Value::Null,
    };
    let pick = |key: &str, default: Value| {
        let from_assistant = field_or(&assistant, key, default);
        field_or(body, key, from_assistant)
    };
    let mut instructions = pick("instructions", json!(""))
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Some(more) = call.request.body_str("additional_instructions") {
        instructions = [instructions.as_str(), more]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    let id = new_id(&mut generator.rng, "run_");
    let run = json!({
        "id": id,
        "object": KIND,
        "created_at": created,
        "thread_id": thread,
        "assistant_id": assistant_id,
        "status": "queued",
        "required_action": null,
        "last_error": null,
        "expires_at": created + EXPIRES_AFTER_SECS,
        "started_at": null,
        "cancelled_at": null,
        "failed_at": null,
        "completed_at": null,
        "incomplete_details": null,
        "model": pick("model", json!("gpt-4o")),
        "instructions": instructions,
        "tools": pick("tools", json!([])),
        "metadata": field_or(body, "metadata", json!({})),
        "usage": null,
        "temperature": pick("temperature", json!(1.0)),
        "top_p": pick("top_p", json!(1.0)),
        "max_prompt_tokens": field_or(body, "max_prompt_tokens", Value::Null),
        "max_completion_tokens": field_or(body, "max_completion_tokens", Value::Null),
        "truncation_strategy": field_or(body, "truncation_strategy", json!({"type": "auto", "last_messages": null})),
        "tool_choice": field_or(body, "tool_choice", json!("auto")),
        "parallel_tool_calls": field_or(body, "parallel_tool_calls", json!(true)),
        "response_format": pick("response_format", json!("auto")),
    });
    let extra_messages = body.get("additional_messages").and_then(Value::as_array);
    for message in extra_messages.into_iter().flatten() {
        add_message(call, thread, message, generator);
    }
    let thread_resources = match call.store.get(call.namespace, THREAD_KIND, thread) {
        Found::Live(t) => t.body.get("tool_resources").cloned(),
        _ => None,
    };
    let mut stores = vector_store_ids(thread_resources.as_ref());
    stores.extend(vector_store_ids(assistant.get("tool_resources")));
    let (work, phase) = take_turn(
        call,
        &run,
        (&[], &[]),
        &stores,
        (now_ms, true, (0, 0)),
        generator,
    );
    let mut object = Object::new(KIND, &id, run);
    object.parent = Some(thread.to_string());
    lifecycle::set_stages(&mut object.extra, &phase.stages);
    set(
        &mut object.extra,
        "turn",
        json!({"first": 0, "objects": phase.objects, "done": [], "new_thread": new_thread}),
    );
    set(
        &mut object.extra,
        "usage",
        json!([work.prompt_tokens, work.completion_tokens]),
    );
    let answer = current(&object);
    if let Err(error) = call.store.create(call.namespace, object) {
        tracing::warn!(%id, message = %error.message, "run not stored");
    }
    answer
}

/// Decides and schedules one turn of `run` on its thread's messages as of `now_ms` (and the
/// `answered` calls with their outputs, when it resumes): the work and its phase.
/// `first` is whether this is the run's first turn, `before` the usage of earlier turns.
fn take_turn(
    call: &Call,
    run: &Value,
    answered: (&[Value], &[Value]),
    stores: &[String],
    (now_ms, first, before): (u64, bool, (u64, u64)),
    generator: &mut Generator,
) -> (work::Work, work::Phase) {
    let thread = run["thread_id"].as_str().unwrap_or_default();
    let messages = thread_messages(call, thread, now_ms);
    let chat = conversation(run, &messages, answered.0, answered.1);
    let rng = &mut generator.rng;
    let work = think(call, run, &chat, stores, messages.len(), rng);
    let span = (now_ms, turn_ms(call));
    let phase = schedule(call, run, &work, span, first, before, rng);
    (work, phase)
}

/// Statuses a run can be cancelled in.
const CANCELLABLE: [&str; 3] = ["queued", "in_progress", "requires_action"];

fn check_cancel(call: &Call) -> Result<(), ApiError> {
    let Some(run) = find_run(call)? else {
        return Ok(());
    };
    let status = current(&run)["status"].as_str().unwrap_or("").to_string();
    if CANCELLABLE.contains(&status.as_str()) || status == "cancelling" {
        return Ok(());
    }
    Err(ApiError::invalid_request(format!(
        "Cannot cancel run with status '{status}'."
    )))
}

fn cancel(call: &Call, answer: &mut Value, _: &mut Generator) {
    let Ok(Some(run)) = find_run(call) else {
        return;
    };
    if current(&run)["status"] == "cancelling" {
        *answer = current(&run);
        return;
    }
    let now_ms = lifecycle::now_ms();
    let done_ms = now_ms + call.store.settings.lifecycle_ms / 2;
    let mut stages = past(&run, now_ms);
    stages.push(Stage {
        at_ms: now_ms,
        patch: json!({"status": "cancelling", "required_action": null}),
    });
    stages.push(Stage {
        at_ms: done_ms,
        patch: json!({"status": "cancelled", "cancelled_at": done_ms / 1000, "expires_at": null}),
    });
    let ns = call.namespace;
    let thread = run.parent.clone().unwrap_or_default();
    let steps = call.store.list(ns, super::STEP_KIND, Some(&run.id));
    let messages = call
        .store
        .list(ns, MESSAGE_KIND, Some(&thread))
        .into_iter()
        .filter(|m| m.body["run_id"] == run.id.as_str());
    for child in steps.into_iter().chain(messages) {
        let ending = match child.kind.as_str() {
            MESSAGE_KIND => json!({"status": "incomplete", "incomplete_at": done_ms / 1000,
                                   "incomplete_details": {"reason": "run_cancelled"}}),
            _ => json!({"status": "cancelled", "cancelled_at": done_ms / 1000}),
        };
        end_child(call, &child, now_ms, done_ms, ending);
    }
    let updated = call.store.update(ns, KIND, &run.id, |object| {
        lifecycle::set_stages(&mut object.extra, &stages);
    });
    if let Some(updated) = updated {
        *answer = current(&updated);
    }
}

/// The stages of `object` that have begun by `now_ms`.
fn past(object: &Object, now_ms: u64) -> Vec<Stage> {
    lifecycle::stages(&object.extra)
        .into_iter()
        .filter(|s| s.at_ms <= now_ms)
        .collect()
}

/// Ends a cancelled run's step or message: dropped when it has not appeared yet; else its
/// stages still to come give way to `ending` (at `done_ms`) if it is still in progress.
fn end_child(call: &Call, child: &Object, now_ms: u64, done_ms: u64, ending: Value) {
    let Some(now) = shown(child, now_ms) else {
        call.store.delete(call.namespace, &child.kind, &child.id);
        return;
    };
    if now["status"] != "in_progress" {
        return;
    }
    let mut stages = past(child, now_ms);
    stages.push(Stage {
        at_ms: done_ms,
        patch: ending,
    });
    call.store
        .update(call.namespace, &child.kind, &child.id, |object| {
            lifecycle::set_stages(&mut object.extra, &stages);
        });
}

/// The ids of the calls a run in `requires_action` waits for.
fn awaited(run: &Value) -> Vec<String> {
    run.pointer("/required_action/submit_tool_outputs/tool_calls")
        .and_then(Value::as_array)
        .map(|calls| {
            calls
                .iter()
                .filter_map(|c| c["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A list of ids as the real API's messages write them: `['a', 'b']`.
fn id_list(ids: &[String]) -> String {
    let quoted: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    format!("[{}]", quoted.join(", "))
}

fn check_submit(call: &Call) -> Result<(), ApiError> {
    let Some(run) = find_run(call)? else {
        return Ok(());
    };
    let run = current(&run);
    let status = run["status"].as_str().unwrap_or_default();
    if status != "requires_action" {
        return Err(ApiError::invalid_request(format!(
            "Runs in status \"{status}\" do not accept tool outputs."
        )));
    }
    let mut expected = awaited(&run);
    let outputs = call.request.body["tool_outputs"].as_array();
    let mut got: Vec<String> = outputs
        .into_iter()
        .flatten()
        .map(|o| o["tool_call_id"].as_str().unwrap_or_default().to_string())
        .collect();
    let (shown_expected, shown_got) = (id_list(&expected), id_list(&got));
    expected.sort();
    got.sort();
    if expected != got {
        return Err(ApiError::invalid_request(format!(
            "Expected tool outputs for call_ids {shown_expected}, got {shown_got}"
        ))
        .with_param("tool_outputs"));
    }
    call.store.check_room(16 * 1024)
}

fn submit(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let Ok(Some(run)) = find_run(call) else {
        return;
    };
    let now_ms = lifecycle::now_ms();
    let shown_run = current(&run);
    let calls = shown_run
        .pointer("/required_action/submit_tool_outputs/tool_calls")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let outputs = call.request.body["tool_outputs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let before: Vec<u64> = serde_json::from_value(run.extra["usage"].clone()).unwrap_or_default();
    let before = (
        before.first().copied().unwrap_or(0),
        before.get(1).copied().unwrap_or(0),
    );
    let done = complete_calls(call, &run, &calls, &outputs, now_ms, before);
    let answered = (calls.as_slice(), outputs.as_slice());
    let (work, phase) = take_turn(
        call,
        &shown_run,
        answered,
        &[],
        (now_ms, false, before),
        generator,
    );
    let mut stages = past(&run, now_ms);
    let first = stages.len();
    stages.push(Stage {
        at_ms: now_ms,
        patch: json!({"status": "queued", "required_action": null}),
    });
    stages.extend(phase.stages);
    let total = [
        before.0 + work.prompt_tokens,
        before.1 + work.completion_tokens,
    ];
    let updated = call.store.update(call.namespace, KIND, &run.id, |object| {
        lifecycle::set_stages(&mut object.extra, &stages);
        set(
            &mut object.extra,
            "turn",
            json!({"first": first, "objects": phase.objects, "done": done, "new_thread": false}),
        );
        set(&mut object.extra, "usage", json!(total));
    });
    if let Some(updated) = updated {
        *answer = current(&updated);
    }
}

/// Completes the run's waiting `tool_calls` step with the outputs; the ids of the steps
/// completed.
fn complete_calls(
    call: &Call,
    run: &Object,
    calls: &[Value],
    outputs: &[Value],
    now_ms: u64,
    usage: (u64, u64),
) -> Vec<String> {
    let output_of = |id: &Value| {
        outputs
            .iter()
            .find(|o| &o["tool_call_id"] == id)
            .and_then(|o| o["output"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let answered: Vec<Value> = calls
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c["function"]["output"] = json!(output_of(&c["id"]));
            c
        })
        .collect();
    let mut done = Vec::new();
    for step in call
        .store
        .list(call.namespace, super::STEP_KIND, Some(&run.id))
    {
        let Some(now) = shown(&step, now_ms) else {
            continue;
        };
        if now["type"] != "tool_calls" || now["status"] != "in_progress" {
            continue;
        }
        let mut stages = past(&step, now_ms);
        stages.push(Stage {
            at_ms: now_ms,
            patch: json!({
                "status": "completed",
                "completed_at": now_ms / 1000,
                "step_details": {"type": "tool_calls", "tool_calls": answered},
                "usage": work::usage(usage.0, usage.1),
            }),
        });
        call.store
            .update(call.namespace, &step.kind, &step.id, |object| {
                lifecycle::set_stages(&mut object.extra, &stages);
            });
        done.push(step.id.clone());
    }
    done
}
