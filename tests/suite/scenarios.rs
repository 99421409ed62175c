//! Scenario control over real HTTP: response rules (every match type, action and template
//! variable), priorities and sequences, control headers, fault injection, rate limits,
//! latency and stream faults, hot reload, the request log, and startup errors.
//!
//! Each test starts an in-process mock from a config file written to a temp directory, the
//! way a user would run `openai-mock --config FILE`.

use futures_util::StreamExt;
use openai_mock::{Config, MockServer};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A mock started with a config file, and a client for it.
struct Scenario {
    server: MockServer,
    client: reqwest::Client,
    file: PathBuf,
}

/// A fresh directory for one test's files.
fn temp_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "openai-mock-scenarios-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

impl Scenario {
    /// A mock with `yaml` as its config file and `flags` on its command line.
    async fn start(yaml: &str, flags: &[&str]) -> Scenario {
        let file = temp_dir().join("config.yaml");
        std::fs::write(&file, yaml).expect("config written");
        let mut args = vec![
            "openai-mock".to_string(),
            "--port".into(),
            "0".into(),
            "--config".into(),
            file.display().to_string(),
        ];
        args.extend(flags.iter().map(|f| f.to_string()));
        let config = Config::load_from(args).expect("config loads");
        Scenario {
            server: MockServer::builder().config(config).start().await,
            client: reqwest::Client::new(),
            file,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.uri())
    }

    /// POSTs `body` to `/v1{path}` with extra headers; the status, headers and JSON answer.
    async fn post_with(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> (u16, HeaderMap, Value) {
        let mut request = self
            .client
            .post(self.url(&format!("/v1{path}")))
            .bearer_auth("sk-test")
            .json(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("answered");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body read");
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, headers, json)
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, _, json) = self.post_with(path, body, &[]).await;
        (status, json)
    }

    /// The content of a chat completion answering `message`.
    async fn chat_text(&self, message: &str) -> String {
        let (status, answer) = self.post("/chat/completions", &chat(message)).await;
        assert_eq!(status, 200, "{answer}");
        answer["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn admin(&self, method: reqwest::Method, path: &str) -> Value {
        self.client
            .request(method, self.url(path))
            .send()
            .await
            .expect("answered")
            .json()
            .await
            .expect("json")
    }
}

fn chat(message: &str) -> Value {
    json!({"model": "gpt-4o", "messages": [{"role": "user", "content": message}]})
}

#[tokio::test]
async fn each_match_type_selects_its_rule() {
    let mock = Scenario::start(
        r#"
rules:
  - {name: by-endpoint, match: {endpoint: GET /models}, reply: {body: {object: list, data: []}}}
  - {name: by-operation, match: {operation: createResponse}, reply: {text: by operation}}
  - {name: by-model, match: {model: [gpt-4.1-nano, gpt-4.1-mini]}, reply: {text: by model}}
  - {name: by-message, match: {last_user_message: '(?i)^what is the weather'}, reply: {text: by message}}
  - {name: by-system, match: {system_prompt: pirate}, reply: {text: by system prompt}}
  - {name: by-tools, match: {tools: true}, reply: {text: by tools}}
  - {name: by-header, match: {headers: {x-tenant: '^acme$'}}, reply: {text: by header}}
  - {name: by-body, match: {body: {/temperature: 0.25, /metadata/suite: b}}, reply: {text: by body}}
"#,
        &[],
    )
    .await;
    let models: Value = mock
        .client
        .get(mock.url("/v1/models"))
        .bearer_auth("sk-test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models, json!({"object": "list", "data": []}));

    let (_, response) = mock
        .post("/responses", &json!({"model": "gpt-4o", "input": "hello"}))
        .await;
    assert_eq!(response["output"][0]["content"][0]["text"], "by operation");

    let by_model =
        json!({"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]});
    let (_, answer) = mock.post("/chat/completions", &by_model).await;
    assert_eq!(answer["choices"][0]["message"]["content"], "by model");

    assert_eq!(
        mock.chat_text("What is the weather in Oslo?").await,
        "by message"
    );
    assert_ne!(
        mock.chat_text("So what is the weather?").await,
        "by message"
    );

    let system = json!({"model": "gpt-4o", "messages": [
        {"role": "system", "content": "You are a pirate."}, {"role": "user", "content": "hi"}]});
    let (_, answer) = mock.post("/chat/completions", &system).await;
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "by system prompt"
    );

    let tools = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "noop", "parameters": {"type": "object"}}}]});
    let (_, answer) = mock.post("/chat/completions", &tools).await;
    assert_eq!(answer["choices"][0]["message"]["content"], "by tools");

    let (_, _, answer) = mock
        .post_with("/chat/completions", &chat("hi"), &[("x-tenant", "acme")])
        .await;
    assert_eq!(answer["choices"][0]["message"]["content"], "by header");
    let (_, _, answer) = mock
        .post_with(
            "/chat/completions",
            &chat("hi"),
            &[("x-tenant", "acme-corp")],
        )
        .await;
    assert_ne!(answer["choices"][0]["message"]["content"], "by header");

    let mut body = chat("hi");
    body["temperature"] = json!(0.25);
    body["metadata"] = json!({"suite": "b"});
    let (_, answer) = mock.post("/chat/completions", &body).await;
    assert_eq!(answer["choices"][0]["message"]["content"], "by body");
    body["metadata"] = json!({"suite": "c"});
    let (_, answer) = mock.post("/chat/completions", &body).await;
    assert_ne!(answer["choices"][0]["message"]["content"], "by body");

    let log = mock.admin(reqwest::Method::GET, "/__mock/requests").await;
    let rules: Vec<&str> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["rule"].as_str())
        .collect();
    assert_eq!(
        rules,
        [
            "by-endpoint",
            "by-operation",
            "by-model",
            "by-message",
            "by-system",
            "by-tools",
            "by-header",
            "by-body"
        ]
    );
}

