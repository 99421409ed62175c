//! The hand-maintained references into the spec, checked against the new document before a
//! refresh writes anything: `spec/overlay.json` patch paths, the schema names that key
//! `fixtures/*.json`, and the operation ids in the `ops` of `src/endpoints/`. Each check
//! follows what the build does with that file, so a refresh that passes here builds.

use std::fmt;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::Value;

use crate::document;
use crate::Result;

/// The overlay, relative to the repository root.
const OVERLAY: &str = "spec/overlay.json";
/// The fixtures folder, relative to the repository root.
const FIXTURES: &str = "fixtures";
/// The endpoint modules, relative to the repository root.
const ENDPOINTS: &str = "src/endpoints";

/// What the check covered (all references resolved).
#[derive(Default)]
pub struct Checked {
    /// Overlay patches checked.
    pub patches: usize,
    /// Fixture entries (schema names) checked.
    pub fixtures: usize,
    /// Operation ids named in endpoint `ops` checked.
    pub op_ids: usize,
    /// Overlay `add`s whose target the spec now has (build.rs skips them).
    pub satisfied_adds: Vec<String>,
}

impl Checked {
    /// The counts, for the tool's output and CHANGES.md.
    pub fn summary(&self) -> String {
        format!(
            "{} `{OVERLAY}` patches, {} `{FIXTURES}/*.json` schema names and {} operation ids \
             in `{ENDPOINTS}/` checked",
            self.patches, self.fixtures, self.op_ids
        )
    }
}

/// A reference that does not resolve in the new document.
pub struct Dangling {
    /// The file that makes it, relative to the repository root (with a line for endpoints).
    pub file: String,
    /// What it refers to, and why that does not resolve.
    pub refers_to: String,
}

impl fmt::Display for Dangling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.refers_to)
    }
}

/// Checks every reference under `root` against `doc`. Fixtures and endpoint ids are checked
/// against the document with the overlay applied, as the build sees it.
pub fn check(root: &Path, doc: &Value) -> Result<(Checked, Vec<Dangling>)> {
    if !root.is_dir() {
        return Err(format!(
            "the repository root {} is not a directory",
            root.display()
        ));
    }
    let mut checked = Checked::default();
    let mut dangling = Vec::new();
    let mut overlaid = doc.clone();
    check_overlay(root, &mut overlaid, &mut checked, &mut dangling)?;
    check_fixtures(root, &overlaid, &mut checked, &mut dangling)?;
    check_endpoints(root, &overlaid, &mut checked, &mut dangling)?;
    Ok((checked, dangling))
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Applies the overlay's patches in order, as build.rs does: `remove` and `replace` need
/// their target, `add` needs its parent object (and is skipped when the target exists).
/// A patch that does not apply is reported and left out.
fn check_overlay(
    root: &Path,
    doc: &mut Value,
    checked: &mut Checked,
    dangling: &mut Vec<Dangling>,
) -> Result<()> {
    let Some(text) = read_optional(&root.join(OVERLAY))? else {
        return Ok(());
    };
    let overlay: Value =
        serde_json::from_str(&text).map_err(|e| format!("{OVERLAY} is not valid JSON: {e}"))?;
    let patches = overlay
        .get("patches")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{OVERLAY}: expected an object with a `patches` array"))?;
    for (i, patch) in patches.iter().enumerate() {
        checked.patches += 1;
        let op = patch.get("op").and_then(Value::as_str).unwrap_or("");
        let path = patch.get("path").and_then(Value::as_str).unwrap_or("");
        let label = format!("patch {i} ({op} {path})");
        let mut fail = |why: String| {
            dangling.push(Dangling {
                file: OVERLAY.into(),
                refers_to: format!("{label}: {why}"),
            });
        };
        let Some((parent_path, key)) = path.rsplit_once('/') else {
            fail("has no JSON-pointer path".into());
            continue;
        };
        let key = key.replace("~1", "/").replace("~0", "~");
        let Some(parent) = doc.pointer_mut(parent_path).and_then(Value::as_object_mut) else {
            fail(format!(
                "its parent `{parent_path}` is not an object in the new spec"
            ));
            continue;
        };
        let value = patch.get("value").cloned();
        match (op, value) {
            ("add", _) if parent.contains_key(&key) => checked.satisfied_adds.push(label.clone()),
            ("add", Some(value)) => {
                parent.insert(key, value);
            }
            ("replace", Some(value)) if parent.contains_key(&key) => {
                parent.insert(key, value);
            }
            ("add" | "replace", None) => fail("has no `value`".into()),
            ("replace" | "remove", _) if !parent.contains_key(&key) => {
                fail(format!("its target `{key}` does not exist in the new spec"))
            }
            ("remove", _) => {
                parent.remove(&key);
            }
            _ => fail("has an unsupported op (build.rs applies add, remove and replace)".into()),
        }
    }
    Ok(())
}

/// `fixtures/*.json`: each file is an object keyed by component schema name (build.rs).
fn check_fixtures(
    root: &Path,
    doc: &Value,
    checked: &mut Checked,
    dangling: &mut Vec<Dangling>,
) -> Result<()> {
    let schemas = document::schemas(doc);
    for file in files(&root.join(FIXTURES), "json", false)? {
        let shown = relative(root, &file);
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("cannot read {shown}: {e}"))?;
        let entries: serde_json::Map<String, Value> = serde_json::from_str(&text)
            .map_err(|e| format!("{shown} is not a JSON object: {e}"))?;
        for name in entries.keys() {
            checked.fixtures += 1;
            if !schemas.is_some_and(|s| s.contains_key(name)) {
                dangling.push(Dangling {
                    file: shown.clone(),
                    refers_to: format!("schema `{name}` is not in components.schemas"),
                });
            }
        }
    }
    Ok(())
}

