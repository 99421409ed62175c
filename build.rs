//! Compiles `spec/openapi.yml` (and `fixtures/*.json`) into the compact run-time catalog.
//!
//! The catalog is one JSON document written to `$OUT_DIR/catalog.json` and embedded in the
//! binary with `include_bytes!`, so the server never reads or normalises the spec at run time.
//! It holds:
//!
//! - `operations`: one entry per path + method, with the parameters, request media types and
//!   the chosen success response, each schema given as an index into `schemas.x-targets`;
//! - `schemas`: one JSON Schema (draft 2020-12) root document holding the normalised
//!   `components.schemas` and the inline schemas the operations point at (`x-targets`);
//! - `fixtures`: our hand-written example objects, keyed by component schema name.
//!
//! The document is walked as a `serde_json::Value` (OpenAPI 3.1 is JSON Schema 2020-12 plus a
//! few OpenAPI 3.0 leftovers), and normalised so that the validator and the generator only ever
//! see standard JSON Schema:
//!
//! - `nullable: true` becomes a `"null"` type (or an `anyOf` with `{"type": "null"}`);
//! - boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric form;
//! - `$recursiveRef: '#'` becomes a `$ref` to the enclosing component;
//! - `oneOf` becomes `anyOf`, because the spec's union branches overlap;
//! - numbers outside the `i64` range (the `seed` bounds) are clamped;
//! - prose (`description`, `title`, examples) is dropped, since nothing at run time reads it.
//!
//! Both the stripped pinned spec and the raw upstream document are accepted.
//!
//! It also writes the token tables of `src/services/tokens.rs` (see [`write_token_tables`]):
//! `$OUT_DIR/o200k_base.bpe` and `cl100k_base.bpe`, generated from `tiktoken-rs` itself, and
//! the matching split patterns `o200k_base.pat` and `cl100k_base.pat`.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

const SPEC_PATH: &str = "spec/openapi.yml";
const FIXTURES_DIR: &str = "fixtures";
const OVERLAY_PATH: &str = "spec/overlay.json";
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn main() {
    println!("cargo:rerun-if-changed=spec");
    println!("cargo:rerun-if-changed={FIXTURES_DIR}");
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(message) = run() {
        eprintln!("\nerror: openai-mock could not compile its spec catalog\n  {message}\n");
        std::process::exit(1);
    }
    if let Err(message) = write_token_tables() {
        eprintln!("\nerror: openai-mock could not write its token tables\n  {message}\n");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let text =
        std::fs::read_to_string(SPEC_PATH).map_err(|e| format!("cannot read {SPEC_PATH}: {e}"))?;
    let mut doc: Value =
        // OpenAPI 3.1 is YAML 1.2: only `true`/`false` are booleans (`required: [x, y]`).
        serde_saphyr::from_str_with_options(&text, serde_saphyr::options! { strict_booleans: true })
            .map_err(|e| format!("{SPEC_PATH} is not valid YAML: {e}"))?;
    apply_overlay(&mut doc)?;
    let catalog = compile(&doc).map_err(|e| format!("{SPEC_PATH}: {e}"))?;
    let fixtures = load_fixtures(&catalog)?;
    let mut catalog = catalog;
    catalog["fixtures"] = fixtures;
    let out_dir = std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR is not set: {e}"))?;
    let out = Path::new(&out_dir).join("catalog.json");
    let bytes = serde_json::to_vec(&catalog).map_err(|e| format!("cannot serialise: {e}"))?;
    std::fs::write(&out, bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))
}

