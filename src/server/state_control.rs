//! The store's `/__mock/` control endpoints:
//!
//! - `POST /__mock/reset` empties the store and starts the scenario engine over (request
//!   log, sequences, rate-limit buckets); `POST /__mock/reset?namespace=KEY` empties only
//!   that API key's objects.
//! - `GET /__mock/state` exports the store as JSON (`?namespace=KEY` for one namespace).
//! - `PUT /__mock/state` imports such a document, replacing everything stored.
//! - `/__mock/keys` controls the organization's keys (`super::key_control`).

use super::body::RequestBody;
use super::respond::json_response;
use crate::error::ApiError;
use crate::scenario::Engine;
use crate::store::{Snapshot, Store};
use poem::http::{Method, StatusCode};
use poem::Response;
use serde_json::json;

/// The answer for a store control path, or `None` for any other path.
pub async fn answer(
    store: &Store,
    scenarios: &Engine,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &mut RequestBody,
) -> Option<Result<Response, ApiError>> {
    if let Some(answer) = super::key_control::answer(store, method, path, body).await {
        return Some(answer);
    }
    let namespace = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(name, _)| name == "namespace")
            .map(|(_, value)| value.into_owned())
    });
    let answer = match (method.as_str(), path) {
        ("POST", "/__mock/reset") => {
            match &namespace {
                Some(name) => store.reset(Some(name)),
                None => {
                    store.reset(None);
                    scenarios.reset();
                }
            }
            Ok(json_response(
                StatusCode::OK,
                &json!({"reset": true, "namespace": namespace}),
            ))
        }
        ("GET", "/__mock/state") => {
            let mut snapshot = store.export();
            if let Some(name) = &namespace {
                snapshot.namespaces.retain(|key, _| key == name);
            }
            Ok(json_response(StatusCode::OK, &json!(snapshot)))
        }
        ("PUT", "/__mock/state") => import(store, body).await,
        _ => return None,
    };
    Some(answer)
}

async fn import(store: &Store, body: &mut RequestBody) -> Result<Response, ApiError> {
    let bytes = body.read().await?;
    let snapshot: Snapshot = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::invalid_request(format!(
            "The state document is not valid: {e}. Send what GET /__mock/state returns."
        ))
    })?;
    let namespaces = snapshot.namespaces.len();
    let objects: usize = snapshot.namespaces.values().map(|n| n.objects.len()).sum();
    store.import(snapshot)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"imported": true, "namespaces": namespaces, "objects": objects}),
    ))
}
