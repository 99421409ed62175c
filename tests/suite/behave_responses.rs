//! `/responses` behaves like the model endpoint: message and function-call items,
//! structured text, reasoning items, echoed settings, tokenizer usage, the full streaming
//! event sequence, and `/responses/input_tokens`. Every answer and event is checked
//! against the spec's schemas, over real HTTP.

use crate::support::mock::{assert_valid_against, without_ids, Mock};
use openai_mock::services::tokens::Encoding;
use serde_json::{json, Value};

const OP: &str = "createResponse";
const PATH: &str = "/responses";

fn output_text(answer: &Value) -> String {
    answer["output"]
        .as_array()
        .expect("output")
        .iter()
        .filter(|item| item["type"] == "message")
        .flat_map(|item| item["content"].as_array().cloned().unwrap_or_default())
        .filter(|part| part["type"] == "output_text")
        .map(|part| part["text"].as_str().unwrap_or("").to_string())
        .collect()
}

fn kinds(answer: &Value) -> Vec<String> {
    answer["output"]
        .as_array()
        .expect("output")
        .iter()
        .map(|item| item["type"].as_str().unwrap_or("").to_string())
        .collect()
}

fn flight_tool() -> Value {
    json!({"type": "function", "name": "search_flights", "strict": true,
    "description": "Search flights between two airports on a date",
    "parameters": {"type": "object", "additionalProperties": false,
        "required": ["origin", "destination", "date", "passengers"],
        "properties": {
            "origin": {"type": "string"},
            "destination": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "passengers": {"type": "integer", "minimum": 1, "maximum": 9}
        }}})
}

#[tokio::test]
async fn text_output_is_a_message_about_the_input() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4.1", "input": "What causes the northern lights?"});
    let answer = mock.ok(OP, PATH, &body).await;
    assert_eq!(kinds(&answer), ["message"]);
    let message = &answer["output"][0];
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["status"], "completed");
    assert!(message["id"].as_str().unwrap_or("").starts_with("msg_"));
    let text = output_text(&answer);
    assert!(text.contains("northern lights"), "{text}");
    assert_eq!(answer["status"], "completed");
    assert!(answer["id"].as_str().unwrap_or("").starts_with("resp_"));

    // Message arrays work too; the last user message decides the topic.
    let body = json!({"model": "gpt-4.1", "input": [
        {"role": "user", "content": "Tell me about glaciers."},
        {"role": "assistant", "content": "Glaciers are slow rivers of ice."},
        {"role": "user", "content": [{"type": "input_text", "text": "And how do coral reefs form?"}]}
    ]});
    let text = output_text(&mock.ok(OP, PATH, &body).await);
    assert!(text.to_lowercase().contains("coral reefs"), "{text}");
}

#[tokio::test]
async fn function_tools_give_function_call_items_with_valid_arguments() {
    let mock = Mock::start().await;
    let tool = flight_tool();
    let body = json!({"model": "gpt-4.1", "tools": [tool],
        "input": "Find flights from Boston to Denver for 2 people"});
    let answer = mock.ok(OP, PATH, &body).await;
    assert_eq!(kinds(&answer), ["function_call"]);
    let call = &answer["output"][0];
    assert_eq!(call["name"], "search_flights");
    assert!(call["call_id"].as_str().unwrap_or("").starts_with("call_"));
    assert!(call["id"].as_str().unwrap_or("").starts_with("fc_"));
    let arguments: Value =
        serde_json::from_str(call["arguments"].as_str().expect("arguments")).expect("JSON");
    assert_valid_against(&tool["parameters"], &arguments);
    assert_eq!(arguments["origin"], "Boston");
    assert_eq!(arguments["destination"], "Denver");
    assert_eq!(arguments["passengers"], 2);

    let forced = json!({"model": "gpt-4.1", "tools": [tool], "input": "hello",
        "tool_choice": {"type": "function", "name": "search_flights"}});
    assert_eq!(kinds(&mock.ok(OP, PATH, &forced).await), ["function_call"]);
    let none = json!({"model": "gpt-4.1", "tools": [tool], "tool_choice": "none",
        "input": "Find flights from Boston to Denver"});
    assert_eq!(kinds(&mock.ok(OP, PATH, &none).await), ["message"]);
}