/// Applies `spec/overlay.json`: JSON Patch (RFC 6902) `add`/`remove`/`replace` operations
/// that record where an SDK release and the pinned spec disagree. An `add` whose target
/// already exists is skipped (the spec caught up); any other patch that no longer fits the
/// document fails the build, naming the patch.
fn apply_overlay(doc: &mut Value) -> Result<(), String> {
    let Ok(text) = std::fs::read_to_string(OVERLAY_PATH) else {
        return Ok(());
    };
    let overlay: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{OVERLAY_PATH} is not valid JSON: {e}"))?;
    let patches = overlay
        .get("patches")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{OVERLAY_PATH}: expected an object with a `patches` array"))?;
    for (i, patch) in patches.iter().enumerate() {
        let op = patch.get("op").and_then(Value::as_str).unwrap_or("");
        let path = patch.get("path").and_then(Value::as_str).unwrap_or("");
        let fail = |why: &str| format!("{OVERLAY_PATH}: patch {i} ({op} {path}) {why}");
        let (parent_path, key) = path.rsplit_once('/').ok_or_else(|| fail("has no path"))?;
        let key = key.replace("~1", "/").replace("~0", "~");
        let parent = doc
            .pointer_mut(parent_path)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| fail("names a parent that is not an object in the spec"))?;
        match op {
            "add" if parent.contains_key(&key) => {}
            "add" | "replace" => {
                let value = patch
                    .get("value")
                    .cloned()
                    .ok_or_else(|| fail("has no value"))?;
                if op == "replace" && !parent.contains_key(&key) {
                    return Err(fail("replaces something the spec does not have"));
                }
                parent.insert(key, value);
            }
            "remove" => {
                parent
                    .remove(&key)
                    .ok_or_else(|| fail("removes something the spec does not have"))?;
            }
            _ => return Err(fail("has an unsupported op (use add, remove or replace)")),
        }
    }
    Ok(())
}

