//! `POST /fine_tuning/jobs`: the checks the real API makes before it accepts a job (a
//! fine-tunable model; training and validation files of this namespace with purpose
//! `fine-tune`), and the job with its whole timeline, decided at creation. The job echoes
//! the request's `method`, `validation_file`, `integrations` and `metadata` only where they
//! are valid in a job (`generate::echo_fits`): a reinforcement method without its grader
//! is shown by its type alone.

use super::registry::{self, ModelState, Timed, CHECKPOINTS, EVENTS, JOB, YIELDS};
use super::schedule::{schedule, Run, Training};
use super::training::{self, Failure, Hyperparameters};
use crate::endpoints::files;
use crate::endpoints::stored::set;
use crate::endpoints::Call;
use crate::error::ApiError;
use crate::generate::{echo_fits, fnv1a, new_id, new_id_of_length, Generator, Rng};
use crate::store::lifecycle::{self, now_ms};
use crate::store::{Found, Object};
use serde_json::{json, Value};

/// The organization segment of fine-tuned model names, as for a personal account.
const ORG_SEGMENT: &str = "personal";

/// The snapshot a fine-tunable base model trains (`gpt-4o-mini` → `gpt-4o-mini-2024-07-18`);
/// `None` when the model cannot be fine-tuned.
pub fn snapshot(model: &str) -> Option<&'static str> {
    Some(match model {
        "gpt-4o-mini" | "gpt-4o-mini-2024-07-18" => "gpt-4o-mini-2024-07-18",
        "gpt-4o" | "gpt-4o-2024-08-06" => "gpt-4o-2024-08-06",
        "gpt-4.1" | "gpt-4.1-2025-04-14" => "gpt-4.1-2025-04-14",
        "gpt-4.1-mini" | "gpt-4.1-mini-2025-04-14" => "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano" | "gpt-4.1-nano-2025-04-14" => "gpt-4.1-nano-2025-04-14",
        "o4-mini" | "o4-mini-2025-04-16" => "o4-mini-2025-04-16",
        "gpt-3.5-turbo" | "gpt-3.5-turbo-0125" => "gpt-3.5-turbo-0125",
        "gpt-3.5-turbo-1106" => "gpt-3.5-turbo-1106",
        "gpt-3.5-turbo-0613" => "gpt-3.5-turbo-0613",
        "gpt-4-0613" => "gpt-4-0613",
        "babbage-002" => "babbage-002",
        "davinci-002" => "davinci-002",
        _ => return None,
    })
}

/// The organization id of a namespace: stable, in the real `org-…` shape.
pub fn organization_id(namespace: &str) -> String {
    format!(
        "org-{}",
        Rng::new(fnv1a(&[namespace.as_bytes()])).alphanumeric(24)
    )
}

/// The model a job trains: a base model's snapshot, or a fine-tuned model of this namespace
/// (continued training); the real API's 400 otherwise.
fn base_model(call: &Call, model: &str) -> Result<String, ApiError> {
    let refuse = || {
        ApiError::invalid_request(format!(
            "Model {model} is not available for fine-tuning or does not exist."
        ))
        .with_param("model")
        .with_code("model_not_available")
    };
    if let Some(snapshot) = snapshot(model) {
        return Ok(snapshot.to_string());
    }
    let Some(rest) = model.strip_prefix("ft:") else {
        return Err(refuse());
    };
    let usable = match registry::model_state(call.store, call.namespace, model) {
        ModelState::Ready(_) => true,
        ModelState::Unknown => !call.store.settings.strict_ids,
        ModelState::Deleted | ModelState::NotReady => false,
    };
    match rest.split(':').next().and_then(snapshot) {
        Some(base) if usable => Ok(base.to_string()),
        _ => Err(refuse()),
    }
}

/// The stored file named by body field `param`: `Ok(None)` when unknown and lenient; the
/// real 404 when deleted or strict; a 400 when its purpose is not `fine-tune`.
fn file_of(call: &Call, param: &str) -> Result<Option<Object>, ApiError> {
    let Some(id) = call.request.body_str(param) else {
        return Ok(None);
    };
    let found = call
        .store
        .lookup(call.namespace, files::KIND, id, "File")
        .map_err(|e| e.with_param(param))?;
    let Some(file) = found else {
        return Ok(None);
    };
    let purpose = file
        .body
        .get("purpose")
        .and_then(Value::as_str)
        .unwrap_or("");
    if purpose != "fine-tune" {
        return Err(ApiError::invalid_request(format!(
            "File {id} has purpose '{purpose}', but fine-tuning files must have purpose \
             'fine-tune'."
        ))
        .with_param(param)
        .with_code("invalid_file_purpose"));
    }
    Ok(Some((*file).clone()))
}

/// The refusals of `POST /fine_tuning/jobs`.
pub fn check(call: &Call) -> Result<(), ApiError> {
    let model = call.request.body_str("model").unwrap_or("");
    base_model(call, model)?;
    file_of(call, "training_file")?;
    file_of(call, "validation_file")?;
    call.store.check_room(4096)
}

