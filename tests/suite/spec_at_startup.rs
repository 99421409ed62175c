//! `--spec FILE`: another OpenAPI document, compiled when the server starts, replaces the
//! embedded one (routes, validation, answers, `/openapi.*`); an unusable one stops the server.

use crate::support::binary::Spawned;
use serde_json::{json, Value};
use std::path::PathBuf;

const WIDGETS: &str = r##"openapi: 3.1.0
info: {title: Widgets, version: "7"}
servers: [{url: https://api.example.com/v2}]
paths:
  /widgets:
    post:
      operationId: createWidget
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              additionalProperties: false
              properties:
                name: {type: string}
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Widget"}
components:
  schemas:
    Widget:
      type: object
      required: [id, name, x, y]
      properties:
        id: {type: string}
        name: {type: string}
        x: {type: integer}
        y: {type: integer}
"##;

fn scratch(name: &str, contents: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spec-at-startup");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

async fn post(url: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth("sk-test")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_spec_file_replaces_the_embedded_spec() {
    let file = scratch("widgets.yaml", WIDGETS);
    let server = Spawned::start(&["--port", "0", "--spec", file.to_str().unwrap()], 1);
    let base = server.http();

    let (status, widget) = post(&format!("{base}/v2/widgets"), &json!({"name": "gear"})).await;
    assert_eq!(status, 200, "{widget}");
    assert_eq!(widget["name"], "gear", "the input is reflected: {widget}");
    assert!(widget["x"].is_i64() && widget["y"].is_i64(), "{widget}");

    let (status, error) = post(&format!("{base}/v2/widgets"), &json!({"name": 1})).await;
    assert_eq!(status, 400, "validated against the file's schema: {error}");
    let (status, error) = post(&format!("{base}/v2/widgets"), &json!({"name": "a", "z": 1})).await;
    assert_eq!(status, 400, "{error}");

    let (status, error) = post(&format!("{base}/v2/chat/completions"), &json!({})).await;
    assert_eq!(status, 404, "the embedded operations are gone: {error}");

    let root: Value = reqwest::get(format!("{base}/"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(root["operations"], 1);
    assert_eq!(root["spec"]["version"], "7");
    assert_eq!(root["spec"]["file"], file.to_str().unwrap());
    let served = reqwest::get(format!("{base}/openapi.yaml"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(served, WIDGETS);
    let served: Value = reqwest::get(format!("{base}/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        served["components"]["schemas"]["Widget"]["required"],
        json!(["id", "name", "x", "y"])
    );
}

/// The pinned upstream document itself (not the stripped copy), through the environment.
#[tokio::test]
async fn the_full_upstream_document_serves_every_operation() {
    let gz = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/spec/upstream/openapi-2026-08-21.yaml.gz"
    );
    let output = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(gz)
        .output()
        .unwrap();
    assert!(output.status.success());
    let file = scratch(
        "upstream.yaml",
        std::str::from_utf8(&output.stdout).unwrap(),
    );
    let server = Spawned::start_with_env(
        &["--port", "0"],
        &[("OPENAI_MOCK_SPEC", file.to_str().unwrap())],
        1,
    );
    let base = server.http();
    let root: Value = reqwest::get(format!("{base}/"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(root["operations"], 288);
    let body = json!({"model": "gpt-4.1", "input": "Say hello."});
    let (status, answer) = post(&format!("{base}/v1/responses?beta=true"), &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["object"], "response");
    let (status, answer) = post(
        &format!("{base}/v1/chat/completions"),
        &json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["choices"][0]["message"]["role"], "assistant");
}

#[tokio::test]
async fn the_config_file_key_names_the_spec_too() {
    let spec = scratch("widgets-from-config.yaml", WIDGETS);
    let config = scratch(
        "config.yaml",
        &format!("port: 0\nspec: {}\n", spec.display()),
    );
    let server = Spawned::start(&["--config", config.to_str().unwrap()], 1);
    let (status, widget) = post(
        &format!("{}/v2/widgets", server.http()),
        &json!({"name": "cog"}),
    )
    .await;
    assert_eq!(status, 200, "{widget}");
}

#[test]
fn an_unusable_spec_stops_the_server_naming_the_file_and_the_problem() {
    let broken = scratch("broken.yaml", "openapi: [3.1.0\n");
    let swagger = scratch("swagger.json", r#"{"swagger": "2.0", "paths": {}}"#);
    let missing = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-spec.yaml");
    for (file, reason) in [
        (&broken, "not valid YAML"),
        (&swagger, "missing the top-level `openapi` version field"),
        (&missing, "No such file"),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_openai-mock"))
            .args(["--port", "0", "--spec"])
            .arg(file)
            .output()
            .expect("the binary runs");
        assert!(!output.status.success());
        assert!(output.stdout.is_empty(), "nothing is served");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("cannot use the spec {}", file.display())),
            "{stderr}"
        );
        assert!(stderr.contains(reason), "{stderr}");
    }
}
