//! Bearer-key authentication, with the real API's 401 envelopes.
//!
//! By default any non-empty key is accepted. `--api-key` restricts the keys accepted for
//! ordinary operations and `--admin-api-key` those for the operations the spec secures with
//! `AdminApiKeyAuth`.

use crate::error::ApiError;

/// The keys the server accepts.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    /// Keys for ordinary operations; empty accepts any non-empty key.
    pub api_keys: Vec<String>,
    /// Keys for admin operations; empty accepts any non-empty key.
    pub admin_api_keys: Vec<String>,
}

impl Keys {
    /// Checks the `Authorization` header of a request for an operation.
    pub fn check(&self, authorization: Option<&str>, admin: bool) -> Result<(), ApiError> {
        let key = authorization
            .map(str::trim)
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|key| !key.is_empty())
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

    #[test]
    fn any_non_empty_key_is_accepted_by_default() {
        let keys = Keys::default();
        assert!(keys.check(Some("Bearer My API Key"), false).is_ok());
        assert_eq!(keys.check(None, false).unwrap_err().status, 401);
        assert_eq!(keys.check(Some("Bearer "), false).unwrap_err().code, None);
    }

    #[test]
    fn restricted_keys_reject_others_with_a_masked_key() {
        let keys = Keys {
            api_keys: vec!["sk-good".into()],
            admin_api_keys: vec!["sk-admin".into()],
        };
        assert!(keys.check(Some("Bearer sk-good"), false).is_ok());
        assert!(keys.check(Some("Bearer sk-good"), true).is_err());
        let error = keys.check(Some("Bearer sk-abcdefghyz"), false).unwrap_err();
        assert_eq!(error.code.as_deref(), Some("invalid_api_key"));
        assert!(error.message.contains("sk-ab******yz"));
    }
}
