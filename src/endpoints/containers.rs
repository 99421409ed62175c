//! Containers and their files: a container is stored with the files it was given (copied from
//! stored files by `file_ids`, or uploaded into it), each under `/mnt/data/`, with its bytes.
//! Deleting a container deletes its files.

use super::stored::{current, lookup, page, path_param, set};
use super::{Call, Endpoint, Rendered};
use crate::error::ApiError;
use crate::generate::{media, new_id, Generator, Rng};
use crate::store::{Found, Object};
use serde_json::{json, Value};

/// The store kind of containers.
const KIND: &str = "container";
/// The store kind of container files (their parent is the container).
const FILE: &str = "container.file";
/// Minutes of inactivity after which the real API expires a container, by default.
const DEFAULT_IDLE_MINUTES: i64 = 20;

/// `POST /containers`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["CreateContainer"],
    check: check_create,
    shape: create,
    ..Endpoint::GENERIC
};

/// `GET /containers`.
pub const LIST: Endpoint = Endpoint {
    ops: &["ListContainers"],
    shape: |call, answer, _| {
        let all = call.store.list(call.namespace, KIND, None);
        page(
            call,
            all.iter().map(|c| current(c)).collect(),
            answer,
            "desc",
        );
    },
    ..Endpoint::GENERIC
};

/// `GET /containers/{container_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["RetrieveContainer"],
    check: |call| container(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(found)) = container(call) {
            *answer = current(&found);
        }
    },
    ..Endpoint::GENERIC
};

/// `DELETE /containers/{container_id}`.
pub const DELETE: Endpoint = Endpoint {
    ops: &["DeleteContainer"],
    check: |call| container(call).map(drop),
    shape: |call, _, _| {
        let id = path_param(call, "container_id");
        for file in call.store.list(call.namespace, FILE, Some(id)) {
            call.store.delete(call.namespace, FILE, &file.id);
        }
        call.store.delete(call.namespace, KIND, id);
    },
    ..Endpoint::GENERIC
};

/// `POST /containers/{container_id}/files`.
pub const CREATE_FILE: Endpoint = Endpoint {
    ops: &["CreateContainerFile"],
    check: check_create_file,
    shape: create_file,
    ..Endpoint::GENERIC
};

/// `GET /containers/{container_id}/files`.
pub const LIST_FILES: Endpoint = Endpoint {
    ops: &["ListContainerFiles"],
    check: |call| container(call).map(drop),
    shape: |call, answer, _| {
        let id = path_param(call, "container_id");
        let files = call.store.list(call.namespace, FILE, Some(id));
        page(
            call,
            files.iter().map(|f| current(f)).collect(),
            answer,
            "desc",
        );
    },
    ..Endpoint::GENERIC
};

/// `GET /containers/{container_id}/files/{file_id}`.
pub const RETRIEVE_FILE: Endpoint = Endpoint {
    ops: &["RetrieveContainerFile"],
    check: |call| container_file(call).map(drop),
    shape: |call, answer, _| match container_file(call) {
        Ok(Some(file)) => *answer = current(&file),
        // Never created (lenient ids): the file its content shows.
        _ => {
            let file = media::container_file(path_param(call, "file_id"));
            set(answer, "path", json!(format!("/mnt/data/{}", file.name)));
            set(answer, "bytes", json!(file.bytes.len()));
        }
    },
    ..Endpoint::GENERIC
};

/// `DELETE /containers/{container_id}/files/{file_id}`.
pub const DELETE_FILE: Endpoint = Endpoint {
    ops: &["DeleteContainerFile"],
    check: |call| container_file(call).map(drop),
    shape: |call, _, _| {
        call.store
            .delete(call.namespace, FILE, path_param(call, "file_id"));
    },
    ..Endpoint::GENERIC
};

