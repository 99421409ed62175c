//! `/chat/completions` behaves like the model endpoint: context-aware content, `n`, token
//! limits, stop sequences, seeds, logprobs, structured outputs, tools, usage and streaming.
//! Every answer is checked against the spec's response schema, over real HTTP.

use crate::support::mock::{assert_valid_against, content, without_ids, Mock};
use openai_mock::services::tokens::Encoding;
use serde_json::{json, Value};
use std::collections::HashSet;

const OP: &str = "createChatCompletion";
const PATH: &str = "/chat/completions";

fn user(text: &str) -> Value {
    json!({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]})
}

fn weather_tool() -> Value {
    json!({"type": "function", "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "strict": true,
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["location", "unit"],
            "additionalProperties": false
        }
    }})
}

fn stock_tool() -> Value {
    json!({"type": "function", "function": {
        "name": "lookup_stock_price",
        "description": "Look up the latest share price of a listed company by ticker symbol",
        "parameters": {
            "type": "object",
            "properties": {
                "ticker": {"type": "string", "pattern": "^[A-Z]{1,5}$"},
                "exchange": {"type": "string", "enum": ["NYSE", "NASDAQ"]}
            },
            "required": ["ticker"]
        }
    }})
}

fn parameters_of(tools: &[Value], name: &str) -> Value {
    tools
        .iter()
        .find(|t| t["function"]["name"] == name)
        .map(|t| t["function"]["parameters"].clone())
        .expect("tool exists")
}

#[tokio::test]
async fn content_is_about_the_last_user_message_and_reads_like_prose() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4o-mini", "messages": [
        {"role": "user", "content": "Tell me about volcanoes."},
        {"role": "assistant", "content": "Volcanoes are openings in the crust."},
        {"role": "user", "content": "How do I bake sourdough bread?"}
    ]});
    let answer = mock.ok(OP, PATH, &body).await;
    let text = content(&answer, 0);
    assert!(text.to_lowercase().contains("sourdough bread"), "{text}");
    assert!(!text.to_lowercase().contains("volcano"), "{text}");
    assert!(!text.to_lowercase().contains("lorem"), "{text}");
    assert!(text.ends_with(['.', '?', '!']), "{text}");
    assert!(text.split_whitespace().count() < 60, "{text}");
    assert_eq!(answer["model"], "gpt-4o-mini");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn a_specific_system_persona_shapes_the_reply() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4o", "messages": [
        {"role": "system", "content": "You are a seasoned travel agent. Keep it friendly."},
        {"role": "user", "content": "What should I see in Lisbon?"}
    ]});
    let text = content(&mock.ok(OP, PATH, &body).await, 0);
    assert!(text.contains("a seasoned travel agent"), "{text}");
    assert!(text.contains("Lisbon"), "{text}");
}

#[tokio::test]
async fn explicit_requests_to_say_something_are_obeyed() {
    let mock = Mock::start().await;
    let said = content(&mock.ok(OP, PATH, &user("Say this is a test")).await, 0);
    assert_eq!(said, "This is a test.");
    let quoted = content(
        &mock
            .ok(OP, PATH, &user("Reply with \"pong\" and nothing else."))
            .await,
        0,
    );
    assert_eq!(quoted, "pong");
}

#[tokio::test]
async fn equal_requests_give_equal_answers_and_seeds_vary_them() {
    let mock = Mock::start().await;
    let prompts = [
        "Why is the sky blue?",
        "How do tides work?",
        "What is a black hole?",
        "Explain compound interest",
        "How do vaccines train the immune system?",
        "What makes a good espresso?",
    ];
    let mut request_seed_varied = false;
    for prompt in prompts {
        let mut body = user(prompt);
        body["seed"] = json!(1);
        let first = content(&mock.ok(OP, PATH, &body).await, 0);
        let again = content(&mock.ok(OP, PATH, &body).await, 0);
        assert_eq!(first, again, "equal requests differ");
        body["seed"] = json!(2);
        request_seed_varied |= content(&mock.ok(OP, PATH, &body).await, 0) != first;
    }
    assert!(request_seed_varied, "`seed` never changed the answer");

    let (a, b) = (Mock::with_seed(11).await, Mock::with_seed(12).await);
    let mut server_seed_varied = false;
    for prompt in prompts {
        let from_a = content(&a.ok(OP, PATH, &user(prompt)).await, 0);
        assert_eq!(from_a, content(&a.ok(OP, PATH, &user(prompt)).await, 0));
        server_seed_varied |= from_a != content(&b.ok(OP, PATH, &user(prompt)).await, 0);
    }
    assert!(server_seed_varied, "`--seed` never changed the answer");
}

