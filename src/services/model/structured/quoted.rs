//! Quoted values of a message, and the string field each one belongs to: in `Create a ticket
//! titled "Printer jam" for Ada`, the quote goes to `title`; in `search the docs for "async
//! traits"`, to `query`. A quote is matched to a field by the words just before it (the
//! field's own words, or the cue words of its kind); a quote that no field claims goes to a
//! query-like field.

/// A quoted value and the words that lead up to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// The text between the quotes.
    pub value: String,
    /// Up to four words before the opening quote, lowercase.
    pub lead: Vec<String>,
}

/// The opening and closing marks recognised, straight and curly.
const MARKS: [(char, char); 3] = [('"', '"'), ('\u{201c}', '\u{201d}'), ('\'', '\'')];

/// Words that announce a value of each kind of field, besides the field's own words.
const CUES: &[(&[&str], &[&str])] = &[
    (
        &["title", "heading", "subject", "headline", "label"],
        &["titled", "called", "named", "subject", "title", "heading"],
    ),
    (
        &["name", "username", "person", "author", "customer"],
        &["named", "called", "name"],
    ),
    (
        &[
            "query", "q", "search", "keywords", "keyword", "term", "terms", "phrase",
        ],
        &["search", "find", "for", "look", "query", "about"],
    ),
    (
        &[
            "message", "text", "content", "body", "comment", "note", "reply",
        ],
        &[
            "say", "saying", "says", "message", "text", "write", "reply", "post",
        ],
    ),
];

/// The quoted values of `message`, in order. An apostrophe inside a word (`don't`) opens no
/// quote: an opening mark must follow a space or the start.
pub fn quotes(message: &str) -> Vec<Quote> {
    let chars: Vec<char> = message.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let opening = MARKS.iter().find(|(open, _)| *open == chars[i]);
        let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
        let Some((_, close)) = opening.filter(|_| starts_word) else {
            i += 1;
            continue;
        };
        let end = (i + 1..chars.len()).find(|&j| {
            chars[j] == *close && chars.get(j + 1).is_none_or(|next| !next.is_alphanumeric())
        });
        let Some(end) = end else {
            i += 1;
            continue;
        };
        let value: String = chars[i + 1..end].iter().collect();
        if !value.trim().is_empty() {
            let before: String = chars[..i].iter().collect();
            let words: Vec<String> = before
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect();
            let lead = words[words.len().saturating_sub(4)..].to_vec();
            found.push(Quote {
                value: value.trim().to_string(),
                lead,
            });
        }
        i = end + 1;
    }
    found
}

/// The index of the quote in `quotes` (not yet `used`) that a string field named `field`
/// takes: one led by the field's own words or its kind's cue words, else, for a query-like
/// field, the first quote left.
pub fn for_field(quotes: &[Quote], used: &[bool], field: &str) -> Option<usize> {
    let name = field.to_lowercase();
    let own: Vec<&str> = name.split('_').filter(|w| !w.is_empty()).collect();
    let kind = CUES.iter().find(|(fields, _)| {
        fields
            .iter()
            .any(|f| name == *f || name.ends_with(&format!("_{f}")))
    });
    let cues = kind.map_or(&[][..], |(_, cues)| *cues);
    let free = |i: &usize| !used.get(*i).copied().unwrap_or(false);
    let led = (0..quotes.len()).filter(free).find(|&i| {
        quotes[i]
            .lead
            .iter()
            .any(|word| own.contains(&word.as_str()) || cues.contains(&word.as_str()))
    });
    let query_like = kind.is_some_and(|(fields, _)| fields.contains(&"query"));
    led.or_else(|| query_like.then(|| (0..quotes.len()).find(free)).flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_read_with_the_words_before_them() {
        let found = quotes(
            "Open a ticket titled \u{201c}Printer jam\u{201d} and say 'it is urgent', don't wait",
        );
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].value, "Printer jam");
        assert_eq!(found[0].lead, ["open", "a", "ticket", "titled"]);
        assert_eq!(found[1].value, "it is urgent");
        assert!(quotes("I don't know what's wrong").is_empty());
    }

    #[test]
    fn each_field_takes_the_quote_that_names_it() {
        let found =
            quotes(r#"Create an issue titled "Login fails" with the body "Steps: open the app""#);
        let none = [false, false];
        assert_eq!(for_field(&found, &none, "title"), Some(0));
        assert_eq!(for_field(&found, &none, "body"), Some(1));
        assert_eq!(for_field(&found, &[true, true], "title"), None);
        let search = quotes(r#"Look up "async traits" in the docs"#);
        assert_eq!(for_field(&search, &[false], "query"), Some(0));
        assert_eq!(for_field(&search, &[false], "color"), None);
    }
}
