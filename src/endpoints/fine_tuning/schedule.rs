//! A job's timeline, decided when it is created: the stages of its status
//! (`validating_files` → `queued` → `running` → `succeeded`, or `failed` after validation),
//! its events (one per stage, plus the metrics of the steps) and its checkpoints (the end of
//! each of the last three epochs), each at the moment it happens within
//! `--lifecycle-ms`.

use super::registry::Timed;
use super::training::{self, Examples, Failure, Hyperparameters, Step};
use crate::generate::{new_id, Rng};
use crate::store::lifecycle::Stage;
use serde_json::{json, Value};

/// At most this many metrics events per job (longer runs report every n-th step).
const MAX_METRIC_EVENTS: u64 = 500;
/// Checkpoints are kept for this many final epochs.
const KEPT_CHECKPOINTS: u64 = 3;

/// What a job will do once validated.
pub struct Training {
    /// The training file's examples.
    pub examples: Examples,
    /// The concrete hyperparameters.
    pub hyperparameters: Hyperparameters,
    /// Whether a validation file gives validation metrics.
    pub validation: bool,
}

/// What the timeline is about.
pub struct Run<'a> {
    /// The job's id.
    pub job_id: &'a str,
    /// The model it yields (`ft:…`).
    pub model: &'a str,
    /// The training file's id.
    pub training_file: &'a str,
    /// When the job was created (Unix milliseconds).
    pub start_ms: u64,
    /// How long the whole run takes.
    pub total_ms: u64,
    /// The training, or why validation fails.
    pub outcome: Result<Training, Failure>,
}

/// A job's timeline.
pub struct Schedule {
    /// Status changes.
    pub stages: Vec<Stage>,
    /// Events, in order.
    pub events: Vec<Timed>,
    /// Checkpoints, in order.
    pub checkpoints: Vec<Timed>,
    /// The result file's content, when the job succeeds.
    pub csv: Option<String>,
    /// Tokens trained on (the training file's tokens times the epochs).
    pub trained_tokens: Option<u64>,
}

