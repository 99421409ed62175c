//! The simulated training run: reading a training file (examples, tokens, the real API's
//! refusals), choosing concrete hyperparameters for `"auto"`, and the metrics of every step
//! (loss falling, accuracy rising, reproducibly from the job's seed).

use crate::generate::Rng;
use crate::services::conversation::content_text;
use crate::services::tokens::Encoding;
use serde_json::{json, Value};

/// The fewest examples a training file may have.
pub const MIN_EXAMPLES: usize = 10;

/// Why a job fails: its `error` object.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// `invalid_training_file`, `invalid_n_examples`, ...
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// The request field at fault (`training_file`, `validation_file`).
    pub param: &'static str,
}

impl Failure {
    /// The job's `error` object.
    pub fn to_json(&self) -> Value {
        json!({"code": self.code, "message": self.message, "param": self.param})
    }
}

/// What a training (or validation) file holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Examples {
    /// Number of examples (non-empty lines).
    pub count: usize,
    /// Tokens of all examples, counted with the base model's tokenizer.
    pub tokens: u64,
}

/// Reads the examples of `bytes` for `method` (`supervised`, `dpo`, `reinforcement`),
/// counting tokens for `model`; `param` names the file in a failure.
pub fn read(
    bytes: &[u8],
    method: &str,
    model: &str,
    param: &'static str,
) -> Result<Examples, Failure> {
    let which = if param == "validation_file" {
        "Validation"
    } else {
        "Training"
    };
    let fail = |message: String| Failure {
        code: if param == "validation_file" {
            "invalid_validation_file"
        } else {
            "invalid_training_file"
        },
        message,
        param,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|_| fail(format!("{which} file is not valid UTF-8 text.")))?;
    let encoding = Encoding::for_model(model);
    let mut examples = Examples {
        count: 0,
        tokens: 0,
    };
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let value: Value = serde_json::from_str(line).map_err(|_| {
            fail(format!(
                "Invalid file format. Line {number} of the {} file is not valid JSON.",
                which.to_lowercase()
            ))
        })?;
        let tokens = example_tokens(&value, method, encoding).ok_or_else(|| {
            fail(format!(
                "Invalid file format. Line {number}, {}",
                expected_format(method)
            ))
        })?;
        examples.count += 1;
        examples.tokens += tokens;
    }
    if param == "training_file" && examples.count < MIN_EXAMPLES {
        return Err(Failure {
            code: "invalid_n_examples",
            message: format!(
                "Training file has {} example(s), but must have at least {MIN_EXAMPLES} \
                 examples",
                examples.count
            ),
            param,
        });
    }
    if examples.count == 0 {
        return Err(fail(format!("{which} file has no examples.")));
    }
    Ok(examples)
}

fn expected_format(method: &str) -> &'static str {
    match method {
        "dpo" => {
            "example is not in the preference format: expected `input` (with `messages`), \
             `preferred_output` and `non_preferred_output`."
        }
        _ => {
            "example is not chat-formatted: expected a `messages` array of {role, content} \
             objects with at least one message with role `assistant`."
        }
    }
}

/// The tokens of one example, or `None` when it is not in `method`'s format.
fn example_tokens(example: &Value, method: &str, encoding: Encoding) -> Option<u64> {
    let messages = |value: Option<&Value>| -> Option<Vec<Value>> {
        let list = value?.as_array()?;
        let valid = !list.is_empty()
            && list
                .iter()
                .all(|m| m.get("role").and_then(Value::as_str).is_some());
        valid.then(|| list.clone())
    };
    let count = |list: &[Value]| -> u64 {
        let body: usize = list
            .iter()
            .map(|m| {
                let role = m.get("role").and_then(Value::as_str).unwrap_or("");
                3 + encoding.count(role) + encoding.count(&content_text(m.get("content")))
            })
            .sum();
        (body + 3) as u64
    };
    match method {
        "dpo" => {
            let input = messages(example.get("input").and_then(|i| i.get("messages")))?;
            let preferred = messages(example.get("preferred_output"))?;
            let other = messages(example.get("non_preferred_output"))?;
            Some(count(&input) + count(&preferred) + count(&other))
        }
        "reinforcement" => messages(example.get("messages")).map(|m| count(&m)),
        _ => {
            let list = messages(example.get("messages"))?;
            let answers = list
                .iter()
                .any(|m| m.get("role").and_then(Value::as_str) == Some("assistant"));
            answers.then(|| count(&list))
        }
    }
}

