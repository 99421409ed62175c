//! What an eval run grades: the datums of its `data_source`, each an `item` and, where
//! there is one, a `sample` (the model's answer to grade).
//!
//! Sources: JSONL (`file_content` inline, or `file_id` of an uploaded file, whose lines are
//! `{"item": {...}, "sample": {...}}` or a bare item), the namespace's stored chat
//! completions (`stored_completions`, filtered by `model`, `metadata`, `created_after`,
//! `created_before` and `limit`; each becomes `{"input": messages, "output": [answer]}`
//! with the stored answer as its sample), and stored responses (`responses`). A
//! `completions` or `responses` data source with a `model` samples each datum anew: its
//! `input_messages` (a template filled from the item, or an `item_reference` to the
//! item's messages) go to the simulated model ([`crate::services::model::text`]), with
//! `sampling_params` (`seed`, `max_completion_tokens`, the response format) applied.

use super::graders::{render, resolve, scope};
use crate::endpoints::chat::{self, stored as chat_store};
use crate::endpoints::files;
use crate::endpoints::stored::MetadataFilter;
use crate::endpoints::Call;
use crate::generate::{fnv1a, Rng};
use crate::services::conversation::content_text;
use crate::services::model::text;
use crate::services::tokens::Encoding;
use crate::store::Found;
use serde_json::{json, Value};

/// One thing to grade.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    /// The data, as templates name it (`item.*`).
    pub item: Value,
    /// The model's answer (`sample.*`), when there is one.
    pub sample: Option<Value>,
    /// Why this datum cannot be graded (a JSONL line that is not an object).
    pub error: Option<String>,
}

impl Datum {
    fn of(item: Value, sample: Option<Value>) -> Datum {
        Datum {
            item,
            sample,
            error: None,
        }
    }
}

/// Tokens one model spent sampling, for `per_model_usage`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// How many samples it produced.
    pub invocations: u64,
    /// Prompt tokens, all samples together.
    pub prompt_tokens: u64,
    /// Completion tokens, all samples together.
    pub completion_tokens: u64,
}

/// The run's error object (`{code, message}`) when the data cannot be read at all.
pub type RunError = Value;

/// The datums of `source` (a data source's `source`).
pub fn read(call: &Call, source: &Value) -> Result<Vec<Datum>, RunError> {
    match source["type"].as_str().unwrap_or("") {
        "file_content" => Ok(source["content"]
            .as_array()
            .map(|rows| rows.iter().map(row).collect())
            .unwrap_or_default()),
        "file_id" => {
            let id = source["id"].as_str().unwrap_or("");
            match call.store.get(call.namespace, files::KIND, id) {
                Found::Live(file) => Ok(jsonl(file.bytes.as_deref().unwrap_or_default())),
                _ => Err(json!({
                    "code": "file_not_found",
                    "message": format!("No such File object: {id}. The run cannot read its data."),
                })),
            }
        }
        "stored_completions" => Ok(stored_completions(call, source)),
        "responses" => Ok(stored_responses(call, source)),
        other => Err(json!({
            "code": "invalid_data_source",
            "message": format!("Unsupported data source type '{other}'."),
        })),
    }
}

/// One row of inline content or of a JSONL file: `{"item", "sample"}`, or a bare item.
fn row(value: &Value) -> Datum {
    match value.get("item") {
        Some(item) if item.is_object() => Datum::of(item.clone(), value.get("sample").cloned()),
        _ if value.is_object() => Datum::of(value.clone(), None),
        _ => Datum {
            item: json!({}),
            sample: None,
            error: Some("The line is not a JSON object.".into()),
        },
    }
}

/// The rows of a JSONL file; a line that is not JSON is a datum in error.
fn jsonl(bytes: &[u8]) -> Vec<Datum> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(value) => row(&value),
            Err(error) => Datum {
                item: json!({}),
                sample: None,
                error: Some(format!("The line is not valid JSON: {error}.")),
            },
        })
        .collect()
}

