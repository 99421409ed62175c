//! Regressions the whole-spec property sweep (`sweep_generated`) found, each pinned by its
//! own request: request values that are valid requests but not valid answers (an empty
//! `image_url`, an mcp tool's empty `server_url`, an `evals` file purpose, a reinforcement
//! method without its grader) are not echoed, and forms the SDKs send are read (a form
//! with no fields, a number where the field's only string is an enum).

use crate::sweep::{request, schema_errors, start, Sweep};
use serde_json::{json, Value};

/// Sends `body` as JSON to `POST path` and returns the status, the answer, and its errors
/// against the operation's response schema.
async fn post_json(sweep: &Sweep, path: &str, body: Value) -> (u16, Value, Vec<String>) {
    let op = sweep
        .catalog
        .operations
        .iter()
        .find(|op| op.method == "POST" && op.path == path)
        .expect("operation");
    let url = format!("{}{path}", sweep.base);
    let response = request(sweep, op, &url, Some(&("application/json".into(), body)))
        .send()
        .await
        .expect("answered");
    let status = response.status().as_u16();
    let answer: Value = response.json().await.expect("JSON");
    let errors = schema_errors(&sweep.catalog, op.response.schema.expect("schema"), &answer);
    (status, answer, errors)
}

/// A grader whose one input message is an `input_image` at `url`.
fn image_grader(kind: &str, url: &str) -> Value {
    let mut grader = json!({
        "type": kind,
        "name": "looks right",
        "model": "gpt-4o",
        "input": [{"role": "user", "content": {"type": "input_image", "image_url": url}}],
    });
    if kind == "label_model" {
        grader["labels"] = json!(["yes", "no"]);
        grader["passing_labels"] = json!(["yes"]);
    }
    grader
}

#[tokio::test]
async fn an_eval_does_not_echo_an_input_image_whose_url_is_empty() {
    let sweep = start().await;
    for kind in ["label_model", "score_model"] {
        let body = |url: &str| {
            json!({
                "data_source_config": {"type": "custom", "item_schema": {"type": "object"}},
                "testing_criteria": [image_grader(kind, url)],
            })
        };
        // The request schema reads `format: uri` as an annotation, so "" is accepted; the
        // answer's `image_url` must be a URI, so the generated criteria stay.
        let (status, answer, errors) = post_json(&sweep, "/evals", body("")).await;
        assert_eq!(status, 201, "{answer}");
        assert!(errors.is_empty(), "{kind}: {errors:?}\n{answer}");
        assert_ne!(answer["testing_criteria"], body("")["testing_criteria"]);
        // A real URL is echoed as before.
        let url = "https://example.com/cat.png";
        let (status, answer, errors) = post_json(&sweep, "/evals", body(url)).await;
        assert_eq!(status, 201, "{answer}");
        assert!(errors.is_empty(), "{kind}: {errors:?}\n{answer}");
        // (The stored eval adds the criterion's `id` and types the message.)
        let image = "/testing_criteria/0/input/0/content";
        assert_eq!(answer.pointer(image), body(url).pointer(image));
    }
}

