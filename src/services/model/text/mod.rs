//! Readable, context-aware wording for the text-generating endpoints.
//!
//! A [`Context`] holds what a reply is about: the last user message, the system (or
//! developer) prompt, and any tool results that arrived after the last user message. From
//! it, [`reply`] writes a short answer and [`continuation`] continues a legacy prompt.
//! Every choice between phrasings draws from the caller's [`Rng`](crate::generate::Rng),
//! so equal requests get equal text and a different `seed` gives a different wording.
//!
//! The rules, in order:
//! 1. Tool results after the last user message are summarised ("According to get_weather,
//!    temperature is 21 and condition is sunny.").
//! 2. An explicit instruction to say something is obeyed: `say "X"`, `reply with "X"`,
//!    `respond with "X"`, `answer with "X"` anywhere in the message give exactly `X`; a
//!    message starting with `say ` gives the rest of it as a sentence
//!    ("Say this is a test" → "This is a test.").
//! 3. A question about something the user said earlier ("What is my name?") is answered
//!    from it (`recall`).
//! 4. A greeting with no topic gets a greeting back.
//! 5. Otherwise the reply names the topic (the span of the message from its first to its
//!    last significant word, at most six words), with a list for "list/steps/tips/ideas"
//!    requests, one sentence when the prompt asks for brevity, and the persona of a
//!    "You are ..." system prompt when it is more specific than "a helpful assistant".
//!
//! The parts: `vocabulary` (stopwords and word-level helpers), `reading` (what a
//! [`Context`] reads from the messages: topic, keywords, names, numbers, persona, explicit
//! requests), `recall` (facts the user stated, for questions about them), `compose` (the
//! reply, greeting, tool answer and legacy continuation) and
//! `cut` (stop sequences and token limits).

mod compose;
mod cut;
mod reading;
mod recall;
mod vocabulary;

pub use compose::{continuation, describe_output, reply};
pub use cut::{cut_at_stop, stop_sequences, truncate_tokens};
pub use vocabulary::{capitalise, is_stopword, words};

use crate::services::conversation::Conversation;
use crate::services::conversation::ToolResult;

/// What a reply is about.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The text of the last user message (empty when there is none).
    pub last_user: String,
    /// The system and developer prompts, joined.
    pub system: String,
    /// Tool results that arrived after the last user message.
    pub tool_results: Vec<ToolResult>,
    /// The user's earlier messages, oldest first (the last one is `last_user`).
    pub earlier_users: Vec<String>,
}

impl Context {
    /// What a reply to `conversation` is about.
    pub fn of(conversation: &Conversation) -> Context {
        Context {
            last_user: conversation.last_user().to_string(),
            system: conversation.system_prompt(),
            tool_results: conversation.tool_results.clone(),
            earlier_users: conversation
                .users
                .split_last()
                .map(|(_, earlier)| earlier.to_vec())
                .unwrap_or_default(),
        }
    }

    /// A context holding only a user message.
    pub fn from_user(text: &str) -> Context {
        Context {
            last_user: text.to_string(),
            ..Context::default()
        }
    }
}
