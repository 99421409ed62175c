//! `/embeddings` and `/moderations` over real HTTP: vector sizes, unit length, similarity
//! ordering across requests, base64 encoding, batches and token counts; moderation
//! categories driven by the input, multi-input and image inputs.

use crate::support::mock::Mock;
use base64::Engine;
use openai_mock::Config;
use serde_json::{json, Value};

/// POSTs an embeddings request and expects a valid 200 answer.
async fn embed(mock: &Mock, body: Value) -> Value {
    let (status, answer) = mock.post("/embeddings", &body).await;
    assert_eq!(status, 200, "{answer}");
    mock.assert_valid_response("createEmbedding", &answer);
    answer
}

fn floats(value: &Value) -> Vec<f32> {
    value
        .as_array()
        .expect("a float array")
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

#[tokio::test]
async fn embedding_dimensions_follow_the_model_and_vectors_are_unit_length() {
    let mock = Mock::start().await;
    for (model, dimensions, expected) in [
        ("text-embedding-ada-002", None, 1536),
        ("text-embedding-3-small", None, 1536),
        ("text-embedding-3-large", None, 3072),
        ("text-embedding-3-small", Some(512), 512),
        ("text-embedding-3-large", Some(256), 256),
        ("text-embedding-3-small", Some(1), 1),
    ] {
        let mut body = json!({"model": model, "input": "The food was delicious."});
        if let Some(d) = dimensions {
            body["dimensions"] = json!(d);
        }
        let answer = embed(&mock, body).await;
        let vector = floats(&answer["data"][0]["embedding"]);
        assert_eq!(vector.len(), expected, "{model} {dimensions:?}");
        let length: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((length - 1.0).abs() < 1e-4, "{model}: length {length}");
        assert_eq!(answer["model"], model);
    }
}

#[tokio::test]
async fn shortened_vectors_are_the_renormalised_prefix_of_the_full_one() {
    let mock = Mock::start().await;
    let text = "Matryoshka embeddings nest";
    let full = embed(
        &mock,
        json!({"model": "text-embedding-3-large", "input": text}),
    )
    .await;
    let short = embed(
        &mock,
        json!({"model": "text-embedding-3-large", "input": text, "dimensions": 64}),
    )
    .await;
    let full = floats(&full["data"][0]["embedding"]);
    let short = floats(&short["data"][0]["embedding"]);
    assert!(cosine(&full[..64], &short) > 0.9999);
}

#[tokio::test]
async fn related_texts_rank_above_unrelated_ones_across_requests() {
    let mock = Mock::start().await;
    let documents = [
        "To reset your password, open the account settings and choose reset password.",
        "Our office is closed on public holidays and weekends.",
        "The stock market rallied after the central bank held interest rates.",
        "Bananas are rich in potassium and make a quick breakfast.",
    ];
    let indexed = embed(
        &mock,
        json!({"model": "text-embedding-3-small", "input": documents}),
    )
    .await;
    let query = embed(
        &mock,
        json!({"model": "text-embedding-3-small", "input": "How do I reset my password?"}),
    )
    .await;
    let query = floats(&query["data"][0]["embedding"]);
    let scores: Vec<f32> = indexed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| cosine(&query, &floats(&d["embedding"])))
        .collect();
    let best = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert_eq!(best, 0, "scores {scores:?}");
    for unrelated in &scores[1..] {
        assert!(scores[0] > unrelated + 0.2, "scores {scores:?}");
    }
    // The same text embeds to the same vector in any request.
    let again = embed(
        &mock,
        json!({"model": "text-embedding-3-small", "input": documents[0]}),
    )
    .await;
    assert_eq!(
        again["data"][0]["embedding"],
        indexed["data"][0]["embedding"]
    );
}

#[tokio::test]
async fn base64_encoding_holds_the_same_little_endian_floats() {
    let mock = Mock::start().await;
    let body = json!({"model": "text-embedding-3-small", "input": ["alpha", "beta"]});
    let as_floats = embed(&mock, body.clone()).await;
    let mut base64_body = body;
    base64_body["encoding_format"] = json!("base64");
    let as_base64 = embed(&mock, base64_body).await;
    for index in 0..2 {
        let encoded = as_base64["data"][index]["embedding"]
            .as_str()
            .expect("a string");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64");
        let decoded: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(decoded, floats(&as_floats["data"][index]["embedding"]));
    }
}

#[tokio::test]
async fn float_embeddings_mode_answers_base64_requests_with_floats() {
    let mock = Mock::with_config(Config {
        port: 0,
        float_embeddings: true,
        ..Config::default()
    })
    .await;
    let body = json!({"model": "text-embedding-3-small", "input": "strict clients"});
    let as_floats = embed(&mock, body.clone()).await;
    let mut base64_body = body;
    base64_body["encoding_format"] = json!("base64");
    let asked_base64 = embed(&mock, base64_body).await;
    assert!(asked_base64["data"][0]["embedding"].is_array());
    assert_eq!(asked_base64["data"], as_floats["data"]);
}

