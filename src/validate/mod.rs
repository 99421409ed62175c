//! Request validation: path, query and body into typed values, or an OpenAI-style 400.
//!
//! Every body type the spec uses is decoded into one JSON value first (JSON as is;
//! multipart and url-encoded forms through [`fields`]; `application/sdp` as a string), and
//! then checked by the operation's compiled JSON Schema validator. Unknown top-level
//! arguments are rejected separately, because the spec's schemas do not forbid them but the
//! real API does.

mod errors;
pub mod fields;
pub mod semantic;

pub use errors::{param_name, to_api_error};

use crate::catalog::{Catalog, MediaType, Operation, SchemaStore};
use crate::error::ApiError;
use bytes::Bytes;
use fields::FieldValue;
use serde_json::{Map, Value};

/// The most parts a multipart body may have.
pub const MAX_MULTIPART_PARTS: usize = 1_000;

/// A file part of a multipart body.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The form field name, e.g. `file`.
    pub field: String,
    /// The client's file name.
    pub filename: Option<String>,
    /// The part's content type.
    pub content_type: Option<String>,
    /// The file's size in bytes.
    pub size: usize,
    /// The file's content (shares the request body's buffer).
    pub bytes: Bytes,
}

/// A request that passed validation.
#[derive(Debug, Clone, Default)]
pub struct ValidRequest {
    /// Path parameters, in template order.
    pub path: Vec<(String, String)>,
    /// The query string as a typed JSON object.
    pub query: Value,
    /// The body as JSON (`Null` when there is none).
    pub body: Value,
    /// The media type the body was decoded as.
    pub media_type: Option<String>,
    /// Files uploaded in a multipart body.
    pub files: Vec<UploadedFile>,
    /// `scheme://host[:port]` the client used to reach the mock, for URLs the mock serves
    /// itself (generated images); set by the server.
    pub origin: Option<String>,
}

impl ValidRequest {
    /// A body or query field, body first.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.body.get(name).or_else(|| self.query.get(name))
    }

    /// A string field of the body (`model`, `input`, ...), when it is one.
    pub fn body_str(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }

    /// Whether the client asked for a streamed answer (`stream: true`).
    pub fn wants_stream(&self) -> bool {
        self.body.get("stream").and_then(Value::as_bool) == Some(true)
    }
}

/// Validates one request for `op`.
pub async fn validate(
    catalog: &Catalog,
    op: &Operation,
    path: Vec<(String, String)>,
    query: Option<&str>,
    content_type: Option<&str>,
    body: Bytes,
) -> Result<ValidRequest, ApiError> {
    let store = &catalog.schemas;
    let mut request = start(store, op, path, query)?;
    let Some(media) = body_media(op, content_type, body.is_empty())? else {
        return Ok(request);
    };
    let schema = store.target(media.schema);
    let decoded = match media.media_type.as_str() {
        "multipart/form-data" => {
            let boundary = content_type
                .and_then(|ct| multer::parse_boundary(ct).ok())
                .ok_or_else(|| {
                    ApiError::invalid_request(
                        "Invalid multipart body: the Content-Type header has no boundary.",
                    )
                })?;
            let (value, files) = decode_multipart(store, schema, body, boundary).await?;
            request.files = files;
            value
        }
        "application/x-www-form-urlencoded" => {
            let pairs = form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), FieldValue::Text(v.into_owned())));
            fields::assemble(store, schema, pairs)
        }
        "application/json" => decode_json(&body)?,
        _ => Value::String(String::from_utf8_lossy(&body).into_owned()),
    };
    check_body(store, media, decoded, request)
}

/// Validates a request whose body is already JSON (a batch line's `body`), exactly as
/// [`validate`] validates the same body sent as `application/json`, without waiting on
/// anything.
pub fn validate_json(
    catalog: &Catalog,
    op: &Operation,
    path: Vec<(String, String)>,
    query: Option<&str>,
    body: Value,
) -> Result<ValidRequest, ApiError> {
    let store = &catalog.schemas;
    let request = start(store, op, path, query)?;
    let Some(media) = body_media(op, Some("application/json"), false)? else {
        return Ok(request);
    };
    check_body(store, media, body, request)
}

/// The request with its path and validated query, and no body yet.
fn start(
    store: &SchemaStore,
    op: &Operation,
    path: Vec<(String, String)>,
    query: Option<&str>,
) -> Result<ValidRequest, ApiError> {
    Ok(ValidRequest {
        path,
        query: validate_query(store, op, query)?,
        body: Value::Null,
        media_type: None,
        files: Vec::new(),
        origin: None,
    })
}

