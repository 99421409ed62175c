//! Numbers that fit a schema's bounds and `multipleOf`, and strings that fit its
//! `pattern`, `format`, `minLength` and `maxLength`.

use super::field_values::{preferred_number, slug};
use super::{Instances, MAX_SIZE};
use crate::generate::sample_regex;
use crate::generate::{rfc3339, Rng};
use serde_json::{Map, Number, Value};

impl Instances<'_> {
    pub(super) fn number(
        &mut self,
        schema: &Map<String, Value>,
        field: &str,
        integer: bool,
    ) -> Value {
        let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
        let low = bound("minimum");
        let high = bound("maximum");
        let low_exclusive = bound("exclusiveMinimum");
        let high_exclusive = bound("exclusiveMaximum");
        let multiple = bound("multipleOf").filter(|m| *m > 0.0);
        let fits = |v: f64| {
            low.is_none_or(|l| v >= l)
                && high.is_none_or(|h| v <= h)
                && low_exclusive.is_none_or(|l| v > l)
                && high_exclusive.is_none_or(|h| v < h)
                && (!integer || v.fract() == 0.0)
                && multiple.is_none_or(|m| is_multiple(v, m))
        };
        // Numbers from the message, in order, when they fit.
        if let Some(at) = self.numbers.iter().position(|n| fits(*n)) {
            let n = self.numbers.remove(at);
            return number_value(n, integer);
        }
        let preferred = preferred_number(field, self.now, &mut self.rng);
        let mut candidate = preferred;
        let floor = low.or(low_exclusive);
        let ceiling = high.or(high_exclusive);
        if let Some(l) = floor {
            if candidate < l || (low_exclusive.is_some() && candidate <= l) {
                candidate = l;
            }
        }
        if let Some(h) = ceiling {
            if candidate > h {
                candidate = h;
            }
        }
        let step = multiple.unwrap_or(if integer { 1.0 } else { 0.5 });
        let step = if integer { step.max(1.0).ceil() } else { step };
        let start = (candidate / step).round();
        for offset in [0.0, 1.0, -1.0, 2.0, -2.0, 3.0, 4.0, 5.0] {
            let value = round_to_step((start + offset) * step, step);
            if fits(value) {
                return number_value(value, integer);
            }
        }
        // Narrow exclusive ranges: the midpoint.
        if let (Some(l), Some(h)) = (floor, ceiling) {
            let mid = (l + h) / 2.0;
            let mid = if integer { mid.floor() } else { mid };
            return number_value(mid, integer);
        }
        number_value(candidate, integer)
    }

    pub(super) fn string(&mut self, schema: &Map<String, Value>, field: &str) -> String {
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            if let Some(sample) = sample_regex(pattern) {
                return sample;
            }
        }
        let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
        let text = match format {
            "date-time" => rfc3339(self.now),
            "date" => rfc3339(self.now)[..10].to_string(),
            "time" => rfc3339(self.now)[11..].to_string(),
            "email" | "idn-email" => "ada@example.com".into(),
            "hostname" | "idn-hostname" => "example.com".into(),
            "ipv4" => "192.0.2.1".into(),
            "ipv6" => "2001:db8::1".into(),
            "uuid" => uuid(&mut self.rng),
            "uri" | "iri" | "uri-reference" | "iri-reference" | "url" => {
                format!("https://example.com/{}", slug(&self.topic()))
            }
            "duration" => "PT1H".into(),
            _ => self.text_for(field, schema),
        };
        let min = schema
            .get("minLength")
            .and_then(Value::as_u64)
            .map_or(0, |m| (m as usize).min(MAX_SIZE).min(self.remaining));
        let max = schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        let text = fit_length(text, min, max);
        self.remaining = self.remaining.saturating_sub(text.len());
        text
    }
}

fn is_multiple(value: f64, step: f64) -> bool {
    let ratio = value / step;
    (ratio - ratio.round()).abs() < 1e-9
}

/// `value` rounded to the decimals of `step`, to avoid `0.30000000000000004`.
fn round_to_step(value: f64, step: f64) -> f64 {
    let decimals = format!("{step}")
        .split_once('.')
        .map_or(0, |(_, d)| d.len())
        .min(12);
    let scale = 10f64.powi(decimals as i32);
    (value * scale).round() / scale
}

fn number_value(value: f64, integer: bool) -> Value {
    if integer {
        return Value::from(value as i64);
    }
    Number::from_f64(value).map_or(Value::from(0), Value::Number)
}

fn fit_length(mut text: String, min: usize, max: usize) -> String {
    let base = if text.is_empty() {
        "text".to_string()
    } else {
        text.clone()
    };
    while text.chars().count() < min {
        text.push(' ');
        text.push_str(&base);
    }
    if text.chars().count() > max {
        text = text.chars().take(max).collect::<String>();
        let trimmed = text.trim_end().to_string();
        if trimmed.chars().count() >= min {
            text = trimmed;
        }
    }
    text
}

fn uuid(rng: &mut Rng) -> String {
    let hex = rng.hex(32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::instance;
    use serde_json::json;

    #[test]
    fn numbers_come_from_the_message() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "integer"}, "b": {"type": "number"}}, "required": ["a", "b"]});
        assert_eq!(
            instance(&schema, "add 2 and 3.5"),
            json!({"a": 2, "b": 3.5})
        );
    }
}
