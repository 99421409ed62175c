//! Template strings in rule actions.
//!
//! A template is text with `{{variable}}` placeholders, compiled once when the rules load
//! (so an unknown variable is a load error, with its line) and rendered per request. The
//! variables:
//!
//! | variable | value |
//! |---|---|
//! | `{{model}}` | the request's `model` (empty when it has none) |
//! | `{{id}}` | a fresh id with the prefix of the operation's object (`chatcmpl-…`, `resp_…`) |
//! | `{{created}}` | the current Unix time in seconds |
//! | `{{last_user_message}}` | the text of the last user message (or the prompt / input) |
//! | `{{request.<json-pointer>}}` | the request body at that JSON pointer (`{{request./temperature}}`; the leading `/` may be left out) |
//!
//! In a JSON template ([`TemplateValue`]) a string that is exactly one placeholder keeps the
//! variable's JSON type: `"created": "{{created}}"` renders a number and
//! `"echo": "{{request./metadata}}"` the object. Anywhere else, a non-string value is
//! written as compact JSON and a missing pointer as the empty string.

use serde_json::{Map, Value};

/// The values a template can refer to, for one request.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The request's model.
    pub model: &'a str,
    /// A fresh id for the answer.
    pub id: &'a str,
    /// Unix seconds.
    pub created: i64,
    /// The text of the last user message.
    pub last_user_message: &'a str,
    /// The request body.
    pub request: &'a Value,
}

#[derive(Debug, Clone, PartialEq)]
enum Variable {
    Model,
    Id,
    Created,
    LastUserMessage,
    Request(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Variable(Variable),
}

/// A compiled template string.
///
/// ```
/// use openai_mock::scenario::template::{Context, Template};
/// let template = Template::parse("{{model}} heard: {{last_user_message}}").unwrap();
/// let body = serde_json::json!({"model": "gpt-4o"});
/// let context = Context {
///     model: "gpt-4o", id: "chatcmpl-1", created: 0, last_user_message: "hi", request: &body,
/// };
/// assert_eq!(template.render(&context), "gpt-4o heard: hi");
/// assert!(Template::parse("{{nope}}").unwrap_err().contains("unknown template variable"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

/// The variable names, for error messages.
const VARIABLES: &str =
    "{{model}}, {{id}}, {{created}}, {{last_user_message}}, {{request.<json-pointer>}}";

impl Template {
    /// Compiles `text`; the error names the bad placeholder.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in template {text:?}"))?;
            parts.push(Part::Variable(variable(after[..end].trim())?));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// Whether the template has no placeholders.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(_)))
    }

    /// The text for one request.
    pub fn render(&self, context: &Context) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Variable(variable) => match value_of(variable, context) {
                    Value::String(s) => out.push_str(&s),
                    Value::Null => {}
                    other => out.push_str(&other.to_string()),
                },
            }
        }
        out
    }

    /// Like [`Template::render`], but a template that is exactly one placeholder gives the
    /// variable's own JSON value (a number for `{{created}}`, any value for `{{request.…}}`).
    pub fn render_value(&self, context: &Context) -> Value {
        match self.parts.as_slice() {
            [Part::Variable(variable)] => value_of(variable, context),
            _ => Value::String(self.render(context)),
        }
    }
}

fn variable(name: &str) -> Result<Variable, String> {
    Ok(match name {
        "model" => Variable::Model,
        "id" => Variable::Id,
        "created" => Variable::Created,
        "last_user_message" => Variable::LastUserMessage,
        _ => {
            let Some(pointer) = name.strip_prefix("request.") else {
                return Err(format!(
                    "unknown template variable `{{{{{name}}}}}`; the variables are {VARIABLES}"
                ));
            };
            let pointer = if pointer.starts_with('/') {
                pointer.to_string()
            } else {
                format!("/{pointer}")
            };
            Variable::Request(pointer)
        }
    })
}

fn value_of(variable: &Variable, context: &Context) -> Value {
    match variable {
        Variable::Model => Value::String(context.model.to_string()),
        Variable::Id => Value::String(context.id.to_string()),
        Variable::Created => Value::from(context.created),
        Variable::LastUserMessage => Value::String(context.last_user_message.to_string()),
        Variable::Request(pointer) => context
            .request
            .pointer(pointer)
            .cloned()
            .unwrap_or(Value::Null),
    }
}

