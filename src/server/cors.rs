//! CORS for browser clients: on and permissive by default, restrictable by origin.
//!
//! - A request without `Origin` is not a CORS request and passes through untouched.
//! - An allowed origin (any origin when no list is configured) is echoed back in
//!   `access-control-allow-origin` with `vary: origin`, and every response header is exposed
//!   so browser code can read `x-request-id` and the rate-limit headers.
//! - A preflight (`OPTIONS` with `access-control-request-method`) from an allowed origin gets a
//!   204 allowing the asked method and headers; from another origin, a 403 in the API's error
//!   envelope. Other requests from other origins are served without CORS headers, so the
//!   browser is the one that refuses them.
//!
//! With `--cors false` this layer is not installed at all.

use super::body::RequestBody;
use super::respond::json_response;
use crate::error::ApiError;
use poem::http::{header, HeaderValue, Method, StatusCode};
use poem::{Endpoint, Middleware, Request, Response};
use std::sync::Arc;
use tokio::time::Instant;

/// Methods a preflight may ask for.
const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

/// How long browsers may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "86400";

/// The CORS middleware.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    /// Allowed origins (`https://app.example`); empty, or containing `*`, allows any.
    origins: Arc<Vec<String>>,
}

impl Cors {
    /// CORS for `origins`; an empty list allows any origin.
    pub fn new(origins: Vec<String>) -> Cors {
        Cors {
            origins: Arc::new(
                origins
                    .into_iter()
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .collect(),
            ),
        }
    }

    fn allows(&self, origin: &str) -> bool {
        self.origins.is_empty() || self.origins.iter().any(|o| o == "*" || o == origin)
    }
}

impl<E: Endpoint<Output = Response>> Middleware<E> for Cors {
    type Output = CorsEndpoint<E>;

    fn transform(&self, inner: E) -> CorsEndpoint<E> {
        CorsEndpoint {
            inner,
            cors: self.clone(),
        }
    }
}

/// An endpoint wrapped by [`Cors`].
pub struct CorsEndpoint<E> {
    inner: E,
    cors: Cors,
}

impl<E: Endpoint<Output = Response>> Endpoint for CorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
            return self.inner.call(req).await;
        };
        let allowed = origin.to_str().is_ok_and(|o| self.cors.allows(o));
        let preflight = req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if preflight {
            let mut req = req;
            // A preflight has no body: should one come anyway, it is not read, and the
            // connection closes after the answer (see `super::body`).
            let body = RequestBody::take(&mut req, 0);
            let mut response = if allowed {
                preflight_response(&req, origin)
            } else {
                let shown = String::from_utf8_lossy(origin.as_bytes()).into_owned();
                let error = ApiError::invalid_request(format!(
                    "Origin {shown} is not allowed by this server's CORS settings (--cors-origin)."
                ))
                .with_status(403);
                json_response(StatusCode::FORBIDDEN, &error.body())
            };
            body.finish(&mut response, Instant::now()).await;
            return Ok(response);
        }
        let mut response = self.inner.call(req).await?;
        if allowed {
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("*"),
            );
            headers.append(header::VARY, HeaderValue::from_static("origin"));
        }
        Ok(response)
    }
}

/// The 204 answer to an allowed preflight.
fn preflight_response(req: &Request, origin: HeaderValue) -> Response {
    let asked_headers = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("*"));
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin)
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS)
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS, asked_headers)
        .header(header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE)
        .header(
            header::VARY,
            "origin, access-control-request-method, access-control-request-headers",
        )
        .finish()
}