/// `src/endpoints/**/*.rs`: every operation id in an `ops: &[...]` list must be the
/// `operationId` of some operation. The modules are read as text, not parsed as Rust: a
/// regex finds each `ops: &[ ... ]` (possibly over several lines) and takes the string
/// literals inside it. `\b` keeps fields such as `stops: &[String]` from matching.
fn check_endpoints(
    root: &Path,
    doc: &Value,
    checked: &mut Checked,
    dangling: &mut Vec<Dangling>,
) -> Result<()> {
    let ops_list = Regex::new(r"(?s)\bops\s*:\s*&\s*\[(.*?)\]")
        .map_err(|e| format!("internal: bad ops regex: {e}"))?;
    let literal =
        Regex::new(r#""([^"\\]*)""#).map_err(|e| format!("internal: bad literal regex: {e}"))?;
    let ids: std::collections::HashSet<&str> = document::operations(doc)
        .iter()
        .filter_map(|op| op.id())
        .collect();
    for file in files(&root.join(ENDPOINTS), "rs", true)? {
        let shown = relative(root, &file);
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("cannot read {shown}: {e}"))?;
        for list in ops_list.captures_iter(&text) {
            let Some(inner) = list.get(1) else { continue };
            for id in literal.captures_iter(inner.as_str()) {
                let Some(id) = id.get(1) else { continue };
                checked.op_ids += 1;
                if !ids.contains(id.as_str()) {
                    let line = 1 + text[..inner.start() + id.start()].matches('\n').count();
                    dangling.push(Dangling {
                        file: format!("{shown}:{line}"),
                        refers_to: format!(
                            "operationId `{}` (in `ops`) is not in the new spec",
                            id.as_str()
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// The files under `dir` ending in `.ext`, sorted (none when `dir` does not exist).
fn files(dir: &Path, ext: &str, recurse: bool) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot list {}: {e}", dir.display())),
    };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            if recurse {
                found.extend(files(&path, ext, true)?);
            }
        } else if path.extension().and_then(|e| e.to_str()) == Some(ext) {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// `path` relative to `root`, with `/` separators, for messages.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
