//! Batches over real HTTP: each line goes through the server's own pipeline, so scenario
//! rules and faults answer batch lines as they answer direct requests, and every stage of a
//! batch is valid against the spec's `Batch` schema. `--lifecycle-ms 0` makes a batch
//! complete as it is created; a ten-minute lifecycle keeps it where the test put it.

use openai_mock::catalog::Catalog;
use openai_mock::{Config, MockServer};
use serde_json::{json, Value};

const KEY: &str = "sk-batches";

struct Mock {
    server: MockServer,
    client: reqwest::Client,
    catalog: std::sync::Arc<Catalog>,
}

impl Mock {
    async fn start(lifecycle_ms: u64) -> Mock {
        let config = Config {
            port: 0,
            lifecycle_ms,
            ..Config::default()
        };
        Mock {
            server: MockServer::builder().config(config).start().await,
            client: reqwest::Client::new(),
            catalog: Catalog::embedded(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.bearer_auth(KEY).send().await.expect("answered");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let url = format!("{}{path}", self.server.base_url());
        self.send(self.client.post(url).json(body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.server.base_url());
        self.send(self.client.get(url)).await
    }

    async fn text(&self, path: &str) -> String {
        let url = format!("{}{path}", self.server.base_url());
        let response = self.client.get(url).bearer_auth(KEY).send().await;
        response.expect("answered").text().await.expect("text")
    }

    async fn upload(&self, lines: &[Value]) -> String {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let part = reqwest::multipart::Part::bytes(text.into_bytes()).file_name("in.jsonl");
        let form = reqwest::multipart::Form::new()
            .text("purpose", "batch")
            .part("file", part);
        let url = format!("{}/files", self.server.base_url());
        let (status, file) = self.send(self.client.post(url).multipart(form)).await;
        assert_eq!(status, 200, "{file}");
        file["id"].as_str().expect("file id").to_string()
    }

    async fn create(&self, file: &str) -> Value {
        let body = json!({"input_file_id": file, "endpoint": "/v1/chat/completions",
            "completion_window": "24h"});
        let (status, batch) = self.post("/batches", &body).await;
        assert_eq!(status, 200, "{batch}");
        self.assert_valid(&batch);
        batch
    }

    fn assert_valid(&self, batch: &Value) {
        let validator = self
            .catalog
            .schemas
            .validator_at("/components/schemas/Batch")
            .expect("the Batch schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(batch)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{batch}: {errors:?}");
    }
}

fn chat_line(custom_id: &str, message: &str) -> Value {
    json!({"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": message}]}})
}

fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("JSONL"))
        .collect()
}

#[tokio::test]
async fn rules_and_faults_answer_batch_lines_as_they_answer_direct_requests() {
    let mock = Mock::start(0).await;
    mock.server
        .rules(
            "rules:\n\
             \x20 - {match: {last_user_message: ^rule$}, reply: {text: From the rule.}}\n\
             \x20 - match: {last_user_message: ^error$}\n\
             \x20   reply: {error: {status: 418, type: teapot_error, message: I am a teapot}}\n\
             \x20 - {match: {last_user_message: ^reset$}, reply: {error: connection_reset}}\n",
        )
        .expect("rules load");
    let lines = ["rule", "error", "reset", "plain"].map(|m| chat_line(m, m));
    let batch = mock.create(&mock.upload(&lines).await).await;
    assert_eq!(batch["status"], "completed");
    assert_eq!(
        batch["request_counts"],
        json!({"total": 4, "completed": 2, "failed": 2})
    );
    for stamp in ["in_progress_at", "finalizing_at", "completed_at"] {
        assert!(batch[stamp].is_u64(), "{stamp} missing: {batch}");
    }
    assert!(batch.get("failed_at").is_none() && batch.get("cancelled_at").is_none());

    let output = jsonl(
        &mock
            .text(&format!(
                "/files/{}/content",
                batch["output_file_id"].as_str().unwrap()
            ))
            .await,
    );
    let by_id = |lines: &[Value], id: &str| -> Value {
        lines
            .iter()
            .find(|l| l["custom_id"] == id)
            .cloned()
            .expect(id)
    };
    let rule = by_id(&output, "rule");
    assert_eq!(
        rule["response"]["body"]["choices"][0]["message"]["content"],
        "From the rule."
    );
    let plain = by_id(&output, "plain");
    let (_, direct) = mock.post("/chat/completions", &lines[3]["body"]).await;
    assert_eq!(plain["response"]["body"]["choices"], direct["choices"]);

    let errors = jsonl(
        &mock
            .text(&format!(
                "/files/{}/content",
                batch["error_file_id"].as_str().unwrap()
            ))
            .await,
    );
    let error = by_id(&errors, "error");
    assert_eq!(error["response"]["status_code"], 418);
    assert_eq!(
        error["response"]["body"]["error"]["message"],
        "I am a teapot"
    );
    assert_eq!(error["error"], Value::Null);
    let reset = by_id(&errors, "reset");
    assert_eq!(reset["response"], Value::Null);
    assert_eq!(reset["error"]["code"], "server_error");
}

#[tokio::test]
async fn a_cancelled_batch_is_valid_at_each_stage_and_drops_its_unannounced_files() {
    let mock = Mock::start(600_000).await;
    let file = mock.upload(&[chat_line("one", "hello")]).await;
    let batch = mock.create(&file).await;
    assert_eq!(batch["status"], "validating");
    assert!(batch.get("output_file_id").is_none() && batch.get("in_progress_at").is_none());
    let id = batch["id"].as_str().unwrap();

    let (status, cancelling) = mock
        .post(&format!("/batches/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, 200, "{cancelling}");
    mock.assert_valid(&cancelling);
    assert_eq!(cancelling["status"], "cancelling");
    assert!(cancelling["cancelling_at"].is_u64() && cancelling.get("cancelled_at").is_none());
    let (_, again) = mock
        .post(&format!("/batches/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(again, cancelling);

    let (_, files) = mock.get("/files").await;
    let ids: Vec<&str> = files["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [file.as_str()]);
    let (_, listed) = mock.get("/batches").await;
    assert_eq!(listed["data"], json!([cancelling]));
}

#[tokio::test]
async fn a_failed_batch_lists_its_errors_and_is_valid() {
    let mock = Mock::start(0).await;
    let file = mock
        .upload(&[chat_line("a", "x"), chat_line("a", "y")])
        .await;
    let batch = mock.create(&file).await;
    assert_eq!(batch["status"], "failed");
    assert!(batch["failed_at"].is_u64() && batch.get("in_progress_at").is_none());
    assert_eq!(batch["errors"]["data"][0]["code"], "duplicate_custom_id");
    assert_eq!(batch["errors"]["data"][0]["line"], 2);
    let (status, refused) = mock
        .post(
            &format!("/batches/{}/cancel", batch["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'failed'"),
        "{refused}"
    );
}