#[tokio::test]
async fn function_outputs_are_used_in_the_answer() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4.1", "tools": [flight_tool()], "input": [
        {"role": "user", "content": "Find flights from Boston to Denver"},
        {"type": "function_call", "call_id": "call_1", "name": "search_flights",
            "arguments": "{\"origin\":\"Boston\",\"destination\":\"Denver\",\"date\":\"2026-01-02\",\"passengers\":1}"},
        {"type": "function_call_output", "call_id": "call_1",
            "output": "{\"cheapest_fare\": 129, \"airline\": \"Frontier\"}"}
    ]});
    let answer = mock.ok(OP, PATH, &body).await;
    assert_eq!(kinds(&answer), ["message"]);
    let text = output_text(&answer);
    assert!(text.contains("search_flights"), "{text}");
    assert!(text.contains("129") && text.contains("Frontier"), "{text}");
}

#[tokio::test]
async fn json_schema_text_format_gives_schema_valid_text() {
    let mock = Mock::start().await;
    let schema = json!({"type": "object", "additionalProperties": false,
    "required": ["title", "ingredients", "minutes"],
    "properties": {
        "title": {"type": "string"},
        "ingredients": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "minutes": {"type": "integer", "minimum": 1}
    }});
    let body = json!({"model": "gpt-4o", "input": "Give me a pancake recipe",
        "text": {"format": {"type": "json_schema", "name": "recipe", "strict": true, "schema": schema}}});
    let answer = mock.ok(OP, PATH, &body).await;
    let value: Value = serde_json::from_str(&output_text(&answer)).expect("text is JSON");
    assert_valid_against(&schema, &value);
    assert_eq!(answer["text"]["format"]["name"], "recipe");
}

