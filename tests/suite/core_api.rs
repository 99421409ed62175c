//! The core contract over real HTTP: routing, authentication, validation with the real API's
//! wording, reflection, ids, lists, binary bodies and the headers the SDKs read.

use openai_mock::{Config, MockServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Mock {
    base: String,
    client: reqwest::Client,
    _server: MockServer,
}

async fn start_with(config: Config) -> Mock {
    let running = MockServer::builder()
        .config(Config { port: 0, ..config })
        .start()
        .await;
    Mock {
        base: format!("http://{}", running.address()),
        client: reqwest::Client::new(),
        _server: running,
    }
}

async fn start() -> Mock {
    start_with(Config::default()).await
}

impl Mock {
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth("sk-test")
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth("sk-test")
    }
}

async fn error_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body: Value = response.json().await.expect("error body is JSON");
    (status, body["error"].clone())
}

fn chat(extra: Value) -> Value {
    let mut body = json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Say hello"}],
    });
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    body
}

#[tokio::test]
async fn unknown_paths_get_the_invalid_url_envelope() {
    let mock = start().await;
    let (status, error) = error_of(mock.post("/v1/foo").send().await.unwrap()).await;
    assert_eq!(status, 404);
    assert_eq!(error["message"], "Invalid URL (POST /v1/foo)");
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["param"], Value::Null);
    assert_eq!(error["code"], Value::Null);
}

#[tokio::test]
async fn a_known_path_with_the_wrong_method_gets_405() {
    let mock = start().await;
    let response = mock
        .client
        .put(format!("{}/v1/models", mock.base))
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 405);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("(PUT /v1/models)"));
}

#[tokio::test]
async fn operations_are_served_with_and_without_the_v1_prefix() {
    let mock = start().await;
    for path in ["/v1/models", "/models"] {
        let response = mock.get(path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["object"], "list");
    }
}

#[tokio::test]
async fn a_static_segment_beats_a_templated_one() {
    let mock = start().await;
    let body: Value = mock
        .post("/v1/responses/input_tokens")
        .json(&json!({"model": "gpt-4o", "input": "hello"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["object"], "response.input_tokens");
    let body: Value = mock
        .get("/v1/responses/resp_123")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["object"], "response");
    assert_eq!(body["id"], "resp_123");
}

#[tokio::test]
async fn a_missing_key_gets_the_real_401() {
    let mock = start().await;
    let response = mock
        .client
        .get(format!("{}/v1/models", mock.base))
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 401);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .starts_with("You didn't provide an API key."));
    assert_eq!(error["code"], Value::Null);
}

#[tokio::test]
async fn restricted_keys_reject_others_with_a_masked_key() {
    let mock = start_with(Config {
        api_keys: vec!["sk-good-key".into()],
        admin_api_keys: vec!["sk-admin-key".into()],
        ..Config::default()
    })
    .await;
    let url = format!("{}/v1/models", mock.base);
    let ok = mock
        .client
        .get(&url)
        .bearer_auth("sk-good-key")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let wrong = mock
        .client
        .get(&url)
        .bearer_auth("sk-abcdefghijyz")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(wrong).await;
    assert_eq!(status, 401);
    assert_eq!(error["code"], "invalid_api_key");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("Incorrect API key provided: sk-ab********yz."),
        "{message}"
    );
    assert!(!message.contains("sk-abcdefghijyz"));

    let admin_url = format!("{}/v1/organization/projects", mock.base);
    let user_key = mock
        .client
        .get(&admin_url)
        .bearer_auth("sk-good-key")
        .send()
        .await
        .unwrap();
    assert_eq!(user_key.status(), 401);
    let admin_key = mock
        .client
        .get(&admin_url)
        .bearer_auth("sk-admin-key")
        .send()
        .await
        .unwrap();
    assert_eq!(admin_key.status(), 200);
}

#[tokio::test]
async fn unknown_top_level_arguments_are_rejected() {
    let mock = start().await;
    let response = mock
        .post("/v1/chat/completions")
        .json(&chat(json!({"bogus": 1})))
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert_eq!(
        error["message"],
        "Unrecognized request argument supplied: bogus"
    );
}

