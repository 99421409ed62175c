//! What a run does, decided when it is created (or resumed with tool outputs), and how it
//! unfolds over the lifecycle.
//!
//! **Deciding** ([`think`]), on the conversation of the thread (the run's instructions, the
//! thread's messages, and for a resumed run the calls and their outputs):
//! 1. function tools the conversation refers to, under `tool_choice` and
//!    `parallel_tool_calls` (the same selection and argument builder as chat completions):
//!    the run stops at `requires_action` with those calls;
//! 2. else, with a `file_search` tool and vector stores on the assistant or the thread: the
//!    question is searched ([`file_search`](crate::endpoints::file_search)) and the answer
//!    cites the files it quotes;
//! 3. else a reply, like chat's (tool outputs are quoted when the run resumes), in the
//!    run's `response_format`.
//!
//! `max_completion_tokens` cuts the text (the run is then `incomplete`); token counts use
//! the model's tokenizer: the prompt as chat counts it (plus the retrieved chunks), the
//! completion as the text or the calls' names and arguments.
//!
//! **Unfolding** ([`schedule`]), over `total_ms` from `start_ms` in thirds: the run is
//! `in_progress` at the first third; its steps and message appear then (a file search step
//! first, completing at the second third, before the message); at the end the message, its
//! step and the run complete together, with `usage`. A run that needs tool outputs is
//! `requires_action` at the second third, and `expired` at `expires_at` unless answered.

use super::super::messages;
use super::super::steps;
use crate::endpoints::chat::{context_of, prompt_tokens, structured_text};
use crate::endpoints::file_search::{self, Search};
use crate::endpoints::stored::set;
use crate::endpoints::Call;
use crate::generate::{new_id, Rng};
use crate::services::model::text;
use crate::services::model::tools::{self, Choice, Tool};
use crate::services::tokens::Encoding;
use crate::store::lifecycle::Stage;
use serde_json::{json, Value};

/// Seconds from a run's creation to its `expires_at`.
pub const EXPIRES_AFTER_SECS: u64 = 600;

/// What the model does in one turn of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Calls functions: `RunToolCallObject`s, for `required_action`.
    Calls(Vec<Value>),
    /// Answers.
    Reply {
        /// The message text (with citation markers after a file search).
        text: String,
        /// The text's annotations.
        annotations: Vec<Value>,
        /// The file search tool call (with its results), when the answer searched.
        search: Option<Value>,
        /// Whether `max_completion_tokens` cut the text.
        cut: bool,
    },
}

/// A decision and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Work {
    /// What the model does.
    pub decision: Decision,
    /// Prompt tokens of this turn.
    pub prompt_tokens: u64,
    /// Completion tokens of this turn.
    pub completion_tokens: u64,
}

/// The chat messages a run answers: its instructions, the thread's messages, and (when it
/// resumes) the assistant's calls and the tool outputs.
pub fn conversation(
    run: &Value,
    thread: &[Value],
    calls: &[Value],
    outputs: &[Value],
) -> Vec<Value> {
    let mut chat = Vec::new();
    if let Some(instructions) = run["instructions"].as_str().filter(|i| !i.is_empty()) {
        chat.push(json!({"role": "system", "content": instructions}));
    }
    for message in thread {
        chat.push(json!({"role": message["role"], "content": message_text(message)}));
    }
    if !calls.is_empty() {
        chat.push(json!({"role": "assistant", "content": null, "tool_calls": calls}));
        for output in outputs {
            chat.push(json!({
                "role": "tool",
                "tool_call_id": output["tool_call_id"],
                "content": output.get("output").and_then(Value::as_str).unwrap_or_default(),
            }));
        }
    }
    chat
}

