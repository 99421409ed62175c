//! The WebSocket half of the API through the official openai-python SDK (the harness venv,
//! openai 2.39.0 with `websockets`): runs pytest on `tests/sdk/python/realtime/` against an
//! `openai-mock` binary that accepts one key (`--api-key`), so wrong keys are refused, with
//! the Realtime scenario rules of `tests/sdk/realtime_rules.yaml` (`--config`).
//!
//! pytest gets `OPENAI_BASE_URL` (ending in `/v1`) and `OPENAI_API_KEY`. Extra pytest
//! arguments can be passed in `SDK_PYTHON_REALTIME_ARGS`.

use crate::support::binary::Spawned;
use crate::support::python::{pytest, ROOT};

#[test]
fn openai_python_realtime_and_responses_sockets_pass() {
    let _timed = crate::support::timing::timed("sdk-python-realtime");
    let key = "sk-realtime-test";
    let rules = format!("{ROOT}/tests/sdk/realtime_rules.yaml");
    let server = Spawned::start(
        &[
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--api-key",
            key,
            "--config",
            &rules,
        ],
        1,
    );
    let base_url = format!("{}/v1", server.http());
    let status = pytest(
        &["tests/sdk/python/realtime"],
        &[("OPENAI_BASE_URL", &base_url), ("OPENAI_API_KEY", key)],
        "SDK_PYTHON_REALTIME_ARGS",
    );
    assert!(
        status.success(),
        "the SDK WebSocket round-trips failed ({status}); see the pytest output above"
    );
}
