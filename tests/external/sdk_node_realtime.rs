//! openai-node's Realtime WebSocket clients against the release binary:
//! `tests/sdk/node/realtime.mjs` (through `tests/sdk/node/run.sh`, which installs openai and
//! `ws` into `target/sdk-node`) runs a text turn, a turn scripted by
//! `tests/sdk/realtime_rules.yaml`, an audio turn and an invalid event with
//! `OpenAIRealtimeWS` (key in the header) and, where Node has a global WebSocket,
//! `OpenAIRealtimeWebSocket` (key in the browser subprotocol).

use crate::support::binary::Spawned;
use crate::support::python::ROOT;
use std::path::Path;
use std::process::Command;

#[test]
fn openai_node_realtime_clients_hold_a_session() {
    let _timed = crate::support::timing::timed("sdk-node-realtime");
    // openai-node opens the Realtime socket with wss:// whatever the base URL's scheme, so
    // the client talks to the HTTPS listener and trusts the generated certificate.
    let rules = format!("{ROOT}/tests/sdk/realtime_rules.yaml");
    let server = Spawned::start(
        &["--http", "false", "--https-port", "0", "--config", &rules],
        2,
    );
    let script = Path::new(ROOT).join("tests/sdk/node/run.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(format!("{}/v1", server.https()))
        .arg(server.cert_path())
        .env("SDK_NODE_SCRIPT", "realtime.mjs")
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or("");
    let result: serde_json::Value = serde_json::from_str(last).unwrap_or_default();
    assert!(
        output.status.success() && result["ok"] == true,
        "the Node Realtime round-trips failed: {last}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        result["ws"]["seconds"].as_f64().unwrap_or(0.0) > 0.0,
        "{result}"
    );
}
