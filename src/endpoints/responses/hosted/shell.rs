//! The `shell` and `local_shell` tools of `POST /responses`: the model answers with a
//! `shell_call` (its `action.commands`) or a `local_shell_call` (one `exec` action running
//! the commands through `bash -lc`) that the client executes; the client's
//! `shell_call_output` / `local_shell_call_output` in the next request ends the task, and
//! the model answers with a message that uses the output.
//!
//! The commands come from the prompt ([`commands_for`]): a command written in backticks, or
//! the command for a task the prompt names ("list the files" → `ls -la`, "git status",
//! "show README.md" → `cat README.md`, ...). `tool_choice` `"auto"` calls the tool only
//! when the prompt names such a task (or says "shell", "terminal", "command"); a forced
//! choice calls it with `ls -la` when the prompt names none.

use super::super::context_of;
use super::message::hand_over;
use super::{candidate, client_turn};
use crate::endpoints::endpoint::Call;
use crate::generate::{new_id, Rng};
use crate::services::tokens::Encoding;
use serde_json::{json, Value};

/// Rewrites `answer` into a shell call as the module notes say, when one is due.
pub fn apply(call: &Call, body: &Value, answer: &mut Value, rng: &mut Rng) {
    for (tool_type, call_type) in [("shell", "shell_call"), ("local_shell", "local_shell_call")] {
        let Some((tool, usage, position)) = candidate(call, body, answer, &[tool_type]) else {
            continue;
        };
        let context = context_of(body);
        let commands = commands_for(&context.last_user);
        let output_type = format!("{call_type}_output");
        if !client_turn(body, usage, &output_type, commands.is_some()) {
            continue;
        }
        let commands = commands.unwrap_or_else(|| vec!["ls -la".to_string()]);
        let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
        let written = Encoding::for_model(model).count(&commands.join("\n"));
        let item = if call_type == "shell_call" {
            let environment = match tool.pointer("/environment/type").and_then(Value::as_str) {
                None | Some("local") => json!({"type": "local"}),
                Some(_) => Value::Null,
            };
            json!({
                "type": "shell_call",
                "id": new_id(rng, "sh_"),
                "call_id": new_id(rng, "call_"),
                "action": {"commands": commands, "timeout_ms": null, "max_output_length": null},
                "status": "completed",
                "environment": environment,
            })
        } else {
            json!({
                "type": "local_shell_call",
                "id": new_id(rng, "lsh_"),
                "call_id": new_id(rng, "call_"),
                "action": {
                    "type": "exec",
                    "command": ["bash", "-lc", commands.join(" && ")],
                    "env": {},
                    "timeout_ms": null,
                    "working_directory": null,
                    "user": null,
                },
                "status": "completed",
            })
        };
        hand_over(answer, position, item, written);
        return;
    }
}

/// The commands a prompt asks for, in the order of the table below; `None` when it names
/// no shell task.
pub fn commands_for(prompt: &str) -> Option<Vec<String>> {
    if let Some(quoted) = backticked(prompt) {
        return Some(vec![quoted]);
    }
    let lower = prompt.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let file = file_named(prompt);
    let mut commands = Vec::new();
    if has(&[
        "list the files",
        "list files",
        "list all files",
        "directory listing",
    ]) || (has(&["list", "show", "what"]) && has(&[" files", "directory", "folder"]))
    {
        commands.push("ls -la".to_string());
    }
    if has(&["current directory", "working directory", "where am i"]) {
        commands.push("pwd".to_string());
    }
    if has(&["disk space", "disk usage", "free space"]) {
        commands.push("df -h".to_string());
    }
    if has(&["memory usage", "free memory"]) {
        commands.push("free -m".to_string());
    }
    if has(&["processes", "running programs"]) {
        commands.push("ps aux".to_string());
    }
    if has(&["git status", "uncommitted", "changed files"]) {
        commands.push("git status".to_string());
    }
    if has(&["git log", "recent commits", "last commits"]) {
        commands.push("git log --oneline -n 10".to_string());
    }
    if has(&["python version"]) {
        commands.push("python3 --version".to_string());
    }
    if has(&["node version"]) {
        commands.push("node --version".to_string());
    }
    if let Some(file) = &file {
        if has(&[
            "count the lines",
            "count lines",
            "how many lines",
            "line count",
        ]) {
            commands.push(format!("wc -l {file}"));
        } else if has(&["show", "print", "read", "cat ", "contents", "display"]) {
            commands.push(format!("cat {file}"));
        }
    }
    if commands.is_empty() && has(&["shell", "terminal", "command line", "run a command"]) {
        commands.push("ls -la".to_string());
    }
    (!commands.is_empty()).then_some(commands)
}

/// The first text written in backticks.
fn backticked(prompt: &str) -> Option<String> {
    let start = prompt.find('`')? + 1;
    let length = prompt[start..].find('`')?;
    let command = prompt[start..start + length].trim();
    (!command.is_empty()).then(|| command.to_string())
}

/// The first word of `prompt` that looks like a file name (`README.md`, `src/main.rs`).
pub fn file_named(prompt: &str) -> Option<String> {
    prompt
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '\'' | '`' | '(' | ')'))
        .map(|word| word.trim_end_matches(['.', ',', '?', '!', ':', ';']))
        .find(|word| {
            let Some((stem, extension)) = word.rsplit_once('.') else {
                return false;
            };
            !stem.is_empty()
                && (1..=5).contains(&extension.len())
                && extension.chars().all(|c| c.is_ascii_alphanumeric())
                && extension.chars().any(|c| c.is_ascii_alphabetic())
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        })
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_name_their_commands() {
        let commands = |p: &str| commands_for(p).unwrap_or_default();
        assert_eq!(commands("Please list the files here"), ["ls -la"]);
        assert_eq!(commands("run `uname -a` for me"), ["uname -a"]);
        assert_eq!(commands("Show README.md"), ["cat README.md"]);
        assert_eq!(
            commands("how many lines are in src/main.rs?"),
            ["wc -l src/main.rs"]
        );
        assert_eq!(
            commands("list the files and the git status"),
            ["ls -la", "git status"]
        );
        assert_eq!(commands_for("Tell me a joke"), None);
        assert_eq!(
            file_named("version 1.2 of notes.txt."),
            Some("notes.txt".into())
        );
    }
}
