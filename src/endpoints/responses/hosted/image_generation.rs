//! The `image_generation` tool of `POST /responses`: an `image_generation_call` whose
//! `result` is a real image (base64), drawn as `POST /images/generations` draws it
//! (`images::draw`) with the tool's `model`, `size`, `quality`, `output_format` and
//! `background`, followed by a message about the image.
//!
//! - The tool acts when `tool_choice` forces it or, with `"auto"`, when the prompt asks for
//!   a picture ("draw", "image of", "picture of", "illustration", "logo", ...); never with
//!   `"none"`. `max_tool_calls` and `parallel_tool_calls` apply (`hosted::may_act`).
//! - The item carries `revised_prompt` (the subject as the model rewrites it) and the
//!   settings used (`size`, `quality`, `background`, `output_format`), as the real API does.
//!   The picture depends only on them and the tool's model, so the stream's partial images
//!   ([`partials`], `partial_images` of them) are drawn again from the finished item.
//! - A scenario rule's `tool_results.image_generation` pins the image: `revised_prompt`
//!   (drawn from it) and/or `result` (base64, used as is); the tool then acts whatever the
//!   prompt (unless `tool_choice` forbids it), and a scripted `text` replaces the composed
//!   one.
//! - An `image_generation_call` sent back after the last user message is not drawn again; a
//!   later request to change the earlier image ("make it blue") draws a new one from the
//!   earlier revised prompt and the change.

use super::reply::{rewrite, Reply};
use super::{earlier, mentions, offered, turn};
use crate::endpoints::endpoint::Call;
use crate::endpoints::images;
use crate::generate::{new_id, Rng};
use serde_json::{json, Value};

/// The tool types this module serves.
pub const TYPES: &[&str] = &["image_generation"];

/// Phrases that make a prompt call for an image when `tool_choice` is `auto`.
const CUES: &[&str] = &[
    "draw",
    "image of",
    "picture of",
    "photo of",
    "generate an image",
    "create an image",
    "make an image",
    "generate a picture",
    "illustration",
    "illustrate",
    "paint",
    "sketch",
    "logo",
    "wallpaper",
    "poster",
];

/// Phrases that ask to change an earlier image.
const CHANGES: &[&str] = &[
    "make it", "make the", "change", "instead", "add ", "remove", "now ", "edit",
];

/// The model the tool draws with when it names none.
const DEFAULT_MODEL: &str = "gpt-image-1";

/// Rewrites `answer` (the shaped response for `body`, the request with its earlier turns)
/// as the module notes say; leaves it alone when the tool does not act.
pub fn apply(call: &Call, body: &Value, answer: &mut Value, rng: &mut Rng) {
    let Some(turn) = turn(call, body, answer, TYPES, "image_generation_call") else {
        return;
    };
    let (tool, pinned, prompt) = (turn.tool, turn.pinned, turn.prompt());
    let before = earlier(body, "image_generation_call")
        .first()
        .and_then(|item| item.get("revised_prompt").and_then(Value::as_str));
    let pinned_prompt = pinned
        .and_then(|p| p.get("revised_prompt"))
        .and_then(Value::as_str);
    let (subject, revised) = match before {
        _ if pinned.is_some() => {
            let subject = pinned_prompt.map_or_else(|| subject_of(prompt), str::to_string);
            let revised =
                pinned_prompt.map_or_else(|| images::revised_prompt(&subject), str::to_string);
            (subject, revised)
        }
        Some(before) if mentions(prompt, CHANGES) && !mentions(prompt, CUES) => {
            let changed = format!(
                "{}, {}",
                before.trim_end_matches('.'),
                prompt.trim_end_matches('.')
            );
            (changed.clone(), format!("{changed}."))
        }
        _ if !turn.wanted(CUES) => return,
        _ => {
            let subject = subject_of(prompt);
            let revised = images::revised_prompt(&subject);
            (subject, revised)
        }
    };
    let mut settings = json!({
        "model": tool.get("model").and_then(Value::as_str).unwrap_or(DEFAULT_MODEL),
        "prompt": revised,
    });
    for key in ["size", "quality", "output_format", "background"] {
        if let Some(value) = tool.get(key).filter(|v| v.is_string()) {
            settings[key] = value.clone();
        }
    }
    let mut drawn = images::draw(&settings, 0);
    if let Some(result) = pinned.and_then(|p| p.get("result")).and_then(Value::as_str) {
        drawn.b64 = result.to_string();
    }
    let item = json!({
        "id": new_id(rng, "ig_"),
        "type": "image_generation_call",
        "status": "completed",
        "result": drawn.b64,
        "revised_prompt": revised,
        "size": drawn.size,
        "quality": drawn.quality,
        "background": drawn.background,
        "output_format": drawn.output_format,
    });
    let reply = Reply {
        body,
        text: format!("Here is the image of {}.", subject.trim_end_matches('.')),
        annotations: Vec::new(),
        read: 0,
    }
    .scripted(call);
    rewrite(answer, turn.position, vec![item], &reply, rng);
}

