//! Stored chat completions and evals over real HTTP: every answer of the stored-completion
//! operations, and of evals, runs and output items at each stage, is valid against the
//! spec's response schemas (with the overlay's corrections: request messages of any role,
//! `error: null`). `--lifecycle-ms 0` makes a run complete as it is created; a ten-minute
//! lifecycle keeps it queued for the cancel.

use crate::support::mock::Mock;
use openai_mock::Config;
use serde_json::{json, Value};

async fn mock(lifecycle_ms: u64) -> Mock {
    Mock::with_config(Config {
        port: 0,
        lifecycle_ms,
        ..Config::default()
    })
    .await
}

/// POSTs a create and expects its 201 (or 200), valid against the operation's schema.
async fn created(mock: &Mock, operation: &str, path: &str, body: &Value) -> Value {
    let (status, answer) = mock.post(path, body).await;
    assert!(status == 200 || status == 201, "{path}: {status} {answer}");
    mock.assert_valid_response(operation, &answer);
    answer
}

async fn get_ok(mock: &Mock, operation: &str, path: &str) -> Value {
    let (status, answer) = mock.get(path).await;
    assert_eq!(status, 200, "{path}: {answer}");
    mock.assert_valid_response(operation, &answer);
    answer
}

#[tokio::test]
async fn stored_chat_completion_answers_follow_the_schemas() {
    let mock = mock(0).await;
    let body = json!({
        "model": "gpt-4o-mini",
        "store": true,
        "metadata": {"suite": "schema"},
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Hello"}], "name": "ada"},
        ],
    });
    let created = mock
        .ok("createChatCompletion", "/chat/completions", &body)
        .await;
    let id = created["id"].as_str().expect("an id");
    let retrieved = get_ok(
        &mock,
        "getChatCompletion",
        &format!("/chat/completions/{id}"),
    )
    .await;
    assert_eq!(retrieved, created);
    let list = get_ok(
        &mock,
        "listChatCompletions",
        "/chat/completions?metadata[suite]=schema&model=gpt-4o-mini",
    )
    .await;
    assert_eq!(list["data"], json!([created]));
    let messages = get_ok(
        &mock,
        "getChatCompletionMessages",
        &format!("/chat/completions/{id}/messages"),
    )
    .await;
    assert_eq!(messages["data"][1]["role"], "user");
    assert_eq!(messages["data"][1]["name"], "ada");
    assert_eq!(messages["data"][1]["content"], "Hello");
    assert_eq!(messages["last_id"], format!("{id}-1"));
    let updated = mock
        .ok(
            "updateChatCompletion",
            &format!("/chat/completions/{id}"),
            &json!({"metadata": {"x": "y"}}),
        )
        .await;
    assert_eq!(updated["metadata"], json!({"x": "y"}));
    let (status, deleted) = mock.delete(&format!("/chat/completions/{id}")).await;
    assert_eq!(status, 200);
    mock.assert_valid_response("deleteChatCompletion", &deleted);
    let (status, _) = mock.get(&format!("/chat/completions/{id}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn eval_runs_and_output_items_follow_the_schemas() {
    let mock = mock(0).await;
    mock.ok(
        "createChatCompletion",
        "/chat/completions",
        &json!({"model": "gpt-4o-mini", "store": true, "messages": [{"role": "user", "content": "Hi"}]}),
    )
    .await;
    let eval = created(&mock, "createEval",
            "/evals",
            &json!({
                "name": "schema",
                "data_source_config": {"type": "custom", "item_schema": {"type": "object"}, "include_sample_schema": true},
                "testing_criteria": [
                    {"type": "string_check", "name": "eq", "input": "{{item.a}}", "reference": "x", "operation": "eq"},
                    {"type": "text_similarity", "name": "sim", "input": "{{sample.output_text}}", "reference": "{{item.a}}",
                     "evaluation_metric": "rouge_l", "pass_threshold": 0.1},
                    {"type": "score_model", "name": "judge", "model": "gpt-4o", "input": [{"role": "user", "content": "{{item.a}}"}],
                     "range": [1, 5], "pass_threshold": 3},
                ],
            }),
        )
        .await;
    let eval_id = eval["id"].as_str().expect("an eval id");
    get_ok(&mock, "getEval", &format!("/evals/{eval_id}")).await;
    get_ok(&mock, "listEvals", "/evals").await;
    let sources = [
        json!({"type": "jsonl", "source": {"type": "file_content", "content": [{"item": {"a": "x"}}, {"item": {"a": "y"}}]}}),
        json!({"type": "completions", "model": "gpt-4o-mini",
               "input_messages": {"type": "template", "template": [{"role": "user", "content": "Say {{item.a}}"}]},
               "source": {"type": "file_content", "content": [{"item": {"a": "x"}}]}}),
        json!({"type": "completions", "source": {"type": "stored_completions", "model": "gpt-4o-mini"}}),
    ];
    for (source, total) in sources.iter().zip([2, 1, 1]) {
        let runs = format!("/evals/{eval_id}/runs");
        let run = created(
            &mock,
            "createEvalRun",
            &runs,
            &json!({"data_source": source}),
        )
        .await;
        assert_eq!(run["status"], "completed", "{run}");
        assert_eq!(run["result_counts"]["total"], total, "{run}");
        let run_id = run["id"].as_str().expect("a run id");
        get_ok(&mock, "getEvalRun", &format!("{runs}/{run_id}")).await;
        get_ok(&mock, "getEvalRuns", &runs).await;
        let items = get_ok(
            &mock,
            "getEvalRunOutputItems",
            &format!("{runs}/{run_id}/output_items"),
        )
        .await;
        let item_id = items["data"][0]["id"].as_str().expect("an item id");
        let item = get_ok(
            &mock,
            "getEvalRunOutputItem",
            &format!("{runs}/{run_id}/output_items/{item_id}"),
        )
        .await;
        assert_eq!(item["results"].as_array().map(Vec::len), Some(3));
    }
}

#[tokio::test]
async fn a_canceled_run_follows_the_schema() {
    let mock = mock(600_000).await;
    let eval = created(&mock, "createEval",
            "/evals",
            &json!({"data_source_config": {"type": "custom", "item_schema": {"type": "object"}}, "testing_criteria": []}),
        )
        .await;
    let runs = format!("/evals/{}/runs", eval["id"].as_str().unwrap_or(""));
    let body = json!({"data_source": {"type": "jsonl", "source": {"type": "file_content", "content": []}}});
    let run = created(&mock, "createEvalRun", &runs, &body).await;
    assert_eq!(run["status"], "queued");
    let cancel = format!("{runs}/{}", run["id"].as_str().unwrap_or(""));
    let canceled = mock.ok("cancelEvalRun", &cancel, &json!({})).await;
    assert_eq!(canceled["status"], "canceled");
    let (status, _) = mock.post(&cancel, &json!({})).await;
    assert_eq!(status, 400);
}
