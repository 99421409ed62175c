//! Strings generated from a regular expression, for schemas with a `pattern`: the spec's
//! own (`^tunnel_[a-z0-9]{32}$`, function names) and those of client-supplied schemas
//! (structured outputs, tool parameters, in `services::model`).

/// A string matching the regular expression `pattern` (the shortest readable one the
/// walk finds: the first alternative, the minimum repetitions but at least one, letters
/// and digits preferred within a class), or `None` when the pattern does not parse.
pub fn sample_regex(pattern: &str) -> Option<String> {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn class_char(class: &Class) -> Option<char> {
        match class {
            Class::Unicode(class) => {
                let ranges = class.ranges();
                for preferred in ['a', 'A', '0', 'x', ' '] {
                    if ranges
                        .iter()
                        .any(|r| r.start() <= preferred && preferred <= r.end())
                    {
                        return Some(preferred);
                    }
                }
                ranges
                    .iter()
                    .find(|r| !r.start().is_control() || !r.end().is_control())
                    .map(|r| {
                        if r.start().is_control() {
                            r.end()
                        } else {
                            r.start()
                        }
                    })
            }
            Class::Bytes(class) => {
                let range = class.ranges().first()?;
                let byte = if range.start() <= b'a' && b'a' <= range.end() {
                    b'a'
                } else {
                    range.start()
                };
                byte.is_ascii().then_some(byte as char)
            }
        }
    }
    fn walk(hir: &Hir, out: &mut String, budget: &mut usize) -> Option<()> {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(literal) => out.push_str(std::str::from_utf8(&literal.0).ok()?),
            HirKind::Class(class) => out.push(class_char(class)?),
            HirKind::Repetition(repetition) => {
                let count = match repetition.max {
                    Some(0) => 0,
                    Some(max) => repetition.min.max(1).min(max),
                    None => repetition.min.max(1),
                };
                for _ in 0..count.min(1_000) {
                    walk(&repetition.sub, out, budget)?;
                }
            }
            HirKind::Capture(capture) => walk(&capture.sub, out, budget)?,
            HirKind::Concat(parts) => {
                for part in parts {
                    walk(part, out, budget)?;
                }
            }
            HirKind::Alternation(branches) => walk(branches.first()?, out, budget)?,
        }
        Some(())
    }
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let mut out = String::new();
    let mut budget = 100_000;
    walk(&hir, &mut out, &mut budget)?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_samples_match() {
        for pattern in [
            "^a+b?c{2,3}$",
            "^(foo|bar)-[0-9]+$",
            "\\w+@\\w+\\.com",
            "^tunnel_[a-z0-9]{32}$",
        ] {
            let sample = sample_regex(pattern).expect("parses");
            let regex = regex::Regex::new(pattern).expect("compiles");
            assert!(regex.is_match(&sample), "{sample} does not match {pattern}");
        }
    }
}
