//! Readable, context-aware wording for the text-generating endpoints.
//!
//! A [`Context`] holds what a reply is about: the last user message, the system (or
//! developer) prompt, and any tool results that arrived after the last user message. From
//! it, [`reply`] writes a short answer and [`continuation`] continues a legacy prompt.
//! Every choice between phrasings draws from the caller's [`Rng`], so equal requests get
//! equal text and a different `seed` gives a different wording.
//!
//! The rules, in order:
//! 1. Tool results after the last user message are summarised ("According to get_weather,
//!    temperature is 21 and condition is sunny.").
//! 2. An explicit instruction to say something is obeyed: `say "X"`, `reply with "X"`,
//!    `respond with "X"`, `answer with "X"` anywhere in the message give exactly `X`; a
//!    message starting with `say ` gives the rest of it as a sentence
//!    ("Say this is a test" → "This is a test.").
//! 3. A greeting with no topic gets a greeting back.
//! 4. Otherwise the reply names the topic (the span of the message from its first to its
//!    last significant word, at most six words), with a list for "list/steps/tips/ideas"
//!    requests, one sentence when the prompt asks for brevity, and the persona of a
//!    "You are ..." system prompt when it is more specific than "a helpful assistant".

use crate::generate::Rng;
use crate::services::conversation::Conversation;
use crate::services::conversation::ToolResult;
use crate::services::tokens::Encoding;
use serde_json::Value;

