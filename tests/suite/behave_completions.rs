//! Legacy `/completions` behaves like the model endpoint: every prompt form, `echo`,
//! `suffix`, `n`, `best_of`, `logprobs`, `max_tokens` (default 16), `stop` and streaming.
//! Every answer and chunk is checked against the spec's schemas, over real HTTP.

use crate::support::mock::Mock;
use openai_mock::services::tokens::Encoding;
use serde_json::{json, Value};

const OP: &str = "createCompletion";
const PATH: &str = "/completions";
const MODEL: &str = "gpt-3.5-turbo-instruct";

fn text(answer: &Value, index: usize) -> String {
    answer["choices"][index]["text"]
        .as_str()
        .expect("choice text")
        .to_string()
}

fn completion(prompt: Value) -> Value {
    json!({"model": MODEL, "prompt": prompt})
}

#[tokio::test]
async fn a_prompt_is_continued_and_cut_at_sixteen_tokens_by_default() {
    let mock = Mock::start().await;
    let prompt = "The history of the printing press";
    let answer = mock.ok(OP, PATH, &completion(json!(prompt))).await;
    let continuation = text(&answer, 0);
    assert!(continuation.starts_with(' '), "{continuation:?}");
    assert_eq!(Encoding::Cl100k.count(&continuation), 16);
    assert_eq!(answer["choices"][0]["finish_reason"], "length");
    assert_eq!(
        answer["usage"]["prompt_tokens"],
        Encoding::Cl100k.count(prompt)
    );
    assert_eq!(answer["usage"]["completion_tokens"], 16);
    assert_eq!(answer["model"], MODEL);

    let mut roomy = completion(json!(prompt));
    roomy["max_tokens"] = json!(200);
    let full = mock.ok(OP, PATH, &roomy).await;
    assert_eq!(full["choices"][0]["finish_reason"], "stop");
    assert!(text(&full, 0).starts_with(&continuation));
    assert!(text(&full, 0).contains("printing press") || text(&full, 0).contains("printing"));
}

