//! Whole-spec sweeps, after stripe-mock: every operation answers a valid request with a 2xx
//! whose body validates against the response schema, every streaming operation's events
//! validate against the event schema, and every fixture validates against its schema.
//!
//! Requests are built from the spec itself: required path, query and body fields, filled by
//! the generator in its minimal mode, encoded as the operation's media type. Responses are
//! checked with the `jsonschema` validators compiled from the spec, over real HTTP.
//!
//! The helpers that build, encode and send requests and check answers are shared with
//! `sweep_generated`, which sends many varied requests per operation.

use openai_mock::catalog::{Catalog, Operation};
use openai_mock::generate::{Generator, Rng};
use openai_mock::validate::fields;
use openai_mock::{Config, MockServer};
use serde_json::{json, Value};
use std::sync::Arc;

/// An in-process server and a client for it.
pub(crate) struct Sweep {
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) client: reqwest::Client,
    /// `http://host:port/v1`.
    pub(crate) base: String,
    _server: MockServer,
}

/// Starts a server with the default configuration on an ephemeral port.
pub(crate) async fn start() -> Sweep {
    let config = Config {
        port: 0,
        ..Config::default()
    };
    let running = MockServer::builder().config(config).start().await;
    Sweep {
        catalog: Catalog::embedded(),
        client: reqwest::Client::new(),
        base: format!("http://{}/v1", running.address()),
        _server: running,
    }
}

/// A request body for `op`: the JSON media type when the operation takes one.
pub(crate) fn body_for(catalog: &Catalog, op: &Operation, stream: bool) -> Option<(String, Value)> {
    let body = op.body.as_ref()?;
    let media = body
        .content
        .iter()
        .find(|m| m.media_type == "application/json")
        .or_else(|| body.content.first())?;
    let empty = serde_json::Map::new();
    let mut generator = Generator::new(&catalog.schemas, &empty, Rng::new(7), 1_700_000_000);
    let mut value = generator.generate_minimal(catalog.schemas.target(media.schema));
    // Schema-valid but semantically empty inputs are refused, as the real API refuses them.
    if value.get("input") == Some(&json!("")) {
        value["input"] = json!("The quick brown fox jumps over the lazy dog.");
    }
    // A container file needs its content or a file id, which the schema leaves optional.
    if op.id == "CreateContainerFile" && value.as_object().is_some_and(|m| m.is_empty()) {
        value["file_id"] = json!("file-sweep");
    }
    if stream {
        match op.id.as_str() {
            "createSpeech" => value["stream_format"] = json!("sse"),
            _ => value["stream"] = json!(true),
        }
    }
    Some((media.media_type.clone(), value))
}

pub(crate) fn url_for(base: &str, catalog: &Catalog, op: &Operation) -> String {
    let mut path = op.path.clone();
    for param in op.params.iter().filter(|p| p.location == "path") {
        // Models are looked up: retrieve a listed one, delete a fine-tuned one.
        let value = match (param.name.as_str(), op.method.as_str()) {
            ("model", "DELETE") => "ft:gpt-4o-mini-2024-07-18:openai-mock::abc123".to_string(),
            ("model", _) => "gpt-4o-mini".to_string(),
            (name, _) => format!("mock_{name}"),
        };
        path = path.replace(&format!("{{{}}}", param.name), &value);
    }
    let empty = serde_json::Map::new();
    let mut generator = Generator::new(&catalog.schemas, &empty, Rng::new(7), 1_700_000_000);
    let query = generator.generate_minimal(catalog.schemas.target(op.query));
    let query = query_string(&query);
    if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    }
}

/// A query object encoded as the SDKs encode it: arrays as `name[]=a&name[]=b`, objects as
/// `name[key]=v`.
pub(crate) fn query_string(query: &Value) -> String {
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    for (name, value) in query.as_object().into_iter().flatten() {
        match value {
            Value::Array(items) => {
                for item in items {
                    pairs.append_pair(&format!("{name}[]"), &plain(item));
                }
            }
            Value::Object(entries) => {
                for (key, item) in entries {
                    pairs.append_pair(&format!("{name}[{key}]"), &plain(item));
                }
            }
            other => {
                pairs.append_pair(name, &plain(other));
            }
        }
    }
    pairs.finish()
}

