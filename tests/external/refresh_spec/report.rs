//! The change report and the reference check of the spec-refresh tool, on two small
//! documents (`BEFORE`, the `openapi.yml` a refresh replaces, and `AFTER`, the new upstream)
//! and a fixture repository root with its own overlay, fixtures and endpoint modules.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};

use super::{run_tool, scratch_dir};

/// The document a refresh replaces (already stripped; the tool only reads it).
const BEFORE: &str = r##"openapi: 3.1.0
info: {title: Fixture, version: 1.0.0}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        '200': {description: OK, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
    post:
      operationId: createThing
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
      responses: {'200': {description: OK}}
  /same:
    get: {operationId: getSame, responses: {'200': {description: OK}}}
  /gone:
    delete: {operationId: deleteGone, responses: {'204': {description: Gone}}}
components:
  schemas:
    Thing: {type: object, properties: {name: {type: string}}}
    Same: {type: string}
    Old: {type: integer}
"##;

/// The new upstream: `/gone` and `Old` removed; `/fresh` and `NewThing` added; `Thing`
/// changed; `createThing` changed its body, `listThings` its parameters and response.
const AFTER: &str = r##"openapi: 3.1.0
info: {title: Fixture, description: Prose., version: 1.0.1}
paths:
  /things:
    get:
      operationId: listThings
      parameters: [{name: limit, in: query, schema: {type: integer}}]
      responses:
        '200': {description: OK, content: {application/json: {schema: {$ref: '#/components/schemas/NewThing'}}}}
    post:
      operationId: createThing
      summary: Prose is stripped before comparing.
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/NewThing'}}}}
      responses: {'200': {description: OK}}
  /same:
    get: {operationId: getSame, description: Prose., responses: {'200': {description: OK}}}
  /fresh:
    get: {operationId: getFresh, responses: {'200': {description: OK}}}
components:
  schemas:
    Thing: {type: object, properties: {name: {type: string}, size: {type: integer}}}
    Same: {type: string, description: Prose.}
    NewThing: {type: object}
"##;

/// A repository root whose references all resolve in `AFTER`, plus `extra` files
/// (relative path, contents) and extra overlay `patches` appended to the valid ones.
fn fixture_repo(dir: &Path, patches: &[Value], extra: &[(&str, &str)]) -> PathBuf {
    let repo = dir.join("repo");
    let mut all = vec![
        json!({"op": "add", "path": "/components/schemas/Thing/properties/extra", "value": {}}),
        json!({"op": "remove", "path": "/components/schemas/Thing/properties/size"}),
        json!({"op": "replace", "path": "/components/schemas/Same/type", "value": "integer"}),
        // The spec already has it: build.rs skips it, the report says so.
        json!({"op": "add", "path": "/components/schemas/Thing/properties/name", "value": {}}),
        // Resolves only because patch 0 added its parent.
        json!({"op": "replace", "path": "/components/schemas/Thing/properties/extra", "value": {}}),
    ];
    all.extend_from_slice(patches);
    let overlay = serde_json::to_string_pretty(&json!({"patches": all})).expect("json");
    let endpoint =
        "pub const THINGS: Endpoint = Endpoint {\n    ops: &[\n        \"listThings\",\n        \
                    \"createThing\",\n    ],\n    ..Endpoint::GENERIC\n};\n\
                    fn shape(stops: &[String]) {}\n";
    let files = [
        ("spec/overlay.json", overlay.as_str()),
        (
            "fixtures/things.json",
            r#"{"Thing": {"name": "a"}, "NewThing": {}}"#,
        ),
        (
            "fixtures/notes.txt",
            "not a fixture: only *.json files are read",
        ),
        ("src/endpoints/things.rs", endpoint),
        (
            "src/endpoints/fresh/mod.rs",
            "const FRESH: Endpoint = Endpoint { ops: &[\"getFresh\"] };",
        ),
    ];
    for (path, contents) in files.iter().chain(extra) {
        let path = repo.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("cannot create dirs");
        std::fs::write(&path, contents).expect("cannot write a fixture file");
    }
    repo
}

/// Runs the tool on `AFTER` with `BEFORE` as the previous `openapi.yml` (when `previous`).
fn refresh_fixture(dir: &Path, repo: &Path, previous: bool) -> (Output, PathBuf) {
    let input = dir.join("after.yml");
    std::fs::write(&input, AFTER).expect("cannot write the input");
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).expect("cannot create the out dir");
    if previous {
        std::fs::write(out_dir.join("openapi.yml"), BEFORE).expect("cannot write BEFORE");
    }
    let out = run_tool(&[
        input.as_os_str(),
        "--out-dir".as_ref(),
        out_dir.as_os_str(),
        "--repo-root".as_ref(),
        repo.as_os_str(),
    ]);
    (out, out_dir)
}

