//! `/models`: the model ids the spec knows, retrieval, and deleting fine-tuned models.
//!
//! The list is computed from the spec itself, so it stays complete when the spec is
//! refreshed: every string `enum` value of a model-id schema (a component whose name
//! contains `Model`, such as `ModelIdsShared` or `VideoModel`, outside its `properties`) and
//! of every `model` property of a component (`CreateEmbeddingRequest.model`, ...).
//!
//! - `GET /models` lists them all, sorted by id, then the fine-tuned models of the caller's
//!   namespace (those whose job has succeeded and that were not deleted).
//! - `GET /models/{model}` answers for a listed id or a fine-tuned id (`ft:...`); any other id
//!   is a 404 `model_not_found`, worded like the real API.
//! - `DELETE /models/{model}` deletes a fine-tuned model; a base model cannot be deleted (403)
//!   and an unknown one is a 404.
//! - A fine-tuned model is looked up in the namespace ([`check_access`], which chat
//!   completions and Responses use too): one this namespace trained exists once its job has
//!   succeeded; a deleted one, or one whose job has not succeeded, is a 404; an `ft:` id no
//!   job of the namespace names is accepted under lenient ids (the SDK suites use made-up
//!   ones) and a 404 under `--strict-ids`.
//! - `created` is the date in the id when it carries one (`gpt-4o-2024-08-06`), otherwise a
//!   fixed date derived from the id, so answers are stable across requests.

use crate::catalog::Catalog;
use crate::endpoints::endpoint::{Call, Endpoint};
use crate::endpoints::fine_tuning::registry::{self, ModelState};
use crate::error::ApiError;
use crate::generate::fnv1a;
use crate::validate::ValidRequest;
use bytes::Bytes;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Every model id named by the catalog's model enums, sorted and without duplicates.
pub fn known_ids(catalog: &Catalog) -> Cow<'static, [String]> {
    match known(catalog) {
        Cow::Borrowed(known) => Cow::Borrowed(known.ids.as_slice()),
        Cow::Owned(known) => Cow::Owned(known.ids),
    }
}

/// What the catalog's model enums give: the ids, and the `listModels` answer listing them,
/// as a value and serialised.
#[derive(Clone)]
struct Known {
    ids: Vec<String>,
    list: Value,
    list_bytes: Bytes,
}

impl Known {
    fn of(catalog: &Catalog) -> Known {
        let ids = collect_ids(catalog);
        let data: Vec<Value> = ids.iter().map(|id| model(id)).collect();
        let list = json!({"object": "list", "data": data});
        let list_bytes = Bytes::from(serde_json::to_vec(&list).unwrap_or_default());
        Known {
            ids,
            list,
            list_bytes,
        }
    }
}

/// [`Known`] for `catalog`, computed once for the first catalog asked about.
fn known(catalog: &Catalog) -> Cow<'static, Known> {
    static CACHE: OnceLock<(usize, Known)> = OnceLock::new();
    let address = catalog as *const Catalog as usize;
    let (cached_for, known) = CACHE.get_or_init(|| (address, Known::of(catalog)));
    if *cached_for == address {
        Cow::Borrowed(known)
    } else {
        // Another catalog than the first one asked about: compute without caching.
        Cow::Owned(Known::of(catalog))
    }
}

fn collect_ids(catalog: &Catalog) -> Vec<String> {
    let mut ids = BTreeSet::new();
    if let Some(components) = catalog
        .schemas
        .root()
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in components {
            collect_enums(schema, name.contains("Model"), &mut ids);
        }
    }
    ids.into_iter().collect()
}

/// Walks `schema`; `is_model` says whether an `enum` found here lists model ids.
fn collect_enums(schema: &Value, is_model: bool, ids: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                match key.as_str() {
                    "enum" if is_model => {
                        for id in value.as_array().into_iter().flatten() {
                            if let Some(id) = id.as_str().filter(|id| looks_like_model_id(id)) {
                                ids.insert(id.to_string());
                            }
                        }
                    }
                    "properties" => {
                        for (property, inner) in value.as_object().into_iter().flatten() {
                            collect_enums(inner, property == "model", ids);
                        }
                    }
                    _ => collect_enums(value, is_model, ids),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_enums(item, is_model, ids);
            }
        }
        _ => {}
    }
}

/// Whether an enum value of a model schema names a model: not a bare date (`2026-10-08`, a
/// snapshot suffix listed on its own) nor a choice such as `auto`.
fn looks_like_model_id(id: &str) -> bool {
    !id.is_empty()
        && id != "auto"
        && id.chars().any(|c| c.is_ascii_alphabetic())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'))
}

/// Whether `id` names a fine-tuned model (`ft:gpt-4o-mini:org::abc123`).
pub fn is_fine_tuned(id: &str) -> bool {
    id.strip_prefix("ft:").is_some_and(|rest| !rest.is_empty())
}

/// The 404 the real API gives for a model it does not have.
pub fn not_found(id: &str) -> ApiError {
    ApiError::invalid_request(format!(
        "The model `{id}` does not exist or you do not have access to it."
    ))
    .with_status(404)
    .with_code("model_not_found")
}

/// Refuses a fine-tuned `model` this namespace cannot use (deleted, not trained yet, or
/// unknown under strict ids) with the real 404; any other model passes.
pub fn check_access(call: &Call, model: &str) -> Result<(), ApiError> {
    if !is_fine_tuned(model) {
        return Ok(());
    }
    match registry::model_state(call.store, call.namespace, model) {
        ModelState::Ready(_) => Ok(()),
        ModelState::Unknown if !call.store.settings.strict_ids => Ok(()),
        _ => Err(not_found(model)),
    }
}

