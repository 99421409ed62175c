//! What the fault and rate-limit flags mean: `--error-rate`, `--error-mix` items and
//! `--rate-limit` entries, parsed and checked when the configuration is read. The scenario
//! engine ([`crate::scenario`]) acts on them.

/// The preset names, in documentation order.
pub const ERROR_PRESETS: [&str; 11] = [
    "invalid_request",
    "invalid_api_key",
    "permission_denied",
    "not_found",
    "conflict",
    "unprocessable_entity",
    "rate_limit_exceeded",
    "insufficient_quota",
    "server_error",
    "overloaded",
    "connection_reset",
];

/// One `--error-mix` item: `preset=weight`, or a bare `preset` weighing 1.
///
/// ```
/// use openai_mock::config::parse_mix_item;
/// assert_eq!(parse_mix_item("overloaded=3"), Ok(("overloaded".to_string(), 3)));
/// assert!(parse_mix_item("teapot").unwrap_err().contains("unknown preset"));
/// ```
pub fn parse_mix_item(item: &str) -> Result<(String, u32), String> {
    let (name, weight) = match item.split_once('=') {
        Some((name, weight)) => {
            let weight = weight
                .trim()
                .parse::<u32>()
                .map_err(|_| format!("error mix `{item}`: the weight must be a whole number"))?;
            (name.trim(), weight)
        }
        None => (item.trim(), 1),
    };
    if !ERROR_PRESETS.contains(&name) {
        return Err(format!(
            "error mix: unknown preset `{name}`; the presets are {}",
            ERROR_PRESETS.join(", ")
        ));
    }
    Ok((name.to_string(), weight))
}

/// Parses an error rate: a number from 0 to 1.
///
/// ```
/// use openai_mock::config::parse_rate;
/// assert_eq!(parse_rate("0.05"), Ok(0.05));
/// assert!(parse_rate("5%").is_err());
/// assert!(parse_rate("1.5").is_err());
/// ```
pub fn parse_rate(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|rate| (0.0..=1.0).contains(rate))
        .ok_or_else(|| format!("`{text}` is not a rate from 0 to 1 (e.g. 0.05)"))
}

/// One configured limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// Only for this API key.
    pub key: Option<String>,
    /// Only for this model.
    pub model: Option<String>,
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Tokens per minute.
    pub tpm: Option<u64>,
}

impl std::str::FromStr for RateLimit {
    type Err = String;

    /// Parses `field=value` items separated by spaces or commas; the fields are `key`,
    /// `model`, `rpm` and `tpm`, and `rpm` or `tpm` is required.
    ///
    /// ```
    /// use openai_mock::config::RateLimit;
    /// let limit: RateLimit = "key=sk-a model=gpt-4o rpm=3".parse().unwrap();
    /// assert_eq!((limit.key.as_deref(), limit.rpm, limit.tpm), (Some("sk-a"), Some(3), None));
    /// assert!("key=sk-a".parse::<RateLimit>().is_err());
    /// ```
    fn from_str(text: &str) -> Result<RateLimit, String> {
        let mut limit = RateLimit {
            key: None,
            model: None,
            rpm: None,
            tpm: None,
        };
        let bad = |why: &str| format!("rate limit `{text}`: {why}");
        for item in text.split([' ', ',', '\t']).filter(|s| !s.is_empty()) {
            let (field, value) = item
                .split_once('=')
                .ok_or_else(|| bad(&format!("`{item}` is not field=value")))?;
            let number = || {
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad(&format!("`{field}` must be a whole number above 0")))
            };
            match field {
                "key" => limit.key = Some(value.to_string()),
                "model" => limit.model = Some(value.to_string()),
                "rpm" => limit.rpm = Some(number()?),
                "tpm" => limit.tpm = Some(number()?),
                _ => {
                    return Err(bad(&format!(
                        "unknown field `{field}`; the fields are key, model, rpm and tpm"
                    )))
                }
            }
        }
        if limit.rpm.is_none() && limit.tpm.is_none() {
            return Err(bad("give rpm=N and/or tpm=N"));
        }
        Ok(limit)
    }
}