#[tokio::test]
async fn every_action_answers_as_configured() {
    let dir = temp_dir();
    std::fs::write(
        dir.join("embedding.json"),
        r#"{"object": "list", "model": "{{model}}", "data": [], "usage": {"prompt_tokens": 0, "total_tokens": 0}}"#,
    )
    .unwrap();
    let body_file = dir.join("embedding.json").display().to_string();
    let mock = Scenario::start(
        &format!(
            r#"
rules:
  - match: {{last_user_message: ^text$}}
    reply: {{text: Exactly these words.}}
  - match: {{last_user_message: ^tools$}}
    reply:
      tool_calls:
        - {{name: get_weather, arguments: {{city: Paris}}, id: call_fixed}}
        - {{name: get_time, arguments: '{{"zone": "CET"}}'}}
  - match: {{last_user_message: ^body$}}
    reply: {{status: 201, body: {{hello: world}}}}
  - match: {{endpoint: /embeddings}}
    reply: {{body_file: {body_file}}}
  - match: {{last_user_message: ^error$}}
    reply:
      error: {{status: 418, type: teapot_error, code: short_and_stout, message: I am a teapot, param: kettle, headers: {{x-extra: on-purpose}}}}
  - match: {{last_user_message: ^reset$}}
    reply: {{error: connection_reset}}
  - match: {{last_user_message: ^slow$}}
    reply: {{latency_ms: 300}}
"#
        ),
        &[],
    )
    .await;

    let (_, answer) = mock.post("/chat/completions", &chat("text")).await;
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "Exactly these words."
    );
    // Usage is counted from the scripted text (4 tokens in o200k_base).
    assert_eq!(answer["usage"]["completion_tokens"], 4);

    let (_, answer) = mock.post("/chat/completions", &chat("tools")).await;
    let calls = &answer["choices"][0]["message"]["tool_calls"];
    assert_eq!(calls[0]["id"], "call_fixed");
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    assert_eq!(calls[0]["function"]["arguments"], r#"{"city":"Paris"}"#);
    assert_eq!(calls[1]["function"]["arguments"], r#"{"zone": "CET"}"#);
    assert!(calls[1]["id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");

    let (status, answer) = mock.post("/chat/completions", &chat("body")).await;
    assert_eq!((status, answer), (201, json!({"hello": "world"})));

    let (status, answer) = mock
        .post(
            "/embeddings",
            &json!({"model": "text-embedding-3-small", "input": "x"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(answer["model"], "text-embedding-3-small");

    let (status, headers, answer) = mock
        .post_with("/chat/completions", &chat("error"), &[])
        .await;
    assert_eq!(status, 418);
    assert_eq!(
        answer,
        json!({"error": {"message": "I am a teapot", "type": "teapot_error", "param": "kettle", "code": "short_and_stout"}})
    );
    assert_eq!(headers["x-extra"], "on-purpose");

    let reset = mock
        .client
        .post(mock.url("/v1/chat/completions"))
        .bearer_auth("sk-test")
        .json(&chat("reset"))
        .send()
        .await;
    let failed = match reset {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "a reset connection gives no complete answer");

    let started = Instant::now();
    let (status, answer) = mock.post("/chat/completions", &chat("slow")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(status, 200);
    assert_eq!(answer["object"], "chat.completion");

    // The server is still fine after all of that.
    assert_eq!(mock.chat_text("text").await, "Exactly these words.");
}

#[tokio::test]
async fn templates_render_every_variable() {
    let mock = Scenario::start(
        r#"
rules:
  - reply:
      body:
        id: "{{id}}"
        created: "{{created}}"
        model: "{{model}}"
        said: "{{last_user_message}}"
        user: "{{request./metadata/user}}"
        n: "{{request.n}}"
        sentence: "{{model}} was asked {{request./n}} times: {{last_user_message}}"
"#,
        &[],
    )
    .await;
    let mut body = chat("Hello there");
    body["metadata"] = json!({"user": "u-7"});
    body["n"] = json!(2);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (status, answer) = mock.post("/chat/completions", &body).await;
    assert_eq!(status, 200);
    assert!(
        answer["id"].as_str().unwrap().starts_with("chatcmpl-"),
        "{answer}"
    );
    let created = answer["created"].as_i64().unwrap();
    assert!((before - 1..=before + 5).contains(&created));
    assert_eq!(answer["model"], "gpt-4o");
    assert_eq!(answer["said"], "Hello there");
    assert_eq!(answer["user"], "u-7");
    assert_eq!(answer["n"], 2);
    assert_eq!(answer["sentence"], "gpt-4o was asked 2 times: Hello there");

    let (_, again) = mock.post("/chat/completions", &body).await;
    assert_ne!(again["id"], answer["id"], "each answer gets a fresh id");
    let (_, response) = mock
        .post("/responses", &json!({"model": "gpt-4o", "input": "x"}))
        .await;
    assert!(response["id"].as_str().unwrap().starts_with("resp_"));
}

#[tokio::test]
async fn priorities_decide_and_sequences_count_per_conversation() {
    let mock = Scenario::start(
        r#"
rules:
  - {name: low, match: {last_user_message: pick}, reply: {text: low}}
  - {name: high, priority: 5, match: {last_user_message: pick}, reply: {text: high}}
  - {name: first-of-two, match: {last_user_message: tie}, reply: {text: first}}
  - {name: second-of-two, match: {last_user_message: tie}, reply: {text: second}}
  - name: script
    match: {last_user_message: script}
    sequence: [{text: A}, {text: B}, {text: C}]
  - name: once
    match: {last_user_message: ^once$}
    sequence: [{text: only once}]
    after_sequence: stop
  - name: fallback
    match: {last_user_message: ^once$}
    reply: {text: fallback}
"#,
        &[],
    )
    .await;
    assert_eq!(mock.chat_text("pick one").await, "high");
    assert_eq!(mock.chat_text("tie").await, "first");

    let turn = |n: usize, first: &str| {
        let mut messages = vec![json!({"role": "user", "content": first})];
        for i in 0..n {
            messages.push(json!({"role": "assistant", "content": format!("turn {i}")}));
            messages.push(json!({"role": "user", "content": "script continues"}));
        }
        json!({"model": "gpt-4o", "messages": messages})
    };
    let mut texts = Vec::new();
    for n in 0..4 {
        let (_, answer) = mock.post("/chat/completions", &turn(n, "script one")).await;
        texts.push(answer["choices"][0]["message"]["content"].clone());
    }
    assert_eq!(texts, [json!("A"), json!("B"), json!("C"), json!("C")]);
    // Another conversation starts at A; so does one named by header.
    let (_, answer) = mock.post("/chat/completions", &turn(0, "script two")).await;
    assert_eq!(answer["choices"][0]["message"]["content"], "A");
    for expected in ["A", "B"] {
        let (_, _, answer) = mock
            .post_with(
                "/chat/completions",
                &turn(0, "script one"),
                &[("x-mock-conversation", "named")],
            )
            .await;
        assert_eq!(answer["choices"][0]["message"]["content"], expected);
    }

    assert_eq!(mock.chat_text("once").await, "only once");
    assert_eq!(mock.chat_text("once").await, "fallback");

    mock.admin(reqwest::Method::POST, "/__mock/reset").await;
    assert_eq!(mock.chat_text("once").await, "only once");
}

#[tokio::test]
async fn control_headers_steer_each_request() {
    let mock = Scenario::start(
        "rules:\n  - {name: chosen, match: {model: never}, reply: {text: chosen by header}}\n",
        &[],
    )
    .await;
    let body = chat("Tell me about the sea");
    let (status, headers, answer) = mock
        .post_with("/chat/completions", &body, &[("x-mock-status", "503")])
        .await;
    assert_eq!(status, 503);
    assert_eq!(answer["error"]["type"], "server_error");
    assert!(headers.contains_key("x-request-id"));

    let (status, headers, answer) = mock
        .post_with(
            "/chat/completions",
            &body,
            &[("x-mock-error", "rate_limit_exceeded")],
        )
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (429, Some("rate_limit_exceeded"))
    );
    assert_eq!(headers["retry-after"], "1");

    let (_, _, answer) = mock
        .post_with("/chat/completions", &body, &[("x-mock-rule", "chosen")])
        .await;
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "chosen by header"
    );

    let content = |answer: &Value| answer["choices"][0]["message"]["content"].clone();
    let (_, _, a) = mock
        .post_with("/chat/completions", &body, &[("x-mock-seed", "1")])
        .await;
    let (_, _, b) = mock
        .post_with("/chat/completions", &body, &[("x-mock-seed", "1")])
        .await;
    assert_eq!(content(&a), content(&b));
    let differs = futures_util::future::join_all((2..8).map(|seed| {
        let seed = seed.to_string();
        let body = body.clone();
        let mock = &mock;
        async move {
            let (_, _, answer) = mock
                .post_with(
                    "/chat/completions",
                    &body,
                    &[("x-mock-seed", seed.as_str())],
                )
                .await;
            content(&answer)
        }
    }))
    .await
    .into_iter()
    .any(|c| c != content(&a));
    assert!(differs, "another seed words the answer differently");

    let (status, _, answer) = mock
        .post_with("/chat/completions", &body, &[("x-mock-latncy-ms", "5")])
        .await;
    assert_eq!(status, 400);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("x-mock-latncy-ms"));

    let off = Scenario::start(
        "rules:\n  - {name: chosen, match: {model: never}, reply: {text: chosen by header}}\n",
        &["--no-control-headers"],
    )
    .await;
    for header in [
        ("x-mock-status", "503"),
        ("x-mock-rule", "chosen"),
        ("x-mock-bogus", "1"),
    ] {
        let (status, _, answer) = off.post_with("/chat/completions", &body, &[header]).await;
        assert_eq!(status, 200, "{header:?} is ignored");
        assert_ne!(
            answer["choices"][0]["message"]["content"],
            "chosen by header"
        );
    }
}

#[tokio::test]
async fn the_error_rate_injects_its_mix_deterministically() {
    let statuses = |mock: Scenario| async move {
        let mut out = Vec::new();
        for _ in 0..40 {
            let (status, _) = mock.post("/chat/completions", &chat("hi")).await;
            out.push(status);
        }
        out
    };
    let flags = [
        "--error-rate",
        "0.5",
        "--error-mix",
        "overloaded=1,server_error=1",
        "--seed",
        "11",
    ];
    let first = statuses(Scenario::start("", &flags).await).await;
    let second = statuses(Scenario::start("", &flags).await).await;
    assert_eq!(first, second, "the same seed injects the same failures");
    assert!(
        first.iter().all(|s| [200, 500, 503].contains(s)),
        "{first:?}"
    );
    let failed = first.iter().filter(|s| **s != 200).count();
    assert!((8..=32).contains(&failed), "{failed} of 40 failed");
    assert!(first.contains(&500) && first.contains(&503));

    let other_seed = statuses(
        Scenario::start(
            "",
            &[
                "--error-rate",
                "0.5",
                "--error-mix",
                "overloaded=1,server_error=1",
                "--seed",
                "12",
            ],
        )
        .await,
    )
    .await;
    assert_ne!(first, other_seed);

    let mock = Scenario::start(
        "",
        &["--error-rate", "1", "--error-mix", "insufficient_quota"],
    )
    .await;
    let (status, answer) = mock.post("/chat/completions", &chat("hi")).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (429, Some("insufficient_quota"))
    );
}

#[tokio::test]
async fn rate_limits_refuse_the_fourth_request_with_agreeing_headers() {
    let mock = Scenario::start(
        "rate_limits:\n  - key=sk-test rpm=3\n  - model=gpt-4o-mini tpm=50\n",
        &[],
    )
    .await;
    for remaining in ["2", "1", "0"] {
        let (status, headers, _) = mock.post_with("/chat/completions", &chat("hi"), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(headers["x-ratelimit-limit-requests"], "3");
        assert_eq!(headers["x-ratelimit-remaining-requests"], remaining);
        // Only a request limit applies to this key: the token headers keep their defaults.
        assert_eq!(headers["x-ratelimit-limit-tokens"], "30000000");
    }
    let (status, headers, answer) = mock.post_with("/chat/completions", &chat("hi"), &[]).await;
    assert_eq!(status, 429);
    assert_eq!(answer["error"]["type"], "requests");
    assert_eq!(answer["error"]["code"], "rate_limit_exceeded");
    let retry_ms: u64 = headers["retry-after-ms"].to_str().unwrap().parse().unwrap();
    assert!((15_000..=20_000).contains(&retry_ms), "{retry_ms}");
    assert_eq!(
        headers["retry-after"],
        retry_ms.div_ceil(1000).to_string().as_str()
    );
    assert_eq!(headers["x-ratelimit-remaining-requests"], "0");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Limit 3, Used 3, Requested 1"),
        "{message}"
    );

    // Another key, under the per-model token limit: 50 tokens a minute.
    let other = |max_tokens: u64| {
        json!({"model": "gpt-4o-mini", "max_tokens": max_tokens,
               "messages": [{"role": "user", "content": "hi"}]})
    };
    let send = |body: Value| {
        mock.client
            .post(mock.url("/v1/chat/completions"))
            .bearer_auth("sk-other")
            .json(&body)
            .send()
    };
    let ok = send(other(30)).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["x-ratelimit-limit-tokens"], "50");
    let left: u64 = ok.headers()["x-ratelimit-remaining-tokens"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(left < 20, "{left}");
    let refused = send(other(30)).await.unwrap();
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["type"], "tokens");
}

/// The arrival time of each SSE event of a streamed answer, and the events.
async fn timed_events(response: reqwest::Response) -> (Vec<Duration>, Vec<String>, bool) {
    let started = Instant::now();
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    let mut times = Vec::new();
    let mut events = Vec::new();
    let mut broken = false;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            broken = true;
            break;
        };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            times.push(started.elapsed());
            events.push(buffer[..end].to_string());
            buffer.drain(..end + 2);
        }
    }
    (times, events, broken)
}

