//! What a [`Context`] reads from the conversation: the topic, its keywords, proper nouns,
//! numbers, whether it is a question, the persona of the system prompt and text the user
//! explicitly asks to be said.

use super::vocabulary::{bare, capitalise, is_stopword, significant, words, VAGUE};
use super::Context;

impl Context {
    /// The text the topic is taken from: the last user message, else the system prompt.
    fn subject_text(&self) -> &str {
        if self.last_user.trim().is_empty() {
            &self.system
        } else {
            &self.last_user
        }
    }

    /// The topic: the span from the first to the last significant word of the last user
    /// message (at most six words), or `None` when it has no significant word.
    ///
    /// ```
    /// use openai_mock::services::model::text::Context;
    /// let topic = |t: &str| Context::from_user(t).topic();
    /// assert_eq!(topic("What is the capital of France?").as_deref(), Some("capital of France"));
    /// assert_eq!(topic("hi!"), None);
    /// ```
    pub fn topic(&self) -> Option<String> {
        // The last sentence with a significant word is usually the actual request.
        let text = self.subject_text();
        let sentences: Vec<&str> = text
            .split_inclusive(['.', '?', '!', '\n'])
            .filter(|s| words(s).iter().any(|w| significant(w)))
            .collect();
        let sentence = sentences.last()?;
        let words = words(sentence);
        let mut first = words.iter().position(|w| significant(w))?;
        // "How do I bake bread" / "how to learn Rust": a word right after a pronoun or
        // "to" is a verb; the topic is what follows it.
        let after_subject =
            first > 0 && matches!(bare(words[first - 1]).as_str(), "i" | "we" | "you" | "to");
        if after_subject && words[first + 1..].iter().any(|w| significant(w)) {
            first += 1 + words[first + 1..].iter().position(|w| significant(w))?;
        }
        let last = words.iter().rposition(|w| significant(w))?;
        let mut span: Vec<&str> = words[first..=last].iter().copied().take(6).collect();
        while span.last().is_some_and(|w| !significant(w)) {
            span.pop();
        }
        let mut topic = span.join(" ");
        // A capital that only marks the start of the sentence is dropped.
        let starts_sentence = first == 0
            && span.first().is_some_and(|w| {
                w.chars().skip(1).all(|c| !c.is_uppercase()) && w.chars().count() > 1
            });
        if starts_sentence {
            let mut chars = topic.chars();
            if let Some(initial) = chars.next() {
                topic = initial.to_lowercase().chain(chars).collect();
            }
        }
        Some(topic)
    }

    /// The significant words of the topic that name something (vague words such as
    /// "best" or "things" are left out), without repeats; names keep their case.
    pub fn keywords(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let topic = self.topic().unwrap_or_default();
        for word in words(&topic) {
            let lower = bare(word);
            if !significant(word) || VAGUE.contains(&lower.as_str()) {
                continue;
            }
            let keep_case = word.chars().next().is_some_and(char::is_uppercase)
                && word.chars().skip(1).any(char::is_lowercase)
                && !self.subject_text().trim_start().starts_with(word);
            let word = if keep_case || word.chars().all(|c| !c.is_lowercase()) {
                word.trim_end_matches("'s").to_string()
            } else {
                lower.clone()
            };
            if !out.iter().any(|w| w.to_lowercase() == lower) {
                out.push(word);
            }
        }
        out
    }

