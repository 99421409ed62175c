//! The wording of answers: [`reply`] to a chat, a greeting when there is no topic, a
//! summary of tool results, and the [`continuation`] of a legacy completion prompt.

use super::vocabulary::{capitalise, GREETINGS};
use super::Context;
use crate::generate::Rng;
use serde_json::Value;

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
    if let Some(recalled) = context.recall() {
        return recalled;
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
                "matters because of {a}. People who study {b} tend to agree on that much, and the reasons are worth a closer look.",
            ],
        )
    };
    format!("{lead}{}", fill(body, &topic, &keywords, ""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::conversation::ToolResult;

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
}
