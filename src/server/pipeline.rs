//! The request pipeline: route → authenticate → validate → generate → respond.
//!
//! One [`Pipeline`] serves every operation of the catalog. Each request is matched against
//! the compiled routes (under both `/v1/...` and `/...`), its key checked, its parameters
//! and body validated, and the answer built as JSON, server-sent events or bytes. Every
//! answer, errors included, carries the headers the SDKs read.

use super::auth::Keys;
use crate::behave;
use crate::catalog::{Catalog, Operation, RouteMatch};
use crate::error::ApiError;
use crate::generate::{self, fnv1a, media, Generator, Rng};
use crate::scenario::{self, latency, Failure, Plan};
use crate::stream;
use crate::validate::{self, ValidRequest};
use bytes::Bytes;
use poem::http::{header, HeaderValue, Method, StatusCode};
use poem::{Body, Endpoint, Request, Response};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The version string the real API sends in `openai-version`.
pub const OPENAI_VERSION: &str = "2020-10-01";

/// Server settings the pipeline needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Accepted keys.
    pub keys: Keys,
    /// Seed mixed into every generated body.
    pub seed: u64,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// How long reading and answering a request may take before a 408.
    pub request_timeout: Duration,
    /// Where the server listens, for `GET /`.
    pub info: Arc<super::ServerInfo>,
    /// Rules, control headers, faults, rate limits and latency (see [`crate::scenario`]).
    pub scenarios: Arc<scenario::Engine>,
    /// Answer base64 embedding requests with float arrays (`--float-embeddings`).
    pub float_embeddings: bool,
}

/// The endpoint that answers every request.
#[derive(Clone)]
pub struct Pipeline {
    catalog: Arc<Catalog>,
    settings: Arc<Settings>,
}

/// What happened to a request, for the log line.
struct Outcome {
    operation: Option<String>,
    validation: &'static str,
    /// What the scenario engine did, once the request got that far.
    scenario: Option<scenario::Trace>,
}

impl Pipeline {
    /// A pipeline over `catalog`.
    pub fn new(catalog: Arc<Catalog>, settings: Settings) -> Pipeline {
        Pipeline {
            catalog,
            settings: Arc::new(settings),
        }
    }