#[tokio::test]
async fn reasoning_models_get_a_reasoning_item() {
    let mock = Mock::start().await;
    for model in ["o3-mini", "gpt-5", "o4-mini"] {
        let body = json!({"model": model, "input": "Is 97 prime?"});
        let answer = mock.ok(OP, PATH, &body).await;
        assert_eq!(kinds(&answer), ["reasoning", "message"], "{model}");
        assert!(answer["output"][0]["id"]
            .as_str()
            .unwrap_or("")
            .starts_with("rs_"));
        assert_eq!(answer["output"][0]["summary"], json!([]));
        let reasoning = answer["usage"]["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .expect("reasoning tokens");
        assert!(reasoning > 0, "{model}");
        assert_eq!(answer["reasoning"]["effort"], "medium");
    }
    let body = json!({"model": "o3", "input": "Is 97 prime?",
        "reasoning": {"effort": "high", "summary": "auto"},
        "include": ["reasoning.encrypted_content"]});
    let answer = mock.ok(OP, PATH, &body).await;
    let summary = answer["output"][0]["summary"][0]["text"]
        .as_str()
        .expect("summary");
    assert!(summary.contains("97 prime"), "{summary}");
    assert!(answer["output"][0]["encrypted_content"].is_string());
    assert_eq!(
        answer["reasoning"],
        json!({"effort": "high", "summary": "auto"})
    );

    let plain = mock
        .ok(
            OP,
            PATH,
            &json!({"model": "gpt-4o", "input": "Is 97 prime?"}),
        )
        .await;
    assert_eq!(kinds(&plain), ["message"]);
    assert!(plain["reasoning"].is_null());
    assert_eq!(
        plain["usage"]["output_tokens_details"]["reasoning_tokens"],
        0
    );
}

#[tokio::test]
async fn request_settings_are_echoed() {
    let mock = Mock::start().await;
    let tools = json!([flight_tool()]);
    let body = json!({"model": "gpt-4o-mini", "input": "Tell me a fun fact",
        "instructions": "Answer like a museum guide.",
        "metadata": {"trace": "t-1", "team": "search"},
        "tools": tools, "tool_choice": "none", "previous_response_id": "resp_previous123",
        "temperature": 0.2, "top_p": 0.9, "parallel_tool_calls": false,
        "truncation": "auto", "store": false, "max_output_tokens": 500,
        "conversation": "conv_123", "user": "user-7"});
    let answer = mock.ok(OP, PATH, &body).await;
    for key in [
        "instructions",
        "metadata",
        "tools",
        "tool_choice",
        "previous_response_id",
        "temperature",
        "top_p",
        "parallel_tool_calls",
        "truncation",
        "store",
        "max_output_tokens",
        "user",
        "model",
    ] {
        assert_eq!(answer[key], body[key], "{key}");
    }
    assert_eq!(answer["conversation"], json!({"id": "conv_123"}));

    let defaults = mock
        .ok(OP, PATH, &json!({"model": "gpt-4o-mini", "input": "hi"}))
        .await;
    assert!(defaults["instructions"].is_null());
    assert!(defaults["previous_response_id"].is_null());
    assert_eq!(defaults["metadata"], json!({}));
    assert_eq!(defaults["tools"], json!([]));
    assert_eq!(defaults["tool_choice"], "auto");
    assert_eq!(defaults["parallel_tool_calls"], true);
}

#[tokio::test]
async fn usage_and_input_tokens_count_with_the_tokenizer() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4o", "input": "hello world"});
    let answer = mock.ok(OP, PATH, &body).await;
    // 3 (message) + "user" (1) + "hello world" (2), plus 3 to prime the reply.
    assert_eq!(answer["usage"]["input_tokens"], 9);
    let text = output_text(&answer);
    assert_eq!(
        answer["usage"]["output_tokens"],
        Encoding::O200k.count(&text)
    );
    assert_eq!(answer["usage"]["input_tokens_details"]["cached_tokens"], 0);

    let bodies = [
        body.clone(),
        json!({"model": "gpt-4o", "instructions": "Be terse.", "input": [
            {"role": "user", "content": "Plan a weekend in Rome"},
            {"role": "assistant", "content": "Sure, for how many people?"},
            {"role": "user", "content": [{"type": "input_text", "text": "Two adults."}]}]}),
        json!({"model": "gpt-4o", "tools": [flight_tool()], "input": "Flights from Oslo to Rome"}),
    ];
    for body in bodies {
        let answer = mock.ok(OP, PATH, &body).await;
        let (status, counted) = mock.post("/responses/input_tokens", &body).await;
        assert_eq!(status, 200);
        mock.assert_valid_response("Getinputtokencounts", &counted);
        assert_eq!(counted["object"], "response.input_tokens");
        assert_eq!(
            counted["input_tokens"], answer["usage"]["input_tokens"],
            "{body}"
        );
    }
    let e = Encoding::O200k;
    let (_, counted) = mock
        .post(
            "/responses/input_tokens",
            &json!({"model": "gpt-4o",
            "instructions": "Be terse.", "input": "hello world"}),
        )
        .await;
    let expected = 3
        + (3 + e.count("system") + e.count("Be terse."))
        + (3 + e.count("user") + e.count("hello world"));
    assert_eq!(counted["input_tokens"], expected);
}

#[tokio::test]
async fn max_output_tokens_makes_an_incomplete_response() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4o", "input": "Explain how rainbows form in detail"});
    let full = output_text(&mock.ok(OP, PATH, &body).await);
    let mut limited = body.clone();
    limited["max_output_tokens"] = json!(16);
    let answer = mock.ok(OP, PATH, &limited).await;
    assert_eq!(answer["status"], "incomplete");
    assert_eq!(answer["incomplete_details"]["reason"], "max_output_tokens");
    assert_eq!(answer["output"][0]["status"], "incomplete");
    assert_eq!(
        output_text(&answer),
        Encoding::O200k.pieces(&full)[..16].concat()
    );
    assert_eq!(answer["usage"]["output_tokens"], 16);
}