/// The spec's media type the body is read as: `None` when the operation takes no body, or an
/// optional one was not sent; the real API's 400 for a content type it does not take.
fn body_media<'a>(
    op: &'a Operation,
    content_type: Option<&str>,
    empty: bool,
) -> Result<Option<&'a MediaType>, ApiError> {
    let Some(spec_body) = &op.body else {
        return Ok(None);
    };
    if empty && !spec_body.required {
        return Ok(None);
    }
    let sent_type = content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|ct| !ct.is_empty());
    let media = match &sent_type {
        Some(sent) => spec_body
            .content
            .iter()
            .find(|m| m.media_type == *sent)
            .ok_or_else(|| {
                let accepted: Vec<&str> = spec_body
                    .content
                    .iter()
                    .map(|m| m.media_type.as_str())
                    .collect();
                ApiError::invalid_request(format!(
                    "Invalid Content-Type header ({sent}), expected {}.",
                    accepted.join(" or ")
                ))
            })?,
        None => spec_body
            .content
            .iter()
            .find(|m| m.media_type == "application/json")
            .or(spec_body.content.first())
            .ok_or_else(|| ApiError::invalid_request("This endpoint takes no body."))?,
    };
    Ok(Some(media))
}

/// Checks the decoded body against the media type's schema (and for unknown top-level
/// arguments), and completes the request with it.
fn check_body(
    store: &SchemaStore,
    media: &MediaType,
    decoded: Value,
    mut request: ValidRequest,
) -> Result<ValidRequest, ApiError> {
    let schema = store.target(media.schema);
    if decoded.is_object() {
        reject_unknown_arguments(store, schema, &decoded)?;
    }
    if let Some(validator) = store.validator(media.schema) {
        // `is_valid` stops at the first failure and builds no error values, so valid
        // requests (the common case) skip collecting them.
        if !validator.is_valid(&decoded) {
            if let Some(error) = errors::to_api_error(validator.iter_errors(&decoded)) {
                return Err(error);
            }
        }
    }
    request.media_type = Some(media.media_type.clone());
    request.body = decoded;
    Ok(request)
}

fn decode_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|e| {
        let detail = if e.to_string().contains("recursion limit") {
            " The JSON is nested too deeply."
        } else {
            ""
        };
        ApiError::invalid_request(format!(
            "We could not parse the JSON body of your request. (HINT: This likely means you \
             aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, \
             but what was sent was not valid JSON.{detail} Parser error: {e})"
        ))
    })
}

async fn decode_multipart(
    store: &SchemaStore,
    schema: &Value,
    body: Bytes,
    boundary: String,
) -> Result<(Value, Vec<UploadedFile>), ApiError> {
    // A form with no fields is the closing delimiter alone (or, from some clients, nothing
    // at all), which multer reads as a stream that ended early.
    let content = body.trim_ascii();
    if content.is_empty() || content == format!("--{boundary}--").as_bytes() {
        return Ok((fields::assemble(store, schema, Vec::new()), Vec::new()));
    }
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    let bad = |e: multer::Error| ApiError::invalid_request(format!("Invalid multipart body: {e}"));
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        if pairs.len() >= MAX_MULTIPART_PARTS {
            return Err(ApiError::invalid_request(format!(
                "Invalid multipart body: more than {MAX_MULTIPART_PARTS} parts."
            )));
        }
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(|m| m.to_string());
        let data = field.bytes().await.map_err(bad)?;
        if filename.is_some() {
            files.push(UploadedFile {
                field: name.clone(),
                filename: filename.clone(),
                content_type,
                size: data.len(),
                bytes: data.clone(),
            });
            let shown = filename.unwrap_or_else(|| "file".into());
            pairs.push((name, FieldValue::Json(Value::String(shown))));
        } else {
            let text = String::from_utf8_lossy(&data).into_owned();
            pairs.push((name, FieldValue::Text(text)));
        }
    }
    Ok((fields::assemble(store, schema, pairs), files))
}

fn validate_query(
    store: &SchemaStore,
    op: &Operation,
    query: Option<&str>,
) -> Result<Value, ApiError> {
    let schema = store.target(op.query);
    let pairs = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), FieldValue::Text(v.into_owned())));
    let value = fields::assemble(store, schema, pairs);
    if let Some(validator) = store.validator(op.query) {
        if !validator.is_valid(&value) {
            if let Some(error) = errors::to_api_error(validator.iter_errors(&value)) {
                return Err(error);
            }
        }
    }
    Ok(value)
}

/// Rejects top-level keys the request schema does not declare, like the real API.
fn reject_unknown_arguments(
    store: &SchemaStore,
    schema: &Value,
    body: &Value,
) -> Result<(), ApiError> {
    let Some(known) = declared_properties(store, schema) else {
        return Ok(());
    };
    if let Some(Value::Object(map)) = Some(body) {
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::unrecognized_argument(unknown));
        }
    }
    Ok(())
}

/// Every top-level property name an object schema declares, across `allOf`/`anyOf`
/// branches. `None` when the schema admits arbitrary keys.
fn declared_properties<'a>(store: &'a SchemaStore, schema: &'a Value) -> Option<Vec<&'a str>> {
    let mut names = Vec::new();
    let mut open = false;
    store.walk(schema, 8, &mut |schema| {
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            names.extend(props.keys().map(String::as_str));
        }
        if schema
            .get("additionalProperties")
            .is_some_and(|a| a != &Value::Bool(false))
        {
            open = true;
        }
        None::<()>
    });
    (!open && !names.is_empty()).then_some(names)
}
