//! Configuration through the binary: the config file, its errors, `--help`, `--version`, and
//! the README's flag documentation matching `--help` exactly.

use crate::support::binary::{Spawned, BIN};
use clap::CommandFactory;
use openai_mock::Config;
use std::path::PathBuf;
use std::process::{Command, Output};

const README: &str = include_str!("../../README.md");

/// Runs the binary with `args` and no `OPENAI_MOCK_*` variables.
fn run(args: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars() {
        if name.starts_with("OPENAI_MOCK_") {
            command.env_remove(name);
        }
    }
    command.args(args).output().expect("the binary runs")
}

/// Writes `text` to a fresh file named `name`.
fn config_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("openai-mock-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn a_config_file_alone_can_configure_the_server() {
    let file = config_file(
        "server.yaml",
        "port: 0\nhttps_port: 0\napi_keys:\n  - sk-from-file\nrules:\n  - {match: {model: never-sent}, reply: {text: unused}}\n",
    );
    let server = Spawned::start(&["--config", file.to_str().unwrap()], 3);
    let client = server.tls_client().build().unwrap();
    let url = format!("{}/v1/models", server.https());
    let refused = client
        .get(&url)
        .bearer_auth("sk-other-key-123")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let accepted = client
        .get(&url)
        .bearer_auth("sk-from-file")
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
}

#[test]
fn config_file_mistakes_are_reported_with_the_file_and_the_reason() {
    let cases = [
        (
            "typo.yaml",
            "prot: 4010\n",
            "unknown key `prot`; the keys are: spec, host, port,",
        ),
        (
            "value.yaml",
            "port: eighty\n",
            "invalid value 'eighty' for '--port <PORT>'",
        ),
        ("shape.yaml", "- port\n", "the top level must be a mapping"),
        (
            "map.json",
            r#"{"host": {"a": 1}}"#,
            "`host` must be a string, number, boolean",
        ),
        ("broken.json", "{\"port\": 1,", "not valid JSON"),
        ("broken.yaml", "port: [1,\n", "not valid YAML"),
        (
            "nested.yaml",
            "config: other.yaml\n",
            "unknown key `config`",
        ),
    ];
    for (name, text, expected) in cases {
        let file = config_file(name, text);
        let output = run(&["--config", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("config file {}: ", file.display())),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
    let output = run(&["--config", "/nonexistent/openai-mock.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read it"));
}

#[test]
fn help_and_version_work() {
    let help = run(&["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("Usage: openai-mock [OPTIONS]"), "{text}");
    for arg in Config::command().get_arguments() {
        if let Some(long) = arg.get_long() {
            assert!(
                text.contains(&format!("--{long}")),
                "--{long} missing from --help"
            );
        }
    }
    let version = run(&["--version"]);
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("openai-mock {}", env!("CARGO_PKG_VERSION"))
    );
    let bad = run(&["--no-such-flag"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// The fenced block that follows `marker` in the README.
fn readme_block_after(marker: &str) -> String {
    let start = README
        .find(marker)
        .unwrap_or_else(|| panic!("the README has no `{marker}`"));
    let rest = &README[start..];
    let open = rest.find("```").expect("a fenced block after the marker");
    let body_start = open + rest[open..].find('\n').unwrap() + 1;
    let close = body_start + rest[body_start..].find("\n```").expect("a closing fence");
    rest[body_start..close].to_string()
}

fn trimmed_lines(text: &str) -> Vec<&str> {
    text.trim_end().lines().map(str::trim_end).collect()
}

#[test]
fn the_readme_flags_block_is_the_help_output() {
    let help = run(&["--help"]);
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let documented = readme_block_after("<!-- openai-mock --help -->");
    assert!(
        trimmed_lines(&documented) == trimmed_lines(&help),
        "README.md's `openai-mock --help` block differs from the binary's; paste this:\n{help}"
    );
}

#[test]
fn the_readme_settings_table_names_every_flag_variable_and_file_key() {
    let table_start = README
        .find("| flag | environment variable | config file key |")
        .expect("the README's settings table");
    let table: Vec<&str> = README[table_start..]
        .lines()
        .take_while(|line| line.starts_with('|'))
        .collect();
    for arg in Config::command().get_arguments() {
        let (Some(long), Some(env)) = (arg.get_long(), arg.get_env()) else {
            continue;
        };
        let key = arg.get_id().as_str();
        let expected_key = if key == "config" {
            "—".to_string()
        } else {
            format!("`{key}`")
        };
        let row = format!(
            "| `--{long}` | `{}` | {expected_key} |",
            env.to_string_lossy()
        );
        assert!(
            table.iter().any(|line| line.starts_with(&row)),
            "the README's settings table lacks a row starting `{row}`"
        );
    }
}
