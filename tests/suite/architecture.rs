//! The layering of `src/` (see ARCHITECTURE.md): every `crate::` and `super::` path in a
//! source file is resolved to the file that defines it; a lower layer must never name a
//! higher one, and the file graph must have no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may use its own layer and those before it.
const LAYERS: &[&[&str]] = &[
    &["config", "error"],
    &["catalog"],
    &["validate"],
    &["generate"],
    &["services"],
    &["store"],
    &["endpoints"],
    &["scenario"],
    &["server"],
    &["lib", "main"],
];

/// A module path (`["endpoints", "chat"]`) and the file defining it.
struct Module {
    path: Vec<String>,
    file: PathBuf,
}

fn modules(src: &Path) -> Vec<Module> {
    let mut out = Vec::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("under src");
            let mut segments: Vec<String> = relative
                .iter()
                .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if segments.last().is_some_and(|s| s == "mod") {
                segments.pop();
            }
            out.push(Module {
                path: segments,
                file: path,
            });
        }
    }
    out
}

/// The source without comments and string literals, so only code is scanned.
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path named after `crate::` or `super::` (group imports expanded), as segments
/// relative to the crate root.
fn referenced_paths(code: &str, own: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for root in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(root) {
            let before = rest[..at].chars().last();
            rest = &rest[at + root.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            // `super` of module `a::b` (file a/b.rs or a/b/mod.rs) is `a`.
            let base = match root {
                "crate::" => Vec::new(),
                _ => own[..own.len().saturating_sub(1)].to_vec(),
            };
            parse_path(rest, base, &mut found);
        }
    }
    found
}

/// Reads `a::b::{c, d::e}` from the start of `text`, pushing each full path onto `found`.
fn parse_path(text: &str, base: Vec<String>, found: &mut Vec<Vec<String>>) -> usize {
    let mut path = base;
    let mut i = 0;
    let bytes = text.as_bytes();
    loop {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i > start {
            let segment = &text[start..i];
            match segment {
                "self" => {}
                "super" => {
                    path.pop();
                }
                _ => path.push(segment.to_string()),
            }
        }
        if text[i..].starts_with("::{") {
            i += 3;
            loop {
                while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    return i + 1;
                }
                i += parse_path(&text[i..], path.clone(), found);
                // Skip an `as alias`.
                while i < bytes.len() && !matches!(bytes[i], b',' | b'}') {
                    i += 1;
                }
            }
        } else if text[i..].starts_with("::") {
            i += 2;
        } else {
            found.push(path);
            return i;
        }
    }
}

fn layer_of(module: &[String]) -> usize {
    let top = module.first().map_or("lib", String::as_str);
    LAYERS
        .iter()
        .position(|layer| layer.contains(&top))
        .unwrap_or_else(|| panic!("module `{top}` is in no layer of {LAYERS:?}"))
}

/// The file-level dependency graph of `src/`: file -> files it names.
fn graph(src: &Path) -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let modules = modules(src);
    let by_path: BTreeMap<Vec<String>, &Module> =
        modules.iter().map(|m| (m.path.clone(), m)).collect();
    let name = |m: &Module| m.path.join("::");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut violations = Vec::new();
    for module in &modules {
        let text = std::fs::read_to_string(&module.file).expect("readable");
        // Unit tests (`#[cfg(test)] mod tests`, at the end of a file) are not part of the
        // module's interface: their `super::*` is the module itself.
        let code = code_of(&text);
        let code = code.split("#[cfg(test)]").next().unwrap_or_default();
        let from = name(module);
        edges.entry(from.clone()).or_default();
        for path in referenced_paths(code, &module.path) {
            // The longest prefix of the path that is a module file.
            let target = (1..=path.len())
                .rev()
                .find_map(|n| by_path.get(&path[..n]))
                .copied();
            let Some(target) = target else { continue };
            let to = name(target);
            if to == from || to.is_empty() {
                continue;
            }
            if module.path.first().map(String::as_str) == Some("main") {
                continue;
            }
            if layer_of(&target.path) > layer_of(&module.path) {
                violations.push(format!(
                    "{} (layer {}) uses {} (layer {})",
                    module.file.display(),
                    layer_of(&module.path),
                    path.join("::"),
                    layer_of(&target.path)
                ));
            }
            edges.entry(from.clone()).or_default().insert(to);
        }
    }
    (edges, violations)
}

/// One cycle of the graph, if any (depth-first search with colours).
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(next, edges, state, stack) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(cycle) = visit(node, edges, &mut state, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_layer_imports_a_higher_layer() {
    let (_, violations) = graph(&src());
    assert!(
        violations.is_empty(),
        "{} imports from a lower layer to a higher one (ARCHITECTURE.md):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[test]
fn the_module_graph_has_no_cycle() {
    let (edges, _) = graph(&src());
    if let Some(cycle) = find_cycle(&edges) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_checker_sees_grouped_and_relative_imports() {
    let code = code_of(
        "use crate::generate::{self, fnv1a, media::{Media, speech}};\n// crate::server\nfn f() { super::x::y(); let s = \"crate::scenario\"; }",
    );
    let own = vec!["endpoints".to_string(), "chat".to_string()];
    let paths = referenced_paths(&code, &own);
    let shown: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        shown,
        [
            "generate",
            "generate::fnv1a",
            "generate::media::Media",
            "generate::media::speech",
            "endpoints::x::y",
        ]
    );
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    edges.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(find_cycle(&edges).unwrap(), ["a", "b", "a"]);
}
