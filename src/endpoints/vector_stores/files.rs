//! Vector store files: a File added to a vector store, with its ingestion's status, its
//! attributes and its chunks. Stored as kind [`KIND`] under the vector store (its parent),
//! with the store id `{vector_store_id}/{file_id}`, since one File may be in several stores.

use super::ingest::{self, FileSpec};
use super::{find, tally};
use crate::endpoints::stored::{page, path_param, set};
use crate::endpoints::{Call, Endpoint};
use crate::error::ApiError;
use crate::generate::Generator;
use crate::store::{lifecycle, Found, Object};
use serde_json::{json, Value};
use std::sync::Arc;

pub use super::{file_store_id as store_id, FILE_KIND as KIND};

/// `POST /vector_stores/{vector_store_id}/files`.
pub const CREATE: Endpoint = Endpoint {
    ops: &["createVectorStoreFile"],
    check: check_create,
    shape: create,
    ..Endpoint::GENERIC
};

/// `GET /vector_stores/{vector_store_id}/files`.
pub const LIST: Endpoint = Endpoint {
    ops: &["listVectorStoreFiles"],
    check: |call| find(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(store)) = find(call) {
            list_page(call, &store.id, None, answer);
        }
    },
    ..Endpoint::GENERIC
};

/// `GET /vector_stores/{vector_store_id}/files/{file_id}`.
pub const RETRIEVE: Endpoint = Endpoint {
    ops: &["getVectorStoreFile"],
    check: |call| find_file(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(file)) = find_file(call) {
            *answer = at(&file, lifecycle::now_ms());
        }
    },
    ..Endpoint::GENERIC
};

/// `POST /vector_stores/{vector_store_id}/files/{file_id}`: new attributes.
pub const UPDATE: Endpoint = Endpoint {
    ops: &["updateVectorStoreFileAttributes"],
    check: |call| find_file(call).map(drop),
    shape: update,
    ..Endpoint::GENERIC
};

/// `DELETE /vector_stores/{vector_store_id}/files/{file_id}`.
pub const DELETE: Endpoint = Endpoint {
    ops: &["deleteVectorStoreFile"],
    check: |call| find_file(call).map(drop),
    shape: |call, answer, _| {
        if let Ok(Some(file)) = find_file(call) {
            call.store.delete(call.namespace, KIND, &file.id);
        }
        let id = path_param(call, "file_id");
        *answer = json!({"id": id, "object": "vector_store.file.deleted", "deleted": true});
    },
    ..Endpoint::GENERIC
};

/// `GET /vector_stores/{vector_store_id}/files/{file_id}/content`: the chunks' text, once
/// the file is ingested.
pub const CONTENT: Endpoint = Endpoint {
    ops: &["retrieveVectorStoreFileContent"],
    check: |call| find_file(call).map(drop),
    shape: |call, answer, _| {
        let Ok(Some(file)) = find_file(call) else {
            return;
        };
        let done = at(&file, lifecycle::now_ms())["status"] == "completed";
        let data: Vec<Value> = chunks(&file)
            .filter(|_| done)
            .map(|text| json!({"type": "text", "text": text}))
            .collect();
        *answer = json!({
            "object": "vector_store.file_content.page",
            "data": data,
            "has_more": false,
            "next_page": null,
        });
    },
    ..Endpoint::GENERIC
};

/// A vector store file as a client sees it at `now_ms`.
pub fn at(file: &Object, now_ms: u64) -> Value {
    lifecycle::view(&file.body, &lifecycle::stages(&file.extra), now_ms)
}

/// The text of a vector store file's chunks, in order.
pub fn chunks(file: &Object) -> impl Iterator<Item = &str> {
    file.extra
        .get("chunks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// The name of the File a vector store file was made from (as it was when ingested).
pub fn filename(file: &Object) -> &str {
    file.extra
        .get("filename")
        .and_then(Value::as_str)
        .unwrap_or(&file.id)
}

/// The real API's 404 for a file that is not in a vector store.
fn file_not_found(file: &str, store: &str) -> ApiError {
    ApiError::invalid_request(format!(
        "No file found with id '{file}' in vector store '{store}'."
    ))
    .with_status(404)
    .with_param("file_id")
}

/// The vector store file named by the path: `Ok(None)` when its store or itself is unknown
/// under lenient ids; a 404 when either was deleted, or is unknown under strict ids.
pub fn find_file(call: &Call) -> Result<Option<Arc<Object>>, ApiError> {
    let Some(store) = find(call)? else {
        return Ok(None);
    };
    let file = path_param(call, "file_id");
    match call
        .store
        .get(call.namespace, KIND, &store_id(&store.id, file))
    {
        Found::Live(object) => Ok(Some(object)),
        Found::Deleted => Err(file_not_found(file, &store.id)),
        Found::Unknown if call.store.settings.strict_ids => Err(file_not_found(file, &store.id)),
        Found::Unknown => Ok(None),
    }
}

/// Fills a list page with the files of `store` (of `batch`, when given) as they are now,
/// keeping those whose status is the query's `filter`.
pub fn list_page(call: &Call, store: &str, batch: Option<&str>, answer: &mut Value) {
    let filter = call.request.query.get("filter").and_then(Value::as_str);
    let now = lifecycle::now_ms();
    let items: Vec<Value> = call
        .store
        .list(call.namespace, KIND, Some(store))
        .iter()
        .filter(|file| {
            batch.is_none() || file.extra.get("batch_id").and_then(Value::as_str) == batch
        })
        .map(|file| at(file, now))
        .filter(|file| filter.is_none_or(|f| file.get("status").and_then(Value::as_str) == Some(f)))
        .collect();
    page(call, items, answer, "desc");
}

/// The files of `batch` in `store`, as they are at `now_ms`: their `file_counts`.
pub fn batch_counts(call: &Call, store: &str, batch: &str, now_ms: u64) -> Value {
    let files: Vec<Value> = call
        .store
        .list(call.namespace, KIND, Some(store))
        .iter()
        .filter(|file| file.extra.get("batch_id").and_then(Value::as_str) == Some(batch))
        .map(|file| at(file, now_ms))
        .collect();
    tally(files.iter()).0
}

fn check_create(call: &Call) -> Result<(), ApiError> {
    find(call)?;
    let body = &call.request.body;
    ingest::check_strategy(body.get("chunking_strategy"))?;
    let id = body.get("file_id").and_then(Value::as_str).unwrap_or("");
    let bytes = ingest::check_files(call, &[id.to_string()])?;
    call.store.check_room(512 + bytes)
}

fn create(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let Ok(Some(store)) = find(call) else {
        return;
    };
    let body = &call.request.body;
    let spec = FileSpec {
        file_id: body
            .get("file_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        chunking_strategy: body.get("chunking_strategy").cloned(),
        attributes: body.get("attributes").cloned(),
    };
    if let Some(file) = ingest::add_files(call, generator, &store.id, &[spec], None).pop() {
        *answer = file;
    }
}

fn update(call: &Call, answer: &mut Value, _: &mut Generator) {
    let Ok(Some(file)) = find_file(call) else {
        return;
    };
    let attributes = call
        .request
        .body
        .get("attributes")
        .filter(|a| a.is_object())
        .cloned()
        .unwrap_or(json!({}));
    let updated = call.store.update(call.namespace, KIND, &file.id, |file| {
        set(&mut file.body, "attributes", attributes.clone());
    });
    if let Some(updated) = updated {
        *answer = at(&updated, lifecycle::now_ms());
    }
}