#[tokio::test]
async fn logprobs_are_included_when_asked_for() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4o", "input": "Describe a sunset",
        "top_logprobs": 2, "include": ["message.output_text.logprobs"]});
    let answer = mock.ok(OP, PATH, &body).await;
    let part = &answer["output"][0]["content"][0];
    let entries = part["logprobs"].as_array().expect("logprobs");
    let tokens: String = entries
        .iter()
        .map(|e| e["token"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(tokens, part["text"].as_str().unwrap_or(""));
    assert!(entries
        .iter()
        .all(|e| e["top_logprobs"].as_array().map(Vec::len) == Some(2)));
}

/// The events of a streamed response, each checked against the event schema, with
/// `sequence_number` counting up from 0.
async fn events(mock: &Mock, body: &Value) -> Vec<Value> {
    let events = mock.stream(PATH, body).await;
    events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let value = event.json();
            mock.assert_valid_event(OP, &value);
            assert_eq!(event.event.as_deref(), value["type"].as_str());
            assert_eq!(value["sequence_number"], i, "sequence numbers count up");
            value
        })
        .collect()
}

fn types(events: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for event in events {
        let kind = event["type"].as_str().unwrap_or("").to_string();
        // Collapse runs of deltas to one entry.
        if kind.ends_with(".delta") && out.last() == Some(&kind) {
            continue;
        }
        out.push(kind);
    }
    out
}

#[tokio::test]
async fn streaming_text_sends_the_full_event_sequence() {
    let mock = Mock::start().await;
    let mut body = json!({"model": "gpt-4o", "input": "Why do leaves change colour in autumn?"});
    let answer = mock.ok(OP, PATH, &body).await;
    body["stream"] = json!(true);
    let events = events(&mock, &body).await;
    assert_eq!(
        types(&events),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(events[0]["response"]["status"], "in_progress");
    assert_eq!(events[0]["response"]["output"], json!([]));
    let deltas: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap_or(""))
        .collect();
    assert!(deltas.len() > 3);
    assert!(deltas
        .iter()
        .all(|d| (1..=3).contains(&Encoding::O200k.count(d))));
    let text = output_text(&answer);
    assert_eq!(deltas.concat(), text);
    let done = events
        .iter()
        .find(|e| e["type"] == "response.output_text.done")
        .expect("done");
    assert_eq!(done["text"], text);
    let completed = &events.last().expect("completed")["response"];
    assert_eq!(
        without_ids(&completed["output"]),
        without_ids(&answer["output"])
    );
    assert_eq!(completed["usage"], answer["usage"]);
    assert_eq!(
        completed["id"], events[0]["response"]["id"],
        "one id for the stream"
    );
}

