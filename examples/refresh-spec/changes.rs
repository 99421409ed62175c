//! The change report: compares the `openapi.yml` a refresh replaces with the new stripped
//! document — operations (by method and path) and `components.schemas` (by name) added,
//! removed and changed — and renders it as `CHANGES.md` and a one-line summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::document::{self, Facts, Operation};
use crate::references::Checked;

/// Schema-name lists longer than this are written compactly (comma-separated, wrapped)
/// rather than one per line, so the report stays a few hundred lines long.
const ONE_PER_LINE_MAX: usize = 40;
/// The width compact lists wrap at.
const WRAP: usize = 96;

/// An operation as the report lists it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpLine {
    /// The path template.
    pub path: String,
    /// The method, upper-case.
    pub method: String,
    /// The `operationId`, if any.
    pub id: Option<String>,
}

impl OpLine {
    fn of(op: &Operation<'_>) -> Self {
        OpLine {
            path: op.path.to_string(),
            method: op.method.to_ascii_uppercase(),
            id: op.id().map(str::to_string),
        }
    }

    fn markdown(&self) -> String {
        let id = self.id.as_deref().unwrap_or("(no operationId)");
        format!("`{} {}` `{id}`", self.method, self.path)
    }
}

/// The document a refresh replaces, as far as the report is concerned.
pub enum Previous {
    /// There was no `openapi.yml` in the output directory.
    Absent,
    /// There was one, but it could not be read as an OpenAPI document (the reason).
    Unreadable(String),
    /// The previous document and what its header says about its upstream.
    Document {
        /// The parsed document.
        doc: Value,
        /// The upstream sha256 from its generated-file header, if it has one.
        upstream_sha256: Option<String>,
        /// Its headline facts.
        facts: Facts,
    },
}

/// The upstream sha256 recorded in a generated `openapi.yml`'s header comment.
pub fn previous_upstream_sha256(text: &str) -> Option<String> {
    text.lines()
        .take_while(|line| line.starts_with('#'))
        .find_map(|line| line.strip_prefix("# Upstream sha256 "))
        .and_then(|rest| rest.split(';').next())
        .map(str::to_string)
}

/// Reads the previous document from its text (`None`: there was no file).
pub fn read_previous(text: Option<&str>) -> Previous {
    let Some(text) = text else {
        return Previous::Absent;
    };
    let doc = match document::parse_yaml(text) {
        Ok(doc) => doc,
        Err(e) => return Previous::Unreadable(format!("it is not valid YAML: {e}")),
    };
    match document::inspect(&doc) {
        Ok(facts) => Previous::Document {
            upstream_sha256: previous_upstream_sha256(text),
            doc,
            facts,
        },
        Err(e) => Previous::Unreadable(format!("it is not an OpenAPI 3 document: {e}")),
    }
}

/// What changed between two documents.
#[derive(Default)]
pub struct Changes {
    /// Operations whose method and path are new.
    pub ops_added: Vec<OpLine>,
    /// Operations whose method and path are gone.
    pub ops_removed: Vec<OpLine>,
    /// Operations present in both that differ, with what differs.
    pub ops_changed: Vec<(OpLine, Vec<&'static str>)>,
    /// Schema names new in `components.schemas`.
    pub schemas_added: Vec<String>,
    /// Schema names gone from `components.schemas`.
    pub schemas_removed: Vec<String>,
    /// Schema names in both whose JSON differs.
    pub schemas_changed: Vec<String>,
}

impl Changes {
    /// Whether nothing the report compares changed.
    pub fn is_empty(&self) -> bool {
        self.ops_added.is_empty()
            && self.ops_removed.is_empty()
            && self.ops_changed.is_empty()
            && self.schemas_added.is_empty()
            && self.schemas_removed.is_empty()
            && self.schemas_changed.is_empty()
    }

