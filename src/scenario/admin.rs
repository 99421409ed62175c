//! The `/__mock/` inspection endpoints ([`Engine::admin`]): the request log and the rules in
//! force. (`POST /__mock/reset`, which also empties the store, is the server's.)

use super::engine::Engine;
use crate::error::ApiError;
use serde_json::{json, Value};

impl Engine {
    /// Answers the `/__mock/...` inspection endpoints; `None` for other paths.
    pub fn admin(&self, method: &str, path: &str) -> Option<(u16, Value)> {
        let rest = path.strip_prefix("/__mock/")?;
        Some(match (method, rest) {
            ("GET", "requests") => (200, self.log.to_json()),
            ("DELETE", "requests") => {
                self.log.clear();
                (200, json!({"object": "list", "deleted": true}))
            }
            ("GET", "rules") => (200, self.rules_json()),
            _ => {
                let error = ApiError::unknown_route(method, path).body();
                (404, error)
            }
        })
    }

    /// `GET /__mock/rules`: the rules in force, in the order they are tried, each with
    /// its `source` (`file`, or `added` for [`Engine::add_rules`]) and the line it starts
    /// at in that source.
    fn rules_json(&self) -> Value {
        let loaded = self.rules.current();
        let rules: Vec<Value> = loaded
            .rules
            .rules
            .iter()
            .map(|rule| {
                json!({
                    "name": rule.name, "priority": rule.priority, "line": rule.line,
                    "steps": rule.steps.len(),
                    "source": if rule.added { "added" } else { "file" },
                })
            })
            .collect();
        json!({
            "file": self.settings.rules_file,
            "loaded_at_ms": loaded.loaded_at_ms,
            "rules": rules,
            "last_reload_error": self.rules.last_reload_error(),
        })
    }
}
