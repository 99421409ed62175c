//! The message a server-side tool's result gives ([`Reply`]: composed text and citations,
//! or a rule's scripted text), written into the answer by `message::say` ([`rewrite`]).

use super::message::{say, Said};
use crate::generate::Rng;
use crate::services::tokens::Encoding;
use serde_json::Value;

/// The message a tool's result gives, and what reading the result cost.
pub struct Reply<'a> {
    /// The request (with its earlier turns).
    pub body: &'a Value,
    /// The message's text.
    pub text: String,
    /// The text's annotations; each ends at its `end_index` (or `index`) in characters.
    pub annotations: Vec<Value>,
    /// Tokens the model read from the tool's result, counted as input.
    pub read: usize,
}

impl Reply<'_> {
    /// The reply with the rule's scripted text instead of the composed one (and then no
    /// annotations), when the rule scripting `call`'s answer gives text.
    pub fn scripted(self, call: &crate::endpoints::endpoint::Call) -> Self {
        match call.script.and_then(|s| s.text.clone()) {
            Some(text) => Reply {
                text,
                annotations: Vec::new(),
                ..self
            },
            None => self,
        }
    }
}

pub use super::message::message_position;

/// Puts `items` before the message at `position`, gives the message `reply`'s text and
/// annotations, and updates usage and status ([`say`], with the answer's model's tokenizer).
pub fn rewrite(
    answer: &mut Value,
    position: usize,
    items: Vec<Value>,
    reply: &Reply,
    rng: &mut Rng,
) {
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let said = Said {
        encoding: Encoding::for_model(model),
        body: reply.body,
        text: &reply.text,
        annotations: reply.annotations.clone(),
        read: reply.read,
        written: 0,
    };
    say(answer, position, items, &said, rng);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_message_gets_the_cited_text_after_the_tool_items() {
        let mut answer = super::super::message::tests::answer();
        let body = json!({"input": "What is the capital?"});
        let reply = Reply {
            body: &body,
            text: "The capital is Quillton.".into(),
            annotations: vec![
                json!({"type": "file_citation", "file_id": "file-a", "index": 24}),
                json!({"type": "url_citation", "start_index": 4, "end_index": 11}),
            ],
            read: 7,
        };
        let items = vec![json!({"id": "a"}), json!({"id": "b"})];
        rewrite(&mut answer, 0, items, &reply, &mut Rng::new(1));
        assert_eq!(answer["output"][0]["id"], "a");
        assert_eq!(answer["output"][1]["id"], "b");
        let part = &answer["output"][2]["content"][0];
        assert_eq!(part["text"], "The capital is Quillton.");
        assert_eq!(part["annotations"][0]["file_id"], "file-a");
        assert_eq!(part["annotations"][1]["end_index"], 11);
        assert_eq!(answer["usage"]["input_tokens"], 17);
        let output = answer["usage"]["output_tokens"].as_u64().unwrap();
        assert_eq!(
            output as usize,
            Encoding::for_model("gpt-4o").count("The capital is Quillton.")
        );
        assert_eq!(answer["usage"]["total_tokens"], 17 + output);

        let cut_body = json!({"input": "What is the capital?", "max_output_tokens": 1});
        let mut cut = json!({"model": "gpt-4o", "created_at": 5, "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "x"}]}]});
        let reply = Reply {
            body: &cut_body,
            ..reply
        };
        rewrite(&mut cut, 0, vec![json!({})], &reply, &mut Rng::new(1));
        assert_eq!(cut["status"], "incomplete");
        assert_eq!(cut["output"][1]["content"][0]["annotations"], json!([]));
    }
}