#[tokio::test]
async fn a_missing_argument_names_the_parameter() {
    let mock = start().await;
    let body = json!({"messages": [{"role": "user", "content": "hi"}]});
    let response = mock
        .post("/v1/chat/completions")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert_eq!(error["message"], "Missing required parameter: 'model'.");
    assert_eq!(error["param"], "model");
    assert_eq!(error["code"], "missing_required_parameter");
}

/// A union branch chosen by its discriminator (`type`, `role`) reports what is wrong inside
/// it, as the real API does, instead of listing the other branches' discriminator values.
#[tokio::test]
async fn an_error_inside_a_union_comes_from_the_branch_its_discriminator_names() {
    let mock = start().await;
    let cases = [
        (
            "/v1/responses",
            json!({"model": "gpt-4o", "input": "hi", "tools": [{"type": "function"}]}),
            "tools[0].name",
        ),
        (
            "/v1/responses",
            json!({"model": "gpt-4o", "input": "hi", "tools": [{"type": "mcp"}]}),
            "tools[0].server_label",
        ),
        (
            "/v1/responses",
            json!({"model": "gpt-4o", "input": [{"type": "message", "role": "user"}]}),
            "input[0].content",
        ),
        (
            "/v1/responses",
            json!({"model": "gpt-4o", "input": [{"type": "function_call", "name": "f"}]}),
            "input[0].call_id",
        ),
        (
            "/v1/chat/completions",
            json!({"model": "gpt-4o", "messages": [{"role": "tool", "content": "x"}]}),
            "messages[0].tool_call_id",
        ),
        (
            "/v1/chat/completions",
            json!({"model": "gpt-4o",
                   "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}),
            "messages[0].content[0].image_url",
        ),
        (
            "/v1/chat/completions",
            json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}],
                   "tools": [{"type": "function", "function": {}}]}),
            "tools[0].function.name",
        ),
    ];
    for (path, body, param) in cases {
        let response = mock.post(path).json(&body).send().await.unwrap();
        let (status, error) = error_of(response).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            error["message"],
            format!("Missing required parameter: '{param}'."),
            "{body}"
        );
        assert_eq!(error["param"], param);
        assert_eq!(error["code"], "missing_required_parameter");
    }
    // No branch matches: the value is refused, listing every branch's value.
    let body = json!({"model": "gpt-4o", "input": "hi", "tools": [{"type": "bogus"}]});
    let response = mock.post("/v1/responses").json(&body).send().await.unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("Invalid value: 'bogus'."), "{message}");
    for value in ["'function'", "'web_search'", "'mcp'", "'apply_patch'"] {
        assert!(message.contains(value), "{value} missing from {message}");
    }
    assert_eq!(error["param"], "tools[0].type");
    // Every branch rejects the role: the roles are listed, as before.
    let body = json!({"model": "gpt-4o", "messages": [{"role": "bogus", "content": "x"}]});
    let response = mock
        .post("/v1/chat/completions")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (_, error) = error_of(response).await;
    assert_eq!(
        error["message"],
        "Invalid value: 'bogus'. Supported values are: 'developer', 'system', 'user', 'assistant', 'tool', and 'function'."
    );
}

#[tokio::test]
async fn a_wrongly_typed_argument_gets_invalid_type() {
    let mock = start().await;
    let body = chat(json!({"temperature": "hot"}));
    let response = mock
        .post("/v1/chat/completions")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert_eq!(
        error["message"],
        "Invalid type for 'temperature': expected a decimal, but got a string instead."
    );
    assert_eq!(error["param"], "temperature");
    assert_eq!(error["code"], "invalid_type");
}

#[tokio::test]
async fn a_bad_enum_value_lists_the_supported_values_at_its_path() {
    let mock = start().await;
    let body = json!({"model": "gpt-4o", "messages": [{"role": "bogus", "content": "hi"}]});
    let response = mock
        .post("/v1/chat/completions")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert_eq!(error["param"], "messages[0].role");
    assert_eq!(error["code"], "invalid_value");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("Invalid value: 'bogus'. Supported values are: "),
        "{message}"
    );
    for role in ["'system'", "'user'", "'assistant'", "'tool'", "'developer'"] {
        assert!(message.contains(role), "{message}");
    }
}

