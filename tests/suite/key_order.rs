//! A request's JSON key order never changes the answer: Python, JavaScript and Rust clients
//! serialise the same message with its keys in different orders, and must get the same reply
//! (apart from the fresh ids and the timestamps).

use crate::support::mock::{without_ids, Mock};
use serde_json::{json, Map, Value};

/// A reordering of one object's entries.
type Permutation = fn(&mut Vec<(String, Value)>);

/// `value` with the keys of every object permuted by `permute` (at every level).
fn reorder(value: &Value, permute: Permutation) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map
                .iter()
                .map(|(key, value)| (key.clone(), reorder(value, permute)))
                .collect();
            permute(&mut entries);
            Value::Object(entries.into_iter().collect::<Map<String, Value>>())
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| reorder(v, permute)).collect()),
        other => other.clone(),
    }
}

const PERMUTATIONS: [Permutation; 3] = [
    |entries| entries.reverse(),
    |entries| {
        let by = entries.len().min(1);
        entries.rotate_left(by)
    },
    |entries| entries.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0))),
];

/// The answer without ids (and call ids) and timestamps, with JSON text (tool arguments, structured output)
/// read as JSON: its keys follow the request's schema order, its values must not change.
fn meaning(answer: &Value) -> Value {
    let mut value = without_ids(answer);
    strip_times(&mut value);
    value
}

fn strip_times(value: &mut Value) {
    if let Some(parsed) = value
        .as_str()
        .filter(|text| text.starts_with('{'))
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
    {
        *value = parsed;
    }
    match value {
        Value::Object(map) => {
            for key in ["created", "created_at", "completed_at", "call_id"] {
                map.remove(key);
            }
            map.values_mut().for_each(strip_times);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_times),
        _ => {}
    }
}

async fn assert_order_free(mock: &Mock, path: &str, body: Value) {
    let (status, original) = mock.post(path, &body).await;
    assert_eq!(status, 200, "{path}: {original}");
    for permute in PERMUTATIONS {
        let shuffled = reorder(&body, permute);
        assert_ne!(
            shuffled.to_string(),
            body.to_string(),
            "the permutation changes the bytes"
        );
        let (status, answer) = mock.post(path, &shuffled).await;
        assert_eq!(status, 200, "{path}: {answer}");
        assert_eq!(meaning(&answer), meaning(&original), "{path}: {shuffled}");
    }
}

fn weather_tool_parameters() -> Value {
    json!({
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "City name"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7}
        },
        "required": ["location", "unit", "days"],
        "additionalProperties": false
    })
}

#[tokio::test]
async fn chat_answers_do_not_depend_on_key_order() {
    let mock = Mock::start().await;
    let messages = json!([
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": [{"type": "text", "text": "What is the weather in Lima? Use the tool."}]}
    ]);
    let tools = json!([{"type": "function", "function": {
        "name": "get_weather", "description": "Weather for a city",
        "parameters": weather_tool_parameters()}}]);
    let bodies = [
        json!({"model": "gpt-4o", "messages": messages, "temperature": 0.2}),
        json!({"model": "gpt-4o", "messages": messages, "tools": tools, "tool_choice": "auto"}),
        json!({"model": "gpt-4o", "messages": messages, "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "forecast", "strict": true, "schema": weather_tool_parameters()}}}),
        json!({"model": "gpt-4o", "messages": messages, "logprobs": true, "top_logprobs": 2}),
    ];
    for body in bodies {
        assert_order_free(&mock, "/chat/completions", body).await;
    }
}

#[tokio::test]
async fn responses_answers_do_not_depend_on_key_order() {
    let mock = Mock::start().await;
    let input = json!([
        {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "What is the weather in Oslo? Use the tool."}]}
    ]);
    let tools = json!([{"type": "function", "name": "get_weather",
        "description": "Weather for a city", "parameters": weather_tool_parameters()}]);
    let bodies = [
        json!({"model": "gpt-4.1", "input": input, "instructions": "Be brief."}),
        json!({"model": "gpt-4.1", "input": input, "tools": tools}),
        json!({"model": "gpt-4.1", "input": input, "text": {"format": {
            "type": "json_schema", "name": "forecast", "schema": weather_tool_parameters()}}}),
    ];
    for body in bodies {
        assert_order_free(&mock, "/responses", body).await;
    }
}

#[tokio::test]
async fn embeddings_and_token_counts_do_not_depend_on_key_order() {
    let mock = Mock::start().await;
    let embeddings = json!({"model": "text-embedding-3-small", "input": ["alpha", "beta"],
        "encoding_format": "float", "dimensions": 8});
    assert_order_free(&mock, "/embeddings", embeddings).await;
    let count = json!({"model": "gpt-4.1", "input": [{"type": "message", "role": "user",
        "content": [{"type": "input_text", "text": "Count me."}]}],
        "tools": [{"type": "function", "name": "f", "parameters": weather_tool_parameters()}]});
    assert_order_free(&mock, "/responses/input_tokens", count).await;
}