/// A JSON value whose strings are templates.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateValue {
    /// A value without strings to render (numbers, booleans, null).
    Literal(Value),
    /// A string template.
    String(Template),
    /// An array.
    Array(Vec<TemplateValue>),
    /// An object (keys are not templated).
    Object(Vec<(String, TemplateValue)>),
}

impl TemplateValue {
    /// Compiles every string of `value`; the error names the first bad placeholder.
    pub fn compile(value: &Value) -> Result<TemplateValue, String> {
        Ok(match value {
            Value::String(s) => TemplateValue::String(Template::parse(s)?),
            Value::Array(items) => TemplateValue::Array(
                items
                    .iter()
                    .map(TemplateValue::compile)
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => TemplateValue::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), TemplateValue::compile(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => TemplateValue::Literal(other.clone()),
        })
    }

    /// The value for one request.
    ///
    /// ```
    /// use openai_mock::scenario::template::{Context, TemplateValue};
    /// use serde_json::json;
    /// let template = TemplateValue::compile(&json!({
    ///     "id": "{{id}}", "created": "{{created}}", "t": "{{request./temperature}}",
    /// })).unwrap();
    /// let body = json!({"temperature": 0.5});
    /// let context = Context {
    ///     model: "m", id: "chatcmpl-9", created: 1700000000, last_user_message: "", request: &body,
    /// };
    /// assert_eq!(
    ///     template.render(&context),
    ///     json!({"id": "chatcmpl-9", "created": 1700000000, "t": 0.5})
    /// );
    /// ```
    pub fn render(&self, context: &Context) -> Value {
        match self {
            TemplateValue::Literal(value) => value.clone(),
            TemplateValue::String(template) => template.render_value(context),
            TemplateValue::Array(items) => {
                Value::Array(items.iter().map(|item| item.render(context)).collect())
            }
            TemplateValue::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.render(context)))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context(body: &Value) -> Context<'_> {
        Context {
            model: "gpt-4o-mini",
            id: "chatcmpl-abc",
            created: 1_700_000_000,
            last_user_message: "What is the weather in Paris?",
            request: body,
        }
    }

    #[test]
    fn every_variable_renders() {
        let body = json!({"model": "gpt-4o-mini", "metadata": {"user": "u1"}, "n": 2});
        let template = Template::parse(
            "{{model}}|{{ id }}|{{created}}|{{last_user_message}}|{{request./metadata/user}}|{{request.n}}|{{request./missing}}|",
        )
        .unwrap();
        assert_eq!(
            template.render(&context(&body)),
            "gpt-4o-mini|chatcmpl-abc|1700000000|What is the weather in Paris?|u1|2||"
        );
    }

    #[test]
    fn a_lone_placeholder_keeps_its_json_type() {
        let body = json!({"metadata": {"a": 1}});
        let template = TemplateValue::compile(&json!({
            "created": "{{created}}",
            "meta": "{{request./metadata}}",
            "text": "at {{created}}",
            "list": ["{{model}}", 3, null],
        }))
        .unwrap();
        assert_eq!(
            template.render(&context(&body)),
            json!({"created": 1_700_000_000, "meta": {"a": 1}, "text": "at 1700000000",
                   "list": ["gpt-4o-mini", 3, null]})
        );
    }

    #[test]
    fn bad_placeholders_are_load_errors() {
        assert!(Template::parse("hello {{model")
            .unwrap_err()
            .contains("unclosed"));
        let unknown = Template::parse("{{user}}").unwrap_err();
        assert!(unknown.contains("`{{user}}`"), "{unknown}");
        assert!(unknown.contains("{{last_user_message}}"), "{unknown}");
        assert!(TemplateValue::compile(&json!({"a": ["{{x}}"]})).is_err());
    }

    #[test]
    fn text_without_placeholders_is_literal() {
        assert!(Template::parse("plain { braces }").unwrap().is_literal());
        assert!(!Template::parse("{{id}}").unwrap().is_literal());
    }
}
