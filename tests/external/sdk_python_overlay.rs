//! The overlay stays derived and current: runs `spec/derive_overlay.py --check` with the
//! openai-python 3.63.0 venv (provisioned by `tests/sdk/python/run.sh --setup-only`). It fails,
//! naming entries, when `spec/overlay.json` differs from what the script derives from that
//! SDK's types, or when an `add` (derived or hand-written) is stale because the pinned
//! document already has its target.

use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn overlay_is_derived_from_the_newest_sdk_and_not_stale() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("bash")
        .arg(root.join("tests/sdk/python/run.sh"))
        .arg("--setup-only")
        .env("SDK_PYTHON_VERSION", "3.63.0")
        .current_dir(root)
        .status()
        .expect("bash runs");
    assert!(
        status.success(),
        "setting up the openai-python 3.63.0 venv failed"
    );
    let base = std::env::var_os("SDK_PYTHON_WORKDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/sdk-python"));
    let out = Command::new(base.join("v3.63.0/venv/bin/python"))
        .arg(root.join("spec/derive_overlay.py"))
        .arg("--check")
        .current_dir(root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("derive_overlay.py runs");
    assert!(
        out.status.success(),
        "spec/overlay.json is stale or not what spec/derive_overlay.py writes ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
