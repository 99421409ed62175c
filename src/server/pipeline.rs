//! The request pipeline, one named step each:
//!
//! **builtin** (`/health`, `/`, `/openapi.*`, `/__mock/…`) → **route** (under `/v1/...`
//! and `/...`) → **authenticate** (the `Authorization` header, read once into
//! [`Credentials`]) → **read the body** → **validate** → **check** (what the endpoint
//! refuses beyond the schema) → **plan** (the scenario engine: rules, faults, limits,
//! latency) → **answer** (JSON, server-sent events or bytes, built by the operation's
//! [`Endpoint`]).
//!
//! Before any answer goes out, what is left of the request body is finished (read to
//! nothing within the limit, or the answer closes the connection: `super::body`), so answers
//! sent before the body is read (404, 405, 401, 413, `/__mock/…`) never break a keep-alive
//! connection.
//!
//! Each request ends in one [`Outcome`], which the log line and the request log share.
//! Every answer, errors included, carries the headers the SDKs read.

use super::auth::{Credentials, Keys};
use super::body::RequestBody;
use super::respond::{
    add_headers, add_standard_headers, error_response, failure_response, json_body, json_response,
    request_id,
};
use crate::catalog::{Catalog, Operation, RouteMatch};
use crate::endpoints::{self, Call, Endpoint, Options, Table};
use crate::error::ApiError;
use crate::generate::{self, fnv1a, with_id_source, Generator, IdStream, Rng};
use crate::scenario::{self, latency, Plan};
use crate::services::canonical_json;
use crate::services::sse::{typed_events, Event};
use crate::services::tokens::Encoding;
use crate::store::org::{KeyEntry, Sample, Tally};
use crate::store::{lifecycle, Found, Store};
use crate::validate::{self, ValidRequest};
use bytes::Bytes;
use poem::http::{header, Method, StatusCode};
use poem::{Body, Endpoint as PoemEndpoint, Request, Response};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Server settings the pipeline needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Accepted keys.
    pub keys: Keys,
    /// Seed mixed into every generated body.
    pub seed: u64,
    /// Where each request's ids come from (unique per request, unlike content).
    pub ids: Arc<IdStream>,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// How long reading and answering a request may take before a 408.
    pub request_timeout: Duration,
    /// Where the server listens, for `GET /`.
    pub info: Arc<super::ServerInfo>,
    /// The web dashboard at `/dashboard`: its sessions and sign-in state.
    pub dashboard: Arc<super::dashboard::Dashboard>,
    /// Rules, control headers, faults, rate limits and latency (see [`crate::scenario`]).
    pub scenarios: Arc<scenario::Engine>,
    /// Settings that change what endpoints answer.
    pub options: Options,
    /// Objects that persist.
    pub store: Arc<Store>,
}

/// The endpoint that answers every request.
#[derive(Clone)]
pub struct Pipeline {
    pub(super) catalog: Arc<Catalog>,
    pub(super) endpoints: Arc<Table>,
    pub(super) settings: Arc<Settings>,
}

/// How a request ended, for the log line and the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Outcome {
    /// Not yet decided (the request is being answered).
    #[default]
    Pending,
    /// An operational route outside the API (`/health`, `/__mock/…`, ...).
    Builtin,
    /// No operation has this method and path.
    NoRoute,
    /// The key is missing or not accepted.
    Unauthorized,
    /// The body is larger than `--max-body-bytes`.
    TooLarge,
    /// The request failed validation against the spec.
    Invalid,
    /// Schema-valid, but refused as the real endpoint would (an unknown model, ...).
    Refused,
    /// Valid and answered (by the endpoint, a rule or a fault).
    Answered,
    /// Not read and answered within the request timeout.
    TimedOut,
}

impl Outcome {
    /// The name the log line shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "",
            Outcome::Builtin => "builtin",
            Outcome::NoRoute => "no_route",
            Outcome::Unauthorized => "unauthorized",
            Outcome::TooLarge => "too_large",
            Outcome::Invalid => "invalid",
            Outcome::Refused => "refused",
            Outcome::Answered => "valid",
            Outcome::TimedOut => "timeout",
        }
    }
}

