//! Real rate limits: requests and tokens per minute, per API key and model.
//!
//! Each `--rate-limit` entry gives `rpm` and/or `tpm`, optionally only for one `key` and/or
//! one `model` (`"key=sk-test model=gpt-4o rpm=3"`). A request uses the most specific entry
//! that applies to it (key and model, then key, then model, then neither), and is counted in
//! its own bucket per (API key, model).
//!
//! A bucket refills continuously, like the real API: a limit of `rpm` requests per minute
//! holds at most `rpm` requests and regains one every `60/rpm` seconds. A request that does
//! not fit gets a real 429 (`type` `requests` or `tokens`, `code` `rate_limit_exceeded`)
//! whose `retry-after` / `retry-after-ms` say when it would fit; every answer under a limit
//! carries `x-ratelimit-limit-*`, `x-ratelimit-remaining-*` (after this request) and
//! `x-ratelimit-reset-*` (until the bucket is full again) that agree with it.
//!
//! A request's token cost is the tokens of its prompt text (messages, input, prompt,
//! instructions, counted with the model's tokenizer) plus its `max_tokens` /
//! `max_completion_tokens` / `max_output_tokens` when given.

use super::faults::SimulatedError;
use crate::config::RateLimit;
use crate::error::ApiError;
use crate::services::conversation::content_text;
use crate::services::tokens::Encoding;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

impl RateLimit {
    /// How specifically this entry applies to (key, model); `None` when it does not.
    fn specificity(&self, key: &str, model: &str) -> Option<u8> {
        let key_match = self.key.as_deref().map(|k| k == key);
        let model_match = self.model.as_deref().map(|m| m == model);
        match (key_match, model_match) {
            (Some(false), _) | (_, Some(false)) => None,
            (Some(true), Some(true)) => Some(3),
            (Some(true), None) => Some(2),
            (None, Some(true)) => Some(1),
            (None, None) => Some(0),
        }
    }
}

/// A continuously refilling allowance.
#[derive(Debug, Clone)]
struct Allowance {
    capacity: f64,
    per_minute: f64,
    level: f64,
    updated: Instant,
}

impl Allowance {
    fn new(capacity: u64, now: Instant) -> Allowance {
        Allowance::with_burst(capacity, capacity, now)
    }

    /// `per_minute` units a minute, holding at most `burst`.
    fn with_burst(per_minute: u64, burst: u64, now: Instant) -> Allowance {
        Allowance {
            capacity: burst.max(1) as f64,
            per_minute: per_minute.max(1) as f64,
            level: burst.max(1) as f64,
            updated: now,
        }
    }

    /// Units regained per second.
    fn rate(&self) -> f64 {
        self.per_minute / 60.0
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.level = (self.level + elapsed * self.rate()).min(self.capacity);
        self.updated = now;
    }

    /// Time until `amount` fits.
    fn wait_for(&self, amount: f64) -> Duration {
        Duration::from_secs_f64(((amount - self.level) / self.rate()).max(0.0))
    }

    /// Time until the allowance is full.
    fn until_full(&self) -> Duration {
        self.wait_for(self.capacity)
    }

    fn headers(&self, kind: &str, headers: &mut Vec<(String, String)>) {
        headers.push((
            format!("x-ratelimit-limit-{kind}"),
            format!("{}", self.per_minute as u64),
        ));
        headers.push((
            format!("x-ratelimit-remaining-{kind}"),
            format!("{}", self.level.max(0.0).floor() as u64),
        ));
        headers.push((
            format!("x-ratelimit-reset-{kind}"),
            format_duration(self.until_full()),
        ));
    }
}

#[derive(Debug, Clone)]
struct Bucket {
    requests: Option<Allowance>,
    tokens: Option<Allowance>,
    /// The limit the bucket was made for (rpm, tpm, burst): a changed limit starts anew.
    made_for: (Option<u64>, Option<u64>, Option<u64>),
}

/// The most buckets kept; beyond it, full (idle) buckets are forgotten.
const MAX_BUCKETS: usize = 10_000;

