//! Tools a request offers, which of them the mock calls, and the calls' arguments.
//!
//! Chat completions (`tools`, legacy `functions`) and the Responses API (`tools`) describe
//! tools differently; [`Tool`] is the common form. [`select`] applies `tool_choice`:
//! - `none`: no call;
//! - a named tool: that tool;
//! - `required`: the tools the last user message refers to, else the first tool;
//! - `auto` (the default): the tools the last user message refers to, else none. After
//!   tool results (the conversation ends with `tool` messages), `auto` answers in text.
//!
//! **The rule for "refers to"** (case-insensitive, a trailing plural `s` ignored):
//! the message contains the tool's full name; or one of the words of its name (split on
//! `_`, `-`, `.` and camelCase, ignoring generic verbs such as *get*, *fetch*, *list*,
//! *create* unless the name has nothing else) appears as a word of the message; or at least
//! two keywords of its description (words of four or more letters, not stopwords) do.
//!
//! With `parallel_tool_calls: false` at most one tool is called. The `allowed_tools`
//! choice narrows the candidates first and then behaves like `auto` or `required`.

use super::arithmetic;
use super::lark;
use super::structured::{is_place_field, sample_regex, Instances};
use super::text::{self, Context};
use crate::generate::Rng;
use serde_json::{json, Value};

/// A function or custom tool offered by the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    /// The name the model calls it by.
    pub name: String,
    /// Its description (empty when absent).
    pub description: String,
    /// The JSON Schema of a function's arguments (`None` for custom tools or when absent).
    pub parameters: Option<Value>,
    /// `true` for custom (free-text input) tools.
    pub custom: bool,
    /// A custom tool's `format` (`text`, or a `grammar` with its `syntax` and `definition`).
    pub format: Option<Value>,
}

impl Tool {
    fn function(spec: &Value) -> Option<Tool> {
        Some(Tool {
            name: spec.get("name")?.as_str()?.to_string(),
            description: spec
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            parameters: spec.get("parameters").filter(|p| p.is_object()).cloned(),
            custom: false,
            format: None,
        })
    }

    fn custom(spec: &Value) -> Option<Tool> {
        Some(Tool {
            custom: true,
            parameters: None,
            format: spec.get("format").cloned(),
            ..Tool::function(spec)?
        })
    }

    /// A chat completions tool: `{type: function, function: {...}}` or
    /// `{type: custom, custom: {...}}`.
    pub fn from_chat(value: &Value) -> Option<Tool> {
        match value.get("type").and_then(Value::as_str) {
            Some("function") => Tool::function(value.get("function")?),
            Some("custom") => Tool::custom(value.get("custom")?),
            _ => None,
        }
    }

    /// A legacy chat `functions` entry: `{name, description, parameters}`.
    pub fn from_legacy_function(value: &Value) -> Option<Tool> {
        Tool::function(value)
    }

    /// A Responses API tool: `{type: function, name, ...}` or `{type: custom, name, ...}`.
    /// Hosted tools (web search, file search, ...) are not called by the mock.
    pub fn from_responses(value: &Value) -> Option<Tool> {
        match value.get("type").and_then(Value::as_str) {
            Some("function") => Tool::function(value),
            Some("custom") => Tool::custom(value),
            _ => None,
        }
    }

    /// The words of the tool's name that identify it (see the module notes).
    fn name_words(&self) -> Vec<String> {
        const GENERIC: &[&str] = &[
            "get", "set", "fetch", "list", "create", "update", "delete", "find", "lookup", "look",
            "do", "make", "run", "call", "retrieve", "add", "remove", "check", "send", "read",
            "write", "tool", "function", "api", "by", "for", "the", "of", "to",
        ];
        let mut words = Vec::new();
        let mut current = String::new();
        let mut previous_lower = false;
        for ch in self.name.chars() {
            let boundary = !ch.is_alphanumeric() || (ch.is_uppercase() && previous_lower);
            if boundary && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            if ch.is_alphanumeric() {
                current.extend(ch.to_lowercase());
            }
            previous_lower = ch.is_lowercase() || ch.is_ascii_digit();
        }
        if !current.is_empty() {
            words.push(current);
        }
        let specific: Vec<String> = words
            .iter()
            .filter(|w| w.len() >= 3 && !GENERIC.contains(&w.as_str()))
            .cloned()
            .collect();
        if specific.is_empty() {
            words.into_iter().filter(|w| w.len() >= 3).collect()
        } else {
            specific
        }
    }

