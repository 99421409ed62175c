//! `/models` over real HTTP: the list comes from the spec's model enums, every listed id
//! can be retrieved, unknown ids are 404 `model_not_found`, fine-tuned models can be
//! deleted, and any model named in a request is accepted and reflected.

use crate::support::mock::Mock;
use openai_mock::catalog::Catalog;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The string enum values of a component (or one of its properties), read from the spec.
fn enum_values(component: &str, pointer: &str) -> Vec<String> {
    let catalog = Catalog::embedded();
    let schema = catalog
        .schemas
        .component(component)
        .and_then(|c| c.pointer(pointer))
        .unwrap_or_else(|| panic!("{component}{pointer}"));
    let mut out = Vec::new();
    collect(schema, &mut out);
    out
}

fn collect(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(values) = map.get("enum").and_then(Value::as_array) {
                out.extend(values.iter().filter_map(Value::as_str).map(str::to_string));
            }
            map.values().for_each(|v| collect(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_model_list_holds_every_model_id_the_spec_names() {
    let mock = Mock::start().await;
    let (status, body) = mock.get("/models").await;
    assert_eq!(status, 200);
    mock.assert_valid_response("listModels", &body);
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "ids are listed once");
    let expected = [
        enum_values("ModelIdsShared", ""),
        enum_values("ModelIdsResponses", ""),
        enum_values("CreateEmbeddingRequest", "/properties/model"),
        enum_values("CreateSpeechRequest", "/properties/model"),
        enum_values("CreateTranscriptionRequest", "/properties/model"),
        enum_values("CreateImageRequest", "/properties/model"),
        enum_values("CreateModerationRequest", "/properties/model"),
        enum_values("CreateCompletionRequest", "/properties/model"),
        enum_values("VideoModel", ""),
    ]
    .concat();
    assert!(
        expected.len() > 100,
        "the spec names {} models",
        expected.len()
    );
    for id in &expected {
        assert!(unique.contains(id.as_str()), "{id} is missing from /models");
    }
    for model in body["data"].as_array().unwrap() {
        assert_eq!(model["object"], "model");
        assert!(model["created"].as_i64().unwrap() > 1_600_000_000);
    }
}

#[tokio::test]
async fn every_listed_model_can_be_retrieved() {
    let mock = Mock::start().await;
    let (_, list) = mock.get("/models").await;
    for listed in list["data"].as_array().unwrap() {
        let id = listed["id"].as_str().unwrap();
        let (status, model) = mock.get(&format!("/models/{id}")).await;
        assert_eq!(status, 200, "{id}: {model}");
        assert_eq!(&model, listed, "retrieve agrees with the list");
        mock.assert_valid_response("retrieveModel", &model);
    }
    let (_, dated) = mock.get("/models/gpt-4o-2024-08-06").await;
    assert_eq!(
        dated["created"], 1_722_902_400,
        "created on the date in the id"
    );
}

#[tokio::test]
async fn unknown_models_are_404_model_not_found() {
    let mock = Mock::start().await;
    let (status, body) = mock.get("/models/gpt-9-imaginary").await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"error": {
            "message": "The model `gpt-9-imaginary` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "param": null,
            "code": "model_not_found",
        }})
    );
    let (status, body) = mock.delete("/models/gpt-9-imaginary").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "model_not_found");
}

#[tokio::test]
async fn fine_tuned_models_can_be_retrieved_and_deleted() {
    let mock = Mock::start().await;
    let id = "ft:gpt-4o-mini-2024-07-18:acme::abc123";
    let (status, model) = mock.get(&format!("/models/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(model["id"], id);
    assert_eq!(model["owned_by"], "acme");
    let (status, deleted) = mock.delete(&format!("/models/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        deleted,
        json!({"id": id, "object": "model", "deleted": true})
    );
    mock.assert_valid_response("deleteModel", &deleted);
}

#[tokio::test]
async fn base_models_cannot_be_deleted() {
    let mock = Mock::start().await;
    let (status, body) = mock.delete("/models/gpt-4o").await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("gpt-4o"));
}

#[tokio::test]
async fn any_model_named_in_a_request_is_accepted_and_reflected() {
    let mock = Mock::start().await;
    let (status, body) = mock
        .post(
            "/embeddings",
            &json!({"model": "acme-embedder-v7", "input": "hello"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "acme-embedder-v7");
    let (status, body) = mock
        .post(
            "/moderations",
            &json!({"model": "acme-moderator", "input": "hello"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "acme-moderator");
}
