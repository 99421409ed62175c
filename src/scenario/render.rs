//! Rendering a rule step's [`Action`] into the [`Outcome`] for one request: its templates
//! filled in with the request's model, a fresh id of the answered object's kind, the time
//! and the request itself.

use super::facts::Facts;
use super::faults::Failure;
use super::log::unix_ms;
use super::plan::Outcome;
use super::rules::Action;
use super::template;
use crate::catalog::{Catalog, Operation};
use crate::generate::{new_id, prefix_for_object, Rng};
use crate::services::model::script::{Scripted, ScriptedToolCall};
use crate::validate::ValidRequest;
use serde_json::Value;

/// Renders a rule step's action for this request.
pub fn render(
    catalog: &Catalog,
    op: &Operation,
    request: &ValidRequest,
    facts: &Facts,
    action: &Action,
    rng: &mut Rng,
) -> Outcome {
    let id = new_id(rng, id_prefix(catalog, op));
    let context = template::Context {
        model: facts.model.as_deref().unwrap_or(""),
        id: &id,
        created: (unix_ms() / 1000) as i64,
        last_user_message: &facts.last_user_message,
        request: &request.body,
    };
    match action {
        Action::Behave {
            text,
            tool_calls,
            tool_results,
        } if text.is_none() && tool_calls.is_empty() && tool_results.is_none() => Outcome::Normal,
        Action::Behave {
            text,
            tool_calls,
            tool_results,
        } => Outcome::Scripted(Scripted {
            text: text.as_ref().map(|t| t.render(&context)),
            tool_calls: tool_calls
                .iter()
                .map(|call| ScriptedToolCall {
                    id: call.id.clone().unwrap_or_else(|| new_id(rng, "call_")),
                    name: call.name.clone(),
                    arguments: match call.arguments.render(&context) {
                        Value::String(text) => text,
                        other => other.to_string(),
                    },
                })
                .collect(),
            tool_results: match tool_results.as_ref().map(|r| r.render(&context)) {
                Some(Value::Object(results)) => results,
                _ => serde_json::Map::new(),
            },
        }),
        Action::Body { status, body } => Outcome::Body {
            status: *status,
            body: body.render(&context),
        },
        Action::Error { error, message } => {
            let mut error = error.clone();
            error.error.message = message.render(&context);
            Outcome::Fail(Failure::Error(error))
        }
        Action::ConnectionReset => Outcome::Fail(Failure::ConnectionReset),
    }
}

/// The id prefix of the object `op` answers with (`chatcmpl-`, `resp_`, ...), from the
/// `object` property of its response schema; `mock_` when it has none.
fn id_prefix(catalog: &Catalog, op: &Operation) -> &'static str {
    let store = &catalog.schemas;
    let Some(index) = op.response.schema else {
        return "mock_";
    };
    store
        .walk(store.target(index), 4, &mut |schema| {
            let (object, _) = store.resolve(schema.pointer("/properties/object")?);
            let name = object
                .get("const")
                .or_else(|| object.pointer("/enum/0"))
                .or_else(|| object.get("default"))
                .and_then(Value::as_str);
            name.and_then(prefix_for_object)
        })
        .unwrap_or("mock_")
}

#[cfg(test)]
mod tests {
    use super::super::testing::{chat, engine_with, text_of};
    use super::super::Settings;
    use super::*;
    use poem::http::HeaderMap;
    use serde_json::json;

    #[test]
    fn templates_render_into_scripted_text_and_bodies() {
        let (engine, _) = engine_with(
            "rules:\n  - match: {last_user_message: echo}\n    reply: {text: '{{model}} says {{last_user_message}}'}\n  - reply:\n      body: {id: '{{id}}', created: '{{created}}', model: '{{request./model}}'}\n",
            Settings::default(),
        );
        let none = HeaderMap::new();
        let plan = chat(
            &engine,
            json!([{"role": "user", "content": "echo this"}]),
            &none,
        );
        assert_eq!(text_of(&plan), "gpt-4o says echo this");
        let plan = chat(
            &engine,
            json!([{"role": "user", "content": "anything"}]),
            &none,
        );
        let Outcome::Body { status: 200, body } = plan.outcome else {
            panic!("{:?}", plan.outcome)
        };
        assert!(
            body["id"].as_str().unwrap().starts_with("chatcmpl-"),
            "{body}"
        );
        assert!(body["created"].as_i64().unwrap() > 1_700_000_000);
        assert_eq!(body["model"], "gpt-4o");
    }

    #[test]
    fn id_prefixes_follow_the_answered_object() {
        let catalog = Catalog::embedded();
        let prefix = |id: &str| id_prefix(&catalog, catalog.operation(id).unwrap());
        assert_eq!(prefix("createChatCompletion"), "chatcmpl-");
        assert_eq!(prefix("createResponse"), "resp_");
        assert_eq!(prefix("createCompletion"), "cmpl-");
    }
}
