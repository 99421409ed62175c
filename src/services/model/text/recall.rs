//! Memory of the conversation: facts the user stated ("My name is Ada.", "My favourite
//! colour is teal.", "I'm 36 years old.", "I live in Oslo.") and questions about them
//! ("What is my name?", "Do you remember my favorite color?", "How old am I?", "Who am
//! I?"). [`Context::recall`] answers such a question from the latest matching fact of any
//! user message, or says it was never told.

use super::Context;
use regex::{Captures, Regex};
use std::sync::LazyLock;

/// `my X is Y` (also `are` / `was`).
static MY_X_IS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\bmy ([a-z][a-z' ]{0,40}?) (?:is|are|was) (.+?)(?:,|$)").ok()
});
/// `my X's Y` (`my name's Ada`).
static MY_XS: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\bmy ([a-z][a-z ]{0,40}?)'s (.+?)(?:,|$)").ok());
/// `call me Y`, `I'm called Y`.
static CALLED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:call me|i am called|i'm called|people call me) (.+?)(?:,| and |$)").ok()
});
/// `I'm N years old`.
static AGE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\bi(?: am|'m) (\d{1,3})(?: years?(?: old)?| yo)\b").ok());
/// `I live in Y`.
static HOME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\bi live in (.+?)(?:,| and |$)").ok());
/// `I'm Ada` (a capitalised word that is not a state of mind).
static I_AM_NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b(?:I am|I'm|i am|i'm) ([A-Z][a-z]+)\b").ok());
/// `what is my X`, `do you remember my X`, `tell me my X`, ...
static ASK_MY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:what(?:'s| is| was| are| were)|tell me|remind me of|do you (?:still )?(?:remember|know|recall)|did i (?:say|tell you)(?: what)?) my ([a-z][a-z' ]{0,40}?)(?: again| now| is| was)?\s*(?:\?|$|\.)",
    ).ok()
});
/// Questions about a fact without "my".
static ASK_OTHER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(who am i|what am i called|what do you call me|how old am i|where do i live)\b",
    )
    .ok()
});

/// The captures of `pattern` in `text` (none when the pattern failed to compile: they are
/// literals the tests compile, so that never happens).
fn captures<'t>(pattern: &Option<Regex>, text: &'t str) -> Vec<Captures<'t>> {
    pattern
        .as_ref()
        .map(|p| p.captures_iter(text).collect())
        .unwrap_or_default()
}

/// Words that follow "I'm" without being a name.
const NOT_NAMES: &[&str] = &[
    "Sorry",
    "Fine",
    "Good",
    "Great",
    "Here",
    "Not",
    "Just",
    "So",
    "Very",
    "Happy",
    "Sad",
    "Tired",
    "Ready",
    "Back",
    "Glad",
    "Okay",
    "Ok",
    "Also",
    "Still",
    "Really",
    "Trying",
    "Looking",
    "Working",
    "Going",
    "Interested",
    "New",
    "Curious",
    "Confused",
    "Sure",
];

/// A fact: what it is about (normalised: `name`, `favorite color`, `age`, `home`) and its
/// value as the user said it.
#[derive(Debug, Clone, PartialEq)]
struct Fact {
    about: String,
    value: String,
}