#[tokio::test]
async fn n_gives_that_many_choices() {
    let mock = Mock::start().await;
    let mut body = user("Suggest a name for a bakery");
    body["n"] = json!(3);
    let answer = mock.ok(OP, PATH, &body).await;
    let choices = answer["choices"].as_array().expect("choices");
    assert_eq!(choices.len(), 3);
    for (i, choice) in choices.iter().enumerate() {
        assert_eq!(choice["index"], i);
        assert!(content(&answer, i).contains("bakery"));
    }
    let total: usize = (0..3)
        .map(|i| Encoding::O200k.count(&content(&answer, i)))
        .sum();
    assert_eq!(answer["usage"]["completion_tokens"], total);
}

#[tokio::test]
async fn token_limits_cut_the_content_and_finish_with_length() {
    let mock = Mock::start().await;
    let body = user("How do airplanes stay in the air?");
    let full = content(&mock.ok(OP, PATH, &body).await, 0);
    let pieces = Encoding::O200k.pieces(&full);
    assert!(pieces.len() > 7, "{full}");
    for field in ["max_completion_tokens", "max_tokens"] {
        let mut limited = body.clone();
        limited[field] = json!(7);
        let answer = mock.ok(OP, PATH, &limited).await;
        assert_eq!(content(&answer, 0), pieces[..7].concat(), "{field}");
        assert_eq!(answer["choices"][0]["finish_reason"], "length");
        assert_eq!(answer["usage"]["completion_tokens"], 7);
    }
    let mut roomy = body.clone();
    roomy["max_completion_tokens"] = json!(pieces.len());
    let answer = mock.ok(OP, PATH, &roomy).await;
    assert_eq!(content(&answer, 0), full);
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn stop_sequences_cut_before_the_first_match() {
    let mock = Mock::start().await;
    let body = user("What is the history of the printing press?");
    let full = content(&mock.ok(OP, PATH, &body).await, 0);
    let words: Vec<&str> = full.split(' ').collect();
    let stop = words[words.len() / 2];
    let expected = &full[..full.find(stop).expect("word is in the text")];
    for stop_value in [json!(stop), json!(["zzzz-not-there", stop])] {
        let mut with_stop = body.clone();
        with_stop["stop"] = stop_value;
        let answer = mock.ok(OP, PATH, &with_stop).await;
        assert_eq!(content(&answer, 0), expected);
        assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    }
}

#[tokio::test]
async fn logprobs_describe_exactly_the_returned_tokens() {
    let mock = Mock::start().await;
    let mut body = user("Describe the water cycle");
    body["logprobs"] = json!(true);
    body["top_logprobs"] = json!(3);
    let answer = mock.ok(OP, PATH, &body).await;
    let text = content(&answer, 0);
    let entries = answer["choices"][0]["logprobs"]["content"]
        .as_array()
        .expect("logprobs.content");
    let tokens: Vec<String> = entries
        .iter()
        .map(|e| e["token"].as_str().expect("token").to_string())
        .collect();
    assert_eq!(tokens, Encoding::O200k.pieces(&text));
    for entry in entries {
        let token = entry["token"].as_str().expect("token");
        let bytes: Vec<u8> = serde_json::from_value(entry["bytes"].clone()).expect("bytes");
        assert_eq!(bytes, token.as_bytes());
        let logprob = entry["logprob"].as_f64().expect("logprob");
        assert!(logprob <= 0.0);
        let top = entry["top_logprobs"].as_array().expect("top_logprobs");
        assert_eq!(top.len(), 3);
        assert_eq!(top[0]["token"], token);
        assert_eq!(top[0]["logprob"].as_f64(), Some(logprob));
    }
    let plain = mock.ok(OP, PATH, &user("Describe the water cycle")).await;
    assert!(plain["choices"][0]["logprobs"].is_null());
}

#[tokio::test]
async fn json_object_format_gives_a_json_object() {
    let mock = Mock::start().await;
    let mut body = user("List three facts about owls in JSON");
    body["response_format"] = json!({"type": "json_object"});
    let text = content(&mock.ok(OP, PATH, &body).await, 0);
    let value: Value = serde_json::from_str(&text).expect("content is JSON");
    assert!(value.is_object(), "{value}");
    assert!(value.to_string().contains("owls"), "{value}");
}

#[tokio::test]
async fn json_object_format_gives_the_keys_the_prompt_names() {
    let mock = Mock::start().await;
    let cases = [
        (
            "Reply in JSON with keys name and age for Ada Lovelace.",
            vec!["name", "age"],
        ),
        (
            "Return JSON with the fields `email`, `is_active` and tags.",
            vec!["email", "is_active", "tags"],
        ),
        (
            r#"Describe a film as JSON like {"title": "…", "year": 1999, "rating": 8.5}."#,
            vec!["title", "year", "rating"],
        ),
    ];
    for (prompt, keys) in cases {
        let mut body = user(prompt);
        body["response_format"] = json!({"type": "json_object"});
        let text = content(&mock.ok(OP, PATH, &body).await, 0);
        let value: Value = serde_json::from_str(&text).expect("content is JSON");
        let got: Vec<&str> = value
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(got, keys, "{prompt}: {value}");
        if let Some(age) = value.get("age") {
            assert!(age.is_u64(), "{value}");
        }
        if let Some(active) = value.get("is_active") {
            assert!(active.is_boolean() && value["tags"].is_array(), "{value}");
            assert!(
                value["email"].as_str().unwrap_or("").contains('@'),
                "{value}"
            );
        }
        if let Some(year) = value.get("year") {
            assert!(year.is_i64() && value["rating"].is_number(), "{value}");
        }
    }
    // A system prompt can name them too.
    let body = json!({"model": "gpt-4o", "response_format": {"type": "json_object"},
        "messages": [{"role": "system", "content": "Always answer in JSON with keys answer and confidence."},
                     {"role": "user", "content": "Is the sky blue?"}]});
    let text = content(&mock.ok(OP, PATH, &body).await, 0);
    let value: Value = serde_json::from_str(&text).expect("content is JSON");
    assert!(
        value["answer"].is_string() && value["confidence"].is_number(),
        "{value}"
    );
}

#[tokio::test]
async fn json_schema_format_gives_an_instance_of_the_schema() {
    let mock = Mock::start().await;
    let schemas = [
        json!({"type": "object", "additionalProperties": false,
        "required": ["name", "age", "hobbies"],
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer", "minimum": 0, "maximum": 150},
            "hobbies": {"type": "array", "items": {"type": "string"}, "minItems": 1}
        }}),
        json!({"type": "object", "additionalProperties": false, "required": ["steps", "final_answer"],
            "properties": {
                "steps": {"type": "array", "items": {"$ref": "#/$defs/step"}},
                "final_answer": {"type": "string"}
            },
            "$defs": {"step": {"type": "object", "additionalProperties": false,
                "required": ["explanation", "output"],
                "properties": {"explanation": {"type": "string"}, "output": {"type": "string"}}}}}),
        json!({"type": "object", "additionalProperties": false, "required": ["sentiment", "score", "when", "tags"],
        "properties": {
            "sentiment": {"type": "string", "enum": ["positive", "negative", "neutral"]},
            "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "when": {"type": ["string", "null"], "format": "date"},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true, "maxItems": 2},
            "code": {"anyOf": [{"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3}$"}, {"type": "null"}]}
        }}),
    ];
    for schema in schemas {
        // The last schema uses `uniqueItems` and an optional property: strict mode refuses
        // both (as the real API does), so it goes without `strict`.
        let strict = schema.pointer("/properties/code").is_none();
        let body = json!({"model": "gpt-4o-2024-08-06",
            "messages": [{"role": "user", "content": "Alice Smith is 34 and likes chess. Is that negative?"}],
            "response_format": {"type": "json_schema",
                "json_schema": {"name": "answer", "strict": strict, "schema": schema}}});
        let answer = mock.ok(OP, PATH, &body).await;
        let value: Value = serde_json::from_str(&content(&answer, 0)).expect("content is JSON");
        assert_valid_against(&schema, &value);
    }
    let person = json!({"model": "gpt-4o", "messages": [{"role": "user",
            "content": "Extract the person: yesterday Alice Smith turned 34."}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "person",
            "schema": {"type": "object", "properties": {"name": {"type": "string"},
                "age": {"type": "integer"}}, "required": ["name", "age"]}}}});
    let value: Value =
        serde_json::from_str(&content(&mock.ok(OP, PATH, &person).await, 0)).expect("JSON");
    assert_eq!(value, json!({"name": "Alice Smith", "age": 34}));
}

