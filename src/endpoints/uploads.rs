//! Uploads: a large file sent in parts. Create declares the size; each part is stored; complete
//! checks that the parts add up to the declared bytes (and the MD5, when one is given) and
//! turns them, in the order given, into a stored file; cancel ends a pending upload.

use super::files::{self, store_file};
use super::stored::{lookup, path_param, set};
use super::{Call, Endpoint};
use crate::error::ApiError;
use crate::generate::{new_id, Generator};
use crate::store::{Found, Object};
use md5::{Digest, Md5};
use serde_json::{json, Value};

/// The store kind of uploads.
const KIND: &str = "upload";
/// The store kind of upload parts (their parent is the upload).
const PART: &str = "upload.part";
/// An upload may be completed within this many seconds of its creation.
const EXPIRES_AFTER_SECS: i64 = 3600;

/// `POST /uploads`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createUpload"],
    check: |call| call.store.check_room(512),
    shape: create,
    ..Endpoint::GENERIC
};

/// `POST /uploads/{upload_id}/parts`.
pub const ADD_PART: Endpoint = Endpoint {
    ops: &["addUploadPart"],
    check: check_add_part,
    shape: add_part,
    ..Endpoint::GENERIC
};

/// `POST /uploads/{upload_id}/complete`.
pub const COMPLETE: Endpoint = Endpoint {
    ops: &["completeUpload"],
    check: |call| assemble(call).map(drop),
    shape: complete,
    ..Endpoint::GENERIC
};

/// `POST /uploads/{upload_id}/cancel`.
pub const CANCEL: Endpoint = Endpoint {
    ops: &["cancelUpload"],
    check: |call| pending(call).map(drop),
    shape: cancel,
    ..Endpoint::GENERIC
};

fn create(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let body = &call.request.body;
    let now = generator.now();
    let id = new_id(&mut generator.rng, "upload_");
    let upload = json!({
        "id": id,
        "object": "upload",
        "bytes": body.get("bytes").and_then(Value::as_i64).unwrap_or(0),
        "created_at": now,
        "filename": body.get("filename").and_then(Value::as_str).unwrap_or("upload"),
        "purpose": body.get("purpose").and_then(Value::as_str).unwrap_or("user_data"),
        "status": "pending",
        "expires_at": now + EXPIRES_AFTER_SECS,
        "file": null,
    });
    let mut object = Object::new(KIND, &id, upload.clone());
    object.extra = json!({"expires_after": body.get("expires_after")});
    if call.store.create(call.namespace, object).is_ok() {
        *answer = upload;
    }
}

/// The upload named in the path when it is stored and still pending; `Ok(None)` for an
/// unknown id under lenient ids; the real API's 400 when it is no longer pending.
fn pending(call: &Call) -> Result<Option<std::sync::Arc<Object>>, ApiError> {
    let Some(upload) = lookup(call, KIND, "upload_id", "Upload")? else {
        return Ok(None);
    };
    let status = upload
        .body
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("");
    if status != "pending" {
        return Err(ApiError::invalid_request(format!(
            "Upload {} is {status}, and only pending uploads can be changed.",
            upload.id
        ))
        .with_param("upload_id"));
    }
    Ok(Some(upload))
}

fn check_add_part(call: &Call) -> Result<(), ApiError> {
    pending(call)?;
    let size = call.request.files.first().map_or(0, |f| f.bytes.len());
    call.store.check_room(size as u64 + 256)
}

fn add_part(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let Ok(Some(upload)) = pending(call) else {
        return;
    };
    let data = call
        .request
        .files
        .iter()
        .find(|f| f.field == "data")
        .map_or_else(Vec::new, |f| f.bytes.to_vec());
    let id = new_id(&mut generator.rng, "part_");
    let part = json!({
        "id": id,
        "object": "upload.part",
        "created_at": generator.now(),
        "upload_id": upload.id,
    });
    let mut object = Object::new(PART, &id, part.clone());
    object.parent = Some(upload.id.clone());
    object.bytes = Some(data);
    if call.store.create(call.namespace, object).is_ok() {
        *answer = part;
    }
}

/// The upload and its content, the parts joined in the order `part_ids` gives, once every
/// check of `complete` passes.
/// A pending upload and the content its parts make.
type Assembled = (std::sync::Arc<Object>, Vec<u8>);

fn assemble(call: &Call) -> Result<Option<Assembled>, ApiError> {
    let Some(upload) = pending(call)? else {
        return Ok(None);
    };
    let ids: Vec<&str> = call
        .request
        .body
        .get("part_ids")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut content = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let part = match call.store.get(call.namespace, PART, id) {
            Found::Live(part) if part.parent.as_deref() == Some(upload.id.as_str()) => part,
            _ => {
                return Err(ApiError::invalid_request(format!(
                    "Invalid part ID: {id} is not a part of upload {}.",
                    upload.id
                ))
                .with_param(format!("part_ids[{i}]")))
            }
        };
        content.extend_from_slice(part.bytes.as_deref().unwrap_or_default());
    }
    let declared = upload
        .body
        .get("bytes")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if content.len() as u64 != declared {
        return Err(ApiError::invalid_request(format!(
            "The parts add up to {} bytes, but the upload was created with bytes={declared}. \
             Send every part, or create the upload with the right size.",
            content.len()
        ))
        .with_param("part_ids"));
    }
    if let Some(expected) = call.request.body.get("md5").and_then(Value::as_str) {
        let actual = format!("{:x}", Md5::digest(&content));
        if !expected.eq_ignore_ascii_case(&actual) {
            return Err(ApiError::invalid_request(format!(
                "The MD5 checksum of the uploaded parts ({actual}) does not match the md5 \
                 given ({expected})."
            ))
            .with_param("md5"));
        }
    }
    let purpose = upload
        .body
        .get("purpose")
        .and_then(Value::as_str)
        .unwrap_or("");
    let filename = upload
        .body
        .get("filename")
        .and_then(Value::as_str)
        .unwrap_or("");
    files::check_content(purpose, filename, &content)?;
    Ok(Some((upload, content)))
}

fn complete(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let Ok(Some((upload, content))) = assemble(call) else {
        return;
    };
    let purpose = upload.body["purpose"]
        .as_str()
        .unwrap_or("user_data")
        .to_string();
    let filename = upload.body["filename"]
        .as_str()
        .unwrap_or("upload")
        .to_string();
    let expires = upload.extra.get("expires_after").filter(|e| !e.is_null());
    let file = store_file(call, generator, &filename, &purpose, content, expires);
    for part in call.store.list(call.namespace, PART, Some(&upload.id)) {
        call.store.delete(call.namespace, PART, &part.id);
    }
    if let Some(done) = call
        .store
        .update(call.namespace, KIND, &upload.id, |upload| {
            set(&mut upload.body, "status", json!("completed"));
            set(&mut upload.body, "file", file.clone());
        })
    {
        *answer = done.body.clone();
    }
}

fn cancel(call: &Call, answer: &mut Value, _: &mut Generator) {
    let id = path_param(call, "upload_id");
    for part in call.store.list(call.namespace, PART, Some(id)) {
        call.store.delete(call.namespace, PART, &part.id);
    }
    if let Some(cancelled) = call.store.update(call.namespace, KIND, id, |upload| {
        set(&mut upload.body, "status", json!("cancelled"));
    }) {
        *answer = cancelled.body.clone();
    }
}
