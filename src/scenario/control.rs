//! Per-request control headers, all named `x-mock-…`.
//!
//! | header | effect |
//! |---|---|
//! | `x-mock-status: 429` | answer with that error status (400–599) |
//! | `x-mock-error: overloaded` | answer with that error preset (see [`super::faults`]); with `x-mock-status`, the status wins |
//! | `x-mock-seed: 42` | generate as if `--seed 42` |
//! | `x-mock-rule: name` | apply the rule with that name, whatever its `match` says |
//! | `x-mock-conversation: id` | count rule sequences under this conversation id |
//! | `x-mock-latency-ms`, `x-mock-jitter-ms` | latency before the answer |
//! | `x-mock-ttft-ms`, `x-mock-chunk-interval-ms`, `x-mock-chunk-tokens` | stream pacing |
//! | `x-mock-stream-cut-after`, `x-mock-stream-error-after`, `x-mock-stream-stall-after`, `x-mock-stream-stall-ms` | stream faults |
//!
//! A header with this prefix that is not in the table, or a value that does not parse, is a
//! 400 naming the header, so a typo never silently does nothing. With
//! `--no-control-headers` none of them is read.

use super::faults::{self, Failure};
use super::latency::Overrides;
use crate::error::ApiError;
use poem::http::HeaderMap;

/// The prefix of every control header.
pub const PREFIX: &str = "x-mock-";

/// Every control header name.
pub const NAMES: [&str; 15] = [
    "x-mock-status",
    "x-mock-error",
    "x-mock-seed",
    "x-mock-rule",
    "x-mock-conversation",
    "x-mock-latency-ms",
    "x-mock-jitter-ms",
    "x-mock-ttft-ms",
    "x-mock-chunk-interval-ms",
    "x-mock-chunk-tokens",
    "x-mock-stream-cut-after",
    "x-mock-stream-error-after",
    "x-mock-stream-stall-after",
    "x-mock-stream-stall-ms",
    // Accepted so clients can mark requests in the request log; it has no other effect.
    "x-mock-label",
];

/// What the control headers of one request ask for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Controls {
    /// A forced failure (`x-mock-status` / `x-mock-error`).
    pub failure: Option<Failure>,
    /// `x-mock-seed`.
    pub seed: Option<u64>,
    /// `x-mock-rule`.
    pub rule: Option<String>,
    /// `x-mock-conversation`.
    pub conversation: Option<String>,
    /// `x-mock-label`.
    pub label: Option<String>,
    /// Latency and stream settings.
    pub overrides: Overrides,
}