#[tokio::test]
async fn required_tool_choice_calls_tools_with_valid_arguments_and_unique_ids() {
    let mock = Mock::start().await;
    let tools = vec![weather_tool(), stock_tool()];
    let body = json!({"model": "gpt-4o", "n": 2, "tools": tools, "tool_choice": "required",
        "messages": [{"role": "user", "content": "Hello there"}]});
    let answer = mock.ok(OP, PATH, &body).await;
    let mut ids = HashSet::new();
    for choice in answer["choices"].as_array().expect("choices") {
        assert_eq!(choice["finish_reason"], "tool_calls");
        assert!(choice["message"]["content"].is_null());
        for call in choice["message"]["tool_calls"]
            .as_array()
            .expect("tool_calls")
        {
            assert!(
                ids.insert(call["id"].as_str().expect("id").to_string()),
                "repeated id"
            );
            let name = call["function"]["name"].as_str().expect("name");
            let arguments: Value =
                serde_json::from_str(call["function"]["arguments"].as_str().expect("arguments"))
                    .expect("arguments are JSON");
            assert_valid_against(&parameters_of(&tools, name), &arguments);
        }
    }
    assert_eq!(ids.len(), 2);
}

#[tokio::test]
async fn a_named_tool_is_called_and_finishes_with_stop() {
    let mock = Mock::start().await;
    let tools = vec![weather_tool(), stock_tool()];
    let body = json!({"model": "gpt-4o", "tools": tools,
        "tool_choice": {"type": "function", "function": {"name": "lookup_stock_price"}},
        "messages": [{"role": "user", "content": "How is Apple doing on the NASDAQ?"}]});
    let answer = mock.ok(OP, PATH, &body).await;
    let calls = answer["choices"][0]["message"]["tool_calls"]
        .as_array()
        .expect("tool_calls");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["function"]["name"], "lookup_stock_price");
    let arguments: Value = serde_json::from_str(
        calls[0]["function"]["arguments"]
            .as_str()
            .expect("arguments"),
    )
    .expect("JSON");
    assert_valid_against(&parameters_of(&tools, "lookup_stock_price"), &arguments);
    assert_eq!(arguments["exchange"], "NASDAQ");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn auto_tool_choice_calls_the_tools_the_message_refers_to() {
    let mock = Mock::start().await;
    let tools = vec![weather_tool(), stock_tool()];
    let called = |answer: &Value| -> Vec<String> {
        answer["choices"][0]["message"]["tool_calls"]
            .as_array()
            .map(|calls| {
                calls
                    .iter()
                    .map(|c| c["function"]["name"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let ask = |text: &str| {
        json!({"model": "gpt-4o", "tools": tools,
        "messages": [{"role": "user", "content": text}]})
    };
    // A word of the tool's name.
    let answer = mock
        .ok(
            OP,
            PATH,
            &ask("Will I need an umbrella? What's the weather in Oslo?"),
        )
        .await;
    assert_eq!(called(&answer), ["get_weather"]);
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
    let arguments: Value = serde_json::from_str(
        answer["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
            .as_str()
            .expect("arguments"),
    )
    .expect("JSON");
    assert_eq!(arguments["location"], "Oslo");
    // Two keywords of the description ("share", "company").
    let answer = mock
        .ok(OP, PATH, &ask("What does one share of that company cost?"))
        .await;
    assert_eq!(called(&answer), ["lookup_stock_price"]);
    // Nothing refers to a tool: a text answer.
    let answer = mock.ok(OP, PATH, &ask("Write a haiku about autumn")).await;
    assert!(called(&answer).is_empty());
    assert!(content(&answer, 0).contains("haiku about autumn"));
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    // `none` never calls.
    let mut none = ask("What's the weather in Oslo?");
    none["tool_choice"] = json!("none");
    assert!(called(&mock.ok(OP, PATH, &none).await).is_empty());
}

#[tokio::test]
async fn parallel_tool_calls_are_honoured() {
    let mock = Mock::start().await;
    let tools = vec![weather_tool(), stock_tool()];
    let text = "Give me the weather in Paris and the stock price of ACME";
    let mut body = json!({"model": "gpt-4o", "tools": tools,
        "messages": [{"role": "user", "content": text}]});
    let count = |answer: &Value| {
        answer["choices"][0]["message"]["tool_calls"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert_eq!(count(&mock.ok(OP, PATH, &body).await), 2);
    body["parallel_tool_calls"] = json!(false);
    assert_eq!(count(&mock.ok(OP, PATH, &body).await), 1);

    let places = json!({"model": "gpt-4o", "tools": [weather_tool()],
        "messages": [{"role": "user", "content": "Compare the weather in Paris, Tokyo and Lima"}]});
    let answer = mock.ok(OP, PATH, &places).await;
    let locations: Vec<Value> = answer["choices"][0]["message"]["tool_calls"]
        .as_array()
        .expect("tool_calls")
        .iter()
        .map(|call| {
            let arguments: Value =
                serde_json::from_str(call["function"]["arguments"].as_str().unwrap_or(""))
                    .expect("JSON");
            arguments["location"].clone()
        })
        .collect();
    assert_eq!(locations, [json!("Paris"), json!("Tokyo"), json!("Lima")]);
}

#[tokio::test]
async fn after_tool_messages_the_answer_uses_the_results() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4o", "tools": [weather_tool()], "messages": [
        {"role": "user", "content": "What's the weather in Oslo?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_abc", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"location\":\"Oslo\",\"unit\":\"celsius\"}"}}]},
        {"role": "tool", "tool_call_id": "call_abc",
            "content": "{\"temperature\": -3, \"conditions\": \"light snow\"}"}
    ]});
    let answer = mock.ok(OP, PATH, &body).await;
    let text = content(&answer, 0);
    assert!(answer["choices"][0]["message"]["tool_calls"].is_null());
    assert!(text.contains("get_weather"), "{text}");
    assert!(text.contains("-3"), "{text}");
    assert!(text.contains("light snow"), "{text}");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn legacy_functions_give_a_function_call() {
    let mock = Mock::start().await;
    let function = weather_tool()["function"].clone();
    let mut body = json!({"model": "gpt-3.5-turbo", "functions": [function],
        "messages": [{"role": "user", "content": "Weather in Rome, please"}]});
    let answer = mock.ok(OP, PATH, &body).await;
    let call = &answer["choices"][0]["message"]["function_call"];
    assert_eq!(call["name"], "get_weather");
    let arguments: Value =
        serde_json::from_str(call["arguments"].as_str().expect("arguments")).expect("JSON");
    assert_valid_against(&function["parameters"], &arguments);
    assert_eq!(arguments["location"], "Rome");
    assert_eq!(answer["choices"][0]["finish_reason"], "function_call");
    assert!(answer["choices"][0]["message"]["tool_calls"].is_null());

    body["function_call"] = json!("none");
    let answer = mock.ok(OP, PATH, &body).await;
    assert!(answer["choices"][0]["message"]["function_call"].is_null());
    assert!(content(&answer, 0).contains("Rome"));

    body["function_call"] = json!({"name": "get_weather"});
    body["messages"] = json!([{"role": "user", "content": "hi"}]);
    let answer = mock.ok(OP, PATH, &body).await;
    assert_eq!(
        answer["choices"][0]["message"]["function_call"]["name"],
        "get_weather"
    );
}

#[tokio::test]
async fn usage_counts_tokens_with_the_tokenizer() {
    let mock = Mock::start().await;
    // "hello world" is 2 tokens and "user" 1 in both o200k_base and cl100k_base:
    // 3 (message) + 1 + 2, plus 3 to prime the reply.
    for model in ["gpt-4o", "gpt-4"] {
        let mut body = user("hello world");
        body["model"] = json!(model);
        let answer = mock.ok(OP, PATH, &body).await;
        let usage = &answer["usage"];
        assert_eq!(usage["prompt_tokens"], 9, "{model}");
        let encoding = Encoding::for_model(model);
        assert_eq!(
            usage["completion_tokens"],
            encoding.count(&content(&answer, 0)),
            "{model}"
        );
        assert_eq!(
            usage["total_tokens"].as_u64(),
            Some(
                usage["prompt_tokens"].as_u64().unwrap_or(0)
                    + usage["completion_tokens"].as_u64().unwrap_or(0)
            )
        );
        for detail in ["cached_tokens", "audio_tokens"] {
            assert_eq!(usage["prompt_tokens_details"][detail], 0);
        }
        for detail in [
            "reasoning_tokens",
            "audio_tokens",
            "accepted_prediction_tokens",
            "rejected_prediction_tokens",
        ] {
            assert_eq!(usage["completion_tokens_details"][detail], 0);
        }
    }
    // A name costs its tokens plus one; the system message its own overhead.
    let body = json!({"model": "gpt-4o", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "name": "ada", "content": "hello world"}]});
    let answer = mock.ok(OP, PATH, &body).await;
    let e = Encoding::O200k;
    let expected = 3
        + (3 + e.count("system") + e.count("Be brief."))
        + (3 + e.count("user") + e.count("hello world") + e.count("ada") + 1);
    assert_eq!(answer["usage"]["prompt_tokens"], expected);
}

