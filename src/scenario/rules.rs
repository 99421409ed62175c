//! Compiled response rules: the [`RuleSet`] in priority order, what each [`Rule`] matches
//! ([`Rule::matches`]) and which of its [`Step`]s answers a given call ([`Rule::step`]).
//!
//! The rules file format and its compilation into these types are in
//! [`rulefile`](super::rulefile).

use super::facts::Facts;
use super::faults::SimulatedError;
use super::latency::Overrides;
use super::template::{Template, TemplateValue};
use poem::http::{HeaderMap, HeaderName};
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;

/// What happens once a sequence has given its last step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterSequence {
    /// Every further call gets the last step.
    #[default]
    RepeatLast,
    /// Start over from the first step.
    Cycle,
    /// The rule stops matching; later rules (or the normal answer) apply.
    Stop,
}

/// The loaded rules, in the order they are tried.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// By priority (highest first), then file order.
    pub rules: Vec<Rule>,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's `name`, or `#N` (its position in the file, from 1).
    pub name: String,
    /// Whether `name` was given (only named rules can be chosen with `x-mock-rule`).
    pub named: bool,
    /// Higher is tried first.
    pub priority: i64,
    /// Where the rule starts.
    pub line: u32,
    /// Whether the rule was added while the server runs (not from the rules file).
    pub added: bool,
    pub(super) matcher: Matcher,
    /// One step for `reply`, several for `sequence`.
    pub steps: Vec<Step>,
    /// What happens after the last step.
    pub after_sequence: AfterSequence,
}

/// One reply of a rule.
#[derive(Debug, Clone)]
pub struct Step {
    /// What to answer.
    pub action: Action,
    /// Latency and stream settings of this step.
    pub overrides: Overrides,
}

/// What a step answers.
#[derive(Debug, Clone)]
pub enum Action {
    /// The normal answer, with the assistant's text and/or tool calls scripted when given.
    Behave {
        /// The assistant's text.
        text: Option<Template>,
        /// The assistant's tool calls.
        tool_calls: Vec<ToolCallTemplate>,
        /// Results pinned for hosted tools, by tool type (an object of templates).
        tool_results: Option<TemplateValue>,
    },
    /// A whole answer body.
    Body {
        /// HTTP status.
        status: u16,
        /// The body.
        body: TemplateValue,
    },
    /// An error answer (its message is a template).
    Error {
        /// The error and its headers.
        error: SimulatedError,
        /// The message template.
        message: Template,
    },
    /// Drop the connection.
    ConnectionReset,
}

/// A scripted tool call.
#[derive(Debug, Clone)]
pub struct ToolCallTemplate {
    /// The function's name.
    pub name: String,
    /// The arguments: an object (written as JSON text) or a string used as is.
    pub arguments: TemplateValue,
    /// The call id; a fresh `call_…` id when absent.
    pub id: Option<String>,
}

/// The compiled `match` conditions of a rule.
#[derive(Debug, Clone, Default)]
pub(super) struct Matcher {
    pub(super) operations: Option<HashSet<String>>,
    pub(super) endpoints: Option<HashSet<String>>,
    pub(super) models: Option<Vec<String>>,
    pub(super) last_user_message: Option<Regex>,
    pub(super) system_prompt: Option<Regex>,
    pub(super) tools: Option<bool>,
    pub(super) headers: Vec<(HeaderName, Regex)>,
    pub(super) body: Vec<(String, Value)>,
}

impl Rule {
    /// Whether the request matches every condition of the rule.
    pub fn matches(&self, facts: &Facts, headers: &HeaderMap, body: &Value) -> bool {
        let m = &self.matcher;
        let search =
            |regex: &Option<Regex>, text: &str| regex.as_ref().is_none_or(|r| r.is_match(text));
        m.operations
            .as_ref()
            .is_none_or(|ops| ops.contains(&facts.operation))
            && m.endpoints
                .as_ref()
                .is_none_or(|ops| ops.contains(&facts.operation))
            && m.models.as_ref().is_none_or(|models| {
                facts
                    .model
                    .as_ref()
                    .is_some_and(|model| models.contains(model))
            })
            && search(&m.last_user_message, &facts.last_user_message)
            && search(&m.system_prompt, &facts.system_prompt)
            && m.tools.is_none_or(|tools| tools == facts.tools)
            && m.headers.iter().all(|(name, regex)| {
                headers
                    .get_all(name)
                    .iter()
                    .any(|value| value.to_str().is_ok_and(|v| regex.is_match(v)))
            })
            && m.body.iter().all(|(pointer, expected)| {
                body.pointer(pointer)
                    .is_some_and(|actual| json_equal(actual, expected))
            })
    }

    /// The step for the rule's `call`-th matching call (0-based), or `None` once a
    /// `stop` sequence is used up.
    pub fn step(&self, call: u64) -> Option<&Step> {
        let count = self.steps.len() as u64;
        let index = match self.after_sequence {
            _ if call < count => call,
            AfterSequence::RepeatLast => count.checked_sub(1)?,
            AfterSequence::Cycle => call % count.max(1),
            AfterSequence::Stop => return None,
        };
        self.steps.get(index as usize)
    }
}

