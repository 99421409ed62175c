//! The answers the endpoints build whole (chat completions, Responses, embeddings: no
//! generated instance under them) carry every field the real API always sends, in its
//! order, and none of the optional ones it does not send by default (chat's `metadata: {}`
//! or `moderation` block). Pinned key by key, so a later change cannot drop one silently.

use crate::support::mock::Mock;
use serde_json::{json, Value};

/// The keys of `value`, an object, in order.
fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// Panics unless every one of `wanted` is a key of `value`.
fn assert_has(value: &Value, wanted: &[&str]) {
    let have = keys(value);
    let missing: Vec<&&str> = wanted.iter().filter(|k| !have.contains(k)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in {value}");
}

const CHAT_KEYS: [&str; 8] = [
    "id",
    "object",
    "created",
    "model",
    "choices",
    "usage",
    "service_tier",
    "system_fingerprint",
];

const RESPONSE_KEYS: [&str; 27] = [
    "id",
    "object",
    "created_at",
    "status",
    "background",
    "completed_at",
    "error",
    "incomplete_details",
    "instructions",
    "max_output_tokens",
    "max_tool_calls",
    "model",
    "output",
    "parallel_tool_calls",
    "previous_response_id",
    "reasoning",
    "service_tier",
    "store",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "truncation",
    "usage",
    "metadata",
];

/// A 200 answer to `POST /responses` with a "Say hello." input and the `extra` fields.
async fn create_response(mock: &Mock, extra: Value) -> Value {
    let mut body = json!({"model": "gpt-4o", "input": "Say hello."});
    for (key, value) in extra.as_object().into_iter().flatten() {
        body[key] = value.clone();
    }
    mock.ok("createResponse", "/responses", &body).await
}

fn chat_request() -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello."}]})
}

#[tokio::test]
async fn a_chat_completion_has_exactly_the_fields_the_real_api_sends() {
    let mock = Mock::start().await;
    let answer = mock
        .ok("createChatCompletion", "/chat/completions", &chat_request())
        .await;
    assert_eq!(keys(&answer), CHAT_KEYS, "{answer}");
    assert!(answer["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(answer["object"], "chat.completion");
    assert!(answer["created"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(answer["model"], "gpt-4o-mini");
    assert_eq!(answer["service_tier"], "default");
    let fingerprint = answer["system_fingerprint"].as_str().unwrap();
    assert!(fingerprint.starts_with("fp_") && fingerprint.len() == 13);
    let choice = &answer["choices"][0];
    assert_eq!(
        keys(choice),
        ["index", "message", "logprobs", "finish_reason"]
    );
    assert_eq!(
        keys(&choice["message"]),
        ["role", "content", "refusal", "annotations"]
    );
    let usage = &answer["usage"];
    assert_eq!(
        keys(usage),
        [
            "prompt_tokens",
            "completion_tokens",
            "total_tokens",
            "prompt_tokens_details",
            "completion_tokens_details"
        ]
    );
    assert_eq!(
        keys(&usage["prompt_tokens_details"]),
        ["cached_tokens", "audio_tokens"]
    );
    assert_eq!(
        keys(&usage["completion_tokens_details"]),
        [
            "reasoning_tokens",
            "audio_tokens",
            "accepted_prediction_tokens",
            "rejected_prediction_tokens"
        ]
    );
}

#[tokio::test]
async fn a_chat_completion_echoes_metadata_only_when_the_request_sends_it() {
    let mock = Mock::start().await;
    let mut body = chat_request();
    body["metadata"] = json!({"suite": "shape"});
    let answer = mock
        .ok("createChatCompletion", "/chat/completions", &body)
        .await;
    assert_eq!(answer["metadata"], json!({"suite": "shape"}));
    assert_eq!(keys(&answer)[..CHAT_KEYS.len()], CHAT_KEYS);
}

#[tokio::test]
async fn streamed_chat_chunks_carry_the_completion_fields() {
    let mock = Mock::start().await;
    let mut body = chat_request();
    body["stream"] = json!(true);
    let events = mock
        .stream("/chat/completions", &body)
        .await
        .into_iter()
        .filter(|sse| sse.data != "[DONE]")
        .map(|sse| sse.json())
        .collect::<Vec<_>>();
    assert!(!events.is_empty());
    for event in &events {
        mock.assert_valid_event("createChatCompletion", event);
        assert_eq!(
            keys(event)[..7],
            [
                "id",
                "created",
                "model",
                "service_tier",
                "system_fingerprint",
                "object",
                "choices"
            ],
            "{event}"
        );
    }
}

#[tokio::test]
async fn a_response_has_every_field_the_real_api_always_sends() {
    let mock = Mock::start().await;
    let answer = create_response(&mock, json!({})).await;
    assert_eq!(keys(&answer), RESPONSE_KEYS, "{answer}");
    assert!(answer["id"].as_str().unwrap().starts_with("resp_"));
    assert_eq!(answer["status"], "completed");
    assert_eq!(answer["tools"], json!([]));
    assert_eq!(answer["tool_choice"], "auto");
    assert_eq!(answer["metadata"], json!({}));
    assert_eq!(
        answer["text"],
        json!({"format": {"type": "text"}, "verbosity": "medium"})
    );
    assert_eq!(
        keys(&answer["usage"]),
        [
            "input_tokens",
            "input_tokens_details",
            "output_tokens",
            "output_tokens_details",
            "total_tokens"
        ]
    );
}

#[tokio::test]
async fn background_and_streamed_responses_keep_every_always_present_field() {
    let mock = Mock::start().await;
    let queued = create_response(&mock, json!({"background": true})).await;
    // A response not yet run (queued, or in progress in a stream) has no usage yet: the
    // spec's `usage` is not nullable.
    let before_start: Vec<&str> = RESPONSE_KEYS
        .iter()
        .copied()
        .filter(|key| *key != "usage")
        .collect();
    assert_has(&queued, &before_start);
    assert!(queued.get("usage").is_none(), "{queued}");
    assert_eq!(queued["background"], true);
    let (status, retrieved) = mock
        .get(&format!("/responses/{}", queued["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 200, "{retrieved}");
    assert_has(&retrieved, &before_start);

    let events = mock
        .valid_events(
            "createResponse",
            "/responses",
            &json!({"model": "gpt-4o", "input": "Say hello.", "stream": true}),
        )
        .await;
    for (kind, wanted) in [
        ("response.created", &before_start[..]),
        ("response.completed", &RESPONSE_KEYS[..]),
    ] {
        let event = events
            .iter()
            .find(|e| e["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"));
        assert_has(&event["response"], wanted);
    }
}

#[tokio::test]
async fn an_embeddings_answer_has_exactly_the_fields_the_real_api_sends() {
    let mock = Mock::start().await;
    let answer = mock
        .ok(
            "createEmbedding",
            "/embeddings",
            &json!({"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "base64"}),
        )
        .await;
    assert_eq!(keys(&answer), ["object", "data", "model", "usage"]);
    assert_eq!(answer["data"].as_array().unwrap().len(), 2);
    for (index, item) in answer["data"].as_array().unwrap().iter().enumerate() {
        assert_eq!(keys(item), ["object", "index", "embedding"]);
        assert_eq!(item["index"], index);
        // 1536 little-endian floats, base64: 6144 bytes in 8192 characters.
        assert_eq!(item["embedding"].as_str().unwrap().len(), 8192);
    }
    assert_eq!(keys(&answer["usage"]), ["prompt_tokens", "total_tokens"]);
}
