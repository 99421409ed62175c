//! Per-endpoint semantics: what the mock says, on top of the schema-valid body.
//!
//! [`generate`](crate::generate) makes a body that conforms to the operation's schema;
//! the functions here then make it behave like the endpoint: they read the request and
//! adjust the answer (uploaded file names and sizes, ...). Every change keeps the body
//! valid against its schema; the sweep tests check that for every operation.

pub mod tokens;

use crate::catalog::{Catalog, Operation};
use crate::generate::Generator;
use crate::validate::ValidRequest;
use serde_json::Value;

/// Adjusts the generated `answer` for `op` to what the endpoint would really say.
pub fn shape<'a>(
    _catalog: &'a Catalog,
    op: &Operation,
    request: &ValidRequest,
    answer: &mut Value,
    _generator: &mut Generator<'a>,
) {
    if !request.files.is_empty() {
        describe_upload(op, request, answer);
    }
}

/// An uploaded file's name and size come back on the created object
/// (`POST /files` -> `filename`, `bytes`).
fn describe_upload(_op: &Operation, request: &ValidRequest, answer: &mut Value) {
    let Some(file) = request.files.first() else {
        return;
    };
    let Value::Object(object) = answer else {
        return;
    };
    if let (Some(name), Some(Value::String(_))) = (&file.filename, object.get("filename")) {
        object.insert("filename".into(), Value::String(name.clone()));
    }
    if object.get("bytes").is_some_and(Value::is_i64) {
        object.insert("bytes".into(), Value::from(file.size as i64));
    }
}
