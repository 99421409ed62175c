//! openai-python SDK conformance: runs the `tests/api_resources` suites of three
//! openai-python sdists against the `openai-mock` binary, through
//! `tests/sdk/python/run.sh` (which builds/reuses one venv per version under
//! `target/sdk-python/`, starts the server on an ephemeral port and runs pytest):
//!
//! - 2.39.0 (httpx) and 3.3.1 (httpx2, generated from the same 2026-08-21 document as the
//!   pinned spec) must pass with zero failures and zero errors;
//! - 3.63.0, the newest release, calls operations the spec does not describe yet. Every one
//!   of its failures must be the mock's 404 `Invalid URL (METHOD /v1/path)` (or 405 `Invalid
//!   method for URL (...)` on a path the spec has with other methods) for an operation the
//!   spec lacks (`tests/sdk/python/spec_less.py` checks each against the SDK's calls and the
//!   spec), and the set of those operations must equal the list in README.md under "What the
//!   newest SDKs call that the spec does not describe yet".
//!
//! Extra pytest arguments can be given for local iteration through the
//! `SDK_PYTHON_PYTEST_ARGS` environment variable (split on whitespace; single
//! or double quotes group words), e.g.
//! `SDK_PYTHON_PYTEST_ARGS="-x -k 'test_method_list and models'" cargo test --test external sdk_python`.
//! The full pytest output of the last run of a version is kept in its work dir
//! (`target/sdk-python/last-run.txt` for 2.39.0, `target/sdk-python/v<version>/last-run.txt`
//! otherwise; junit xml in `last-junit.xml`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// The heading in README.md whose code block lists the operations 3.63.0 calls that the
/// spec lacks.
const SPEC_LESS_HEADING: &str = "### What the newest SDKs call that the spec does not describe yet";

/// The work dir of `version` (as run.sh picks it).
fn work_dir(version: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = std::env::var_os("SDK_PYTHON_WORKDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/sdk-python"));
    if version == "2.39.0" {
        base
    } else {
        base.join(format!("v{version}"))
    }
}

/// Runs `tests/sdk/python/run.sh` for `version`, with `pytest_args` (and
/// `$SDK_PYTHON_PYTEST_ARGS`) after the binary.
fn run_suite(version: &str, pytest_args: &[&str]) -> ExitStatus {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/sdk/python/run.sh");
    let bin = env!("CARGO_BIN_EXE_openai-mock");
    let mut cmd = Command::new("bash");
    cmd.arg(&script)
        .arg(bin)
        .args(pytest_args)
        .env("SDK_PYTHON_VERSION", version)
        .current_dir(root);
    if let Ok(extra) = std::env::var("SDK_PYTHON_PYTEST_ARGS") {
        cmd.args(split_args(&extra));
    }
    // stdout/stderr are inherited, so the harness output streams live.
    cmd.status()
        .unwrap_or_else(|e| panic!("failed to run bash {}: {e}", script.display()))
}

fn assert_suite_passes(version: &str) {
    let status = run_suite(version, &[]);
    assert!(
        status.success(),
        "openai-python {version} tests/api_resources did not pass ({status}); see {}",
        work_dir(version).join("last-run.txt").display()
    );
}

#[test]
fn openai_python_api_resources_suite_passes() {
    let _timed = crate::support::timing::timed("sdk-python-api-resources");
    assert_suite_passes("2.39.0");
}

#[test]
fn openai_python_3_3_1_api_resources_suite_passes() {
    let _timed = crate::support::timing::timed("sdk-python-3.3.1-api-resources");
    assert_suite_passes("3.3.1");
}

#[test]
fn openai_python_3_63_0_fails_only_on_operations_the_spec_lacks() {
    let _timed = crate::support::timing::timed("sdk-python-3.63.0-api-resources");
    let version = "3.63.0";
    // One line per failure is enough: the junit xml keeps each failure's message.
    let status = run_suite(version, &["--tb=line"]);
    // pytest: 0 = all passed, 1 = some tests failed; anything else (usage error, no tests,
    // harness error) is a failure of the run itself.
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "openai-python {version} run did not complete ({status})"
    );
    let work = work_dir(version);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(work.join("venv/bin/python"))
        .arg(root.join("tests/sdk/python/spec_less.py"))
        .arg(work.join("last-junit.xml"))
        .current_dir(root)
        .output()
        .expect("spec_less.py runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let bad: Vec<&str> = stdout.lines().filter(|l| l.starts_with("BAD ")).collect();
    assert!(
        bad.is_empty() && out.status.success(),
        "openai-python {version}: {} failure(s) are not the mock's 404/405 for an operation \
         the spec lacks ({}):\n{}\n{}",
        bad.len(),
        out.status,
        bad.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
    let observed: BTreeSet<String> = stdout
        .lines()
        .filter(|l| !l.starts_with("BAD "))
        .map(str::to_owned)
        .collect();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md reads");
    let listed = readme_spec_less(&readme);
    let missing: Vec<_> = observed.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&observed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "README.md's \"{SPEC_LESS_HEADING}\" list is out of date for openai-python {version}.\n\
         called but not listed: {missing:?}\nlisted but not called (or now in the spec): {extra:?}"
    );
}

/// The `METHOD /path` pairs of the code block under [`SPEC_LESS_HEADING`]: each line is
/// `METHOD [METHOD...] /path/template`; `#` lines name the group.
fn readme_spec_less(readme: &str) -> BTreeSet<String> {
    let section = readme
        .split_once(SPEC_LESS_HEADING)
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("README.md has no \"{SPEC_LESS_HEADING}\" section"));
    let block = section
        .split("```")
        .nth(1)
        .expect("the section holds a ``` code block");
    let mut pairs = BTreeSet::new();
    for line in block.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || !line.contains('/') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let (path, methods) = words.split_last().expect("a non-empty line");
        for method in methods {
            pairs.insert(format!("{method} {path}"));
        }
    }
    pairs
}

#[test]
fn readme_spec_less_reads_methods_and_paths() {
    let readme = format!(
        "x\n{SPEC_LESS_HEADING}\n\ntext\n\n```text\n# webhooks\nGET POST  /webhooks\n\nDELETE /webhooks/{{id}}\n```\n## next\n```\nGET /no\n```"
    );
    let got: Vec<String> = readme_spec_less(&readme).into_iter().collect();
    assert_eq!(
        got,
        ["DELETE /webhooks/{id}", "GET /webhooks", "POST /webhooks"]
    );
}

/// Splits `s` on whitespace, treating '...' and "..." as grouping quotes.
fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

#[test]
fn split_args_groups_quoted_words() {
    assert_eq!(
        split_args(r#" -x  -k 'test_method_list and models' "a b"c '' "#),
        ["-x", "-k", "test_method_list and models", "a bc", ""]
    );
}