/// The normal form of what a fact is about: lower case, American spelling, no "again".
fn normal(about: &str) -> String {
    about
        .to_lowercase()
        .split_whitespace()
        .map(|w| match w {
            "colour" => "color",
            "favourite" => "favorite",
            "surname" => "last name",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A stated value, cleaned: no trailing punctuation, "my" turned to "your".
fn cleaned(value: &str) -> String {
    value
        .trim()
        .trim_end_matches(['.', '!', '?', ',', ';', ':', '"', '\''])
        .split_whitespace()
        .map(|w| match w {
            "my" => "your",
            "My" => "Your",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The clauses of `text`: its sentences, split again where "and" or a comma starts a new
/// statement ("..., and my colour is teal", "..., I live in Oslo").
fn clauses(text: &str) -> Vec<String> {
    let starts = |w: &str| matches!(w.to_lowercase().as_str(), "my" | "i" | "i'm" | "call");
    let mut out = Vec::new();
    for sentence in text.split(['.', '!', '?', '\n', ';']) {
        let mut current: Vec<&str> = Vec::new();
        for word in sentence.split_whitespace() {
            let joined = current
                .last()
                .is_some_and(|p| p.eq_ignore_ascii_case("and") || p.ends_with(','));
            if joined && starts(word) {
                if current
                    .last()
                    .is_some_and(|p| p.eq_ignore_ascii_case("and"))
                {
                    current.pop();
                }
                out.push(current.join(" "));
                current.clear();
            }
            current.push(word);
        }
        out.push(current.join(" "));
    }
    out
}

/// The facts stated in `text`, in order.
fn facts(text: &str) -> Vec<Fact> {
    let mut out = Vec::new();
    for sentence in clauses(text) {
        let sentence = sentence.trim().trim_end_matches(',');
        if sentence.is_empty() || !captures(&ASK_MY, &format!("{sentence}?")).is_empty() {
            continue;
        }
        let mut add = |about: &str, value: &str| {
            let value = cleaned(value);
            if !value.is_empty() {
                out.push(Fact {
                    about: normal(about),
                    value,
                });
            }
        };
        let said = captures(&MY_X_IS, sentence)
            .into_iter()
            .chain(captures(&MY_XS, sentence))
            .filter_map(|c| Some((c.get(1)?.as_str(), c.get(2)?.as_str())))
            .collect::<Vec<_>>();
        for (about, value) in said {
            add(about, value);
        }
        for c in captures(&CALLED, sentence) {
            if let Some(value) = c.get(1) {
                add("name", value.as_str());
            }
        }
        for c in captures(&AGE, sentence) {
            if let Some(value) = c.get(1) {
                add("age", value.as_str());
            }
        }
        for c in captures(&HOME, sentence) {
            if let Some(value) = c.get(1) {
                add("home", value.as_str());
            }
        }
        for c in captures(&I_AM_NAME, sentence) {
            if let Some(value) = c.get(1).filter(|v| !NOT_NAMES.contains(&v.as_str())) {
                add("name", value.as_str());
            }
        }
    }
    out
}

/// What the question in `text` asks about (normalised), and how it names it.
fn asked(text: &str) -> Option<(String, String)> {
    if let Some(c) = captures(&ASK_MY, text).pop() {
        let said = c.get(1)?.as_str().trim().to_string();
        return Some((normal(&said), said));
    }
    let c = captures(&ASK_OTHER, text).pop()?;
    let about = match c.get(1)?.as_str().to_lowercase().as_str() {
        "how old am i" => "age",
        "where do i live" => "home",
        _ => "name",
    };
    Some((about.to_string(), about.to_string()))
}

/// Whether a fact about `fact` answers a question about `question`: the same thing, or one
/// names the other's last word ("color" and "favorite color").
fn answers(fact: &str, question: &str) -> bool {
    if fact == question {
        return true;
    }
    let last = |s: &str| s.split_whitespace().last().map(str::to_string);
    last(fact) == last(question)
        && (fact.ends_with(&format!(" {question}")) || question.ends_with(&format!(" {fact}")))
}

impl Context {
    /// The answer to a question about something the user said earlier (see the module
    /// notes); `None` when the last message asks no such question.
    ///
    /// ```
    /// use openai_mock::services::model::text::Context;
    /// let mut context = Context::from_user("What is my name?");
    /// context.earlier_users = vec!["Hi! My name is Ada.".into()];
    /// assert_eq!(context.recall().as_deref(), Some("Your name is Ada."));
    /// ```
    pub fn recall(&self) -> Option<String> {
        let (about, said) = asked(&self.last_user)?;
        let known = self
            .earlier_users
            .iter()
            .map(String::as_str)
            .chain([self.last_user.as_str()])
            .flat_map(facts)
            .rfind(|fact| answers(&fact.about, &about));
        Some(match (about.as_str(), known) {
            ("age", Some(fact)) => format!("You are {} years old.", fact.value),
            ("home", Some(fact)) => format!("You live in {}.", fact.value),
            (_, Some(fact)) => format!("Your {} is {}.", said.to_lowercase(), fact.value),
            ("age", None) => "You haven't told me how old you are yet.".to_string(),
            ("home", None) => "You haven't told me where you live yet.".to_string(),
            (_, None) => format!("You haven't told me your {} yet.", said.to_lowercase()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recall(earlier: &[&str], question: &str) -> Option<String> {
        let mut context = Context::from_user(question);
        context.earlier_users = earlier.iter().map(|s| s.to_string()).collect();
        context.recall()
    }

    #[test]
    fn stated_facts_are_recalled_when_asked() {
        let said = [
            "My name is Ada and my favourite colour is teal.",
            "I'm 36 years old.",
        ];
        assert_eq!(
            recall(&said, "What is my name?").unwrap(),
            "Your name is Ada."
        );
        assert_eq!(
            recall(&said, "Do you remember my favorite color?").unwrap(),
            "Your favorite color is teal."
        );
        assert_eq!(
            recall(&said, "How old am I?").unwrap(),
            "You are 36 years old."
        );
        assert_eq!(
            recall(&["Call me Bo"], "Who am I?").unwrap(),
            "Your name is Bo."
        );
        assert_eq!(
            recall(&["I live in Oslo, Norway."], "Where do I live?").unwrap(),
            "You live in Oslo."
        );
        assert_eq!(
            recall(&["My dog's name is Rex."], "What's my dog's name again?").unwrap(),
            "Your dog's name is Rex."
        );
    }

    #[test]
    fn the_latest_fact_wins_and_unknown_ones_are_said_to_be_unknown() {
        let said = ["My name is Ada.", "Actually, my name's Grace."];
        assert_eq!(
            recall(&said, "what's my name").unwrap(),
            "Your name is Grace."
        );
        assert_eq!(
            recall(&[], "What is my name?").unwrap(),
            "You haven't told me your name yet."
        );
        assert_eq!(recall(&said, "How do I bake bread?"), None);
    }

    #[test]
    fn every_pattern_compiles() {
        for pattern in [
            &MY_X_IS, &MY_XS, &CALLED, &AGE, &HOME, &I_AM_NAME, &ASK_MY, &ASK_OTHER,
        ] {
            assert!(pattern.is_some());
        }
    }

    #[test]
    fn a_state_of_mind_is_not_a_name() {
        assert_eq!(
            recall(&["I'm Sorry for the delay."], "Who am I?").unwrap(),
            "You haven't told me your name yet."
        );
    }
}
