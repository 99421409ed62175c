//! Lifecycles in real time without a thread per object: background work (a batch, a vector
//! store's ingestion, a fine-tuning job) is stored as its body plus a timeline of
//! [`Stage`]s, each a patch that applies from its moment on. What a client sees is
//! [`view`]: the body with every stage that has begun merged in, so status, timestamps and
//! counts always change together. Cancelling replaces the stages still to come.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

/// One step of a lifecycle: from `at_ms` (Unix milliseconds) on, `patch` is merged into the
/// body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// When the stage begins.
    pub at_ms: u64,
    /// The fields it sets (objects are merged key by key, other values replace).
    pub patch: Value,
}

/// The key under an object's `extra` where its stages are kept.
pub const STAGES: &str = "stages";

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The stages kept in an object's `extra`.
pub fn stages(extra: &Value) -> Vec<Stage> {
    extra
        .get(STAGES)
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_default()
}

/// Stores `stages` in `extra`.
pub fn set_stages(extra: &mut Value, stages: &[Stage]) {
    if !extra.is_object() {
        *extra = Value::Object(serde_json::Map::new());
    }
    if let (Some(map), Ok(value)) = (extra.as_object_mut(), serde_json::to_value(stages)) {
        map.insert(STAGES.to_string(), value);
    }
}

/// `body` as of `now_ms`: every stage that has begun, merged in order.
///
/// ```
/// use openai_mock::store::lifecycle::{view, Stage};
/// use serde_json::json;
///
/// let body = json!({"status": "validating", "request_counts": {"total": 2, "completed": 0}});
/// let stages = [
///     Stage { at_ms: 100, patch: json!({"status": "in_progress"}) },
///     Stage { at_ms: 200, patch: json!({"status": "completed", "request_counts": {"completed": 2}}) },
/// ];
/// assert_eq!(view(&body, &stages, 150)["status"], "in_progress");
/// let done = view(&body, &stages, 250);
/// assert_eq!(done["status"], "completed");
/// assert_eq!(done["request_counts"], json!({"total": 2, "completed": 2}));
/// ```
pub fn view(body: &Value, stages: &[Stage], now_ms: u64) -> Value {
    let mut out = body.clone();
    for stage in stages.iter().filter(|s| s.at_ms <= now_ms) {
        merge(&mut out, &stage.patch);
    }
    out
}

/// Milliseconds until the next stage begins, for `openai-poll-after-ms`; `None` when the
/// lifecycle is over.
pub fn next_in_ms(stages: &[Stage], now_ms: u64) -> Option<u64> {
    stages
        .iter()
        .filter(|s| s.at_ms > now_ms)
        .map(|s| s.at_ms - now_ms)
        .min()
}

/// Merges `patch` into `target`: objects key by key, anything else replaces.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value)
                    }
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// Stages evenly spread over `total_ms` from `start_ms`: the `i`-th of `n` patches begins at
/// `start_ms + total_ms * (i + 1) / n`.
pub fn spread(start_ms: u64, total_ms: u64, patches: Vec<Value>) -> Vec<Stage> {
    let n = patches.len().max(1) as u64;
    patches
        .into_iter()
        .enumerate()
        .map(|(i, patch)| Stage {
            at_ms: start_ms + total_ms * (i as u64 + 1) / n,
            patch,
        })
        .collect()
}