/// [`check_access`] for the `model` of a request body.
pub fn check_body_model(call: &Call) -> Result<(), ApiError> {
    match call.request.body_str("model") {
        Some(model) => check_access(call, model),
        None => Ok(()),
    }
}

/// `GET /models`: every known model, sorted by id, then the namespace's fine-tuned models.
pub const LIST: Endpoint = Endpoint {
    ops: &["listModels"],
    // The known models alone, as bytes serialised once, while the namespace has no
    // fine-tuned model of its own.
    prebuilt: |call| {
        if !registry::ready_models(call.store, call.namespace).is_empty() {
            return None;
        }
        Some(known(call.catalog).list_bytes.clone())
    },
    shape: |call, answer, _| {
        *answer = match known(call.catalog) {
            Cow::Borrowed(known) => known.list.clone(),
            Cow::Owned(known) => known.list,
        };
        let tuned = registry::ready_models(call.store, call.namespace);
        if let Some(data) = answer.get_mut("data").and_then(Value::as_array_mut) {
            data.extend(tuned.iter().map(registry::model_object));
        }
    },
    ..Endpoint::GENERIC
};

/// `GET /models/{model}`: a known or fine-tuned model, else 404.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["retrieveModel"],
    check: |call| match model_param(call.request) {
        Some(id) if is_fine_tuned(id) => check_access(call, id),
        Some(id) if !is_known(call.catalog, id) => Err(not_found(id)),
        _ => Ok(()),
    },
    shape: |call, answer, _| {
        if let Some(id) = model_param(call.request) {
            *answer = match registry::model_state(call.store, call.namespace, id) {
                ModelState::Ready(job) => registry::model_object(&job),
                _ => model(id),
            };
        }
    },
    ..Endpoint::GENERIC
};

/// `DELETE /models/{model}`: fine-tuned models only; a base model is a 403, an unknown one
/// a 404.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteModel"],
    check: |call| match model_param(call.request) {
        Some(id) if is_fine_tuned(id) => check_access(call, id),
        Some(id) if is_known(call.catalog, id) => Err(ApiError::invalid_request(format!(
            "You cannot delete the model `{id}`: only fine-tuned models owned by your \
             organization can be deleted."
        ))
        .with_status(403)
        .with_code("model_not_deletable")),
        Some(id) => Err(not_found(id)),
        None => Ok(()),
    },
    shape: |call, answer, _| {
        if let Some(id) = model_param(call.request) {
            // Only a model this namespace trained is deleted (then 404 everywhere); a made-up
            // `ft:` id under lenient ids is answered without leaving a tombstone.
            if let ModelState::Ready(_) = registry::model_state(call.store, call.namespace, id) {
                call.store.tombstone(call.namespace, registry::MODEL, id);
            }
            *answer = json!({"id": id, "object": "model", "deleted": true});
        }
    },
    ..Endpoint::GENERIC
};

/// Whether the catalog's model enums name `id`.
fn is_known(catalog: &Catalog, id: &str) -> bool {
    known_ids(catalog)
        .binary_search_by(|m| m.as_str().cmp(id))
        .is_ok()
}

fn model_param(request: &ValidRequest) -> Option<&str> {
    request
        .path
        .iter()
        .find(|(name, _)| name == "model")
        .map(|(_, value)| value.as_str())
}

/// The `Model` object for `id`.
fn model(id: &str) -> Value {
    let owned_by = if is_fine_tuned(id) {
        // ft:<base>:<organization>:<suffix>:<job>
        id.split(':')
            .nth(2)
            .filter(|org| !org.is_empty())
            .unwrap_or("user")
    } else if id.starts_with("gpt-3.5") || id.starts_with("gpt-4-") || id == "gpt-4" {
        "openai"
    } else {
        "system"
    };
    json!({"id": id, "object": "model", "created": created(id), "owned_by": owned_by})
}

/// The release time of `id`: the `YYYY-MM-DD` it ends with, else a stable day in 2023-2025.
fn created(id: &str) -> i64 {
    let base = id.strip_prefix("ft:").unwrap_or(id);
    let base = base.split(':').next().unwrap_or(base);
    let dated = base
        .len()
        .checked_sub(10)
        .and_then(|start| base.get(start..))
        .and_then(parse_date);
    match dated {
        Some(days) => days * 86_400,
        None => {
            let first_day = days_from_civil(2023, 1, 1);
            let span = (days_from_civil(2025, 12, 31) - first_day) as u64;
            (first_day + (fnv1a(&[base.as_bytes()]) % span) as i64) * 86_400
        }
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` string.
fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    let valid =
        (2015..=2100).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day);
    valid.then(|| days_from_civil(year, month, day))
}

/// Days since the Unix epoch of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_ids_are_created_on_their_date() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(created("gpt-4o-2024-08-06"), 1_722_902_400);
        assert_eq!(created("ft:gpt-4o-2024-08-06:acme::abc"), 1_722_902_400);
        assert_eq!(created("gpt-4o"), created("gpt-4o"));
    }

    #[test]
    fn only_model_names_are_listed() {
        let catalog = Catalog::embedded();
        let ids = known_ids(&catalog);
        assert!(ids.iter().any(|id| id == "gpt-4o"));
        assert!(!ids.iter().any(|id| id == "auto"));
        assert!(ids
            .iter()
            .all(|id| id.chars().any(|c| c.is_ascii_alphabetic())));
    }

    #[test]
    fn fine_tuned_models_are_owned_by_their_organization() {
        assert_eq!(
            model("ft:gpt-4o-mini:acemeco:suffix:abc123")["owned_by"],
            "acemeco"
        );
        assert!(!is_fine_tuned("ft:"));
    }
}
