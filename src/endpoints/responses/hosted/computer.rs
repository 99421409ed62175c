//! The `computer_use_preview` and `computer` tools of `POST /responses`: the model answers
//! with a `computer_call` (one `action` for `computer_use_preview`, an `actions` list of one
//! for `computer`) that the client performs; its `computer_call_output` (a screenshot) in
//! the next request continues the loop, step by step, until the plan is done, and then the
//! model answers with a message.
//!
//! The plan ([`plan`]) starts with a `screenshot`, then the actions the prompt asks for in
//! a fixed order: click on a field and `type` the quoted text, `keypress` Enter when it says
//! "press enter" or "search", `double_click`, `click`, `scroll` (up or down), `drag`,
//! `move` ("hover"), `wait`. Coordinates fall inside the tool's display (1024×768 when it
//! gives none). The step is the number of `computer_call_output` items since the last user
//! message. `tool_choice` `"auto"` uses the tool when the prompt names an action or a
//! screen ("browser", "website", "screenshot", ...).
//!
//! Safety checks: a prompt about something sensitive (payments, passwords, banking,
//! deleting an account, ...) gets one `pending_safety_checks` entry on its first call. The
//! client must send it back in `acknowledged_safety_checks`; if it does not, the loop stops
//! with a message saying so.

use super::super::context_of;
use super::message::{hand_over, say, since_user, Said};
use super::{candidate, Use};
use crate::endpoints::endpoint::Call;
use crate::generate::{new_id, Rng};
use crate::services::tokens::Encoding;
use serde_json::{json, Value};

const TYPES: &[&str] = &["computer_use_preview", "computer"];