/// `GET /containers/{container_id}/files/{file_id}/content`.
pub const FILE_CONTENT: Endpoint = Endpoint {
    ops: &["RetrieveContainerFileContent"],
    check: |call| container_file(call).map(drop),
    render: |call, _| {
        let body = match container_file(call).ok().flatten() {
            Some(file) => file.bytes.clone().unwrap_or_default(),
            // Never created (lenient ids): content that fits the path retrieve shows.
            None => media::container_file(path_param(call, "file_id")).bytes,
        };
        Some(Rendered {
            content_type: "application/octet-stream",
            body,
        })
    },
    ..Endpoint::GENERIC
};

fn container(call: &Call) -> Result<Option<std::sync::Arc<Object>>, ApiError> {
    lookup(call, KIND, "container_id", "Container")
}

/// The container file named in the path, when it is stored in the container named there.
fn container_file(call: &Call) -> Result<Option<std::sync::Arc<Object>>, ApiError> {
    let parent = container(call)?;
    let file = lookup(call, FILE, "file_id", "ContainerFile")?;
    match (parent, file) {
        (Some(parent), Some(file)) if file.parent.as_deref() != Some(parent.id.as_str()) => Err(
            crate::store::not_found("ContainerFile", path_param(call, "file_id")),
        ),
        (_, file) => Ok(file),
    }
}

/// The stored files that `file_ids` names. A deleted file is the real 404, and so is an
/// unknown one under strict ids; with lenient ids an unknown file is skipped.
fn named_files(call: &Call, ids: &[Value]) -> Result<Vec<std::sync::Arc<Object>>, ApiError> {
    let mut files = Vec::new();
    for id in ids.iter().filter_map(Value::as_str) {
        if let Some(file) = call
            .store
            .lookup(call.namespace, super::files::KIND, id, "File")?
        {
            files.push(file);
        }
    }
    Ok(files)
}

fn check_create(call: &Call) -> Result<(), ApiError> {
    let ids = call.request.body.get("file_ids").and_then(Value::as_array);
    let files = named_files(call, ids.map_or(&[], Vec::as_slice))?;
    let bytes: usize = files
        .iter()
        .map(|f| f.bytes.as_ref().map_or(0, Vec::len))
        .sum();
    call.store.check_room(bytes as u64 + 1024)
}

fn create(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let body = &call.request.body;
    let now = generator.now();
    let id = new_id(&mut generator.rng, "cntr_");
    let container = container_body(&Settings {
        id: &id,
        name: body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("container"),
        now,
        minutes: body
            .pointer("/expires_after/minutes")
            .and_then(Value::as_i64)
            .unwrap_or(DEFAULT_IDLE_MINUTES),
        memory_limit: body
            .get("memory_limit")
            .and_then(Value::as_str)
            .unwrap_or("1g"),
    });
    if call
        .store
        .create(call.namespace, Object::new(KIND, &id, container.clone()))
        .is_err()
    {
        return;
    }
    let ids = body.get("file_ids").and_then(Value::as_array);
    copy_files(
        call,
        &mut generator.rng,
        now,
        &id,
        ids.map_or(&[], Vec::as_slice),
    );
    *answer = container;
}

/// What a new container is.
struct Settings<'a> {
    id: &'a str,
    name: &'a str,
    now: i64,
    minutes: i64,
    memory_limit: &'a str,
}

/// A new running container's body.
fn container_body(settings: &Settings) -> Value {
    json!({
        "id": settings.id,
        "object": "container",
        "name": settings.name,
        "created_at": settings.now,
        "status": "running",
        "last_active_at": settings.now,
        "expires_after": {"anchor": "last_active_at", "minutes": settings.minutes},
        "memory_limit": settings.memory_limit,
    })
}

