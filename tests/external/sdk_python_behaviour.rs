//! Behaviour round-trips through the official openai-python SDK (2.39.0): runs pytest on
//! `tests/sdk/python/behaviour/` against the `openai-mock` binary on a free port.
//!
//! pytest gets `OPENAI_BASE_URL` (`http://127.0.0.1:PORT/v1`) and `OPENAI_API_KEY`. Extra
//! pytest arguments can be passed in `SDK_PYTHON_BEHAVIOUR_ARGS` (split on whitespace), e.g.
//! `SDK_PYTHON_BEHAVIOUR_ARGS="-k responses -x"`.

use crate::support::binary::Spawned;
use crate::support::python::pytest;

#[test]
fn openai_python_behaviour_round_trips_pass() {
    let _timed = crate::support::timing::timed("sdk-python-behaviour");
    let server = Spawned::start(&["--host", "127.0.0.1", "--port", "0"], 1);
    let base_url = format!("{}/v1", server.http());
    let status = pytest(
        &["tests/sdk/python/behaviour"],
        &[
            ("OPENAI_BASE_URL", &base_url),
            ("OPENAI_API_KEY", "sk-behaviour-test"),
        ],
        "SDK_PYTHON_BEHAVIOUR_ARGS",
    );
    assert!(
        status.success(),
        "the SDK behaviour round-trips failed ({status}); see the pytest output above"
    );
}
