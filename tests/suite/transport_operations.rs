//! Operations: `GET /`, `/health`, the served spec, CORS, request logs, limits and timeouts.

use crate::support::binary::{body_of, chat_body, raw_exchange, status_of, Spawned};
use serde_json::Value;
use std::io::{Read, Write};
use std::time::Duration;

#[tokio::test]
async fn root_reports_version_spec_base_urls_and_certificate() {
    let server = Spawned::start(&["--port", "0", "--https-port", "0"], 3);
    let root: Value = reqwest::get(format!("{}/", server.http()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(root["name"], "openai-mock");
    assert_eq!(root["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(root["spec"]["openapi"], "3.1.0");
    assert!(root["spec"]["version"].is_string(), "{root}");
    assert_eq!(
        root["spec"]["date"],
        openai_mock::server::spec_date().unwrap()
    );
    assert_eq!(
        root["operations"],
        openai_mock::catalog::Catalog::embedded().operations.len()
    );
    assert_eq!(
        root["base_urls"],
        serde_json::json!([
            format!("{}/v1", server.http()),
            format!("{}/v1", server.https())
        ])
    );
    assert_eq!(root["tls_cert"], server.cert_path().to_str().unwrap());

    let health = reqwest::get(format!("{}/health", server.http()))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn the_pinned_spec_is_served_as_yaml_and_json() {
    let server = Spawned::start(&["--port", "0"], 1);
    let yaml = reqwest::get(format!("{}/openapi.yaml", server.http()))
        .await
        .unwrap();
    assert_eq!(yaml.status(), 200);
    assert_eq!(yaml.headers()["content-type"], "application/yaml");
    let yaml = yaml.text().await.unwrap();
    let pinned =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/openapi.yml")).unwrap();
    assert_eq!(
        yaml, pinned,
        "/openapi.yaml is spec/openapi.yml byte for byte"
    );

    let json = reqwest::get(format!("{}/openapi.json", server.http()))
        .await
        .unwrap();
    assert_eq!(json.status(), 200);
    assert_eq!(json.headers()["content-type"], "application/json");
    let json: Value = json.json().await.unwrap();
    let from_yaml: Value = serde_saphyr::from_str_with_options(
        &pinned,
        serde_saphyr::options! { strict_booleans: true },
    )
    .unwrap();
    assert_eq!(json, from_yaml, "/openapi.json is the same document");
    assert!(json["paths"]["/chat/completions"]["post"].is_object());
}

/// Sends an OPTIONS preflight from `origin`.
async fn preflight(url: &str, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_is_permissive_by_default_and_answers_preflights() {
    let server = Spawned::start(&["--port", "0"], 1);
    let url = format!("{}/v1/chat/completions", server.http());
    let answer = preflight(&url, "https://app.example").await;
    assert_eq!(answer.status(), 204);
    let headers = answer.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example"
    );
    assert!(headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert_eq!(
        headers["access-control-allow-headers"],
        "authorization, content-type"
    );

    let response = reqwest::Client::new()
        .post(&url)
        .header("origin", "https://app.example")
        .bearer_auth("sk-test")
        .json(&chat_body(false))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(response.headers()["access-control-expose-headers"], "*");
    assert_eq!(response.headers()["vary"], "origin");

    // Not a CORS request: no CORS headers.
    let plain = reqwest::get(format!("{}/health", server.http()))
        .await
        .unwrap();
    assert!(plain.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_origins_can_be_restricted() {
    let server = Spawned::start_with_env(
        &["--port", "0", "--cors-origin", "https://one.example"],
        &[("OPENAI_MOCK_CORS_ORIGINS", "https://ignored.example")],
        1,
    );
    let url = format!("{}/v1/models", server.http());
    assert_eq!(preflight(&url, "https://one.example").await.status(), 204);
    let refused = preflight(&url, "https://ignored.example").await;
    assert_eq!(refused.status(), 403, "the flag wins over the environment");
    let error: Value = refused.json().await.unwrap();
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("https://ignored.example"));
    // A simple request from another origin is served, without CORS headers.
    let response = reqwest::Client::new()
        .get(&url)
        .header("origin", "https://evil.example")
        .bearer_auth("sk-test")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn cors_false_turns_cors_off() {
    let server = Spawned::start(&["--port", "0", "--cors", "false"], 1);
    let url = format!("{}/v1/chat/completions", server.http());
    let answer = preflight(&url, "https://app.example").await;
    assert_eq!(
        answer.status(),
        405,
        "OPTIONS reaches the API, which has no such method"
    );
    assert!(answer
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

/// The request log lines (JSON) of a server, after it stopped.
fn request_log_lines(mut server: Spawned) -> Vec<Value> {
    server.signal("TERM");
    server.wait_exit(Duration::from_secs(20)).expect("exits");
    server
        .final_stderr()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "openai_mock::request")
        .collect()
}

#[tokio::test]
async fn each_request_logs_one_json_line_and_keys_are_masked() {
    const KEY: &str = "sk-secret-0123456789abcdef";
    let server = Spawned::start(
        &[
            "--port",
            "0",
            "--log-format",
            "json",
            "--log-level",
            "trace",
        ],
        1,
    );
    let client = reqwest::Client::new();
    let base = format!("{}/v1", server.http());
    let valid = client
        .post(format!("{base}/chat/completions"))
        .bearer_auth(KEY)
        .json(&chat_body(false))
        .send()
        .await
        .unwrap();
    assert_eq!(valid.status(), 200);
    let invalid = client
        .post(format!("{base}/chat/completions"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"model": "gpt-4o-mini"}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 400);
    let unknown = client
        .get(format!("{base}/nope"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    let stderr_before_stop = server.stderr();
    let lines = request_log_lines(server);
    assert_eq!(lines.len(), 3, "{lines:?}");
    let fields: Vec<(String, String, String, u64, String)> = lines
        .iter()
        .map(|l| {
            (
                l["method"].as_str().unwrap().to_string(),
                l["path"].as_str().unwrap().to_string(),
                l["operation"].as_str().unwrap().to_string(),
                l["status"].as_u64().unwrap(),
                l["validation"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            (
                "POST".into(),
                "/v1/chat/completions".into(),
                "createChatCompletion".into(),
                200,
                "valid".into()
            ),
            (
                "POST".into(),
                "/v1/chat/completions".into(),
                "createChatCompletion".into(),
                400,
                "invalid".into()
            ),
            (
                "GET".into(),
                "/v1/nope".into(),
                "-".into(),
                404,
                "no_route".into()
            ),
        ]
    );
    for line in &lines {
        assert!(line["ms"].as_f64().is_some(), "{line}");
        assert_eq!(line["key"], openai_mock::error::mask_key(KEY));
    }
    assert!(
        !stderr_before_stop.contains(KEY),
        "the full key was logged at trace level"
    );
}

#[tokio::test]
async fn text_logs_are_key_value_lines_and_the_level_filters_them() {
    let server = Spawned::start(&["--port", "0"], 1);
    reqwest::get(format!("{}/health", server.http()))
        .await
        .unwrap();
    let text = server.stderr_containing("openai_mock::request");
    let line = text
        .lines()
        .find(|l| l.contains("openai_mock::request"))
        .unwrap_or_else(|| panic!("no request line in {text:?}"));
    for field in [
        "method=GET",
        "path=/health",
        "status=200",
        "validation=\"builtin\"",
        "ms=",
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }

    let quiet = Spawned::start(&["--port", "0", "--log-level", "warn"], 1);
    reqwest::get(format!("{}/health", quiet.http()))
        .await
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !quiet.stderr().contains("openai_mock::request"),
        "{}",
        quiet.stderr()
    );
}

#[test]
fn a_request_not_finished_within_the_request_timeout_gets_a_408() {
    let server = Spawned::start(&["--port", "0", "--request-timeout-secs", "1"], 1);
    let mut stream = std::net::TcpStream::connect(server.addr("http")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"model\""
    )
    .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).expect("an answer");
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert_eq!(status_of(&answer), 408, "{answer}");
    let body: Value = serde_json::from_str(body_of(&answer)).unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("timed out"));
    server.assert_healthy();
}

#[test]
fn bodies_over_the_limit_get_a_413_envelope() {
    let server = Spawned::start(&["--port", "0", "--max-body-bytes", "1000"], 1);
    let body = format!(
        r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"{}"}}]}}"#,
        "x".repeat(2000)
    );
    let answer = raw_exchange(
        server.addr("http"),
        format!(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    assert_eq!(status_of(&answer), 413, "{answer}");
    let error: Value = serde_json::from_str(body_of(&answer)).unwrap();
    assert_eq!(
        error["error"]["message"],
        "Request body too large: the limit is 1000 bytes."
    );
    assert_eq!(error["error"]["type"], "invalid_request_error");
}
