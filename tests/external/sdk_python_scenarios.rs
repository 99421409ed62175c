//! Scenario control through the official openai-python SDK (2.39.0): runs pytest on
//! `tests/sdk/python/scenarios/` against the `openai-mock` binary started with
//! `--config tests/sdk/python/scenarios/config.yaml` on a free port.
//!
//! pytest gets the server's `http://HOST:PORT` in `OPENAI_MOCK_BASE_URL`. Extra pytest
//! arguments can be passed in `SDK_PYTHON_SCENARIO_ARGS` (split on whitespace), e.g.
//! `SDK_PYTHON_SCENARIO_ARGS="-k retry -x"`.

use crate::support::binary::Spawned;
use crate::support::python::{pytest, ROOT};

#[test]
fn openai_python_scenario_suite_passes() {
    let _timed = crate::support::timing::timed("sdk-python-scenarios");
    let config = format!("{ROOT}/tests/sdk/python/scenarios/config.yaml");
    let server = Spawned::start(
        &[
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--log-level",
            "warn",
            "--config",
            &config,
        ],
        1,
    );
    let status = pytest(
        &["tests/sdk/python/scenarios"],
        &[("OPENAI_MOCK_BASE_URL", &server.http())],
        "SDK_PYTHON_SCENARIO_ARGS",
    );
    assert!(
        status.success(),
        "the SDK scenario tests failed ({status}); see the pytest output above\nserver stderr:\n{}",
        server.stderr()
    );
}