#[tokio::test]
async fn grader_validation_does_not_echo_an_input_image_whose_url_is_empty() {
    let sweep = start().await;
    let path = "/fine_tuning/alpha/graders/validate";
    let (status, answer, errors) = post_json(
        &sweep,
        path,
        json!({"grader": image_grader("score_model", "")}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(errors.is_empty(), "{errors:?}\n{answer}");
    assert_ne!(answer["grader"], image_grader("score_model", ""));
    let grader = image_grader("score_model", "https://example.com/cat.png");
    let (status, answer, errors) = post_json(&sweep, path, json!({ "grader": grader })).await;
    assert_eq!(status, 200, "{answer}");
    assert!(errors.is_empty(), "{errors:?}\n{answer}");
    assert_eq!(answer["grader"], grader);
}

#[tokio::test]
async fn a_fine_tuning_job_echoes_its_method_only_where_it_is_valid_in_a_job() {
    let sweep = start().await;
    let job = |method: Value| {
        json!({
            "model": "gpt-4o-mini",
            "training_file": "file-abc",
            "method": method,
        })
    };
    let graded = |url: &str| {
        json!({
            "type": "reinforcement",
            "reinforcement": {"grader": image_grader("score_model", url)},
        })
    };
    // A reinforcement method without its grader, or with an image grader whose URL is
    // empty, is shown by its type alone; a valid one is echoed.
    for (method, echoed) in [
        (json!({"type": "reinforcement"}), false),
        (graded(""), false),
        (graded("https://example.com/cat.png"), true),
    ] {
        let (status, answer, errors) =
            post_json(&sweep, "/fine_tuning/jobs", job(method.clone())).await;
        assert_eq!(status, 200, "{answer}");
        assert!(errors.is_empty(), "{errors:?}\n{answer}");
        assert_eq!(answer["method"]["type"], "reinforcement");
        let shown = answer.pointer("/method/reinforcement/grader");
        let sent = method.pointer("/reinforcement/grader");
        assert_eq!(shown.is_some() && shown == sent, echoed, "{answer}");
    }
}

#[tokio::test]
async fn a_response_echoes_only_the_tools_that_are_valid_in_it() {
    let sweep = start().await;
    let mcp = json!({"type": "mcp", "server_label": "docs", "server_url": ""});
    let function = json!({
        "type": "function",
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    });
    let body = json!({
        "model": "gpt-4o",
        "input": "What is the weather in Paris?",
        "tools": [mcp, function],
        "tool_choice": "none",
    });
    let (status, answer, errors) = post_json(&sweep, "/responses", body).await;
    assert_eq!(status, 200, "{answer}");
    assert!(errors.is_empty(), "{errors:?}\n{answer}");
    let tools = answer["tools"].as_array().expect("tools");
    assert_eq!(tools.len(), 1, "{answer}");
    assert_eq!(tools[0]["name"], "get_weather");
    assert_eq!(tools[0]["strict"], true);
}

#[tokio::test]
async fn a_multipart_form_with_no_fields_is_an_empty_body() {
    let sweep = start().await;
    // reqwest sends no bytes at all for a form without fields; the schema requires none.
    let op = sweep
        .catalog
        .operation("CreateContainerFile")
        .expect("operation");
    let response = sweep
        .client
        .post(format!("{}/containers/cntr_abc/files", sweep.base))
        .header("authorization", "Bearer sk-test")
        .multipart(reqwest::multipart::Form::new())
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("JSON");
    let errors = schema_errors(&sweep.catalog, op.response.schema.expect("schema"), &answer);
    assert!(errors.is_empty(), "{errors:?}\n{answer}");
}

#[tokio::test]
async fn an_uploaded_file_keeps_a_purpose_the_file_schema_does_not_list_as_user_data() {
    let sweep = start().await;
    let op = sweep.catalog.operation("createFile").expect("createFile");
    let upload = |purpose: &str| {
        reqwest::multipart::Form::new()
            .text("purpose", purpose.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"{\"input\": \"hi\"}\n".to_vec())
                    .file_name("cases.jsonl"),
            )
    };
    for (sent, shown) in [("evals", "user_data"), ("vision", "vision")] {
        let response = sweep
            .client
            .post(format!("{}/files", sweep.base))
            .header("authorization", "Bearer sk-test")
            .multipart(upload(sent))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.expect("JSON");
        let errors = schema_errors(&sweep.catalog, op.response.schema.expect("schema"), &answer);
        assert!(errors.is_empty(), "{errors:?}\n{answer}");
        assert_eq!(answer["purpose"], shown, "{answer}");
    }
}

#[tokio::test]
async fn a_form_number_is_a_number_where_the_only_string_is_an_enum() {
    let sweep = start().await;
    // `max_output_tokens` is an integer or the string "inf".
    let form = reqwest::multipart::Form::new()
        .text("sdp", "v=0")
        .text("session[type]", "realtime")
        .text("session[max_output_tokens]", "47");
    let response = sweep
        .client
        .post(format!("{}/realtime/calls", sweep.base))
        .header("authorization", "Bearer sk-test")
        .multipart(form)
        .send()
        .await
        .expect("answered");
    let status = response.status();
    assert!(
        status.is_success(),
        "{status} {}",
        response.text().await.unwrap()
    );
}
