//! `/moderations`: keyword-driven categories with plausible scores.
//!
//! Each of the thirteen categories has a short list of trigger words (matched as whole
//! lower-case words, or as word prefixes for stems like `kill`). An input that contains one
//! scores between 0.6 and 0.99 in that category, rising with the number of hits, and the
//! category is flagged from 0.5 up; a sub-category's hit also lifts its parent (`hate/
//! threatening` lifts `hate`). Everything else scores a tiny, stable background value below
//! 0.001, so benign text is never flagged.
//!
//! - A string or an array of strings gives one result per string.
//! - An array of `text` / `image_url` parts (for `omni-moderation` models) gives one result
//!   for the whole multimodal input. An image is judged by the words of its URL
//!   (`https://example.com/gore.png` reads as "gore"); a `data:` URL is benign.
//!   `category_applied_input_types` says which input types each category looked at: images
//!   only count for the categories the API checks on images (self-harm, sexual, violence).
//! - `text-moderation-*` models reject image inputs with a 400.

use crate::endpoints::endpoint::Endpoint;
use crate::error::ApiError;
use crate::generate::{fnv1a, Rng};
use crate::validate::ValidRequest;
use serde_json::{json, Map, Value};

/// Every category, in the API's order, with whether it applies to images and its trigger
/// stems (a trailing `*` matches any word starting with the stem).
const CATEGORIES: &[(&str, bool, &[&str])] = &[
    (
        "harassment",
        false,
        &["idiot", "stupid", "loser", "pathetic", "worthless", "moron"],
    ),
    (
        "harassment/threatening",
        false,
        &[
            "hunt you",
            "find where you live",
            "watch your back",
            "you will regret",
        ],
    ),
    (
        "hate",
        false,
        &["subhuman", "vermin", "inferior race", "hate all"],
    ),
    (
        "hate/threatening",
        false,
        &["exterminate them", "wipe them out", "purge them"],
    ),
    (
        "illicit",
        false,
        &[
            "counterfeit*",
            "launder*",
            "shoplift*",
            "smuggl*",
            "meth",
            "cocaine",
            "heroin",
        ],
    ),
    (
        "illicit/violent",
        false,
        &[
            "build a bomb",
            "make a bomb",
            "pipe bomb",
            "untraceable gun",
        ],
    ),
    (
        "self-harm",
        true,
        &["self-harm", "suicide", "suicidal", "cutting myself"],
    ),
    (
        "self-harm/intent",
        true,
        &["kill myself", "end my life", "want to die", "hurt myself"],
    ),
    (
        "self-harm/instructions",
        true,
        &[
            "how to kill myself",
            "ways to hurt myself",
            "painless way to die",
        ],
    ),
    (
        "sexual",
        true,
        &["porn*", "nude*", "naked", "explicit sex", "xxx"],
    ),
    (
        "sexual/minors",
        false,
        &["underage sex", "child porn*", "minor nude*"],
    ),
    (
        "violence",
        true,
        &[
            "kill*",
            "murder*",
            "stab*",
            "shoot you",
            "shoot them",
            "assault*",
            "beat you",
            "tortur*",
        ],
    ),
    (
        "violence/graphic",
        true,
        &[
            "gore",
            "gory",
            "dismember*",
            "mutilat*",
            "decapitat*",
            "blood everywhere",
        ],
    ),
];

/// The score from which a category is flagged.
pub const FLAG_THRESHOLD: f64 = 0.5;

/// One moderation input: its text and the input types it was built from.
struct Input {
    text: String,
    has_text: bool,
    has_image: bool,
}

/// `POST /moderations`.
pub const ENDPOINT: Endpoint = Endpoint {
    ops: &["createModeration"],
    check: |call| check(call.request),
    shape: |call, answer, _| shape(call.request, answer),
    ..Endpoint::GENERIC
};

/// Rejects image inputs for the text-only moderation models.
pub fn check(request: &ValidRequest) -> Result<(), ApiError> {
    let model = model(request);
    let has_image = inputs(&request.body).iter().any(|input| input.has_image);
    if has_image && !model.starts_with("omni-moderation") {
        return Err(ApiError::invalid_request(format!(
            "Image inputs are not supported by the model `{model}`; use an omni-moderation \
             model such as omni-moderation-latest."
        ))
        .with_param("input"));
    }
    Ok(())
}

fn model(request: &ValidRequest) -> &str {
    request
        .body_str("model")
        .unwrap_or("omni-moderation-latest")
}

