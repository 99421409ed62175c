//! Grading one datum with an eval's `testing_criteria`.
//!
//! Templates (`{{item.answer}}`, `{{sample.output_text}}`, `{{ sample.output_json.score }}`)
//! are filled from the datum's item and its sample ([`scope`]). `string_check` and
//! `text_similarity` give real results: `eq`, `ne`, `like` (the input contains the
//! reference) and `ilike` (the same, ignoring case); the similarity metrics of
//! [`super::metrics`] against `pass_threshold`. Graders that need a model or code this
//! server does not run (`label_model`, `score_model`, `python`, `multi`) give a
//! deterministic result derived from what they would read, so a rerun grades alike.

use super::metrics;
use crate::endpoints::vector_stores::string_array;
use crate::generate::fnv1a;
use serde_json::{json, Value};

/// What one grader decided about one datum.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The criterion's `name`.
    pub name: String,
    /// The criterion's `type`.
    pub kind: String,
    /// Its score.
    pub score: f64,
    /// Whether the datum passed it.
    pub passed: bool,
}

impl Verdict {
    /// The entry of an output item's `results`.
    pub fn to_result(&self) -> Value {
        json!({"name": self.name, "type": self.kind, "score": self.score, "passed": self.passed, "sample": null})
    }
}

/// What templates can name: `item` (the datum) and `sample` (the model's answer, with its
/// text as `output_text` and, when that text is JSON, `output_json`).
pub fn scope(item: &Value, sample: Option<&Value>) -> Value {
    let output_text = sample.map(output_text).unwrap_or_default();
    let output_json = serde_json::from_str::<Value>(&output_text)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let mut sample = sample.cloned().unwrap_or_else(|| json!({}));
    if let Some(map) = sample.as_object_mut() {
        map.insert("output_text".into(), json!(output_text));
        map.insert("output_json".into(), output_json);
    }
    json!({"item": item, "sample": sample})
}

/// The text of a sample's output messages, joined.
pub fn output_text(sample: &Value) -> String {
    if let Some(text) = sample.get("output_text").and_then(Value::as_str) {
        return text.to_string();
    }
    sample
        .get("output")
        .and_then(Value::as_array)
        .map(|messages| {
            messages
                .iter()
                .map(|m| crate::services::conversation::content_text(m.get("content")))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// `template` with every `{{ path }}` replaced by the value `path` names in `scope`:
/// strings as they are, other values as JSON, and nothing for a path that names nothing.
pub fn render(template: &str, scope: &Value) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let path = rest[start + 2..start + 2 + len].trim();
        match resolve(scope, path) {
            Some(Value::String(text)) => out.push_str(text),
            Some(Value::Null) | None => {}
            Some(other) => out.push_str(&other.to_string()),
        }
        rest = &rest[start + 4 + len..];
    }
    out.push_str(rest);
    out
}

/// The value at dotted `path` (`item.answer`, `item.choices.0`) in `scope`.
pub fn resolve<'a>(scope: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(scope, |value, key| match value {
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => value.get(key),
    })
}

/// Grades the datum `scope` with `criterion`; `Err` says why the criterion cannot be
/// applied (an unknown metric or operation).
pub fn grade(criterion: &Value, scope: &Value) -> Result<Verdict, String> {
    let kind = criterion["type"].as_str().unwrap_or("").to_string();
    let name = criterion["name"].as_str().unwrap_or(&kind).to_string();
    let text = |key: &str| render(criterion[key].as_str().unwrap_or(""), scope);
    let threshold = criterion.get("pass_threshold").and_then(Value::as_f64);
    let (score, passed) = match kind.as_str() {
        "string_check" => {
            let (input, reference) = (text("input"), text("reference"));
            let passed = match criterion["operation"].as_str().unwrap_or("") {
                "eq" => input == reference,
                "ne" => input != reference,
                "like" => input.contains(&reference),
                "ilike" => input.to_lowercase().contains(&reference.to_lowercase()),
                other => return Err(format!("Unknown string_check operation '{other}'.")),
            };
            (if passed { 1.0 } else { 0.0 }, passed)
        }
        "text_similarity" => {
            let metric = criterion["evaluation_metric"].as_str().unwrap_or("");
            let score = metrics::score(metric, &text("input"), &text("reference"))
                .ok_or_else(|| format!("Unknown evaluation_metric '{metric}'."))?;
            (score, score >= threshold.unwrap_or(1.0))
        }
        "label_model" => {
            let labels = string_array(criterion.get("labels"));
            let passing = string_array(criterion.get("passing_labels"));
            let seen = render(&criterion["input"].to_string(), scope);
            let label = match labels.len() {
                0 => String::new(),
                n => labels[(fnv1a(&[seen.as_bytes()]) % n as u64) as usize].clone(),
            };
            let passed = passing.contains(&label);
            (if passed { 1.0 } else { 0.0 }, passed)
        }
        _ => {
            // score_model (in its `range`), python and multi: a score from what they read.
            let (low, high) = match criterion["range"].as_array().map(Vec::as_slice) {
                Some([low, high]) => (low.as_f64().unwrap_or(0.0), high.as_f64().unwrap_or(1.0)),
                _ => (0.0, 1.0),
            };
            let seen = render(&criterion.to_string(), scope);
            let unit = (fnv1a(&[seen.as_bytes()]) >> 11) as f64 / (1u64 << 53) as f64;
            let score = low + (high - low) * unit;
            (score, score >= threshold.unwrap_or((low + high) / 2.0))
        }
    };
    Ok(Verdict {
        name,
        kind,
        score,
        passed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_name_the_item_and_the_sample() {
        let sample = json!({"output": [{"role": "assistant", "content": "{\"n\": 4}"}]});
        let scope = scope(&json!({"q": "2+2", "tags": ["a", "b"]}), Some(&sample));
        assert_eq!(
            render("Q: {{item.q}} A: {{ sample.output_text }}", &scope),
            "Q: 2+2 A: {\"n\": 4}"
        );
        assert_eq!(
            render(
                "{{sample.output_json.n}} {{item.tags.1}}{{item.none}}",
                &scope
            ),
            "4 b"
        );
    }

    #[test]
    fn string_checks_have_their_semantics() {
        let scope = scope(&json!({"a": "Paris, France", "b": "paris"}), None);
        let check = |op: &str| {
            let criterion = json!({"type": "string_check", "name": "c", "input": "{{item.a}}", "reference": "{{item.b}}", "operation": op});
            grade(&criterion, &scope).unwrap().passed
        };
        assert!(!check("eq"));
        assert!(check("ne"));
        assert!(!check("like"));
        assert!(check("ilike"));
    }

    #[test]
    fn similarity_passes_at_the_threshold() {
        let scope = scope(
            &json!({"a": "the cat sat on the mat", "b": "the cat is on the mat"}),
            None,
        );
        let criterion = |t: f64| json!({"type": "text_similarity", "name": "s", "input": "{{item.a}}", "reference": "{{item.b}}", "evaluation_metric": "rouge_1", "pass_threshold": t});
        let verdict = grade(&criterion(0.8), &scope).unwrap();
        assert!((verdict.score - 5.0 / 6.0).abs() < 1e-9);
        assert!(verdict.passed);
        assert!(!grade(&criterion(0.9), &scope).unwrap().passed);
    }
}