/// JSON equality where numbers compare by value (`0` equals `0.0`).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

impl RuleSet {
    /// The named rule.
    pub fn named(&self, name: &str) -> Option<(usize, &Rule)> {
        self.rules
            .iter()
            .enumerate()
            .find(|(_, rule)| rule.named && rule.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::super::rulefile::RulesError;
    use super::*;
    use crate::catalog::Catalog;
    use serde_json::json;
    use std::path::Path;

    fn catalog() -> std::sync::Arc<Catalog> {
        Catalog::embedded()
    }

    fn parse(text: &str) -> Result<RuleSet, RulesError> {
        RuleSet::parse(text, Path::new("rules.yaml"), &catalog())
    }

    fn chat_facts(last: &str) -> Facts {
        Facts {
            operation: "createChatCompletion".into(),
            method: "POST".into(),
            path: "/chat/completions".into(),
            model: Some("gpt-4o".into()),
            last_user_message: last.into(),
            first_user_message: last.into(),
            system_prompt: "You are a pirate.".into(),
            tools: true,
        }
    }

    fn only(text: &str) -> Rule {
        parse(text).unwrap().rules.remove(0)
    }

    #[test]
    fn each_match_type_accepts_and_refuses() {
        let none = HeaderMap::new();
        let body = json!({"temperature": 0, "metadata": {"suite": "a"}});
        let facts = chat_facts("What is the weather in Paris?");
        let cases = [
            ("endpoint: /v1/chat/completions", "endpoint: /embeddings"),
            (
                "endpoint: POST /chat/completions",
                "endpoint: [GET /models]",
            ),
            (
                "operation: createChatCompletion",
                "operation: [createResponse, createCompletion]",
            ),
            ("model: gpt-4o", "model: [gpt-4o-mini]"),
            (
                "last_user_message: '(?i)weather in \\w+'",
                "last_user_message: '^Hello'",
            ),
            (
                "system_prompt: pirate",
                "system_prompt: '^You are a lawyer'",
            ),
            ("tools: true", "tools: false"),
            ("body: {/temperature: 0.0}", "body: {/temperature: 1}"),
            (
                "body: {/metadata: {suite: a}}",
                "body: {/metadata/suite: b}",
            ),
        ];
        for (yes, no) in cases {
            let accept = only(&format!(
                "rules:\n  - match: {{{yes}}}\n    reply: {{text: hi}}\n"
            ));
            assert!(accept.matches(&facts, &none, &body), "{yes}");
            let refuse = only(&format!(
                "rules:\n  - match: {{{no}}}\n    reply: {{text: hi}}\n"
            ));
            assert!(!refuse.matches(&facts, &none, &body), "{no}");
        }
        let rule =
            only("rules:\n  - match: {headers: {X-Tenant: '^acme$'}}\n    reply: {text: hi}\n");
        let mut headers = HeaderMap::new();
        assert!(!rule.matches(&facts, &headers, &body));
        headers.insert("x-tenant", "acme".parse().unwrap());
        assert!(rule.matches(&facts, &headers, &body));
        headers.insert("x-tenant", "acme-corp".parse().unwrap());
        assert!(!rule.matches(&facts, &headers, &body));
    }

    #[test]
    fn priorities_order_rules_and_file_order_breaks_ties() {
        let set = parse(
            "rules:\n  - {name: a, reply: {text: a}}\n  - {name: b, priority: 5, reply: {text: b}}\n  - {name: c, reply: {text: c}}\n  - {name: d, priority: 5, reply: {text: d}}\n",
        )
        .unwrap();
        let order: Vec<&str> = set.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(order, ["b", "d", "a", "c"]);
        assert_eq!(set.named("c").map(|(i, _)| i), Some(3));
    }

    #[test]
    fn sequences_step_then_repeat_cycle_or_stop() {
        let rule = |after: &str| {
            only(&format!(
                "rules:\n  - sequence: [{{text: A}}, {{text: B}}]\n    after_sequence: {after}\n"
            ))
        };
        let text = |rule: &Rule, call| match rule.step(call).map(|s| &s.action) {
            Some(Action::Behave { text: Some(t), .. }) => {
                t.render(&super::super::template::Context {
                    model: "",
                    id: "",
                    created: 0,
                    last_user_message: "",
                    request: &Value::Null,
                })
            }
            Some(_) => "other".into(),
            None => "none".into(),
        };
        let repeat = rule("repeat_last");
        assert_eq!(
            (0..4).map(|c| text(&repeat, c)).collect::<Vec<_>>(),
            ["A", "B", "B", "B"]
        );
        let cycle = rule("cycle");
        assert_eq!(
            (0..4).map(|c| text(&cycle, c)).collect::<Vec<_>>(),
            ["A", "B", "A", "B"]
        );
        let stop = rule("stop");
        assert_eq!(
            (0..3).map(|c| text(&stop, c)).collect::<Vec<_>>(),
            ["A", "B", "none"]
        );
    }
}