    /// Capitalised names in the last user message that do not start a sentence, with
    /// consecutive ones joined (`"weather in New York and Paris"` → `New York`, `Paris`).
    pub fn proper_nouns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut current: Vec<&str> = Vec::new();
        let mut sentence_start = true;
        let raw_words: Vec<&str> = self.last_user.split_whitespace().collect();
        let is_capitalised = |raw: &str| {
            let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
            word.chars().next().is_some_and(char::is_uppercase) && word != "I" && !is_stopword(word)
        };
        let mut skip = None;
        for (i, raw) in raw_words.iter().copied().enumerate() {
            if skip == Some(i) {
                sentence_start = raw.ends_with(['.', '?', '!']);
                continue;
            }
            let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
            let capitalised = is_capitalised(raw);
            // At the start of a sentence only a name of several words counts ("Bob Jones").
            let name_starts_sentence = sentence_start
                && !raw.ends_with([',', ';', ':', '.', '?', '!'])
                && raw_words
                    .get(i + 1)
                    .is_some_and(|next| is_capitalised(next));
            if capitalised && (!sentence_start || name_starts_sentence) {
                current.push(word);
            } else if !current.is_empty() {
                out.push(current.join(" "));
                current.clear();
            }
            // A name ends at punctuation after it ("Paris, London"), but a region code after a
            // comma stays with its place ("San Francisco, CA").
            if !current.is_empty() && raw.ends_with([',', ';', ':', '.', '?', '!']) {
                let region = raw_words
                    .get(i + 1)
                    .map(|next| next.trim_matches(|c: char| !c.is_alphanumeric()))
                    .filter(|code| is_region_code(code) && raw.ends_with(','));
                match region {
                    Some(code) => {
                        out.push(format!("{}, {code}", current.join(" ")));
                        skip = Some(i + 1);
                    }
                    None => out.push(current.join(" ")),
                }
                current.clear();
            }
            sentence_start = raw.ends_with(['.', '?', '!']) || raw.ends_with(".\"");
        }
        if !current.is_empty() {
            out.push(current.join(" "));
        }
        out.dedup();
        out
    }

    /// The numbers written in the last user message, in order.
    pub fn numbers(&self) -> Vec<f64> {
        self.last_user
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .filter_map(|w| w.trim_matches('.').parse::<f64>().ok())
            .filter(|n| n.is_finite())
            .collect()
    }

    /// Whether the last user message asks a question.
    pub fn is_question(&self) -> bool {
        let text = self.last_user.trim();
        if text.ends_with('?') {
            return true;
        }
        let first = words(text).first().map(|w| bare(w)).unwrap_or_default();
        matches!(
            first.as_str(),
            "what"
                | "why"
                | "how"
                | "when"
                | "where"
                | "who"
                | "which"
                | "is"
                | "are"
                | "can"
                | "could"
                | "do"
                | "does"
                | "should"
                | "would"
        )
    }

    fn mentions(&self, cues: &[&str]) -> bool {
        let all = format!("{} {}", self.system, self.last_user).to_lowercase();
        let words = words(&all);
        cues.iter().any(|cue| {
            if cue.contains(' ') {
                all.contains(cue)
            } else {
                words.contains(cue)
            }
        })
    }

    pub(super) fn wants_brevity(&self) -> bool {
        self.mentions(&[
            "one sentence",
            "single sentence",
            "concise",
            "concisely",
            "brief",
            "briefly",
            "short answer",
            "one word",
            "tl;dr",
        ])
    }

    pub(super) fn wants_list(&self) -> bool {
        let user = Context::from_user(&self.last_user);
        user.mentions(&[
            "list", "steps", "tips", "ideas", "ways", "examples", "options", "reasons",
        ])
    }

    /// A persona from a "You are ..." system prompt, unless it is a generic assistant.
    pub fn persona(&self) -> Option<String> {
        let lower = self.system.to_ascii_lowercase();
        let start = lower.find("you are ")? + "you are ".len();
        let rest = &self.system[start..];
        let end = rest
            .find(['.', ',', ';', '!', '\n', ':'])
            .unwrap_or(rest.len());
        let persona = rest[..end].trim();
        let words = words(persona);
        const GENERIC: &[&str] = &[
            "a",
            "an",
            "the",
            "helpful",
            "friendly",
            "useful",
            "smart",
            "harmless",
            "honest",
            "ai",
            "assistant",
            "chatbot",
            "bot",
            "large",
            "language",
            "model",
            "very",
            "and",
            "polite",
            "expert",
        ];
        let specific = words
            .iter()
            .any(|w| !GENERIC.contains(&w.to_lowercase().as_str()));
        (specific && !words.is_empty() && words.len() <= 8).then(|| persona.to_string())
    }

    /// The text the last user message explicitly asks to be said, if any (see the module
    /// notes for the rule).
    ///
    /// ```
    /// use openai_mock::services::model::text::Context;
    /// let said = |t: &str| Context::from_user(t).requested_words();
    /// assert_eq!(said("Say this is a test").as_deref(), Some("This is a test."));
    /// assert_eq!(said("Reply with \"OK\" and nothing else.").as_deref(), Some("OK"));
    /// assert_eq!(said("What is Rust?"), None);
    /// ```
    pub fn requested_words(&self) -> Option<String> {
        let text = self.last_user.trim();
        // ASCII lower-casing keeps byte offsets, so they can slice `text`.
        let lower = text.to_ascii_lowercase();
        for cue in [
            "reply with ",
            "respond with ",
            "answer with ",
            "reply only with ",
            "respond only with ",
            "say ",
        ] {
            let mut from = 0;
            while let Some(at) = lower[from..].find(cue) {
                let after = from + at + cue.len();
                if let Some(quoted) = quoted_at(&text[after..]) {
                    return Some(quoted.to_string());
                }
                from = after;
            }
        }
        let rest = lower
            .strip_prefix("say ")
            .map(|_| text["say ".len()..].trim())?;
        let rest = rest.trim_end_matches(['.', '!']);
        if rest.is_empty() {
            return None;
        }
        let mut sentence = capitalise(rest);
        if !sentence.ends_with(['?', '!', '.']) {
            sentence.push('.');
        }
        Some(sentence)
    }
}