    /// Whether `message` refers to this tool, by the rule in the module notes.
    ///
    /// ```
    /// use openai_mock::services::model::tools::Tool;
    /// use serde_json::json;
    /// let tool = Tool::from_chat(&json!({"type": "function", "function": {
    ///     "name": "get_weather", "description": "Current weather for a city"}})).unwrap();
    /// assert!(tool.is_referred_to("What's the weather in Paris?"));
    /// assert!(!tool.is_referred_to("Tell me a joke"));
    /// ```
    pub fn is_referred_to(&self, message: &str) -> bool {
        let lower = message.to_lowercase();
        if !self.name.is_empty() && lower.contains(&self.name.to_lowercase()) {
            return true;
        }
        let message_words: Vec<String> = text::words(&lower).into_iter().map(stem).collect();
        let has = |word: &str| message_words.iter().any(|w| *w == stem(word));
        let name_words = self.name_words();
        if name_words.iter().any(|w| has(w)) {
            return true;
        }
        // A calculator tool for the arithmetic the message writes ("5 * 4" → `multiply`).
        let operations = arithmetic::operation_names(message);
        if name_words.iter().any(|w| operations.contains(&w.as_str())) {
            return true;
        }
        let mut keywords: Vec<String> = text::words(&self.description.to_lowercase())
            .into_iter()
            .filter(|w| w.chars().count() >= 4 && !text::is_stopword(w))
            .map(stem)
            .collect();
        keywords.sort();
        keywords.dedup();
        keywords.iter().filter(|k| has(k)).count() >= 2
    }
}

fn stem(word: &str) -> String {
    let word = word.to_lowercase();
    if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        word[..word.len() - 1].to_string()
    } else {
        word
    }
}

/// How the request lets the model use its tools.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    /// Never call a tool.
    None,
    /// Call the tools the message refers to.
    Auto,
    /// Call at least one tool.
    Required,
    /// Call this tool.
    Named(String),
    /// Only these tools, then `auto` (`required: false`) or `required`.
    Allowed {
        /// The allowed tool names.
        names: Vec<String>,
        /// Whether a call is required.
        required: bool,
    },
}

impl Choice {
    fn mode(text: &str) -> Choice {
        match text {
            "none" => Choice::None,
            "required" => Choice::Required,
            _ => Choice::Auto,
        }
    }

