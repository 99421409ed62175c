//! Simulated failures: named error presets, the global error rate and its mix.
//!
//! A preset is a named failure with the real API's status, `type`, `code` and wording. The
//! same names are used by `x-mock-error`, by `error:` in rules and by `--error-mix`:
//!
//! | preset | status | type | code | extra headers |
//! |---|---|---|---|---|
//! | `invalid_request` | 400 | `invalid_request_error` | — | |
//! | `invalid_api_key` | 401 | `invalid_request_error` | `invalid_api_key` | |
//! | `permission_denied` | 403 | `invalid_request_error` | — | |
//! | `not_found` | 404 | `invalid_request_error` | — | |
//! | `conflict` | 409 | `invalid_request_error` | — | |
//! | `unprocessable_entity` | 422 | `invalid_request_error` | — | |
//! | `rate_limit_exceeded` | 429 | `requests` | `rate_limit_exceeded` | `retry-after: 1`, `retry-after-ms: 1000` |
//! | `insufficient_quota` | 429 | `insufficient_quota` | `insufficient_quota` | |
//! | `server_error` | 500 | `server_error` | — | |
//! | `overloaded` | 503 | `server_error` | — | |
//! | `connection_reset` | — | the connection is dropped without an answer | | |
//!
//! A bare status picks the preset with that status; other 4xx statuses are
//! `invalid_request_error`s and other 5xx statuses `server_error`s.

use crate::config::parse_mix_item;
use crate::error::ApiError;
use crate::generate::Rng;

/// A failure to send instead of the answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// An error answer with extra headers.
    Error(SimulatedError),
    /// Drop the connection without a complete answer.
    ConnectionReset,
}

/// An error answer and the headers that go with it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedError {
    /// The envelope and status.
    pub error: ApiError,
    /// Extra response headers (`retry-after`, ...).
    pub headers: Vec<(String, String)>,
}

/// The failure a preset names, or `None` for an unknown name.
///
/// ```
/// use openai_mock::scenario::faults::{preset, Failure};
/// let Some(Failure::Error(e)) = preset("rate_limit_exceeded") else { panic!() };
/// assert_eq!((e.error.status, e.error.code.as_deref()), (429, Some("rate_limit_exceeded")));
/// assert_eq!(preset("connection_reset"), Some(Failure::ConnectionReset));
/// ```
pub fn preset(name: &str) -> Option<Failure> {
    let error = |status: u16, kind: &str, code: Option<&str>, message: &str| {
        Failure::Error(SimulatedError {
            error: ApiError {
                status,
                message: message.to_string(),
                kind: kind.to_string(),
                param: None,
                code: code.map(str::to_string),
            },
            headers: Vec::new(),
        })
    };
    const INVALID: &str = "invalid_request_error";
    Some(match name {
        "invalid_request" => error(400, INVALID, None, "Invalid request (simulated by openai-mock)."),
        "invalid_api_key" => error(
            401,
            INVALID,
            Some("invalid_api_key"),
            "Incorrect API key provided (simulated by openai-mock). You can find your API key at \
             https://platform.openai.com/account/api-keys.",
        ),
        "permission_denied" => error(
            403,
            INVALID,
            None,
            "You are not allowed to perform this request (simulated by openai-mock).",
        ),
        "not_found" => error(
            404,
            INVALID,
            None,
            "The requested resource was not found (simulated by openai-mock).",
        ),
        "conflict" => error(409, INVALID, None, "The request conflicts with the current state of the resource (simulated by openai-mock)."),
        "unprocessable_entity" => error(422, INVALID, None, "The request could not be processed (simulated by openai-mock)."),
        "rate_limit_exceeded" => {
            let Failure::Error(mut simulated) = error(
                429,
                "requests",
                Some("rate_limit_exceeded"),
                "Rate limit reached for requests (simulated by openai-mock). Please try again in 1s.",
            ) else {
                return None;
            };
            simulated.headers = vec![
                ("retry-after".into(), "1".into()),
                ("retry-after-ms".into(), "1000".into()),
            ];
            Failure::Error(simulated)
        }
        "insufficient_quota" => error(
            429,
            "insufficient_quota",
            Some("insufficient_quota"),
            "You exceeded your current quota, please check your plan and billing details \
             (simulated by openai-mock).",
        ),
        "server_error" => error(
            500,
            "server_error",
            None,
            "The server had an error while processing your request (simulated by openai-mock).",
        ),
        "overloaded" => error(
            503,
            "server_error",
            None,
            "The server is overloaded or not ready yet (simulated by openai-mock).",
        ),
        "connection_reset" => Failure::ConnectionReset,
        _ => return None,
    })
}

