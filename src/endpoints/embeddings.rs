//! `/embeddings`: deterministic unit-length vectors that make similarity searches meaningful,
//! from the mock's embedding model ([`crate::services::embedding`], which vector stores use
//! too).
//!
//! The vector depends only on the text, the model's size and `dimensions`, never on the rest
//! of the request, so a query and the documents embedded in other requests compare as
//! expected. Shortened vectors are the full vector's prefix, renormalised, as with the v3
//! models. Token-array inputs are decoded with `cl100k_base` and embedded as that text.
//!
//! Sizes: `text-embedding-3-large` 3072, `text-embedding-3-small` and
//! `text-embedding-ada-002` 1536 (and 1536 for a model the mock does not know).
//! `dimensions` is honoured up to the model's size; ada-002 rejects it like the real API.
//! `encoding_format: base64` gives the little-endian `f32` bytes, base64-encoded (unless the
//! server runs with `--float-embeddings true`, see [`as_floats`]).

use crate::endpoints::endpoint::Endpoint;
use crate::error::ApiError;
pub use crate::services::embedding::{cosine, embed};
use crate::services::tokens::Encoding;
use crate::validate::ValidRequest;
use base64::Engine;
use serde_json::{json, Value};

/// The most tokens one input may have.
pub const MAX_INPUT_TOKENS: usize = 8192;

/// The full vector size of an embedding model, `None` for a model the mock does not know.
///
/// ```
/// use openai_mock::endpoints::embeddings::native_dimensions;
/// assert_eq!(native_dimensions("text-embedding-3-large"), Some(3072));
/// assert_eq!(native_dimensions("text-embedding-ada-002"), Some(1536));
/// assert_eq!(native_dimensions("my-embedder"), None);
/// ```
pub fn native_dimensions(model: &str) -> Option<usize> {
    match model {
        "text-embedding-3-large" => Some(3072),
        "text-embedding-3-small" | "text-embedding-ada-002" => Some(1536),
        _ => None,
    }
}

/// The vector size a model uses when `dimensions` is not given.
const DEFAULT_DIMENSIONS: usize = 1536;
/// The largest `dimensions` accepted for a model the mock does not know.
const MAX_UNKNOWN_DIMENSIONS: usize = 3072;

/// One input, as text, with its token count.
struct Input {
    text: String,
    tokens: usize,
}

/// Rejects what the real API rejects: `dimensions` for ada-002 or above the model's size,
/// empty inputs, and inputs over [`MAX_INPUT_TOKENS`].
pub fn check(request: &ValidRequest) -> Result<(), ApiError> {
    let model = request.body_str("model").unwrap_or("");
    if let Some(dimensions) = request.body.get("dimensions").and_then(Value::as_u64) {
        if model == "text-embedding-ada-002" {
            return Err(ApiError::invalid_request(
                "This model does not support specifying dimensions.",
            ));
        }
        let most = native_dimensions(model).unwrap_or(MAX_UNKNOWN_DIMENSIONS);
        if dimensions > most as u64 {
            return Err(ApiError::invalid_request(format!(
                "Invalid value for 'dimensions': {model} supports at most {most} dimensions, \
                 but {dimensions} were requested."
            ))
            .with_param("dimensions")
            .with_code("invalid_value"));
        }
    }
    for input in inputs(&request.body)? {
        if input.text.is_empty() && input.tokens == 0 {
            return Err(invalid_input());
        }
        if input.tokens > MAX_INPUT_TOKENS {
            return Err(ApiError::invalid_request(format!(
                "This model's maximum context length is {MAX_INPUT_TOKENS} tokens, however you \
                 requested {n} tokens ({n} in your prompt; 0 for the completion). Please reduce \
                 your prompt; or completion length.",
                n = input.tokens
            )));
        }
    }
    Ok(())
}

