//! Word lists (stopwords, vague words, greetings) and the word-level helpers the reply
//! composer reads messages with.

/// Words that never make a topic on their own.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "being",
    "but",
    "by",
    "can",
    "could",
    "describe",
    "did",
    "do",
    "does",
    "doing",
    "explain",
    "for",
    "from",
    "get",
    "give",
    "going",
    "got",
    "had",
    "has",
    "have",
    "he",
    "hello",
    "help",
    "her",
    "here",
    "hey",
    "hi",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "know",
    "let",
    "like",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "need",
    "no",
    "not",
    "now",
    "of",
    "on",
    "or",
    "our",
    "out",
    "please",
    "really",
    "say",
    "shall",
    "she",
    "should",
    "show",
    "so",
    "some",
    "tell",
    "than",
    "thanks",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "to",
    "up",
    "us",
    "very",
    "want",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "would",
    "write",
    "yes",
    "you",
    "your",
    "briefly",
    "quick",
    "quickly",
    "short",
    "brief",
    "concise",
    "sentence",
    "one",
    "work",
    "works",
    "use",
    "make",
    "find",
    "list",
    "today",
    "current",
    "currently",
    "right",
    "ok",
    "okay",
];

/// Words that are significant in a topic span but too vague to talk about on their own.
pub(super) const VAGUE: &[&str] = &[
    "best",
    "good",
    "better",
    "great",
    "bad",
    "thing",
    "things",
    "stuff",
    "way",
    "lot",
    "lots",
    "kind",
    "type",
    "new",
    "old",
    "top",
    "big",
    "small",
    "many",
    "few",
    "different",
    "important",
    "main",
    "common",
    "simple",
    "easy",
    "basic",
    "general",
    "specific",
    "well",
    "still",
    "even",
    "something",
    "anything",
    "everything",
    "someone",
    "people",
    "time",
    "idea",
    "question",
    "answer",
    "favorite",
    "favourite",
    "nice",
    "cool",
    "interesting",
    "tips",
    "tip",
    "ideas",
    "steps",
    "step",
    "ways",
    "examples",
    "example",
    "options",
    "reasons",
    "points",
];

pub(super) const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "greetings",
    "howdy",
    "yo",
    "good morning",
    "good afternoon",
    "good evening",
];

/// Whether `word` (any case) is a stopword.
pub fn is_stopword(word: &str) -> bool {
    let lower = word.to_lowercase();
    STOPWORDS.contains(&lower.as_str())
}

/// The words of `text` with surrounding punctuation removed (inner `.`, `-`, `'` stay).
pub fn words(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect()
}

/// A word without a possessive or contraction tail, lower-cased (`What's` → `what`).
pub(super) fn bare(word: &str) -> String {
    let lower = word.to_lowercase();
    for tail in ["'s", "’s", "'re", "'ll", "'ve", "'d", "n't"] {
        if let Some(stem) = lower.strip_suffix(tail) {
            return stem.to_string();
        }
    }
    lower
}

pub(super) fn significant(word: &str) -> bool {
    let bare = bare(word);
    !STOPWORDS.contains(&bare.as_str()) && bare.chars().any(char::is_alphanumeric)
}

/// `text` with its first letter in upper case.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