#[tokio::test]
async fn reasoning_models_report_reasoning_tokens_within_the_budget() {
    let mock = Mock::start().await;
    let mut body = user("Why do cats purr?");
    body["model"] = json!("o3-mini");
    let answer = mock.ok(OP, PATH, &body).await;
    let details = &answer["usage"]["completion_tokens_details"];
    let reasoning = details["reasoning_tokens"]
        .as_u64()
        .expect("reasoning tokens");
    assert!(reasoning > 0);
    let visible = Encoding::O200k.count(&content(&answer, 0)) as u64;
    assert_eq!(
        answer["usage"]["completion_tokens"].as_u64(),
        Some(visible + reasoning)
    );

    body["max_completion_tokens"] = json!(40);
    let answer = mock.ok(OP, PATH, &body).await;
    assert!(answer["usage"]["completion_tokens"].as_u64().unwrap_or(99) <= 40);
    assert_eq!(
        answer["usage"]["completion_tokens_details"]["reasoning_tokens"],
        20
    );
    assert_eq!(answer["choices"][0]["finish_reason"], "length");
}

/// The chunks of a streamed chat completion, checked against the chunk schema.
async fn chunks(mock: &Mock, body: &Value) -> Vec<Value> {
    let events = mock.stream(PATH, body).await;
    let (done, chunks) = events.split_last().expect("events");
    assert_eq!(done.data, "[DONE]");
    chunks
        .iter()
        .map(|event| {
            let chunk = event.json();
            mock.assert_valid_event(OP, &chunk);
            chunk
        })
        .collect()
}