/// The method of the request (`supervised` when none is given).
fn method_type(body: &Value) -> &str {
    body.pointer("/method/type")
        .and_then(Value::as_str)
        .unwrap_or("supervised")
}

/// Validates the files for `method`: the training, or the failure the job ends with.
fn validate(call: &Call, method: &str, base: &str) -> Result<Training, Failure> {
    let body = &call.request.body;
    let read = |param: &'static str| -> Result<Option<training::Examples>, Failure> {
        let Some(id) = call.request.body_str(param) else {
            return Ok(None);
        };
        match call.store.get(call.namespace, files::KIND, id) {
            Found::Live(file) => {
                let bytes = file.bytes.as_deref().unwrap_or_default();
                training::read(bytes, method, base, param).map(Some)
            }
            _ => Err(Failure {
                code: if param == "training_file" {
                    "invalid_training_file"
                } else {
                    "invalid_validation_file"
                },
                message: format!("File {id} could not be found in your organization."),
                param,
            }),
        }
    };
    let examples = read("training_file")?.unwrap_or(training::Examples {
        count: 0,
        tokens: 0,
    });
    let validation = read("validation_file")?.is_some();
    let requested = body
        .pointer(&format!("/method/{method}/hyperparameters"))
        .or_else(|| body.get("hyperparameters"));
    Ok(Training {
        examples,
        hyperparameters: Hyperparameters::choose(requested, examples.count, method),
        validation,
    })
}

/// Builds and stores the job, with its timeline.
pub fn shape(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let body = &call.request.body;
    let requested_model = call.request.body_str("model").unwrap_or("");
    let Ok(base) = base_model(call, requested_model) else {
        return;
    };
    let method = method_type(body).to_string();
    let id = new_id(&mut generator.rng, "ftjob-");
    let suffix = call.request.body_str("suffix").unwrap_or("");
    let short = new_id_of_length(&mut generator.rng, "", 8);
    let model = format!("ft:{base}:{ORG_SEGMENT}:{suffix}:{short}");
    let training_file = call.request.body_str("training_file").unwrap_or("");
    let outcome = validate(call, &method, &base);
    // The job exists from here: reading the files (and loading a tokenizer) came before.
    let start = now_ms();
    let hyperparameters = outcome.as_ref().ok().map(|t| t.hyperparameters);
    let plan = schedule(
        &Run {
            job_id: &id,
            model: &model,
            training_file,
            start_ms: start,
            total_ms: call.store.settings.lifecycle_ms,
            outcome,
        },
        &mut generator.rng,
    );
    let requested_hp = body
        .pointer(&format!("/method/{method}/hyperparameters"))
        .or_else(|| body.get("hyperparameters"));
    let hp = hyperparameters
        .unwrap_or_else(|| Hyperparameters::choose(requested_hp, training::MIN_EXAMPLES, &method));
    let mut method_body = json!({"type": method});
    let mut details = body
        .pointer(&format!("/method/{method}"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    if let Some(map) = details.as_object_mut() {
        map.insert(
            "hyperparameters".into(),
            hp.for_method(&method, requested_hp),
        );
    }
    set(&mut method_body, &method, details);
    let fits = |name: &str, value: &Value| echo_fits(call.catalog, call.op, name, value);
    if !fits("method", &method_body) {
        method_body = json!({ "type": method });
    }
    let echo = |name: &str| {
        body.get(name)
            .filter(|value| fits(name, value))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let seed = body
        .get("seed")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| generator.rng.below(1 << 31) as i64);
    let job = json!({
        "object": "fine_tuning.job",
        "id": id,
        "created_at": (start / 1000) as i64,
        "error": null,
        "fine_tuned_model": null,
        "finished_at": null,
        "hyperparameters": hp.to_json(),
        "model": base,
        "organization_id": organization_id(call.namespace),
        "result_files": [],
        "status": "validating_files",
        "trained_tokens": null,
        "training_file": training_file,
        "validation_file": echo("validation_file"),
        "integrations": echo("integrations"),
        "seed": seed,
        "estimated_finish": null,
        "method": method_body,
        "metadata": echo("metadata"),
    });
    let mut object = Object::new(JOB, &id, job);
    lifecycle::set_stages(&mut object.extra, &plan.stages);
    let timed = |items: &[Timed]| serde_json::to_value(items).unwrap_or(Value::Null);
    if let Some(extra) = object.extra.as_object_mut() {
        extra.insert(EVENTS.into(), timed(&plan.events));
        extra.insert(CHECKPOINTS.into(), timed(&plan.checkpoints));
        if plan.csv.is_some() {
            extra.insert(YIELDS.into(), json!(model));
        }
        extra.insert("csv".into(), json!(plan.csv));
    }
    if let Ok(stored) = call.store.create(call.namespace, object) {
        // The answer is the job as created, whatever time storing it took.
        *answer = lifecycle::view(&stored.body, &lifecycle::stages(&stored.extra), start);
    }
}