/// Whether a stored object passes a source's `model`, `metadata`, `created_after` and
/// `created_before` filters (`created` names its creation time).
fn passes(source: &Value, object: &Value, created: &str) -> bool {
    let model = source["model"].as_str();
    let created = object[created].as_i64().unwrap_or(0);
    model.is_none_or(|m| object["model"].as_str() == Some(m))
        && MetadataFilter::of(source.get("metadata")).matches(object)
        && source["created_after"]
            .as_i64()
            .is_none_or(|after| created >= after)
        && source["created_before"]
            .as_i64()
            .is_none_or(|before| created <= before)
}

/// The source's `limit` (all when absent).
fn limit(source: &Value) -> usize {
    source["limit"].as_u64().map_or(usize::MAX, |l| l as usize)
}

fn stored_completions(call: &Call, source: &Value) -> Vec<Datum> {
    call.store
        .list(call.namespace, chat_store::KIND, None)
        .iter()
        .filter(|c| passes(source, &c.body, "created"))
        .take(limit(source))
        .map(|completion| {
            let body = &completion.body;
            let input: Vec<Value> = completion.extra["messages"]
                .as_array()
                .map(|messages| {
                    messages
                        .iter()
                        .map(|m| json!({"role": m["role"], "content": m["content"].as_str().unwrap_or("")}))
                        .collect()
                })
                .unwrap_or_default();
            let message = &body["choices"][0]["message"];
            let output = vec![json!({
                "role": "assistant",
                "content": message["content"].as_str().unwrap_or(""),
            })];
            let usage = &body["usage"];
            let sample = json!({
                "input": input,
                "output": output,
                "finish_reason": body["choices"][0]["finish_reason"].as_str().unwrap_or("stop"),
                "model": body["model"],
                "usage": {
                    "prompt_tokens": usage["prompt_tokens"].as_u64().unwrap_or(0),
                    "completion_tokens": usage["completion_tokens"].as_u64().unwrap_or(0),
                    "total_tokens": usage["total_tokens"].as_u64().unwrap_or(0),
                    "cached_tokens": 0,
                },
                "error": null,
                "temperature": 1.0,
            });
            let item = json!({
                "id": completion.id,
                "model": body["model"],
                "metadata": body["metadata"],
                "input": input,
                "output": output,
            });
            Datum::of(item, Some(sample))
        })
        .collect()
}

fn stored_responses(call: &Call, source: &Value) -> Vec<Datum> {
    call.store
        .list(call.namespace, "response", None)
        .iter()
        .filter(|r| passes(source, &r.body, "created_at"))
        .take(limit(source))
        .map(|response| {
            let body = &response.body;
            let text: Vec<String> = body["output"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|o| o["type"] == "message")
                .map(|o| content_text(o.get("content")))
                .collect();
            let output = vec![json!({"role": "assistant", "content": text.join("\n")})];
            let item = json!({
                "id": response.id,
                "model": body["model"],
                "instructions": body["instructions"],
                "output": output,
            });
            let sample = json!({
                "input": [], "output": output, "finish_reason": "stop", "model": body["model"],
                "usage": {"prompt_tokens": body["usage"]["input_tokens"].as_u64().unwrap_or(0),
                          "completion_tokens": body["usage"]["output_tokens"].as_u64().unwrap_or(0),
                          "total_tokens": body["usage"]["total_tokens"].as_u64().unwrap_or(0),
                          "cached_tokens": 0},
                "error": null, "temperature": 1.0,
            });
            Datum::of(item, Some(sample))
        })
        .collect()
}

/// Samples every datum with the data source's `model` (when it names one), replacing any
/// sample it came with, and counts the tokens spent.
pub fn sample_all(data_source: &Value, datums: &mut [Datum], now: i64) -> Option<(String, Usage)> {
    let model = data_source["model"].as_str()?;
    if data_source["type"] == "jsonl" {
        return None;
    }
    let params = &data_source["sampling_params"];
    let mut usage = Usage::default();
    for (index, datum) in datums.iter_mut().enumerate() {
        if datum.error.is_some() {
            continue;
        }
        let messages = input_messages(&data_source["input_messages"], &datum.item);
        let seed = params["seed"].as_i64().unwrap_or(42);
        let mut rng = Rng::new(fnv1a(&[
            &seed.to_le_bytes(),
            &(index as u64).to_le_bytes(),
            datum.item.to_string().as_bytes(),
        ]));
        let sample = sample(model, params, &messages, now, &mut rng);
        usage.invocations += 1;
        usage.prompt_tokens += sample["usage"]["prompt_tokens"].as_u64().unwrap_or(0);
        usage.completion_tokens += sample["usage"]["completion_tokens"].as_u64().unwrap_or(0);
        datum.sample = Some(sample);
    }
    Some((model.to_string(), usage))
}