#[tokio::test]
async fn streamed_chunks_arrive_in_order_and_join_into_the_answer() {
    let mock = Mock::start().await;
    let mut body = user("What is the best way to learn the piano?");
    body["logprobs"] = json!(true);
    let answer = mock.ok(OP, PATH, &body).await;
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let chunks = chunks(&mock, &body).await;

    let (usage, chunks) = chunks.split_last().expect("usage chunk");
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"], answer["usage"]);
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let (last, deltas) = chunks[1..].split_last().expect("finish chunk");
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert_eq!(last["choices"][0]["delta"], json!({}));
    let mut joined = String::new();
    let mut logprob_tokens = Vec::new();
    for chunk in deltas {
        assert!(chunk["usage"].is_null());
        assert_eq!(chunk["id"], chunks[0]["id"], "one id for the whole stream");
        assert!(chunk["id"].as_str().unwrap_or("").starts_with("chatcmpl-"));
        let choice = &chunk["choices"][0];
        assert!(choice["finish_reason"].is_null());
        let piece = choice["delta"]["content"].as_str().expect("content delta");
        let tokens = Encoding::O200k.count(piece);
        assert!((1..=3).contains(&tokens), "{piece:?} has {tokens} tokens");
        joined.push_str(piece);
        for entry in choice["logprobs"]["content"]
            .as_array()
            .expect("chunk logprobs")
        {
            logprob_tokens.push(entry["token"].as_str().unwrap_or("").to_string());
        }
    }
    assert!(deltas.len() > 3);
    assert_eq!(joined, content(&answer, 0));
    assert_eq!(logprob_tokens.concat(), joined);
}