#[tokio::test]
async fn streaming_function_calls_and_reasoning_use_their_events() {
    let mock = Mock::start().await;
    let mut body = json!({"model": "o4-mini", "tools": [flight_tool()],
        "reasoning": {"summary": "auto"}, "input": "Flights from Oslo to Rome for 3"});
    let answer = mock.ok(OP, PATH, &body).await;
    body["stream"] = json!(true);
    let events = events(&mock, &body).await;
    assert_eq!(
        types(&events),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            // `auto` gives two summary parts.
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let arguments: String = events
        .iter()
        .filter(|e| e["type"] == "response.function_call_arguments.delta")
        .map(|e| e["delta"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(arguments, answer["output"][1]["arguments"]);
    let summary: String = events
        .iter()
        .filter(|e| e["type"] == "response.reasoning_summary_text.delta")
        .map(|e| e["delta"].as_str().unwrap_or("").to_string())
        .collect();
    let parts: String = answer["output"][0]["summary"]
        .as_array()
        .expect("summary parts")
        .iter()
        .map(|part| part["text"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(summary, parts);
    let added = events
        .iter()
        .find(|e| e["type"] == "response.output_item.added" && e["output_index"] == 1)
        .expect("function call added");
    assert_eq!(added["item"]["arguments"], "");
    assert_eq!(added["item"]["name"], "search_flights");
}

#[tokio::test]
async fn streaming_an_incomplete_response_ends_with_response_incomplete() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4o", "input": "Explain photosynthesis", "stream": true,
        "max_output_tokens": 16});
    let events = events(&mock, &body).await;
    let last = events.last().expect("events");
    assert_eq!(last["type"], "response.incomplete");
    assert_eq!(
        last["response"]["incomplete_details"]["reason"],
        "max_output_tokens"
    );
}

#[tokio::test]
async fn requests_the_real_api_refuses_get_a_400() {
    let mock = Mock::start().await;
    let no_json = json!({"model": "gpt-4o", "input": "List three owls",
        "text": {"format": {"type": "json_object"}}});
    let (status, error) = mock.post(PATH, &no_json).await;
    assert_eq!(status, 400, "{error}");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("'json'"));
    let with_json = json!({"model": "gpt-4o", "input": "List three owls as JSON",
        "text": {"format": {"type": "json_object"}}});
    let answer = mock.ok(OP, PATH, &with_json).await;
    let value: Value = serde_json::from_str(&output_text(&answer)).expect("JSON text");
    assert!(value.is_object());

    let unknown = json!({"model": "gpt-4o", "input": "hi", "tools": [flight_tool()],
        "tool_choice": {"type": "function", "name": "book_hotel"}});
    let (status, error) = mock.post(PATH, &unknown).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"]["param"], "tool_choice");
}

#[tokio::test]
async fn a_function_tool_without_strict_is_accepted_and_echoed_with_the_default() {
    // LangChain (use_responses_api), the Vercel AI SDK and async-openai send no `strict`.
    let mock = Mock::start().await;
    let mut tool = flight_tool();
    tool.as_object_mut().unwrap().remove("strict");
    let body = json!({"model": "gpt-4.1", "tools": [tool],
        "input": "Search flights from SFO to JFK on 2026-03-01 for 2 passengers"});
    let answer = mock.ok(OP, PATH, &body).await;
    assert_eq!(kinds(&answer), ["function_call"]);
    assert_eq!(answer["tools"][0]["name"], "search_flights");
    assert_eq!(answer["tools"][0]["strict"], true);

    let mut explicit = flight_tool();
    explicit["strict"] = json!(false);
    let body = json!({"model": "gpt-4.1", "tools": [explicit], "input": "Search flights"});
    let answer = mock.ok(OP, PATH, &body).await;
    assert_eq!(answer["tools"][0]["strict"], false);
}

#[tokio::test]
async fn beta_query_variants_reach_their_own_operations() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4.1", "input": "Say hello."});
    let (status, answer) = mock.post("/responses?beta=true", &body).await;
    assert_eq!(status, 200, "{answer}");
    mock.assert_valid_response("beta_createResponse", &answer);
    let (status, _) = mock.post("/responses", &body).await;
    assert_eq!(status, 200);
    let (status, _) = mock.post("/responses/input_tokens?beta=true", &body).await;
    assert_eq!(status, 200);
    let (status, _) = mock.get("/responses/resp_123?beta=true").await;
    assert_eq!(status, 200);
    assert_eq!(
        mock.operations_received(),
        [
            Some("beta_createResponse".to_string()),
            Some("createResponse".to_string()),
            Some("beta_Getinputtokencounts".to_string()),
            Some("beta_getResponse".to_string()),
        ]
    );
}

#[tokio::test]
async fn json_object_in_text_format_gives_the_keys_the_prompt_names() {
    let mock = Mock::start().await;
    let body = json!({"model": "gpt-4o",
        "instructions": "Reply in JSON with keys name, age and is_member.",
        "input": "Describe the user Ada.",
        "text": {"format": {"type": "json_object"}}});
    let answer = mock.ok(OP, PATH, &body).await;
    let value: Value = serde_json::from_str(&output_text(&answer)).expect("JSON text");
    let keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["name", "age", "is_member"], "{value}");
    assert!(value["age"].is_i64(), "{value}");
    assert!(value["is_member"].is_boolean(), "{value}");
    // Named in an input message instead of the instructions, the same keys come back.
    let body = json!({"model": "gpt-4o",
        "input": [{"role": "user", "content": "Give me JSON with the fields city and population for Paris."}],
        "text": {"format": {"type": "json_object"}}});
    let answer = mock.ok(OP, PATH, &body).await;
    let value: Value = serde_json::from_str(&output_text(&answer)).expect("JSON text");
    assert_eq!(
        value
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["city".to_string(), "population".to_string()]),
        "{value}"
    );
}
