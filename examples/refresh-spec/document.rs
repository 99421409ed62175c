//! Reading an OpenAPI document: the YAML 1.2 parser settings `build.rs` also uses, the
//! headline facts a refresh checks and reports (version, operation and schema counts), and
//! the walk over `paths` that the change report and the reference check share.

use serde_json::Value;

use crate::Result;

/// Parses YAML text with the settings `build.rs` uses for `spec/openapi.yml`.
pub fn parse_yaml(text: &str) -> Result<Value, serde_saphyr::Error> {
    // The upstream document is ~3 MB / ~85k nodes; leave ample headroom above the
    // defaults for future growth. OpenAPI 3.1 documents are YAML 1.2: only `true`/`false`
    // are booleans, so `required: [x, y]` names the property `y`.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        budget: serde_saphyr::budget! {
            max_events: 20_000_000,
            max_nodes: 5_000_000,
            max_depth: 256,
        },
    };
    serde_saphyr::from_str_with_options(text, options)
}

/// The headline facts of a document.
pub struct Facts {
    /// The `openapi` version string (3.x).
    pub openapi: String,
    /// `info.version`.
    pub info_version: String,
    /// Operations under `paths`.
    pub operations: usize,
    /// Entries of `components.schemas`.
    pub schemas: usize,
}

/// The HTTP methods a Path Item may hold operations under, in OpenAPI's order.
pub const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a document, with the Path Item it sits in.
pub struct Operation<'a> {
    /// The path template (the key under `paths`).
    pub path: &'a str,
    /// The lower-case HTTP method.
    pub method: &'static str,
    /// The Operation object.
    pub op: &'a Value,
    /// The Path Item (for its shared `parameters`).
    pub item: &'a Value,
}

impl<'a> Operation<'a> {
    /// The operation's `operationId`, if it has one.
    pub fn id(&self) -> Option<&'a str> {
        self.op.get("operationId").and_then(Value::as_str)
    }
}

/// Every operation under `paths`, in document order (methods in `HTTP_METHODS` order).
pub fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in HTTP_METHODS {
            if let Some(op) = item.get(method) {
                found.push(Operation {
                    path,
                    method,
                    op,
                    item,
                });
            }
        }
    }
    found
}

/// `components.schemas`, if the document has that mapping.
pub fn schemas(doc: &Value) -> Option<&serde_json::Map<String, Value>> {
    doc.get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_object)
}

/// Checks that `doc` is an OpenAPI 3 document with operations and a schema mapping, and
/// returns its headline facts.
pub fn inspect(doc: &Value) -> Result<Facts> {
    let root = doc.as_object().ok_or("the top level is not a mapping")?;
    let openapi = root
        .get("openapi")
        .and_then(Value::as_str)
        .filter(|v| v.starts_with("3."))
        .ok_or("missing `openapi: 3.x` version string")?;
    let info_version = root
        .get("info")
        .and_then(|info| info.get("version"))
        .and_then(Value::as_str)
        .ok_or("missing `info.version` string")?;
    if root.get("paths").and_then(Value::as_object).is_none() {
        return Err("missing `paths` mapping".into());
    }
    let operations = operations(doc).len();
    let schemas = schemas(doc)
        .ok_or("missing `components.schemas` mapping")?
        .len();
    if operations == 0 {
        return Err("`paths` has no operations".into());
    }
    Ok(Facts {
        openapi: openapi.into(),
        info_version: info_version.into(),
        operations,
        schemas,
    })
}
