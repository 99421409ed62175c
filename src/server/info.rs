//! The operational routes outside the API surface: `GET /` (server info), `GET /health` and
//! the pinned spec at `GET /openapi.yaml` and `GET /openapi.json`.
//!
//! The spec is embedded as written in `spec/openapi.yml`; the JSON form is converted from it on
//! first request and cached. The spec date is the upstream sync date recorded in
//! `spec/SOURCE.md`.

use crate::catalog::{Catalog, SpecFile};
use poem::http::{header, StatusCode};
use poem::{Body, Response};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// The pinned spec, as served at `/openapi.yaml`.
pub const OPENAPI_YAML: &str = include_str!("../../spec/openapi.yml");

/// The provenance notes of the pinned spec.
const SPEC_SOURCE: &str = include_str!("../../spec/SOURCE.md");

/// Where the server listens and what it serves, for `GET /` and `/openapi.*`.
#[derive(Debug, Clone, Default)]
pub struct ServerInfo {
    /// The API base URLs, e.g. `http://127.0.0.1:4010/v1`, HTTP first.
    pub base_urls: Vec<String>,
    /// The certificate HTTPS clients can trust, when HTTPS is on.
    pub tls_cert: Option<PathBuf>,
    /// The document given with `--spec`, when not the embedded one.
    pub spec_file: Option<Arc<SpecFile>>,
}

/// The date (`YYYY-MM-DD`) the pinned spec was synced from upstream, if recorded.
pub fn spec_date() -> Option<&'static str> {
    SPEC_SOURCE
        .lines()
        .find(|line| line.starts_with("| Upstream last synced"))
        .and_then(|line| line.split('|').nth(2))
        .map(str::trim)
        .and_then(|stamp| stamp.get(..10))
        .filter(|date| {
            date.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            })
        })
}

/// The body of `GET /`.
pub fn root(catalog: &Catalog, info: &ServerInfo) -> Value {
    json!({
        "name": "openai-mock",
        "version": env!("CARGO_PKG_VERSION"),
        "spec": {
            "openapi": catalog.info.openapi,
            "version": catalog.info.version,
            "date": if info.spec_file.is_some() { None } else { spec_date() },
            "file": info.spec_file.as_ref().map(|spec| spec.path.display().to_string()),
            "url": "/openapi.yaml",
        },
        "operations": catalog.operations.len(),
        "base_paths": [catalog.base_path, "/"],
        "base_urls": info.base_urls,
        "tls_cert": info.tls_cert.as_ref().map(|p| p.display().to_string()),
    })
}

/// `GET /openapi.yaml` and `GET /openapi.json`; `None` for other paths.
pub fn openapi(path: &str, info: &ServerInfo) -> Option<Response> {
    if let Some(spec) = &info.spec_file {
        let (content_type, body) = match path {
            "/openapi.yaml" | "/openapi.yml" => ("application/yaml", spec.text.clone()),
            "/openapi.json" => ("application/json", spec.json.clone()),
            _ => return None,
        };
        return Some(
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from_bytes(body)),
        );
    }
    let (content_type, body) = match path {
        "/openapi.yaml" | "/openapi.yml" => (
            "application/yaml",
            Body::from_bytes(bytes::Bytes::from_static(OPENAPI_YAML.as_bytes())),
        ),
        "/openapi.json" => match openapi_json() {
            Some(json) => ("application/json", Body::from_bytes(json.clone())),
            None => {
                let error = crate::error::ApiError::invalid_request(
                    "The embedded spec could not be converted to JSON; use /openapi.yaml.",
                )
                .with_status(500);
                return Some(super::respond::json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &error.body(),
                ));
            }
        },
        _ => return None,
    };
    Some(
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, content_type)
            .body(body),
    )
}

/// The pinned spec as JSON, converted once.
fn openapi_json() -> Option<&'static bytes::Bytes> {
    static JSON: OnceLock<Option<bytes::Bytes>> = OnceLock::new();
    JSON.get_or_init(|| {
        let document: Value = serde_saphyr::from_str_with_options(
            OPENAPI_YAML,
            serde_saphyr::options! { strict_booleans: true },
        )
        .inspect_err(|e| tracing::error!(error = %e, "cannot convert the spec to JSON"))
        .ok()?;
        serde_json::to_vec(&document).ok().map(bytes::Bytes::from)
    })
    .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_date_is_read_from_the_provenance_notes() {
        let date = spec_date().expect("spec/SOURCE.md records the upstream sync date");
        assert_eq!(date.len(), 10);
        assert!(SPEC_SOURCE.contains(&format!("| {date}")), "{date}");
    }
}
