//! The in-process server for Rust tests: `openai_mock::MockServer`.

use openai_mock::{Config, MockServer};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn chat() -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]})
}

async fn post_chat(client: &reqwest::Client, base_url: &str) -> reqwest::Response {
    client
        .post(format!("{base_url}/chat/completions"))
        .bearer_auth("sk-test")
        .json(&chat())
        .send()
        .await
        .expect("the server answers")
}

#[tokio::test]
async fn two_servers_run_at_once_on_their_own_ephemeral_ports() {
    let first = MockServer::start().await;
    let second = MockServer::start().await;
    assert_ne!(first.address().port(), second.address().port());
    assert!(first.address().ip().is_loopback());
    for server in [&first, &second] {
        assert_eq!(server.uri(), format!("http://{}", server.address()));
        assert_eq!(server.base_url(), format!("{}/v1", server.uri()));
        let response = post_chat(&reqwest::Client::new(), &server.base_url()).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["object"], "chat.completion");
        // The SDK test suites call operations without `/v1`, under uri().
        let models = reqwest::Client::new()
            .get(format!("{}/models", server.uri()))
            .bearer_auth("sk-test")
            .send()
            .await
            .unwrap();
        assert_eq!(models.status(), 200);
    }
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let server = MockServer::start().await;
    let addr = server.address();
    let health = reqwest::get(format!("{}/health", server.uri()))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    drop(server);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::net::TcpStream::connect(addr).await {
            Err(_) => break,
            Ok(_) if Instant::now() > deadline => panic!("{addr} still accepts connections"),
            Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

#[tokio::test]
async fn graceful_shutdown_lets_an_in_flight_request_finish() {
    let server = MockServer::start().await;
    let addr = server.address();
    // Send the head and half the body, so the request is in flight when shutdown starts.
    let body = serde_json::to_vec(&chat()).unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    // Wait until the server has the connection, then shut down while it is in flight.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.open_connections() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let shutdown = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !shutdown.is_finished(),
        "shutdown did not wait for the request"
    );
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "new connections are still accepted during the drain"
    );
    stream.write_all(&body[10..]).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("chat.completion"), "{answer}");
    shutdown.await.unwrap().expect("shutdown succeeds");
}

#[tokio::test]
async fn the_builder_restricts_keys() {
    let server = MockServer::builder().api_key("sk-good").start().await;
    let client = reqwest::Client::new();
    let refused = client
        .get(format!("{}/models", server.base_url()))
        .bearer_auth("sk-other-key-1234")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key");
    let accepted = client
        .get(format!("{}/models", server.base_url()))
        .bearer_auth("sk-good")
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
}

#[tokio::test]
async fn the_builder_seed_decides_the_generated_bodies() {
    // A chat completion's id is generated from the seed and the request.
    async fn completion_id(seed: u64) -> Value {
        let server = MockServer::builder().seed(seed).start().await;
        let body: Value = post_chat(&reqwest::Client::new(), &server.base_url())
            .await
            .json()
            .await
            .unwrap();
        body["id"].clone()
    }
    let (a, again, b) = (
        completion_id(1).await,
        completion_id(1).await,
        completion_id(2).await,
    );
    assert!(
        a.as_str().is_some_and(|id| id.starts_with("chatcmpl-")),
        "{a}"
    );
    assert_eq!(a, again, "the same seed gives the same body");
    assert_ne!(a, b, "another seed gives another body");
}

#[tokio::test]
async fn the_builder_serves_https_with_a_certificate_to_trust() {
    let server = MockServer::builder().https(true).start().await;
    let pem = server.tls_cert_pem().expect("a certificate");
    let path = server
        .tls_cert_path()
        .expect("a certificate file")
        .to_path_buf();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pem);
    let https = server.https_base_url().expect("an https base URL");
    assert!(https.starts_with("https://127.0.0.1:") && https.ends_with("/v1"));

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let response = post_chat(&client, &https).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    // Plain HTTP keeps working next to it.
    assert_eq!(post_chat(&client, &server.base_url()).await.status(), 200);
    drop(server);
    assert!(
        !path.exists(),
        "the generated certificate outlived the server"
    );
}

#[tokio::test]
async fn a_whole_config_can_be_given() {
    let server = MockServer::builder()
        .config(Config {
            port: 0,
            http: false,
            https_port: Some(0),
            cors: false,
            ..Config::default()
        })
        .start()
        .await;
    assert!(server.uri().starts_with("https://"), "{}", server.uri());
    assert_eq!(server.https_uri().as_deref(), Some(server.uri().as_str()));
    let pem = server.tls_cert_pem().unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let preflight = client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/chat/completions", server.base_url()),
        )
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(preflight
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn a_port_in_use_is_an_error_not_a_panic_with_try_start() {
    let taken = MockServer::start().await;
    let error = MockServer::builder()
        .config(Config {
            port: taken.address().port(),
            ..Config::default()
        })
        .try_start()
        .await
        .err()
        .expect("the port is taken");
    assert!(
        error.to_string().contains("cannot listen for http"),
        "{error}"
    );
}

#[tokio::test]
async fn received_requests_list_what_the_server_answered_and_reset_empties_them() {
    let server = MockServer::start().await;
    let client = reqwest::Client::new();
    assert_eq!(post_chat(&client, &server.base_url()).await.status(), 200);
    let missing = client
        .get(format!("{}/no/such/path", server.base_url()))
        .bearer_auth("sk-test")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let requests = server.received_requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(
        requests[0].operation.as_deref(),
        Some("createChatCompletion")
    );
    assert_eq!(requests[0].status, 200);
    assert_eq!(requests[0].trace.model.as_deref(), Some("gpt-4o-mini"));
    assert!(requests[0].request_id.starts_with("req_"));
    assert_eq!(
        (requests[1].status, requests[1].operation.as_deref()),
        (404, None)
    );

    server.reset();
    assert!(server.received_requests().is_empty());
}

#[tokio::test]
async fn rules_added_while_the_server_runs_answer_the_next_request() {
    let server = MockServer::start().await;
    let client = reqwest::Client::new();
    let added = server
        .rules("rules:\n  - name: greet\n    match: {last_user_message: hello}\n    reply: {text: Scripted hello.}\n")
        .expect("the rules are valid");
    assert_eq!(added, 1);
    let body: Value = post_chat(&client, &server.base_url())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "Scripted hello.");
    assert_eq!(
        server.received_requests()[0].trace.rule.as_deref(),
        Some("greet")
    );

    let error = server.rules("rules:\n  - reply: {bogus: 1}\n").unwrap_err();
    assert!(error.to_string().contains("bogus"), "{error}");
}
