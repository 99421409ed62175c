//! Assistants runs over real HTTP: a streamed run's events are each valid against the spec's
//! `AssistantStreamEvent`, come in the real order, and their deltas join into the stored
//! message; a streamed function-call turn ends at `thread.run.requires_action`; every stored
//! object answers valid against its operation's schema.

use crate::support::mock::{Mock, Sse};
use openai_mock::catalog::Catalog;
use serde_json::{json, Value};

/// Each event as `{event, data}`, checked against `AssistantStreamEvent`.
fn checked(events: &[Sse]) -> Vec<(String, Value)> {
    let catalog = Catalog::embedded();
    let validator = catalog
        .schemas
        .answer_validator_at("/components/schemas/AssistantStreamEvent")
        .expect("the event schema compiles");
    events
        .iter()
        .map(|sse| {
            let name = sse.event.clone().expect("every event is named");
            let data = match name.as_str() {
                "done" => json!(sse.data),
                _ => sse.json(),
            };
            let event = json!({"event": name, "data": data});
            let errors: Vec<String> = validator
                .iter_errors(&event)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{name}: {errors:?}\n{data}");
            (name, data)
        })
        .collect()
}

/// Event names with runs of deltas collapsed to one.
fn names(events: &[(String, Value)]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for (name, _) in events {
        if name.ends_with(".delta") && out.last() == Some(&name.as_str()) {
            continue;
        }
        out.push(name);
    }
    out
}

/// The events of a turn that answers, from `in_progress` on (deltas collapsed).
const ANSWERING: [&str; 10] = [
    "thread.run.in_progress",
    "thread.run.step.created",
    "thread.run.step.in_progress",
    "thread.message.created",
    "thread.message.in_progress",
    "thread.message.delta",
    "thread.message.completed",
    "thread.run.step.completed",
    "thread.run.completed",
    "done",
];

#[tokio::test]
async fn a_streamed_run_sends_the_real_sequence_and_its_deltas_make_the_message() {
    let mock = Mock::start().await;
    let assistant = mock
        .ok(
            "createAssistant",
            "/assistants",
            &json!({"model": "gpt-4o"}),
        )
        .await;
    let body = json!({
        "assistant_id": assistant["id"],
        "thread": {"messages": [{"role": "user", "content": "Tell me about tide pools"}]},
        "stream": true,
    });
    let events = checked(&mock.stream("/threads/runs", &body).await);
    let names = names(&events);
    assert_eq!(
        names[..3],
        ["thread.created", "thread.run.created", "thread.run.queued"]
    );
    assert_eq!(names[3..], ANSWERING);
    let joined: String = events
        .iter()
        .filter(|(name, _)| name == "thread.message.delta")
        .map(|(_, d)| {
            d["delta"]["content"][0]["text"]["value"]
                .as_str()
                .unwrap_or("")
        })
        .collect();
    let run = &events[events.len() - 2].1;
    let thread = run["thread_id"].as_str().unwrap();
    let (_, messages) = mock.get(&format!("/threads/{thread}/messages")).await;
    mock.assert_valid_response("listMessages", &messages);
    let stored = &messages["data"][0];
    assert_eq!(stored["content"][0]["text"]["value"], json!(joined));
    assert!(!joined.is_empty());
    let (_, retrieved) = mock
        .get(&format!(
            "/threads/{thread}/runs/{}",
            run["id"].as_str().unwrap()
        ))
        .await;
    mock.assert_valid_response("getRun", &retrieved);
    assert_eq!(&retrieved, run, "the stream's last run is the stored run");
    let (_, steps) = mock
        .get(&format!(
            "/threads/{thread}/runs/{}/steps",
            run["id"].as_str().unwrap()
        ))
        .await;
    mock.assert_valid_response("listRunSteps", &steps);
    assert_eq!(steps["data"][0]["status"], "completed");
}

#[tokio::test]
async fn a_streamed_function_call_turn_ends_at_requires_action() {
    let mock = Mock::start().await;
    let tool = json!({"type": "function", "function": {"name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}});
    let assistant = mock
        .ok(
            "createAssistant",
            "/assistants",
            &json!({"model": "gpt-4o", "tools": [tool]}),
        )
        .await;
    let thread = mock
        .ok(
            "createThread",
            "/threads",
            &json!({"messages": [{"role": "user", "content": "Weather in Lima?"}]}),
        )
        .await;
    let thread = thread["id"].as_str().unwrap();
    let body = json!({"assistant_id": assistant["id"], "stream": true});
    let events = checked(&mock.stream(&format!("/threads/{thread}/runs"), &body).await);
    assert_eq!(
        names(&events),
        [
            "thread.run.created",
            "thread.run.queued",
            "thread.run.in_progress",
            "thread.run.step.created",
            "thread.run.step.in_progress",
            "thread.run.requires_action",
            "done",
        ]
    );
    let run = &events[events.len() - 2].1;
    let call = &run["required_action"]["submit_tool_outputs"]["tool_calls"][0];
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments["city"], "Lima");
    let path = format!(
        "/threads/{thread}/runs/{}/submit_tool_outputs",
        run["id"].as_str().unwrap()
    );
    let outputs = json!({"tool_outputs": [{"tool_call_id": call["id"], "output": "warm and dry"}], "stream": true});
    let events = checked(&mock.stream(&path, &outputs).await);
    let names = names(&events);
    assert_eq!(
        names[..2],
        ["thread.run.step.completed", "thread.run.queued"]
    );
    assert_eq!(names[2..], ANSWERING);
    assert_eq!(
        events[0].1["step_details"]["tool_calls"][0]["function"]["output"],
        "warm and dry"
    );
    let completed = &events[events.len() - 2].1;
    let usage = &completed["usage"];
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
        )
    );
    // Outputs for a run that no longer waits are refused.
    let (status, error) = mock.post(&path, &outputs).await;
    assert_eq!(status, 400, "{error}");
}
