//! Leaf values: strings from the field name, format, length and pattern (numbered or
//! empty now and then when varied), integers and numbers within their bounds, and
//! RFC 3339 times.

use super::{ids, keyword, Generator};
use crate::generate::meaning::{self, Context};
use crate::generate::regex_sample::sample_regex;
use crate::generate::rng::fnv1a;
use regex::Regex;
use serde_json::{Number, Value};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

impl Generator<'_> {
    pub(super) fn string(&mut self, schema: &Value, field: &str) -> String {
        let text = self.free_string(schema, field);
        match keyword(schema, "pattern").and_then(Value::as_str) {
            Some(pattern) if !matches_pattern(pattern, &text) => {
                sample_regex(pattern).unwrap_or(text)
            }
            _ => text,
        }
    }

    /// A string for `field` within the schema's format and lengths, before its pattern.
    fn free_string(&mut self, schema: &Value, field: &str) -> String {
        if let Some(default) = keyword(schema, "default").and_then(Value::as_str) {
            if !self.varied || self.one_in(2) {
                return default.to_string();
            }
        }
        let min = keyword(schema, "minLength")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let max = keyword(schema, "maxLength")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        let format = keyword(schema, "format")
            .and_then(Value::as_str)
            .unwrap_or("");
        let context = Context {
            field,
            parent: self.path.iter().rev().nth(1).copied().unwrap_or(""),
            component: self.stack.last().copied().unwrap_or(""),
        };
        let example = keyword(schema, "example")
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty() && *e != field && *e != "string");
        let text = match (format, field) {
            ("date-time", _) => rfc3339(self.now),
            (_, f) if f.ends_with("_at") => rfc3339(self.now),
            ("date", _) => rfc3339(self.now)[..10].to_string(),
            ("email", _) | (_, "email") => meaning::email(&mut self.rng),
            ("binary", _) => "file".into(),
            ("byte", _) => "b3BlbmFpLW1vY2s=".into(),
            (_, f) if f == "id" || f.ends_with("_id") => {
                let prefix = meaning::id_for(context).unwrap_or("");
                ids::new_id(&mut self.rng, prefix)
            }
            _ if example.is_some() => example.unwrap_or_default().to_string(),
            ("uri" | "url", "picture") | (_, "picture") => {
                format!(
                    "https://avatars.example.com/{}.png",
                    self.rng.alphanumeric(12)
                )
            }
            ("uri" | "url", _) | (_, "url" | "image_url" | "download_url") => {
                format!("https://files.example.com/{}", self.rng.alphanumeric(16))
            }
            (_, "model") => "gpt-4o-2024-08-06".into(),
            (_, "system_fingerprint") => format!("fp_{}", self.rng.hex(10)),
            _ => match meaning::string_for(context, &mut self.rng) {
                Some(text) => text,
                None if field.is_empty() || field == "item" => {
                    "Paris is the capital of France.".into()
                }
                // A field nobody described: its words and a number (the same for every seed),
                // never its bare name.
                None => format!(
                    "{} {}",
                    field.replace('_', " "),
                    1 + fnv1a(&[field.as_bytes()]) % 99
                ),
            },
        };
        let text = if self.varied {
            self.vary_text(text, format, field)
        } else {
            text
        };
        fit_length(text, min, max)
    }

    /// A varied generator's string: sometimes empty (the schemas rarely forbid it, and a
    /// format is not asserted), sometimes the plain text (or a file's content) numbered so
    /// requests differ; ids and model names stay as they are.
    fn vary_text(&mut self, text: String, format: &str, field: &str) -> String {
        let free = matches!(format, "" | "binary") && field != "model" && !field.ends_with("id");
        match self.rng.below(8) {
            0 => String::new(),
            1 | 2 if free => {
                format!("{text} {}", self.rng.below(1_000))
            }
            _ => text,
        }
    }

    pub(super) fn integer(&mut self, schema: &Value, field: &str) -> Value {
        if let Some(default) = keyword(schema, "default").filter(|d| d.is_i64() || d.is_u64()) {
            if !self.varied || self.one_in(2) {
                return default.clone();
            }
        }
        let min = bound(schema, "minimum", "exclusiveMinimum", 1);
        let max = bound(schema, "maximum", "exclusiveMaximum", -1);
        let timestamp = is_timestamp(field);
        let position = field == "index" || field.ends_with("_index");
        let candidate = if field == "expires_at" {
            // Expiry lies ahead: thirty days after creation.
            self.now.saturating_add(30 * 86_400)
        } else if timestamp {
            self.now
        } else if position {
            0
        } else if self.varied {
            // Anywhere in the first hundred values the bounds allow.
            let low = min.unwrap_or(1);
            let span = max.map_or(99, |high| high.saturating_sub(low).clamp(0, 99));
            low.saturating_add(self.rng.below(span as u64 + 1) as i64)
        } else {
            1 + self.rng.below(100) as i64
        };
        let low = min.unwrap_or(i64::MIN);
        let high = max.unwrap_or(i64::MAX);
        Value::from(candidate.clamp(low, high.max(low)))
    }

    pub(super) fn number(&mut self, schema: &Value, field: &str) -> Value {
        if let Some(default) = keyword(schema, "default").filter(|d| d.is_number()) {
            if !self.varied || self.one_in(2) {
                return default.clone();
            }
        }
        if is_timestamp(field) {
            // Some timestamps are typed `number`; the real API still sends whole seconds.
            return Value::from(self.now);
        }
        let low = keyword(schema, "minimum")
            .or_else(|| keyword(schema, "exclusiveMinimum"))
            .and_then(Value::as_f64)
            .unwrap_or(f64::MIN);
        let high = keyword(schema, "maximum")
            .or_else(|| keyword(schema, "exclusiveMaximum"))
            .and_then(Value::as_f64)
            .unwrap_or(f64::MAX);
        let candidate = if self.varied {
            // Strictly inside the bounds (or 0..10 without them), in thousandths.
            let (from, to) = if low > f64::MIN && high < f64::MAX {
                (low, high)
            } else {
                (low.max(0.0), (low.max(0.0) + 10.0).min(high))
            };
            from + (to - from) * (1 + self.rng.below(999)) as f64 / 1000.0
        } else {
            0.5
        };
        let mut value = candidate.clamp(low, high.max(low));
        if keyword(schema, "exclusiveMinimum").is_some() && value <= low {
            value = low + (high.min(low + 1.0) - low) / 2.0;
        }
        Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

/// Whether `text` matches the regular expression `pattern` (compiled once per pattern; an
/// expression that does not compile matches everything, as nothing can be checked).
fn matches_pattern(pattern: &str, text: &str) -> bool {
    static COMPILED: OnceLock<Mutex<HashMap<String, Option<Regex>>>> = OnceLock::new();
    let mut cache = COMPILED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    cache
        .entry(pattern.to_string())
        .or_insert_with(|| Regex::new(pattern).ok())
        .as_ref()
        .is_none_or(|regex| regex.is_match(text))
}

/// Whether a field holds a Unix time (`created`, `created_at`, `expires_at`, ...).
fn is_timestamp(field: &str) -> bool {
    field == "created" || field.ends_with("_at") || field == "timestamp" || field.ends_with("_time")
}

fn bound(schema: &Value, inclusive: &str, exclusive: &str, step: i64) -> Option<i64> {
    keyword(schema, inclusive)
        .and_then(as_i64_lossy)
        .or_else(|| {
            keyword(schema, exclusive)
                .and_then(as_i64_lossy)
                .map(|b| b + step)
        })
}

fn as_i64_lossy(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
}

fn fit_length(mut text: String, min: usize, max: usize) -> String {
    while text.chars().count() < min {
        text.push('x');
    }
    if text.chars().count() > max {
        text = text.chars().take(max).collect();
    }
    text
}

/// Formats Unix seconds as RFC 3339 UTC, e.g. `2026-11-22T03:04:05Z`.
///
/// ```
/// assert_eq!(openai_mock::generate::rfc3339(0), "1970-01-01T00:00:00Z");
/// assert_eq!(openai_mock::generate::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
/// ```
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}
