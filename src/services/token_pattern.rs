//! tiktoken's split patterns in the `regex` crate's syntax: [`without_lookahead`] rewrites
//! them without look-around or possessive quantifiers, and [`lookahead_end`] gives back what
//! the dropped look-ahead would not have taken.

use regex::Regex;

/// The split pattern in the `regex` crate's syntax, which has neither look-around nor
/// possessive quantifiers (`None` if `pattern` does not have the expected shape).
///
/// Both tiktoken patterns end in `|\s+(?!\S)|` followed by a plain whitespace alternative
/// (`\s+` or `\s`); that tail becomes `|\s+`, and [`lookahead_end`] gives back what
/// `(?!\S)` would not have taken. The possessive quantifiers of `cl100k_base` (`?+`, `++`,
/// `*+`, `{1,3}+`) become greedy ones: in that pattern nothing after them could match what
/// backtracking into them would free, so they find the same pieces.
///
/// ```text
/// o200k:  ...|\s*[\r\n]+|\s+(?!\S)|\s+    ->  ...|\s*[\r\n]+|\s+
/// cl100k: ...|\p{N}{1,3}+|...|\s+(?!\S)|\s ->  ...|\p{N}{1,3}|...|\s+
/// ```
pub(super) fn without_lookahead(pattern: &str) -> Option<String> {
    let (head, tail) = pattern.rsplit_once(r"|\s+(?!\S)|")?;
    if tail != r"\s+" && tail != r"\s" {
        return None;
    }
    let head = head
        .replace("?+", "?")
        .replace("++", "+")
        .replace("*+", "*");
    let counted = Regex::new(r"(\{[0-9]+(?:,[0-9]*)?\})\+").ok()?;
    let head = counted.replace_all(&head, "$1");
    Some(format!(r"{head}|\s+"))
}

/// Where the piece `text[start..end]` found by [`without_lookahead`]'s pattern really ends.
///
/// Only the final `\s+` alternative can match a run of whitespace without a line break
/// (`\s*[\r\n]+`, or `\s*[\r\n]`, comes first and takes any run holding one). tiktoken's
/// `\s+(?!\S)` takes such a run but its last character when a non-space follows, leaving
/// that character to lead the next piece (` word`); a one-character run, or one that ends
/// the text, is taken whole.
pub(super) fn lookahead_end(text: &str, start: usize, end: usize) -> usize {
    let Some(piece) = text.get(start..end) else {
        return end;
    };
    let plain_run =
        end < text.len() && piece.chars().all(char::is_whitespace) && !piece.contains(['\r', '\n']);
    match piece.char_indices().last() {
        Some((last, _)) if plain_run && last > 0 => start + last,
        _ => end,
    }
}
