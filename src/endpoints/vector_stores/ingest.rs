//! Ingestion: what adding a file to a vector store does. The file's text is cut into chunks
//! of `chunking_strategy` tokens (measured with `cl100k_base`, the tokenizer of
//! `text-embedding-3-large`), each chunk is embedded with the mock's embedding model at
//! [`DIMENSIONS`], and the vector store file is stored with a lifecycle stage that completes
//! it (or fails it) within `--lifecycle-ms`; files added together complete one after another,
//! evenly spread, so counts rise step by step.

use super::{file_store_id, string_array, touch, FILE_KIND};
use crate::endpoints::stored::set;
use crate::endpoints::Call;
use crate::error::ApiError;
use crate::generate::Generator;
use crate::services::embedding::embed;
use crate::services::tokens::Encoding;
use crate::store::{lifecycle, not_found, Found, Object};
use serde_json::{json, Value};

/// The size of the vectors chunks and queries are embedded at: the embedding model sized
/// to 512 (every feature keeps all its positions). A 256-dimension prefix of the 3072 model,
/// as the real file search uses, keeps too few positions per word for the mock's hashed
/// features to tell short documents apart.
pub const DIMENSIONS: usize = 512;
/// `auto` chunking: the real API's documented default.
pub const AUTO_MAX_TOKENS: usize = 800;
/// `auto` chunking's overlap.
pub const AUTO_OVERLAP_TOKENS: usize = 400;

/// One file to add: its id, and its own chunking and attributes.
#[derive(Debug, Clone)]
pub struct FileSpec {
    /// The File to ingest.
    pub file_id: String,
    /// `chunking_strategy`, as sent (absent means `auto`).
    pub chunking_strategy: Option<Value>,
    /// `attributes`, as sent.
    pub attributes: Option<Value>,
}

/// The embedding of `text` that chunks and queries share (unit length).
pub fn vector(text: &str) -> Vec<f32> {
    embed(text, DIMENSIONS, DIMENSIONS)
}

/// `(max_chunk_size_tokens, chunk_overlap_tokens)` of a chunking strategy.
pub fn strategy(value: Option<&Value>) -> (usize, usize) {
    let Some(fixed) = value
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("static"))
        .and_then(|s| s.get("static"))
    else {
        return (AUTO_MAX_TOKENS, AUTO_OVERLAP_TOKENS);
    };
    let number = |key: &str| fixed.get(key).and_then(Value::as_u64).map(|n| n as usize);
    (
        number("max_chunk_size_tokens").unwrap_or(AUTO_MAX_TOKENS),
        number("chunk_overlap_tokens").unwrap_or(0),
    )
}

/// Refuses a static strategy whose overlap is more than half its chunk size, as the real API
/// does.
pub fn check_strategy(value: Option<&Value>) -> Result<(), ApiError> {
    let (max, overlap) = strategy(value);
    if overlap > max / 2 {
        return Err(ApiError::invalid_request(format!(
            "Invalid 'chunking_strategy.static.chunk_overlap_tokens': {overlap}. The overlap \
             must not exceed half of max_chunk_size_tokens ({max})."
        ))
        .with_param("chunking_strategy")
        .with_code("invalid_value"));
    }
    Ok(())
}

/// Checks that every id names a File of this namespace (a 404 for a deleted one, or an
/// unknown one under strict ids); the total of their bytes, for the store's limits.
pub fn check_files(call: &Call, ids: &[String]) -> Result<u64, ApiError> {
    let mut bytes = 0u64;
    for id in ids {
        match call
            .store
            .get(call.namespace, crate::endpoints::files::KIND, id)
        {
            Found::Live(file) => bytes += file.bytes.as_ref().map_or(0, |b| b.len() as u64),
            Found::Deleted => return Err(not_found("File", id).with_param("file_id")),
            Found::Unknown if call.store.settings.strict_ids => {
                return Err(not_found("File", id).with_param("file_id"))
            }
            Found::Unknown => {}
        }
    }
    // Chunks repeat their overlap, and each carries a vector.
    Ok(bytes * 3)
}

/// The specs of a request that names `file_ids` (sharing its `chunking_strategy` and
/// `attributes`) or `files` (each with its own).
pub fn specs(body: &Value) -> Vec<FileSpec> {
    if let Some(files) = body.get("files").and_then(Value::as_array) {
        return files
            .iter()
            .filter_map(|file| {
                Some(FileSpec {
                    file_id: file.get("file_id")?.as_str()?.to_string(),
                    chunking_strategy: file.get("chunking_strategy").cloned(),
                    attributes: file.get("attributes").cloned(),
                })
            })
            .collect();
    }
    string_array(body.get("file_ids"))
        .into_iter()
        .map(|file_id| FileSpec {
            file_id,
            chunking_strategy: body.get("chunking_strategy").cloned(),
            attributes: body.get("attributes").cloned(),
        })
        .collect()
}

/// `text` cut into chunks of at most `max` tokens, each starting `max - overlap` tokens after
/// the one before (the last chunk ends with the text).
///
/// ```
/// use openai_mock::endpoints::vector_stores::ingest::chunk_text;
/// use openai_mock::services::tokens::Encoding;
/// let text = "word ".repeat(250).trim_end().to_string();
/// let chunks = chunk_text(&text, 100, 50);
/// assert_eq!(chunks.len(), 4);
/// assert!(chunks.iter().all(|c| Encoding::Cl100k.count(c) <= 100));
/// assert!(chunks[1].starts_with(&chunks[0][chunks[0].len() / 2..]));
/// ```
pub fn chunk_text(text: &str, max: usize, overlap: usize) -> Vec<String> {
    let pieces = Encoding::Cl100k.pieces(text);
    let max = max.max(1);
    let step = max.saturating_sub(overlap).max(1);
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < pieces.len() {
        let end = (start + max).min(pieces.len());
        chunks.push(pieces[start..end].concat());
        if end == pieces.len() {
            break;
        }
        start += step;
    }
    chunks
}

