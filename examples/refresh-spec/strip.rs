//! Stripping descriptive prose from the document: which keys are prose where, what is data
//! and never touched, the counts of what was removed, and the integers beyond i64 that
//! SOURCE.md lists.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

/// What the map or array being walked is, as far as stripping is concerned.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// An OpenAPI object or a JSON Schema: its keys are keywords.
    Node,
    /// A map whose keys are user-chosen names (schema property names, media types, …):
    /// no key is removed; each value is a `Node`.
    Names,
    /// An operation's `responses` (or `components.responses`): values are Response objects.
    Responses,
    /// A Response object: `description` is REQUIRED by OpenAPI, so it is kept.
    Response,
    /// Inside an `x-oaiMeta` extension.
    Meta,
}

/// Keys removed (when their value is a string) from OpenAPI objects and schemas.
const PROSE_KEYS: [&str; 2] = ["description", "summary"];
/// Free-text keys removed inside `x-oaiMeta` (operation `returns`, schema `dataDescription`,
/// navigation group `description`, …). Structural keys (`name`, `group`, `path`, `beta`,
/// `legacy`, `examples`, `navigationGroups`, `sections`, …) stay.
const META_PROSE_KEYS: [&str; 4] = ["description", "summary", "returns", "dataDescription"];
/// Values that are data (request/response samples, defaults, enumerations): never touched.
const DATA_KEYS: [&str; 5] = ["example", "examples", "default", "const", "enum"];
/// Keys whose (mapping) value is keyed by names rather than keywords.
const NAME_MAP_KEYS: [&str; 19] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "mapping",
    "paths",
    "webhooks",
    "schemas",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "pathItems",
    "content",
    "encoding",
    "variables",
];

/// What stripping removed (by key) and kept.
#[derive(Default)]
pub struct Stats {
    removed: BTreeMap<String, usize>,
    kept_response_descriptions: usize,
}

impl Stats {
    /// One line: the counts removed by key, and the Response descriptions kept.
    pub fn summary(&self) -> String {
        let removed: Vec<String> = self
            .removed
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        format!(
            "{}; kept {} Response `description`s (required by OpenAPI)",
            removed.join(", "),
            self.kept_response_descriptions
        )
    }
}

/// Removes prose from `value`, which sits in context `ctx`, counting into `stats`.
pub fn strip(value: &mut Value, ctx: Ctx, stats: &mut Stats) {
    match value {
        Value::Array(items) => {
            let item_ctx = if ctx == Ctx::Meta {
                Ctx::Meta
            } else {
                Ctx::Node
            };
            for item in items {
                strip(item, item_ctx, stats);
            }
        }
        Value::Object(map) => strip_map(map, ctx, stats),
        _ => {}
    }
}

fn strip_map(map: &mut Map<String, Value>, ctx: Ctx, stats: &mut Stats) {
    match ctx {
        Ctx::Names => map.values_mut().for_each(|v| strip(v, Ctx::Node, stats)),
        Ctx::Responses => map
            .values_mut()
            .for_each(|v| strip(v, Ctx::Response, stats)),
        Ctx::Meta => {
            remove_prose(map, &META_PROSE_KEYS, "x-oaiMeta ", stats);
            for (key, value) in map.iter_mut() {
                if !DATA_KEYS.contains(&key.as_str()) {
                    strip(value, Ctx::Meta, stats);
                }
            }
        }
        Ctx::Node | Ctx::Response => {
            if ctx == Ctx::Response && map.get("description").is_some_and(Value::is_string) {
                stats.kept_response_descriptions += 1;
                remove_prose(map, &["summary"], "", stats);
            } else {
                remove_prose(map, &PROSE_KEYS, "", stats);
            }
            for (key, value) in map.iter_mut() {
                let key = key.as_str();
                let child = match key {
                    _ if DATA_KEYS.contains(&key) => continue,
                    "x-oaiMeta" => Ctx::Meta,
                    "responses" if value.is_object() => Ctx::Responses,
                    _ if NAME_MAP_KEYS.contains(&key) && value.is_object() => Ctx::Names,
                    _ => Ctx::Node,
                };
                strip(value, child, stats);
            }
        }
    }
}

/// JSON pointers and emitted spelling of integral numbers beyond i64 (the upstream writes
/// e.g. `-9223372036854776000`; the parser yields f64 or u64 for those).
pub fn find_big_integers(value: &Value, pointer: &mut String, found: &mut Vec<(String, String)>) {
    let len = pointer.len();
    match value {
        Value::Number(n) if n.as_i64().is_none() => {
            let integral = n.as_u64().is_some() || n.as_f64().is_some_and(|f| f.fract() == 0.0);
            if integral {
                found.push((pointer.clone(), n.to_string()));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let _ = write!(pointer, "/{i}");
                find_big_integers(item, pointer, found);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                find_big_integers(item, pointer, found);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Remove string-valued `keys` from `map`, keeping the order of the remaining entries.
fn remove_prose(map: &mut Map<String, Value>, keys: &[&str], label: &str, stats: &mut Stats) {
    map.retain(|key, value| {
        let prose = value.is_string() && keys.contains(&key.as_str());
        if prose {
            *stats.removed.entry(format!("{label}{key}")).or_default() += 1;
        }
        !prose
    });
}
