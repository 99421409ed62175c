//! The second turn: every output item the mock can produce (each branch of the spec's
//! `OutputItem` union, as the generator makes it) is accepted back as Responses input, with its
//! output-only fields and without them; a malformed one gets a 400 that names the field. Chat
//! Completions accepts an assistant message as the API returned it. The semantic checks
//! refuse what the real API refuses.

use crate::support::mock::Mock;
use openai_mock::catalog::Catalog;
use openai_mock::generate::{Generator, Rng};
use openai_mock::services::model::reasoning;
use serde_json::{json, Value};

/// The component names of a union's branches in the compiled catalog.
fn branches(catalog: &Catalog, union: &str) -> Vec<String> {
    let schema = catalog.schemas.component(union).expect("union");
    schema
        .get("anyOf")
        .and_then(Value::as_array)
        .expect("branches")
        .iter()
        .filter_map(|b| b["$ref"].as_str())
        .map(|r| r.rsplit('/').next().unwrap_or("").to_string())
        .collect()
}

/// Every output item type, generated in full, with one `call_id` shared by all. An
/// `additional_tools` item's `role` is any message role in the output schema, but only
/// `developer` on input, the one the API gives it.
fn output_items(catalog: &Catalog) -> Vec<Value> {
    let empty = serde_json::Map::new();
    branches(catalog, "OutputItem")
        .iter()
        .map(|name| {
            let schema = catalog.schemas.component(name).expect("component");
            let mut generator =
                Generator::new(&catalog.schemas, &empty, Rng::new(3), 1_700_000_000);
            let mut item = generator.generate(schema);
            if item.get("call_id").is_some() {
                item["call_id"] = json!("call_rt");
            }
            if item["type"] == "additional_tools" {
                item["role"] = json!("developer");
            }
            // Encrypted reasoning is what the mock sealed, not the generator's placeholder.
            if item.get("encrypted_content").is_some() && item["type"] == "reasoning" {
                item["encrypted_content"] = json!(reasoning::seal(&mut Rng::new(5)));
            }
            item
        })
        .collect()
}

/// The fields the input union requires of items of type `kind`.
fn input_required(catalog: &Catalog, kind: &str) -> Vec<String> {
    let mut names = branches(catalog, "Item");
    names.extend(branches(catalog, "InputItem"));
    for name in names {
        let schema = catalog.schemas.component(&name).expect("branch");
        let (schema, _) = catalog.schemas.resolve(schema);
        let props = &schema["properties"]["type"];
        let kinds = [&props["enum"][0], &props["const"], &props["default"]];
        if kinds.iter().any(|k| k.as_str() == Some(kind)) {
            return schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect();
        }
    }
    Vec::new()
}

/// `item` without what the server assigns: `id` and `status` where the input union does not
/// require them, and `logprobs` of content parts.
fn without_output_only(catalog: &Catalog, item: &Value) -> Value {
    let mut item = item.clone();
    let required = input_required(catalog, item["type"].as_str().unwrap_or(""));
    if let Some(map) = item.as_object_mut() {
        map.retain(|key, _| !["id", "status"].contains(&key.as_str()) || required.contains(key));
        if let Some(parts) = map.get_mut("content").and_then(Value::as_array_mut) {
            for part in parts.iter_mut().filter_map(Value::as_object_mut) {
                part.remove("logprobs");
            }
        }
    }
    item
}

/// The input that carries `item`: after its call when it is a tool output.
fn input_for(items: &[Value], item: &Value) -> Value {
    let kind = item["type"].as_str().unwrap_or("");
    let call = kind
        .strip_suffix("_output")
        .and_then(|call| items.iter().find(|other| other["type"] == call));
    match call {
        Some(call) => json!([call, item]),
        None => json!([item]),
    }
}

#[tokio::test]
async fn every_output_item_is_accepted_back_as_input_with_and_without_output_only_fields() {
    let mock = Mock::start().await;
    let catalog = Catalog::embedded();
    let items = output_items(&catalog);
    assert!(
        items.len() >= 25,
        "the spec's output items: {}",
        items.len()
    );
    let mut refused = Vec::new();
    for item in &items {
        for sent in [item.clone(), without_output_only(&catalog, item)] {
            let body = json!({"model": "gpt-4.1", "input": input_for(&items, &sent)});
            let (status, answer) = mock.post("/responses", &body).await;
            if status != 200 {
                refused.push(format!("{sent}\n  -> {status} {answer}"));
            }
        }
    }
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
}