/// One limit to apply: requests and tokens per minute, and how many requests a full
/// bucket holds (`rpm` when `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limit {
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Tokens per minute.
    pub tpm: Option<u64>,
    /// Requests a full bucket holds.
    pub burst: Option<u64>,
}

/// The configured limits and their buckets.
#[derive(Debug, Default)]
pub struct Limiter {
    limits: Vec<RateLimit>,
    buckets: Mutex<HashMap<(String, String), Bucket>>,
}

/// What the limiter decided for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// No limit applies.
    Unlimited,
    /// Within the limit; the `x-ratelimit-*` headers to send.
    Allowed(Vec<(String, String)>),
    /// Over the limit: the 429 to send.
    Denied(SimulatedError),
}

impl Limiter {
    /// A limiter for `limits`.
    pub fn new(limits: Vec<RateLimit>) -> Limiter {
        Limiter {
            limits,
            buckets: Mutex::default(),
        }
    }

    /// Whether any limit is configured.
    pub fn is_active(&self) -> bool {
        !self.limits.is_empty()
    }

    /// Forgets every bucket (all allowances are full again).
    pub fn reset(&self) {
        if let Ok(mut buckets) = self.buckets.lock() {
            buckets.clear();
        }
    }

    /// Checks and, when allowed, counts one request by `key` for `model` costing `tokens`
    /// (computed only when a token limit applies).
    pub fn check(
        &self,
        key: &str,
        model: Option<&str>,
        tokens: impl FnOnce() -> u64,
        now: Instant,
    ) -> Verdict {
        let model = model.unwrap_or("");
        let Some(limit) = self
            .limits
            .iter()
            .filter_map(|limit| Some((limit.specificity(key, model)?, limit)))
            .max_by_key(|(specificity, _)| *specificity)
            .map(|(_, limit)| limit)
        else {
            return Verdict::Unlimited;
        };
        let limit = Limit {
            rpm: limit.rpm,
            tpm: limit.tpm,
            burst: None,
        };
        self.check_limit(key, model, limit, tokens, now)
    }

    /// Checks and counts one request against an explicit `limit` (an organization key's or
    /// project's), in the bucket of (`bucket`, `model`); a bucket made for another limit
    /// starts anew, so a changed limit applies at once.
    pub fn check_limit(
        &self,
        bucket: &str,
        model: &str,
        limit: Limit,
        tokens: impl FnOnce() -> u64,
        now: Instant,
    ) -> Verdict {
        let key = bucket;
        let Ok(mut buckets) = self.buckets.lock() else {
            return Verdict::Unlimited;
        };
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, bucket| {
                [&mut bucket.requests, &mut bucket.tokens]
                    .into_iter()
                    .flatten()
                    .any(|a| {
                        a.refill(now);
                        a.level < a.capacity
                    })
            });
        }
        let made_for = (limit.rpm, limit.tpm, limit.burst);
        let fresh = || Bucket {
            requests: limit
                .rpm
                .map(|rpm| Allowance::with_burst(rpm, limit.burst.unwrap_or(rpm), now)),
            tokens: limit.tpm.map(|tpm| Allowance::new(tpm, now)),
            made_for,
        };
        let bucket = buckets
            .entry((key.to_string(), model.to_string()))
            .or_insert_with(fresh);
        if bucket.made_for != made_for {
            *bucket = fresh();
        }
        let cost = if bucket.tokens.is_some() { tokens() } else { 0 };
        for allowance in [&mut bucket.requests, &mut bucket.tokens]
            .into_iter()
            .flatten()
        {
            allowance.refill(now);
        }
        let shown_model = if model.is_empty() { "requests" } else { model };
        if let Some(requests) = &bucket.requests {
            if requests.level < 1.0 {
                return Verdict::Denied(denied(
                    "requests",
                    "requests per min (RPM)",
                    shown_model,
                    requests,
                    1,
                    bucket,
                ));
            }
        }
        if let Some(allowance) = &bucket.tokens {
            if (cost as f64) > allowance.level {
                return Verdict::Denied(denied(
                    "tokens",
                    "tokens per min (TPM)",
                    shown_model,
                    allowance,
                    cost,
                    bucket,
                ));
            }
        }
        if let Some(requests) = &mut bucket.requests {
            requests.level -= 1.0;
        }
        if let Some(allowance) = &mut bucket.tokens {
            allowance.level -= cost as f64;
        }
        Verdict::Allowed(bucket_headers(bucket))
    }
}

