//! The Vercel AI SDK (`ai` 7, `@ai-sdk/openai` 4, `zod` 4, pinned with their lock in
//! `tests/clients/node/`) against the release binary: `tests/clients/node/run.sh` installs the
//! packages under `target/clients-node` (cached by a stamp) and runs `ai-sdk.test.mjs` with node's
//! test runner. The flows are the ones apps use — generateText, streamText, generateObject and
//! `Output.object` with a zod schema, a multi-step tool loop (plain and streamed), embed and
//! embedMany — on both the default provider model (Responses API) and `openai.chat` (Chat
//! Completions).
//!
//! The run must pass every test, and the TAP summary must count them all (so an empty or
//! half-loaded test file cannot pass).

use crate::support::binary::Spawned;
use crate::support::python::ROOT;
use crate::support::tail;
use std::path::Path;
use std::process::Command;

/// How many tests `ai-sdk.test.mjs` holds: 6 per language model API, 2 for embeddings.
const TESTS: u64 = 2 * 6 + 2;

#[test]
fn vercel_ai_sdk_flows_pass_against_the_mock() {
    let _timed = crate::support::timing::timed("clients-node-ai-sdk");
    let server = Spawned::start(&["--port", "0", "--log-level", "warn"], 1);
    let script = Path::new(ROOT).join("tests/clients/node/run.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(server.http())
        .output()
        .expect("run.sh runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let count = |key: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(&format!("# {key} ")))
            .and_then(|n| n.trim().parse::<u64>().ok())
    };
    assert!(
        output.status.success(),
        "the AI SDK suite failed ({}):\n{stdout}\nstderr tail: {}\nmock stderr: {}",
        output.status,
        tail(&stderr, 2000),
        server.stderr()
    );
    assert_eq!(count("fail"), Some(0), "{stdout}");
    assert_eq!(count("pass"), Some(TESTS), "{stdout}");
}