    /// A chat completions `tool_choice`.
    pub fn from_chat(value: Option<&Value>) -> Choice {
        match value {
            Some(Value::String(mode)) => Choice::mode(mode),
            Some(object @ Value::Object(_)) => {
                let kind = object.get("type").and_then(Value::as_str).unwrap_or("");
                match kind {
                    "function" | "custom" => object
                        .pointer(&format!("/{kind}/name"))
                        .and_then(Value::as_str)
                        .map_or(Choice::Auto, |n| Choice::Named(n.to_string())),
                    "allowed_tools" => {
                        let allowed = object.get("allowed_tools").unwrap_or(&Value::Null);
                        let names = allowed
                            .get("tools")
                            .and_then(Value::as_array)
                            .map(|tools| {
                                tools
                                    .iter()
                                    .filter_map(|t| {
                                        t.pointer("/function/name")
                                            .or_else(|| t.pointer("/custom/name"))
                                            .or_else(|| t.get("name"))
                                            .and_then(Value::as_str)
                                            .map(str::to_string)
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        Choice::Allowed {
                            names,
                            required: allowed.get("mode").and_then(Value::as_str)
                                == Some("required"),
                        }
                    }
                    _ => Choice::Auto,
                }
            }
            _ => Choice::Auto,
        }
    }

    /// A legacy chat `function_call`: `"none"`, `"auto"` or `{name}`.
    pub fn from_legacy(value: Option<&Value>) -> Choice {
        match value {
            Some(Value::String(mode)) => Choice::mode(mode),
            Some(object) => object
                .get("name")
                .and_then(Value::as_str)
                .map_or(Choice::Auto, |n| Choice::Named(n.to_string())),
            None => Choice::Auto,
        }
    }

    /// A Responses API `tool_choice`; hosted-tool choices behave like `auto`.
    pub fn from_responses(value: Option<&Value>) -> Choice {
        match value {
            Some(Value::String(mode)) => Choice::mode(mode),
            Some(object @ Value::Object(_)) => {
                match object.get("type").and_then(Value::as_str).unwrap_or("") {
                    "function" | "custom" => object
                        .get("name")
                        .and_then(Value::as_str)
                        .map_or(Choice::Auto, |n| Choice::Named(n.to_string())),
                    "allowed_tools" => Choice::Allowed {
                        names: object
                            .get("tools")
                            .and_then(Value::as_array)
                            .map(|tools| {
                                tools
                                    .iter()
                                    .filter_map(|t| t.get("name").and_then(Value::as_str))
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default(),
                        required: object.get("mode").and_then(Value::as_str) == Some("required"),
                    },
                    _ => Choice::Auto,
                }
            }
            _ => Choice::Auto,
        }
    }

    /// Whether this choice forces one particular tool.
    pub fn is_named(&self) -> bool {
        matches!(self, Choice::Named(_))
    }
}

/// The tools to call for `context` under `choice` (see the module notes).
pub fn select<'t>(
    tools: &'t [Tool],
    choice: &Choice,
    context: &Context,
    parallel: bool,
) -> Vec<&'t Tool> {
    let answering_results = !context.tool_results.is_empty();
    let (candidates, required): (Vec<&Tool>, bool) = match choice {
        Choice::None => return Vec::new(),
        Choice::Named(name) => return tools.iter().filter(|t| &t.name == name).take(1).collect(),
        Choice::Auto => (tools.iter().collect(), false),
        Choice::Required => (tools.iter().collect(), true),
        Choice::Allowed { names, required } => (
            tools.iter().filter(|t| names.contains(&t.name)).collect(),
            *required,
        ),
    };
    if answering_results && !required {
        return Vec::new();
    }
    let mut chosen: Vec<&Tool> = candidates
        .iter()
        .copied()
        .filter(|t| t.is_referred_to(&context.last_user))
        .collect();
    if chosen.is_empty() && required {
        chosen.extend(candidates.first());
    }
    if !parallel {
        chosen.truncate(1);
    }
    chosen
}

/// One call the mock makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The tool's name.
    pub name: String,
    /// A function's arguments as a JSON string, or a custom tool's input text.
    pub input: String,
    /// Whether the tool is a custom tool.
    pub custom: bool,
}

/// The calls for the `selected` tools: one each, except that with parallel calls allowed,
/// a single function with exactly one place-like parameter (`location`, `city`, ...) is
/// called once per place the message names, up to four ("weather in Paris and Tokyo" →
/// two calls).
pub fn calls(
    selected: &[&Tool],
    context: &Context,
    parallel: bool,
    now: i64,
    rng: &mut Rng,
) -> Vec<Call> {
    let places = context.proper_nouns();
    if let [tool] = selected {
        let place_fields = tool
            .parameters
            .as_ref()
            .and_then(|p| p.get("properties"))
            .and_then(Value::as_object)
            .map_or(0, |properties| {
                properties.keys().filter(|k| is_place_field(k)).count()
            });
        // With several place fields (origin, destination) the places fill one call.
        if parallel && place_fields == 1 && places.len() >= 2 {
            return places
                .iter()
                .take(4)
                .map(|place| call_with(tool, context, Some(place), now, rng))
                .collect();
        }
    }
    selected
        .iter()
        .map(|tool| call_with(tool, context, None, now, rng))
        .collect()
}

/// The call of `tool` for `context`: arguments valid against the function's `parameters`
/// and taken from the conversation where the field names allow it.
pub fn call(tool: &Tool, context: &Context, now: i64, rng: &mut Rng) -> Call {
    call_with(tool, context, None, now, rng)
}

fn call_with(
    tool: &Tool,
    context: &Context,
    place: Option<&String>,
    now: i64,
    rng: &mut Rng,
) -> Call {
    let input = if tool.custom {
        custom_input(tool, context)
    } else {
        let empty = json!({"type": "object", "properties": {}});
        let schema = tool.parameters.as_ref().unwrap_or(&empty);
        let reply = context
            .topic()
            .map(|t| text::capitalise(&t))
            .unwrap_or_default();
        let mut instances = Instances::new(schema, context, &reply, now, Rng::new(rng.next_u64()));
        if let Some(place) = place {
            instances = instances.with_names(vec![place.clone()]);
        }
        let value = match instances.instance() {
            object @ Value::Object(_) => object,
            // Arguments are always an object, whatever the schema says.
            _ => json!({}),
        };
        value.to_string()
    };
    Call {
        name: tool.name.clone(),
        input,
        custom: tool.custom,
    }
}

fn custom_input(tool: &Tool, context: &Context) -> String {
    // Chat nests the grammar (`format.grammar`); the Responses API puts it in `format`.
    let grammar = tool
        .format
        .as_ref()
        .and_then(|f| f.get("grammar").or_else(|| f.get("definition").map(|_| f)));
    if let Some(grammar) = grammar {
        let syntax = grammar.get("syntax").and_then(Value::as_str);
        if let Some(definition) = grammar.get("definition").and_then(Value::as_str) {
            let sample = match syntax {
                Some("regex") => sample_regex(definition),
                Some("lark") => lark::sentence(definition, &context.last_user),
                _ => None,
            };
            if let Some(sample) = sample {
                return sample;
            }
        }
    }
    context
        .requested_words()
        .or_else(|| context.topic())
        .unwrap_or_else(|| context.last_user.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str, description: &str) -> Tool {
        Tool {
            name: name.into(),
            description: description.into(),
            parameters: None,
            custom: false,
            format: None,
        }
    }

    #[test]
    fn references_by_name_words_and_description_keywords() {
        let stock = tool("getStockPrice", "Look up a ticker on the exchange");
        assert!(stock.is_referred_to("what is the stock doing"));
        assert!(stock.is_referred_to("price of AAPL?"));
        let email = tool("send_message", "Sends an email to a recipient address");
        assert!(email.is_referred_to("please send an email to my recipient"));
        assert!(!email.is_referred_to("what is an email?"));
    }

    #[test]
    fn choice_rules() {
        let tools = [tool("get_weather", ""), tool("get_time", "")];
        let context = Context::from_user("weather and time in Oslo");
        let names = |chosen: Vec<&Tool>| chosen.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(select(&tools, &Choice::Auto, &context, true)),
            ["get_weather", "get_time"]
        );
        assert_eq!(
            names(select(&tools, &Choice::Auto, &context, false)),
            ["get_weather"]
        );
        assert!(select(&tools, &Choice::None, &context, true).is_empty());
        let unrelated = Context::from_user("tell me a joke");
        assert!(select(&tools, &Choice::Auto, &unrelated, true).is_empty());
        assert_eq!(
            names(select(&tools, &Choice::Required, &unrelated, true)),
            ["get_weather"]
        );
        assert_eq!(
            names(select(
                &tools,
                &Choice::Named("get_time".into()),
                &unrelated,
                true
            )),
            ["get_time"]
        );
    }
}
