//! The dashboard in headless Chromium against the release binary: `tests/dashboard/run.sh`
//! installs Debian's `chromium` and `chromium-driver` when missing and Selenium with the
//! openai SDK under `target/dashboard-browser`, then runs `browser_test.py` (sign-in with a
//! wrong and the right key, a key created through the form and used from the SDK, the request
//! in the live log and the usage chart, a POST without the CSRF token, revoking through the
//! form, a `<script>` key name, the CSP header).
//!
//! The run must pass every test, and its summary must count them all (so an empty or
//! half-loaded script cannot pass).

use crate::support::binary::Spawned;
use crate::support::python::ROOT;
use crate::support::tail;
use std::path::Path;
use std::process::Command;

/// How many tests `browser_test.py` holds.
const TESTS: u64 = 8;

const ADMIN_KEY: &str = "sk-admin-browser-test-key";

#[test]
fn the_dashboard_works_in_headless_chromium() {
    let _timed = crate::support::timing::timed("dashboard-browser");
    let server = Spawned::start(
        &[
            "--port",
            "0",
            "--log-level",
            "warn",
            "--admin-api-key",
            ADMIN_KEY,
        ],
        1,
    );
    let script = Path::new(ROOT).join("tests/dashboard/run.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(server.http())
        .arg(ADMIN_KEY)
        .output()
        .expect("run.sh runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = stdout.lines().rev().find_map(|line| {
        let (passed, failed) = line.split_once(" passed, ")?;
        let failed = failed.strip_suffix(" failed")?;
        Some((passed.parse::<u64>().ok()?, failed.parse::<u64>().ok()?))
    });
    assert!(
        output.status.success(),
        "the browser tests failed ({}):\n{stdout}\nstderr tail: {}\nmock stderr: {}",
        output.status,
        tail(&stderr, 3000),
        server.stderr()
    );
    assert_eq!(summary, Some((TESTS, 0)), "{stdout}");
}
