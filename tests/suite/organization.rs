//! The organization's hot path through `MockServer`: keys refused for good once revoked
//! (even in open mode), keys seen in open mode registered once, per-key limits with burst,
//! accounting that equals the traffic, and keys that survive an export and import.

use openai_mock::{KeyLimits, KeySpec, KeyState, MockServer};
use serde_json::{json, Value};

fn chat() -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]})
}

async fn call(server: &MockServer, key: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/chat/completions", server.base_url()))
        .bearer_auth(key)
        .json(&chat())
        .send()
        .await
        .expect("the server answers")
}

async fn admin_get(server: &MockServer, path: &str) -> Value {
    let answer = reqwest::Client::new()
        .get(format!("{}{path}", server.base_url()))
        .bearer_auth("sk-admin")
        .send()
        .await
        .expect("the server answers");
    assert_eq!(answer.status(), 200, "{path}");
    answer.json().await.unwrap()
}

#[tokio::test]
async fn a_revoked_key_is_refused_even_when_any_key_is_accepted() {
    let server = MockServer::start().await;
    let key = server.create_key(KeySpec::default()).unwrap();
    assert_eq!(call(&server, &key.secret).await.status(), 200);
    assert_eq!(call(&server, "sk-anything-else").await.status(), 200);
    server.revoke_key(&key.info.id).unwrap();
    let refused = call(&server, &key.secret).await;
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert!(!body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&key.secret));
}

#[tokio::test]
async fn a_key_seen_in_open_mode_is_registered_once_and_its_traffic_accounted() {
    let server = MockServer::start().await;
    for _ in 0..3 {
        assert_eq!(call(&server, "sk-seen-in-open-mode").await.status(), 200);
    }
    let seen: Vec<_> = server
        .keys()
        .into_iter()
        .filter(|k| k.project_id.as_deref() == Some("proj_default"))
        .collect();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let key = &seen[0];
    assert_eq!(key.state, KeyState::Active);
    assert!(key.last_used_at.is_some());
    assert_eq!(key.usage.requests, 3);
    assert_eq!(key.usage.errors, 0);
    assert!(key.usage.input_tokens > 0 && key.usage.output_tokens > 0);
    assert!(!key.redacted_value.contains("open-mode"));
    let usage = admin_get(
        &server,
        &format!(
            "/organization/usage/completions?start_time={}&group_by=api_key_id",
            key.created_at - 60
        ),
    )
    .await;
    let rows: Vec<&Value> = usage["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["results"].as_array().unwrap())
        .collect();
    let requests: u64 = rows
        .iter()
        .filter(|r| r["api_key_id"] == key.id.as_str())
        .map(|r| r["num_model_requests"].as_u64().unwrap())
        .sum();
    assert_eq!(requests, 3);
}

#[tokio::test]
async fn a_key_limit_with_a_burst_refuses_past_the_burst() {
    let server = MockServer::start().await;
    let spec = KeySpec {
        limits: KeyLimits {
            rpm: Some(1),
            tpm: None,
            burst: Some(3),
        },
        ..KeySpec::default()
    };
    let key = server.create_key(spec).unwrap();
    for _ in 0..3 {
        let answer = call(&server, &key.secret).await;
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.headers()["x-ratelimit-limit-requests"], "1");
    }
    let refused = call(&server, &key.secret).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["x-ratelimit-remaining-requests"], "0");
    // Another key is not limited.
    assert_eq!(call(&server, "sk-other").await.status(), 200);
}

#[tokio::test]
async fn a_suspended_key_stays_refused_after_export_and_import() {
    let server = MockServer::start().await;
    let key = server.create_key(KeySpec::default()).unwrap();
    server.suspend_key(&key.info.id).unwrap();
    let snapshot = server.export_state();
    let text = snapshot.to_string();
    assert!(!text.contains(&key.secret), "the secret is never stored");
    let again = MockServer::start().await;
    again.import_state(snapshot).unwrap();
    assert_eq!(call(&again, &key.secret).await.status(), 401);
    again.resume_key(&key.info.id).unwrap();
    assert_eq!(call(&again, &key.secret).await.status(), 200);
}