/// Reads the control headers of a request.
///
/// ```
/// use openai_mock::scenario::control::read;
/// use poem::http::HeaderMap;
/// let mut headers = HeaderMap::new();
/// headers.insert("x-mock-latency-ms", "250".parse().unwrap());
/// headers.insert("x-mock-rule", "greeting".parse().unwrap());
/// let controls = read(&headers).unwrap();
/// assert_eq!(controls.overrides.latency_ms, Some(250));
/// assert_eq!(controls.rule.as_deref(), Some("greeting"));
///
/// headers.insert("x-mock-latency", "250".parse().unwrap());
/// assert!(read(&headers).unwrap_err().message.contains("x-mock-latency"));
/// ```
pub fn read(headers: &HeaderMap) -> Result<Controls, ApiError> {
    let mut controls = Controls::default();
    let mut status = None;
    let mut preset = None;
    for (name, value) in headers {
        let name = name.as_str();
        if !name.starts_with(PREFIX) {
            continue;
        }
        let bad = |why: String| ApiError::invalid_request(format!("Invalid {name} header: {why}"));
        let text = value
            .to_str()
            .map_err(|_| bad("the value is not visible ASCII".into()))?
            .trim()
            .to_string();
        let number = || {
            text.parse::<u64>()
                .map_err(|_| bad(format!("expected a whole number, got {text:?}")))
        };
        let overrides = &mut controls.overrides;
        match name {
            "x-mock-status" => {
                let code = number()?;
                if !(400..=599).contains(&code) {
                    return Err(bad(format!("expected an error status 400-599, got {code}")));
                }
                status = Some(code as u16);
            }
            "x-mock-error" => {
                preset = Some(faults::preset(&text).ok_or_else(|| {
                    bad(format!(
                        "unknown error {text:?}; the errors are {}",
                        crate::config::ERROR_PRESETS.join(", ")
                    ))
                })?);
            }
            "x-mock-seed" => controls.seed = Some(number()?),
            "x-mock-rule" => controls.rule = Some(text),
            "x-mock-conversation" => controls.conversation = Some(text),
            "x-mock-label" => controls.label = Some(text),
            "x-mock-latency-ms" => overrides.latency_ms = Some(number()?),
            "x-mock-jitter-ms" => overrides.jitter_ms = Some(number()?),
            "x-mock-ttft-ms" => overrides.ttft_ms = Some(number()?),
            "x-mock-chunk-interval-ms" => overrides.chunk_interval_ms = Some(number()?),
            "x-mock-chunk-tokens" => {
                let tokens = number()?;
                if tokens == 0 {
                    return Err(bad("expected at least 1 token per chunk".into()));
                }
                overrides.chunk_tokens = Some(tokens as usize);
            }
            "x-mock-stream-cut-after" => overrides.stream_cut_after = Some(number()? as usize),
            "x-mock-stream-error-after" => overrides.stream_error_after = Some(number()? as usize),
            "x-mock-stream-stall-after" => overrides.stream_stall_after = Some(number()? as usize),
            "x-mock-stream-stall-ms" => overrides.stream_stall_ms = Some(number()?),
            _ => {
                return Err(ApiError::invalid_request(format!(
                    "Unknown control header {name}; the control headers are {}. \
                     (Start the server with --no-control-headers to pass x-mock-* headers \
                     through unread.)",
                    NAMES.join(", ")
                )))
            }
        }
    }
    controls.failure = match (status, preset) {
        (Some(status), Some(Failure::Error(mut simulated))) => {
            simulated.error.status = status;
            Some(Failure::Error(simulated))
        }
        (Some(status), _) => Some(Failure::Error(faults::for_status(status))),
        (None, preset) => preset,
    };
    Ok(controls)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn status_and_error_combine() {
        let controls = read(&headers(&[("x-mock-status", "404")])).unwrap();
        let Some(Failure::Error(e)) = controls.failure else {
            panic!()
        };
        assert_eq!(
            (e.error.status, e.error.kind.as_str()),
            (404, "invalid_request_error")
        );

        let controls = read(&headers(&[
            ("x-mock-error", "overloaded"),
            ("x-mock-status", "502"),
        ]))
        .unwrap();
        let Some(Failure::Error(e)) = controls.failure else {
            panic!()
        };
        assert_eq!(
            (e.error.status, e.error.kind.as_str()),
            (502, "server_error")
        );

        let reset = read(&headers(&[("x-mock-error", "connection_reset")])).unwrap();
        assert_eq!(reset.failure, Some(Failure::ConnectionReset));
    }

    #[test]
    fn every_setting_is_read() {
        let controls = read(&headers(&[
            ("x-mock-seed", "9"),
            ("x-mock-conversation", "c1"),
            ("x-mock-jitter-ms", "5"),
            ("x-mock-ttft-ms", "10"),
            ("x-mock-chunk-interval-ms", "20"),
            ("x-mock-chunk-tokens", "2"),
            ("x-mock-stream-cut-after", "3"),
            ("x-mock-stream-error-after", "4"),
            ("x-mock-stream-stall-after", "5"),
            ("x-mock-stream-stall-ms", "6"),
            ("x-mock-label", "test-1"),
            ("x-other", "ignored"),
        ]))
        .unwrap();
        assert_eq!(controls.seed, Some(9));
        assert_eq!(controls.conversation.as_deref(), Some("c1"));
        assert_eq!(controls.label.as_deref(), Some("test-1"));
        let o = controls.overrides;
        assert_eq!(
            (o.jitter_ms, o.ttft_ms, o.chunk_interval_ms, o.chunk_tokens),
            (Some(5), Some(10), Some(20), Some(2))
        );
        assert_eq!(
            (
                o.stream_cut_after,
                o.stream_error_after,
                o.stream_stall_after,
                o.stream_stall_ms
            ),
            (Some(3), Some(4), Some(5), Some(6))
        );
    }

    #[test]
    fn bad_values_name_the_header() {
        for (name, value) in [
            ("x-mock-status", "200"),
            ("x-mock-status", "abc"),
            ("x-mock-error", "teapot"),
            ("x-mock-chunk-tokens", "0"),
            ("x-mock-seed", "-1"),
        ] {
            let error = read(&headers(&[(name, value)])).unwrap_err();
            assert_eq!(error.status, 400);
            assert!(error.message.contains(name), "{}", error.message);
        }
    }
}
