//! Bearer-key authentication, with the real API's 401 envelopes.
//!
//! A request's `Authorization` header is read once, into [`Credentials`]; the later steps
//! (the key check, rate limits, the log line) use that. By default any non-empty key is
//! accepted. `--api-key` restricts the keys accepted for ordinary operations and
//! `--admin-api-key` those for the operations the spec secures with `AdminApiKeyAuth`.

use crate::error::{mask_key, ApiError};
use crate::store::org::{now_secs, KeyEntry, KeyKind, KeyState, Org};
use poem::http::{header, HeaderMap};
use std::sync::Arc;

/// The keys the server accepts.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    /// Keys for ordinary operations; empty accepts any non-empty key.
    pub api_keys: Vec<String>,
    /// Keys for admin operations; empty accepts any non-empty key.
    pub admin_api_keys: Vec<String>,
}

/// What a request's `Authorization` header says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Credentials {
    /// The bearer key (`Authorization: Bearer <key>`), when one is given.
    pub key: Option<String>,
}

impl Credentials {
    /// Reads the `Authorization` header of a request.
    pub fn from_headers(headers: &HeaderMap) -> Credentials {
        let key = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|value| value.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, key)| key.trim())
            .filter(|key| !key.is_empty())
            .map(str::to_string);
        Credentials { key }
    }

    /// The key as it may be logged (`sk-ab****yz`), or `-` when there is none.
    pub fn masked(&self) -> String {
        self.key.as_deref().map_or_else(|| "-".into(), mask_key)
    }
}

/// The scope an operation needs (`api.model.request`, `api.files.write`) and its endpoint
/// group (the path's first segment: `chat`, `files`), for keys restricted to scopes.
pub fn scope_of(method: &str, path: &str) -> (String, String) {
    let group = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    let scope = match group.as_str() {
        "chat" | "completions" | "embeddings" | "moderations" | "images" | "audio" => {
            "api.model.request".to_string()
        }
        "models" => "api.model.read".to_string(),
        "organization" | "projects" if method == "GET" => "api.management.read".to_string(),
        "organization" | "projects" => "api.management.write".to_string(),
        _ if method == "GET" => format!("api.{group}.read"),
        _ => format!("api.{group}.write"),
    };
    (scope, group)
}

impl Keys {
    /// Checks a request's key for an operation (`admin`: secured by the admin key; `method`
    /// and `path`, the operation's, for scopes) against the organization's keys and the
    /// configured ones:
    ///
    /// - a revoked or suspended key is refused (401 `invalid_api_key`), an expired one with
    ///   a message saying so, in every mode;
    /// - an admin operation needs an admin key (configured, or created through the API)
    ///   once one is configured, and any key otherwise;
    /// - an ordinary operation accepts the organization's project and service-account keys,
    ///   and the configured keys (any key when none is configured); a key restricted to
    ///   scopes gets the real API's "Missing scopes" 401 outside them;
    /// - an accepted key the organization does not know yet is registered in the default
    ///   project (once), so its traffic is accounted.
    ///
    /// The key's entry, when the request is attributed to one.
    pub fn authorize(
        &self,
        org: Org,
        credentials: &Credentials,
        admin: bool,
        method: &str,
        path: &str,
    ) -> Result<Option<Arc<KeyEntry>>, ApiError> {
        let key = credentials
            .key
            .as_deref()
            .ok_or_else(ApiError::missing_api_key)?;
        let configured = |list: &[String]| list.is_empty() || list.iter().any(|k| k == key);
        let Some(entry) = org.find_key(key) else {
            if admin {
                return match configured(&self.admin_api_keys) {
                    true => Ok(None),
                    false => Err(ApiError::incorrect_api_key(key)),
                };
            }
            if !configured(&self.api_keys) {
                return Err(ApiError::incorrect_api_key(key));
            }
            let entry = org.register_seen(key);
            if let Some(entry) = &entry {
                entry.touch(now_secs());
            }
            return Ok(entry);
        };
        let now = now_secs();
        match entry.state_at(now) {
            KeyState::Active => {}
            KeyState::Expired => return Err(ApiError::expired_api_key(key)),
            KeyState::Suspended | KeyState::Revoked => {
                return Err(ApiError::incorrect_api_key(key))
            }
        }
        let accepted = match (admin, entry.kind) {
            (true, KeyKind::Admin) => true,
            (true, _) if configured(&self.admin_api_keys) => true,
            (true, _) => return Err(ApiError::missing_scopes(&scope_of(method, path).0)),
            (false, _) => !entry.seen || configured(&self.api_keys),
        };
        if !accepted {
            return Err(ApiError::incorrect_api_key(key));
        }
        if !entry.scopes.is_empty() {
            let (scope, group) = scope_of(method, path);
            if !entry.allows(&scope, &group) {
                return Err(ApiError::missing_scopes(&scope));
            }
        }
        entry.touch(now);
        Ok(Some(entry))
    }

    /// Checks the credentials of a request for an operation (`admin`: secured by the
    /// admin key).
    pub fn check(&self, credentials: &Credentials, admin: bool) -> Result<(), ApiError> {
        let key = credentials
            .key
            .as_deref()
            .ok_or_else(ApiError::missing_api_key)?;
        let accepted = if admin {
            &self.admin_api_keys
        } else {
            &self.api_keys
        };
        if accepted.is_empty() || accepted.iter().any(|k| k == key) {
            Ok(())
        } else {
            Err(ApiError::incorrect_api_key(key))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(authorization: Option<&str>) -> Credentials {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        }
        Credentials::from_headers(&headers)
    }

    #[test]
    fn any_non_empty_key_is_accepted_by_default() {
        let keys = Keys::default();
        assert!(keys
            .check(&credentials(Some("Bearer My API Key")), false)
            .is_ok());
        assert_eq!(
            keys.check(&credentials(None), false).unwrap_err().status,
            401
        );
        assert_eq!(
            keys.check(&credentials(Some("Bearer ")), false)
                .unwrap_err()
                .code,
            None
        );
    }

    #[test]
    fn restricted_keys_reject_others_with_a_masked_key() {
        let keys = Keys {
            api_keys: vec!["sk-good".into()],
            admin_api_keys: vec!["sk-admin".into()],
        };
        assert!(keys
            .check(&credentials(Some("Bearer sk-good")), false)
            .is_ok());
        assert!(keys
            .check(&credentials(Some("Bearer sk-good")), true)
            .is_err());
        let error = keys
            .check(&credentials(Some("Bearer sk-abcdefghyz")), false)
            .unwrap_err();
        assert_eq!(error.code.as_deref(), Some("invalid_api_key"));
        assert!(error.message.contains("sk-ab******yz"));
    }

    #[test]
    fn the_header_is_read_once_into_a_bearer_key() {
        assert_eq!(
            credentials(Some("bearer  sk-x ")).key.as_deref(),
            Some("sk-x")
        );
        assert_eq!(credentials(Some("Basic abc")).key, None);
        assert_eq!(
            credentials(Some("Bearer sk-abcdefghyz")).masked(),
            "sk-ab******yz"
        );
        assert_eq!(credentials(None).masked(), "-");
    }
}