/// The non-empty lines under the `## {title} (N)` heading of a report.
fn section<'a>(report: &'a str, title: &str) -> Vec<&'a str> {
    let heading = format!("## {title} (");
    let start = report
        .find(&heading)
        .unwrap_or_else(|| panic!("no {heading:?} in:\n{report}"));
    report[start..]
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn change_report_lists_added_removed_and_changed_operations_and_schemas() {
    let dir = scratch_dir("report");
    let repo = fixture_repo(&dir, &[], &[]);
    let (out, out_dir) = refresh_fixture(&dir, &repo, true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "refresh-spec failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "changes since the previous openapi.yml: operations 1 added, 1 removed, 2 changed; \
             schemas 1 added, 1 removed, 1 changed"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "references: 5 `spec/overlay.json` patches, 2 `fixtures/*.json` schema names and \
             3 operation ids in `src/endpoints/` checked"
        ),
        "{stdout}"
    );
    let report = std::fs::read_to_string(out_dir.join("CHANGES.md")).expect("no CHANGES.md");
    assert!(
        report.contains("| Operations (under `paths`) | 4 | 4 |"),
        "{report}"
    );
    assert!(
        report.contains("| `info.version` | 1.0.0 | 1.0.1 |"),
        "{report}"
    );
    let expected: [(&str, &[&str]); 6] = [
        ("Operations added", &["- `GET /fresh` `getFresh`"]),
        ("Operations removed", &["- `DELETE /gone` `deleteGone`"]),
        (
            "Operations changed",
            &[
                "- `GET /things` `listThings`: parameters, success response schema",
                "- `POST /things` `createThing`: request body",
            ],
        ),
        ("Schemas added", &["- `NewThing`"]),
        ("Schemas removed", &["- `Old`"]),
        ("Schemas changed", &["- `Thing`"]),
    ];
    for (title, lines) in expected {
        assert_eq!(section(&report, title), lines, "{title} in:\n{report}");
    }
    assert!(
        report.contains("- patch 3 (add /components/schemas/Thing/properties/name)"),
        "the add the spec already satisfies is not reported:\n{report}"
    );
}

#[test]
fn change_report_without_a_previous_document_says_so() {
    let dir = scratch_dir("report-first");
    let repo = fixture_repo(&dir, &[], &[]);
    let (out, out_dir) = refresh_fixture(&dir, &repo, false);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(out_dir.join("CHANGES.md")).expect("no CHANGES.md");
    assert!(
        report.contains("There was no previous `openapi.yml` in the output directory."),
        "{report}"
    );
    assert!(!report.contains("## Operations added"), "{report}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("no previous openapi.yml to compare with"),
        "{stdout}"
    );
}

/// One kind of dangling reference: the overlay patches or files that make it, and the
/// message that must name it.
struct Dangling {
    name: &'static str,
    patches: Vec<Value>,
    files: Vec<(&'static str, &'static str)>,
    message: &'static str,
}

