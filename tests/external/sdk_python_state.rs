//! State through the official openai-python SDK (2.39.0): runs pytest on
//! `tests/sdk/python/state/` against two `openai-mock` binaries on free ports, one with the
//! default lenient ids and one with `--strict-ids`, both with `--lifecycle-ms 300` so
//! background work (batches, ingestion, fine-tuning) finishes quickly.
//!
//! Both accept the admin key `sk-admin-state-root` (`--admin-api-key`) for the organization
//! tests. pytest gets `OPENAI_BASE_URL`, `OPENAI_STRICT_BASE_URL` (both ending in `/v1`),
//! `OPENAI_API_KEY` and `OPENAI_ADMIN_KEY`. Extra pytest arguments can be passed in `SDK_PYTHON_STATE_ARGS`.

use crate::support::binary::Spawned;
use crate::support::python::pytest;

/// The admin key both servers accept (`OPENAI_ADMIN_KEY` for the organization tests).
const ADMIN_KEY: &str = "sk-admin-state-root";

#[test]
fn openai_python_state_round_trips_pass() {
    let _timed = crate::support::timing::timed("sdk-python-state");
    let args = [
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--lifecycle-ms",
        "300",
        "--admin-api-key",
        ADMIN_KEY,
    ];
    let lenient = Spawned::start(&args, 1);
    let strict = Spawned::start(&[&args[..], &["--strict-ids"]].concat(), 1);
    let base_url = format!("{}/v1", lenient.http());
    let strict_url = format!("{}/v1", strict.http());
    let status = pytest(
        &["tests/sdk/python/state"],
        &[
            ("OPENAI_BASE_URL", &base_url),
            ("OPENAI_STRICT_BASE_URL", &strict_url),
            ("OPENAI_API_KEY", "sk-state-test"),
            ("OPENAI_ADMIN_KEY", ADMIN_KEY),
        ],
        "SDK_PYTHON_STATE_ARGS",
    );
    assert!(
        status.success(),
        "the SDK state round-trips failed ({status}); see the pytest output above"
    );
}
