//! Videos: a render is stored and moves `queued` → `in_progress` (with `progress`) →
//! `completed` in real time; its content (an mp4, a thumbnail or a spritesheet) can be
//! downloaded once it is completed. A remix is a new render of a completed video.

use super::stored::{current, lookup, page, path_param};
use super::{Call, Endpoint};
use crate::error::ApiError;
use crate::generate::{new_id, Generator};
use crate::store::{lifecycle, Object};
use serde_json::{json, Value};

/// The store kind of videos.
const KIND: &str = "video";
/// How long the real API keeps a finished video's content, in seconds.
const KEPT_FOR_SECS: i64 = 24 * 3600;

/// `POST /videos`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createVideo"],
    check: |call| call.store.check_room(1024),
    shape: |call, answer, generator| {
        if let Some(video) = start_render(call, generator, None) {
            *answer = video;
        }
    },
    polled: true,
    ..Endpoint::GENERIC
};

/// `POST /videos/{video_id}/remix`.
pub const REMIX: Endpoint = Endpoint {
    ops: &["CreateVideoRemix"],
    check: |call| completed(call).map(drop),
    shape: |call, answer, generator| {
        let id = path_param(call, "video_id").to_string();
        if let Some(video) = start_render(call, generator, Some(id)) {
            *answer = video;
        }
    },
    polled: true,
    ..Endpoint::GENERIC
};

/// `GET /videos`.
pub const LIST: Endpoint = Endpoint {
    ops: &["ListVideos"],
    shape: |call, answer, _| {
        let videos = call.store.list(call.namespace, KIND, None);
        page(
            call,
            videos.iter().map(|v| current(v)).collect(),
            answer,
            "desc",
        );
    },
    ..Endpoint::GENERIC
};

/// `GET /videos/{video_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["GetVideo"],
    check: |call| lookup(call, KIND, "video_id", "Video").map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(video)) = lookup(call, KIND, "video_id", "Video") {
            *answer = current(&video);
        }
    },
    polled: true,
    ..Endpoint::GENERIC
};

/// `DELETE /videos/{video_id}`.
pub const DELETE: Endpoint = Endpoint {
    ops: &["DeleteVideo"],
    check: |call| lookup(call, KIND, "video_id", "Video").map(drop),
    shape: |call, answer, _| {
        let id = path_param(call, "video_id");
        call.store.delete(call.namespace, KIND, id);
        *answer = json!({"object": "video.deleted", "deleted": true, "id": id});
    },
    ..Endpoint::GENERIC
};

/// `GET /videos/{video_id}/content`: the generated media of the declared type (the same
/// bytes for the same video, since the path seeds them), once the render is completed.
pub const CONTENT: Endpoint = Endpoint {
    ops: &["RetrieveVideoContent"],
    check: |call| completed(call).map(drop),
    ..Endpoint::GENERIC
};

/// The video named in the path, when it is stored and its render is completed.
fn completed(call: &Call) -> Result<Option<std::sync::Arc<Object>>, ApiError> {
    let Some(video) = lookup(call, KIND, "video_id", "Video")? else {
        return Ok(None);
    };
    let status = current(&video)
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if status != "completed" {
        return Err(ApiError::invalid_request(format!(
            "Video {} is not ready: its status is {status}. Wait until it is completed.",
            video.id
        ))
        .with_param("video_id"));
    }
    Ok(Some(video))
}

/// Stores a new render of the request's prompt (a remix of `remix_of`, when given) and
/// returns it as it is now: queued.
fn start_render(call: &Call, generator: &mut Generator, remix_of: Option<String>) -> Option<Value> {
    let body = &call.request.body;
    let source =
        remix_of
            .as_deref()
            .and_then(|id| match call.store.get(call.namespace, KIND, id) {
                crate::store::Found::Live(video) => Some(video.body.clone()),
                _ => None,
            });
    let inherited = |field: &str, default: &str| {
        body.get(field)
            .and_then(Value::as_str)
            .or_else(|| source.as_ref()?.get(field)?.as_str())
            .unwrap_or(default)
            .to_string()
    };
    let now = generator.now();
    let id = new_id(&mut generator.rng, "video_");
    let video = json!({
        "id": id,
        "object": "video",
        "model": inherited("model", "sora-2"),
        "status": "queued",
        "progress": 0,
        "created_at": now,
        "completed_at": null,
        "expires_at": null,
        "prompt": body.get("prompt").and_then(Value::as_str),
        "size": inherited("size", "720x1280"),
        "seconds": inherited("seconds", "4"),
        "remixed_from_video_id": remix_of,
        "error": null,
    });
    let start = lifecycle::now_ms();
    let total = call.store.settings.lifecycle_ms;
    let done_at = (start + total) / 1000;
    let stages = lifecycle::spread(
        start,
        total,
        vec![
            json!({"status": "in_progress", "progress": 25}),
            json!({"status": "in_progress", "progress": 75}),
            json!({"status": "completed", "progress": 100, "completed_at": done_at,
                   "expires_at": done_at as i64 + KEPT_FOR_SECS}),
        ],
    );
    let mut object = Object::new(KIND, &id, video.clone());
    lifecycle::set_stages(&mut object.extra, &stages);
    call.store.create(call.namespace, object).ok()?;
    Some(video)
}