/// Concrete hyperparameters: what the request set, and a choice for each `"auto"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hyperparameters {
    /// Passes over the training file.
    pub n_epochs: u64,
    /// Examples per step.
    pub batch_size: u64,
    /// Scale of the learning rate.
    pub learning_rate_multiplier: f64,
    /// DPO's penalty weight (DPO only).
    pub beta: Option<f64>,
}

impl Hyperparameters {
    /// Resolves `requested` (a hyperparameters object, possibly with `"auto"`s) for a file
    /// of `examples` examples and `method`.
    pub fn choose(requested: Option<&Value>, examples: usize, method: &str) -> Hyperparameters {
        let field = |name: &str| {
            requested
                .and_then(|h| h.get(name))
                .filter(|v| v.is_number())
        };
        let examples = examples.max(1) as u64;
        // Aim at three epochs, but at least about 100 and at most 25,000 examples seen.
        let auto_epochs = if examples * 3 < 100 {
            (100 / examples).clamp(1, 25)
        } else if examples * 3 > 25_000 {
            (25_000 / examples).max(1)
        } else {
            3
        };
        let n_epochs = field("n_epochs")
            .and_then(Value::as_u64)
            .unwrap_or(auto_epochs);
        let batch_size = field("batch_size")
            .and_then(Value::as_u64)
            .unwrap_or_else(|| (examples / 500).clamp(1, 256));
        let auto_rate = if batch_size <= 4 { 1.8 } else { 1.0 };
        let learning_rate_multiplier = field("learning_rate_multiplier")
            .and_then(Value::as_f64)
            .unwrap_or(auto_rate);
        let beta = (method == "dpo").then(|| field("beta").and_then(Value::as_f64).unwrap_or(0.1));
        Hyperparameters {
            n_epochs: n_epochs.max(1),
            batch_size: batch_size.max(1),
            learning_rate_multiplier,
            beta,
        }
    }

    /// The job's top-level `hyperparameters`.
    pub fn to_json(&self) -> Value {
        json!({
            "n_epochs": self.n_epochs,
            "batch_size": self.batch_size,
            "learning_rate_multiplier": self.learning_rate_multiplier,
        })
    }

    /// The hyperparameters under `method.<type>`: the common ones, DPO's `beta`, and the
    /// reinforcement ones the request set (or their `"auto"`/default values).
    pub fn for_method(&self, method: &str, requested: Option<&Value>) -> Value {
        let mut out = self.to_json();
        if let (Some(beta), Some(map)) = (self.beta, out.as_object_mut()) {
            map.insert("beta".into(), json!(beta));
        }
        if method == "reinforcement" {
            let get = |name: &str, default: Value| {
                requested
                    .and_then(|h| h.get(name))
                    .cloned()
                    .unwrap_or(default)
            };
            if let Some(map) = out.as_object_mut() {
                map.insert(
                    "reasoning_effort".into(),
                    get("reasoning_effort", json!("default")),
                );
                for name in ["compute_multiplier", "eval_interval", "eval_samples"] {
                    map.insert(name.into(), get(name, json!("auto")));
                }
            }
        }
        out
    }
}

/// The metrics of one training step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// 1-based step number.
    pub step: u64,
    /// Training loss.
    pub train_loss: f64,
    /// Mean token accuracy on the training batch.
    pub train_accuracy: f64,
    /// Validation loss and accuracy, when there is a validation file.
    pub valid: Option<(f64, f64)>,
}

