//! Project rate limits (`GET /organization/projects/{id}/rate_limits`): per model, listed
//! with the defaults until changed; a changed limit is stored and enforced at once for
//! the project's keys. [`LimitIndex`] keeps the enforced ones in memory for the hot path.

use super::{KeyEntry, KeyLimits, Org, ORG};
use crate::error::ApiError;
use crate::store::{Found, Object};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

/// The stored kind of a changed project rate limit.
pub const RATE_LIMIT: &str = "project.rate_limit";

/// The models a project's rate limits list, with their default requests and tokens per
/// minute.
pub const DEFAULT_LIMITS: &[(&str, u64, u64)] = &[
    ("gpt-4o", 10_000, 30_000_000),
    ("gpt-4o-mini", 30_000, 150_000_000),
    ("gpt-4.1", 10_000, 30_000_000),
    ("gpt-4.1-mini", 30_000, 150_000_000),
    ("o3", 10_000, 30_000_000),
    ("o4-mini", 30_000, 150_000_000),
    ("text-embedding-3-small", 10_000, 10_000_000),
    ("dall-e-3", 7_500, 0),
    ("tts-1", 10_000, 0),
    ("whisper-1", 10_000, 0),
];

/// The enforced (changed) limits by project and model.
#[derive(Debug, Default)]
pub struct LimitIndex {
    any: AtomicBool,
    by_project: RwLock<HashMap<(String, String), KeyLimits>>,
}

fn limits_of(body: &Value) -> KeyLimits {
    KeyLimits {
        rpm: body
            .get("max_requests_per_1_minute")
            .and_then(Value::as_u64),
        tpm: body
            .get("max_tokens_per_1_minute")
            .and_then(Value::as_u64)
            .filter(|t| *t > 0),
        burst: None,
    }
}

impl LimitIndex {
    pub(super) fn rebuild(&self, stored: &[std::sync::Arc<Object>]) {
        let map: HashMap<_, _> = stored
            .iter()
            .filter_map(|o| {
                let model = o.body.get("model")?.as_str()?.to_string();
                Some(((o.parent.clone()?, model), limits_of(&o.body)))
            })
            .collect();
        self.any.store(!map.is_empty(), Ordering::Relaxed);
        if let Ok(mut index) = self.by_project.write() {
            *index = map;
        }
    }

    fn set(&self, project: &str, model: &str, limits: KeyLimits) {
        if let Ok(mut index) = self.by_project.write() {
            index.insert((project.to_string(), model.to_string()), limits);
            self.any.store(true, Ordering::Relaxed);
        }
    }
}

/// The id of a project's rate limit for `model`.
pub fn rate_limit_id(model: &str) -> String {
    format!("rl-{model}")
}

fn default_body(model: &str, rpm: u64, tpm: u64) -> Value {
    json!({
        "object": RATE_LIMIT, "id": rate_limit_id(model), "model": model,
        "max_requests_per_1_minute": rpm, "max_tokens_per_1_minute": tpm,
        "max_requests_per_1_day": rpm * 1440,
    })
}

impl Org<'_> {
    /// The limits that apply to a request by `key` for `model`: the key's own (mock-only
    /// `rpm`/`tpm`/`burst`), else its project's changed limit for the model. `None` (the
    /// common case, one atomic read) when neither is set.
    pub fn limit_for(&self, key: &KeyEntry, model: &str) -> Option<KeyLimits> {
        if key.limits.rpm.is_some() || key.limits.tpm.is_some() {
            return Some(key.limits);
        }
        if !self.state.limits.any.load(Ordering::Relaxed) {
            return None;
        }
        let index = self.state.limits.by_project.read().ok()?;
        index
            .get(&(key.project_id.to_string(), model.to_string()))
            .copied()
    }

    /// A project's rate limits, per model: the defaults, with the changed ones stored.
    pub fn project_rate_limits(&self, project_id: &str) -> Vec<Value> {
        let changed = self.store.list(ORG, RATE_LIMIT, Some(project_id));
        let mut out: Vec<Value> = DEFAULT_LIMITS
            .iter()
            .map(|(model, rpm, tpm)| {
                changed
                    .iter()
                    .find(|o| o.body.get("model").and_then(Value::as_str) == Some(model))
                    .map_or_else(|| default_body(model, *rpm, *tpm), |o| o.body.clone())
            })
            .collect();
        for object in &changed {
            let model = object.body.get("model").and_then(Value::as_str);
            if !DEFAULT_LIMITS.iter().any(|(m, _, _)| Some(*m) == model) {
                out.push(object.body.clone());
            }
        }
        out
    }

    /// Changes a project's rate limit `rate_limit_id` (`rl-{model}`) with the fields of
    /// `changes` (`max_requests_per_1_minute`, ...), enforced at once, and records
    /// `rate_limit.updated`. The limit as changed.
    ///
    /// # Errors
    ///
    /// The store's 400 when it is full.
    pub fn update_project_rate_limit(
        &self,
        project_id: &str,
        rate_limit_id: &str,
        changes: &Value,
        actor_key_id: Option<&str>,
    ) -> Result<Value, ApiError> {
        let model = rate_limit_id.strip_prefix("rl-").unwrap_or(rate_limit_id);
        let stored_id = format!("{project_id}/{rate_limit_id}");
        let mut body = match self.store.get(ORG, RATE_LIMIT, &stored_id) {
            Found::Live(o) => o.body.clone(),
            _ => {
                let (rpm, tpm) = DEFAULT_LIMITS
                    .iter()
                    .find(|(m, _, _)| *m == model)
                    .map_or((10_000, 30_000_000), |(_, r, t)| (*r, *t));
                default_body(model, rpm, tpm)
            }
        };
        if let (Some(map), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
            for (field, value) in changes {
                map.insert(field.clone(), value.clone());
            }
        }
        let mut object = Object::new(RATE_LIMIT, &stored_id, body.clone());
        object.parent = Some(project_id.to_string());
        self.store.create(ORG, object)?;
        self.state.limits.set(project_id, model, limits_of(&body));
        self.record_audit(
            "rate_limit.updated",
            actor_key_id,
            Some(project_id),
            json!({"id": rate_limit_id, "changes_requested": changes}),
        );
        Ok(body)
    }
}