#[tokio::test]
async fn streamed_tool_calls_send_id_and_name_then_argument_fragments() {
    let mock = Mock::start().await;
    let mut body = json!({"model": "gpt-4o", "tools": [weather_tool(), stock_tool()],
        "messages": [{"role": "user", "content": "Weather in Lima and the stock price of ACME?"}]});
    let answer = mock.ok(OP, PATH, &body).await;
    let expected = answer["choices"][0]["message"]["tool_calls"]
        .as_array()
        .expect("tool_calls")
        .clone();
    assert_eq!(expected.len(), 2);
    body["stream"] = json!(true);
    let chunks = chunks(&mock, &body).await;
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let mut calls: Vec<(String, String, String)> = Vec::new();
    for chunk in &chunks[1..chunks.len() - 1] {
        for part in chunk["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .expect("tool call delta")
        {
            let index = part["index"].as_u64().expect("index") as usize;
            if let Some(id) = part["id"].as_str() {
                assert_eq!(index, calls.len(), "a call opens once, in order");
                assert_eq!(part["function"]["arguments"], "");
                let name = part["function"]["name"].as_str().expect("name with the id");
                calls.push((id.to_string(), name.to_string(), String::new()));
            } else {
                assert!(part["function"]["name"].is_null());
                let fragment = part["function"]["arguments"].as_str().expect("fragment");
                calls[index].2.push_str(fragment);
            }
        }
    }
    let last = chunks.last().expect("finish chunk");
    assert_eq!(last["choices"][0]["finish_reason"], "tool_calls");
    let streamed: Vec<Value> = calls
        .into_iter()
        .map(|(id, name, arguments)| {
            json!({"id": id, "type": "function",
            "function": {"name": name, "arguments": arguments}})
        })
        .collect();
    assert!(streamed
        .iter()
        .all(|call| call["id"].as_str().unwrap_or("").starts_with("call_")));
    assert_eq!(without_ids(&json!(streamed)), without_ids(&json!(expected)));
}

#[tokio::test]
async fn streamed_legacy_function_calls_join_into_the_answer() {
    let mock = Mock::start().await;
    let mut body = json!({"model": "gpt-3.5-turbo", "functions": [weather_tool()["function"]],
        "messages": [{"role": "user", "content": "Weather in Rome?"}]});
    let answer = mock.ok(OP, PATH, &body).await;
    body["stream"] = json!(true);
    let chunks = chunks(&mock, &body).await;
    let mut name = String::new();
    let mut arguments = String::new();
    for chunk in &chunks {
        let call = &chunk["choices"][0]["delta"]["function_call"];
        name.push_str(call["name"].as_str().unwrap_or(""));
        arguments.push_str(call["arguments"].as_str().unwrap_or(""));
    }
    assert_eq!(name, "get_weather");
    assert_eq!(
        arguments,
        answer["choices"][0]["message"]["function_call"]["arguments"]
    );
    assert_eq!(
        chunks.last().expect("finish")["choices"][0]["finish_reason"],
        "function_call"
    );
}

#[tokio::test]
async fn streaming_n_choices_and_length_limits_match_the_answer() {
    let mock = Mock::start().await;
    let mut body = user("Tell me about the Roman empire");
    body["n"] = json!(2);
    body["max_tokens"] = json!(10);
    let answer = mock.ok(OP, PATH, &body).await;
    body["stream"] = json!(true);
    let chunks = chunks(&mock, &body).await;
    for index in 0..2 {
        let mut joined = String::new();
        let mut finish = Value::Null;
        for chunk in &chunks {
            let choice = &chunk["choices"][0];
            if choice["index"] == index {
                joined.push_str(choice["delta"]["content"].as_str().unwrap_or(""));
                if !choice["finish_reason"].is_null() {
                    finish = choice["finish_reason"].clone();
                }
            }
        }
        assert_eq!(joined, content(&answer, index));
        assert_eq!(finish, "length");
    }
}

#[tokio::test]
async fn requests_the_real_api_refuses_get_a_400() {
    let mock = Mock::start().await;
    let mut no_json = user("List three owls");
    no_json["response_format"] = json!({"type": "json_object"});
    let (status, error) = mock.post(PATH, &no_json).await;
    assert_eq!(status, 400);
    assert_eq!(
        error["error"]["message"],
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
    );
    assert_eq!(error["error"]["param"], "messages");

    let mut forced_without_tools = user("hi");
    forced_without_tools["tool_choice"] = json!("required");
    let (status, error) = mock.post(PATH, &forced_without_tools).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"]["param"], "tool_choice");
    assert_eq!(error["error"]["code"], "invalid_value");

    let unknown = json!({"model": "gpt-4o", "tools": [weather_tool()],
        "tool_choice": {"type": "function", "function": {"name": "get_time"}},
        "messages": [{"role": "user", "content": "hi"}]});
    let (status, error) = mock.post(PATH, &unknown).await;
    assert_eq!(status, 400);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("'get_time'"),
        "{error}"
    );
    // The server keeps answering.
    mock.ok(OP, PATH, &user("still there?")).await;
}