    /// The counts, as printed by the tool.
    pub fn summary(&self) -> String {
        format!(
            "operations {} added, {} removed, {} changed; schemas {} added, {} removed, {} changed",
            self.ops_added.len(),
            self.ops_removed.len(),
            self.ops_changed.len(),
            self.schemas_added.len(),
            self.schemas_removed.len(),
            self.schemas_changed.len()
        )
    }
}

/// The parts of an operation the report compares. `$ref`s are compared as written: a
/// change inside a referenced schema shows under schemas, not under every operation.
fn aspects(op: &Operation<'_>) -> [(&'static str, Value); 4] {
    let id = op.op.get("operationId").cloned().unwrap_or(Value::Null);
    let body = op.op.get("requestBody").cloned().unwrap_or(Value::Null);
    let parameters = Value::Array(vec![
        op.item.get("parameters").cloned().unwrap_or(Value::Null),
        op.op.get("parameters").cloned().unwrap_or(Value::Null),
    ]);
    // Success responses: each 2xx status (or `2XX`) → media type → schema.
    let mut success = Map::new();
    if let Some(responses) = op.op.get("responses").and_then(Value::as_object) {
        for (status, response) in responses {
            if !status.starts_with('2') {
                continue;
            }
            let mut media = Map::new();
            if let Some(content) = response.get("content").and_then(Value::as_object) {
                for (media_type, entry) in content {
                    let schema = entry.get("schema").cloned().unwrap_or(Value::Null);
                    media.insert(media_type.clone(), schema);
                }
            }
            // A `$ref` to components.responses is compared as the reference itself.
            if let Some(reference) = response.get("$ref") {
                media.insert("$ref".into(), reference.clone());
            }
            success.insert(status.clone(), Value::Object(media));
        }
    }
    [
        ("operationId", id),
        ("request body", body),
        ("parameters", parameters),
        ("success response schema", Value::Object(success)),
    ]
}

/// Compares the previous document with the new one.
pub fn compare(old: &Value, new: &Value) -> Changes {
    let index = |doc| {
        document::operations(doc)
            .into_iter()
            .map(|op| ((op.path.to_string(), op.method), op))
            .collect::<BTreeMap<_, _>>()
    };
    let (old_ops, new_ops) = (index(old), index(new));
    let mut changes = Changes::default();
    for (key, op) in &new_ops {
        match old_ops.get(key) {
            None => changes.ops_added.push(OpLine::of(op)),
            Some(before) => {
                let differing: Vec<&'static str> = aspects(before)
                    .into_iter()
                    .zip(aspects(op))
                    .filter(|((_, a), (_, b))| a != b)
                    .map(|((name, _), _)| name)
                    .collect();
                if !differing.is_empty() {
                    changes.ops_changed.push((OpLine::of(op), differing));
                }
            }
        }
    }
    changes.ops_removed = old_ops
        .iter()
        .filter(|(key, _)| !new_ops.contains_key(*key))
        .map(|(_, op)| OpLine::of(op))
        .collect();

    let empty = Map::new();
    let old_schemas = document::schemas(old).unwrap_or(&empty);
    let new_schemas = document::schemas(new).unwrap_or(&empty);
    for (name, schema) in new_schemas {
        match old_schemas.get(name) {
            None => changes.schemas_added.push(name.clone()),
            // serde_json's map equality ignores key order.
            Some(before) if before != schema => changes.schemas_changed.push(name.clone()),
            Some(_) => {}
        }
    }
    changes.schemas_removed = old_schemas
        .keys()
        .filter(|name| !new_schemas.contains_key(*name))
        .cloned()
        .collect();
    for list in [
        &mut changes.schemas_added,
        &mut changes.schemas_removed,
        &mut changes.schemas_changed,
    ] {
        list.sort();
    }
    changes
}

/// What `CHANGES.md` is rendered from.
pub struct Report<'a> {
    /// The document replaced.
    pub previous: &'a Previous,
    /// The comparison (empty unless the previous document was readable).
    pub changes: &'a Changes,
    /// The new upstream's sha256.
    pub sha256: &'a str,
    /// The new document's facts.
    pub facts: &'a Facts,
    /// What the reference check covered.
    pub checked: &'a Checked,
}

