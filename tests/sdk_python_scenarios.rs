//! Scenario control through the official openai-python SDK (2.39.0): runs pytest on
//! `tests/sdk/python/scenarios/` against the `openai-mock` binary started with
//! `--config tests/sdk/python/scenarios/config.yaml` on a free port.
//!
//! The venv is the one `tests/sdk/python/run.sh --setup-only` creates or reuses (under
//! `target/sdk-python/`, or `$SDK_PYTHON_WORKDIR`). pytest gets the server's
//! `http://HOST:PORT` in `OPENAI_MOCK_BASE_URL`. Extra pytest arguments can be passed in
//! `SDK_PYTHON_SCENARIO_ARGS` (split on whitespace), e.g. `SDK_PYTHON_SCENARIO_ARGS="-k retry -x"`.

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

/// Starts the binary with `config` on a free port; returns it with its `http://HOST:PORT`.
fn start_server(config: &Path) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_openai-mock"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--log-level",
            "warn",
            "--config",
        ])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let server = Server(child);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let _ = sender.send(first);
        for _ in lines {}
    });
    let first = receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("the server prints its address");
    let url = first
        .strip_prefix("listening ")
        .and_then(|rest| rest.split_whitespace().next())
        .map(|url| url.trim_end_matches('/').to_string())
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"));
    (server, url)
}

fn venv_python(root: &Path) -> PathBuf {
    let work = std::env::var_os("SDK_PYTHON_WORKDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/sdk-python"));
    work.join("venv/bin/python")
}

#[test]
fn openai_python_scenario_suite_passes() {
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

    let scenarios = root.join("tests/sdk/python/scenarios");
    let (_server, url) = start_server(&scenarios.join("config.yaml"));
    let started = Instant::now();
    let mut pytest = Command::new(venv_python(root));
    pytest
        .args(["-m", "pytest"])
        .arg(&scenarios)
        .args([
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--tb=short",
            "-rfE",
        ])
        .current_dir(root);
    if let Ok(extra) = std::env::var("SDK_PYTHON_SCENARIO_ARGS") {
        pytest.args(extra.split_whitespace());
    }
    for (name, _) in std::env::vars() {
        if name.starts_with("OPENAI_") {
            pytest.env_remove(name);
        }
    }
    let status = pytest
        .env("OPENAI_MOCK_BASE_URL", &url)
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
        "the SDK scenario tests failed ({status}); see the pytest output above"
    );
}
