//! The OpenAI error envelope, in one place.
//!
//! Every error the mock sends has the real API's shape:
//! `{"error": {"message", "type", "param", "code"}}`. The constructors here carry the real
//! API's wording, so callers never spell a message twice.

use serde_json::json;

/// An error answer in the OpenAI envelope.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status} {kind}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Human-readable message.
    pub message: String,
    /// The envelope's `type`, e.g. `invalid_request_error`.
    pub kind: String,
    /// The offending parameter, written like the real API (`messages[0].role`).
    pub param: Option<String>,
    /// A machine-readable code, e.g. `invalid_value`.
    pub code: Option<String>,
}

impl ApiError {
    /// A 400 `invalid_request_error`.
    pub fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            message: message.into(),
            kind: "invalid_request_error".into(),
            param: None,
            code: None,
        }
    }

    /// Sets the `param` field.
    pub fn with_param(mut self, param: impl Into<String>) -> ApiError {
        let param = param.into();
        self.param = (!param.is_empty()).then_some(param);
        self
    }

    /// Sets the `code` field.
    pub fn with_code(mut self, code: impl Into<String>) -> ApiError {
        self.code = Some(code.into());
        self
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> ApiError {
        self.status = status;
        self
    }

    /// 404 for a path the API does not have: `Invalid URL (POST /v1/foo)`.
    pub fn unknown_route(method: &str, path: &str) -> ApiError {
        ApiError::invalid_request(format!("Invalid URL ({method} {path})")).with_status(404)
    }

    /// 405 for a known path called with the wrong method.
    pub fn method_not_allowed(method: &str, path: &str, allowed: &[String]) -> ApiError {
        ApiError::invalid_request(format!(
            "Invalid method for URL ({method} {path}); supported methods: {}",
            allowed.join(", ")
        ))
        .with_status(405)
    }

    /// 401 when no API key was sent.
    pub fn missing_api_key() -> ApiError {
        ApiError::invalid_request(
            "You didn't provide an API key. You need to provide your API key in an \
             Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or \
             as the password field (with blank username) if you're accessing the API from your \
             browser and are prompted for a username and password. You can obtain an API key \
             from https://platform.openai.com/account/api-keys.",
        )
        .with_status(401)
    }

    /// 401 for a key that is not accepted; the key is masked like the real API does.
    pub fn incorrect_api_key(key: &str) -> ApiError {
        ApiError::invalid_request(format!(
            "Incorrect API key provided: {}. You can find your API key at \
             https://platform.openai.com/account/api-keys.",
            mask_key(key)
        ))
        .with_status(401)
        .with_code("invalid_api_key")
    }

    /// 401 for a key past its expiry (the key masked like [`ApiError::incorrect_api_key`]).
    pub fn expired_api_key(key: &str) -> ApiError {
        ApiError::invalid_request(format!(
            "The API key provided has expired: {}. You can find your API key at \
             https://platform.openai.com/account/api-keys.",
            mask_key(key)
        ))
        .with_status(401)
        .with_code("invalid_api_key")
    }

    /// 401 for a key without the scope an operation needs (a restricted key, or an
    /// ordinary key on an admin operation), in the real API's words.
    pub fn missing_scopes(scope: &str) -> ApiError {
        ApiError::invalid_request(format!(
            "You have insufficient permissions for this operation. Missing scopes: {scope}. \
             Check that you have the correct role in your organization (Reader, Writer, \
             Owner) and project (Member, Owner), and if you're using a restricted API key, \
             that it has the necessary scopes."
        ))
        .with_status(401)
    }

    /// 400 for an argument the operation does not take.
    pub fn unrecognized_argument(name: &str) -> ApiError {
        ApiError::invalid_request(format!("Unrecognized request argument supplied: {name}"))
    }

    /// 400 for a required argument that is absent.
    pub fn missing_parameter(param: &str) -> ApiError {
        ApiError::invalid_request(format!("Missing required parameter: '{param}'."))
            .with_param(param)
            .with_code("missing_required_parameter")
    }

    /// 413 for a body over the configured limit.
    pub fn body_too_large(limit: usize) -> ApiError {
        ApiError::invalid_request(format!(
            "Request body too large: the limit is {limit} bytes."
        ))
        .with_status(413)
    }

    /// The JSON body of the envelope.
    pub fn body(&self) -> serde_json::Value {
        json!({
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        })
    }

    /// The envelope serialised, the same JSON as [`ApiError::body`] without building a
    /// `Value` first (the path every error answer takes).
    ///
    /// ```
    /// let error = openai_mock::error::ApiError::invalid_request("No.").with_param("model");
    /// let bytes = error.body_bytes();
    /// assert_eq!(serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(), error.body());
    /// ```
    pub fn body_bytes(&self) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct Envelope<'a> {
            error: Fields<'a>,
        }
        #[derive(serde::Serialize)]
        struct Fields<'a> {
            message: &'a str,
            #[serde(rename = "type")]
            kind: &'a str,
            param: Option<&'a str>,
            code: Option<&'a str>,
        }
        serde_json::to_vec(&Envelope {
            error: Fields {
                message: &self.message,
                kind: &self.kind,
                param: self.param.as_deref(),
                code: self.code.as_deref(),
            },
        })
        .unwrap_or_default()
    }
}

/// Masks an API key the way the real API echoes it: `sk-ab****yz`.
///
/// ```
/// assert_eq!(openai_mock::error::mask_key("sk-abcdefghyz"), "sk-ab******yz");
/// assert_eq!(openai_mock::error::mask_key("abc"), "***");
/// ```
pub fn mask_key(key: &str) -> String {
    let count = key.chars().count();
    if count <= 8 {
        return "*".repeat(count);
    }
    let byte_at = |n: usize| key.char_indices().nth(n).map_or(key.len(), |(i, _)| i);
    let (head_end, tail_start) = (byte_at(5), byte_at(count - 2));
    let mut masked = String::with_capacity(key.len());
    masked.push_str(&key[..head_end]);
    masked.extend(std::iter::repeat_n('*', count - 7));
    masked.push_str(&key[tail_start..]);
    masked
}