/// The metrics of `total` steps: loss falls and accuracy rises with a little noise drawn
/// from `rng`.
pub fn steps(total: u64, validation: bool, rng: &mut Rng) -> Vec<Step> {
    let mut jitter = |scale: f64| (rng.below(2001) as f64 / 1000.0 - 1.0) * scale;
    (1..=total)
        .map(|step| {
            let progress = step as f64 / total.max(1) as f64;
            let decay = (-4.0 * progress).exp();
            let train_loss = round(0.12 + 1.9 * decay + jitter(0.06)).max(0.0);
            let train_accuracy = round(0.5 + 0.45 * (1.0 - decay) + jitter(0.03)).clamp(0.0, 1.0);
            let valid = validation.then(|| {
                (
                    round(train_loss + 0.04 + jitter(0.03)).max(0.0),
                    round(train_accuracy - 0.02 + jitter(0.02)).clamp(0.0, 1.0),
                )
            });
            Step {
                step,
                train_loss,
                train_accuracy,
                valid,
            }
        })
        .collect()
}

fn round(x: f64) -> f64 {
    (x * 100_000.0).round() / 100_000.0
}

/// The result file: one CSV row of metrics per step, as the real `step_metrics.csv`.
pub fn csv(steps: &[Step]) -> String {
    let mut out =
        String::from("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n");
    for s in steps {
        let (valid_loss, valid_accuracy) =
            s.valid.map_or((String::new(), String::new()), |(l, a)| {
                (l.to_string(), a.to_string())
            });
        out.push_str(&format!(
            "{},{},{},{valid_loss},{valid_accuracy}\n",
            s.step, s.train_loss, s.train_accuracy
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat_line() -> String {
        r#"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}"#
            .to_string()
    }

    #[test]
    fn ten_chat_examples_are_read_and_counted() {
        let file = vec![chat_line(); 10].join("\n");
        let examples = read(
            file.as_bytes(),
            "supervised",
            "gpt-4o-mini",
            "training_file",
        )
        .unwrap();
        assert_eq!(examples.count, 10);
        assert!(examples.tokens > 10 * 6, "{}", examples.tokens);
    }

    #[test]
    fn too_few_examples_or_a_bad_line_fail_like_the_real_api() {
        let file = vec![chat_line(); 3].join("\n");
        let failure = read(
            file.as_bytes(),
            "supervised",
            "gpt-4o-mini",
            "training_file",
        )
        .unwrap_err();
        assert_eq!(failure.code, "invalid_n_examples");
        assert_eq!(
            failure.message,
            "Training file has 3 example(s), but must have at least 10 examples"
        );
        let mut lines = vec![chat_line(); 10];
        lines[4] = r#"{"prompt":"x","completion":"y"}"#.into();
        let failure = read(
            lines.join("\n").as_bytes(),
            "supervised",
            "gpt-4o-mini",
            "training_file",
        )
        .unwrap_err();
        assert_eq!(failure.code, "invalid_training_file");
        assert!(failure.message.contains("Line 5"), "{}", failure.message);
    }

    #[test]
    fn auto_hyperparameters_follow_the_example_count() {
        let small = Hyperparameters::choose(None, 10, "supervised");
        assert_eq!((small.n_epochs, small.batch_size), (10, 1));
        let large = Hyperparameters::choose(None, 20_000, "dpo");
        assert_eq!((large.n_epochs, large.batch_size), (1, 40));
        assert_eq!(large.beta, Some(0.1));
        let set = Hyperparameters::choose(Some(&json!({"n_epochs": 2})), 10, "supervised");
        assert_eq!(set.n_epochs, 2);
    }

    #[test]
    fn loss_falls_over_the_run() {
        let run = steps(50, true, &mut Rng::new(3));
        assert!(run[49].train_loss < run[0].train_loss);
        assert!(run[49].valid.is_some());
        assert_eq!(csv(&run).lines().count(), 51);
    }
}
