//! An in-process mock ([`openai_mock::MockServer`]) with JSON and SSE calls over real HTTP,
//! and validation against the spec's response and event schemas.

use openai_mock::catalog::Catalog;
use openai_mock::MockServer;
use serde_json::Value;
use std::sync::Arc;

/// A mock server and a client for it.
pub struct Mock {
    server: MockServer,
    client: reqwest::Client,
    catalog: Arc<Catalog>,
}

/// One server-sent event: its `event:` name and its `data:` payload.
#[derive(Debug, Clone)]
pub struct Sse {
    pub event: Option<String>,
    pub data: String,
}

impl Sse {
    /// The payload as JSON (panics on `[DONE]`).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{}: {e}", self.data))
    }
}

impl Mock {
    /// A mock with the default seed.
    pub async fn start() -> Mock {
        Mock::from(MockServer::start().await)
    }

    /// A mock started with `--seed seed`.
    pub async fn with_seed(seed: u64) -> Mock {
        Mock::from(MockServer::builder().seed(seed).start().await)
    }

    /// A mock started with this whole `config` (its port is taken as given: use 0).
    pub async fn with_config(config: openai_mock::Config) -> Mock {
        Mock::from(MockServer::builder().config(config).start().await)
    }

    fn from(server: MockServer) -> Mock {
        Mock {
            server,
            client: reqwest::Client::new(),
            catalog: Catalog::embedded(),
        }
    }

    /// POSTs `body` to `path` (under `/v1`) and returns the status and the JSON answer.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let url = format!("{}{path}", self.server.base_url());
        self.send(self.client.post(url).json(body)).await
    }

    /// GETs `path` (under `/v1`) and returns the status and the JSON answer.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.client.get(format!("{}{path}", self.server.base_url())))
            .await
    }

    /// DELETEs `path` (under `/v1`) and returns the status and the JSON answer.
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(
            self.client
                .delete(format!("{}{path}", self.server.base_url())),
        )
        .await
    }

    /// Uploads `bytes` as a File named `name` with `purpose`; returns the status and answer.
    pub async fn upload(&self, name: &str, bytes: &[u8], purpose: &str) -> (u16, Value) {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string());
        let form = reqwest::multipart::Form::new()
            .text("purpose", purpose.to_string())
            .part("file", part);
        let url = format!("{}/files", self.server.base_url());
        self.send(self.client.post(url).multipart(form)).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request
            .bearer_auth("sk-test")
            .send()
            .await
            .expect("request is sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body is read");
        let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        (status, json)
    }

    /// POSTs `body` and expects a 200 answer valid against `operation`'s response schema.
    pub async fn ok(&self, operation: &str, path: &str, body: &Value) -> Value {
        let (status, answer) = self.post(path, body).await;
        assert_eq!(status, 200, "{answer}");
        self.assert_valid_response(operation, &answer);
        answer
    }

    /// POSTs `body` and returns the server-sent events of the answer.
    pub async fn stream(&self, path: &str, body: &Value) -> Vec<Sse> {
        let response = self
            .client
            .post(format!("{}{path}", self.server.base_url()))
            .bearer_auth("sk-test")
            .json(body)
            .send()
            .await
            .expect("request is sent");
        assert_eq!(response.status(), 200);
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        let text = response.text().await.expect("body is read");
        parse_sse(&text)
    }

    /// POSTs `body` to `path` as `operation` and returns the streamed events as JSON, each
    /// checked against the operation's stream event schema.
    pub async fn valid_events(&self, operation: &str, path: &str, body: &Value) -> Vec<Value> {
        let events: Vec<Value> = self
            .stream(path, body)
            .await
            .iter()
            .map(|sse| sse.json())
            .collect();
        for event in &events {
            self.assert_valid_event(operation, event);
        }
        events
    }

    /// Panics unless `answer` validates against `operation`'s success response schema.
    pub fn assert_valid_response(&self, operation: &str, answer: &Value) {
        let op = self.catalog.operation(operation).expect("operation exists");
        let index = op.response.schema.expect("operation has a response schema");
        self.assert_valid_target(index, &format!("{operation} answer"), answer);
    }

    /// Panics unless `event` validates against `operation`'s stream event schema.
    pub fn assert_valid_event(&self, operation: &str, event: &Value) {
        let op = self.catalog.operation(operation).expect("operation exists");
        let index = op.stream.expect("operation streams");
        self.assert_valid_target(index, &format!("{operation} event"), event);
    }

    fn assert_valid_target(&self, index: usize, what: &str, instance: &Value) {
        let validator = self
            .catalog
            .schemas
            .answer_validator(index)
            .expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "invalid {what}: {errors:?}\n{instance}");
    }
}

/// Splits an SSE body into events.
pub fn parse_sse(text: &str) -> Vec<Sse> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut event = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(name) = line.strip_prefix("event: ") {
                    event = Some(name.to_string());
                } else if let Some(payload) = line.strip_prefix("data: ") {
                    data.push(payload);
                }
            }
            Sse {
                event,
                data: data.join("\n"),
            }
        })
        .collect()
}

/// Panics unless `instance` validates against the JSON Schema `schema`.
pub fn assert_valid_against(schema: &Value, instance: &Value) {
    let validator = jsonschema::validator_for(schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{instance} is invalid against {schema}: {errors:?}"
    );
}

/// The message content of choice `index` of a chat completion.
pub fn content(answer: &Value, index: usize) -> String {
    answer["choices"][index]["message"]["content"]
        .as_str()
        .unwrap_or_else(|| panic!("choice {index} has no text content: {answer}"))
        .to_string()
}

impl Mock {
    /// The operation ids of the requests the server has received, oldest first.
    pub fn operations_received(&self) -> Vec<Option<String>> {
        self.server
            .received_requests()
            .into_iter()
            .map(|request| request.operation)
            .collect()
    }
}

/// `value` with every `id` field removed, at any depth: for comparing two answers to the same
/// request, whose content is equal and whose ids are fresh.
pub fn without_ids(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| key.as_str() != "id")
                .map(|(key, value)| (key.clone(), without_ids(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_ids).collect()),
        other => other.clone(),
    }
}