#[tokio::test]
async fn tool_outputs_as_clients_build_them_are_accepted() {
    let mock = Mock::start().await;
    let call = json!({"type": "custom_tool_call", "call_id": "call_1", "name": "run",
                      "input": "print(1)"});
    let body = json!({"model": "gpt-4.1", "tools": [{"type": "custom", "name": "run"}],
        "input": [{"role": "user", "content": "Run it"}, call,
                  {"type": "custom_tool_call_output", "call_id": "call_1", "output": "1"}]});
    let (status, answer) = mock.post("/responses", &body).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn an_assistant_message_as_clients_keep_it_is_accepted() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4.1", "input": [
        {"role": "user", "content": "Say hi"},
        {"type": "message", "role": "assistant",
         "content": [{"type": "output_text", "text": "Hi!", "annotations": []}]},
        {"role": "user", "content": "Again"}]});
    let (status, answer) = mock.post("/responses", &body).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn a_malformed_output_item_gets_a_400_naming_the_field() {
    let mock = Mock::start().await;
    let cases = [
        (
            json!({"type": "function_call", "call_id": "call_1", "name": "f", "arguments": 5}),
            "input[0].arguments",
        ),
        (
            json!({"type": "function_call", "call_id": "call_1", "arguments": "{}"}),
            "input[0].name",
        ),
        (
            json!({"type": "reasoning", "summary": "none"}),
            "input[0].summary",
        ),
    ];
    for (item, param) in cases {
        let body = json!({"model": "gpt-4.1", "input": [item]});
        let (status, answer) = mock.post("/responses", &body).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"]["param"], param, "{answer}");
    }
}

#[tokio::test]
async fn a_chat_completion_message_is_accepted_back_as_it_came() {
    let mock = Mock::start().await;
    let tool = json!({"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}});
    let first = json!({"model": "gpt-4o", "tools": [tool],
        "messages": [{"role": "user", "content": "What's the weather in Paris?"}]});
    let (status, answer) = mock.post("/chat/completions", &first).await;
    assert_eq!(status, 200, "{answer}");
    let message = answer["choices"][0]["message"].clone();
    let id = message["tool_calls"][0]["id"].clone();
    let second = json!({"model": "gpt-4o", "tools": [tool], "messages": [
        {"role": "user", "content": "What's the weather in Paris?"}, message,
        {"role": "tool", "tool_call_id": id, "content": "Sunny, 21 C"}]});
    let (status, answer) = mock.post("/chat/completions", &second).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["choices"][0]["message"]["content"].is_string());
}

#[tokio::test]
async fn semantic_checks_refuse_what_the_real_api_refuses() {
    let mock = Mock::start().await;
    let call = json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_1",
        "type": "function", "function": {"name": "f", "arguments": "{}"}}]});
    let cases = [
        (
            "/chat/completions",
            json!({"model": "gpt-4o", "messages": [
            {"role": "user", "content": "hi"}, call,
            {"role": "tool", "tool_call_id": "call_2", "content": "1"}]}),
            "messages.[2].tool_call_id",
        ),
        (
            "/chat/completions",
            json!({"model": "gpt-4o", "messages": [
            {"role": "user", "content": "hi"}, call, {"role": "user", "content": "and?"}]}),
            "messages.[1].role",
        ),
        (
            "/responses",
            json!({"model": "gpt-4.1", "input": [
            {"type": "function_call_output", "call_id": "call_x", "output": "1"}]}),
            "input",
        ),
        (
            "/responses",
            json!({"model": "gpt-4.1", "input": "hi", "text": {"format": {
            "type": "json_schema", "name": "out", "strict": true,
            "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}}),
            "text.format.schema",
        ),
    ];
    for (path, body, param) in cases {
        let (status, answer) = mock.post(path, &body).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert_eq!(answer["error"]["param"], param, "{answer}");
    }
}