/// Builds the timeline of `run`, drawing ids and metrics from `rng`.
pub fn schedule(run: &Run, rng: &mut Rng) -> Schedule {
    let mut out = Schedule {
        stages: Vec::new(),
        events: Vec::new(),
        checkpoints: Vec::new(),
        csv: None,
        trained_tokens: None,
    };
    let start = run.start_ms;
    let total = run.total_ms.max(10);
    let seconds = |ms: u64| (ms / 1000) as i64;
    event(
        &mut out,
        rng,
        start,
        "info",
        format!("Created fine-tuning job: {}", run.job_id),
        None,
    );
    event(
        &mut out,
        rng,
        start,
        "info",
        format!("Validating training file: {}", run.training_file),
        None,
    );
    let validated = start + total / 10;
    let training = match &run.outcome {
        Err(failure) => {
            let failed = start + total / 5;
            out.stages.push(Stage {
                at_ms: failed,
                patch: json!({
                    "status": "failed",
                    "finished_at": seconds(failed),
                    "error": failure.to_json(),
                    "estimated_finish": null,
                }),
            });
            event(
                &mut out,
                rng,
                failed,
                "error",
                failure.message.clone(),
                None,
            );
            return out;
        }
        Ok(training) => training,
    };
    let finish = start + total;
    out.stages.push(Stage {
        at_ms: validated,
        patch: json!({"status": "queued", "estimated_finish": seconds(finish)}),
    });
    event(
        &mut out,
        rng,
        validated,
        "info",
        "Files validated, moving job to queued state".into(),
        None,
    );
    let started = start + total / 5;
    out.stages.push(Stage {
        at_ms: started,
        patch: json!({"status": "running"}),
    });
    event(
        &mut out,
        rng,
        started,
        "info",
        "Fine-tuning job started".into(),
        None,
    );

    let hp = training.hyperparameters;
    let per_epoch = training.examples.count.max(1) as u64 / hp.batch_size
        + u64::from(training.examples.count as u64 % hp.batch_size != 0);
    let total_steps = (per_epoch * hp.n_epochs).max(1);
    let run_steps = training::steps(total_steps, training.validation, rng);
    let step_at = |step: u64| started + (finish - started) * step / (total_steps + 1);
    let stride = total_steps.div_ceil(MAX_METRIC_EVENTS).max(1);
    let first_kept_epoch = hp.n_epochs.saturating_sub(KEPT_CHECKPOINTS) + 1;
    for s in &run_steps {
        if s.step % stride == 0 || s.step == total_steps {
            let mut message = format!(
                "Step {}/{total_steps}: training loss={:.2}",
                s.step, s.train_loss
            );
            let mut data = json!({
                "step": s.step,
                "train_loss": s.train_loss,
                "total_steps": total_steps,
                "train_mean_token_accuracy": s.train_accuracy,
            });
            if let Some((loss, accuracy)) = s.valid {
                message.push_str(&format!(", validation loss={loss:.2}"));
                data["valid_loss"] = json!(loss);
                data["valid_mean_token_accuracy"] = json!(accuracy);
            }
            event(&mut out, rng, step_at(s.step), "info", message, Some(data));
        }
        let epoch_end = s.step % per_epoch == 0;
        if epoch_end && s.step / per_epoch >= first_kept_epoch {
            let at_ms = step_at(s.step);
            let last = s.step == total_steps;
            out.checkpoints.push(Timed {
                at_ms: if last { finish } else { at_ms },
                item: checkpoint(
                    run,
                    s,
                    last,
                    seconds(if last { finish } else { at_ms }),
                    rng,
                ),
            });
            if !last {
                event(
                    &mut out,
                    rng,
                    at_ms,
                    "info",
                    format!("Checkpoint created at step {}", s.step),
                    None,
                );
            }
        }
    }
    let trained_tokens = training.examples.tokens * hp.n_epochs;
    out.stages.push(Stage {
        at_ms: finish,
        patch: json!({
            "status": "succeeded",
            "finished_at": seconds(finish),
            "fine_tuned_model": run.model,
            "trained_tokens": trained_tokens,
        }),
    });
    for message in [
        format!("Checkpoint created at step {total_steps}"),
        format!("New fine-tuned model created: {}", run.model),
        "Evaluating model against our usage policies".to_string(),
        "Usage policy evaluations completed, model is now enabled for sampling".to_string(),
        "The job has successfully completed".to_string(),
    ] {
        event(&mut out, rng, finish, "info", message, None);
    }
    out.csv = Some(training::csv(&run_steps));
    out.trained_tokens = Some(trained_tokens);
    out
}

/// Adds an event at `at_ms`; `data` makes it a `metrics` event.
fn event(
    out: &mut Schedule,
    rng: &mut Rng,
    at_ms: u64,
    level: &str,
    message: String,
    data: Option<Value>,
) {
    let kind = if data.is_some() { "metrics" } else { "message" };
    out.events.push(Timed {
        at_ms,
        item: json!({
            "object": "fine_tuning.job.event",
            "id": new_id(rng, "ftevent-"),
            "created_at": (at_ms / 1000) as i64,
            "level": level,
            "message": message,
            "type": kind,
            "data": data.unwrap_or_else(|| json!({})),
        }),
    });
}

fn checkpoint(run: &Run, step: &Step, last: bool, created_at: i64, rng: &mut Rng) -> Value {
    let name = if last {
        run.model.to_string()
    } else {
        format!("{}:ckpt-step-{}", run.model, step.step)
    };
    let mut metrics = json!({
        "step": step.step,
        "train_loss": step.train_loss,
        "train_mean_token_accuracy": step.train_accuracy,
    });
    if let Some((loss, accuracy)) = step.valid {
        metrics["valid_loss"] = json!(loss);
        metrics["valid_mean_token_accuracy"] = json!(accuracy);
        if last {
            metrics["full_valid_loss"] = json!(loss);
            metrics["full_valid_mean_token_accuracy"] = json!(accuracy);
        }
    }
    json!({
        "object": "fine_tuning.job.checkpoint",
        "id": new_id(rng, "ftckpt_"),
        "created_at": created_at,
        "fine_tuned_model_checkpoint": name,
        "fine_tuning_job_id": run.job_id,
        "metrics": metrics,
        "step_number": step.step,
    })
}
