//! Tests for the spec-refresh tool (`examples/refresh-spec/`): the pinned upstream
//! document (`spec/upstream/*.yaml.gz`, sha256-checked by the tool) must reproduce
//! the committed `spec/openapi.yml` byte for byte; the stripping rules hold on a small
//! fixture; the change report lists what was added, removed and changed; a dangling
//! reference from the overlay, a fixture or an endpoint module fails the refresh; bad
//! inputs fail loudly without writing anything. Every run writes into a scratch directory
//! under `target/`, never into the repository's `spec/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The change report and the reference check.
mod report;

/// The pinned upstream document, kept in the repo gzip-compressed with its provenance beside
/// it (`spec/upstream/metadata.json`).
const UPSTREAM: &str = "spec/upstream/openapi-2026-08-21.yaml.gz";
const UPSTREAM_SHA256: &str = "db5d7478feae10b4d331834c60d9765a8aa042e38419f9b1694288c11aa8ebc8";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh, empty scratch directory under cargo's per-target tmp dir.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("refresh-spec")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// The refresh tool. `cargo test` builds the crate's examples with the same profile as this
/// test, into `target/<profile>/examples/`, beside the `deps/` folder of this executable; it
/// is run directly, so exit codes and stderr are the tool's own. A filtered run
/// (`cargo test --test external`) does not build examples, so a tool built from other
/// sources than those on disk (`--source-sha256`) fails here rather than testing stale code.
fn tool() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps");
    let profile = profile_dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rebuild = format!("cargo build --profile {profile} --example refresh-spec");
    let tool = profile_dir.join("examples/refresh-spec");
    assert!(
        tool.is_file(),
        "{} is missing: run `{rebuild}`",
        tool.display()
    );
    let built = Command::new(&tool)
        .arg("--source-sha256")
        .output()
        .expect("cannot run the refresh-spec executable");
    let built = String::from_utf8_lossy(&built.stdout);
    assert_eq!(
        built.trim(),
        sources_sha256(),
        "{} was built from other sources than examples/refresh-spec/ (or its SOURCES list \
         misses a file): run `{rebuild}` (or an unfiltered `cargo test`) first",
        tool.display()
    );
    tool
}

/// The sha256 the tool's `--source-sha256` prints when built from the files on disk.
fn sources_sha256() -> String {
    let dir = manifest_dir().join("examples/refresh-spec");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/refresh-spec/ is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        let name = file.file_name().expect("a file name").to_string_lossy();
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        hasher.update(format!("{name}\0{text}\0"));
    }
    format!("{:x}", hasher.finalize())
}

fn run_tool(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(tool())
        .args(args)
        .output()
        .expect("cannot run the refresh-spec executable")
}

/// Line-oriented description of the first difference (the files are ~2 MB).
fn first_difference(expected: &str, actual: &str) -> String {
    let (mut exp, mut act) = (expected.lines(), actual.lines());
    for number in 1.. {
        match (exp.next(), act.next()) {
            (None, None) => return "only line endings differ".into(),
            (e, a) if e != a => {
                return format!("line {number}: committed {e:?}, regenerated {a:?}");
            }
            _ => {}
        }
    }
    unreachable!()
}