/// Replaces the generated results with one judged result per input.
pub fn shape(request: &ValidRequest, answer: &mut Value) {
    let results: Vec<Value> = inputs(&request.body).iter().map(judge).collect();
    if let Value::Object(object) = answer {
        object.insert("model".into(), json!(model(request)));
        object.insert("results".into(), Value::Array(results));
    }
}

fn inputs(body: &Value) -> Vec<Input> {
    let text = |text: &str| Input {
        text: text.to_string(),
        has_text: true,
        has_image: false,
    };
    match body.get("input") {
        Some(Value::String(s)) => vec![text(s)],
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .map(|item| text(item.as_str().unwrap_or_default()))
            .collect(),
        Some(Value::Array(parts)) => {
            let mut combined = Input {
                text: String::new(),
                has_text: false,
                has_image: false,
            };
            for part in parts {
                if let Some(t) = part.get("text").and_then(Value::as_str) {
                    combined.has_text = true;
                    combined.text.push_str(t);
                    combined.text.push('\n');
                }
                if let Some(url) = part.pointer("/image_url/url").and_then(Value::as_str) {
                    combined.has_image = true;
                    if !url.starts_with("data:") {
                        combined
                            .text
                            .push_str(&url.replace(['/', '-', '_', '.'], " "));
                        combined.text.push('\n');
                    }
                }
            }
            vec![combined]
        }
        _ => Vec::new(),
    }
}

/// The moderation result for one input.
fn judge(input: &Input) -> Value {
    let lower = input.text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let normalised = format!(" {} ", words.join(" "));
    let mut rng = Rng::new(fnv1a(&[b"moderation", lower.as_bytes()]));
    let mut scores: Vec<f64> = CATEGORIES
        .iter()
        .map(|(_, _, triggers)| {
            let hits = triggers
                .iter()
                .filter(|trigger| matches(trigger, &normalised, &words))
                .count();
            let jitter = (rng.next_u64() % 1000) as f64 / 1000.0;
            if hits == 0 {
                // A stable background between 1e-6 and 1e-3.
                10f64.powf(-6.0 + 3.0 * jitter)
            } else {
                (0.99 - 0.3 / hits as f64 - 0.05 * jitter).max(0.6)
            }
        })
        .collect();
    // A sub-category's hit lifts its parent at least as high.
    for i in 0..CATEGORIES.len() {
        if let Some((parent, _)) = CATEGORIES[i].0.split_once('/') {
            if let Some(p) = CATEGORIES.iter().position(|(name, _, _)| *name == parent) {
                scores[p] = scores[p].max(scores[i]);
            }
        }
    }
    let mut categories = Map::new();
    let mut category_scores = Map::new();
    let mut applied = Map::new();
    for ((name, images, _), score) in CATEGORIES.iter().zip(&scores) {
        categories.insert((*name).into(), json!(*score >= FLAG_THRESHOLD));
        category_scores.insert((*name).into(), json!(round(*score)));
        let mut types = Vec::new();
        if input.has_text {
            types.push("text");
        }
        if input.has_image && *images {
            types.push("image");
        }
        applied.insert((*name).into(), json!(types));
    }
    json!({
        "flagged": scores.iter().any(|s| *s >= FLAG_THRESHOLD),
        "categories": categories,
        "category_scores": category_scores,
        "category_applied_input_types": applied,
    })
}

fn matches(trigger: &str, normalised: &str, words: &[&str]) -> bool {
    match trigger.strip_suffix('*') {
        Some(stem) => words.iter().any(|w| w.starts_with(stem)),
        None if trigger.contains(' ') => normalised.contains(&format!(" {trigger} ")),
        None => words.contains(&trigger),
    }
}

/// Six significant digits, like the real scores.
fn round(score: f64) -> f64 {
    if score == 0.0 {
        return 0.0;
    }
    let digits = 6 - score.abs().log10().ceil() as i32;
    let factor = 10f64.powi(digits);
    (score * factor).round() / factor
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Input {
        Input {
            text: t.into(),
            has_text: true,
            has_image: false,
        }
    }

    #[test]
    fn benign_text_is_not_flagged() {
        let result = judge(&text("What a lovely day for a picnic in the park."));
        assert_eq!(result["flagged"], false);
        for (_, score) in result["category_scores"].as_object().unwrap() {
            assert!(score.as_f64().unwrap() < 0.001);
        }
    }

    #[test]
    fn sub_category_hits_lift_the_parent() {
        let result = judge(&text("I want to end my life"));
        assert_eq!(result["categories"]["self-harm/intent"], true);
        assert_eq!(result["categories"]["self-harm"], true);
        assert_eq!(result["categories"]["violence"], false);
    }
}