fn invalid_input() -> ApiError {
    ApiError::invalid_request(
        "'$.input' is invalid. Please check the API reference: \
         https://platform.openai.com/docs/api-reference.",
    )
}

/// The inputs of a request body: a string, strings, a token array or token arrays.
fn inputs(body: &Value) -> Result<Vec<Input>, ApiError> {
    let text_input = |text: &str| Input {
        tokens: Encoding::Cl100k.count(text),
        text: text.to_string(),
    };
    let token_input = |items: &[Value]| -> Result<Input, ApiError> {
        let ids: Vec<u32> = items
            .iter()
            .map(|id| id.as_u64().and_then(|id| u32::try_from(id).ok()))
            .collect::<Option<_>>()
            .ok_or_else(invalid_input)?;
        let bytes = Encoding::Cl100k
            .decode_bytes(&ids)
            .ok_or_else(invalid_input)?;
        Ok(Input {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            tokens: ids.len(),
        })
    };
    match body.get("input") {
        Some(Value::String(text)) => Ok(vec![text_input(text)]),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(items
            .iter()
            .map(|item| text_input(item.as_str().unwrap_or_default()))
            .collect()),
        Some(Value::Array(items)) if items.iter().all(Value::is_array) => items
            .iter()
            .map(|item| token_input(item.as_array().map_or(&[][..], Vec::as_slice)))
            .collect(),
        Some(Value::Array(items)) => Ok(vec![token_input(items)?]),
        _ => Err(invalid_input()),
    }
}

/// Builds the answer into `answer` (replacing what it held): a real vector for each input,
/// and the usage.
pub fn shape(request: &ValidRequest, answer: &mut Value) {
    let Ok(inputs) = inputs(&request.body) else {
        return;
    };
    let model = request.body_str("model").unwrap_or("");
    let requested = request
        .body
        .get("dimensions")
        .and_then(Value::as_u64)
        .map(|d| d as usize);
    let full = native_dimensions(model).unwrap_or_else(|| requested.unwrap_or(DEFAULT_DIMENSIONS));
    let dimensions = requested.unwrap_or(full).clamp(1, full);
    let base64 = request.body_str("encoding_format") == Some("base64");
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            let vector = embed(&input.text, full, dimensions);
            let embedding = if base64 {
                Value::String(encode_base64(&vector))
            } else {
                Value::Array(vector.iter().map(|x| json!(f64::from(*x))).collect())
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let tokens: usize = inputs.iter().map(|input| input.tokens).sum();
    *answer = json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    });
}

/// `POST /embeddings`.
pub const ENDPOINT: Endpoint = Endpoint {
    ops: &["createEmbedding"],
    check: |call| check(call.request),
    shape: |call, answer, _| {
        shape(call.request, answer);
        if call.options.float_embeddings {
            as_floats(answer);
        }
    },
    whole_answer: true,
    ..Endpoint::GENERIC
};

/// Turns base64 embeddings in an answer back into float arrays (`--float-embeddings`).
pub fn as_floats(answer: &mut Value) {
    let Some(data) = answer.get_mut("data").and_then(Value::as_array_mut) else {
        return;
    };
    for item in data {
        let Some(encoded) = item.get("embedding").and_then(Value::as_str) else {
            continue;
        };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            continue;
        };
        let floats: Vec<Value> = bytes
            .chunks_exact(4)
            .map(|b| json!(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))))
            .collect();
        item["embedding"] = Value::Array(floats);
    }
}

/// The little-endian `f32` bytes of `vector`, base64-encoded (what `encoding_format: base64`
/// returns).
pub fn encode_base64(vector: &[f32]) -> String {
    let mut bytes = Vec::with_capacity(vector.len() * 4);
    for x in vector {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_holds_little_endian_floats() {
        let encoded = encode_base64(&[1.0, -0.5]);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(
            bytes,
            [1.0f32.to_le_bytes(), (-0.5f32).to_le_bytes()].concat()
        );
    }
}
