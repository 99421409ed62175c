//! The `apply_patch` tool of `POST /responses`: the model answers with an
//! `apply_patch_call` whose `operation` edits the file the prompt names; the client applies
//! it and its `apply_patch_call_output` in the next request ends the task, after which the
//! model answers with a message that uses the output.
//!
//! The operation follows the prompt's verb: "delete"/"remove the file" → `delete_file`;
//! "create"/"new file"/"write a file" → `create_file` (a V4A create diff: every line starts
//! with `+`); anything else → `update_file` (a V4A hunk, `@@` then `+` lines, which adds the
//! lines at the top of the file since the mock cannot read the file). The added lines are
//! the text the prompt quotes, else a few lines fit to the file's extension.
//! `tool_choice` `"auto"` calls the tool when the prompt names a file and an edit; a forced
//! choice calls it on `notes.txt` when the prompt names no file.

use super::super::context_of;
use super::message::hand_over;
use super::shell::file_named;
use super::{candidate, client_turn};
use crate::endpoints::endpoint::Call;
use crate::generate::{new_id, Rng};
use crate::services::tokens::Encoding;
use serde_json::{json, Value};

/// Rewrites `answer` into an `apply_patch_call` as the module notes say, when one is due.
pub fn apply(call: &Call, body: &Value, answer: &mut Value, rng: &mut Rng) {
    let Some((_, usage, position)) = candidate(call, body, answer, &["apply_patch"]) else {
        return;
    };
    let context = context_of(body);
    let prompt = &context.last_user;
    let file = file_named(prompt);
    let relevant = file.is_some() && verb(prompt).is_some();
    if !client_turn(body, usage, "apply_patch_call_output", relevant) {
        return;
    }
    let path = file.unwrap_or_else(|| "notes.txt".to_string());
    let operation = operation(prompt, &path);
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let written = Encoding::for_model(model).count(&operation.to_string());
    let item = json!({
        "type": "apply_patch_call",
        "id": new_id(rng, "apc_"),
        "call_id": new_id(rng, "call_"),
        "status": "completed",
        "operation": operation,
    });
    hand_over(answer, position, item, written);
}

/// What the prompt asks to do to a file: `delete`, `create` or `update`.
fn verb(prompt: &str) -> Option<&'static str> {
    let lower = prompt.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if has(&["delete", "remove the file", "remove file"]) {
        Some("delete")
    } else if has(&[
        "create",
        "new file",
        "write a file",
        "add a file",
        "make a file",
    ]) {
        Some("create")
    } else if has(&[
        "edit", "update", "change", "fix", "modify", "add", "append", "insert", "patch", "rename",
        "replace", "refactor", "write",
    ]) {
        Some("update")
    } else {
        None
    }
}

/// The patch operation for `prompt` on `path` (see the module notes).
pub fn operation(prompt: &str, path: &str) -> Value {
    match verb(prompt) {
        Some("delete") => json!({"type": "delete_file", "path": path}),
        Some("create") => {
            let diff: String = lines_for(prompt, path, true)
                .iter()
                .map(|line| format!("+{line}\n"))
                .collect();
            json!({"type": "create_file", "path": path, "diff": diff})
        }
        _ => {
            let added: String = lines_for(prompt, path, false)
                .iter()
                .map(|line| format!("+{line}\n"))
                .collect();
            json!({"type": "update_file", "path": path, "diff": format!("@@\n{added}")})
        }
    }
}

/// The lines to write: the prompt's quoted text, else lines fit to the file's extension (a
/// whole small file when `whole`, else one comment line about the request).
fn lines_for(prompt: &str, path: &str, whole: bool) -> Vec<String> {
    if let Some(quoted) = quoted(prompt) {
        return quoted.lines().map(str::to_string).collect();
    }
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    let comment = match extension {
        "py" | "sh" | "rb" | "toml" | "yml" | "yaml" => "#",
        "rs" | "js" | "ts" | "go" | "java" | "c" | "cpp" | "h" | "swift" | "kt" => "//",
        "md" | "txt" | "" => "",
        _ => "#",
    };
    let request = prompt.trim().trim_end_matches(['.', '!', '?']);
    let note = if comment.is_empty() {
        format!("Note: {request}.")
    } else {
        format!("{comment} {request}")
    };
    if !whole {
        return vec![note];
    }
    let body: &[&str] = match extension {
        "py" => &[
            "def main():",
            "    print(\"Hello, world!\")",
            "",
            "",
            "if __name__ == \"__main__\":",
            "    main()",
        ],
        "rs" => &["fn main() {", "    println!(\"Hello, world!\");", "}"],
        "js" | "ts" => &["console.log(\"Hello, world!\");"],
        "md" => &["# Notes", "", "Hello, world!"],
        _ => &["Hello, world!"],
    };
    std::iter::once(note)
        .chain(body.iter().map(|l| l.to_string()))
        .collect()
}

/// The first text in double quotes (or single quotes around more than one word).
fn quoted(prompt: &str) -> Option<String> {
    for mark in ['"', '\''] {
        let Some(start) = prompt.find(mark) else {
            continue;
        };
        let rest = &prompt[start + 1..];
        if let Some(length) = rest.find(mark) {
            let text = rest[..length].trim();
            if !text.is_empty() && (mark == '"' || text.contains(' ')) {
                return Some(text.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_follows_the_verb_and_the_diff_is_v4a() {
        let update = operation("Add the line \"import os\" to app.py", "app.py");
        assert_eq!(
            update,
            json!({"type": "update_file", "path": "app.py", "diff": "@@\n+import os\n"})
        );
        let create = operation("Create hello.py", "hello.py");
        assert_eq!(create["type"], "create_file");
        let diff = create["diff"].as_str().unwrap();
        assert!(diff.lines().all(|l| l.starts_with('+')), "{diff}");
        assert!(diff.contains("def main():"));
        assert_eq!(
            operation("Please delete old.txt", "old.txt"),
            json!({"type": "delete_file", "path": "old.txt"})
        );
        assert_eq!(verb("what is in a.txt"), None);
    }
}
