//! The compiled spec at run time: operations, routes, schemas and fixtures.
//!
//! `build.rs` turns `spec/openapi.yml` into one compact JSON document that is embedded in the
//! binary. [`Catalog::embedded`] parses it once per process; nothing on the request path ever
//! touches the YAML or re-normalises a schema. [`Catalog::from_spec_file`] compiles another
//! document at startup instead (`--spec`), through the same compiler.

mod compile;
mod load;
mod router;
mod schemas;

pub use load::{SpecError, SpecFile};
pub use router::{RouteMatch, Router};
pub use schemas::{SchemaStore, ROOT_URI};

use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::{Arc, OnceLock};

static EMBEDDED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/catalog.json"));

/// One operation of the spec (a path and a method).
#[derive(Debug, Deserialize)]
pub struct Operation {
    /// The spec's `operationId`, e.g. `createChatCompletion`.
    pub id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// The templated path relative to the server URL, e.g. `/files/{file_id}`.
    pub path: String,
    /// Whether the operation is secured by the admin API key.
    pub admin: bool,
    /// Declared parameters, in order.
    pub params: Vec<Param>,
    /// Index (into the schema targets) of the object schema for the query string.
    pub query: usize,
    /// The request body, when the operation takes one.
    pub body: Option<RequestBody>,
    /// The chosen success response.
    pub response: SuccessResponse,
    /// Index of the event schema when the operation can answer `text/event-stream`.
    pub stream: Option<usize>,
    /// The path parameter naming the object this operation answers with, if any: the last
    /// parameter, unless a collection segment follows it (`/threads/{thread_id}/runs`).
    #[serde(skip)]
    pub id_param: Option<String>,
}

/// A declared parameter.
#[derive(Debug, Deserialize)]
pub struct Param {
    /// Name as written in the spec (may end in `[]`).
    pub name: String,
    /// `path`, `query` or `header`.
    #[serde(rename = "in")]
    pub location: String,
    /// Whether the client must send it.
    pub required: bool,
}

/// The request body of an operation.
#[derive(Debug, Deserialize)]
pub struct RequestBody {
    /// Whether a body must be sent.
    pub required: bool,
    /// The accepted media types.
    pub content: Vec<MediaType>,
}

/// One accepted media type and its schema.
#[derive(Debug, Deserialize)]
pub struct MediaType {
    /// e.g. `application/json`.
    #[serde(rename = "type")]
    pub media_type: String,
    /// Index into the schema targets.
    pub schema: usize,
}

/// The success response the mock answers with.
#[derive(Debug, Deserialize)]
pub struct SuccessResponse {
    /// e.g. 200.
    pub status: u16,
    /// The media type, or `None` when the spec declares no body.
    pub content_type: Option<String>,
    /// Every non-streaming media type the spec lists, the chosen one first.
    #[serde(default)]
    pub content_types: Vec<String>,
    /// Index into the schema targets, when the body has a schema.
    pub schema: Option<usize>,
}

#[derive(Deserialize)]
struct RawCatalog {
    info: Info,
    base_path: String,
    operations: Vec<Operation>,
    schemas: Value,
    fixtures: Map<String, Value>,
}

/// Version facts about the compiled spec.
#[derive(Debug, Clone, Deserialize)]
pub struct Info {
    /// The OpenAPI version of the document, e.g. `3.1.0`.
    pub openapi: String,
    /// The document's `info.version`.
    pub version: Option<String>,
    /// The document's `info.title`.
    pub title: Option<String>,
}

/// The whole compiled spec.
pub struct Catalog {
    /// Version facts.
    pub info: Info,
    /// The path of `servers[0].url`, e.g. `/v1`.
    pub base_path: String,
    /// All operations, in spec order.
    pub operations: Vec<Operation>,
    /// Method + path lookup.
    pub router: Router,
    /// The normalised schemas and their validators.
    pub schemas: SchemaStore,
    /// Our hand-written example objects, by component schema name.
    pub fixtures: Map<String, Value>,
}

impl Catalog {
    /// The catalog embedded in this binary, parsed on first use.
    pub fn embedded() -> Arc<Catalog> {
        static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
        CATALOG
            .get_or_init(|| {
                // The catalog is produced by our own build script from a document it already
                // checked, so failing to read it back is a build defect, not bad input.
                let raw: RawCatalog = serde_json::from_slice(EMBEDDED)
                    .unwrap_or_else(|e| panic!("embedded catalog is corrupt: {e}"));
                Arc::new(Catalog::from_raw(raw))
            })
            .clone()
    }

    fn from_raw(mut raw: RawCatalog) -> Catalog {
        let paths: Vec<String> = raw.operations.iter().map(|op| op.path.clone()).collect();
        for op in &mut raw.operations {
            op.id_param = id_param(&op.path, &paths);
        }
        let router = Router::new(&raw.operations);
        let mut request_targets: Vec<usize> = raw
            .operations
            .iter()
            .flat_map(|op| {
                let bodies = op.body.iter().flat_map(|body| &body.content);
                std::iter::once(op.query).chain(bodies.map(|media| media.schema))
            })
            .collect();
        request_targets.sort_unstable();
        request_targets.dedup();
        Catalog {
            info: raw.info,
            base_path: raw.base_path,
            router,
            schemas: SchemaStore::new(raw.schemas, request_targets),
            fixtures: raw.fixtures,
            operations: raw.operations,
        }
    }

    /// The path parameter whose value is the answered object's `id` (see [`Operation`]).
    pub fn id_param<'a>(&self, op: &'a Operation) -> Option<&'a str> {
        op.id_param.as_deref()
    }

    /// Looks an operation up by its `operationId`.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }
}

/// Finds the parameter of `path` that names the object it answers with: the last `{param}`,
/// unless one of the static segments after it is a collection, i.e. some other path
/// continues it with a parameter (`/threads/{thread_id}/runs/{run_id}` makes `runs` one).
fn id_param(path: &str, all_paths: &[String]) -> Option<String> {
    // A query-keyed variant (`/responses/{response_id}?beta=true`) names what its plain path
    // names.
    let path = path.split_once('?').map_or(path, |(plain, _)| plain);
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.iter().rposition(|s| s.starts_with('{'))?;
    for end in last + 1..segments.len() {
        let prefix = segments[..=end].join("/");
        let is_collection = all_paths.iter().any(|other| {
            other
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_prefix("/{"))
                .is_some()
        });
        if is_collection {
            return None;
        }
    }
    Some(
        segments[last]
            .trim_matches(|c| c == '{' || c == '}')
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::id_param;

    #[test]
    fn the_id_parameter_is_the_last_one_unless_a_collection_follows() {
        let paths = [
            "/threads/{thread_id}".to_string(),
            "/threads/{thread_id}/runs".to_string(),
            "/threads/{thread_id}/runs/{run_id}".to_string(),
            "/threads/{thread_id}/runs/{run_id}/cancel".to_string(),
        ];
        assert_eq!(id_param(&paths[0], &paths).as_deref(), Some("thread_id"));
        assert_eq!(id_param(&paths[1], &paths), None);
        assert_eq!(id_param(&paths[2], &paths).as_deref(), Some("run_id"));
        assert_eq!(id_param(&paths[3], &paths).as_deref(), Some("run_id"));
    }
}
