//! The rules in force: the rules file's rules, read at start and re-read when the file
//! changes (hot reload, [`watch`]), merged with the rules added while the server runs
//! ([`Loader::add`]), together with their sequence counters.
//!
//! The merged set is ordered by priority (highest first); within a priority the file's
//! rules come first, in file order, then the added rules in the order they were added.
//! Whenever the set is rebuilt (a reload, added or cleared rules) the sequence counters
//! start over.

use super::log::unix_ms;
use super::rulefile::RulesError;
use super::rules::{Rule, RuleSet};
use crate::catalog::Catalog;
use crate::generate::fnv1a;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::time::Duration;

/// How often a rules file is checked for changes.
pub const RELOAD_INTERVAL: Duration = Duration::from_millis(500);

/// The pseudo file name rules added with [`Loader::add`] are parsed under (it names them
/// in errors; their `body_file` paths are relative to the working directory).
pub const ADDED_RULES: &str = "<added rules>";

/// The rules in force with their sequence counters; replaced whole when the rules change.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The file's rules and the added ones, in the order they are tried.
    pub rules: RuleSet,
    /// Calls so far per (rule index, conversation).
    pub calls: Mutex<HashMap<(usize, String), u64>>,
    /// When this set was put in force, in Unix milliseconds (0 for no rules at all).
    pub loaded_at_ms: u64,
}

/// Where the rules in force come from.
#[derive(Debug, Default)]
struct Sources {
    /// The rules file's rules, by priority then file order.
    file: Vec<Rule>,
    /// The digest of the file text they were compiled from.
    digest: u64,
    /// The added rules, in the order they were added.
    added: Vec<Rule>,
}

/// The rules of one engine: the sources and the merged set in force.
pub struct Loader {
    file: Option<PathBuf>,
    catalog: Arc<Catalog>,
    sources: Mutex<Sources>,
    loaded: RwLock<Arc<Loaded>>,
    last_reload_error: Mutex<Option<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Loader {
    /// The rules of `file` (none without one); reads and checks the file, so a bad file
    /// fails here.
    pub fn new(file: Option<PathBuf>, catalog: Arc<Catalog>) -> Result<Loader, RulesError> {
        let loader = Loader {
            file,
            catalog,
            sources: Mutex::default(),
            loaded: RwLock::default(),
            last_reload_error: Mutex::new(None),
        };
        if let Some(path) = &loader.file {
            let text = read_rules_text(path)?;
            let rules = RuleSet::parse(&text, path, &loader.catalog)?;
            let mut sources = lock(&loader.sources);
            sources.file = rules.rules;
            sources.digest = fnv1a(&[text.as_bytes()]);
            loader.install(&sources);
        }
        Ok(loader)
    }

    /// The rules in force now.
    pub fn current(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .map(|loaded| loaded.clone())
            .unwrap_or_default()
    }

    /// The error of the last failed reload, until a reload succeeds.
    pub fn last_reload_error(&self) -> Option<String> {
        self.last_reload_error.lock().ok().and_then(|e| e.clone())
    }

    /// Puts the merged rules of `sources` in force, with fresh sequence counters.
    fn install(&self, sources: &Sources) {
        let mut rules: Vec<Rule> = sources.file.iter().chain(&sources.added).cloned().collect();
        // A stable sort keeps file rules before added ones within a priority.
        rules.sort_by_key(|rule| std::cmp::Reverse(rule.priority));
        if let Ok(mut loaded) = self.loaded.write() {
            *loaded = Arc::new(Loaded {
                rules: RuleSet { rules },
                calls: Mutex::default(),
                loaded_at_ms: unix_ms(),
            });
        }
    }

    /// Re-reads the rules file if its content changed. `Ok(true)` when new rules were
    /// loaded (the added rules stay); on error the current rules stay and the error is
    /// kept for `GET /__mock/rules`.
    pub fn reload(&self) -> Result<bool, RulesError> {
        let Some(path) = &self.file else {
            return Ok(false);
        };
        let mut sources = lock(&self.sources);
        let result = read_rules_text(path).and_then(|text| {
            let digest = fnv1a(&[text.as_bytes()]);
            if digest == sources.digest {
                return Ok(None);
            }
            Ok(Some((RuleSet::parse(&text, path, &self.catalog)?, digest)))
        });
        let mut last_error = lock(&self.last_reload_error);
        match result {
            Ok(None) => Ok(false),
            Ok(Some((rules, digest))) => {
                let count = rules.rules.len();
                sources.file = rules.rules;
                sources.digest = digest;
                self.install(&sources);
                *last_error = None;
                tracing::info!(target: "openai_mock::scenario", file = %path.display(), rules = count, "rules reloaded");
                Ok(true)
            }
            Err(error) => {
                if last_error.as_deref() != Some(error.to_string().as_str()) {
                    tracing::error!(target: "openai_mock::scenario", "rules not reloaded, keeping the last good ones: {error}");
                }
                *last_error = Some(error.to_string());
                Err(error)
            }
        }
    }

    /// Compiles `text` (a document with a top-level `rules` list, as in the rules file,
    /// named [`ADDED_RULES`] in errors) and adds its rules to the ones in force; returns how
    /// many were added. A rule name already used by a rule in force is an error; on any
    /// error nothing is added.
    pub fn add(&self, text: &str) -> Result<usize, RulesError> {
        let set = RuleSet::parse(text, Path::new(ADDED_RULES), &self.catalog)?;
        let mut sources = lock(&self.sources);
        let taken: HashSet<&str> = sources
            .file
            .iter()
            .chain(&sources.added)
            .filter(|rule| rule.named)
            .map(|rule| rule.name.as_str())
            .collect();
        if let Some(rule) = set
            .rules
            .iter()
            .find(|rule| rule.named && taken.contains(rule.name.as_str()))
        {
            return Err(RulesError {
                file: PathBuf::from(ADDED_RULES),
                line: rule.line,
                column: 0,
                message: format!(
                    "rule name `{}` is already used by a rule in force",
                    rule.name
                ),
            });
        }
        let count = set.rules.len();
        // `parse` ordered them by priority then text order, which the merge keeps.
        sources.added.extend(set.rules.into_iter().map(|rule| Rule {
            added: true,
            ..rule
        }));
        if count > 0 {
            self.install(&sources);
        }
        Ok(count)
    }

    /// Removes every added rule (the file's rules stay).
    pub fn clear_added(&self) {
        let mut sources = lock(&self.sources);
        if !sources.added.is_empty() {
            sources.added.clear();
            self.install(&sources);
        }
    }
}

fn read_rules_text(path: &Path) -> Result<String, RulesError> {
    std::fs::read_to_string(path).map_err(|e| RulesError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the file: {e}"),
    })
}