#[tokio::test]
async fn an_out_of_range_number_names_the_bound() {
    let mock = start().await;
    let body = chat(json!({"temperature": 3.5}));
    let response = mock
        .post("/v1/chat/completions")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert_eq!(error["param"], "temperature");
    assert_eq!(error["code"], "decimal_above_max_value");
}

#[tokio::test]
async fn malformed_json_gets_a_clear_400() {
    let mock = start().await;
    let response = mock
        .post("/v1/chat/completions")
        .header("content-type", "application/json")
        .body("{\"model\": ")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .starts_with("We could not parse the JSON body of your request."));
}

#[tokio::test]
async fn query_parameters_are_typed_and_checked() {
    let mock = start().await;
    let response = mock.get("/v1/files?limit=abc").send().await.unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert_eq!(error["param"], "limit");
    assert_eq!(error["code"], "invalid_type");

    // Seven stored files, listed newest first in pages of five.
    let mut created = Vec::new();
    for i in 0..7 {
        let form = reqwest::multipart::Form::new()
            .text("purpose", "assistants")
            .part(
                "file",
                reqwest::multipart::Part::bytes(format!("file {i}").into_bytes())
                    .file_name(format!("f{i}.txt")),
            );
        let file: Value = mock
            .post("/v1/files")
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        created.push(file["id"].as_str().unwrap().to_string());
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    let ids = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let body: Value = mock
        .get("/v1/files?limit=5")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&body), newest_first[..5]);
    assert_eq!(body["object"], "list");
    assert_eq!(body["first_id"], newest_first[0].as_str());
    assert_eq!(body["last_id"], newest_first[4].as_str());
    assert_eq!(body["has_more"], true);
    let rest: Value = mock
        .get(&format!("/v1/files?limit=5&after={}", newest_first[4]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&rest), newest_first[5..]);
    assert_eq!(rest["has_more"], false);
}

#[tokio::test]
async fn sdk_query_encodings_for_arrays_and_objects_are_accepted() {
    let mock = start().await;
    let ok = mock
        .get("/v1/responses/resp_1?include[]=message.output_text.logprobs&include[]=reasoning.encrypted_content")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let bad = mock
        .get("/v1/responses/resp_1?include[]=bogus")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(bad).await;
    assert_eq!(status, 400);
    assert_eq!(error["param"], "include[0]");
    let ok = mock
        .get("/v1/fine_tuning/jobs?metadata[team]=search&limit=1")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn multipart_fields_are_coerced_and_files_accepted() {
    let mock = start().await;
    let form = reqwest::multipart::Form::new()
        .text("purpose", "assistants")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"{\"a\": 1}\n".to_vec()).file_name("notes.jsonl"),
        );
    let body: Value = mock
        .post("/v1/files")
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["id"].as_str().unwrap().starts_with("file-"));
    assert_eq!(body["filename"], "notes.jsonl");
    assert_eq!(body["bytes"], 9);
    assert_eq!(body["purpose"], "assistants");

    let form = reqwest::multipart::Form::new()
        .text("model", "whisper-1")
        .text("temperature", "hot")
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![0; 16]).file_name("a.wav"),
        );
    let (status, error) = error_of(
        mock.post("/v1/audio/transcriptions")
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error["param"], "temperature");
    assert_eq!(error["code"], "invalid_type");

    let form = reqwest::multipart::Form::new()
        .text("model", "whisper-1")
        .text("temperature", "0.2")
        .text("timestamp_granularities[]", "word")
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![0; 16]).file_name("a.wav"),
        );
    let response = mock
        .post("/v1/audio/transcriptions")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn sdp_bodies_are_accepted_and_other_media_types_refused_by_name() {
    let mock = start().await;
    // The 2026-08-21 spec takes only JSON here (the older one also took a form body).
    let response = mock
        .post("/v1/responses/input_tokens")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("model=gpt-4o&input=hello")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(
        error["error"]["message"],
        "Invalid Content-Type header (application/x-www-form-urlencoded), expected application/json."
    );

    let response = mock
        .post("/v1/realtime/calls")
        .header("content-type", "application/sdp")
        .body("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], "application/sdp");
    assert!(response.text().await.unwrap().starts_with("v=0\r\n"));
}

#[tokio::test]
async fn valid_input_is_reflected_into_the_response() {
    let mock = start().await;
    let body = chat(json!({"model": "gpt-4.1-nano", "metadata": {"run": "42"}, "store": true}));
    let answer: Value = mock
        .post("/v1/chat/completions")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["model"], "gpt-4.1-nano");
    assert_eq!(answer["object"], "chat.completion");

    let body = json!({"model": "gpt-4o", "name": "Math tutor", "instructions": "Be brief.", "metadata": {"k": "v"}});
    let assistant: Value = mock
        .post("/v1/assistants")
        .header("OpenAI-Beta", "assistants=v2")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(assistant["name"], "Math tutor");
    assert_eq!(assistant["instructions"], "Be brief.");
    assert_eq!(assistant["metadata"], json!({"k": "v"}));
}

