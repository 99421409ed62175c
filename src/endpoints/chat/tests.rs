//! Unit tests of the chat endpoint's pure parts: which models reason, and prompt token counts.

use super::*;

#[test]
fn reasoning_models() {
    for model in ["o1", "o3-mini", "o4-mini-2025-04-16", "gpt-5", "gpt-5-mini"] {
        assert!(is_reasoning_model(model), "{model}");
    }
    for model in [
        "gpt-4o",
        "gpt-5-chat-latest",
        "omni-moderation-latest",
        "gpt-4.1",
    ] {
        assert!(!is_reasoning_model(model), "{model}");
    }
}

#[test]
fn prompt_tokens_follow_the_per_message_rule() {
    let encoding = Encoding::O200k;
    let messages = [
        json!({"role": "system", "content": "You are terse."}),
        json!({"role": "user", "content": "hello world", "name": "ada"}),
    ];
    let expected = 3
        + (3 + encoding.count("system") + encoding.count("You are terse."))
        + (3 + encoding.count("user") + encoding.count("hello world") + encoding.count("ada") + 1);
    assert_eq!(prompt_tokens(encoding, &messages, &[]), expected);
}
