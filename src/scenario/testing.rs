//! Helpers for the scenario unit tests: an engine over a temporary rules file and a chat
//! request to plan.

use super::engine::{Engine, Settings};
use super::plan::{Outcome, Plan};
use crate::catalog::Catalog;
use crate::generate::fnv1a;
use crate::validate::ValidRequest;
use poem::http::HeaderMap;
use serde_json::{json, Value};
use std::path::PathBuf;

/// An engine reading `rules` from a fresh file (returned too, to rewrite it), with control
/// headers on.
pub fn engine_with(rules: &str, settings: Settings) -> (Engine, PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "openai-mock-engine-{}-{}",
        std::process::id(),
        fnv1a(&[rules.as_bytes()])
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.yaml");
    std::fs::write(&file, rules).unwrap();
    let settings = Settings {
        rules_file: Some(file.clone()),
        control_headers: true,
        ..settings
    };
    (Engine::new(Catalog::embedded(), settings).unwrap(), file)
}

/// The plan for a `gpt-4o` chat completion with these messages.
pub fn chat(engine: &Engine, messages: Value, headers: &HeaderMap) -> Plan {
    let catalog = Catalog::embedded();
    let op = catalog.operation("createChatCompletion").unwrap();
    let request = ValidRequest {
        body: json!({"model": "gpt-4o", "messages": messages}),
        ..ValidRequest::default()
    };
    engine.plan(
        op,
        &crate::endpoints::chat::ENDPOINT,
        &request,
        headers,
        Some("sk-test"),
    )
}

/// The scripted text of a plan, or its outcome in debug form.
pub fn text_of(plan: &Plan) -> String {
    match &plan.outcome {
        Outcome::Scripted(s) => s.text.clone().unwrap_or_default(),
        other => format!("{other:?}"),
    }
}