    async fn answer(&self, mut req: Request, outcome: &mut Outcome) -> Result<Response, ApiError> {
        let method = req.method().clone();
        let full_path = req.uri().path().to_string();
        if let Some(response) = self.builtin(&method, &full_path) {
            outcome.validation = "builtin";
            return Ok(response);
        }
        let base = self.catalog.base_path.as_str();
        let path = match full_path.strip_prefix(base) {
            Some(rest) if !base.is_empty() && (rest.is_empty() || rest.starts_with('/')) => rest,
            _ => full_path.as_str(),
        };
        let shown_path = if full_path.starts_with(base) {
            full_path.clone()
        } else {
            format!("{base}{full_path}")
        };
        let (index, path_params) = match self.catalog.router.find(method.as_str(), path) {
            RouteMatch::Found(index, params) => (index, params),
            RouteMatch::MethodNotAllowed(allowed) => {
                outcome.validation = "no_route";
                return Err(ApiError::method_not_allowed(
                    method.as_str(),
                    &shown_path,
                    &allowed,
                ));
            }
            RouteMatch::NotFound => {
                outcome.validation = "no_route";
                return Err(ApiError::unknown_route(method.as_str(), &shown_path));
            }
        };
        let op = &self.catalog.operations[index];
        outcome.operation = Some(op.id.clone());
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        self.settings
            .keys
            .check(authorization, op.admin)
            .inspect_err(|_| {
                outcome.validation = "unauthorized";
            })?;
        let limit = self.settings.max_body_bytes;
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared_length.is_some_and(|len| len > limit) {
            outcome.validation = "too_large";
            return Err(ApiError::body_too_large(limit));
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let query = req.uri().query().map(str::to_string);
        let body = req
            .take_body()
            .into_bytes_limit(limit)
            .await
            .map_err(|e| match e {
                poem::error::ReadBodyError::PayloadTooLarge => ApiError::body_too_large(limit),
                other => {
                    ApiError::invalid_request(format!("Could not read the request body: {other}"))
                }
            })?;
        let request = validate::validate(
            &self.catalog,
            op,
            path_params,
            query.as_deref(),
            content_type.as_deref(),
            body.clone(),
        )
        .await
        .inspect_err(|_| outcome.validation = "invalid")?;
        let mut request = request;
        request.origin = origin(&req);
        behave::check(&self.catalog, op, &request)
            .inspect_err(|_| outcome.validation = "refused")?;
        outcome.validation = "valid";
        let api_key = authorization_key(&req);
        let plan = (self.settings.scenarios).plan(op, &request, req.headers(), api_key.as_deref());
        request.scripted = plan.scripted();
        outcome.scenario = Some(plan.trace.clone());
        if !plan.delay.is_zero() {
            tokio::time::sleep(plan.delay).await;
        }
        let mut response = match &plan.outcome {
            scenario::Outcome::Fail(failure) => failure_response(failure),
            _ => self.respond(op, &request, &body, &plan),
        };
        add_headers(&mut response, &plan.headers);
        Ok(response)
    }

    /// `/health` and the server-info root, outside the API surface.
    fn builtin(&self, method: &Method, path: &str) -> Option<Response> {
        if let Some((status, body)) = self.settings.scenarios.admin(method.as_str(), path) {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            return Some(json_response(status, &body));
        }
        if method != Method::GET {
            return None;
        }
        if let Some(name) = path
            .strip_prefix(self.catalog.base_path.as_str())
            .unwrap_or(path)
            .strip_prefix(behave::images::URL_PREFIX)
        {
            let image = behave::images::image_at(name)?;
            return Some(
                Response::builder()
                    .header(header::CONTENT_TYPE, image.content_type)
                    .body(Body::from_vec(image.bytes)),
            );
        }
        let body = match path {
            "/health" => json!({"status": "ok"}),
            "/" => super::info::root(&self.catalog, &self.settings.info),
            _ => return super::info::openapi(path),
        };
        Some(json_response(StatusCode::OK, &body))
    }

    fn respond(
        &self,
        op: &Operation,
        request: &ValidRequest,
        raw_body: &Bytes,
        plan: &Plan,
    ) -> Response {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        // Text-generating endpoints are seeded by the fields that decide their content, so
        // `stream`, `stop` or `max_tokens` change how the answer is delivered, not what it is.
        let content_key = behave::content_key(op, request);
        let seed = fnv1a(&[
            &plan.seed.unwrap_or(self.settings.seed).to_le_bytes(),
            op.id.as_bytes(),
            request_key(request).as_bytes(),
            content_key.as_deref().map_or(raw_body, str::as_bytes),
        ]);
        let mut generator = Generator::new(
            &self.catalog.schemas,
            &self.catalog.fixtures,
            Rng::new(seed),
            now,
        );
        let mut status = StatusCode::from_u16(op.response.status).unwrap_or(StatusCode::OK);
        let mut answer = match op.response.content_type.as_deref() {
            Some("application/json") | None => {
                generate::json_response(&self.catalog, op, request, &mut generator)
            }
            _ => None,
        };
        if let Some(answer) = answer.as_mut() {
            behave::shape(&self.catalog, op, request, answer, &mut generator);
            self.settings.scenarios.remember_answer(plan, answer);
            if self.settings.float_embeddings && op.id == "createEmbedding" {
                behave::embeddings::as_floats(answer);
            }
        }
        // A rule's whole body replaces the answer (and is streamed when asked to be).
        if let scenario::Outcome::Body {
            status: given,
            body,
        } = &plan.outcome
        {
            status = StatusCode::from_u16(*given).unwrap_or(StatusCode::OK);
            if !stream::is_requested(op, request) {
                return json_response(status, body);
            }
            answer = Some(body.clone());
        }
        if stream::is_requested(op, request) {
            let mut events =
                stream::events(&self.catalog, op, request, answer.as_ref(), &mut generator);
            if let Some(tokens) = plan.stream.chunk_tokens {
                let model = request.body.get("model").and_then(Value::as_str);
                let encoding = behave::tokens::Encoding::for_model(model.unwrap_or(""));
                events = latency::rechunk(events, tokens, encoding);
            }
            let body = if plan.stream.is_immediate() {
                Body::from_string(events.iter().map(stream::Event::encode).collect())
            } else {
                Body::from_bytes_stream(latency::paced_events(&op.id, &events, plan.stream))
            };
            return Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .header(header::CACHE_CONTROL, "no-cache")
                .body(body);
        }
        match op.response.content_type.as_deref() {
            None => Response::builder().status(status).body(Body::empty()),
            Some("application/json") => {
                let answer = answer.as_ref().unwrap_or(&Value::Null);
                match behave::text_body(op, request, answer) {
                    Some(text) => Response::builder()
                        .status(status)
                        .header(header::CONTENT_TYPE, text.content_type)
                        .body(Body::from_string(text.text)),
                    None => json_response(status, answer),
                }
            }
            Some("application/sdp") => Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, "application/sdp")
                .body(Body::from_string(sdp_answer(&mut generator.rng))),
            Some(media_type) => {
                let media = if op.id == "createSpeech" {
                    behave::audio::speech(request)
                } else {
                    let wanted = request.query.get("variant").and_then(Value::as_str);
                    let chosen = match wanted {
                        Some("thumbnail") => op
                            .response
                            .content_types
                            .iter()
                            .find(|t| t.starts_with("image/"))
                            .map_or(media_type, String::as_str),
                        _ => media_type,
                    };
                    media::for_media_type(chosen)
                };
                Response::builder()
                    .status(status)
                    .header(header::CONTENT_TYPE, media.content_type)
                    .body(Body::from_vec(media.bytes))
            }
        }
    }
}