/// Builds the catalog from a parsed OpenAPI document.
fn compile(doc: &Value) -> Result<Value, String> {
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

/// Reads `fixtures/*.json`: each file maps component schema names to example objects.
fn load_fixtures(catalog: &Value) -> Result<Value, String> {
    let mut fixtures = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir(FIXTURES_DIR) else {
        return Ok(json!({}));
    };
    let mut files: Vec<_> = dir.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    for file in files {
        if file.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let entries: Map<String, Value> = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a JSON object: {e}", file.display()))?;
        for (name, value) in entries {
            if catalog
                .pointer(&format!("/schemas/components/schemas/{name}"))
                .is_none()
            {
                return Err(format!(
                    "{}: `{name}` is not a schema in components.schemas",
                    file.display()
                ));
            }
            if fixtures.insert(name.clone(), value).is_some() {
                return Err(format!(
                    "{}: fixture `{name}` is defined twice",
                    file.display()
                ));
            }
        }
    }
    Ok(json!(fixtures))
}

/// The split pattern of `cl100k_base`: `tiktoken-rs` passes it to `CoreBPE::new` inside
/// `cl100k_base()` but does not export it (unlike `O200K_BASE_PAT_STR`), so it is repeated
/// here verbatim from tiktoken-rs 0.12 `src/tiktoken_ext/openai_public.rs`. The equivalence
/// tests in `src/services/tokens.rs` compare every encoding with tiktoken-rs's own.
const CL100K_BASE_PAT_STR: &str = "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s";

/// Writes the compact token tables read by `src/services/tokens.rs`, one per encoding, built from
/// tiktoken-rs's own `CoreBPE` so that they are exactly its vocabulary:
///
/// - `$OUT_DIR/<name>.bpe`, little-endian throughout:
///   - header: `b"BPE1"`, then u32 `n` (ranks, the highest known rank + 1), u32 `slots` (a
///     power of two, at least `2 * n`), u32 `blob_len`;
///   - `n + 1` u32 offsets into the blob: rank `r` is the bytes `blob[off[r]..off[r + 1]]`;
///     ranks that do not exist are empty, special tokens (`<|endoftext|>`, ...) keep their text
///     so that decoding matches `CoreBPE::decode_bytes`;
///   - `slots` u32 entries of an open-addressing (linear probing) hash table from bytes to
///     rank: 0 for an empty slot, else `rank + 1` in the low [`RANK_BITS`] bits and the top
///     bits of `token_hash(bytes)` above them (a tag that lets most misses skip comparing
///     bytes); the first slot tried is `token_hash(bytes) & (slots - 1)`. Only ordinary tokens
///     are entered, so gaps and special tokens can never match;
///   - the blob: every rank's bytes, concatenated in rank order;
/// - `$OUT_DIR/<name>.pat`: the regex that splits text into pieces before the merges.
fn write_token_tables() -> Result<(), String> {
    let out_dir = std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR is not set: {e}"))?;
    let out_dir = Path::new(&out_dir);
    let o200k = tiktoken_rs::o200k_base().map_err(|e| format!("tiktoken-rs o200k_base: {e}"))?;
    write_token_table(&o200k, &out_dir.join("o200k_base.bpe"))?;
    write_file(
        &out_dir.join("o200k_base.pat"),
        tiktoken_rs::O200K_BASE_PAT_STR.as_bytes(),
    )?;
    drop(o200k);
    let cl100k = tiktoken_rs::cl100k_base().map_err(|e| format!("tiktoken-rs cl100k_base: {e}"))?;
    write_token_table(&cl100k, &out_dir.join("cl100k_base.bpe"))?;
    write_file(
        &out_dir.join("cl100k_base.pat"),
        CL100K_BASE_PAT_STR.as_bytes(),
    )
}

#[path = "src/services/token_hash.rs"]
mod token_hash;
use token_hash::{token_hash, RANK_BITS};

/// Writes one `.bpe` table (the layout is described at [`write_token_tables`]).
fn write_token_table(bpe: &tiktoken_rs::CoreBPE, out: &Path) -> Result<(), String> {
    // Special tokens are decodable but are never the result of `encode_ordinary`.
    let mut special = std::collections::HashSet::new();
    for text in bpe.special_tokens() {
        match bpe.encode_with_special_tokens(text).as_slice() {
            [rank] => special.insert(*rank),
            _ => return Err(format!("special token {text} is not one rank")),
        };
    }
    // Every rank up to the highest one that decodes; stop after a long run of unknown ranks.
    let mut tokens: Vec<Vec<u8>> = Vec::new();
    let mut misses = 0u32;
    let mut rank = 0u32;
    while misses < 1 << 16 {
        match bpe.decode_bytes(&[rank]) {
            Ok(bytes) if !bytes.is_empty() => {
                tokens.resize(rank as usize, Vec::new());
                tokens.push(bytes);
                misses = 0;
            }
            _ => misses += 1,
        }
        rank = rank.checked_add(1).ok_or("the rank space is exhausted")?;
    }
    let n = tokens.len();
    if n >= (1 << RANK_BITS) - 1 {
        return Err(format!("{n} ranks do not fit in {RANK_BITS} bits"));
    }
    let slots = (2 * n).next_power_of_two();
    let blob_len: usize = tokens.iter().map(Vec::len).sum();
    let u32_of = |value: usize, what: &str| {
        u32::try_from(value).map_err(|_| format!("{what} ({value}) does not fit in a u32"))
    };

    let mut table = vec![0u32; slots];
    let mask = slots - 1;
    for (rank, bytes) in tokens.iter().enumerate() {
        if bytes.is_empty() || special.contains(&u32_of(rank, "rank")?) {
            continue;
        }
        let hash = token_hash(bytes);
        let tag = (hash >> (64 - (32 - RANK_BITS))) as u32;
        let mut slot = hash as usize & mask;
        while table[slot] != 0 {
            let other = (table[slot] & ((1 << RANK_BITS) - 1)) as usize - 1;
            if tokens[other] == *bytes {
                return Err(format!("two ranks have the bytes {bytes:?}"));
            }
            slot = (slot + 1) & mask;
        }
        table[slot] = (tag << RANK_BITS) | u32_of(rank + 1, "rank")?;
    }

    let mut data = Vec::with_capacity(16 + 4 * (n + 1 + slots) + blob_len);
    data.extend_from_slice(b"BPE1");
    for value in [n, slots, blob_len] {
        data.extend_from_slice(&u32_of(value, "table size")?.to_le_bytes());
    }
    let mut offset = 0usize;
    data.extend_from_slice(&0u32.to_le_bytes());
    for bytes in &tokens {
        offset += bytes.len();
        data.extend_from_slice(&u32_of(offset, "blob offset")?.to_le_bytes());
    }
    for entry in &table {
        data.extend_from_slice(&entry.to_le_bytes());
    }
    for bytes in &tokens {
        data.extend_from_slice(bytes);
    }
    write_file(out, &data)
}

/// Writes `bytes` to `path`.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
