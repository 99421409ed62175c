//! Behaviour round-trips through the official openai-python SDK (2.39.0): runs pytest on
//! `tests/sdk/python/behaviour/` against the `openai-mock` binary.
//!
//! The venv is the one `tests/sdk/python/run.sh` builds (`--setup-only` creates or reuses
//! it under `target/sdk-python/`, or `$SDK_PYTHON_WORKDIR`). The server is started on a free
//! port; pytest gets `OPENAI_BASE_URL` (`http://127.0.0.1:PORT/v1`) and `OPENAI_API_KEY`.
//! Extra pytest arguments can be passed in `SDK_PYTHON_BEHAVIOUR_ARGS` (split on
//! whitespace), e.g. `SDK_PYTHON_BEHAVIOUR_ARGS="-k responses -x"`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free port and returns it with its base URL (`http://HOST:PORT`).
fn start_server() -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_openai-mock"))
        .args(["--host", "127.0.0.1", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let server = Server(child);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let _ = sender.send(first);
        // Keep draining so the server never blocks on a full pipe.
        for _ in lines {}
    });
    let first = receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("the server prints its address");
    let url = first
        .strip_prefix("listening ")
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches('/')
        })
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .to_string();
    (server, url)
}

fn venv_python(root: &Path) -> PathBuf {
    let work = std::env::var_os("SDK_PYTHON_WORKDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/sdk-python"));
    work.join("venv/bin/python")
}

#[test]
fn openai_python_behaviour_round_trips_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let setup = Command::new("bash")
        .arg(root.join("tests/sdk/python/run.sh"))
        .arg("--setup-only")
        .current_dir(root)
        .status()
        .expect("bash runs");
    assert!(
        setup.success(),
        "tests/sdk/python/run.sh --setup-only failed"
    );

    let (_server, url) = start_server();
    let started = Instant::now();
    let mut pytest = Command::new(venv_python(root));
    pytest
        .args([
            "-m",
            "pytest",
            "tests/sdk/python/behaviour",
            "-q",
            "-p",
            "no:cacheprovider",
        ])
        .args(["-o", "addopts=", "--tb=short", "-rfE"])
        .current_dir(root);
    if let Ok(extra) = std::env::var("SDK_PYTHON_BEHAVIOUR_ARGS") {
        pytest.args(extra.split_whitespace());
    }
    // Only our settings reach the SDK clients.
    for (name, _) in std::env::vars() {
        if name.starts_with("OPENAI_") {
            pytest.env_remove(name);
        }
    }
    let status = pytest
        .env("OPENAI_BASE_URL", format!("{url}/v1"))
        .env("OPENAI_API_KEY", "sk-behaviour-test")
        .env("PYTHONNOUSERSITE", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env_remove("PYTHONPATH")
        .status()
        .expect("pytest runs");
    eprintln!("pytest finished in {:.1}s", started.elapsed().as_secs_f64());
    assert!(
        status.success(),
        "the SDK behaviour round-trips failed ({status}); see the pytest output above"
    );
}
