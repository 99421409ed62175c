//! The README's usage examples work when copied verbatim: each fenced example that talks to
//! `http://127.0.0.1:4010` is run against a real server, with only that address replaced by
//! the test server's ephemeral one.

use openai_mock::{Config, MockServer};
use std::process::Command;

const README: &str = include_str!("../../README.md");
const README_ADDRESS: &str = "127.0.0.1:4010";

/// The fenced code blocks of the README with the given info string.
fn blocks(language: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in README.lines() {
        match &mut current {
            None if line.trim_start() == format!("```{language}") => current = Some(String::new()),
            Some(_) if line.trim_start() == "```" => out.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    out
}

#[tokio::test]
async fn the_curl_examples_work_verbatim() {
    let running = MockServer::builder()
        .config(Config {
            port: 0,
            ..Config::default()
        })
        .start()
        .await;
    let address = running.address().to_string();
    let examples: Vec<String> = blocks("sh")
        .into_iter()
        .filter(|b| b.trim_start().starts_with("curl ") && b.contains(README_ADDRESS))
        .collect();
    assert!(!examples.is_empty(), "the README has curl examples");
    for example in examples {
        let script = example.replace(README_ADDRESS, &address);
        let output = tokio::task::spawn_blocking(move || {
            Command::new("bash")
                .args(["-c", &format!("set -e\n{script}")])
                .output()
                .expect("bash runs")
        })
        .await
        .expect("join");
        assert!(output.status.success(), "{example}\n{output:?}");
        let body: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("curl printed a JSON answer");
        assert!(body.get("error").is_none(), "{example}\n{body}");
        assert!(
            body.get("id").is_some() || body.get("object").is_some(),
            "{body}"
        );
    }
}