/// The error answer for a bare status (400–599).
///
/// ```
/// use openai_mock::scenario::faults::for_status;
/// assert_eq!(for_status(503).error.kind, "server_error");
/// assert_eq!(for_status(418).error.kind, "invalid_request_error");
/// assert_eq!(for_status(418).error.status, 418);
/// ```
pub fn for_status(status: u16) -> SimulatedError {
    let name = match status {
        400 => "invalid_request",
        401 => "invalid_api_key",
        403 => "permission_denied",
        404 => "not_found",
        409 => "conflict",
        422 => "unprocessable_entity",
        429 => "rate_limit_exceeded",
        500 => "server_error",
        503 => "overloaded",
        _ => "",
    };
    if let Some(Failure::Error(simulated)) = preset(name) {
        return simulated;
    }
    let (kind, what) = if status >= 500 {
        ("server_error", "Server error")
    } else {
        ("invalid_request_error", "Request error")
    };
    SimulatedError {
        error: ApiError {
            status,
            message: format!("{what} {status} (simulated by openai-mock)."),
            kind: kind.into(),
            param: None,
            code: None,
        },
        headers: Vec::new(),
    }
}

/// A weighted choice among presets, for `--error-mix`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorMix {
    entries: Vec<(String, u32)>,
}

impl Default for ErrorMix {
    /// 429 `rate_limit_exceeded`, 500 `server_error`, 503 `overloaded` and a connection
    /// reset, equally likely.
    fn default() -> ErrorMix {
        ErrorMix {
            entries: [
                "rate_limit_exceeded",
                "server_error",
                "overloaded",
                "connection_reset",
            ]
            .iter()
            .map(|name| (name.to_string(), 1))
            .collect(),
        }
    }
}

impl ErrorMix {
    /// Parses `name=weight` items (a bare `name` weighs 1), e.g.
    /// `["rate_limit_exceeded=3", "connection_reset"]`. No items gives the default mix.
    ///
    /// ```
    /// use openai_mock::scenario::faults::ErrorMix;
    /// assert!(ErrorMix::parse(&["server_error=2".into(), "overloaded".into()]).is_ok());
    /// assert!(ErrorMix::parse(&["teapot=1".into()]).unwrap_err().contains("teapot"));
    /// ```
    pub fn parse(items: &[String]) -> Result<ErrorMix, String> {
        if items.is_empty() {
            return Ok(ErrorMix::default());
        }
        let entries = items
            .iter()
            .map(|item| parse_mix_item(item))
            .collect::<Result<Vec<_>, _>>()?;
        if entries.iter().all(|(_, weight)| *weight == 0) {
            return Err("error mix: every weight is 0".into());
        }
        Ok(ErrorMix { entries })
    }

    /// Picks a preset name by weight.
    pub fn pick(&self, rng: &mut Rng) -> &str {
        let total: u64 = self.entries.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut draw = rng.below(total);
        for (name, weight) in &self.entries {
            let weight = u64::from(*weight);
            if draw < weight {
                return name;
            }
            draw -= weight;
        }
        self.entries.last().map_or("server_error", |(name, _)| name)
    }
}

/// Whether a uniform draw from `rng` falls under `rate` (0 never, 1 always).
pub fn strikes(rate: f64, rng: &mut Rng) -> bool {
    if rate <= 0.0 {
        return false;
    }
    let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    unit < rate
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ERROR_PRESETS;

    #[test]
    fn every_preset_exists_and_statuses_pick_presets() {
        for name in ERROR_PRESETS {
            assert!(preset(name).is_some(), "{name}");
        }
        for status in [400, 401, 403, 404, 409, 422, 429, 500, 503, 502, 451] {
            assert_eq!(for_status(status).error.status, status);
        }
        assert_eq!(
            for_status(401).error.code.as_deref(),
            Some("invalid_api_key")
        );
        assert!(for_status(429)
            .headers
            .iter()
            .any(|(name, value)| name == "retry-after-ms" && value == "1000"));
    }

    #[test]
    fn the_mix_follows_its_weights() {
        let mix = ErrorMix::parse(&["server_error=3".into(), "overloaded=1".into()]).unwrap();
        let mut rng = Rng::new(7);
        let picks: Vec<&str> = (0..4000).map(|_| mix.pick(&mut rng)).collect();
        let servers = picks.iter().filter(|p| **p == "server_error").count();
        assert!((2700..3300).contains(&servers), "{servers} of 4000");
        assert!(picks
            .iter()
            .all(|p| *p == "server_error" || *p == "overloaded"));
        assert!(ErrorMix::parse(&["server_error=x".into()]).is_err());
        assert!(ErrorMix::parse(&["server_error=0".into()]).is_err());
    }

    #[test]
    fn strikes_follow_the_rate_and_the_seed() {
        let count = |seed| {
            let mut rng = Rng::new(seed);
            (0..10_000).filter(|_| strikes(0.05, &mut rng)).count()
        };
        let hits = count(1);
        assert!((380..620).contains(&hits), "{hits}");
        assert_eq!(hits, count(1));
        let mut rng = Rng::new(3);
        assert!(!strikes(0.0, &mut rng));
        assert!(strikes(1.0, &mut rng));
    }
}
