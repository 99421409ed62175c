//! A Realtime session's configuration: the defaults a socket opens with (a conversation or
//! a transcription session), how `session.update` merges into it, and what the rest of the
//! session reads from it (formats, voice, turn detection, tools).

use super::audio::Format;
use crate::services::model::tools::{Choice, Tool};
use serde_json::{json, Map, Value};

/// How long a session lives (the real API's limit: 60 minutes).
pub const SESSION_SECONDS: i64 = 3600;

/// The configuration of a conversation session for `model`.
pub fn conversation(id: &str, model: &str, now: i64) -> Value {
    json!({
        "type": "realtime",
        "object": "realtime.session",
        "id": id,
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "You are a helpful, witty, and friendly AI. Keep answers short.",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": null,
        "prompt": null,
        "expires_at": now + SESSION_SECONDS,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": null,
                "noise_reduction": null,
                "turn_detection": server_vad(),
            },
            "output": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "voice": "marin",
                "speed": 1.0,
            },
        },
        "include": null,
    })
}

/// The configuration of a transcription session.
pub fn transcription(id: &str, now: i64) -> Value {
    json!({
        "type": "transcription",
        "object": "realtime.transcription_session",
        "id": id,
        "expires_at": now + SESSION_SECONDS,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": {"model": "gpt-4o-transcribe", "language": null, "prompt": ""},
                "noise_reduction": null,
                "turn_detection": server_vad(),
            },
        },
        "include": null,
    })
}

fn server_vad() -> Value {
    json!({
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 200,
        "idle_timeout_ms": null,
        "create_response": true,
        "interrupt_response": true,
    })
}

/// Merges `update` into `config`: objects merge key by key, anything else (arrays, `null`,
/// scalars) replaces what was there; `null` turn detection turns it off, as documented.
pub fn merge(config: &mut Value, update: &Value) {
    match (config, update) {
        (Value::Object(target), Value::Object(source)) => merge_maps(target, source),
        (target, source) => *target = source.clone(),
    }
}

fn merge_maps(target: &mut Map<String, Value>, source: &Map<String, Value>) {
    for (key, value) in source {
        match (target.get_mut(key), value) {
            (Some(existing @ Value::Object(_)), Value::Object(_)) => merge(existing, value),
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The configuration as `session.created` and `session.updated` show it: settings that are
/// off (`null`) are left out, as the spec's session object has no `null` for them, except
/// `turn_detection` and `tracing`, whose `null` the schema allows and means "off".
pub fn shown(config: &Value) -> Value {
    match config {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, value)| {
                    !value.is_null() || matches!(key.as_str(), "turn_detection" | "tracing")
                })
                .map(|(key, value)| (key.clone(), shown(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(shown).collect()),
        other => other.clone(),
    }
}

/// What the session code reads from a configuration.
pub trait Read {
    /// The input audio format.
    fn input_format(&self) -> Format;
    /// The output audio format.
    fn output_format(&self) -> Format;
    /// The voice.
    fn voice(&self) -> &str;
    /// Server VAD's settings (threshold, silence in ms, whether a turn creates a
    /// response), when it is on.
    fn server_vad(&self) -> Option<(f64, u64, bool)>;
    /// Whether input audio is transcribed.
    fn transcribes(&self) -> bool;
    /// The function tools.
    fn tools(&self) -> Vec<Tool>;
    /// The tool choice.
    fn tool_choice(&self) -> Choice;
    /// Whether this is a transcription session.
    fn is_transcription(&self) -> bool;
}

impl Read for Value {
    fn input_format(&self) -> Format {
        Format::of(self.pointer("/audio/input/format"))
    }

    fn output_format(&self) -> Format {
        Format::of(self.pointer("/audio/output/format"))
    }

    fn voice(&self) -> &str {
        self.pointer("/audio/output/voice")
            .and_then(Value::as_str)
            .unwrap_or("marin")
    }

    fn server_vad(&self) -> Option<(f64, u64, bool)> {
        let vad = self.pointer("/audio/input/turn_detection")?;
        if !vad.is_object() {
            return None;
        }
        let threshold = vad.get("threshold").and_then(Value::as_f64).unwrap_or(0.5);
        let silence = vad
            .get("silence_duration_ms")
            .and_then(Value::as_u64)
            .unwrap_or(500);
        let create = vad
            .get("create_response")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        Some((threshold, silence, create))
    }

    fn transcribes(&self) -> bool {
        self.pointer("/audio/input/transcription")
            .is_some_and(Value::is_object)
    }

    fn tools(&self) -> Vec<Tool> {
        self.get("tools")
            .and_then(Value::as_array)
            .map(|tools| tools.iter().filter_map(Tool::from_responses).collect())
            .unwrap_or_default()
    }

    fn tool_choice(&self) -> Choice {
        Choice::from_responses(self.get("tool_choice"))
    }

    fn is_transcription(&self) -> bool {
        self.get("type").and_then(Value::as_str) == Some("transcription")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_merge_objects_and_replace_the_rest() {
        let mut config = conversation("sess_1", "gpt-realtime", 0);
        merge(
            &mut config,
            &json!({"instructions": "Be brief.", "audio": {"output": {"voice": "cedar"},
                "input": {"turn_detection": null}}, "tools": [{"type": "function", "name": "f"}]}),
        );
        assert_eq!(config["instructions"], "Be brief.");
        assert_eq!(config.voice(), "cedar");
        assert_eq!(config.output_format(), Format::Pcm16);
        assert!(config.server_vad().is_none());
        assert_eq!(config.tools().len(), 1);
        assert_eq!(config["audio"]["output"]["speed"], 1.0);
    }
}
