//! Building HTTP answers: JSON bodies, error envelopes, extra headers, and the headers every
//! answer carries.

use crate::error::ApiError;
use crate::generate::{fnv1a, Rng};
use crate::scenario::{latency, Failure};
use bytes::Bytes;
use poem::http::{header, HeaderName, HeaderValue, StatusCode};
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

/// A fresh `x-request-id` value: `req_` and 32 hex digits, unique per process. `_started`
/// is kept for callers that time the request; the id comes from a process-wide counter mixed
/// with a per-process salt, so no per-request formatting is needed beyond the hex digits.
pub fn request_id(_started: Instant) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    static SALT: OnceLock<u64> = OnceLock::new();
    let salt = *SALT.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        fnv1a(&[&nanos.to_le_bytes(), &std::process::id().to_le_bytes()])
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut rng = Rng::new(fnv1a(&[&salt.to_le_bytes(), &n.to_le_bytes()]));
    let mut id = String::with_capacity(36);
    id.push_str("req_");
    id.push_str(&rng.hex(32));
    id
}

/// The constant headers every answer carries, prebuilt once: `openai-version` and the
/// plausible `x-ratelimit-*` values (kept when a configured rate limit already set real ones).
const CONSTANT_HEADERS: [(HeaderName, HeaderValue, bool); 7] = [
    constant("openai-version", OPENAI_VERSION, false),
    constant("x-ratelimit-limit-requests", "10000", true),
    constant("x-ratelimit-remaining-requests", "9999", true),
    constant("x-ratelimit-reset-requests", "6ms", true),
    constant("x-ratelimit-limit-tokens", "30000000", true),
    constant("x-ratelimit-remaining-tokens", "29999000", true),
    constant("x-ratelimit-reset-tokens", "2ms", true),
];

/// A constant header, and whether a configured rate limit may have set it already.
const fn constant(
    name: &'static str,
    value: &'static str,
    rate_limit: bool,
) -> (HeaderName, HeaderValue, bool) {
    (
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
        rate_limit,
    )
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static PROCESSING_MS: HeaderName = HeaderName::from_static("openai-processing-ms");

/// The headers every answer carries: `x-request-id`, `openai-processing-ms`,
/// `openai-version` and `x-ratelimit-*` (plausible values, unless a configured rate limit
/// already set real ones). The constant ones are static header values: nothing is formatted
/// or allocated for them per request.
pub fn add_standard_headers(response: &mut Response, elapsed_ms: u128, request_id: String) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_maybe_shared(bytes::Bytes::from(request_id)) {
        headers.insert(REQUEST_ID.clone(), value);
    }
    headers.insert(PROCESSING_MS.clone(), HeaderValue::from(elapsed_ms as u64));
    for (name, value, rate_limit) in &CONSTANT_HEADERS {
        if *rate_limit && headers.contains_key(name) {
            continue;
        }
        headers.insert(name.clone(), value.clone());
    }
}

/// The start of a JSON answer's body for the request log (the body is put back whole);
/// nothing for streams, bytes and empty answers.
pub async fn json_body(response: &mut Response) -> (Bytes, bool) {
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !json {
        return (Bytes::new(), false);
    }
    let Ok(whole) = response.take_body().into_bytes().await else {
        return (Bytes::new(), false);
    };
    let kept = crate::scenario::log::Bodies::bounded(&whole);
    response.set_body(whole);
    kept
}

/// The answer for a simulated failure: an error envelope with its headers, or a body that
/// breaks off at once so the client sees the connection drop.
pub fn failure_response(failure: &Failure) -> Response {
    match failure {
        Failure::Error(simulated) => {
            let mut response = error_response(&simulated.error);
            add_headers(&mut response, &simulated.headers);
            response
        }
        Failure::ConnectionReset => {
            Response::builder().body(Body::from_bytes_stream(latency::reset_body()))
        }
    }
}