/// A string as itself, any other value as JSON.
pub(crate) fn plain(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

pub(crate) async fn send(sweep: &Sweep, op: &Operation, stream: bool) -> reqwest::Response {
    let url = url_for(&sweep.base, &sweep.catalog, op);
    let body = body_for(&sweep.catalog, op, stream);
    request(sweep, op, &url, body.as_ref())
        .send()
        .await
        .expect("request is answered")
}

/// An answer's status, content type ("" when none) and body.
pub(crate) async fn read(
    response: reqwest::Response,
) -> (reqwest::StatusCode, String, bytes::Bytes) {
    let status = response.status();
    let content_type = content_type_of(&response);
    (status, content_type, response.bytes().await.expect("body"))
}

/// An answer's content type ("" when none).
pub(crate) fn content_type_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The request for `op` at `url` with the operation's key and `body` (a media type and the
/// body as JSON), encoded as that media type.
pub(crate) fn request(
    sweep: &Sweep,
    op: &Operation,
    url: &str,
    body: Option<&(String, Value)>,
) -> reqwest::RequestBuilder {
    let method = reqwest::Method::from_bytes(op.method.as_bytes()).expect("method");
    // Each operation works in a namespace of its own, so an earlier operation's delete never
    // turns a later one's lenient id into a 404.
    let key = if op.admin {
        format!("Bearer admin-key-{}", op.id)
    } else {
        format!("Bearer sk-test-{}", op.id)
    };
    let mut request = sweep
        .client
        .request(method, url)
        .header("authorization", key);
    if let Some((media_type, body)) = body {
        let catalog = &sweep.catalog;
        let schema = op
            .body
            .iter()
            .flat_map(|b| &b.content)
            .find(|m| &m.media_type == media_type)
            .map_or(0, |m| m.schema);
        request = match media_type.as_str() {
            "application/json" => request.json(body),
            "multipart/form-data" => request.multipart(multipart(catalog, schema, body)),
            "application/x-www-form-urlencoded" => request
                .header("content-type", media_type.as_str())
                .body(form(catalog, schema, body)),
            other => request.header("content-type", other).body(plain(body)),
        };
    }
    request
}

/// A multipart form as the SDKs send one: nested objects as `name[key]` parts, arrays as
/// `name[]` parts, `null` left out (a form has none), and the values of binary fields
/// (`format: binary` in `schema`) as file parts.
fn multipart(catalog: &Catalog, schema: usize, body: &Value) -> reqwest::multipart::Form {
    form_fields(catalog, schema, body).into_iter().fold(
        reqwest::multipart::Form::new(),
        |form, (name, value, binary)| {
            let part = if binary {
                let content = format!("openai-mock sweep upload {value}");
                reqwest::multipart::Part::bytes(content.into_bytes()).file_name("upload.bin")
            } else {
                reqwest::multipart::Part::text(value)
            };
            form.part(name, part)
        },
    )
}

/// A url-encoded form, flattened like [`multipart`].
fn form(catalog: &Catalog, schema: usize, body: &Value) -> String {
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    for (name, value, _) in form_fields(catalog, schema, body) {
        pairs.append_pair(&name, &value);
    }
    pairs.finish()
}

/// The fields of a form `body` (for request schema target `schema`) as `(bracketed name,
/// text, is a file)`.
pub(crate) fn form_fields(
    catalog: &Catalog,
    schema: usize,
    body: &Value,
) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    fn add(name: String, value: &Value, binary: bool, out: &mut Vec<(String, String, bool)>) {
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    add(format!("{name}[]"), item, binary, out);
                }
            }
            Value::Object(entries) => {
                for (key, item) in entries {
                    add(format!("{name}[{key}]"), item, false, out);
                }
            }
            other => out.push((name, plain(other), binary)),
        }
    }
    let store = &catalog.schemas;
    for (name, value) in body.as_object().into_iter().flatten() {
        let binary = fields::property(store, store.target(schema), name)
            .is_some_and(|property| is_binary(catalog, property, 0));
        add(name.clone(), value, binary, &mut out);
    }
    out
}