#[test]
fn pinned_upstream_reproduces_committed_spec() {
    let _timed = crate::support::timing::timed("refresh-spec-pinned-upstream");
    let upstream = manifest_dir().join(UPSTREAM);
    let out_dir = scratch_dir("reproduce");
    // The committed spec as the previous document: the change report must find nothing.
    let committed_path = manifest_dir().join("spec/openapi.yml");
    std::fs::copy(&committed_path, out_dir.join("openapi.yml"))
        .expect("cannot copy the committed spec into the scratch dir");
    // The repository root defaults to this crate: its overlay, fixtures and endpoint
    // modules must resolve in the pinned document.
    let out = run_tool(&[
        upstream.as_os_str(),
        "--out-dir".as_ref(),
        out_dir.as_os_str(),
        "--expect-sha256".as_ref(),
        UPSTREAM_SHA256.as_ref(),
    ]);
    assert!(
        out.status.success(),
        "refresh-spec failed on the pinned upstream:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let committed = std::fs::read_to_string(&committed_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", committed_path.display()));
    let regenerated = std::fs::read_to_string(out_dir.join("openapi.yml"))
        .expect("refresh-spec did not write openapi.yml");
    assert!(
        committed == regenerated,
        "spec/openapi.yml is not what `cargo refresh-spec` produces from {UPSTREAM}: {}",
        first_difference(&committed, &regenerated)
    );

    let source_md = std::fs::read_to_string(out_dir.join("SOURCE.md"))
        .expect("refresh-spec did not write SOURCE.md");
    for expected in [
        UPSTREAM_SHA256,
        "| `openapi` | 3.1.0 |",
        "| `info.version` | 2.3.0 |",
        "| Operations (under `paths`) | 288 |",
        "| Schemas (`components.schemas`) | 1422 |",
        "| Upstream last synced (`metadata.json` beside it) | 2026-08-21 |",
    ] {
        assert!(
            source_md.contains(expected),
            "SOURCE.md lacks {expected:?}:\n{source_md}"
        );
    }

    let changes = std::fs::read_to_string(out_dir.join("CHANGES.md"))
        .expect("refresh-spec did not write CHANGES.md");
    for expected in [
        &format!("| Upstream sha256 | `{UPSTREAM_SHA256}` | `{UPSTREAM_SHA256}` |"),
        "| Operations (under `paths`) | 288 | 288 |",
        "No changes: the operations and schemas are the same as before.",
        "## References into the spec\n\nNone dangles in the new document",
    ] {
        assert!(
            changes.contains(expected),
            "CHANGES.md lacks {expected:?}:\n{changes}"
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("changes since the previous openapi.yml: none"),
        "{stdout}"
    );
}

const FIXTURE: &str = r#"openapi: 3.1.0
info:
  title: Fixture
  description: Long prose about the API.
  version: 1.0.0
tags:
  - name: Things
    description: Tag prose.
paths:
  /things:
    post:
      operationId: createThing
      summary: Create a thing.
      description: Operation prose.
      requestBody:
        description: Body prose.
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Thing'
            examples:
              basic:
                summary: Example summaries are example data.
                value: {description: kept, summary: kept}
      responses:
        '200':
          description: OK
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Thing'
      x-oaiMeta:
        name: Create thing
        group: things
        returns: Returns prose.
        description: Meta prose.
        examples:
          request:
            curl: curl https://example.com/things
          response: '{"description": "kept"}'
components:
  schemas:
    Thing:
      type: object
      description: Schema prose.
      required: [description]
      properties:
        description:
          type: string
          description: Property prose.
        summary:
          type: string
        seed:
          type: integer
          minimum: -9223372036854776000
          maximum: 9223372036854776000
        kind:
          type: string
          default: description
          enum: [description, summary]
      example:
        description: kept
        version: 2024-10-01T00:00:00.000Z
      x-oaiMeta:
        name: The thing object
        dataDescription: Meta prose.
        example: '{"summary": "kept"}'
x-oaiMeta:
  groups:
    - id: things
      title: Things
      description: Navigation prose.
      sections:
        - type: endpoint
          key: createThing
          path: create
"#;