#[test]
fn each_dangling_reference_fails_the_refresh_and_writes_nothing() {
    let endpoint =
        "pub const GONE: Endpoint = Endpoint {\n    ops: &[\"getFresh\", \"deleteGone\"],\n};\n";
    let cases = [
        Dangling {
            name: "overlay-remove",
            patches: vec![json!({"op": "remove", "path": "/components/schemas/Old"})],
            files: vec![],
            message: "spec/overlay.json: patch 5 (remove /components/schemas/Old): its target \
                      `Old` does not exist in the new spec",
        },
        Dangling {
            name: "overlay-replace",
            patches: vec![json!({
                "op": "replace", "path": "/components/schemas/Thing/properties/gone", "value": {}
            })],
            files: vec![],
            message: "spec/overlay.json: patch 5 (replace /components/schemas/Thing/properties/\
                      gone): its target `gone` does not exist in the new spec",
        },
        Dangling {
            name: "overlay-add",
            patches: vec![json!({
                "op": "add", "path": "/components/schemas/Old/properties/x", "value": {}
            })],
            files: vec![],
            message: "spec/overlay.json: patch 5 (add /components/schemas/Old/properties/x): its \
                      parent `/components/schemas/Old/properties` is not an object in the new spec",
        },
        Dangling {
            name: "fixture",
            patches: vec![],
            files: vec![("fixtures/old.json", r#"{"Old": 1}"#)],
            message: "fixtures/old.json: schema `Old` is not in components.schemas",
        },
        Dangling {
            name: "endpoint",
            patches: vec![],
            files: vec![("src/endpoints/gone.rs", endpoint)],
            message: "src/endpoints/gone.rs:2: operationId `deleteGone` (in `ops`) is not in the \
                      new spec",
        },
    ];
    for case in cases {
        let name = case.name;
        let dir = scratch_dir(&format!("dangling-{name}"));
        let repo = fixture_repo(&dir, &case.patches, &case.files);
        let (out, out_dir) = refresh_fixture(&dir, &repo, true);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{name}: the refresh succeeded:\n{stderr}"
        );
        assert!(
            stderr.contains("1 reference(s) into the spec dangle in the new document")
                && stderr.contains("nothing written")
                && stderr.contains(case.message),
            "{name}: expected {:?} in:\n{stderr}",
            case.message
        );
        assert_wrote_nothing(&out_dir);
    }
}

#[test]
fn all_dangling_references_are_named_together() {
    let dir = scratch_dir("dangling-all");
    let patches = [
        json!({"op": "remove", "path": "/components/schemas/Old"}),
        json!({"op": "add", "path": "/paths/~1gone/delete/tags", "value": []}),
    ];
    let files = [
        ("fixtures/old.json", r#"{"Old": 1, "Thing": {}}"#),
        (
            "src/endpoints/gone.rs",
            "const X: Endpoint = Endpoint { ops: &[\"deleteGone\"] };",
        ),
    ];
    let repo = fixture_repo(&dir, &patches, &files);
    let (out, out_dir) = refresh_fixture(&dir, &repo, true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    for expected in [
        "4 reference(s) into the spec dangle",
        "\n  spec/overlay.json: patch 5 (remove /components/schemas/Old)",
        "\n  spec/overlay.json: patch 6 (add /paths/~1gone/delete/tags): its parent `/paths/~1gone/delete`",
        "\n  fixtures/old.json: schema `Old`",
        "\n  src/endpoints/gone.rs:1: operationId `deleteGone`",
    ] {
        assert!(stderr.contains(expected), "expected {expected:?} in:\n{stderr}");
    }
    assert!(
        !stderr.contains("`Thing`"),
        "a resolving fixture was named:\n{stderr}"
    );
    assert_wrote_nothing(&out_dir);
}

/// The out dir still holds only the previous document, unchanged.
fn assert_wrote_nothing(out_dir: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(out_dir)
        .expect("the out dir")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["openapi.yml"], "a failed refresh wrote files");
    let previous = std::fs::read_to_string(out_dir.join("openapi.yml")).expect("openapi.yml");
    assert!(previous == BEFORE, "a failed refresh changed openapi.yml");
}
