//! Building HTTP answers: JSON bodies, error envelopes, extra headers, and the headers every
//! answer carries.

use crate::error::ApiError;
use crate::generate::{fnv1a, Rng};
use crate::scenario::{latency, Failure};
use bytes::Bytes;
use poem::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use poem::{Body, Response};
use serde_json::Value;
use std::sync::LazyLock;
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
    Response::builder()
        .status(StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_vec(error.body_bytes()))
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

/// The constant headers every answer carries: `openai-version` and plausible
/// `x-ratelimit-*` values (which an answer's own, from a configured rate limit, replace).
const CONSTANT_HEADERS: [(&str, &str); 7] = [
    ("openai-version", OPENAI_VERSION),
    ("x-ratelimit-limit-requests", "10000"),
    ("x-ratelimit-remaining-requests", "9999"),
    ("x-ratelimit-reset-requests", "6ms"),
    ("x-ratelimit-limit-tokens", "30000000"),
    ("x-ratelimit-remaining-tokens", "29999000"),
    ("x-ratelimit-reset-tokens", "2ms"),
];

/// [`CONSTANT_HEADERS`] as a header map, built once: each answer starts from a copy of it,
/// which costs no hashing, where inserting them one by one hashed every name.
static CONSTANT_MAP: LazyLock<HeaderMap> = LazyLock::new(|| {
    let mut map = HeaderMap::with_capacity(16);
    for (name, value) in CONSTANT_HEADERS {
        map.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    map
});

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static PROCESSING_MS: HeaderName = HeaderName::from_static("openai-processing-ms");

/// The headers every answer carries: `x-request-id`, `openai-processing-ms`,
/// `openai-version` and `x-ratelimit-*` (plausible values, unless a configured rate limit
/// already set real ones). The constant ones come from a prebuilt map: nothing is formatted
/// or hashed for them per request.
pub fn add_standard_headers(response: &mut Response, elapsed_ms: u128, request_id: String) {
    let own = std::mem::replace(response.headers_mut(), CONSTANT_MAP.clone());
    let headers = response.headers_mut();
    // The answer's own headers go over the constant ones (a header sent several times keeps
    // every value: the map yields its name once, then `None` for each further value).
    let mut previous: Option<HeaderName> = None;
    for (name, value) in own {
        match name {
            Some(name) => {
                headers.insert(name.clone(), value);
                previous = Some(name);
            }
            None => {
                if let Some(name) = &previous {
                    headers.append(name.clone(), value);
                }
            }
        }
    }
    if let Ok(value) = HeaderValue::from_maybe_shared(bytes::Bytes::from(request_id)) {
        headers.insert(REQUEST_ID.clone(), value);
    }
    headers.insert(PROCESSING_MS.clone(), HeaderValue::from(elapsed_ms as u64));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_headers_keep_the_answers_own_and_every_repeated_value() {
        let mut response = Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-ratelimit-remaining-requests", "1")
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .finish();
        add_standard_headers(&mut response, 7, "req_abc".into());
        let headers = response.headers();
        let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(value("content-type"), Some("application/json"));
        assert_eq!(value("x-ratelimit-remaining-requests"), Some("1"));
        assert_eq!(value("x-ratelimit-limit-requests"), Some("10000"));
        assert_eq!(value("openai-version"), Some(OPENAI_VERSION));
        assert_eq!(value("x-request-id"), Some("req_abc"));
        assert_eq!(value("openai-processing-ms"), Some("7"));
        let cookies: Vec<_> = headers.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        // content-type, two cookies, the seven constant names (one of them the answer's own
        // value), the request id and the processing time.
        assert_eq!(headers.len(), 1 + 2 + 7 + 2);
    }
}