#[tokio::test]
async fn custom_tools_get_free_text_input_matching_their_grammar() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-5", "tool_choice": "required", "tools": [{"type": "custom",
        "custom": {"name": "ticket_code", "description": "Make a ticket code",
            "format": {"type": "grammar", "grammar": {"syntax": "regex", "definition": "^[A-Z]{3}-[0-9]{4}$"}}}}],
        "messages": [{"role": "user", "content": "Open a ticket"}]});
    let answer = mock.ok(OP, PATH, &body).await;
    let call = &answer["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["type"], "custom");
    assert_eq!(call["custom"]["name"], "ticket_code");
    assert_valid_against(
        &json!({"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"}),
        &call["custom"]["input"],
    );
}

#[tokio::test]
async fn audio_output_carries_the_transcript_and_a_wav() {
    use base64::Engine;
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4o-audio-preview", "modalities": ["text", "audio"],
        "audio": {"voice": "alloy", "format": "wav"},
        "messages": [{"role": "user", "content": "Open a jazz radio show"}]});
    let answer = mock.ok(OP, PATH, &body).await;
    let message = &answer["choices"][0]["message"];
    assert!(message["content"].is_null());
    let transcript = message["audio"]["transcript"].as_str().expect("transcript");
    assert!(transcript.contains("jazz radio"), "{transcript}");
    assert_eq!(
        answer["usage"]["completion_tokens"],
        Encoding::O200k.count(transcript)
    );
    let wav = base64::engine::general_purpose::STANDARD
        .decode(message["audio"]["data"].as_str().expect("data"))
        .expect("base64");
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
}
