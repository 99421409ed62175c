//! Per-endpoint semantics: what the mock says, on top of the schema-valid body.
//!
//! [`generate`](crate::generate) makes a body that conforms to the operation's schema;
//! the functions here then make it behave like the endpoint: they read the request and
//! adjust the answer (uploaded file names and sizes, ...). Every change keeps the body
//! valid against its schema; the sweep tests check that for every operation.

pub mod audio;
pub mod chat;
pub mod completions;
pub mod embeddings;
pub mod images;
pub mod logprobs;
pub mod models;
pub mod moderations;
pub mod responses;
pub mod scripted;
pub mod structured;
pub mod text;
mod token_hash;
pub mod tokens;
pub mod tools;

use crate::catalog::{Catalog, Operation};
use crate::error::ApiError;
use crate::generate::Generator;
use crate::validate::ValidRequest;
use serde_json::Value;

/// Adjusts the generated `answer` for `op` to what the endpoint would really say.
pub fn shape<'a>(
    catalog: &'a Catalog,
    op: &Operation,
    request: &ValidRequest,
    answer: &mut Value,
    generator: &mut Generator<'a>,
) {
    if !request.files.is_empty() {
        describe_upload(op, request, answer);
    }
    match op.id.as_str() {
        "createChatCompletion" => chat::shape(request, answer, generator),
        "createResponse" => responses::shape(request, answer, generator),
        "Getinputtokencounts" => responses::shape_input_tokens(request, answer),
        "createCompletion" => completions::shape(request, answer, generator),
        "createEmbedding" => embeddings::shape(request, answer),
        "createModeration" => moderations::shape(request, answer),
        "createImage" | "createImageEdit" | "createImageVariation" => {
            images::shape(&op.id, request, answer)
        }
        "createTranscription" | "createTranslation" => {
            audio::shape_transcription(&op.id, request, answer)
        }
        "listModels" | "retrieveModel" | "deleteModel" => {
            models::shape(catalog, &op.id, request, answer)
        }
        _ => {}
    }
    if let Some(script) = &request.scripted {
        scripted::use_call_ids(&op.id, script, answer);
    }
}

/// Rejects a schema-valid request the real endpoint would still refuse (an unknown model,
/// `dimensions` for ada-002, an unsupported image size, ...), before any answer is built.
pub fn check(catalog: &Catalog, op: &Operation, request: &ValidRequest) -> Result<(), ApiError> {
    match op.id.as_str() {
        "createChatCompletion" => chat::check(request),
        "createResponse" => responses::check(request),
        "createEmbedding" => embeddings::check(request),
        "createModeration" => moderations::check(request),
        "createImage" | "createImageEdit" | "createImageVariation" => {
            images::check(&op.id, request)
        }
        "createSpeech" | "createTranscription" | "createTranslation" => {
            audio::check(&op.id, request)
        }
        "retrieveModel" | "deleteModel" => models::check(catalog, &op.id, request),
        _ => Ok(()),
    }
}

/// For the text-generating endpoints, the request fields that decide what the answer says
/// (canonical JSON); the pipeline seeds generation with it instead of the raw body, so a
/// streamed answer equals the non-streamed one and `stop` / `max_tokens` only cut it.
pub fn content_key(op: &Operation, request: &ValidRequest) -> Option<String> {
    let fields = match op.id.as_str() {
        "createChatCompletion" => chat::CONTENT_FIELDS,
        "createResponse" | "Getinputtokencounts" => responses::CONTENT_FIELDS,
        "createCompletion" => completions::CONTENT_FIELDS,
        _ => return None,
    };
    Some(text::content_key(&request.body, fields))
}

/// A body that is not JSON: what an endpoint sends instead of its JSON answer when the
/// request asks for another format (transcripts as `text`, `srt` or `vtt`).
#[derive(Debug, Clone, PartialEq)]
pub struct TextBody {
    /// The `content-type` to send.
    pub content_type: &'static str,
    /// The body.
    pub text: String,
}

/// The non-JSON rendering of the shaped `answer`, when the request asks for one.
pub fn text_body(op: &Operation, request: &ValidRequest, answer: &Value) -> Option<TextBody> {
    match op.id.as_str() {
        "createTranscription" | "createTranslation" => audio::transcript_text(request, answer),
        _ => None,
    }
}

/// The events of a stream this module builds itself (speech, transcripts, images), or
/// `None` to let [`crate::stream`] build them from the answer.
pub fn stream_events(
    op: &Operation,
    request: &ValidRequest,
    answer: Option<&Value>,
) -> Option<Vec<Value>> {
    match (op.id.as_str(), answer) {
        ("createSpeech", _) => Some(audio::speech_events(request)),
        ("createTranscription", Some(answer)) => Some(audio::transcript_events(request, answer)),
        ("createImage" | "createImageEdit", Some(answer)) => {
            Some(images::stream_events(&op.id, request, answer))
        }
        _ => None,
    }
}

/// An uploaded file's name and size come back on the created object
/// (`POST /files` -> `filename`, `bytes`).
fn describe_upload(_op: &Operation, request: &ValidRequest, answer: &mut Value) {
    let Some(file) = request.files.first() else {
        return;
    };
    let Value::Object(object) = answer else {
        return;
    };
    if let (Some(name), Some(Value::String(_))) = (&file.filename, object.get("filename")) {
        object.insert("filename".into(), Value::String(name.clone()));
    }
    if object.get("bytes").is_some_and(Value::is_i64) {
        object.insert("bytes".into(), Value::from(file.size as i64));
    }
}