/// What ingesting one file yields: the stage that ends it, its chunks and their vectors.
struct Ingested {
    filename: String,
    outcome: Value,
    chunks: Vec<String>,
    vectors: Vec<u8>,
}

fn ingest(call: &Call, spec: &FileSpec, max: usize, overlap: usize) -> Ingested {
    let failed = |filename: String, code: &str, message: String| Ingested {
        filename,
        outcome: json!({"status": "failed", "last_error": {"code": code, "message": message}}),
        chunks: Vec::new(),
        vectors: Vec::new(),
    };
    let id = &spec.file_id;
    let file = match call
        .store
        .get(call.namespace, crate::endpoints::files::KIND, id)
    {
        Found::Live(file) => file,
        // Lenient ids: a file never uploaded cannot be read, so its ingestion fails.
        _ => {
            return failed(
                id.clone(),
                "invalid_file",
                format!("No such File object: {id}"),
            )
        }
    };
    let filename = file
        .body
        .get("filename")
        .and_then(Value::as_str)
        .unwrap_or(id)
        .to_string();
    let bytes = file.bytes.as_deref().unwrap_or_default();
    let Ok(text) = std::str::from_utf8(bytes) else {
        return failed(
            filename,
            "unsupported_file",
            "The file is not UTF-8 text: the mock reads text files only.".into(),
        );
    };
    if text.trim().is_empty() {
        return failed(filename, "invalid_file", "The file is empty.".into());
    }
    let chunks = chunk_text(text, max, overlap);
    let mut vectors = Vec::with_capacity(chunks.len() * DIMENSIONS * 4);
    for chunk in &chunks {
        vectors.extend(vector(chunk).iter().flat_map(|x| x.to_le_bytes()));
    }
    Ingested {
        filename,
        outcome: json!({"status": "completed", "usage_bytes": bytes.len()}),
        chunks,
        vectors,
    }
}

/// Adds files to vector store `store_id` (of `batch_id`, when they come in a batch): each is
/// chunked and embedded now, and completes on the lifecycle timeline. Returns the vector
/// store files as they are at creation.
pub fn add_files(
    call: &Call,
    generator: &mut Generator,
    store: &str,
    specs: &[FileSpec],
    batch_id: Option<&str>,
) -> Vec<Value> {
    let now = generator.now();
    let start = lifecycle::now_ms();
    let outcomes = specs.iter().map(|_| Value::Null).collect();
    let times = lifecycle::spread(start, call.store.settings.lifecycle_ms, outcomes);
    let mut created = Vec::new();
    for (spec, time) in specs.iter().zip(times) {
        let (max, overlap) = strategy(spec.chunking_strategy.as_ref());
        let ingested = ingest(call, spec, max, overlap);
        let body = json!({
            "id": spec.file_id,
            "object": "vector_store.file",
            "usage_bytes": 0,
            "created_at": now,
            "vector_store_id": store,
            "status": "in_progress",
            "last_error": null,
            "chunking_strategy": {
                "type": "static",
                "static": {"max_chunk_size_tokens": max, "chunk_overlap_tokens": overlap},
            },
            "attributes": spec.attributes.clone().filter(Value::is_object).unwrap_or(json!({})),
        });
        let mut object = Object::new(
            FILE_KIND,
            &file_store_id(store, &spec.file_id),
            body.clone(),
        );
        object.parent = Some(store.to_string());
        object.bytes = Some(ingested.vectors);
        let stage = lifecycle::Stage {
            at_ms: time.at_ms,
            patch: ingested.outcome,
        };
        let mut extra = json!({
            "filename": ingested.filename,
            "chunks": ingested.chunks,
        });
        if let Some(batch) = batch_id {
            set(&mut extra, "batch_id", json!(batch));
        }
        lifecycle::set_stages(&mut extra, &[stage]);
        object.extra = extra;
        match call.store.create(call.namespace, object) {
            Ok(_) => created.push(body),
            Err(error) => {
                tracing::warn!(file = %spec.file_id, message = %error.message, "vector store file not stored")
            }
        }
    }
    touch(call, store, now);
    created
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_is_800_tokens_with_400_overlap() {
        assert_eq!(strategy(None), (800, 400));
        assert_eq!(strategy(Some(&json!({"type": "auto"}))), (800, 400));
        let fixed = json!({"type": "static", "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 20}});
        assert_eq!(strategy(Some(&fixed)), (200, 20));
    }

    #[test]
    fn chunks_cover_the_text_and_respect_the_sizes() {
        let text = "The quick brown fox jumps over the lazy dog. ".repeat(100);
        let tokens = Encoding::Cl100k.count(&text);
        let chunks = chunk_text(&text, 100, 20);
        assert!(chunks.iter().all(|c| Encoding::Cl100k.count(c) <= 101));
        // Each chunk starts 80 tokens after the previous one.
        assert_eq!(chunks.len(), (tokens - 100).div_ceil(80) + 1);
        assert!(text.starts_with(&chunks[0]));
        assert!(text.ends_with(chunks.last().unwrap().as_str()));
        assert!(chunk_text("", 100, 0).is_empty());
    }

    #[test]
    fn an_overlap_over_half_the_chunk_is_refused() {
        let fixed = json!({"type": "static", "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 101}});
        assert!(check_strategy(Some(&fixed)).is_err());
        assert!(check_strategy(None).is_ok());
    }
}
