//! The Python environment of the SDK harnesses: one venv, provisioned by
//! `tests/sdk/python/run.sh --setup-only` (under `target/sdk-python/`, or
//! `$SDK_PYTHON_WORKDIR`), and a pytest runner that keeps the caller's `OPENAI_*` variables
//! away from the SDK clients under test.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::OnceLock;
use std::time::Instant;

/// The crate's root directory.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The venv's interpreter, set up (once per test process) when missing or stale.
pub fn venv_python() -> PathBuf {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    READY
        .get_or_init(|| {
            let root = Path::new(ROOT);
            let status = Command::new("bash")
                .arg(root.join("tests/sdk/python/run.sh"))
                .arg("--setup-only")
                .current_dir(root)
                .status()
                .expect("bash runs");
            assert!(
                status.success(),
                "tests/sdk/python/run.sh --setup-only failed"
            );
            let work = std::env::var_os("SDK_PYTHON_WORKDIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join("target/sdk-python"));
            work.join("venv/bin/python")
        })
        .clone()
}

/// Runs pytest from the crate root on `args`, with `env` (and extra arguments from the
/// variable `extra_args_var`, split on whitespace); returns its exit status.
pub fn pytest(args: &[&str], env: &[(&str, &str)], extra_args_var: &str) -> ExitStatus {
    let mut pytest = Command::new(venv_python());
    pytest
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .args(["-o", "addopts=", "--tb=short", "-rfE"])
        .args(args)
        .current_dir(ROOT);
    if let Ok(extra) = std::env::var(extra_args_var) {
        pytest.args(extra.split_whitespace());
    }
    // Only our settings reach the SDK clients.
    for (name, _) in std::env::vars() {
        if name.starts_with("OPENAI_") {
            pytest.env_remove(name);
        }
    }
    let started = Instant::now();
    let status = pytest
        .envs(env.iter().copied())
        .env("PYTHONNOUSERSITE", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env_remove("PYTHONPATH")
        .status()
        .expect("pytest runs");
    eprintln!(
        "pytest {args:?} finished in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    status
}
