//! openai-python SDK conformance: runs the `tests/api_resources` suite of the
//! openai-python 2.39.0 sdist against the `openai-mock` binary, through
//! `tests/sdk/python/run.sh` (which builds/reuses a venv under
//! `target/sdk-python/`, starts the server on an ephemeral port and runs
//! pytest). The suite must pass with zero failures and zero errors.
//!
//! Extra pytest arguments can be given for local iteration through the
//! `SDK_PYTHON_PYTEST_ARGS` environment variable (split on whitespace; single
//! or double quotes group words), e.g.
//! `SDK_PYTHON_PYTEST_ARGS="-x -k 'test_method_list and models'" cargo test --test sdk_python`.
//! The full pytest output of the last run is kept in
//! `target/sdk-python/last-run.txt` (junit xml in `last-junit.xml`).

use std::path::Path;
use std::process::Command;

#[test]
fn openai_python_api_resources_suite_passes() {
    let _timed = crate::support::timing::timed("sdk-python-api-resources");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/sdk/python/run.sh");
    let bin = env!("CARGO_BIN_EXE_openai-mock");

    let mut cmd = Command::new("bash");
    cmd.arg(&script).arg(bin).current_dir(root);
    if let Ok(extra) = std::env::var("SDK_PYTHON_PYTEST_ARGS") {
        cmd.args(split_args(&extra));
    }

    // stdout/stderr are inherited, so the harness output streams live.
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("failed to run bash {}: {e}", script.display()));

    assert!(
        status.success(),
        "openai-python {} suite did not pass against {bin} ({status}); \
         see target/sdk-python/last-run.txt for the pytest output",
        "2.39.0 tests/api_resources",
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
