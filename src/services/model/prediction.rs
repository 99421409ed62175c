//! Predicted outputs (`prediction: {"type": "content", ...}`): the answer to a request that
//! asks for an edit of the predicted text reuses it, and the usage counts how much of the
//! prediction the answer kept.
//!
//! **The edit.** "Rename X to Y", "replace X with Y" and "change X to Y" (with the names
//! quoted or bare) replace every X in the prediction; any other request that names an edit
//! ("edit", "fix", "update", "refactor", "rewrite", "modify", "add") keeps the prediction
//! and appends one line. Without an edit request the model answers on its own.
//!
//! **The accounting.** Accepted tokens are the prediction's tokens that the answer keeps in
//! place: the common opening plus the common ending of the two token sequences (an edit
//! changes the middle). The rest of the prediction is rejected, as the real API bills it.

/// Verbs that ask for an edit of the text the prompt gives.
const EDIT_VERBS: &[&str] = &[
    "edit", "fix", "update", "refactor", "rewrite", "modify", "change", "rename", "replace", "add",
    "adjust", "tweak",
];

/// The answer for a prompt asking to edit `predicted`, or `None` when it asks for no edit.
///
/// ```
/// use openai_mock::services::model::prediction::edited;
/// let code = "class User:\n    first_name: str\n    username: str\n";
/// let answer = edited(code, "Rename the username property to email.").unwrap();
/// assert_eq!(answer, "class User:\n    first_name: str\n    email: str\n");
/// ```
pub fn edited(predicted: &str, prompt: &str) -> Option<String> {
    let lower = prompt.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '\'' && c != '"' && c != '`')
        .filter(|w| !w.is_empty())
        .collect();
    if !words.iter().any(|w| EDIT_VERBS.contains(w)) {
        return None;
    }
    if let Some((from, to)) = replacement(prompt) {
        if predicted.contains(&from) {
            return Some(predicted.replace(&from, &to));
        }
    }
    let mut out = predicted.trim_end().to_string();
    out.push_str("\n// edited as requested\n");
    Some(out)
}

/// `(X, Y)` from "rename X to Y", "replace X with Y", "change X to Y", skipping filler words
/// ("the", "property", "field", ...) and quotes around the names.
fn replacement(prompt: &str) -> Option<(String, String)> {
    const FILLER: &[&str] = &[
        "the",
        "a",
        "an",
        "property",
        "field",
        "variable",
        "function",
        "method",
        "class",
        "name",
        "key",
        "column",
        "attribute",
        "word",
        "all",
        "every",
        "occurrences",
        "of",
    ];
    let clean = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_')
            .to_string()
    };
    let words: Vec<&str> = prompt.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        let verb = clean(word).to_lowercase();
        let link = match verb.as_str() {
            "rename" | "change" => "to",
            "replace" => "with",
            _ => continue,
        };
        let rest: Vec<String> = words[i + 1..]
            .iter()
            .map(|w| clean(w))
            .filter(|w| !w.is_empty())
            .collect();
        let at = rest.iter().position(|w| w.eq_ignore_ascii_case(link))?;
        let from = rest[..at]
            .iter()
            .rev()
            .find(|w| !FILLER.contains(&w.to_lowercase().as_str()))?;
        let to = rest[at + 1..]
            .iter()
            .find(|w| !FILLER.contains(&w.to_lowercase().as_str()))?;
        return Some((from.clone(), to.clone()));
    }
    None
}

/// `(accepted, rejected)` prediction tokens for an answer: the common opening and ending of
/// the two token sequences are accepted, the rest of the prediction rejected.
///
/// ```
/// use openai_mock::services::model::prediction::accounting;
/// assert_eq!(accounting(&[1, 2, 3, 4, 5], &[1, 2, 9, 4, 5]), (4, 1));
/// assert_eq!(accounting(&[1, 2, 3], &[7, 8]), (0, 3));
/// ```
pub fn accounting<T: PartialEq>(predicted: &[T], produced: &[T]) -> (usize, usize) {
    let opening = predicted
        .iter()
        .zip(produced)
        .take_while(|(a, b)| a == b)
        .count();
    let ending = predicted[opening..]
        .iter()
        .rev()
        .zip(produced[opening.min(produced.len())..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let accepted = opening + ending;
    (accepted, predicted.len() - accepted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_request_reuses_the_prediction() {
        let text = "def greet(name):\n    return 'hi ' + name\n";
        assert_eq!(
            edited(text, "Replace `greet` with `welcome` please").as_deref(),
            Some("def welcome(name):\n    return 'hi ' + name\n")
        );
        assert!(edited(text, "Fix the bug").is_some_and(|t| t.starts_with(text.trim_end())));
        assert_eq!(edited(text, "What does this do?"), None);
    }
}