/// Whether a schema (or an alternative or item of it) is a file: `format: binary`.
fn is_binary(catalog: &Catalog, schema: &Value, depth: usize) -> bool {
    let (schema, _) = catalog.schemas.resolve(schema);
    if schema.get("format").and_then(Value::as_str) == Some("binary") {
        return true;
    }
    depth < 6
        && ["anyOf", "oneOf", "allOf"]
            .iter()
            .filter_map(|key| schema.get(*key).and_then(Value::as_array))
            .flatten()
            .chain(schema.get("items"))
            .any(|inner| is_binary(catalog, inner, depth + 1))
}

/// The first three errors of an answer `value` against schema target `index`, with their
/// places (`format` asserted, as for everything the mock sends).
pub(crate) fn schema_errors(catalog: &Catalog, index: usize, value: &Value) -> Vec<String> {
    let validator = catalog
        .schemas
        .answer_validator(index)
        .expect("response schema compiles");
    validator
        .iter_errors(value)
        .take(3)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// The first three errors of a request `value` against schema target `index`, checked as
/// the mock checks requests (`format` as an annotation).
pub(crate) fn request_errors(catalog: &Catalog, index: usize, value: &Value) -> Vec<String> {
    let validator = catalog
        .schemas
        .validator(index)
        .expect("request schema compiles");
    validator
        .iter_errors(value)
        .take(3)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[tokio::test]
async fn every_operation_answers_a_valid_request_with_a_schema_valid_2xx() {
    let sweep = start().await;
    let mut failures = Vec::new();
    for op in &sweep.catalog.operations {
        let (status, content_type, bytes) = read(send(&sweep, op, false).await).await;
        let what = format!("{} {} ({})", op.method, op.path, op.id);
        if !status.is_success() {
            failures.push(format!(
                "{what}: {status} {}",
                String::from_utf8_lossy(&bytes)
            ));
            continue;
        }
        // A file's content is its bytes, although the spec declares a JSON string.
        let declared = match op.response.content_type.as_deref() {
            Some("application/json") if !content_type.starts_with("application/json") => {
                Some("application/octet-stream")
            }
            declared => declared,
        };
        match (declared, op.response.schema) {
            (Some("application/json"), Some(schema)) => {
                let body: Value = match serde_json::from_slice(&bytes) {
                    Ok(body) => body,
                    Err(e) => {
                        failures.push(format!("{what}: not JSON: {e}"));
                        continue;
                    }
                };
                let errors = schema_errors(&sweep.catalog, schema, &body);
                if !errors.is_empty() {
                    failures.push(format!(
                        "{what}: {}\n    body: {}",
                        errors.join("; "),
                        &body.to_string()[..body.to_string().len().min(300)]
                    ));
                }
            }
            (None, _) => {}
            (Some(_), _) => {
                if bytes.is_empty() || content_type.is_empty() {
                    failures.push(format!("{what}: empty binary answer"));
                }
            }
        }
    }
    assert_eq!(sweep.catalog.operations.len(), 288);
    assert!(
        failures.is_empty(),
        "{} operations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The event schema for an operation's stream. Legacy completions stream
/// `CreateCompletionResponse` objects although the spec does not say so.
pub(crate) fn event_schema(catalog: &Catalog, op: &Operation) -> Option<String> {
    if op.id == "createCompletion" {
        return Some("/components/schemas/CreateCompletionResponse".into());
    }
    let index = op.stream?;
    let target = catalog.schemas.target(index);
    let reference = target.get("$ref")?.as_str()?;
    Some(reference.trim_start_matches('#').to_string())
}

/// What is wrong with the server-sent events `text` of `op`: no events, a wrong terminal
/// (`[DONE]` ends exactly the chat and legacy completions streams), events that are not
/// JSON or do not validate against the operation's event schema.
pub(crate) fn event_errors(catalog: &Catalog, op: &Operation, text: &str) -> Vec<String> {
    let what = format!("{} {}", op.method, op.path);
    let datas: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .collect();
    // A resumed stream (`starting_after`) past its last event has none left.
    let resumed = op.id.ends_with("getResponse");
    if datas.is_empty() && !resumed {
        return vec![format!("{what}: no events")];
    }
    if ASSISTANT_STREAMS.contains(&op.id.as_str()) {
        return assistant_event_errors(catalog, &what, text);
    }
    let mut failures = Vec::new();
    let expects_done = matches!(op.id.as_str(), "createChatCompletion" | "createCompletion");
    if (datas.last() == Some(&"[DONE]")) != expects_done {
        failures.push(format!("{what}: wrong terminal event {:?}", datas.last()));
    }
    // A stored response's stream (`GET /responses/{id}?stream=true`) replays the events of
    // `POST /responses`; the spec declares them only there.
    let streamed_by = match op.id.strip_suffix("getResponse") {
        Some(beta) => catalog
            .operation(&format!("{beta}createResponse"))
            .unwrap_or(op),
        None => op,
    };
    let Some(validator) = event_schema(catalog, streamed_by)
        .and_then(|pointer| catalog.schemas.answer_validator_at(&pointer))
    else {
        failures.push(format!("{what}: streams, but has no event schema"));
        return failures;
    };
    for data in datas.iter().filter(|d| **d != "[DONE]") {
        let mut event: Value = match serde_json::from_str(data) {
            Ok(event) => event,
            Err(e) => {
                failures.push(format!("{what}: event is not JSON ({e}): {data}"));
                continue;
            }
        };
        if op.id == "createCompletion" {
            // The spec has no chunk schema for legacy completions; chunks are
            // `CreateCompletionResponse` objects whose `finish_reason` stays null until
            // the last one, as the real API sends them.
            for choice in event["choices"].as_array_mut().into_iter().flatten() {
                if choice["finish_reason"].is_null() {
                    choice["finish_reason"] = json!("stop");
                }
            }
        }
        let errors = first_errors(&validator, &event);
        if !errors.is_empty() {
            failures.push(format!(
                "{what}: {}: {}",
                &data[..data.len().min(120)],
                errors.join("; ")
            ));
        }
    }
    failures
}

/// The first two errors of `instance` against `validator`, with where they are.
fn first_errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .take(2)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// Operations that stream Assistants events (`event: thread.run.created` …, `event: done`
/// with `[DONE]`), which the spec declares only as `AssistantStreamEvent` `{event, data}`.
const ASSISTANT_STREAMS: [&str; 3] = ["createRun", "createThreadAndRun", "submitToolOuputsToRun"];

/// What is wrong with an Assistants event stream: each named event, as `{event, data}`, must
/// validate against `AssistantStreamEvent`, and the last must be `done`.
fn assistant_event_errors(catalog: &Catalog, what: &str, text: &str) -> Vec<String> {
    let Some(validator) = catalog
        .schemas
        .answer_validator_at("/components/schemas/AssistantStreamEvent")
    else {
        return vec![format!("{what}: AssistantStreamEvent does not compile")];
    };
    let mut failures = Vec::new();
    let mut last = None;
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let line = |prefix: &str| block.lines().find_map(|l| l.strip_prefix(prefix));
        let (Some(name), Some(data)) = (line("event: "), line("data: ")) else {
            failures.push(format!("{what}: an event without a name or data: {block}"));
            continue;
        };
        let data = match name {
            "done" => json!(data),
            _ => serde_json::from_str(data).unwrap_or(Value::Null),
        };
        let event = json!({"event": name, "data": data});
        let errors = first_errors(&validator, &event);
        if !errors.is_empty() {
            failures.push(format!("{what}: {name}: {}", errors.join("; ")));
        }
        last = Some(name.to_string());
    }
    if last.as_deref() != Some("done") {
        failures.push(format!("{what}: wrong terminal event {last:?}"));
    }
    failures
}

#[tokio::test]
async fn every_streaming_operation_sends_schema_valid_events() {
    let sweep = start().await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for op in &sweep.catalog.operations {
        let Some(pointer) = event_schema(&sweep.catalog, op) else {
            continue;
        };
        checked += 1;
        assert!(
            sweep
                .catalog
                .schemas
                .answer_validator_at(&pointer)
                .is_some(),
            "{pointer} compiles"
        );
        let response = send(&sweep, op, true).await;
        let what = format!("{} {}", op.method, op.path);
        assert!(
            response.status().is_success(),
            "{what}: {}",
            response.status()
        );
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{what}: {content_type}"
        );
        let text = response.text().await.expect("body");
        failures.extend(event_errors(&sweep.catalog, op, &text));
    }
    assert_eq!(
        checked, 8,
        "seven spec streams (with the beta createResponse) plus legacy completions"
    );
    assert!(
        failures.is_empty(),
        "invalid events:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_fixture_validates_against_its_schema() {
    let catalog = Catalog::embedded();
    assert!(!catalog.fixtures.is_empty());
    for (name, fixture) in &catalog.fixtures {
        let validator = catalog
            .schemas
            .answer_validator_at(&format!("/components/schemas/{name}"))
            .expect("fixture schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(fixture)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "fixture {name}: {}", errors.join("; "));
    }
}

#[tokio::test]
async fn every_json_argument_of_every_operation_rejects_a_wrong_type_with_a_400_naming_it() {
    let sweep = start().await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for op in &sweep.catalog.operations {
        let Some((media_type, body)) = body_for(&sweep.catalog, op, false) else {
            continue;
        };
        let Some(declared) = declared_properties(&sweep.catalog, op) else {
            continue;
        };
        if media_type != "application/json" {
            continue;
        }
        let url = url_for(&sweep.base, &sweep.catalog, op);
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).expect("method");
        for name in declared {
            let mut wrong = body.clone();
            // Nested empty arrays: no property of the spec accepts this shape.
            wrong[name.as_str()] = json!([[[]]]);
            let response = sweep
                .client
                .request(method.clone(), &url)
                .header("authorization", "Bearer sk-test")
                .json(&wrong)
                .send()
                .await
                .expect("answered");
            checked += 1;
            let status = response.status();
            let answer: Value = response.json().await.unwrap_or(Value::Null);
            let param = answer["error"]["param"].as_str().unwrap_or("");
            if status != 400 || !param.starts_with(name.as_str()) {
                failures.push(format!(
                    "{} {} `{name}`: {status} {answer}",
                    op.method, op.path
                ));
            }
        }
    }
    assert!(checked >= 400, "checked {checked} arguments");
    assert!(
        failures.is_empty(),
        "{} arguments:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The top-level property names of an operation's JSON request schema.
fn declared_properties(catalog: &Catalog, op: &Operation) -> Option<Vec<String>> {
    let body = op.body.as_ref()?;
    let media = body
        .content
        .iter()
        .find(|m| m.media_type == "application/json")?;
    let mut names = Vec::new();
    collect_properties(catalog, catalog.schemas.target(media.schema), &mut names, 0);
    (!names.is_empty()).then_some(names)
}

/// Property names of a schema and of its `allOf` parts.
fn collect_properties(catalog: &Catalog, schema: &Value, names: &mut Vec<String>, depth: usize) {
    let (schema, _) = catalog.schemas.resolve(schema);
    if depth > 4 {
        return;
    }
    for name in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_properties(catalog, part, names, depth + 1);
    }
}