fn bucket_headers(bucket: &Bucket) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    if let Some(requests) = &bucket.requests {
        requests.headers("requests", &mut headers);
    }
    if let Some(tokens) = &bucket.tokens {
        tokens.headers("tokens", &mut headers);
    }
    headers
}

/// The 429 for a request that does not fit `allowance`.
fn denied(
    kind: &str,
    what: &str,
    model: &str,
    allowance: &Allowance,
    requested: u64,
    bucket: &Bucket,
) -> SimulatedError {
    let limit = allowance.per_minute as u64;
    let used = (allowance.capacity - allowance.level).max(0.0).ceil() as u64;
    let mut headers = bucket_headers(bucket);
    let message = if requested > limit {
        format!(
            "Request too large for {model} on {what}: Limit {limit}, Requested {requested}. \
             The input or output tokens must be reduced in order to run successfully."
        )
    } else {
        let wait = allowance.wait_for(requested as f64);
        let millis = (wait.as_secs_f64() * 1000.0).ceil().max(1.0) as u64;
        headers.push(("retry-after-ms".into(), millis.to_string()));
        headers.push(("retry-after".into(), millis.div_ceil(1000).to_string()));
        format!(
            "Rate limit reached for {model} on {what}: Limit {limit}, Used {used}, Requested \
             {requested}. Please try again in {}. Visit \
             https://platform.openai.com/account/rate-limits to learn more.",
            format_duration(wait)
        )
    };
    SimulatedError {
        error: ApiError {
            status: 429,
            message,
            kind: kind.to_string(),
            param: None,
            code: Some("rate_limit_exceeded".into()),
        },
        headers,
    }
}

/// A duration the way the real API writes resets: `120ms`, `1.5s`, `6m0s`.
///
/// ```
/// use openai_mock::scenario::limits::format_duration;
/// use std::time::Duration;
/// assert_eq!(format_duration(Duration::from_millis(120)), "120ms");
/// assert_eq!(format_duration(Duration::from_millis(20_000)), "20s");
/// assert_eq!(format_duration(Duration::from_millis(1_500)), "1.5s");
/// assert_eq!(format_duration(Duration::from_secs(360)), "6m0s");
/// ```
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        return format!("{millis}ms");
    }
    let minutes = millis / 60_000;
    let rest = millis % 60_000;
    let seconds = format!("{}.{:03}", rest / 1000, rest % 1000);
    let seconds = seconds.trim_end_matches('0').trim_end_matches('.');
    if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// The token cost of a request body under a token limit (see the module notes).
