//! A Realtime translation session (`GET /v1/realtime/translations`): audio in, and as each
//! spoken turn ends (found by its energy, as server VAD finds it), the transcript of what
//! was heard, the interpretation's transcript and its audio, in the events of the
//! `RealtimeTranslationServerEvent` union. The mock has no second language: it interprets
//! verbatim, so the output transcript repeats the input's words, said in the output voice.

use super::audio::{Format, Turn, Vad, PCM_RATE};
use super::config;
use super::events::{audio_bytes, stamp, stamped, ClientEvents, Refusal};
use super::reply::transcript_of;
use crate::catalog::Catalog;
use crate::endpoints::audio::speech::speech_samples;
use crate::error::ApiError;
use crate::generate::Rng;
use crate::services::tokens::Encoding;
use base64::Engine;
use serde_json::{json, Value};
use std::sync::Arc;

/// Samples of output audio per `session.output_audio.delta` (200 ms).
const AUDIO_CHUNK_SAMPLES: usize = 4_800;

/// Silence that ends a spoken turn, in ms.
const TURN_SILENCE_MS: u64 = 500;

/// The configuration a translation session opens with.
pub fn configuration(id: &str, model: Option<&str>, now: i64) -> Value {
    json!({
        "id": id,
        "type": "translation",
        "expires_at": now + config::SESSION_SECONDS,
        "model": model.unwrap_or("gpt-realtime-translate"),
        "audio": {
            "input": {"transcription": null, "noise_reduction": null},
            "output": {"language": "es"},
        },
    })
}

/// One translation session.
pub struct Translation {
    catalog: Arc<Catalog>,
    events: ClientEvents,
    /// The configuration `session.updated` shows.
    pub config: Value,
    buffer: Vec<i16>,
    vad: Vad,
    ids: Rng,
    seed: u64,
    /// Whether the client closed the session (`session.close`).
    pub closed: bool,
}

impl Translation {
    /// A translation session for `model`, with a minted secret's configuration merged in.
    pub fn new(
        catalog: Arc<Catalog>,
        model: Option<&str>,
        configured: Option<&Value>,
        seed: u64,
        now: i64,
        mut ids: Rng,
    ) -> Translation {
        let id = format!("sess_{}", ids.alphanumeric(21));
        let mut config = configuration(&id, model, now);
        if let Some(configured) = configured {
            let mut configured = configured.clone();
            if let Some(object) = configured.as_object_mut() {
                object.remove("id");
                object.remove("expires_at");
            }
            config::merge(&mut config, &configured);
        }
        Translation {
            events: ClientEvents::of(&catalog, "RealtimeTranslationClientEvent"),
            catalog,
            config,
            buffer: Vec::new(),
            vad: Vad::default(),
            ids,
            seed,
            closed: false,
        }
    }

    /// The events a socket opens with.
    pub fn open(&mut self) -> Vec<Value> {
        let created = json!({"type": "session.created", "session": self.config});
        vec![stamp(&mut self.ids, created)]
    }

    /// The events that answer one text frame.
    pub fn handle(&mut self, text: &str) -> Vec<Value> {
        let answered = self
            .events
            .check(&self.catalog, text)
            .and_then(|event| self.apply(&event));
        stamped(&mut self.ids, answered)
    }

    /// An `error` event for a frame the transport refuses.
    pub fn refuse(&mut self, error: ApiError) -> Value {
        stamp(&mut self.ids, Refusal::new(error, None).event())
    }

    fn apply(&mut self, event: &Value) -> Result<Vec<Value>, Refusal> {
        let event_id = event.get("event_id").and_then(Value::as_str);
        match event.get("type").and_then(Value::as_str).unwrap_or("") {
            "session.update" => {
                let mut update = event.get("session").cloned().unwrap_or(Value::Null);
                if let Some(object) = update.as_object_mut() {
                    object.remove("model");
                }
                config::merge(&mut self.config, &update);
                Ok(vec![
                    json!({"type": "session.updated", "session": self.config}),
                ])
            }
            "session.input_audio_buffer.append" => {
                let bytes = audio_bytes(event).map_err(|error| Refusal::new(error, event_id))?;
                Ok(self.hear(&Format::Pcm16.decode(&bytes)))
            }
            "session.close" => {
                self.closed = true;
                Ok(vec![json!({"type": "session.closed"})])
            }
            _ => Ok(Vec::new()),
        }
    }

    /// Feeds input audio; a turn that ends is interpreted.
    fn hear(&mut self, samples: &[i16]) -> Vec<Value> {
        let mut out = Vec::new();
        for chunk in samples.chunks((PCM_RATE / 100) as usize) {
            self.buffer.extend_from_slice(chunk);
            for turn in self.vad.feed(chunk, PCM_RATE, 0.5, TURN_SILENCE_MS) {
                if let Turn::Stopped(at) = turn {
                    let heard = std::mem::take(&mut self.buffer);
                    out.extend(self.interpret(&heard, at));
                }
            }
            if self.vad.speech_from.is_none() && self.buffer.len() > PCM_RATE as usize {
                // Keep only the last second of silence before speech.
                let excess = self.buffer.len() - PCM_RATE as usize;
                self.buffer.drain(..excess);
            }
        }
        out
    }

    /// The events of one interpreted turn that ended at `at` ms.
    fn interpret(&mut self, heard: &[i16], at: u64) -> Vec<Value> {
        let seconds = heard.len() as f64 / f64::from(PCM_RATE);
        let transcript = transcript_of(heard, seconds, self.seed);
        let pieces = Encoding::for_model("gpt-4o").pieces(&transcript);
        let mut out: Vec<Value> = pieces
            .iter()
            .map(|piece| {
                json!({"type": "session.input_transcript.delta", "delta": piece,
                "elapsed_ms": at})
            })
            .collect();
        out.extend(pieces.iter().map(|piece| {
            json!({"type": "session.output_transcript.delta", "delta": piece, "elapsed_ms": at})
        }));
        let samples = speech_samples(&transcript, "marin", 1.0);
        for (index, chunk) in samples.chunks(AUDIO_CHUNK_SAMPLES).enumerate() {
            let delta =
                base64::engine::general_purpose::STANDARD.encode(Format::Pcm16.encode(chunk));
            out.push(json!({"type": "session.output_audio.delta", "delta": delta,
                "sample_rate": PCM_RATE, "channels": 1, "format": "pcm16",
                "elapsed_ms": at + (index * AUDIO_CHUNK_SAMPLES) as u64 * 1000 / u64::from(PCM_RATE)}));
        }
        out
    }
}
