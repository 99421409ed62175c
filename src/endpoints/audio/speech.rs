//! `/audio/speech`: the input hummed word by word, as a file or as `speech.audio.delta`
//! events followed by usage.

use super::CHARACTERS_PER_SECOND;
use crate::generate::fnv1a;
use crate::generate::media::{self, Media, SPEECH_SAMPLE_RATE};
use crate::services::tokens::Encoding;
use crate::validate::ValidRequest;
use base64::Engine;
use serde_json::{json, Value};

/// Audio tokens per second of speech, for usage.
const AUDIO_TOKENS_PER_SECOND: f64 = 20.0;

/// Bytes of encoded speech per `speech.audio.delta` event.
const STREAM_CHUNK_BYTES: usize = 8192;

/// 16-bit mono samples at [`SPEECH_SAMPLE_RATE`] that hum `text` word by word.
pub fn speech_samples(text: &str, voice: &str, speed: f64) -> Vec<i16> {
    let rate = f64::from(SPEECH_SAMPLE_RATE);
    let speed = if speed.is_finite() && speed > 0.0 {
        speed
    } else {
        1.0
    };
    let seconds_per_char = 1.0 / CHARACTERS_PER_SECOND / speed;
    let base_pitch = 140.0 + (fnv1a(&[voice.as_bytes()]) % 120) as f64;
    let mut samples: Vec<i16> = Vec::new();
    let silence = |samples: &mut Vec<i16>, seconds: f64| {
        samples.extend(std::iter::repeat_n(0, (seconds * rate) as usize));
    };
    for word in text.split_whitespace() {
        let length = word.chars().count() as f64;
        let tone_seconds = length * seconds_per_char;
        let pitch = base_pitch * (0.9 + (fnv1a(&[word.as_bytes()]) % 200) as f64 / 1000.0);
        let count = (tone_seconds * rate) as usize;
        let fade = (0.005 * rate) as usize;
        for i in 0..count {
            let envelope = (i.min(count - i) as f64 / fade as f64).min(1.0);
            let phase = 2.0 * std::f64::consts::PI * pitch * i as f64 / rate;
            samples.push((0.25 * 32767.0 * envelope * phase.sin()) as i16);
        }
        let pause = if word.ends_with(['.', '!', '?']) {
            6.0
        } else {
            1.0
        };
        silence(&mut samples, pause * seconds_per_char);
    }
    if samples.is_empty() {
        silence(&mut samples, 0.25);
    }
    samples
}

/// The `/audio/speech` body for `request`: its input hummed in its `response_format`.
pub fn speech(request: &ValidRequest) -> Media {
    let body = &request.body;
    let text = body.get("input").and_then(Value::as_str).unwrap_or("");
    let voice = match body.get("voice") {
        Some(Value::String(voice)) => voice.as_str(),
        Some(other) => other.get("id").and_then(Value::as_str).unwrap_or("alloy"),
        None => "alloy",
    };
    let speed = body.get("speed").and_then(Value::as_f64).unwrap_or(1.0);
    let format = body
        .get("response_format")
        .and_then(Value::as_str)
        .unwrap_or("mp3");
    media::audio(format, &speech_samples(text, voice, speed), text)
}

/// The `stream_format: sse` events: the speech file in base64 chunks, then usage.
pub fn speech_events(request: &ValidRequest) -> Vec<Value> {
    let audio = speech(request);
    let engine = base64::engine::general_purpose::STANDARD;
    let mut events: Vec<Value> = audio
        .bytes
        .chunks(STREAM_CHUNK_BYTES)
        .map(|chunk| json!({"type": "speech.audio.delta", "audio": engine.encode(chunk)}))
        .collect();
    let text = request.body_str("input").unwrap_or("");
    let instructions = request.body_str("instructions").unwrap_or("");
    let input_tokens = Encoding::O200k.count(text) + Encoding::O200k.count(instructions);
    let seconds = text.chars().count() as f64 / CHARACTERS_PER_SECOND;
    let output_tokens = (seconds * AUDIO_TOKENS_PER_SECOND).ceil() as usize;
    events.push(json!({
        "type": "speech.audio.done",
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    }));
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speech_lasts_in_proportion_to_the_text() {
        let short = speech_samples("Hello there.", "alloy", 1.0).len();
        let long = speech_samples(&"Hello there. ".repeat(10), "alloy", 1.0).len();
        assert!(long > 9 * short && long < 11 * short, "{short} {long}");
        let fast = speech_samples(&"Hello there. ".repeat(10), "alloy", 2.0).len();
        assert!((fast as f64 / long as f64 - 0.5).abs() < 0.01);
    }
}