/// The quoted text at the start of `text`, for `"…"`, `'…'` and `“…”` quotes.
fn quoted_at(text: &str) -> Option<&str> {
    let mut chars = text.chars();
    let open = chars.next()?;
    let close = match open {
        '"' => '"',
        '\'' => '\'',
        '“' => '”',
        '‘' => '’',
        '`' => '`',
        _ => return None,
    };
    let body = &text[open.len_utf8()..];
    let end = body.find(close)?;
    let quoted = &body[..end];
    (!quoted.is_empty()).then_some(quoted)
}

/// A state, province or country code: two or three capital letters ("CA", "NY", "UK", "USA").
fn is_region_code(word: &str) -> bool {
    (2..=3).contains(&word.len()) && word.chars().all(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_is_the_span_of_significant_words() {
        let topic = |t: &str| Context::from_user(t).topic();
        assert_eq!(
            topic("Tell me a joke about cats").as_deref(),
            Some("joke about cats")
        );
        assert_eq!(
            topic("What's the weather like in Paris today?").as_deref(),
            Some("weather like in Paris")
        );
        assert_eq!(topic("hello there"), None);
    }

    #[test]
    fn proper_nouns_are_names_inside_sentences() {
        let context = Context::from_user("What's the weather in New York and Paris, today?");
        assert_eq!(context.proper_nouns(), ["New York", "Paris"]);
        let context = Context::from_user("What's the weather in San Francisco, CA?");
        assert_eq!(context.proper_nouns(), ["San Francisco, CA"]);
        let context = Context::from_user("Flights from Austin, TX to Boston, MA, please.");
        assert_eq!(context.proper_nouns(), ["Austin, TX", "Boston, MA"]);
        let context = Context::from_user("Bob Jones, 51, likes Rome. Sailing is fun.");
        assert_eq!(context.proper_nouns(), ["Bob Jones", "Rome"]);
        assert_eq!(Context::from_user("add 2 and 3.5").numbers(), [2.0, 3.5]);
    }

    #[test]
    fn persona_skips_generic_assistants() {
        let with = |s: &str| Context {
            system: s.into(),
            ..Context::default()
        };
        assert_eq!(with("You are a helpful assistant.").persona(), None);
        assert_eq!(
            with("You are a seasoned travel agent. Be nice.")
                .persona()
                .as_deref(),
            Some("a seasoned travel agent")
        );
    }
}
