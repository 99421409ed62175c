//! The Python client frameworks against the release binary: LangChain (langchain-openai),
//! the OpenAI Agents SDK (openai-agents) and LiteLLM, through `tests/clients/python/run.sh`
//! (which builds or reuses a venv of the pinned releases under `target/clients-python/`,
//! starts the binary as a user would on an ephemeral port, and runs pytest with
//! `OPENAI_BASE_URL=http://127.0.0.1:PORT/v1` and `OPENAI_API_KEY=sk-test`).
//!
//! Extra pytest arguments can be given in `CLIENTS_PYTHON_PYTEST_ARGS` (split on
//! whitespace), e.g. `CLIENTS_PYTHON_PYTEST_ARGS="-k litellm -x"`. The full pytest output of
//! the last run is kept in `target/clients-python/last-run.txt`.

use std::path::Path;
use std::process::Command;

#[test]
fn python_client_frameworks_work_against_the_mock() {
    let _timed = crate::support::timing::timed("clients-python");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/clients/python/run.sh");
    let bin = env!("CARGO_BIN_EXE_openai-mock");

    let mut cmd = Command::new("bash");
    cmd.arg(&script).arg(bin).current_dir(root);
    if let Ok(extra) = std::env::var("CLIENTS_PYTHON_PYTEST_ARGS") {
        cmd.args(extra.split_whitespace());
    }
    // stdout/stderr are inherited, so the harness output streams live.
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("failed to run bash {}: {e}", script.display()));
    assert!(
        status.success(),
        "LangChain / OpenAI Agents SDK / LiteLLM flows failed against {bin} ({status}); \
         see target/clients-python/last-run.txt for the pytest output"
    );
}
