//! Files: uploads are stored with their bytes, listed, retrieved, downloaded byte for byte and
//! deleted. Files for `batch` and `fine-tune` are checked as the real API checks them (JSONL;
//! chat-formatted lines for fine-tuning). Other families store their own files (batch
//! output, fine-tuning results) through [`store_file`]. The uploaded `purpose` is echoed
//! where the File schema lists it; one it does not list (`evals`) is kept as `user_data`,
//! the general-purpose one, so the File stays valid.

use super::stored::{current, lookup, page, path_param, set};
use super::{Call, Endpoint, Rendered};
use crate::error::ApiError;
use crate::generate::{echo_fits, media, new_id, Generator};
use crate::store::{Found, Object};
use serde_json::{json, Value};

/// The store kind of files.
pub const KIND: &str = "file";

/// `POST /files`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createFile"],
    check: check_create,
    shape: create,
    ..Endpoint::GENERIC
};

/// `GET /files`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listFiles"],
    shape: list,
    ..Endpoint::GENERIC
};

/// `GET /files/{file_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["retrieveFile"],
    check: |call| lookup(call, KIND, "file_id", "File").map(drop),
    shape: |call, answer, _| match lookup(call, KIND, "file_id", "File") {
        Ok(Some(file)) => *answer = current(&file),
        // Never uploaded (lenient ids): the file its content shows.
        _ => {
            let file = media::file(path_param(call, "file_id"));
            set(answer, "purpose", json!(file.purpose));
            set(answer, "filename", json!(file.name));
            set(answer, "bytes", json!(file.bytes.len()));
        }
    },
    ..Endpoint::GENERIC
};

/// `DELETE /files/{file_id}`.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteFile"],
    check: |call| lookup(call, KIND, "file_id", "File").map(drop),
    shape: |call, answer, _| {
        let id = path_param(call, "file_id");
        call.store.delete(call.namespace, KIND, id);
        *answer = json!({"id": id, "object": "file", "deleted": true});
    },
    ..Endpoint::GENERIC
};

/// `GET /files/{file_id}/content`.
pub const CONTENT: Endpoint = Endpoint {
    ops: &["downloadFile"],
    check: |call| lookup(call, KIND, "file_id", "File").map(drop),
    render: content,
    ..Endpoint::GENERIC
};

fn check_create(call: &Call) -> Result<(), ApiError> {
    let Some(file) = call.request.files.iter().find(|f| f.field == "file") else {
        return Ok(());
    };
    let purpose = call.request.body_str("purpose").unwrap_or("");
    let name = file.filename.as_deref().unwrap_or("file");
    check_content(purpose, name, &file.bytes)?;
    call.store.check_room(file.bytes.len() as u64 + 512)
}

/// Refuses content the real API refuses for `purpose`: `batch` and `fine-tune` files must be
/// JSONL, and fine-tuning lines chat-formatted.
pub fn check_content(purpose: &str, filename: &str, bytes: &[u8]) -> Result<(), ApiError> {
    let api = match purpose {
        "batch" => "Batch API",
        "fine-tune" => "Fine-Tuning API",
        _ => return Ok(()),
    };
    let refuse = |detail: String| {
        ApiError::invalid_request(format!("Invalid file format for {api}. {detail}"))
            .with_param("file")
            .with_code("invalid_file_format")
    };
    if !filename.ends_with(".jsonl") {
        return Err(refuse("Must be .jsonl".into()));
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| refuse("The file is not UTF-8 text.".into()))?;
    let mut lines = 0;
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        lines += 1;
        let value: Value = serde_json::from_str(line)
            .map_err(|e| refuse(format!("Line {} is not valid JSON: {e}.", number + 1)))?;
        if !value.is_object() {
            return Err(refuse(format!("Line {} is not a JSON object.", number + 1)));
        }
        if purpose == "fine-tune" && !is_training_example(&value) {
            return Err(refuse(format!(
                "Line {} is not a training example: expected a `messages` array of \
                 {{role, content}} objects (or `input` and `preferred_output` for preference \
                 data).",
                number + 1
            )));
        }
    }
    if lines == 0 {
        return Err(refuse("The file is empty.".into()));
    }
    Ok(())
}

/// A chat-formatted training line (supervised, or preference data).
fn is_training_example(line: &Value) -> bool {
    let chat = |messages: Option<&Value>| {
        messages
            .and_then(Value::as_array)
            .is_some_and(|m| !m.is_empty() && m.iter().all(|m| m.get("role").is_some()))
    };
    chat(line.get("messages"))
        || (line.get("input").is_some_and(|i| chat(i.get("messages")))
            && line.get("preferred_output").is_some())
}

fn create(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let Some(upload) = call.request.files.iter().find(|f| f.field == "file") else {
        return;
    };
    let purpose = call
        .request
        .body_str("purpose")
        .filter(|p| echo_fits(call.catalog, call.op, "purpose", &json!(p)))
        .unwrap_or("user_data");
    let name = upload.filename.as_deref().unwrap_or("file");
    let expires = call.request.body.get("expires_after");
    let file = store_file(
        call,
        generator,
        name,
        purpose,
        upload.bytes.to_vec(),
        expires,
    );
    *answer = file;
}

/// Stores a new file of `purpose` named `filename` with `bytes` in the caller's namespace,
/// and returns it as the API shows it.
pub fn store_file(
    call: &Call,
    generator: &mut Generator,
    filename: &str,
    purpose: &str,
    bytes: Vec<u8>,
    expires_after: Option<&Value>,
) -> Value {
    let now = generator.now();
    let id = new_id(&mut generator.rng, "file-");
    let mut body = json!({
        "id": id,
        "object": "file",
        "bytes": bytes.len(),
        "created_at": now,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
    });
    let seconds = expires_after
        .and_then(|e| e.get("seconds"))
        .and_then(Value::as_i64);
    if let (Some(seconds), Some(map)) = (seconds, body.as_object_mut()) {
        map.insert("expires_at".into(), json!(now + seconds));
    }
    let mut object = Object::new(KIND, &id, body.clone());
    object.bytes = Some(bytes);
    if let Err(error) = call.store.create(call.namespace, object) {
        tracing::warn!(%id, message = %error.message, "file not stored");
    }
    body
}

fn list(call: &Call, answer: &mut Value, _: &mut Generator) {
    let purpose = call.request.query.get("purpose").and_then(Value::as_str);
    let files: Vec<Value> = call
        .store
        .list(call.namespace, KIND, None)
        .iter()
        .map(|f| current(f))
        .filter(|f| purpose.is_none_or(|p| f.get("purpose").and_then(Value::as_str) == Some(p)))
        .collect();
    page(call, files, answer, "desc");
}

/// The stored bytes; for an id never uploaded (lenient ids), a short generated text.
fn content(call: &Call, _: &Value) -> Option<Rendered> {
    let id = path_param(call, "file_id");
    let body = match call.store.get(call.namespace, KIND, id) {
        Found::Live(file) => file.bytes.clone().unwrap_or_default(),
        // Never uploaded (lenient ids): content that fits the purpose and name retrieve shows.
        _ => media::file(id).bytes,
    };
    Some(Rendered {
        content_type: "application/octet-stream",
        body,
    })
}
