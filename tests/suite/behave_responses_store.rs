//! Stored responses and conversations answer with schema-valid objects: a stored response,
//! its input items (every input form), a queued background response, a cancelled one, a
//! conversation and its items, all checked against the spec's response schemas over real
//! HTTP.

use crate::support::mock::Mock;
use serde_json::{json, Value};

fn id(answer: &Value) -> String {
    answer["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn stored_responses_and_their_input_items_are_schema_valid() {
    let mock = Mock::start().await;
    let input = json!([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "input_text", "text": "My name is Ada."}]},
        {"role": "assistant", "content": "Hello Ada."},
        {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "found"},
        {"role": "user", "content": "What is my name?"},
    ]);
    let created = mock
        .ok(
            "createResponse",
            "/responses",
            &json!({"model": "gpt-4o", "input": input}),
        )
        .await;
    let path = format!("/responses/{}", id(&created));
    let (status, stored) = mock.get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(stored, created);
    let (status, items) = mock.get(&format!("{path}/input_items?order=asc")).await;
    assert_eq!(status, 200, "{items}");
    mock.assert_valid_response("listInputItems", &items);
    assert_eq!(items["data"].as_array().map(Vec::len), Some(6));
    let second = mock
        .ok(
            "createResponse",
            "/responses",
            &json!({"model": "gpt-4o", "input": "And again?", "previous_response_id": id(&created)}),
        )
        .await;
    mock.assert_valid_response("createResponse", &second);
    assert!(second["usage"]["input_tokens"].as_u64() > created["usage"]["input_tokens"].as_u64());
}

#[tokio::test]
async fn background_responses_are_schema_valid_when_queued_and_cancelled() {
    let mock = Mock::start().await;
    let queued = mock
        .ok(
            "createResponse",
            "/responses",
            &json!({"model": "gpt-4o", "input": "Hi", "background": true}),
        )
        .await;
    assert_eq!(queued["status"], "queued");
    let (status, cancelled) = mock
        .post(&format!("/responses/{}/cancel", id(&queued)), &json!({}))
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    mock.assert_valid_response("cancelResponse", &cancelled);
    let (status, refused) = mock
        .post(
            "/responses",
            &json!({"model": "gpt-4o", "input": "Hi", "background": true, "store": false}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["param"], "background");
}

#[tokio::test]
async fn conversations_and_their_items_are_schema_valid() {
    let mock = Mock::start().await;
    let body = json!({"items": [{"role": "user", "content": "Hello"}], "metadata": {"a": "b"}});
    let conversation = mock.ok("createConversation", "/conversations", &body).await;
    let path = format!("/conversations/{}", id(&conversation));
    let reply = mock
        .ok(
            "createResponse",
            "/responses",
            &json!({"model": "gpt-4o", "input": "Hi", "conversation": id(&conversation)}),
        )
        .await;
    mock.assert_valid_response("createResponse", &reply);
    let (status, items) = mock.get(&format!("{path}/items")).await;
    assert_eq!(status, 200, "{items}");
    mock.assert_valid_response("listConversationItems", &items);
    assert_eq!(items["data"].as_array().map(Vec::len), Some(3));
    let added = mock
        .ok(
            "createConversationItems",
            &format!("{path}/items"),
            &json!({"items": [{"type": "message", "role": "user", "content": "More"}]}),
        )
        .await;
    let item = &added["data"][0];
    let (status, fetched) = mock.get(&format!("{path}/items/{}", id(item))).await;
    assert_eq!(status, 200);
    mock.assert_valid_response("getConversationItem", &fetched);
    let (status, after) = mock.delete(&format!("{path}/items/{}", id(item))).await;
    assert_eq!(status, 200);
    mock.assert_valid_response("deleteConversationItem", &after);
    let (status, deleted) = mock.delete(&path).await;
    assert_eq!(status, 200);
    mock.assert_valid_response("deleteConversation", &deleted);
    let (status, _) = mock.get(&path).await;
    assert_eq!(status, 404);
}