/// What the log needs to know about a request once it is answered.
#[derive(Default)]
struct Record {
    outcome: Outcome,
    operation: Option<String>,
    /// The operation's index in the catalog, once routed.
    index: Option<usize>,
    /// The organization key the request is attributed to, once authorized.
    key: Option<Arc<KeyEntry>>,
    /// The model asked for, once validated.
    model: Option<String>,
    /// What the answer used (tokens, images, ...).
    tally: Tally,
    /// What the scenario engine did, once the request got that far.
    scenario: Option<scenario::Trace>,
    /// The request body, once read (the log keeps its start).
    body: Bytes,
    /// For a WebSocket upgrade: where its socket learns the number of its log entry.
    socket: Option<Arc<std::sync::OnceLock<u64>>>,
}

impl Pipeline {
    /// A pipeline over `catalog`.
    pub fn new(catalog: Arc<Catalog>, settings: Settings) -> Pipeline {
        Pipeline {
            endpoints: Arc::new(Table::new(&catalog)),
            catalog,
            settings: Arc::new(settings),
        }
    }

    async fn answer(
        &self,
        req: Request,
        full_path: &str,
        body: &mut RequestBody,
        credentials: &Credentials,
        record: &mut Record,
    ) -> Result<Response, ApiError> {
        let method = req.method().clone();
        if let Some((answer, opened)) = self.socket(&req, credentials).await {
            record.outcome = match answer {
                Ok(_) => Outcome::Answered,
                Err(ref error) if error.status == 401 => Outcome::Unauthorized,
                Err(_) => Outcome::Refused,
            };
            record.operation = Some(opened.operation.to_string());
            record.scenario = Some(opened.trace());
            record.socket = answer.is_ok().then_some(opened.seq);
            return answer;
        }
        if super::dashboard::serves(full_path) {
            record.outcome = Outcome::Builtin;
            let sources = super::dashboard::Sources {
                scenarios: &self.settings.scenarios,
                store: &self.settings.store,
                keys: &self.settings.keys,
            };
            return Ok(self.settings.dashboard.answer(sources, &req, body).await);
        }
        if let Some(answer) = super::state_control::answer(
            &self.settings.store,
            &self.settings.scenarios,
            &method,
            full_path,
            req.uri().query(),
            body,
        )
        .await
        {
            record.outcome = Outcome::Builtin;
            return answer;
        }
        if let Some(response) = self.builtin(&method, full_path) {
            record.outcome = Outcome::Builtin;
            return Ok(response);
        }
        let (index, path_params) = self
            .route(&method, full_path, req.uri().query())
            .inspect_err(|_| record.outcome = Outcome::NoRoute)?;
        let op = &self.catalog.operations[index];
        let endpoint = self.endpoints.entry(index);
        record.operation = Some(op.id.clone());
        record.index = Some(index);
        record.key = self
            .settings
            .keys
            .authorize(
                self.settings.store.org(),
                credentials,
                op.admin,
                &op.method,
                &op.path,
            )
            .inspect_err(|_| record.outcome = Outcome::Unauthorized)?;
        let body = body
            .read()
            .await
            .inspect_err(|_| record.outcome = Outcome::TooLarge)?;
        record.body = body.clone();
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let query = req.uri().query();
        let mut request = validate::validate(
            &self.catalog,
            op,
            path_params,
            query,
            content_type,
            body.clone(),
        )
        .await
        .inspect_err(|_| record.outcome = Outcome::Invalid)?;
        request.origin = origin(&req);
        record.model = request
            .body
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_string);
        let namespace = namespace_of(credentials);
        let call = self.call(op, &request, None, namespace);
        (endpoint.check)(&call).inspect_err(|_| record.outcome = Outcome::Refused)?;
        record.outcome = Outcome::Answered;
        let mut ids = self.settings.ids.next_source();
        let org = self.settings.store.org();
        let limit = record.key.as_ref().and_then(|key| {
            let limits = org.limit_for(key, record.model.as_deref().unwrap_or(""))?;
            let bucket = if key.limits.rpm.is_some() || key.limits.tpm.is_some() {
                &key.id
            } else {
                &key.project_id
            };
            Some((
                &**bucket,
                scenario::limits::Limit {
                    rpm: limits.rpm,
                    tpm: limits.tpm,
                    burst: limits.burst,
                },
            ))
        });
        let plan = with_id_source(&mut ids, || {
            self.settings.scenarios.plan_limited(
                op,
                endpoint,
                &request,
                req.headers(),
                credentials.key.as_deref(),
                limit,
            )
        });
        if !plan.delay.is_zero() {
            tokio::time::sleep(plan.delay).await;
        }
        let mut response = match &plan.outcome {
            scenario::Outcome::Fail(failure) => failure_response(failure),
            _ => {
                let script = plan.scripted();
                let call = self.call(op, &request, script.as_ref(), namespace);
                with_id_source(&mut ids, || {
                    self.respond(endpoint, &call, &body, &plan, &mut record.tally)
                })
            }
        };
        add_headers(&mut response, &plan.headers);
        record.scenario = Some(plan.trace);
        Ok(response)
    }

    pub(super) fn call<'a>(
        &'a self,
        op: &'a Operation,
        request: &'a ValidRequest,
        script: Option<&'a scenario::Scripted>,
        namespace: &'a str,
    ) -> Call<'a> {
        Call {
            catalog: &self.catalog,
            op,
            request,
            script,
            options: self.settings.options,
            store: &self.settings.store,
            namespace,
            dispatch: Some(self),
        }
    }

    /// The operation at `path` (under the base path or not) and its path parameters, or the
    /// real API's 404 / 405.
    pub(super) fn route(
        &self,
        method: &Method,
        full_path: &str,
        query: Option<&str>,
    ) -> Result<(usize, Vec<(String, String)>), ApiError> {
        let base = self.catalog.base_path.as_str();
        let path = match full_path.strip_prefix(base) {
            Some(rest) if !base.is_empty() && (rest.is_empty() || rest.starts_with('/')) => rest,
            _ => full_path,
        };
        let shown_path = || match full_path.starts_with(base) {
            true => full_path.to_string(),
            false => format!("{base}{full_path}"),
        };
        match self.catalog.router.find(method.as_str(), path, query) {
            RouteMatch::Found(index, params) => Ok((index, params)),
            RouteMatch::MethodNotAllowed(allowed) => Err(ApiError::method_not_allowed(
                method.as_str(),
                &shown_path(),
                &allowed,
            )),
            RouteMatch::NotFound => Err(ApiError::unknown_route(method.as_str(), &shown_path())),
        }
    }

    /// `/health`, the server-info root, the spec, images the mock served, and `/__mock/…`:
    /// routes outside the API surface.
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
            .strip_prefix(endpoints::images::URL_PREFIX)
        {
            let image = endpoints::images::image_at(name)?;
            return Some(
                Response::builder()
                    .header(header::CONTENT_TYPE, image.content_type)
                    .body(Body::from_vec(image.bytes)),
            );
        }
        let body = match path {
            "/health" => json!({"status": "ok"}),
            "/" => super::info::root(&self.catalog, &self.settings.info),
            _ => return super::info::openapi(path, &self.settings.info),
        };
        Some(json_response(StatusCode::OK, &body))
    }

    /// The answer to a valid request the scenario engine lets through: the endpoint's (or a
    /// rule's) body, as JSON, a stream or bytes.
    fn respond(
        &self,
        endpoint: &Endpoint,
        call: &Call,
        raw_body: &Bytes,
        plan: &Plan,
        tally: &mut Tally,
    ) -> Response {
        if matches!(plan.outcome, scenario::Outcome::Normal) && !(endpoint.wants_stream)(call) {
            if let Some(bytes) = (endpoint.prebuilt)(call) {
                return Response::builder()
                    .status(StatusCode::from_u16(call.op.response.status).unwrap_or(StatusCode::OK))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from_bytes(bytes));
            }
        }
        let (mut generator, mut answer) = self.shaped(endpoint, call, raw_body, plan);
        let op = call.op;
        if let Some(answer) = &answer {
            *tally = Tally::of(&op.path, &call.request.body, answer);
        }
        let mut status = StatusCode::from_u16(op.response.status).unwrap_or(StatusCode::OK);
        let poll_after = match &answer {
            Some(answer) if endpoint.polled => self.poll_after_ms(call.namespace, answer),
            _ => None,
        };
        let wants_stream = (endpoint.wants_stream)(call);
        // A rule's whole body replaces the answer (and is streamed when asked to be).
        if let scenario::Outcome::Body {
            status: given,
            body,
        } = &plan.outcome
        {
            status = StatusCode::from_u16(*given).unwrap_or(StatusCode::OK);
            if !wants_stream {
                return json_response(status, body);
            }
            answer = Some(body.clone());
        }
        if wants_stream {
            let events = (endpoint.stream)(call, answer.as_ref()).unwrap_or_else(|| {
                typed_events(&generate::variant_events(&self.catalog, op, &mut generator))
            });
            return stream_response(endpoint, call, events, plan);
        }
        let mut response = self.body_response(endpoint, call, status, answer, &mut generator);
        if let Some(ms) = poll_after {
            response
                .headers_mut()
                .insert("openai-poll-after-ms", ms.into());
        }
        response
    }

    /// Milliseconds until the next lifecycle stage of the stored object `answer` shows.
    fn poll_after_ms(&self, namespace: &str, answer: &Value) -> Option<u64> {
        let kind = answer.get("object")?.as_str()?;
        let id = answer.get("id")?.as_str()?;
        match self.settings.store.get(namespace, kind, id) {
            Found::Live(object) => {
                let stages = lifecycle::stages(&object.extra);
                lifecycle::next_in_ms(&stages, lifecycle::now_ms())
            }
            _ => None,
        }
    }

    /// A non-streamed answer: JSON (or its rendering), nothing, or bytes.
    fn body_response(
        &self,
        endpoint: &Endpoint,
        call: &Call,
        status: StatusCode,
        answer: Option<Value>,
        generator: &mut Generator,
    ) -> Response {
        let declared = call.op.response.content_type.as_deref();
        if matches!(declared, None | Some("application/json")) {
            let answer = answer.as_ref().unwrap_or(&Value::Null);
            if let Some(rendered) = (endpoint.render)(call, answer) {
                return Response::builder()
                    .status(status)
                    .header(header::CONTENT_TYPE, rendered.content_type)
                    .body(Body::from_vec(rendered.body));
            }
        }
        match declared {
            None => Response::builder().status(status).body(Body::empty()),
            Some("application/json") => {
                json_response(status, answer.as_ref().unwrap_or(&Value::Null))
            }
            Some(_) => {
                let media = (endpoint.bytes)(call, &mut generator.rng);
                Response::builder()
                    .status(status)
                    .header(header::CONTENT_TYPE, media.content_type)
                    .body(Body::from_vec(media.bytes))
            }
        }
    }

    /// The endpoint's JSON answer (`None` for operations that answer with bytes), generated
    /// and shaped, and the generator that built it (for the rest of the answer).
    pub(super) fn shaped(
        &self,
        endpoint: &Endpoint,
        call: &Call,
        raw_body: &Bytes,
        plan: &Plan,
    ) -> (Generator<'_>, Option<Value>) {
        let mut generator = self.generator(endpoint, call, raw_body, plan);
        let op = call.op;
        let mut answer = match op.response.content_type.as_deref() {
            Some("application/json") | None => endpoint.start(&self.catalog, call, &mut generator),
            _ => None,
        };
        if let Some(answer) = answer.as_mut() {
            (endpoint.shape)(call, answer, &mut generator);
            self.settings.scenarios.remember_answer(plan, answer);
        } else if op.response.content_type.is_none() {
            // An answer without a body (a container's delete) still has its effect.
            (endpoint.shape)(call, &mut Value::Null, &mut generator);
        }
        (generator, answer)
    }

    /// The generator for one answer, seeded by `--seed` (or the plan's), the operation, the
    /// path and query, and the fields that decide the content (the raw body when the
    /// endpoint names none).
    fn generator<'a>(
        &'a self,
        endpoint: &Endpoint,
        call: &Call,
        raw_body: &Bytes,
        plan: &Plan,
    ) -> Generator<'a> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        // The fields that decide the content, or the whole body; the raw bytes only when the
        // body is not JSON (multipart files are part of what is said).
        let content_key = match (endpoint.content_fields, &call.request.body) {
            (Some(fields), body) => {
                Some(content_key(&call.request.body, fields)).filter(|_| body.is_object())
            }
            (None, body @ Value::Object(_)) => Some(canonical_json(body)),
            (None, _) => None,
        }
        .map(|mut key| {
            // Files of a multipart body count by content, not by their (random) boundary.
            for file in &call.request.files {
                let digest = fnv1a(&[&file.bytes]);
                key.push_str(&format!("\nfile {} {digest:x}", file.field));
            }
            key
        });
        let seed = fnv1a(&[
            &plan.seed.unwrap_or(self.settings.seed).to_le_bytes(),
            call.op.id.as_bytes(),
            request_key(call.request).as_bytes(),
            content_key.as_deref().map_or(raw_body, str::as_bytes),
        ]);
        Generator::new(
            &self.catalog.schemas,
            &self.catalog.fixtures,
            Rng::new(seed),
            now,
        )
    }
}