/// The messages a sample answers: the template's, filled from the item, or the item's own
/// (`item_reference`).
fn input_messages(input: &Value, item: &Value) -> Vec<Value> {
    let scope = scope(item, None);
    if let Some(path) = input["item_reference"].as_str() {
        return match resolve(&scope, path.trim_matches(|c| c == '{' || c == '}' || c == ' ')) {
            Some(Value::Array(messages)) => messages
                .iter()
                .map(|m| json!({"role": m["role"].as_str().unwrap_or("user"), "content": text_of(&m["content"])}))
                .collect(),
            Some(Value::String(text)) => vec![json!({"role": "user", "content": text})],
            Some(other) => vec![json!({"role": "user", "content": other.to_string()})],
            None => Vec::new(),
        };
    }
    input["template"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            json!({
                "role": m["role"].as_str().unwrap_or("user"),
                "content": render(&text_of(&m["content"]), &scope),
            })
        })
        .collect()
}

/// The text of an eval message's `content`: a string, a typed part, or a list of parts.
fn text_of(content: &Value) -> String {
    match content.get("text").and_then(Value::as_str) {
        Some(text) => text.to_string(),
        None => content_text(Some(content)),
    }
}

/// One sample of `model` for `messages`, in the output item's `sample` shape.
fn sample(model: &str, params: &Value, messages: &[Value], now: i64, rng: &mut Rng) -> Value {
    let encoding = Encoding::for_model(model);
    let context = chat::context_of(messages);
    let reply = text::reply(&context, rng);
    let format = params
        .get("response_format")
        .or_else(|| params.pointer("/text/format"));
    let full = chat::structured_text(format, &context, &reply, now, rng).unwrap_or(reply);
    let (output, cut) = match params["max_completion_tokens"].as_u64() {
        Some(max) => text::truncate_tokens(encoding, &full, max as usize),
        None => (full, false),
    };
    let prompt_tokens = chat::prompt_tokens(encoding, messages, &[]);
    let completion_tokens = encoding.count(&output);
    let mut sample = json!({
        "input": messages,
        "output": [{"role": "assistant", "content": output}],
        "finish_reason": if cut { "length" } else { "stop" },
        "model": model,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "cached_tokens": 0,
        },
        "error": null,
        "temperature": params["temperature"].as_f64().unwrap_or(1.0),
        "top_p": params["top_p"].as_f64().unwrap_or(1.0),
        "seed": params["seed"].as_i64().unwrap_or(42),
    });
    if let Some(max) = params["max_completion_tokens"].as_u64() {
        crate::endpoints::stored::set(&mut sample, "max_completion_tokens", json!(max));
    }
    sample
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_rows_are_items_with_optional_samples_and_bad_lines_are_errors() {
        let datums = jsonl(b"{\"item\": {\"a\": 1}, \"sample\": {\"output_text\": \"x\"}}\n{\"b\": 2}\n\nnot json\n[1]\n");
        assert_eq!(datums.len(), 4);
        assert_eq!(datums[0].item, json!({"a": 1}));
        assert_eq!(datums[0].sample, Some(json!({"output_text": "x"})));
        assert_eq!(datums[1].item, json!({"b": 2}));
        assert!(datums[2].error.is_some() && datums[3].error.is_some());
    }

    #[test]
    fn templates_and_references_give_the_messages() {
        let item = json!({"q": "What is 2+2?", "chat": [{"role": "user", "content": "Hi"}]});
        let template = json!({"type": "template", "template": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": {"type": "input_text", "text": "{{item.q}}"}},
        ]});
        let messages = input_messages(&template, &item);
        assert_eq!(
            messages[1],
            json!({"role": "user", "content": "What is 2+2?"})
        );
        let reference = json!({"type": "item_reference", "item_reference": "item.chat"});
        assert_eq!(
            input_messages(&reference, &item),
            vec![json!({"role": "user", "content": "Hi"})]
        );
    }
}
