//! Fine-tuning that yields a model: jobs are created against stored `fine-tune` files, run on
//! a timeline (`validating_files` → `queued` → `running` → `succeeded` within
//! `--lifecycle-ms`), report events, checkpoints and a CSV of metrics, and yield a
//! `ft:<base>:personal:<suffix>:<id>` model that `/models`, chat completions and Responses
//! then know in the job's namespace. A bad training file makes the job fail after
//! validation; jobs can be cancelled, paused and resumed; checkpoint permissions are kept.
//! A job's answers carry `openai-poll-after-ms` (the time until its next stage).
//!
//! | module | owns |
//! |---|---|
//! | [`create`] | the create checks and the job with its timeline |
//! | [`training`] | reading training files, `"auto"` hyperparameters, step metrics |
//! | [`schedule`] | the timeline: stages, events, checkpoints |
//! | [`jobs`] | retrieve, list, events, checkpoints; the result file |
//! | [`control`] | cancel, pause, resume |
//! | [`permissions`] | checkpoint permissions |
//! | [`registry`] | the store kinds, and the fine-tuned models other families look up |

pub mod control;
pub mod create;
pub mod jobs;
pub mod permissions;
pub mod registry;
pub mod schedule;
pub mod training;

use super::Endpoint;
use control::Action;

/// `POST /fine_tuning/jobs`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createFineTuningJob"],
    polled: true,
    check: create::check,
    shape: create::shape,
    ..Endpoint::GENERIC
};

/// `GET /fine_tuning/jobs`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listPaginatedFineTuningJobs"],
    shape: jobs::list,
    ..Endpoint::GENERIC
};

/// `GET /fine_tuning/jobs/{fine_tuning_job_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["retrieveFineTuningJob"],
    polled: true,
    check: |call| jobs::job(call).map(drop),
    shape: jobs::retrieve,
    ..Endpoint::GENERIC
};

/// `GET /fine_tuning/jobs/{fine_tuning_job_id}/events`.
pub const EVENTS: Endpoint = Endpoint {
    ops: &["listFineTuningEvents"],
    check: |call| jobs::job(call).map(drop),
    shape: jobs::events,
    ..Endpoint::GENERIC
};

/// `GET /fine_tuning/jobs/{fine_tuning_job_id}/checkpoints`.
pub const CHECKPOINTS: Endpoint = Endpoint {
    ops: &["listFineTuningJobCheckpoints"],
    check: |call| jobs::job(call).map(drop),
    shape: jobs::checkpoints,
    ..Endpoint::GENERIC
};

/// `POST /fine_tuning/jobs/{fine_tuning_job_id}/cancel`.
pub const CANCEL: Endpoint = Endpoint {
    ops: &["cancelFineTuningJob"],
    polled: true,
    check: |call| control::check(call, Action::Cancel),
    shape: |call, answer, generator| control::apply(call, answer, generator, Action::Cancel),
    ..Endpoint::GENERIC
};

/// `POST /fine_tuning/jobs/{fine_tuning_job_id}/pause`.
pub const PAUSE: Endpoint = Endpoint {
    ops: &["pauseFineTuningJob"],
    polled: true,
    check: |call| control::check(call, Action::Pause),
    shape: |call, answer, generator| control::apply(call, answer, generator, Action::Pause),
    ..Endpoint::GENERIC
};

/// `POST /fine_tuning/jobs/{fine_tuning_job_id}/resume`.
pub const RESUME: Endpoint = Endpoint {
    ops: &["resumeFineTuningJob"],
    polled: true,
    check: |call| control::check(call, Action::Resume),
    shape: |call, answer, generator| control::apply(call, answer, generator, Action::Resume),
    ..Endpoint::GENERIC
};

/// `POST /fine_tuning/checkpoints/{checkpoint}/permissions`.
pub const CREATE_PERMISSION: Endpoint = Endpoint {
    ops: &["createFineTuningCheckpointPermission"],
    check: permissions::check_create,
    shape: permissions::create,
    ..Endpoint::GENERIC
};

/// `GET /fine_tuning/checkpoints/{checkpoint}/permissions`.
pub const LIST_PERMISSIONS: Endpoint = Endpoint {
    ops: &["listFineTuningCheckpointPermissions"],
    check: permissions::check_checkpoint,
    shape: permissions::list,
    ..Endpoint::GENERIC
};

/// `DELETE /fine_tuning/checkpoints/{checkpoint}/permissions/{permission_id}`.
pub const DELETE_PERMISSION: Endpoint = Endpoint {
    ops: &["deleteFineTuningCheckpointPermission"],
    check: permissions::check_delete,
    shape: permissions::delete,
    ..Endpoint::GENERIC
};
