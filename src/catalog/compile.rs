//! The spec compiler: turns a parsed OpenAPI 3.x document into the catalog's JSON form
//! (operations, normalised schemas, schema targets), and applies the overlay of JSON patches.
//!
//! It is shared by `build.rs`, which compiles the pinned spec into the embedded catalog, and by
//! [`super::Catalog::from_spec_file`], which compiles a document chosen at startup (`--spec`),
//! so both take exactly the same path. It depends on `serde_json` and `std` only, because the
//! build script includes this file with `#[path]`.
//!
//! The document is walked as a `serde_json::Value` (OpenAPI 3.1 is JSON Schema 2020-12 plus a
//! few OpenAPI 3.0 leftovers) and normalised so that the validator and the generator only ever
//! see standard JSON Schema:
//!
//! - `nullable: true` becomes a `"null"` type (or an `anyOf` with `{"type": "null"}`);
//! - boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric form;
//! - `$recursiveRef: '#'` becomes a `$ref` to the enclosing component;
//! - `oneOf` becomes `anyOf`, because the spec's union branches overlap;
//! - numbers outside the `i64` range (the `seed` bounds) are clamped;
//! - prose (`description`, `title`, examples) is dropped, since nothing at run time reads it;
//! - output items the input union names directly get input copies ([`input_items`]).

use serde_json::{json, Map, Value};

#[path = "input_items.rs"]
pub mod input_items;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// How [`apply_overlay`] treats a patch that no longer fits the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Fail, naming the patch: the pinned spec and its overlay must agree (`build.rs`).
    #[allow(dead_code)] // constructed by build.rs, which includes this file
    Strict,
    /// Skip it: a document chosen at startup may already differ from the pinned one.
    Lenient,
}

/// Applies the overlay (`spec/overlay.json`, given parsed as `overlay` and named `name` in
/// messages): JSON Patch (RFC 6902) `add`/`remove`/`replace` operations that record where an
/// SDK release and the pinned spec disagree. An `add` whose target already exists is skipped
/// (the spec caught up). Any other patch that no longer fits the document fails with
/// [`Fit::Strict`], naming the patch; with [`Fit::Lenient`] it is skipped. Returns how many
/// patches were applied.
pub fn apply_overlay(
    doc: &mut Value,
    overlay: &Value,
    name: &str,
    fit: Fit,
) -> Result<usize, String> {
    let patches = overlay
        .get("patches")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{name}: expected an object with a `patches` array"))?;
    let mut applied = 0;
    for (i, patch) in patches.iter().enumerate() {
        match apply_patch(doc, patch) {
            Ok(true) => applied += 1,
            Ok(false) => {}
            Err(why) if fit == Fit::Lenient && why != UNSUPPORTED => {}
            Err(why) => {
                let op = patch.get("op").and_then(Value::as_str).unwrap_or("");
                let path = patch.get("path").and_then(Value::as_str).unwrap_or("");
                return Err(format!("{name}: patch {i} ({op} {path}) {why}"));
            }
        }
    }
    Ok(applied)
}

const UNSUPPORTED: &str = "has an unsupported op (use add, remove or replace)";

/// Applies one patch; `Ok(false)` when it is an `add` the document already satisfies.
fn apply_patch(doc: &mut Value, patch: &Value) -> Result<bool, &'static str> {
    {
        let op = patch.get("op").and_then(Value::as_str).unwrap_or("");
        let path = patch.get("path").and_then(Value::as_str).unwrap_or("");
        let fail = |why: &'static str| why;
        let (parent_path, key) = path.rsplit_once('/').ok_or_else(|| fail("has no path"))?;
        let key = key.replace("~1", "/").replace("~0", "~");
        let parent = doc
            .pointer_mut(parent_path)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| fail("names a parent that is not an object in the spec"))?;
        match op {
            "add" if parent.contains_key(&key) => Ok(false),
            "add" | "replace" => {
                let value = patch
                    .get("value")
                    .cloned()
                    .ok_or_else(|| fail("has no value"))?;
                if op == "replace" && !parent.contains_key(&key) {
                    return Err(fail("replaces something the spec does not have"));
                }
                parent.insert(key, value);
                Ok(true)
            }
            "remove" => {
                parent
                    .remove(&key)
                    .ok_or_else(|| fail("removes something the spec does not have"))?;
                Ok(true)
            }
            _ => Err(UNSUPPORTED),
        }
    }
}