#[test]
fn strips_prose_but_keeps_structure_and_data() {
    let dir = scratch_dir("fixture");
    let input = dir.join("fixture.yml");
    std::fs::write(&input, FIXTURE).expect("cannot write the fixture");
    let out_dir = dir.join("out");
    // An empty repository root: no overlay, fixtures or endpoints to resolve.
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).expect("cannot create the repo root");
    let out = run_tool(&[
        input.as_os_str(),
        "--out-dir".as_ref(),
        out_dir.as_os_str(),
        "--repo-root".as_ref(),
        repo.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "refresh-spec failed on the fixture:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml =
        std::fs::read_to_string(out_dir.join("openapi.yml")).expect("no openapi.yml written");
    assert!(
        yaml.contains("version: \"2024-10-01T00:00:00.000Z\"")
            || yaml.contains("version: '2024-10-01T00:00:00.000Z'"),
        "the timestamp-looking string must be quoted:\n{yaml}"
    );
    let actual: Value = serde_saphyr::from_str_with_options(
        &yaml,
        serde_saphyr::options! { strict_booleans: true },
    )
    .expect("output is not valid YAML");
    let expected = json!({
        "openapi": "3.1.0",
        "info": {"title": "Fixture", "version": "1.0.0"},
        "tags": [{"name": "Things"}],
        "paths": {"/things": {"post": {
            "operationId": "createThing",
            "requestBody": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Thing"},
                "examples": {"basic": {
                    "summary": "Example summaries are example data.",
                    "value": {"description": "kept", "summary": "kept"}
                }}
            }}},
            "responses": {"200": {
                "description": "OK",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
            }},
            "x-oaiMeta": {
                "name": "Create thing",
                "group": "things",
                "examples": {
                    "request": {"curl": "curl https://example.com/things"},
                    "response": "{\"description\": \"kept\"}"
                }
            }
        }}},
        "components": {"schemas": {"Thing": {
            "type": "object",
            "required": ["description"],
            "properties": {
                "description": {"type": "string"},
                "summary": {"type": "string"},
                "seed": {
                    "type": "integer",
                    "minimum": -9223372036854775808.0_f64,
                    "maximum": 9223372036854776000_u64
                },
                "kind": {"type": "string", "default": "description", "enum": ["description", "summary"]}
            },
            "example": {"description": "kept", "version": "2024-10-01T00:00:00.000Z"},
            "x-oaiMeta": {"name": "The thing object", "example": "{\"summary\": \"kept\"}"}
        }}},
        "x-oaiMeta": {"groups": [{
            "id": "things",
            "title": "Things",
            "sections": [{"type": "endpoint", "key": "createThing", "path": "create"}]
        }]}
    });
    assert_eq!(
        actual, expected,
        "stripped fixture differs; output:\n{yaml}"
    );
    // Key order is preserved, not sorted.
    let keys: Vec<&String> = actual.as_object().expect("mapping").keys().collect();
    assert_eq!(
        keys,
        [
            "openapi",
            "info",
            "tags",
            "paths",
            "components",
            "x-oaiMeta"
        ]
    );
}

/// Runs the tool on `contents` and asserts it fails with `message` and writes nothing.
fn assert_rejected(name: &str, contents: &str, message: &str) {
    let dir = scratch_dir(name);
    let input = dir.join("input.yml");
    std::fs::write(&input, contents).expect("cannot write the input");
    let out_dir = dir.join("out");
    let out = run_tool(&[input.as_os_str(), "--out-dir".as_ref(), out_dir.as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "refresh-spec accepted {name} input; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("refresh-spec: error:") && stderr.contains(message),
        "expected an error mentioning {message:?}, got:\n{stderr}"
    );
    assert!(
        !out_dir.exists(),
        "refresh-spec wrote output for a rejected input"
    );
}

#[test]
fn rejects_invalid_yaml() {
    assert_rejected(
        "invalid-yaml",
        "openapi: [3.1.0\ninfo: {\n",
        "is not valid YAML",
    );
}

#[test]
fn rejects_yaml_that_is_not_openapi() {
    assert_rejected(
        "not-openapi",
        "hello: world\n",
        "is not an OpenAPI 3 document: missing `openapi: 3.x` version string",
    );
    assert_rejected(
        "no-schemas",
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {/a: {get: {}}}\n",
        "missing `components.schemas` mapping",
    );
}

#[test]
fn rejects_missing_file_and_wrong_checksum() {
    assert_rejected_args(
        "missing-file",
        &["does/not/exist.yml"],
        "cannot read does/not/exist.yml",
    );
    let dir = scratch_dir("checksum-input");
    let input = dir.join("fixture.yml");
    std::fs::write(&input, FIXTURE).expect("cannot write the fixture");
    let input = input.to_string_lossy().into_owned();
    assert_rejected_args(
        "checksum",
        &[&input, "--expect-sha256", "00"],
        "expected 00; nothing written",
    );
}

fn assert_rejected_args(name: &str, args: &[&str], message: &str) {
    let out_dir = scratch_dir(name).join("out");
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    all.extend(["--out-dir".as_ref(), out_dir.as_os_str()]);
    let out = run_tool(&all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "refresh-spec accepted {args:?}; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains(message),
        "expected an error mentioning {message:?}, got:\n{stderr}"
    );
    assert!(
        !out_dir.exists(),
        "refresh-spec wrote output for a rejected input"
    );
}