#[tokio::test]
async fn streams_are_paced_by_flags_rules_and_headers() {
    let mock = Scenario::start(
        "rules:\n  - match: {last_user_message: ^paced$}\n    reply: {text: one two three four five six, ttft_ms: 250, chunk_interval_ms: 40, chunk_tokens: 1}\n",
        &["--ttft-ms", "0", "--chunk-interval-ms", "0"],
    )
    .await;
    // Warm up (the tokenizer tables are built on first use), so the timings below are pacing.
    mock.chat_text("warm up").await;
    let mut body = chat("paced");
    body["stream"] = json!(true);
    let started = Instant::now();
    let response = mock
        .client
        .post(mock.url("/v1/chat/completions"))
        .bearer_auth("sk-test")
        .json(&body)
        .send()
        .await
        .unwrap();
    let headers_at = started.elapsed();
    let (times, events, broken) = timed_events(response).await;
    assert!(!broken);
    let content: String = events
        .iter()
        .filter_map(|e| e.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(content, "one two three four five six");
    // One token per content chunk: 6 of them, after the role chunk.
    let deltas = events
        .iter()
        .filter(|e| e.contains("\"content\":\"") && !e.contains("\"content\":\"\""))
        .count();
    assert_eq!(deltas, 6);
    // Generous bounds: TTFT at least the 250 ms asked for, gaps of 40 ms on average.
    let ttft = headers_at + times[0];
    assert!(ttft >= Duration::from_millis(250), "ttft {ttft:?}");
    assert!(ttft < Duration::from_secs(10), "ttft {ttft:?}");
    let span = times[times.len() - 1] - times[0];
    let planned = Duration::from_millis(40) * (times.len() as u32 - 1);
    assert!(span >= planned / 2, "span {span:?} for {planned:?}");
    println!(
        "measured: ttft {:?}, {} events over {:?} (planned interval 40 ms)",
        ttft,
        times.len(),
        span
    );

    // Headers override: no TTFT wait for this one, and 3-token chunks.
    let started = Instant::now();
    let response = mock
        .client
        .post(mock.url("/v1/chat/completions"))
        .bearer_auth("sk-test")
        .header("x-mock-ttft-ms", "0")
        .header("x-mock-chunk-interval-ms", "0")
        .header("x-mock-chunk-tokens", "3")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (_, events, _) = timed_events(response).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let deltas = events
        .iter()
        .filter(|e| e.contains("\"content\":\"") && !e.contains("\"content\":\"\""))
        .count();
    assert_eq!(deltas, 2);

    // A flag applies to every stream without a rule.
    let flagged = Scenario::start("", &["--ttft-ms", "200"]).await;
    let mut plain = chat("Tell me about lakes");
    plain["stream"] = json!(true);
    let started = Instant::now();
    let response = flagged
        .client
        .post(flagged.url("/v1/chat/completions"))
        .bearer_auth("sk-test")
        .json(&plain)
        .send()
        .await
        .unwrap();
    let (times, _, _) = timed_events(response).await;
    assert!(started.elapsed() >= Duration::from_millis(200) && !times.is_empty());
}

#[tokio::test]
async fn stream_faults_cut_fail_and_stall() {
    let mock = Scenario::start("", &[]).await;
    let send = |headers: Vec<(&'static str, &'static str)>, path: &'static str, body: Value| {
        let mut request = mock
            .client
            .post(mock.url(path))
            .bearer_auth("sk-test")
            .json(&body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let mut body = chat("Tell me a long story about the mountains and the sea");
    body["stream"] = json!(true);

    let response = send(
        vec![("x-mock-stream-cut-after", "2")],
        "/v1/chat/completions",
        body.clone(),
    )
    .await
    .unwrap();
    let (_, events, broken) = timed_events(response).await;
    assert!(broken, "the body ends without its terminating chunk");
    assert_eq!(events.len(), 2);

    let response = send(
        vec![("x-mock-stream-error-after", "3")],
        "/v1/chat/completions",
        body.clone(),
    )
    .await
    .unwrap();
    let (_, events, broken) = timed_events(response).await;
    assert!(!broken);
    assert_eq!(events.len(), 4);
    let error: Value = serde_json::from_str(events[3].strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(error["error"]["type"], "server_error");
    assert!(!events.iter().any(|e| e.contains("[DONE]")));

    let responses = json!({"model": "gpt-4o", "input": "Tell me about rivers", "stream": true});
    let response = send(
        vec![("x-mock-stream-error-after", "2")],
        "/v1/responses",
        responses,
    )
    .await
    .unwrap();
    let (_, events, _) = timed_events(response).await;
    assert!(events[2].starts_with("event: error\n"), "{}", events[2]);
    assert!(events[2].contains("\"sequence_number\":2"));

    let response = send(
        vec![
            ("x-mock-stream-stall-after", "1"),
            ("x-mock-stream-stall-ms", "400"),
        ],
        "/v1/chat/completions",
        body.clone(),
    )
    .await
    .unwrap();
    let (times, events, broken) = timed_events(response).await;
    assert!(!broken && events.last().unwrap().contains("[DONE]"));
    assert!(
        times[1] - times[0] >= Duration::from_millis(400),
        "{times:?}"
    );

    // An injected connection reset before any answer.
    let reset = send(
        vec![("x-mock-error", "connection_reset")],
        "/v1/chat/completions",
        chat("hi"),
    )
    .await;
    assert!(reset.is_err() || reset.unwrap().bytes().await.is_err());

    // The request log says what each client saw, and which fault did it.
    let log = mock.admin(reqwest::Method::GET, "/__mock/requests").await;
    let seen: Vec<(Value, Value)> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| (entry["status"].clone(), entry["delivery"].clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (json!(200), json!("reset after 2 events")),
            (json!(200), json!("error event after 3 events")),
            (json!(200), json!("error event after 2 events")),
            (json!(200), json!("stalled 400 ms after 1 events")),
            (json!(0), json!("reset")),
        ]
    );
    assert_eq!(log["data"][4]["fault"], "control_header");
}

#[tokio::test]
async fn a_changed_rules_file_reloads_and_a_bad_one_keeps_the_last_good_rules() {
    let mock = Scenario::start("rules:\n  - reply: {text: version one}\n", &[]).await;
    assert_eq!(mock.chat_text("hi").await, "version one");

    std::fs::write(&mock.file, "rules:\n  - reply: {text: version two}\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while mock.chat_text("hi").await != "version two" {
        assert!(
            Instant::now() < deadline,
            "the new rules were not picked up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    std::fs::write(
        &mock.file,
        "rules:\n  - reply: {text: version three}\n  - match: {last_user_message: '(oops'}\n    reply: {text: x}\n",
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rules = mock.admin(reqwest::Method::GET, "/__mock/rules").await;
        if let Some(error) = rules["last_reload_error"].as_str() {
            assert!(error.contains("config.yaml:3:"), "{error}");
            assert!(error.contains("invalid regex"), "{error}");
            break;
        }
        assert!(Instant::now() < deadline, "the bad file was not noticed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mock.chat_text("hi").await, "version two");
}

#[tokio::test]
async fn the_request_log_records_what_happened() {
    let mock = Scenario::start(
        "rules:\n  - {name: greet, match: {last_user_message: ^hello$}, reply: {text: hi}}\n",
        &[],
    )
    .await;
    mock.chat_text("hello").await;
    let (status, _, _) = mock
        .post_with(
            "/chat/completions",
            &chat("x"),
            &[("x-mock-status", "500"), ("x-mock-label", "case-7")],
        )
        .await;
    assert_eq!(status, 500);
    let (status, _) = mock
        .post("/chat/completions", &json!({"model": "gpt-4o"}))
        .await;
    assert_eq!(status, 400);

    let log = mock.admin(reqwest::Method::GET, "/__mock/requests").await;
    let data = log["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(log["total"], 3);
    assert_eq!(data[0]["rule"], "greet");
    assert_eq!(data[0]["status"], 200);
    assert_eq!(data[0]["operation"], "createChatCompletion");
    assert_eq!(data[0]["model"], "gpt-4o");
    assert!(data[0]["request_id"].as_str().unwrap().starts_with("req_"));
    assert_eq!(data[1]["fault"], "control_header");
    assert_eq!(data[1]["label"], "case-7");
    assert_eq!(data[2]["status"], 400);

    mock.admin(reqwest::Method::DELETE, "/__mock/requests")
        .await;
    let log = mock.admin(reqwest::Method::GET, "/__mock/requests").await;
    assert_eq!(log["data"], json!([]));
    assert_eq!(log["total"], 3);
}

#[test]
fn a_bad_rules_file_stops_the_server_with_the_file_line_and_reason() {
    let file = temp_dir().join("config.yaml");
    std::fs::write(
        &file,
        "port: 0\nrules:\n  - name: weather\n    match: {operation: createChatCompletions}\n    reply: {text: hi}\n",
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_openai-mock"))
        .arg("--config")
        .arg(&file)
        .env_remove("OPENAI_MOCK_PORT")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "nothing is served");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!("{}:4:", file.display());
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("rule `weather`"), "{stderr}");
    assert!(stderr.contains("createChatCompletions"), "{stderr}");
}