/// Builds the catalog (without fixtures) from a parsed OpenAPI document.
pub fn compile(doc: &Value) -> Result<Value, String> {
    // Output items sent back as input need not carry what the server assigns.
    let mut relaxed = doc.clone();
    input_items::relax(&mut relaxed);
    let doc = &relaxed;
    let version = doc
        .get("openapi")
        .and_then(Value::as_str)
        .ok_or("missing the top-level `openapi` version field; is this an OpenAPI document?")?;
    if !version.starts_with("3.") {
        return Err(format!("OpenAPI {version} is not supported (need 3.x)"));
    }
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("missing the `paths` object")?;
    let raw_schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .ok_or("missing `components.schemas`")?;

    let mut schemas = Map::new();
    for (name, schema) in raw_schemas {
        schemas.insert(name.clone(), normalise(schema, name));
    }

    let base_path = doc
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .map(url_path)
        .unwrap_or_default();

    let mut targets: Vec<Value> = Vec::new();
    let mut operations = Vec::new();
    for (path, item) in paths {
        let item = item
            .as_object()
            .ok_or_else(|| format!("paths.{path} is not an object"))?;
        let shared_params = item.get("parameters").cloned().unwrap_or(json!([]));
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let where_ = format!("{} {path}", method.to_uppercase());
            let operation =
                compile_operation(&where_, path, method, op, &shared_params, doc, &mut targets)
                    .map_err(|e| format!("{where_}: {e}"))?;
            operations.push(operation);
        }
    }
    if operations.is_empty() {
        return Err("the document has no operations".into());
    }

    Ok(json!({
        "info": {
            "openapi": version,
            "version": doc.pointer("/info/version").cloned().unwrap_or(Value::Null),
            "title": doc.pointer("/info/title").cloned().unwrap_or(Value::Null),
        },
        "base_path": base_path,
        "operations": operations,
        "schemas": {
            "components": { "schemas": schemas },
            "x-targets": targets,
        },
    }))
}

/// The path part of a server URL: `https://api.openai.com/v1` -> `/v1`.
fn url_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(i) => after_scheme[i..].trim_end_matches('/').to_string(),
        None => String::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn compile_operation(
    where_: &str,
    path: &str,
    method: &str,
    op: &Value,
    shared_params: &Value,
    doc: &Value,
    targets: &mut Vec<Value>,
) -> Result<Value, String> {
    let id = op
        .get("operationId")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| where_.to_string());
    let admin = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|reqs| reqs.iter().any(|r| r.get("AdminApiKeyAuth").is_some()));

    let mut params = Vec::new();
    let mut query_properties = Map::new();
    let mut query_required = Vec::new();
    let listed = shared_params.as_array().into_iter().flatten().chain(
        op.get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    );
    for param in listed {
        let param = resolve(doc, param)?;
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .ok_or("a parameter has no name")?;
        let location = param
            .get("in")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("parameter {name} has no `in`"))?;
        let schema = param.get("schema").cloned().unwrap_or(json!({}));
        let required = param
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(location == "path");
        params.push(json!({ "name": name, "in": location, "required": required }));
        if location == "query" {
            query_properties.insert(name.to_string(), schema);
            if required {
                query_required.push(json!(name));
            }
        }
    }
    let query = add_target(
        targets,
        &json!({ "type": "object", "properties": query_properties, "required": query_required }),
    );

    let mut body = Value::Null;
    if let Some(request_body) = op.get("requestBody") {
        let request_body = resolve(doc, request_body)?;
        let mut content = Vec::new();
        for (media_type, media) in request_body
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let schema = media.get("schema").cloned().unwrap_or(json!({}));
            content.push(json!({
                "type": media_type,
                "schema": add_target(targets, &schema),
            }));
        }
        body = json!({
            "required": request_body.get("required").and_then(Value::as_bool).unwrap_or(false),
            "content": content,
        });
    }

    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .ok_or("no `responses`")?;
    let (status, response) = responses
        .iter()
        .filter_map(|(code, r)| code.parse::<u16>().ok().map(|c| (c, r)))
        .filter(|(code, _)| (200..300).contains(code))
        .min_by_key(|(code, _)| *code)
        .ok_or("no 2xx response")?;
    let response = resolve(doc, response)?;
    let mut content_type = Value::Null;
    let mut content_types = Vec::new();
    let mut schema = Value::Null;
    let mut stream = Value::Null;
    for (media_type, media) in response
        .get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let media_schema = media.get("schema").cloned();
        if media_type == "text/event-stream" {
            stream = media_schema
                .map(|s| add_target(targets, &s))
                .unwrap_or(Value::Null);
        } else if content_type.is_null() {
            content_types.push(json!(media_type));
            content_type = json!(media_type);
            schema = media_schema
                .map(|s| add_target(targets, &s))
                .unwrap_or(Value::Null);
        } else {
            content_types.push(json!(media_type));
        }
    }

    Ok(json!({
        "id": id,
        "method": method.to_uppercase(),
        "path": path,
        "admin": admin,
        "params": params,
        "query": query,
        "body": body,
        "response": {
            "status": status,
            "content_type": content_type,
            "content_types": content_types,
            "schema": schema,
        },
        "stream": stream,
    }))
}

/// Adds a (normalised) schema to `x-targets` and returns its index.
fn add_target(targets: &mut Vec<Value>, schema: &Value) -> Value {
    targets.push(normalise(schema, ""));
    json!(targets.len() - 1)
}