#[tokio::test]
async fn the_sdk_readme_prompt_gets_the_expected_answer() {
    let mock = Mock::start().await;
    let answer = mock
        .ok(OP, PATH, &completion(json!("Say this is a test")))
        .await;
    assert_eq!(text(&answer, 0), "\n\nThis is a test.");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn prompt_arrays_and_token_arrays_each_get_n_choices() {
    let mock = Mock::start().await;
    let mut body = completion(json!(["The ocean is", "Mountains are"]));
    body["n"] = json!(2);
    body["max_tokens"] = json!(50);
    let answer = mock.ok(OP, PATH, &body).await;
    let choices = answer["choices"].as_array().expect("choices");
    assert_eq!(choices.len(), 4);
    for (i, choice) in choices.iter().enumerate() {
        assert_eq!(choice["index"], i);
    }
    assert!(text(&answer, 0).contains("ocean"), "{}", text(&answer, 0));
    assert!(text(&answer, 2).contains("Mountains") || text(&answer, 2).contains("mountains"));

    let e = Encoding::Cl100k;
    let ids: Vec<u32> = e.encode("Tell me about penguins:");
    let mut by_tokens = completion(json!(ids));
    by_tokens["echo"] = json!(true);
    let answer = mock.ok(OP, PATH, &by_tokens).await;
    assert!(text(&answer, 0).starts_with("Tell me about penguins:"));
    assert_eq!(answer["usage"]["prompt_tokens"], ids.len());

    let nested = completion(json!([e.encode("Cats are"), e.encode("Dogs are")]));
    let answer = mock.ok(OP, PATH, &nested).await;
    assert_eq!(answer["choices"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        answer["usage"]["prompt_tokens"],
        e.count("Cats are") + e.count("Dogs are")
    );
}

#[tokio::test]
async fn echo_puts_the_prompt_in_front() {
    let mock = Mock::start().await;
    let prompt = "Once upon a time in a small village";
    let plain = mock.ok(OP, PATH, &completion(json!(prompt))).await;
    let mut body = completion(json!(prompt));
    body["echo"] = json!(true);
    let echoed = mock.ok(OP, PATH, &body).await;
    assert_eq!(text(&echoed, 0), format!("{prompt}{}", text(&plain, 0)));
}

#[tokio::test]
async fn suffix_counts_as_prompt_and_the_text_leads_into_it() {
    let mock = Mock::start().await;
    let mut body = completion(json!("def add(a, b):"));
    body["suffix"] = json!("return result");
    body["max_tokens"] = json!(200);
    let answer = mock.ok(OP, PATH, &body).await;
    let e = Encoding::Cl100k;
    assert_eq!(
        answer["usage"]["prompt_tokens"],
        e.count("def add(a, b):") + e.count("return result")
    );
    assert!(text(&answer, 0).ends_with(' '));
}

#[tokio::test]
async fn best_of_returns_the_n_best_and_bills_every_candidate() {
    let mock = Mock::start().await;
    let mut body = completion(json!("Three reasons to learn Rust:"));
    body["n"] = json!(2);
    body["best_of"] = json!(4);
    body["max_tokens"] = json!(8);
    let answer = mock.ok(OP, PATH, &body).await;
    assert_eq!(answer["choices"].as_array().map(Vec::len), Some(2));
    assert_eq!(answer["usage"]["completion_tokens"], 4 * 8);
}

#[tokio::test]
async fn logprobs_give_parallel_arrays_for_the_returned_tokens() {
    let mock = Mock::start().await;
    let mut body = completion(json!("The moon is"));
    body["logprobs"] = json!(3);
    body["max_tokens"] = json!(12);
    let answer = mock.ok(OP, PATH, &body).await;
    let logprobs = &answer["choices"][0]["logprobs"];
    let tokens: Vec<String> = serde_json::from_value(logprobs["tokens"].clone()).expect("tokens");
    assert_eq!(tokens.concat(), text(&answer, 0));
    assert_eq!(tokens.len(), 12);
    for key in ["token_logprobs", "top_logprobs", "text_offset"] {
        assert_eq!(logprobs[key].as_array().map(Vec::len), Some(12), "{key}");
    }
    let offsets: Vec<usize> =
        serde_json::from_value(logprobs["text_offset"].clone()).expect("offsets");
    let mut at = 0;
    for (token, offset) in tokens.iter().zip(&offsets) {
        assert_eq!(*offset, at);
        at += token.chars().count();
    }
    for (token, top) in tokens
        .iter()
        .zip(logprobs["top_logprobs"].as_array().expect("top"))
    {
        let top = top.as_object().expect("map");
        assert_eq!(top.len(), 3);
        assert!(top.contains_key(token));
    }

    body["echo"] = json!(true);
    let echoed = mock.ok(OP, PATH, &body).await;
    let tokens: Vec<String> =
        serde_json::from_value(echoed["choices"][0]["logprobs"]["tokens"].clone()).expect("tokens");
    assert_eq!(tokens.concat(), text(&echoed, 0));
    assert!(text(&echoed, 0).starts_with("The moon is"));
}

#[tokio::test]
async fn stop_cuts_before_the_stop_sequence() {
    let mock = Mock::start().await;
    let mut body = completion(json!("Rivers of Europe"));
    body["max_tokens"] = json!(100);
    let full = text(&mock.ok(OP, PATH, &body).await, 0);
    let words: Vec<&str> = full.split(' ').collect();
    let stop = words[words.len() / 2];
    body["stop"] = json!([stop]);
    let answer = mock.ok(OP, PATH, &body).await;
    assert_eq!(text(&answer, 0), &full[..full.find(stop).expect("in text")]);
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn streaming_joins_into_the_answer_and_ends_with_usage_and_done() {
    let mock = Mock::start().await;
    let mut body = completion(json!(["The sun is", "Stars are"]));
    body["max_tokens"] = json!(30);
    body["logprobs"] = json!(1);
    let answer = mock.ok(OP, PATH, &body).await;
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let events = mock.stream(PATH, &body).await;
    let (done, events) = events.split_last().expect("events");
    assert_eq!(done.data, "[DONE]");
    let chunks: Vec<Value> = events.iter().map(|e| e.json()).collect();
    for chunk in &chunks {
        // The spec has no chunk schema: a chunk is a completion whose `finish_reason` is
        // null until the choice ends (as the real API streams it).
        let mut as_completion = chunk.clone();
        if let Some(choice) = as_completion["choices"].get_mut(0) {
            if choice["finish_reason"].is_null() {
                choice["finish_reason"] = json!("stop");
            }
        }
        mock.assert_valid_response(OP, &as_completion);
        assert_eq!(chunk["object"], "text_completion");
        assert!(chunk["id"].as_str().unwrap_or("").starts_with("cmpl-"));
    }
    let (usage, chunks) = chunks.split_last().expect("usage chunk");
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"], answer["usage"]);
    for index in 0..2 {
        let mut joined = String::new();
        let mut tokens = Vec::new();
        let mut finish = Value::Null;
        for chunk in chunks {
            let choice = &chunk["choices"][0];
            if choice["index"] != index {
                continue;
            }
            joined.push_str(choice["text"].as_str().unwrap_or(""));
            if let Some(more) = choice["logprobs"]["tokens"].as_array() {
                tokens.extend(more.iter().map(|t| t.as_str().unwrap_or("").to_string()));
            }
            if !choice["finish_reason"].is_null() {
                finish = choice["finish_reason"].clone();
            }
        }
        assert_eq!(joined, text(&answer, index));
        assert_eq!(tokens.concat(), joined);
        assert_eq!(finish, answer["choices"][index]["finish_reason"]);
    }
}