/// What the prompt asks to picture: the words after "image of", "draw", ... (the whole
/// prompt when none is there).
fn subject_of(prompt: &str) -> String {
    let lower = prompt.to_lowercase();
    let after = [
        "image of ",
        "picture of ",
        "photo of ",
        "illustration of ",
        "logo for ",
        "logo of ",
        "draw ",
        "paint ",
        "sketch ",
    ]
    .iter()
    .filter_map(|lead| lower.find(lead).map(|at| at + lead.len()))
    .min();
    let subject = after
        .and_then(|at| prompt.get(at..))
        .unwrap_or(prompt)
        .trim()
        .trim_end_matches(['.', '!', '?'])
        .trim();
    if subject.is_empty() {
        prompt.trim().to_string()
    } else {
        subject.to_string()
    }
}

/// The partial images (base64) streamed before `item`, an `image_generation_call` of a
/// response whose `tools` include the image generation tool with `partial_images`.
pub fn partials(answer: &Value, item: &Value) -> Vec<String> {
    let Some(tool) = offered(answer, TYPES) else {
        return Vec::new();
    };
    let count = tool
        .get("partial_images")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if count == 0 {
        return Vec::new();
    }
    let settings = json!({
        "model": tool.get("model").and_then(Value::as_str).unwrap_or(DEFAULT_MODEL),
        "prompt": item.get("revised_prompt").and_then(Value::as_str).unwrap_or(""),
        "size": item.get("size"),
        "quality": item.get("quality"),
        "output_format": item.get("output_format"),
        "background": item.get("background"),
    });
    images::draw(&settings, count).partials
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_follows_what_asks_for_the_picture() {
        assert_eq!(
            subject_of("Please draw a cat wearing a red hat."),
            "a cat wearing a red hat"
        );
        assert_eq!(
            subject_of("Generate an image of a lighthouse at dusk"),
            "a lighthouse at dusk"
        );
        assert_eq!(subject_of("A logo"), "A logo");
    }

    #[test]
    fn partial_images_are_redrawn_from_the_finished_item() {
        let answer = json!({"tools": [{"type": "image_generation", "partial_images": 2,
                                       "size": "1024x1024"}]});
        let settings = json!({"model": DEFAULT_MODEL, "prompt": "A cat.", "size": "1024x1024"});
        let drawn = images::draw(&settings, 0);
        let item = json!({"revised_prompt": "A cat.", "size": drawn.size,
                          "quality": drawn.quality, "output_format": drawn.output_format,
                          "background": drawn.background});
        let partials = partials(&answer, &item);
        assert_eq!(partials.len(), 2);
        assert_ne!(partials[0], drawn.b64);
        assert_eq!(images::draw(&settings, 2).partials, partials);
    }
}