/// The text of CHANGES.md.
pub fn render(report: &Report<'_>) -> String {
    let mut md = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(
        md,
        "# spec/ changes

What the last `cargo refresh-spec` changed in `openapi.yml`, compared with the `openapi.yml`
it replaced. Generated with `openapi.yml` and `SOURCE.md` by the tool; do not edit by hand.
"
    );
    let facts = report.facts;
    match report.previous {
        Previous::Document {
            upstream_sha256,
            facts: old,
            ..
        } => {
            let old_sha = upstream_sha256.as_deref().unwrap_or("(not recorded)");
            let _ = writeln!(
                md,
                "| | previous | this refresh |
|---|---|---|
| Upstream sha256 | `{old_sha}` | `{sha}` |
| `info.version` | {old_version} | {version} |
| Operations (under `paths`) | {old_ops} | {ops} |
| Schemas (`components.schemas`) | {old_schemas} | {schemas} |
",
                sha = report.sha256,
                old_version = old.info_version,
                version = facts.info_version,
                old_ops = old.operations,
                ops = facts.operations,
                old_schemas = old.schemas,
                schemas = facts.schemas,
            );
            render_changes(&mut md, report.changes);
        }
        Previous::Absent | Previous::Unreadable(_) => {
            let why = match report.previous {
                Previous::Unreadable(reason) => {
                    format!("The previous `openapi.yml` could not be compared: {reason}.")
                }
                _ => "There was no previous `openapi.yml` in the output directory.".into(),
            };
            let _ = writeln!(
                md,
                "{why} Nothing to compare with: this refresh (upstream sha256 `{sha}`) has {ops} \
                 operations and {schemas} schemas.\n",
                sha = report.sha256,
                ops = facts.operations,
                schemas = facts.schemas,
            );
        }
    }
    let checked = report.checked;
    let _ = writeln!(
        md,
        "## References into the spec

None dangles in the new document: {}.",
        checked.summary()
    );
    if !checked.satisfied_adds.is_empty() {
        let _ = writeln!(
            md,
            "\nOverlay `add`s the spec now satisfies itself (`build.rs` skips them; consider \
             dropping them):\n"
        );
        for patch in &checked.satisfied_adds {
            let _ = writeln!(md, "- {patch}");
        }
    }
    md
}

fn render_changes(md: &mut String, changes: &Changes) {
    if changes.is_empty() {
        let _ = writeln!(
            md,
            "No changes: the operations and schemas are the same as before.\n"
        );
        return;
    }
    let _ = writeln!(
        md,
        "| | added | removed | changed |
|---|---|---|---|
| Operations | {} | {} | {} |
| Schemas | {} | {} | {} |

An operation is identified by method and path; it counts as changed when its operationId,
request body, parameters (its own or its path's) or success (2xx) response schemas differ.
`$ref`s are compared as written, so a change inside a referenced schema is listed under
schemas, not under every operation using it. A schema counts as changed when its JSON
differs (key order aside).
",
        changes.ops_added.len(),
        changes.ops_removed.len(),
        changes.ops_changed.len(),
        changes.schemas_added.len(),
        changes.schemas_removed.len(),
        changes.schemas_changed.len(),
    );
    let lines = |ops: &[OpLine]| ops.iter().map(OpLine::markdown).collect::<Vec<_>>();
    section(md, "Operations added", &lines(&changes.ops_added));
    section(md, "Operations removed", &lines(&changes.ops_removed));
    let changed: Vec<String> = changes
        .ops_changed
        .iter()
        .map(|(op, what)| format!("{}: {}", op.markdown(), what.join(", ")))
        .collect();
    section(md, "Operations changed", &changed);
    names(md, "Schemas added", &changes.schemas_added);
    names(md, "Schemas removed", &changes.schemas_removed);
    names(md, "Schemas changed", &changes.schemas_changed);
}

/// A heading with its count, then one item per line (or "None.").
fn section(md: &mut String, title: &str, items: &[String]) {
    let _ = writeln!(md, "## {title} ({})\n", items.len());
    if items.is_empty() {
        let _ = writeln!(md, "None.");
    }
    for item in items {
        let _ = writeln!(md, "- {item}");
    }
    md.push('\n');
}

/// Schema names: one per line when few, otherwise comma-separated and wrapped.
fn names(md: &mut String, title: &str, names: &[String]) {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    if quoted.len() <= ONE_PER_LINE_MAX {
        return section(md, title, &quoted);
    }
    let _ = writeln!(md, "## {title} ({})\n", quoted.len());
    let mut line = String::new();
    for (i, name) in quoted.iter().enumerate() {
        let item = if i + 1 < quoted.len() {
            format!("{name},")
        } else {
            name.clone()
        };
        if !line.is_empty() && line.len() + 1 + item.len() > WRAP {
            let _ = writeln!(md, "{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&item);
    }
    let _ = writeln!(md, "{line}\n");
}
