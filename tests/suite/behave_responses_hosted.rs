//! The web search, code interpreter and image generation tools of `/responses` over real
//! HTTP: forced by `tool_choice`, each answer and every streamed event validates against the
//! spec, the stream ends with the same items as the plain answer, Chat Completions'
//! `web_search_options` answer validates, and a rule's `tool_results` pins each tool's result.

use crate::support::mock::{without_ids, Mock};
use serde_json::{json, Value};

fn request(tool: Value, kind: &str, input: &str, stream: bool) -> Value {
    json!({
        "model": "gpt-4o",
        "input": input,
        "tools": [tool],
        "tool_choice": {"type": kind},
        "include": ["web_search_call.action.sources", "code_interpreter_call.outputs"],
        "stream": stream,
    })
}

#[tokio::test]
async fn forced_hosted_tools_answer_and_stream_valid_items() {
    let mock = Mock::start().await;
    let cases = [
        (
            json!({"type": "web_search_preview"}),
            "web_search_preview",
            "web_search_call",
            "Rust release news",
        ),
        (
            json!({"type": "code_interpreter", "container": {"type": "auto"}}),
            "code_interpreter",
            "code_interpreter_call",
            "Plot 1, 4 and 9",
        ),
        (
            json!({"type": "image_generation", "size": "1024x1024", "partial_images": 2}),
            "image_generation",
            "image_generation_call",
            "A cat",
        ),
    ];
    for (tool, kind, item, input) in cases {
        let answer = mock
            .ok(
                "createResponse",
                "/responses",
                &request(tool.clone(), kind, input, false),
            )
            .await;
        assert_eq!(answer["output"][0]["type"], item, "{answer}");
        assert_eq!(answer["output"][1]["type"], "message", "{answer}");
        let events = mock
            .valid_events(
                "createResponse",
                "/responses",
                &request(tool, kind, input, true),
            )
            .await;
        let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
        assert!(
            kinds.contains(&format!("response.{item}.completed").as_str()),
            "{kinds:?}"
        );
        let last = &events.last().expect("events")["response"];
        assert_eq!(last["output"][0]["type"], item);
        let text = |value: &Value| value["output"][1]["content"][0]["text"].clone();
        assert_eq!(text(last), text(&answer));
        if item == "image_generation_call" {
            let partials = kinds
                .iter()
                .filter(|k| k.ends_with("partial_image"))
                .count();
            assert_eq!(partials, 2);
            assert_eq!(last["output"][0]["result"], answer["output"][0]["result"]);
        }
    }
}

#[tokio::test]
async fn chat_web_search_options_answer_with_valid_url_citations() {
    let mock = Mock::start().await;
    let body = json!({
        "model": "gpt-4o-search-preview",
        "messages": [{"role": "user", "content": "Latest news on the Rust release?"}],
        "web_search_options": {"user_location": {"type": "approximate", "approximate": {"country": "US"}}},
    });
    let answer = mock
        .ok("createChatCompletion", "/chat/completions", &body)
        .await;
    let message = &answer["choices"][0]["message"];
    let citation = &message["annotations"][0]["url_citation"];
    let text: Vec<char> = message["content"].as_str().unwrap().chars().collect();
    let (start, end) = (
        citation["start_index"].as_u64().unwrap() as usize,
        citation["end_index"].as_u64().unwrap() as usize,
    );
    let cited: String = text[start..end].iter().collect();
    assert!(cited.contains(citation["url"].as_str().unwrap()), "{cited}");
}

/// A mock started with `rules` (YAML) as its config file.
async fn mock_with_rules(name: &str, rules: &str) -> Mock {
    let dir = std::env::temp_dir().join(format!("openai-mock-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.yaml");
    std::fs::write(&file, rules).unwrap();
    let args = [
        "openai-mock",
        "--port",
        "0",
        "--config",
        file.to_str().unwrap(),
    ];
    let config = openai_mock::Config::load_from(args).expect("config loads");
    Mock::with_config(config).await
}

#[tokio::test]
async fn a_rule_pins_each_hosted_tools_result() {
    let mock = mock_with_rules(
        "hosted",
        r#"
rules:
  - match: {last_user_message: "pinned"}
    reply:
      tool_results:
        web_search:
          query: pinned query
          sources: [{url: "https://pinned.example/a", title: Pinned, text: "Pinned fact."}]
        code_interpreter:
          code: print('pinned')
          logs: "pinned\n"
          file: {name: out.txt, content: "pinned file"}
        image_generation:
          revised_prompt: A pinned picture.
"#,
    )
    .await;
    let body = json!({
        "model": "gpt-4o",
        "input": "pinned",
        "tools": [{"type": "web_search"}, {"type": "code_interpreter", "container": {"type": "auto"}},
                  {"type": "image_generation"}],
        "include": ["web_search_call.action.sources", "code_interpreter_call.outputs"],
    });
    let answer = mock.ok("createResponse", "/responses", &body).await;
    let output = answer["output"].as_array().unwrap();
    let kinds: Vec<&str> = output.iter().filter_map(|i| i["type"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "web_search_call",
            "code_interpreter_call",
            "image_generation_call",
            "message"
        ]
    );
    assert_eq!(output[0]["action"]["query"], "pinned query");
    assert_eq!(
        output[0]["action"]["sources"][0]["url"],
        "https://pinned.example/a"
    );
    assert_eq!(output[1]["code"], "print('pinned')");
    assert_eq!(output[1]["outputs"][0]["logs"], "pinned\n");
    assert_eq!(output[2]["revised_prompt"], "A pinned picture.");
    let plain = mock
        .ok(
            "createResponse",
            "/responses",
            &json!({"model": "gpt-4o", "input": "hello",
              "tools": [{"type": "web_search"}]}),
        )
        .await;
    assert_eq!(without_ids(&plain)["output"][0]["type"], "message");
}

#[tokio::test]
async fn a_rule_pins_an_mcp_servers_tools_and_the_calls_output() {
    let mock = mock_with_rules(
        "mcp-rule",
        r#"
rules:
  - match: {last_user_message: "Where is my order?"}
    reply:
      tool_results:
        mcp:
          tools:
            - name: lookup_order
              description: Finds an order.
              input_schema:
                type: object
                properties: {order_id: {type: string}}
                required: [order_id]
          output: "Order 42 shipped on Monday."
"#,
    )
    .await;
    let body = json!({
        "model": "gpt-4o",
        "input": "Where is my order?",
        "tools": [{"type": "mcp", "server_label": "shop", "server_url": "https://mcp.shop.com/sse",
                   "require_approval": "never"}],
    });
    let answer = mock.ok("createResponse", "/responses", &body).await;
    let output = answer["output"].as_array().unwrap();
    let kinds: Vec<&str> = output.iter().filter_map(|i| i["type"].as_str()).collect();
    assert_eq!(kinds, ["mcp_list_tools", "mcp_call", "message"]);
    assert_eq!(output[0]["tools"][0]["name"], "lookup_order");
    assert_eq!(output[1]["name"], "lookup_order");
    assert_eq!(output[1]["output"], "Order 42 shipped on Monday.");
    let arguments: Value = serde_json::from_str(output[1]["arguments"].as_str().unwrap()).unwrap();
    assert!(arguments["order_id"].is_string(), "{arguments}");
}