/// What a reply is about.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The text of the last user message (empty when there is none).
    pub last_user: String,
    /// The system and developer prompts, joined.
    pub system: String,
    /// Tool results that arrived after the last user message.
    pub tool_results: Vec<ToolResult>,
}

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
const VAGUE: &[&str] = &[
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

const GREETINGS: &[&str] = &[
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
fn bare(word: &str) -> String {
    let lower = word.to_lowercase();
    for tail in ["'s", "’s", "'re", "'ll", "'ve", "'d", "n't"] {
        if let Some(stem) = lower.strip_suffix(tail) {
            return stem.to_string();
        }
    }
    lower
}

fn significant(word: &str) -> bool {
    let bare = bare(word);
    !STOPWORDS.contains(&bare.as_str()) && bare.chars().any(char::is_alphanumeric)
}

impl Context {
    /// What a reply to `conversation` is about.
    pub fn of(conversation: &Conversation) -> Context {
        Context {
            last_user: conversation.last_user().to_string(),
            system: conversation.system_prompt(),
            tool_results: conversation.tool_results.clone(),
        }
    }

    /// A context holding only a user message.
    pub fn from_user(text: &str) -> Context {
        Context {
            last_user: text.to_string(),
            ..Context::default()
        }
    }

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
        for (i, raw) in raw_words.iter().copied().enumerate() {
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
            // A name ends at punctuation after it ("Paris, London").
            if !current.is_empty() && raw.ends_with([',', ';', ':', '.', '?', '!']) {
                out.push(current.join(" "));
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

    fn wants_brevity(&self) -> bool {
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

    fn wants_list(&self) -> bool {
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

/// `text` with its first letter in upper case.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn pick<'t>(rng: &mut Rng, options: &[&'t str]) -> &'t str {
    options[rng.below(options.len() as u64) as usize]
}

/// Fills `{topic}`, `{Topic}`, `{a}`, `{b}`, `{c}` and `{persona}` in `template`.
fn fill(template: &str, topic: &str, keywords: &[String], persona: &str) -> String {
    let keyword = |i: usize| {
        keywords
            .get(i)
            .or_else(|| keywords.first())
            .map_or(topic, String::as_str)
    };
    template
        .replace("{Topic}", &capitalise(topic))
        .replace("{topic}", topic)
        .replace("{a}", keyword(0))
        .replace("{b}", keyword(1))
        .replace("{c}", keyword(2))
        .replace("{persona}", persona)
}

/// A short reply to the conversation in `context`.
///
/// ```
/// use openai_mock::services::model::text::{reply, Context};
/// use openai_mock::generate::Rng;
/// let context = Context::from_user("How do I bake sourdough bread?");
/// let text = reply(&context, &mut Rng::new(7));
/// assert!(text.to_lowercase().contains("sourdough bread"), "{text}");
/// assert_eq!(text, reply(&context, &mut Rng::new(7)));
/// ```
pub fn reply(context: &Context, rng: &mut Rng) -> String {
    if !context.tool_results.is_empty() {
        return tool_answer(context, rng);
    }
    if let Some(words) = context.requested_words() {
        return words;
    }
    let Some(topic) = context.topic() else {
        return greeting(context, rng);
    };
    let keywords = context.keywords();
    let persona = context.persona().unwrap_or_default();
    let question = context.is_question();
    let opener = if !persona.is_empty() {
        pick(
            rng,
            &[
                "As {persona}, here is my take on {topic}.",
                "Speaking as {persona}: {Topic} is worth a careful look.",
            ],
        )
    } else if question {
        pick(
            rng,
            &[
                "Here is a short answer about {topic}.",
                "Good question about {topic}.",
                "When it comes to {topic}, the answer depends on a few details.",
                "{Topic} comes down to a few key points.",
            ],
        )
    } else {
        pick(
            rng,
            &[
                "Sure, here is a quick take on {topic}.",
                "Here is a brief overview of {topic}.",
                "Happy to help with {topic}.",
            ],
        )
    };
    let opener = fill(opener, &topic, &keywords, &persona);
    if context.wants_brevity() {
        return opener;
    }
    if context.wants_list() {
        let items = [
            "Start with {a}.",
            "Then look at {b}.",
            "Finally, check how {c} fits in.",
        ];
        let list: Vec<String> = items
            .iter()
            .enumerate()
            .map(|(i, item)| format!("{}. {}", i + 1, fill(item, &topic, &keywords, &persona)))
            .collect();
        let lead = fill(
            pick(
                rng,
                &[
                    "Here are a few points on {topic}:",
                    "A few ideas about {topic}:",
                ],
            ),
            &topic,
            &keywords,
            &persona,
        );
        return format!("{lead}\n{}", list.join("\n"));
    }
    let body = if keywords.len() >= 2 {
        pick(
            rng,
            &[
                "The main thing to understand is how {a} relates to {b}.",
                "A good place to start is {a}, then look at {b}.",
                "Most of the detail sits in how {a} and {b} fit together.",
            ],
        )
    } else {
        pick(
            rng,
            &[
                "The key point is {a} and how it applies to your situation.",
                "Most of the detail sits in {a}, which is worth a closer look.",
                "It helps to start from the basics of {a}.",
            ],
        )
    };
    let closer = pick(
        rng,
        &[
            "Let me know if you would like more detail.",
            "I can expand on any part of this if it helps.",
            "Tell me more about your goal and I can be more specific.",
        ],
    );
    format!(
        "{opener} {} {closer}",
        fill(body, &topic, &keywords, &persona)
    )
}

fn greeting(context: &Context, rng: &mut Rng) -> String {
    let lower = context.last_user.to_lowercase();
    let greeted = GREETINGS.iter().any(|g| lower.contains(g));
    if greeted || context.last_user.trim().is_empty() {
        pick(
            rng,
            &[
                "Hello! How can I help you today?",
                "Hi there! What can I do for you?",
                "Hey! What would you like to talk about?",
            ],
        )
        .to_string()
    } else {
        pick(
            rng,
            &[
                "Could you tell me a bit more about what you need?",
                "I am not sure I follow. What would you like to know?",
            ],
        )
        .to_string()
    }
}

/// Summarises the tool results and ties them back to the question.
fn tool_answer(context: &Context, rng: &mut Rng) -> String {
    let mut sentences: Vec<String> = context
        .tool_results
        .iter()
        .map(|result| {
            let description = describe_output(&result.output);
            match &result.name {
                Some(name) => format!("According to {name}, {description}."),
                None => format!("The tool reported that {description}."),
            }
        })
        .collect();
    if let Some(topic) = context.topic() {
        let closer = pick(
            rng,
            &[
                "That should answer your question about {topic}.",
                "Let me know if you need anything else about {topic}.",
            ],
        );
        sentences.push(fill(closer, &topic, &[], ""));
    }
    sentences.join(" ")
}

/// A readable clause for a tool's output: scalar fields of a JSON object as
/// "key is value" pairs, the size of an array, or the text itself.
pub fn describe_output(output: &str) -> String {
    let trimmed = output.trim();
    let clause = match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Object(object)) => {
            let pairs: Vec<String> = object
                .iter()
                .filter_map(|(key, value)| {
                    scalar_text(value).map(|v| format!("{} is {v}", key.replace('_', " ")))
                })
                .take(4)
                .collect();
            if pairs.is_empty() {
                format!("the result has {} fields", object.len())
            } else {
                join_and(&pairs)
            }
        }
        Ok(Value::Array(items)) => {
            let first = items.first().and_then(scalar_text);
            match first {
                Some(first) => format!("there are {} results, starting with {first}", items.len()),
                None => format!("there are {} results", items.len()),
            }
        }
        Ok(value) => scalar_text(&value).unwrap_or_else(|| trimmed.to_string()),
        Err(_) => trimmed.to_string(),
    };
    let clause = clause.trim_end_matches(['.', ' ']);
    let short: String = clause.chars().take(200).collect();
    if short.is_empty() {
        "it returned nothing".into()
    } else {
        short
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A continuation of a legacy completion `prompt`: it starts with a space unless the
/// prompt ends in whitespace or a newline, and answers a prompt that asks for something.
///
/// ```
/// use openai_mock::services::model::text::continuation;
/// use openai_mock::generate::Rng;
/// assert_eq!(continuation("Say this is a test", &mut Rng::new(1)), "\n\nThis is a test.");
/// ```
pub fn continuation(prompt: &str, rng: &mut Rng) -> String {
    let context = Context::from_user(prompt);
    if let Some(words) = context.requested_words() {
        return format!("\n\n{words}");
    }
    let lead = if prompt.is_empty() || prompt.ends_with(char::is_whitespace) {
        ""
    } else if prompt.trim_end().ends_with(['?', ':']) {
        "\n\n"
    } else {
        " "
    };
    let Some(topic) = context.topic() else {
        return format!(
            "{lead}{}",
            pick(
                rng,
                &[
                    "and so the story begins, one small step at a time.",
                    "which is a good place to start.",
                ]
            )
        );
    };
    let keywords = context.keywords();
    let body = if context.is_question() || prompt.trim_end().ends_with(':') {
        pick(
            rng,
            &[
                "{Topic} depends on a few things, starting with {a}. The details of {b} matter most.",
                "In short, {topic} is about {a}. Looking at {b} usually helps.",
            ],
        )
    } else {
        pick(
            rng,
            &[
                "is a topic with a long history. Much of it turns on {a}, and on how {b} has changed over time.",
                "matters because of {a}. People who study {b} tend to agree on that much.",
            ],
        )
    };
    format!("{lead}{}", fill(body, &topic, &keywords, ""))
}

/// `text` cut before the first occurrence of any of `stops`; `true` when it was cut.
pub fn cut_at_stop(text: &str, stops: &[String]) -> (String, bool) {
    let first = stops
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min();
    match first {
        Some(at) => (text[..at].to_string(), true),
        None => (text.to_string(), false),
    }
}

/// The stop sequences of a request's `stop` field (a string or an array of strings).
pub fn stop_sequences(stop: Option<&Value>) -> Vec<String> {
    match stop {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// At most `max` tokens of `text` (cut on a token boundary); `true` when it was cut.
pub fn truncate_tokens(encoding: Encoding, text: &str, max: usize) -> (String, bool) {
    let pieces = encoding.pieces(text);
    if pieces.len() <= max {
        return (text.to_string(), false);
    }
    (pieces[..max].concat(), true)
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

    #[test]
    fn tool_results_are_described() {
        let context = Context {
            last_user: "What's the weather in Paris?".into(),
            tool_results: vec![ToolResult {
                name: Some("get_weather".into()),
                output: r#"{"temperature": 21, "condition": "sunny"}"#.into(),
            }],
            ..Context::default()
        };
        let text = reply(&context, &mut Rng::new(1));
        assert!(
            text.starts_with("According to get_weather, temperature is 21 and condition is sunny."),
            "{text}"
        );
    }

    #[test]
    fn stops_and_truncation_cut_the_text() {
        let (cut, stopped) = cut_at_stop("one two three", &["two".into()]);
        assert_eq!((cut.as_str(), stopped), ("one ", true));
        let (short, truncated) = truncate_tokens(Encoding::O200k, "one two three four", 2);
        assert_eq!((short.as_str(), truncated), ("one two", true));
    }
}
