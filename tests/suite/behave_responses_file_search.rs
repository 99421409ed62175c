//! The Responses `file_search` tool over real HTTP: with files in a vector store, the answer
//! and every streamed event (the `file_search_call` progress events and
//! `response.output_text.annotation.added`) validate against the spec, and the stream ends
//! with the same text and citations as the plain answer.

use crate::support::mock::Mock;
use serde_json::{json, Value};
use std::time::Duration;

const QUESTION: &str = "What is the capital of Zorbia?";

/// A vector store holding two files with distinct facts; returns its id and the id of the
/// file that answers [`QUESTION`].
async fn store(mock: &Mock) -> (String, String) {
    let mut ids = Vec::new();
    for (name, text) in [
        (
            "zorbia.txt",
            "The capital of Zorbia is Quillton. Zorbia exports tin.",
        ),
        (
            "trains.txt",
            "The night train to Rome leaves at eight in the evening.",
        ),
    ] {
        let (status, file) = mock.upload(name, text.as_bytes(), "assistants").await;
        assert_eq!(status, 200, "{file}");
        ids.push(file["id"].as_str().expect("file id").to_string());
    }
    let body = json!({"name": "facts", "file_ids": ids});
    let created = mock.ok("createVectorStore", "/vector_stores", &body).await;
    let id = created["id"].as_str().expect("store id").to_string();
    for _ in 0..400 {
        let (_, shown) = mock.get(&format!("/vector_stores/{id}")).await;
        if shown["status"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    (id, ids[0].clone())
}

fn request(store: &str, stream: bool) -> Value {
    json!({
        "model": "gpt-4o",
        "input": QUESTION,
        "tools": [{"type": "file_search", "vector_store_ids": [store]}],
        "include": ["file_search_call.results"],
        "stream": stream,
    })
}

#[tokio::test]
async fn a_file_search_answer_and_its_stream_are_valid_and_cite_the_file() {
    let mock = Mock::start().await;
    let (store, zorbia) = store(&mock).await;
    let answer = mock
        .ok("createResponse", "/responses", &request(&store, false))
        .await;
    let output = answer["output"].as_array().expect("output");
    assert_eq!(output[0]["type"], "file_search_call");
    assert_eq!(output[0]["results"][0]["file_id"], zorbia.as_str());
    let part = &output[1]["content"][0];
    assert!(
        part["text"].as_str().unwrap().contains("Quillton"),
        "{part}"
    );
    assert_eq!(part["annotations"][0]["file_id"], zorbia.as_str());

    let events = mock
        .valid_events("createResponse", "/responses", &request(&store, true))
        .await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    let at = |kind: &str| kinds.iter().position(|k| *k == kind).expect(kind);
    assert!(
        at("response.file_search_call.in_progress") < at("response.file_search_call.searching")
    );
    assert!(at("response.file_search_call.searching") < at("response.file_search_call.completed"));
    assert!(at("response.file_search_call.completed") < at("response.output_text.delta"));
    assert!(at("response.output_text.annotation.added") < at("response.output_text.done"));
    let last = events.last().expect("events")["response"].clone();
    assert_eq!(last["output"][1]["content"][0]["text"], part["text"]);
    assert_eq!(
        last["output"][1]["content"][0]["annotations"],
        part["annotations"]
    );
    let added: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.annotation.added")
        .map(|e| &e["annotation"])
        .collect();
    assert_eq!(json!(added), part["annotations"]);
}
