//! openai-node 7.5.0 conformance: `tests/sdk/node/run-conformance.sh` installs the pinned,
//! sha-checked SDK under `target/sdk-node-suite` and runs `conformance.mjs`, which calls every
//! resource method of the client against the built binary with arguments built from the spec
//! the binary serves. openai-node's own test files are not published to npm, so this script of
//! ours stands in for them.
//!
//! The run must end with no failure outside `tests/sdk/node/conformance-gaps.json`, and the
//! walk must have found the SDK's methods (so an empty walk cannot pass).

use crate::support::binary::Spawned;
use crate::support::python::ROOT;
use std::path::Path;
use std::process::Command;

#[test]
fn every_openai_node_method_succeeds_against_the_mock() {
    let _timed = crate::support::timing::timed("sdk-node-conformance");
    let rules = Path::new(ROOT).join("tests/sdk/node/conformance-rules.yaml");
    let rules = rules.to_str().expect("a UTF-8 path");
    let server = Spawned::start(
        &["--port", "0", "--log-level", "warn", "--config", rules],
        1,
    );
    let script = Path::new(ROOT).join("tests/sdk/node/run-conformance.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(server.http())
        .output()
        .expect("run-conformance.sh runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    let summary: serde_json::Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no summary line: stdout {stdout:?}, stderr {stderr:?}"));
    assert!(
        output.status.success() && summary["ok"] == true,
        "openai-node conformance failed ({}):\n{stdout}\nstderr tail: {}",
        output.status,
        &stderr[stderr.len().saturating_sub(2000)..]
    );
    let methods = summary["methods"].as_u64().unwrap();
    assert!(
        methods >= 250,
        "the client walk found only {methods} methods"
    );
    assert_eq!(
        summary["called"].as_u64().unwrap(),
        methods + 1,
        "{summary}"
    );
    assert_eq!(summary["failed"], 0, "{summary}");
    assert!(summary["multipart"].as_u64().unwrap() >= 10, "{summary}");
}