/// Rewrites `answer` into the next `computer_call` as the module notes say, when one is due.
pub fn apply(call: &Call, body: &Value, answer: &mut Value, rng: &mut Rng) {
    let Some((tool, usage, position)) = candidate(call, body, answer, TYPES) else {
        return;
    };
    let context = context_of(body);
    let prompt = &context.last_user;
    let since = since_user(body);
    let outputs: Vec<&Value> = since
        .iter()
        .filter(|item| item["type"] == "computer_call_output")
        .collect();
    if outputs.is_empty() {
        let answering = since.iter().any(|item| {
            item["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("_output"))
        });
        if usage != Use::Forced && (answering || !relevant(prompt)) {
            return;
        }
    }
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let encoding = Encoding::for_model(model);
    if let Some(last) = outputs.last() {
        if !acknowledged(body, last) {
            let text = "I stopped before going on: the pending safety check was not \
                        acknowledged. Please review it and confirm if you want me to continue.";
            let said = Said {
                encoding,
                body,
                text,
                annotations: Vec::new(),
                read: 0,
                written: 0,
            };
            say(answer, position, Vec::new(), &said, rng);
            return;
        }
    }
    let width = tool
        .get("display_width")
        .and_then(Value::as_i64)
        .unwrap_or(1024);
    let height = tool
        .get("display_height")
        .and_then(Value::as_i64)
        .unwrap_or(768);
    let steps = plan(prompt, width, height, rng);
    let Some(action) = steps.get(outputs.len()).cloned() else {
        return;
    };
    let checks = if outputs.is_empty() && sensitive(prompt) {
        json!([{
            "id": new_id(rng, "cu_sc_"),
            "code": "sensitive_domain",
            "message": "The task involves a sensitive website or action. Confirm before the \
                        agent continues.",
        }])
    } else {
        json!([])
    };
    let written = encoding.count(&action.to_string());
    let mut item = json!({
        "type": "computer_call",
        "id": new_id(rng, "cu_"),
        "call_id": new_id(rng, "call_"),
        "pending_safety_checks": checks,
        "status": "completed",
    });
    if tool["type"] == "computer" {
        item["actions"] = json!([action]);
    } else {
        item["action"] = action;
    }
    hand_over(answer, position, item, written);
}

/// Whether the prompt asks for something done on a screen.
fn relevant(prompt: &str) -> bool {
    let lower = prompt.to_lowercase();
    plan_words(&lower)
        || [
            "screen", "browser", "website", "web page", "webpage", "computer", "navigate", "go to",
            "open ", "bing", "google",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// Whether the prompt names one of the plan's actions.
fn plan_words(lower: &str) -> bool {
    [
        "click",
        "type ",
        "scroll",
        "press ",
        "drag",
        "hover",
        "screenshot",
        "search for",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// Whether the prompt touches something the real tool raises a safety check for.
fn sensitive(prompt: &str) -> bool {
    let lower = prompt.to_lowercase();
    [
        "password",
        "bank",
        "payment",
        "credit card",
        "purchase",
        "buy ",
        "checkout",
        "delete my account",
        "delete the account",
        "transfer money",
        "social security",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// Whether the computer call that `output` answers had no pending safety checks, or the
/// output acknowledges all of them.
fn acknowledged(body: &Value, output: &Value) -> bool {
    let call_id = output.get("call_id");
    let items = body.get("input").and_then(Value::as_array);
    let pending: Vec<&Value> = items
        .into_iter()
        .flatten()
        .filter(|item| item["type"] == "computer_call" && item.get("call_id") == call_id)
        .flat_map(|item| {
            item["pending_safety_checks"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .collect();
    let acknowledged = output["acknowledged_safety_checks"].as_array();
    pending.iter().all(|check| {
        acknowledged
            .into_iter()
            .flatten()
            .any(|ack| ack.get("id") == check.get("id"))
    })
}

/// The actions for `prompt` on a `width`×`height` display (see the module notes).
pub fn plan(prompt: &str, width: i64, height: i64, rng: &mut Rng) -> Vec<Value> {
    let lower = prompt.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let mut point = || {
        let x = width / 4 + (rng.next_u64() % (width.max(2) as u64 / 2)) as i64;
        let y = height / 4 + (rng.next_u64() % (height.max(2) as u64 / 2)) as i64;
        (x, y)
    };
    let mut steps = vec![json!({"type": "screenshot"})];
    let typed = quoted(prompt).or_else(|| {
        let at = lower.find("search for ")? + "search for ".len();
        let rest = prompt.get(at..)?;
        let text = rest.trim().trim_end_matches(['.', '!', '?']).trim();
        (!text.is_empty()).then(|| text.to_string())
    });
    if let Some(text) = typed {
        let (x, y) = point();
        steps.push(json!({"type": "click", "button": "left", "x": x, "y": y}));
        steps.push(json!({"type": "type", "text": text}));
        if has(&["press enter", "search", "submit"]) {
            steps.push(json!({"type": "keypress", "keys": ["ENTER"]}));
        }
    } else if has(&["press enter"]) {
        steps.push(json!({"type": "keypress", "keys": ["ENTER"]}));
    }
    if has(&["double click", "double-click"]) {
        let (x, y) = point();
        steps.push(json!({"type": "double_click", "x": x, "y": y, "keys": null}));
    } else if has(&["click"]) && steps.len() == 1 {
        let (x, y) = point();
        steps.push(json!({"type": "click", "button": "left", "x": x, "y": y}));
    }
    if has(&["scroll"]) {
        let (x, y) = point();
        let amount = if has(&["scroll up"]) { -600 } else { 600 };
        steps.push(json!({"type": "scroll", "x": x, "y": y, "scroll_x": 0, "scroll_y": amount}));
    }
    if has(&["drag"]) {
        let (x1, y1) = point();
        let (x2, y2) = point();
        steps.push(json!({"type": "drag", "path": [{"x": x1, "y": y1}, {"x": x2, "y": y2}]}));
    }
    if has(&["hover", "move the mouse", "move the cursor"]) {
        let (x, y) = point();
        steps.push(json!({"type": "move", "x": x, "y": y}));
    }
    if has(&["wait"]) {
        steps.push(json!({"type": "wait"}));
    }
    steps
}

/// The first text in double quotes.
fn quoted(prompt: &str) -> Option<String> {
    let start = prompt.find('"')? + 1;
    let length = prompt[start..].find('"')?;
    let text = prompt[start..start + length].trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_starts_with_a_screenshot_and_follows_the_prompt() {
        let kinds = |p: &str| {
            plan(p, 800, 600, &mut Rng::new(3))
                .iter()
                .map(|a| a["type"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kinds("Open bing.com and search for \"otters\""),
            ["screenshot", "click", "type", "keypress"]
        );
        assert_eq!(kinds("scroll down the page"), ["screenshot", "scroll"]);
        assert_eq!(kinds("take a screenshot"), ["screenshot"]);
        for action in plan("click the button and drag it", 800, 600, &mut Rng::new(1)) {
            for key in ["x", "y"] {
                if let Some(v) = action.get(key).and_then(Value::as_i64) {
                    assert!((0..800).contains(&v), "{action}");
                }
            }
        }
        assert!(sensitive("Log in to my bank and pay the bill"));
        assert!(!relevant("Tell me a joke"));
    }

    #[test]
    fn unacknowledged_checks_stop_the_loop() {
        let body = json!({"input": [
            {"type": "computer_call", "call_id": "c1",
             "pending_safety_checks": [{"id": "cu_sc_1"}]},
        ]});
        let bare = json!({"type": "computer_call_output", "call_id": "c1"});
        assert!(!acknowledged(&body, &bare));
        let acked = json!({"type": "computer_call_output", "call_id": "c1",
                           "acknowledged_safety_checks": [{"id": "cu_sc_1"}]});
        assert!(acknowledged(&body, &acked));
    }
}
