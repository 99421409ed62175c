//! Conversation tracking: which conversation a request belongs to (sequence steps are
//! counted per conversation, see the [module notes](super)), and the remembered
//! `/responses` ids that let `previous_response_id` continue a conversation.

use super::facts::Facts;
use super::plan::Plan;
use crate::endpoints::{Continuation, Endpoint};
use crate::generate::fnv1a;
use crate::validate::ValidRequest;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// The most `/responses` ids remembered for conversation tracking.
const REMEMBERED_RESPONSES: usize = 10_000;

/// Remembered `/responses` ids → conversations, bounded.
#[derive(Debug, Default)]
struct Remembered {
    by_response: HashMap<String, String>,
    order: VecDeque<String>,
}

/// The conversations of one engine.
#[derive(Debug, Default)]
pub struct Conversations {
    remembered: Mutex<Remembered>,
}

impl Conversations {
    /// The conversation key of a request (see the module notes of [`scenario`](super)).
    pub fn conversation_of(
        &self,
        endpoint: &Endpoint,
        request: &ValidRequest,
        facts: &Facts,
    ) -> String {
        match endpoint.continuation.and_then(|read| read(request)) {
            Some(Continuation::Conversation(id)) => return format!("conversation:{id}"),
            Some(Continuation::Answer(previous)) => {
                let remembered = self
                    .remembered
                    .lock()
                    .ok()
                    .and_then(|c| c.by_response.get(previous).cloned());
                return remembered.unwrap_or_else(|| format!("response:{previous}"));
            }
            None => {}
        }
        if facts.system_prompt.is_empty() && facts.first_user_message.is_empty() {
            return String::new();
        }
        let hash = fnv1a(&[
            facts.system_prompt.as_bytes(),
            facts.first_user_message.as_bytes(),
        ]);
        format!("messages:{hash:016x}")
    }

    /// Remembers which conversation an answer that can be continued (a `/responses`
    /// answer) belongs to, so a later request naming it (`previous_response_id`) continues
    /// that conversation.
    pub fn remember_answer(&self, plan: &Plan, answer: &Value) {
        if !plan.remember_answer {
            return;
        }
        let (Some(conversation), Some(id)) = (
            plan.trace.conversation.as_ref(),
            answer.get("id").and_then(Value::as_str),
        ) else {
            return;
        };
        let Ok(mut remembered) = self.remembered.lock() else {
            return;
        };
        if remembered.order.len() >= REMEMBERED_RESPONSES {
            if let Some(oldest) = remembered.order.pop_front() {
                remembered.by_response.remove(&oldest);
            }
        }
        remembered.order.push_back(id.to_string());
        remembered
            .by_response
            .insert(id.to_string(), conversation.clone());
    }

    /// Forgets every remembered answer.
    pub fn clear(&self) {
        if let Ok(mut remembered) = self.remembered.lock() {
            *remembered = Remembered::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{engine_with, text_of};
    use super::super::Settings;
    use crate::catalog::Catalog;
    use crate::validate::ValidRequest;
    use poem::http::HeaderMap;
    use serde_json::{json, Value};

    #[test]
    fn responses_continue_their_conversation_through_previous_response_id() {
        let (engine, _) = engine_with(
            "rules:\n  - sequence: [{text: A}, {text: B}]\n",
            Settings::default(),
        );
        let catalog = Catalog::embedded();
        let op = catalog.operation("createResponse").unwrap();
        let none = HeaderMap::new();
        let ask = |body: Value| {
            let request = ValidRequest {
                body,
                ..ValidRequest::default()
            };
            engine.plan(
                op,
                &crate::endpoints::responses::CREATE,
                &request,
                &none,
                None,
            )
        };
        let first = ask(json!({"model": "gpt-4o", "input": "start"}));
        assert_eq!(text_of(&first), "A");
        engine.remember_answer(&first, &json!({"id": "resp_1"}));
        let second =
            ask(json!({"model": "gpt-4o", "input": "go on", "previous_response_id": "resp_1"}));
        assert_eq!(text_of(&second), "B");
        assert_eq!(second.trace.conversation, first.trace.conversation);
    }
}