/// The parts of a request that identify it for deterministic generation.
fn request_key(request: &ValidRequest) -> String {
    let path: Vec<&str> = request.path.iter().map(|(_, v)| v.as_str()).collect();
    format!("{}?{}", path.join("/"), request.query)
}

/// `scheme://authority` the client addressed (the URI's authority under HTTP/2, else the
/// `Host` header).
fn origin(req: &Request) -> Option<String> {
    let authority = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })?;
    Some(format!("{}://{authority}", req.scheme()))
}

/// A minimal SDP answer for WebRTC call creation.
fn sdp_answer(rng: &mut Rng) -> String {
    let session = rng.next_u64() % 1_000_000_000;
    format!(
        "v=0\r\no=- {session} 2 IN IP4 127.0.0.1\r\ns=openai-mock\r\nt=0 0\r\n\
         a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n\
         a=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n"
    )
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_vec(serde_json::to_vec(body).unwrap_or_default()))
}

/// The bearer key of a request, for rate limits.
fn authorization_key(req: &Request) -> Option<String> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, key) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| key.trim().to_string())
}

/// Adds `headers` to `response`, replacing same-named ones.
fn add_headers(response: &mut Response, headers: &[(String, String)]) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
}

/// The answer for a simulated failure: an error envelope with its headers, or a body that
/// breaks off at once so the client sees the connection drop.
fn failure_response(failure: &Failure) -> Response {
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

fn error_response(error: &ApiError) -> Response {
    json_response(
        StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST),
        &error.body(),
    )
}

impl Endpoint for Pipeline {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        let key = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .map_or_else(
                || "-".to_string(),
                |(_, key)| crate::error::mask_key(key.trim()),
            );
        let mut outcome = Outcome {
            operation: None,
            validation: "",
            scenario: None,
        };
        let timeout = self.settings.request_timeout;
        let answered = tokio::time::timeout(timeout, self.answer(req, &mut outcome)).await;
        let mut response = match answered {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => error_response(&error),
            Err(_) => {
                outcome.validation = "timeout";
                error_response(
                    &ApiError::invalid_request(format!(
                        "Request timed out: it was not read and answered within {} seconds.",
                        timeout.as_secs()
                    ))
                    .with_status(408),
                )
            }
        };
        let elapsed = started.elapsed();
        add_standard_headers(&mut response, elapsed.as_millis(), seed_request_id(started));
        if outcome.validation != "builtin" {
            let request_id = response
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            self.settings.scenarios.record(
                &method,
                &path,
                outcome.operation.as_deref(),
                response.status().as_u16(),
                request_id,
                outcome.scenario.as_ref(),
                elapsed,
            );
        }
        tracing::info!(
            target: "openai_mock::request",
            %method,
            %path,
            operation = outcome.operation.as_deref().unwrap_or("-"),
            status = response.status().as_u16(),
            ms = elapsed.as_secs_f64() * 1000.0,
            validation = outcome.validation,
            %key,
        );
        Ok(response)
    }
}

fn seed_request_id(started: Instant) -> u64 {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    fnv1a(&[&n.to_le_bytes(), format!("{started:?}").as_bytes()])
}

/// The headers every answer carries: `x-request-id`, `openai-processing-ms`,
/// `openai-version` and `x-ratelimit-*` (plausible values, unless a configured rate limit
/// already set real ones).
fn add_standard_headers(response: &mut Response, elapsed_ms: u128, id_seed: u64) {
    let request_id = format!("req_{}", Rng::new(id_seed).hex(32));
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