#[tokio::test]
async fn path_ids_come_back_as_the_objects_ids() {
    let mock = start().await;
    let file: Value = mock
        .get("/v1/files/file-abc")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(file["id"], "file-abc");
    let run: Value = mock
        .post("/v1/threads/thread_1/runs/run_2/cancel")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(run["id"], "run_2");
    assert_eq!(run["thread_id"], "thread_1");
    let created: Value = mock
        .post("/v1/threads/thread_1/runs")
        .json(&json!({"assistant_id": "asst_1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(created["id"].as_str().unwrap().starts_with("run_"));
    assert_eq!(created["thread_id"], "thread_1");
}

#[tokio::test]
async fn new_objects_carry_the_real_id_prefixes_and_current_times() {
    let mock = start().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let cases = [
        (
            "/v1/chat/completions",
            chat(json!({})),
            "chatcmpl-",
            "created",
        ),
        (
            "/v1/responses",
            json!({"model": "gpt-4o", "input": "hi"}),
            "resp_",
            "created_at",
        ),
        (
            "/v1/assistants",
            json!({"model": "gpt-4o"}),
            "asst_",
            "created_at",
        ),
        ("/v1/threads", json!({}), "thread_", "created_at"),
        (
            "/v1/vector_stores",
            json!({"name": "docs"}),
            "vs_",
            "created_at",
        ),
        (
            "/v1/batches",
            json!({"input_file_id": "file-1", "endpoint": "/v1/chat/completions", "completion_window": "24h"}),
            "batch_",
            "created_at",
        ),
        (
            "/v1/fine_tuning/jobs",
            json!({"model": "gpt-4o-mini", "training_file": "file-1"}),
            "ftjob-",
            "created_at",
        ),
    ];
    for (path, body, prefix, time_field) in cases {
        let answer: Value = mock
            .post(path)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = answer["id"].as_str().unwrap_or_default();
        assert!(id.starts_with(prefix), "{path}: {id}");
        let created = answer[time_field].as_f64().unwrap_or_default() as i64;
        assert!(
            (created - now).abs() < 120,
            "{path}: {time_field} = {created}"
        );
    }
}

#[tokio::test]
async fn the_same_request_gives_the_same_content_under_fresh_ids_reproducible_with_a_seed() {
    let seeded = || {
        start_with(Config {
            seed: Some(7),
            ..Config::default()
        })
    };
    let servers = [start().await, start().await, seeded().await, seeded().await];
    let body = chat(json!({"messages": [{"role": "user", "content": "Name three rivers."}]}));
    let mut answers: Vec<Vec<Value>> = Vec::new();
    for mock in &servers {
        let mut sequence = Vec::new();
        for _ in 0..3 {
            let answer: Value = mock
                .post("/v1/chat/completions")
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            sequence.push(answer);
        }
        answers.push(sequence);
    }
    let content = |answer: &Value| answer["choices"][0]["message"]["content"].clone();
    let ids = |sequence: &[Value]| sequence.iter().map(|a| a["id"].clone()).collect::<Vec<_>>();
    let unseeded = &answers[0];
    assert!(
        unseeded.iter().all(|a| content(a) == content(&unseeded[0])),
        "same content"
    );
    let mut distinct = ids(unseeded);
    distinct.extend(ids(&answers[1]));
    distinct.sort_by_key(|id| id.to_string());
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        6,
        "fresh ids, even across servers: {distinct:?}"
    );
    assert_eq!(content(&answers[1][0]), content(&unseeded[0]));
    assert_eq!(
        ids(&answers[2]),
        ids(&answers[3]),
        "--seed makes the id sequence reproducible"
    );
    assert_ne!(ids(&answers[2]), ids(unseeded));
    assert!(answers[2]
        .iter()
        .all(|a| a["id"].as_str().unwrap_or("").starts_with("chatcmpl-")));
}

#[tokio::test]
async fn binary_answers_have_their_media_types_and_magic_numbers() {
    let mock = start().await;
    let speech = mock
        .post("/v1/audio/speech")
        .json(&json!({"model": "gpt-4o-mini-tts", "input": "Hello there", "voice": "alloy", "response_format": "wav"}))
        .send()
        .await
        .unwrap();
    assert_eq!(speech.headers()["content-type"], "audio/wav");
    let bytes = speech.bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");

    let zip = mock.get("/v1/skills/skill_1/content").send().await.unwrap();
    assert_eq!(zip.headers()["content-type"], "application/zip");
    assert_eq!(&zip.bytes().await.unwrap()[..4], b"PK\x03\x04");

    let video = mock.get("/v1/videos/video_1/content").send().await.unwrap();
    assert_eq!(video.headers()["content-type"], "video/mp4");
    assert_eq!(&video.bytes().await.unwrap()[4..8], b"ftyp");

    let thumbnail = mock
        .get("/v1/videos/video_1/content?variant=thumbnail")
        .send()
        .await
        .unwrap();
    assert_eq!(thumbnail.headers()["content-type"], "image/webp");
    let bytes = thumbnail.bytes().await.unwrap();
    assert_eq!((&bytes[..4], &bytes[8..12]), (&b"RIFF"[..], &b"WEBP"[..]));
}

#[tokio::test]
async fn every_answer_carries_the_headers_the_sdks_read() {
    let mock = start().await;
    let ok = mock.get("/v1/models").send().await.unwrap();
    let not_found = mock.post("/v1/nope").send().await.unwrap();
    for response in [ok, not_found] {
        let headers = response.headers();
        assert!(headers["x-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_"));
        assert!(headers["openai-processing-ms"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .is_ok());
        assert_eq!(headers["openai-version"], "2020-10-01");
        for name in [
            "x-ratelimit-limit-requests",
            "x-ratelimit-remaining-requests",
            "x-ratelimit-reset-requests",
            "x-ratelimit-limit-tokens",
            "x-ratelimit-remaining-tokens",
            "x-ratelimit-reset-tokens",
        ] {
            assert!(headers.contains_key(name), "{name}");
        }
    }
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let mock = start_with(Config {
        max_body_bytes: 1024,
        ..Config::default()
    })
    .await;
    let body = chat(json!({"user": "x".repeat(4096)}));
    let (status, error) = error_of(
        mock.post("/v1/chat/completions")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(error["type"], "invalid_request_error");
}

#[tokio::test]
async fn hostile_bodies_get_4xx_and_the_server_keeps_serving() {
    let mock = start().await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", deep.into_bytes()),
        ("application/json", vec![0xff, 0xfe, 0x00, 0x7b]),
        ("application/json", b"[1,2,3]".to_vec()),
        ("application/json", b"null".to_vec()),
        (
            "application/json",
            b"{\"model\": {\"nested\": [1, {\"x\": null}]}}".to_vec(),
        ),
        (
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\nbroken".to_vec(),
        ),
        ("multipart/form-data", b"no boundary".to_vec()),
        ("text/plain", b"hello".to_vec()),
    ];
    for (content_type, body) in bodies {
        let response = mock
            .post("/v1/chat/completions")
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(status.is_client_error(), "{content_type}: {status}");
    }
    let health = mock
        .client
        .get(format!("{}/health", mock.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}
