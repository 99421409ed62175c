//! The official Python and Node SDKs over HTTPS, trusting the generated certificate.
//!
//! Python uses the venv of `tests/sdk/python/run.sh` (created with `--setup-only` when missing);
//! Node installs openai@6.41.0 into `target/sdk-node` through `tests/sdk/node/run.sh`. Each SDK
//! is also run without the certificate, which must fail: that shows the trust is real.

use crate::support::binary::Spawned;
use crate::support::python::{venv_python, ROOT};
use std::path::Path;
use std::process::Command;

/// The SDK calls, printing one JSON line: `{"ok": true, ...}` or `{"ok": false, "error": ...}`.
const PYTHON_CHECK: &str = r#"
import json, sys
import httpx, openai

base_url, cert = sys.argv[1], sys.argv[2]
verify = cert if cert else True
try:
    client = openai.OpenAI(base_url=base_url, api_key="sk-python-test", max_retries=0,
                           http_client=httpx.Client(verify=verify, timeout=20))
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}])
    assert completion.object == "chat.completion", completion
    chunks = list(client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}], stream=True))
    assert chunks and all(c.object == "chat.completion.chunk" for c in chunks), chunks
    raw = client.models.with_raw_response.list()
    assert raw.headers["x-request-id"].startswith("req_")
    models = [m.id for m in raw.parse()]
    print(json.dumps({"ok": True, "chunks": len(chunks), "models": len(models),
                      "http_version": raw.http_response.http_version}))
except openai.APIConnectionError as error:
    print(json.dumps({"ok": False, "name": type(error).__name__, "error": repr(error.__cause__)}))
    sys.exit(1)
"#;

/// Runs a command, returning its exit success and its last stdout line as JSON.
fn run_json(command: &mut Command) -> (bool, serde_json::Value) {
    let output = command.output().expect("the command runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let json = serde_json::from_str(last).unwrap_or_else(|_| {
        panic!(
            "no JSON result line: stdout {stdout:?}, stderr {:?}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.success(), json)
}

#[test]
fn the_python_sdk_works_over_https_with_the_generated_certificate() {
    let _timed = crate::support::timing::timed("sdk-python-https");
    let server = Spawned::start(&["--port", "0", "--https-port", "0"], 3);
    let python = venv_python();
    let cert = server.cert_path();
    for base in [
        server.https(),
        server.https().replace("127.0.0.1", "localhost"),
    ] {
        let (ok, result) = run_json(
            Command::new(&python)
                .args(["-c", PYTHON_CHECK, &format!("{base}/v1")])
                .arg(&cert)
                .env_remove("OPENAI_API_KEY")
                .env_remove("OPENAI_BASE_URL"),
        );
        assert!(ok && result["ok"] == true, "{base}: {result}");
        assert!(result["chunks"].as_u64().unwrap() > 0, "{result}");
    }
    let (ok, result) = run_json(Command::new(&python).args([
        "-c",
        PYTHON_CHECK,
        &format!("{}/v1", server.https()),
        "",
    ]));
    assert!(
        !ok && result["ok"] == false,
        "trusted without the certificate: {result}"
    );
    assert!(
        result["error"]
            .as_str()
            .unwrap()
            .contains("CERTIFICATE_VERIFY_FAILED"),
        "{result}"
    );
}

#[test]
fn the_node_sdk_works_over_https_with_the_generated_certificate() {
    let _timed = crate::support::timing::timed("sdk-node-https");
    let server = Spawned::start(&["--http", "false", "--https-port", "0"], 2);
    let script = Path::new(ROOT).join("tests/sdk/node/run.sh");
    let base = format!("{}/v1", server.https());
    let (ok, result) = run_json(
        Command::new("bash")
            .arg(&script)
            .arg(&base)
            .arg(server.cert_path()),
    );
    assert!(ok && result["ok"] == true, "{result}");
    assert!(result["chunks"].as_u64().unwrap() > 0, "{result}");

    let (ok, result) = run_json(Command::new("bash").arg(&script).arg(&base));
    assert!(
        !ok && result["ok"] == false,
        "trusted without the certificate: {result}"
    );
    assert_eq!(result["name"], "APIConnectionError", "{result}");
}
