//! Tests of the rules file: what it compiles to, and the errors it reports.

use super::*;

fn catalog() -> std::sync::Arc<Catalog> {
    Catalog::embedded()
}

fn parse(text: &str) -> Result<RuleSet, RulesError> {
    RuleSet::parse(text, Path::new("rules.yaml"), &catalog())
}

#[test]
fn every_action_compiles() {
    let dir = std::env::temp_dir().join(format!("openai-mock-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("body.json"),
        r#"{"object": "list", "data": [], "model": "{{model}}"}"#,
    )
    .unwrap();
    let file = dir.join("rules.yaml");
    let text = r#"
rules:
  - reply: {text: "Hello {{last_user_message}}", latency_ms: 5}
  - reply:
      tool_calls:
        - {name: get_weather, arguments: {city: Paris}}
        - {name: raw, arguments: '{"a": 1}', id: call_1}
  - reply: {body_file: body.json, status: 201}
  - reply: {body: {ok: true}}
  - reply: {error: overloaded}
  - reply: {error: connection_reset}
  - reply:
      error: {status: 429, message: "slow down {{model}}", code: null, headers: {retry-after-ms: 50}}
  - reply: {chunk_tokens: 2, stream_cut_after: 3}
"#;
    let set = RuleSet::parse(text, &file, &catalog()).unwrap();
    let actions: Vec<&Action> = set.rules.iter().map(|r| &r.steps[0].action).collect();
    assert!(
        matches!(actions[0], Action::Behave { text: Some(_), tool_calls, .. } if tool_calls.is_empty())
    );
    assert!(
        matches!(actions[1], Action::Behave { text: None, tool_calls, .. } if tool_calls.len() == 2)
    );
    assert!(matches!(actions[2], Action::Body { status: 201, .. }));
    assert!(matches!(actions[3], Action::Body { status: 200, .. }));
    assert!(matches!(actions[4], Action::Error { error, .. } if error.error.status == 503));
    assert!(matches!(actions[5], Action::ConnectionReset));
    let Action::Error { error, .. } = actions[6] else {
        panic!()
    };
    assert_eq!(error.error.code, None);
    assert_eq!(
        error.headers,
        [("retry-after-ms".to_string(), "50".to_string())]
    );
    assert_eq!(set.rules[0].steps[0].overrides.latency_ms, Some(5));
    assert_eq!(set.rules[7].steps[0].overrides.stream_cut_after, Some(3));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mistakes_name_the_file_line_and_reason() {
    let cases = [
            ("rules:\n  - match: {last_user_message: '(unclosed'}\n    reply: {text: a}\n", 2, "invalid regex"),
            ("rules:\n  - reply: {text: a}\n  - match: {operation: createChatCompletions}\n    reply: {text: b}\n", 3, "createChatCompletions"),
            ("rules:\n  - match: {endpoint: /chat/completion}\n    reply: {text: b}\n", 2, "/chat/completion"),
            ("rules:\n  - reply: {text: a}\n  - reply:\n      text: '{{nope}}'\n", 4, "{{nope}}"),
            ("rules:\n  - reply: {txt: a}\n", 2, "txt"),
            ("rules:\n  - name: x\n", 2, "reply"),
            ("rules:\n  - {name: x, reply: {text: a}}\n  - {name: x, reply: {text: b}}\n", 3, "used twice"),
            ("rules:\n  - reply: {body_file: missing.json}\n", 2, "missing.json"),
            ("rules:\n  - reply: {error: teapot}\n", 2, "teapot"),
            ("rules:\n  - reply: {text: a, error: overloaded}\n", 2, "at most one"),
            ("rules:\n  - match: {body: {temperature: 0}}\n    reply: {text: a}\n", 2, "JSON pointer"),
            ("rules:\n  - sequence: []\n", 2, "empty"),
            ("rules: [\n", 1, "unclosed"),
            ("rules:\n  - reply: {text: a}\n    priority: high\n", 3, "invalid"),
        ];
    for (text, line, needle) in cases {
        let error = parse(text).unwrap_err();
        assert_eq!(error.file, Path::new("rules.yaml"));
        assert_eq!(error.line, line, "{text:?} -> {error}");
        assert!(error.message.contains(needle), "{text:?} -> {error}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("rules.yaml:{line}:")),
            "{error}"
        );
    }
}

#[test]
fn other_top_level_keys_are_left_to_the_server_and_json_works() {
    let set = parse("port: 0\nseed: 3\n").unwrap();
    assert!(set.rules.is_empty());
    let json = r#"{"port": 0, "rules": [{"name": "j", "match": {"model": "gpt-4o"}, "reply": {"text": "hi"}}]}"#;
    let set = RuleSet::parse(json, Path::new("c.json"), &catalog()).unwrap();
    assert_eq!(set.rules[0].name, "j");
}