/// A streamed answer: `events` at once, or paced and disturbed as the plan says.
fn stream_response(
    endpoint: &Endpoint,
    call: &Call,
    mut events: Vec<Event>,
    plan: &Plan,
) -> Response {
    if let Some(tokens) = plan.stream.chunk_tokens {
        let model = call.request.body.get("model").and_then(Value::as_str);
        let encoding = Encoding::for_model(model.unwrap_or(""));
        events = latency::rechunk(events, tokens, encoding);
    }
    let body = if plan.stream.is_immediate() {
        Body::from_string(crate::services::sse::encode_all(&events))
    } else {
        Body::from_bytes_stream(latency::paced_events(
            endpoint.typed_stream_errors,
            &events,
            plan.stream,
        ))
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
}

/// The store namespace a request works in: its API key's (each key sees only the objects
/// created with it).
fn namespace_of(credentials: &Credentials) -> &str {
    credentials.key.as_deref().unwrap_or(NO_KEY)
}

/// The namespace of requests sent without a key (when the server accepts any).
pub(super) const NO_KEY: &str = "default";

/// The canonical JSON of the `fields` of a request `body` that are present: object keys are
/// sorted at every level, so a client's key order never changes what is said.
fn content_key(body: &Value, fields: &[&str]) -> String {
    let mut key = String::new();
    for field in fields {
        if let Some(value) = body.get(*field).filter(|v| !v.is_null()) {
            key.push_str(field);
            key.push('=');
            key.push_str(&canonical_json(value));
            key.push('\n');
        }
    }
    key
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

impl PoemEndpoint for Pipeline {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        let credentials = Credentials::from_headers(req.headers());
        let mut record = Record::default();
        let timeout = self.settings.request_timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut body = RequestBody::take(&mut req, self.settings.max_body_bytes);
        let answered = tokio::time::timeout_at(
            deadline,
            self.answer(req, &path, &mut body, &credentials, &mut record),
        )
        .await;
        let mut response = match answered {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => error_response(&error),
            Err(_) => {
                record.outcome = Outcome::TimedOut;
                error_response(
                    &ApiError::invalid_request(format!(
                        "Request timed out: it was not read and answered within {} seconds.",
                        timeout.as_secs()
                    ))
                    .with_status(408),
                )
            }
        };
        // Early answers (404, 401, 413, ...) leave the body unread: finish it first, so the
        // answer never breaks the connection.
        body.finish(&mut response, deadline).await;
        let elapsed = started.elapsed();
        let request_id = request_id(started);
        let status = response.status().as_u16();
        tracing::info!(
            target: "openai_mock::request",
            %method,
            %path,
            operation = record.operation.as_deref().unwrap_or("-"),
            status,
            ms = elapsed.as_secs_f64() * 1000.0,
            validation = record.outcome.as_str(),
            key = %credentials.masked(),
        );
        if let (Some(key), Some(index)) = (&record.key, record.index) {
            self.settings.store.org().account(&Sample {
                at_ms: scenario::log::unix_ms(),
                project_id: &key.project_id,
                key_id: &key.id,
                model: record.model.as_deref().unwrap_or(""),
                endpoint: &self.catalog.operations[index].path,
                status,
                latency_ms: elapsed.as_secs_f64() * 1000.0,
                tally: record.tally,
            });
        }
        if record.outcome != Outcome::Builtin {
            let (request, request_truncated) = scenario::log::Bodies::bounded(&record.body);
            let (response_body, response_truncated) = json_body(&mut response).await;
            let socket = record.socket.take();
            let seq = self.settings.scenarios.record(scenario::Received {
                socket: socket.as_ref().map(|_| Default::default()),
                key: credentials.key.as_deref().map(crate::error::mask_key),
                bodies: scenario::log::Bodies {
                    request,
                    request_truncated,
                    response: response_body,
                    response_truncated,
                },
                method,
                path,
                operation: record.operation.take(),
                status,
                request_id: request_id.clone(),
                trace: record.scenario.take(),
                elapsed,
            });
            if let Some(socket) = socket {
                let _ = socket.set(seq);
            }
        }
        add_standard_headers(&mut response, elapsed.as_millis(), request_id);
        Ok(response)
    }
}