/// The text parts of a thread message, joined by newlines.
pub fn message_text(message: &Value) -> String {
    message["content"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p.pointer("/text/value").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// What the run does next on `chat` (see the module notes). `stores` are the vector stores
/// the file search tool may read; `message_index` numbers the citation markers.
pub fn think(
    call: &Call,
    run: &Value,
    chat: &[Value],
    stores: &[String],
    message_index: usize,
    rng: &mut Rng,
) -> Work {
    let model = run["model"].as_str().unwrap_or("gpt-4o");
    let encoding = Encoding::for_model(model);
    let run_tools = run["tools"].as_array().cloned().unwrap_or_default();
    let functions: Vec<Tool> = run_tools.iter().filter_map(Tool::from_chat).collect();
    let search_tool = run_tools
        .iter()
        .find(|t| t["type"] == "file_search")
        .cloned();
    let choice = Choice::from_chat(run.get("tool_choice"));
    let forced_search = run.pointer("/tool_choice/type") == Some(&json!("file_search"));
    let context = context_of(chat);
    let parallel = run["parallel_tool_calls"] != false;
    let mut prompt = prompt_tokens(encoding, chat, &functions) as u64;
    let now = (crate::store::lifecycle::now_ms() / 1000) as i64;
    if !forced_search {
        let selected = tools::select(&functions, &choice, &context, parallel);
        if !selected.is_empty() {
            let made = tools::calls(&selected, &context, parallel, now, rng);
            let completion = made
                .iter()
                .map(|c| encoding.count(&c.name) + encoding.count(&c.input))
                .sum::<usize>() as u64;
            let calls = made
                .iter()
                .map(|c| {
                    json!({
                        "id": new_id(rng, "call_"),
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.input},
                    })
                })
                .collect();
            return Work {
                decision: Decision::Calls(calls),
                prompt_tokens: prompt,
                completion_tokens: completion,
            };
        }
    }
    let budget = run["max_completion_tokens"].as_u64().map(|b| b as usize);
    let searching = search_tool.is_some()
        && !stores.is_empty()
        && choice != Choice::None
        && context.tool_results.is_empty()
        && !context.last_user.trim().is_empty();
    let (text, annotations, search) = match (searching, &search_tool) {
        (true, Some(tool)) => {
            let max = tool
                .pointer("/file_search/max_num_results")
                .and_then(Value::as_u64)
                .map_or(file_search::DEFAULT_RESULTS, |n| n as usize);
            let threshold = tool
                .pointer("/file_search/ranking_options/score_threshold")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let results = file_search::search(
                call,
                &Search {
                    vector_store_ids: stores,
                    query: &context.last_user,
                    max_num_results: max,
                    score_threshold: threshold as f32,
                    filters: None,
                },
            );
            for result in &results {
                prompt +=
                    encoding.count(result["content"][0]["text"].as_str().unwrap_or("")) as u64;
            }
            let (text, annotations) =
                file_search::compose(&context.last_user, &results).with_markers(message_index);
            let step_results: Vec<Value> = results
                .iter()
                .map(|r| {
                    json!({
                        "file_id": r["file_id"],
                        "file_name": r["filename"],
                        "score": r["score"],
                        "content": r["content"],
                    })
                })
                .collect();
            let search = json!({
                "id": new_id(rng, "call_"),
                "type": "file_search",
                "file_search": {
                    "ranking_options": {"ranker": "default_2024_08_21", "score_threshold": threshold},
                    "results": step_results,
                },
            });
            (text, annotations, Some(search))
        }
        _ => {
            let reply = text::reply(&context, rng);
            let text = structured_text(run.get("response_format"), &context, &reply, now, rng)
                .unwrap_or(reply);
            (text, Vec::new(), None)
        }
    };
    let (text, cut) = match budget {
        Some(budget) => text::truncate_tokens(encoding, &text, budget),
        None => (text, false),
    };
    let length = text.chars().count() as u64;
    let annotations = annotations
        .into_iter()
        .filter(|a| a["end_index"].as_u64().is_some_and(|end| end <= length))
        .collect();
    Work {
        completion_tokens: encoding.count(&text) as u64,
        prompt_tokens: prompt,
        decision: Decision::Reply {
            text,
            annotations,
            search,
            cut,
        },
    }
}

/// How a turn unfolds: the run's stages for it and the objects it stores.
#[derive(Debug, Clone, Default)]
pub struct Phase {
    /// The run's stages of this turn, in order.
    pub stages: Vec<Stage>,
    /// The steps and the message the turn stores, in the order they appear.
    pub objects: Vec<String>,
}

/// Usage as the API shows it.
pub fn usage(prompt: u64, completion: u64) -> Value {
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

/// Stores what `work` produces for `run` (its steps, its message) and returns the run's
/// stages, over `total_ms` from `start_ms` (see the module notes). `first` is whether this
/// is the run's first turn (it sets `started_at`); `before` is the usage of earlier turns.
pub fn schedule(
    call: &Call,
    run: &Value,
    work: &Work,
    (start_ms, total_ms): (u64, u64),
    first: bool,
    before: (u64, u64),
    rng: &mut Rng,
) -> Phase {
    let at = |i: u64| start_ms + total_ms * i / 3;
    let secs = |ms: u64| ms / 1000;
    let run_id = run["id"].as_str().unwrap_or_default();
    let thread = run["thread_id"].as_str().unwrap_or_default();
    let mut phase = Phase::default();
    let mut in_progress = json!({"status": "in_progress"});
    if first {
        set(&mut in_progress, "started_at", json!(secs(at(1))));
    }
    phase.stages.push(Stage {
        at_ms: at(1),
        patch: in_progress,
    });
    let turn_usage = usage(work.prompt_tokens, work.completion_tokens);
    match &work.decision {
        Decision::Calls(calls) => {
            let expiry_ms = run["expires_at"].as_u64().unwrap_or(0) * 1000;
            let details: Vec<Value> = calls
                .iter()
                .map(|c| {
                    let mut c = c.clone();
                    c["function"]["output"] = Value::Null;
                    c
                })
                .collect();
            let step = steps::body(
                run,
                "tool_calls",
                json!({"type": "tool_calls", "tool_calls": details}),
                secs(at(1)),
                rng,
            );
            phase
                .objects
                .push(step["id"].as_str().unwrap_or_default().into());
            let expired = json!({"status": "expired", "expired_at": secs(expiry_ms)});
            let expire = vec![Stage {
                at_ms: expiry_ms,
                patch: expired,
            }];
            super::super::put_child(call, step, run_id, at(1), expire);
            phase.stages.push(Stage {
                at_ms: at(2),
                patch: json!({
                    "status": "requires_action",
                    "required_action": {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": calls}},
                }),
            });
            phase.stages.push(Stage {
                at_ms: expiry_ms,
                patch: json!({"status": "expired", "required_action": null}),
            });
        }
        Decision::Reply {
            text,
            annotations,
            search,
            cut,
        } => {
            let mut message_at = at(1);
            if let Some(search) = search {
                let step = steps::body(
                    run,
                    "tool_calls",
                    json!({"type": "tool_calls", "tool_calls": [search]}),
                    secs(at(1)),
                    rng,
                );
                phase
                    .objects
                    .push(step["id"].as_str().unwrap_or_default().into());
                let done = json!({"status": "completed", "completed_at": secs(at(2)), "usage": usage(0, 0)});
                let stages = vec![Stage {
                    at_ms: at(2),
                    patch: done,
                }];
                super::super::put_child(call, step, run_id, at(1), stages);
                message_at = at(2);
            }
            let end = at(3);
            let id = new_id(rng, "msg_");
            let mut message = messages::body(&id, thread, secs(message_at) as i64);
            set(&mut message, "role", json!("assistant"));
            set(&mut message, "assistant_id", run["assistant_id"].clone());
            set(&mut message, "run_id", json!(run_id));
            let content =
                json!([{"type": "text", "text": {"value": text, "annotations": annotations}}]);
            let finished = match cut {
                true => json!({"status": "incomplete", "incomplete_at": secs(end),
                               "incomplete_details": {"reason": "max_tokens"}, "content": content}),
                false => {
                    json!({"status": "completed", "completed_at": secs(end), "content": content})
                }
            };
            let step = steps::body(
                run,
                "message_creation",
                json!({"type": "message_creation", "message_creation": {"message_id": id}}),
                secs(message_at),
                rng,
            );
            phase
                .objects
                .push(step["id"].as_str().unwrap_or_default().into());
            phase.objects.push(id.clone());
            let step_done =
                json!({"status": "completed", "completed_at": secs(end), "usage": turn_usage});
            super::super::put_child(
                call,
                step,
                run_id,
                message_at,
                vec![Stage {
                    at_ms: end,
                    patch: step_done,
                }],
            );
            super::super::put_child(
                call,
                message,
                thread,
                message_at,
                vec![Stage {
                    at_ms: end,
                    patch: finished,
                }],
            );
            let total = usage(
                before.0 + work.prompt_tokens,
                before.1 + work.completion_tokens,
            );
            let mut done = json!({
                "status": if *cut { "incomplete" } else { "completed" },
                "completed_at": secs(end),
                "expires_at": null,
                "required_action": null,
                "usage": total,
            });
            if *cut {
                set(
                    &mut done,
                    "incomplete_details",
                    json!({"reason": "max_completion_tokens"}),
                );
            }
            phase.stages.push(Stage {
                at_ms: end,
                patch: done,
            });
        }
    }
    phase
}