/// Calls `reload` on `owner` every [`RELOAD_INTERVAL`]; the task ends once `owner` is
/// dropped.
pub fn watch<T: Send + Sync + 'static>(
    owner: Weak<T>,
    reload: fn(&T),
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RELOAD_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(owner) = owner.upgrade() else {
                return;
            };
            reload(&owner);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{chat, engine_with, text_of};
    use super::super::Settings;
    use poem::http::HeaderMap;
    use serde_json::json;

    #[test]
    fn a_bad_reload_keeps_the_last_good_rules() {
        let (engine, file) = engine_with("rules:\n  - reply: {text: first}\n", Settings::default());
        let none = HeaderMap::new();
        let messages = json!([{"role": "user", "content": "hi"}]);
        assert_eq!(engine.reload(), Ok(false));
        std::fs::write(&file, "rules:\n  - reply: {text: second}\n").unwrap();
        assert_eq!(engine.reload(), Ok(true));
        assert_eq!(text_of(&chat(&engine, messages.clone(), &none)), "second");
        std::fs::write(
            &file,
            "rules:\n  - reply: {text: third}\n  - reply: {bogus: 1}\n",
        )
        .unwrap();
        let error = engine.reload().unwrap_err();
        assert_eq!(error.line, 3);
        assert_eq!(text_of(&chat(&engine, messages, &none)), "second");
        let (_, rules) = engine.admin("GET", "/__mock/rules").unwrap();
        assert!(rules["last_reload_error"].as_str().unwrap().contains(":3:"));
    }

    #[test]
    fn added_rules_answer_survive_a_reload_and_are_cleared() {
        let (engine, file) = engine_with(
            "rules:\n  - {name: base, match: {last_user_message: base}, reply: {text: file}}\n",
            Settings::default(),
        );
        let none = HeaderMap::new();
        let ask = |text: &str| {
            text_of(&chat(
                &engine,
                json!([{"role": "user", "content": text}]),
                &none,
            ))
        };
        assert_eq!(ask("other"), "Normal");
        let added = engine
            .add_rules(
                "rules:\n  - {name: extra, match: {last_user_message: other}, reply: {text: added}}\n  - reply: {text: fallback}\n",
            )
            .unwrap();
        assert_eq!(added, 2);
        assert_eq!(engine.rule_count(), 3);
        assert_eq!(ask("other"), "added");
        assert_eq!(ask("base"), "file");
        assert_eq!(ask("anything"), "fallback");

        // Ties go to the file's rules, then the added ones in the order added; a higher
        // priority goes first wherever it came from.
        engine
            .add_rules("rules:\n  - {priority: 1, match: {last_user_message: base}, reply: {text: urgent}}\n")
            .unwrap();
        assert_eq!(ask("base"), "urgent");
        let (_, rules) = engine.admin("GET", "/__mock/rules").unwrap();
        let shown: Vec<(String, String)> = rules["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_string(),
                    r["source"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expected = [
            ("#1", "added"),
            ("base", "file"),
            ("extra", "added"),
            ("#2", "added"),
        ];
        assert_eq!(shown, expected.map(|(n, s)| (n.to_string(), s.to_string())));
        assert_eq!(rules["rules"][0]["line"], 2);

        // Mistakes and taken names add nothing.
        let error = engine
            .add_rules("rules:\n  - reply: {txt: a}\n")
            .unwrap_err();
        assert_eq!(error.to_string().split(':').next(), Some("<added rules>"));
        assert_eq!(error.line, 2);
        let error = engine
            .add_rules("rules:\n  - reply: {text: a}\n  - {name: base, reply: {text: b}}\n")
            .unwrap_err();
        assert!(error.message.contains("already used"), "{error}");
        assert_eq!(error.line, 3);
        assert_eq!(engine.rule_count(), 4);

        std::fs::write(
            &file,
            "rules:\n  - {name: base, match: {last_user_message: base}, reply: {text: file v2}}\n  - {match: {last_user_message: new}, reply: {text: new}}\n",
        )
        .unwrap();
        assert_eq!(engine.reload(), Ok(true));
        assert_eq!(engine.rule_count(), 5);
        assert_eq!(ask("other"), "added");
        assert_eq!(ask("new"), "new");
        assert_eq!(ask("base"), "urgent");

        engine.clear_added_rules();
        assert_eq!(engine.rule_count(), 2);
        assert_eq!(ask("base"), "file v2");
        assert_eq!(ask("other"), "Normal");
        let (_, rules) = engine.admin("GET", "/__mock/rules").unwrap();
        assert!(rules["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["source"] == "file"));
    }
}