pub fn request_tokens(model: Option<&str>, body: &Value) -> u64 {
    let encoding = Encoding::for_model(model.unwrap_or(""));
    let mut text = String::new();
    let mut add = |value: Option<&Value>| {
        let part = content_text(value);
        if !part.is_empty() {
            text.push_str(&part);
            text.push('\n');
        }
    };
    for key in ["messages", "input"] {
        match body.get(key) {
            Some(Value::Array(items)) => {
                for item in items {
                    match item {
                        Value::Object(_) => add(item.get("content").or_else(|| item.get("output"))),
                        other => add(Some(other)),
                    }
                }
            }
            other => add(other),
        }
    }
    add(body.get("instructions"));
    match body.get("prompt") {
        Some(Value::Array(items)) => items.iter().for_each(|item| add(Some(item))),
        other => add(other),
    }
    let prompt = encoding.count(&text) as u64;
    let completion = ["max_completion_tokens", "max_tokens", "max_output_tokens"]
        .iter()
        .find_map(|key| body.get(*key).and_then(Value::as_u64))
        .unwrap_or(0);
    prompt + completion
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    #[test]
    fn the_fourth_request_in_a_minute_is_refused_with_agreeing_headers() {
        let limiter = Limiter::new(vec!["key=sk-a rpm=3".parse().unwrap()]);
        let start = Instant::now();
        for remaining in ["2", "1", "0"] {
            let Verdict::Allowed(headers) = limiter.check("sk-a", Some("gpt-4o"), || 0, start)
            else {
                panic!("allowed");
            };
            assert_eq!(header(&headers, "x-ratelimit-limit-requests"), "3");
            assert_eq!(
                header(&headers, "x-ratelimit-remaining-requests"),
                remaining
            );
        }
        let Verdict::Denied(refusal) = limiter.check("sk-a", Some("gpt-4o"), || 0, start) else {
            panic!("denied");
        };
        assert_eq!(refusal.error.status, 429);
        assert_eq!(refusal.error.kind, "requests");
        assert_eq!(refusal.error.code.as_deref(), Some("rate_limit_exceeded"));
        assert!(refusal
            .error
            .message
            .contains("Limit 3, Used 3, Requested 1"));
        // One request comes back every 20 s; the bucket is full again after 60 s.
        assert_eq!(header(&refusal.headers, "retry-after-ms"), "20000");
        assert_eq!(header(&refusal.headers, "retry-after"), "20");
        assert_eq!(
            header(&refusal.headers, "x-ratelimit-remaining-requests"),
            "0"
        );
        assert_eq!(
            header(&refusal.headers, "x-ratelimit-reset-requests"),
            "1m0s"
        );
        // Other keys are not limited by this entry; time brings requests back.
        assert_eq!(limiter.check("sk-b", None, || 0, start), Verdict::Unlimited);
        let later = start + Duration::from_secs(20);
        assert!(matches!(
            limiter.check("sk-a", Some("gpt-4o"), || 0, later),
            Verdict::Allowed(_)
        ));
    }

    #[test]
    fn the_most_specific_entry_wins_and_models_count_apart() {
        let limiter = Limiter::new(vec![
            "rpm=100".parse().unwrap(),
            "model=gpt-4o rpm=1".parse().unwrap(),
        ]);
        let now = Instant::now();
        assert!(matches!(
            limiter.check("k", Some("gpt-4o"), || 0, now),
            Verdict::Allowed(_)
        ));
        assert!(matches!(
            limiter.check("k", Some("gpt-4o"), || 0, now),
            Verdict::Denied(_)
        ));
        let Verdict::Allowed(headers) = limiter.check("k", Some("gpt-4o-mini"), || 0, now) else {
            panic!()
        };
        assert_eq!(header(&headers, "x-ratelimit-limit-requests"), "100");
    }

    #[test]
    fn token_limits_count_the_prompt_and_the_completion_budget() {
        let limiter = Limiter::new(vec!["tpm=100".parse().unwrap()]);
        let now = Instant::now();
        let Verdict::Allowed(headers) = limiter.check("k", Some("m"), || 60, now) else {
            panic!()
        };
        assert_eq!(header(&headers, "x-ratelimit-remaining-tokens"), "40");
        assert_eq!(header(&headers, "x-ratelimit-reset-tokens"), "36s");
        let Verdict::Denied(refusal) = limiter.check("k", Some("m"), || 60, now) else {
            panic!()
        };
        assert_eq!(refusal.error.kind, "tokens");
        assert_eq!(header(&refusal.headers, "retry-after-ms"), "12000");
        let Verdict::Denied(too_big) = limiter.check("k", Some("m"), || 1000, now) else {
            panic!()
        };
        assert!(too_big.error.message.starts_with("Request too large"));
        assert!(header(&too_big.headers, "retry-after").is_empty());

        let body = json!({"messages": [{"role": "user", "content": "Say this is a test"}], "max_tokens": 10});
        assert_eq!(request_tokens(Some("gpt-4o"), &body), 5 + 1 + 10);
    }

    #[test]
    fn limit_entries_parse_strictly() {
        assert!("rpm=0".parse::<RateLimit>().is_err());
        assert!("rpm=3 burst=2"
            .parse::<RateLimit>()
            .unwrap_err()
            .contains("burst"));
        assert!("rpm".parse::<RateLimit>().is_err());
        let both: RateLimit = "tpm=10,rpm=2".parse().unwrap();
        assert_eq!((both.rpm, both.tpm), (Some(2), Some(10)));
    }
}