#[tokio::test]
async fn batches_take_strings_and_token_arrays_and_count_tokens() {
    let mock = Mock::start().await;
    // cl100k_base: "Hello world" is [9906, 1917]; "The quick brown fox" is 4 tokens.
    let strings = embed(
        &mock,
        json!({"model": "text-embedding-3-small", "input": ["Hello world", "The quick brown fox"]}),
    )
    .await;
    assert_eq!(
        strings["usage"],
        json!({"prompt_tokens": 6, "total_tokens": 6})
    );
    assert_eq!(strings["data"][1]["index"], 1);
    let tokens = embed(&mock, json!({"model": "text-embedding-3-small", "input": [[9906, 1917], [791, 4062, 14198, 39935]]}))
        .await;
    assert_eq!(tokens["usage"]["prompt_tokens"], 6);
    assert_eq!(
        tokens["data"][0]["embedding"], strings["data"][0]["embedding"],
        "a token array embeds like its text"
    );
    let single = embed(
        &mock,
        json!({"model": "text-embedding-3-small", "input": [9906, 1917]}),
    )
    .await;
    assert_eq!(single["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        single["data"][0]["embedding"],
        strings["data"][0]["embedding"]
    );
}

#[tokio::test]
async fn ada_002_rejects_dimensions_like_the_real_api() {
    let mock = Mock::start().await;
    let (status, body) = mock
        .post(
            "/embeddings",
            &json!({"model": "text-embedding-ada-002", "input": "hi", "dimensions": 256}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        json!({
            "message": "This model does not support specifying dimensions.",
            "type": "invalid_request_error",
            "param": null,
            "code": null,
        })
    );
}

#[tokio::test]
async fn too_many_dimensions_empty_input_and_long_input_are_rejected() {
    let mock = Mock::start().await;
    let (status, body) = mock
        .post(
            "/embeddings",
            &json!({"model": "text-embedding-3-small", "input": "hi", "dimensions": 2000}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "dimensions");
    let (status, body) = mock
        .post(
            "/embeddings",
            &json!({"model": "text-embedding-3-small", "input": ""}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("'$.input' is invalid."));
    let long = "word ".repeat(9000);
    let tokens = openai_mock::services::tokens::Encoding::Cl100k.count(&long);
    assert!(tokens > 8192);
    let (status, body) = mock
        .post(
            "/embeddings",
            &json!({"model": "text-embedding-3-small", "input": long}),
        )
        .await;
    assert_eq!(status, 400);
    let expected = format!(
        "This model's maximum context length is 8192 tokens, however you requested {tokens} \
         tokens ({tokens} in your prompt; 0 for the completion). Please reduce your prompt; or \
         completion length."
    );
    assert_eq!(body["error"]["message"], expected);
}

#[tokio::test]
async fn moderation_keywords_flag_their_categories_with_plausible_scores() {
    let mock = Mock::start().await;
    let (status, body) = mock
        .post(
            "/moderations",
            &json!({"input": "I will murder you and dismember the body."}),
        )
        .await;
    assert_eq!(status, 200);
    mock.assert_valid_response("createModeration", &body);
    let result = &body["results"][0];
    assert_eq!(result["flagged"], true);
    assert_eq!(result["categories"]["violence"], true);
    assert_eq!(result["categories"]["violence/graphic"], true);
    assert_eq!(result["categories"]["sexual"], false);
    let violence = result["category_scores"]["violence"].as_f64().unwrap();
    assert!((0.5..1.0).contains(&violence), "{violence}");
    assert!(result["category_scores"]["hate"].as_f64().unwrap() < 0.01);
    assert_eq!(body["model"], "omni-moderation-latest");
}

#[tokio::test]
async fn benign_text_is_not_flagged_and_each_input_gets_a_result() {
    let mock = Mock::start().await;
    let inputs = [
        "What time does the library open tomorrow?",
        "Please summarise this quarterly report in three bullet points.",
        "I want to kill them.",
    ];
    let (status, body) = mock
        .post(
            "/moderations",
            &json!({"input": inputs, "model": "text-moderation-latest"}),
        )
        .await;
    assert_eq!(status, 200);
    mock.assert_valid_response("createModeration", &body);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for benign in &results[..2] {
        assert_eq!(benign["flagged"], false);
        for (category, score) in benign["category_scores"].as_object().unwrap() {
            assert!(score.as_f64().unwrap() < 0.01, "{category}: {score}");
        }
        assert_eq!(
            benign["category_applied_input_types"]["violence"],
            json!(["text"])
        );
    }
    assert_eq!(results[2]["flagged"], true);
    assert_eq!(results[2]["categories"]["violence"], true);
}

#[tokio::test]
async fn omni_moderation_judges_image_inputs() {
    let mock = Mock::start().await;
    let (status, body) = mock
        .post(
            "/moderations",
            &json!({"model": "omni-moderation-latest", "input": [
                {"type": "text", "text": "Look at this picture"},
                {"type": "image_url", "image_url": {"url": "https://example.com/gore-scene.png"}},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    mock.assert_valid_response("createModeration", &body);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "a multimodal input is judged as one");
    let result = &results[0];
    assert_eq!(result["categories"]["violence/graphic"], true);
    let applied = &result["category_applied_input_types"];
    assert_eq!(applied["violence/graphic"], json!(["text", "image"]));
    assert_eq!(applied["sexual/minors"], json!(["text"]));
    let (status, body) = mock
        .post(
            "/moderations",
            &json!({"model": "omni-moderation-latest", "input": [
                {"type": "image_url", "image_url": {"url": "https://example.com/kitten.jpg"}},
            ]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["results"][0]["flagged"], false);
    assert_eq!(
        body["results"][0]["category_applied_input_types"]["hate"],
        json!([])
    );
    assert_eq!(
        body["results"][0]["category_applied_input_types"]["sexual"],
        json!(["image"])
    );
}

#[tokio::test]
async fn text_moderation_models_reject_image_inputs() {
    let mock = Mock::start().await;
    let (status, body) = mock
        .post(
            "/moderations",
            &json!({"model": "text-moderation-stable", "input": [
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            ]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "input");
}
