//! The mock-only key controls under `/__mock/keys`, for what the real admin API lacks:
//!
//! - `GET /__mock/keys` lists every key (project, service-account and admin keys) with its
//!   state, limits, last use and usage;
//! - `POST /__mock/keys` creates a project key from `name`, `project_id`,
//!   `expires_in_seconds`, `rpm`, `tpm`, `burst` and `scopes`, and answers with its secret
//!   (`key`), shown this once;
//! - `POST /__mock/keys/{id}/suspend` and `/resume` change its state;
//! - `DELETE /__mock/keys/{id}` revokes it.

use super::body::RequestBody;
use super::respond::json_response;
use crate::error::ApiError;
use crate::store::org::KeySpec;
use crate::store::Store;
use poem::http::{Method, StatusCode};
use poem::Response;
use serde_json::{json, Value};

/// The answer for a `/__mock/keys` path, or `None` for any other path.
pub async fn answer(
    store: &Store,
    method: &Method,
    path: &str,
    body: &mut RequestBody,
) -> Option<Result<Response, ApiError>> {
    let rest = path.strip_prefix("/__mock/keys")?;
    let org = store.org();
    let found = |info: Option<crate::store::org::KeyInfo>, id: &str| match info {
        Some(info) => Ok(json_response(StatusCode::OK, &json!(info))),
        None => Err(crate::store::not_found("API key", id)),
    };
    let answer = match (method.as_str(), rest.trim_end_matches('/')) {
        ("GET", "") => Ok(json_response(
            StatusCode::OK,
            &json!({"object": "list", "data": org.list_keys()}),
        )),
        ("POST", "") => create(store, body).await,
        (m, id) => {
            let id = id.trim_start_matches('/');
            match (m, id.split_once('/')) {
                ("POST", Some((id, "suspend"))) => found(org.suspend_key(id), id),
                ("POST", Some((id, "resume"))) => found(org.resume_key(id), id),
                ("GET", None) if !id.is_empty() => found(org.key(id), id),
                ("DELETE", None) if !id.is_empty() => found(org.revoke_key(id), id),
                _ => return None,
            }
        }
    };
    Some(answer)
}

async fn create(store: &Store, body: &mut RequestBody) -> Result<Response, ApiError> {
    let bytes = body.read().await?;
    let spec: KeySpec = if bytes.is_empty() {
        KeySpec::default()
    } else {
        serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::invalid_request(format!(
                "The key is not valid: {e}. Send name, project_id, expires_in_seconds, rpm, \
                 tpm, burst and scopes."
            ))
        })?
    };
    let created = store.org().create_key(&spec)?;
    let mut answer = json!(created.info);
    if let Some(map) = answer.as_object_mut() {
        map.insert("key".into(), Value::from(created.secret));
    }
    Ok(json_response(StatusCode::OK, &answer))
}