/// Copies the stored files `file_ids` names into the container `id`.
fn copy_files(call: &Call, rng: &mut Rng, now: i64, id: &str, file_ids: &[Value]) {
    for file in named_files(call, file_ids).unwrap_or_default() {
        let name = file
            .body
            .get("filename")
            .and_then(Value::as_str)
            .unwrap_or(&file.id);
        let bytes = file.bytes.clone().unwrap_or_default();
        put_file(call, rng, now, id, name, bytes, "user");
    }
}

fn check_create_file(call: &Call) -> Result<(), ApiError> {
    container(call)?;
    // Neither `file` nor `file_id` is schema-valid, and the SDK suites send it: the answer is
    // then generated, and nothing is stored.
    if let Some(id) = call.request.body.get("file_id").and_then(Value::as_str) {
        named_files(call, &[json!(id)])?;
    }
    let size = call.request.files.first().map_or(0, |f| f.bytes.len());
    call.store.check_room(size as u64 + 512)
}

fn create_file(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let Ok(Some(parent)) = container(call) else {
        return;
    };
    let (name, bytes) = match call.request.body.get("file_id").and_then(Value::as_str) {
        Some(id) => match call.store.get(call.namespace, super::files::KIND, id) {
            Found::Live(file) => (
                file.body
                    .get("filename")
                    .and_then(Value::as_str)
                    .unwrap_or(id)
                    .to_string(),
                file.bytes.clone().unwrap_or_default(),
            ),
            _ => return,
        },
        None => match call.request.files.iter().find(|f| f.field == "file") {
            Some(upload) => (
                upload.filename.clone().unwrap_or_else(|| "file".into()),
                upload.bytes.to_vec(),
            ),
            None => return,
        },
    };
    *answer = store_container_file(call, generator, &parent.id, &name, bytes);
    let now = generator.now();
    call.store.update(call.namespace, KIND, &parent.id, |c| {
        set(&mut c.body, "last_active_at", json!(now));
    });
}

fn store_container_file(
    call: &Call,
    generator: &mut Generator,
    container_id: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    let now = generator.now();
    put_file(
        call,
        &mut generator.rng,
        now,
        container_id,
        name,
        bytes,
        "user",
    )
}

/// Stores a file named `name` (under `/mnt/data/`) with `bytes` in the container
/// `container_id`, written by `source` (`user`, or `assistant` for what a code interpreter
/// call wrote); returns its body.
pub fn put_file(
    call: &Call,
    rng: &mut Rng,
    now: i64,
    container_id: &str,
    name: &str,
    bytes: Vec<u8>,
    source: &str,
) -> Value {
    let id = new_id(rng, "cfile_");
    let base = name.rsplit('/').next().unwrap_or(name);
    let file = json!({
        "id": id,
        "object": "container.file",
        "created_at": now,
        "bytes": bytes.len(),
        "container_id": container_id,
        "path": format!("/mnt/data/{base}"),
        "source": source,
    });
    let mut object = Object::new(FILE, &id, file.clone());
    object.parent = Some(container_id.to_string());
    object.bytes = Some(bytes);
    let _ = call.store.create(call.namespace, object);
    file
}

/// Whether the container `id` is stored (and not deleted) in the caller's namespace.
pub fn exists(call: &Call, id: &str) -> bool {
    matches!(call.store.get(call.namespace, KIND, id), Found::Live(_))
}

/// Creates a running container for a code interpreter call (`container: {"type": "auto"}`),
/// with copies of the stored files `file_ids` names; returns its id, or `None` when the
/// store refuses it (a limit).
pub fn create_for_tool(call: &Call, rng: &mut Rng, now: i64, file_ids: &[Value]) -> Option<String> {
    let id = new_id(rng, "cntr_");
    let container = container_body(&Settings {
        id: &id,
        name: "code_interpreter_container",
        now,
        minutes: DEFAULT_IDLE_MINUTES,
        memory_limit: "1g",
    });
    call.store
        .create(call.namespace, Object::new(KIND, &id, container))
        .ok()?;
    copy_files(call, rng, now, &id, file_ids);
    Some(id)
}