/// Follows a local `$ref` (`#/components/...`) to the object it names.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> Result<&'a Value, String> {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference
                .strip_prefix('#')
                .ok_or_else(|| format!("only local references are supported, not {reference}"))?;
            doc.pointer(pointer)
                .ok_or_else(|| format!("dangling reference {reference}"))
        }
        None => Ok(value),
    }
}

/// Rewrites one schema into standard draft 2020-12 JSON Schema (see the module comment).
/// `component` names the enclosing component, for `$recursiveRef`.
fn normalise(schema: &Value, component: &str) -> Value {
    match schema {
        Value::Object(map) => normalise_object(map, component),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| normalise(v, component)).collect())
        }
        other => other.clone(),
    }
}

fn normalise_object(map: &Map<String, Value>, component: &str) -> Value {
    let mut out = Map::new();
    let mut nullable = false;
    for (key, value) in map {
        match key.as_str() {
            "example" if value.is_string() => {
                // A property's own example string: the generator's first choice of a
                // realistic value. Validators ignore it.
                out.insert(key.clone(), value.clone());
            }
            "description" | "title" | "example" | "examples" | "x-oaiMeta" | "deprecated"
            | "discriminator" | "x-oaiTypeLabel" | "x-oaiExpandable" | "$recursiveAnchor" => {
                // Prose and annotations: nothing at run time reads them.
            }
            "nullable" => nullable = value.as_bool().unwrap_or(false),
            "oneOf" => {
                out.insert("anyOf".into(), normalise(value, component));
            }
            "$recursiveRef" => {
                out.insert(
                    "$ref".into(),
                    json!(format!("#/components/schemas/{component}")),
                );
            }
            "properties" | "patternProperties" | "$defs" | "definitions" => {
                // Maps from names to schemas: the names are data, never keywords.
                let inner = value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(name, s)| (name.clone(), normalise(s, component)))
                            .collect::<Map<_, _>>()
                    })
                    .map(Value::Object)
                    .unwrap_or_else(|| value.clone());
                out.insert(key.clone(), inner);
            }
            "required" => {
                // The spec repeats some names; duplicates confuse validators.
                let mut names: Vec<Value> = Vec::new();
                for name in value.as_array().into_iter().flatten() {
                    if !names.contains(name) {
                        names.push(name.clone());
                    }
                }
                out.insert(key.clone(), Value::Array(names));
            }
            "enum" | "const" | "default" => {
                out.insert(key.clone(), clamp_numbers(value));
            }
            "minimum" | "maximum" => {
                out.insert(key.clone(), clamp_numbers(value));
            }
            _ => {
                out.insert(key.clone(), normalise(value, component));
            }
        }
    }
    // Boolean exclusive bounds (OpenAPI 3.0) become the numeric form.
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(exclusive)) = out.get(flag).cloned() {
            out.remove(flag);
            if exclusive {
                if let Some(limit) = out.remove(bound) {
                    out.insert(flag.into(), limit);
                }
            }
        }
    }
    if nullable {
        return make_nullable(out);
    }
    Value::Object(out)
}

/// Allows `null` for a schema that was marked `nullable: true`.
fn make_nullable(mut schema: Map<String, Value>) -> Value {
    match schema.get("type").cloned() {
        Some(Value::String(t)) if !schema.contains_key("$ref") => {
            schema.insert("type".into(), json!([t, "null"]));
            if let Some(Value::Array(options)) = schema.get_mut("enum") {
                if !options.contains(&Value::Null) {
                    options.push(Value::Null);
                }
            }
            Value::Object(schema)
        }
        Some(Value::Array(mut types)) if !schema.contains_key("$ref") => {
            if !types.contains(&json!("null")) {
                types.push(json!("null"));
            }
            schema.insert("type".into(), Value::Array(types));
            Value::Object(schema)
        }
        _ => json!({ "anyOf": [Value::Object(schema), { "type": "null" }] }),
    }
}

/// Clamps numbers outside the `i64` range (the spec's `seed` bounds are ±9.2e18 written as
/// integers that overflow) so every consumer can read them as `i64`.
fn clamp_numbers(value: &Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(0.0);
            if f.fract() == 0.0 && f >= i64::MAX as f64 {
                json!(i64::MAX)
            } else if f.fract() == 0.0 && f <= i64::MIN as f64 {
                json!(i64::MIN)
            } else {
                value.clone()
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(clamp_numbers).collect()),
        other => other.clone(),
    }
}

/// Checks fixture objects (component schema name -> example object) against a compiled
/// `catalog`: every name must be a component schema. Returns the name of the first that is not.
pub fn unknown_fixture<'a>(
    catalog: &Value,
    names: impl IntoIterator<Item = &'a String>,
) -> Option<&'a String> {
    names.into_iter().find(|name| {
        catalog
            .pointer(&format!("/schemas/components/schemas/{name}"))
            .is_none()
    })
}
