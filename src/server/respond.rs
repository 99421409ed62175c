//! Building HTTP answers: JSON bodies, error envelopes, extra headers, and the headers every
//! answer carries.

use crate::error::ApiError;
use crate::generate::{fnv1a, Rng};
use poem::http::{header, HeaderValue, StatusCode};
use poem::{Body, Response};
use serde_json::Value;
use std::time::Instant;

/// The version string the real API sends in `openai-version`.
pub const OPENAI_VERSION: &str = "2020-10-01";

/// A JSON answer.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_vec(serde_json::to_vec(body).unwrap_or_default()))
}

/// The error envelope of `error`, with its status.
pub fn error_response(error: &ApiError) -> Response {
    json_response(
        StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST),
        &error.body(),
    )
}

/// Adds `headers` to `response`, replacing same-named ones.
pub fn add_headers(response: &mut Response, headers: &[(String, String)]) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
}

/// A fresh `x-request-id` value: `req_` and 32 hex digits, unique per process.
pub fn request_id(started: Instant) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = fnv1a(&[&n.to_le_bytes(), format!("{started:?}").as_bytes()]);
    format!("req_{}", Rng::new(seed).hex(32))
}

/// The headers every answer carries: `x-request-id`, `openai-processing-ms`,
/// `openai-version` and `x-ratelimit-*` (plausible values, unless a configured rate limit
/// already set real ones).
pub fn add_standard_headers(response: &mut Response, elapsed_ms: u128, request_id: String) {
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if name.starts_with("x-ratelimit-") && headers.contains_key(name) {
            return;
        }
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("x-request-id", request_id);
    set("openai-processing-ms", elapsed_ms.to_string());
    set("openai-version", OPENAI_VERSION.to_string());
    set("x-ratelimit-limit-requests", "10000".into());
    set("x-ratelimit-remaining-requests", "9999".into());
    set("x-ratelimit-reset-requests", "6ms".into());
    set("x-ratelimit-limit-tokens", "30000000".into());
    set("x-ratelimit-remaining-tokens", "29999000".into());
    set("x-ratelimit-reset-tokens", "2ms".into());
}
