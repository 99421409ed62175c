//! What the model says in a Realtime turn, as the real API's event sequence: a function
//! call when the conversation calls for one of the session's tools (with its argument
//! deltas), else a message in text or in audio (the reply hummed in the session's output
//! format, with transcript deltas), then `response.done` with usage counting text and
//! audio tokens, and `rate_limits.updated`. Also the transcript the mock hears in input
//! audio and its transcription events.
//!
//! The wording, tool choice and arguments come from the same simulated model as Chat
//! Completions and Responses (`services::model`), so a Realtime turn answers as they do.

use super::config::{self, Read};
use crate::endpoints::audio::speech::speech_samples;
use crate::endpoints::audio::transcripts::script_sentences;
use crate::generate::{fnv1a, Rng};
use crate::services::conversation::{content_text, Conversation};
use crate::services::model::script::{self, Scripted};
use crate::services::model::text::{self, truncate_tokens, Context};
use crate::services::model::tools;
use crate::services::tokens::Encoding;
use base64::Engine;
use serde_json::{json, Value};

/// Samples of output audio per `response.output_audio.delta` (200 ms at 24 kHz).
const AUDIO_CHUNK_SAMPLES: usize = 4_800;

/// Input audio tokens per second, and output audio tokens per second.
const INPUT_AUDIO_TOKENS_PER_SECOND: u64 = 10;
const OUTPUT_AUDIO_TOKENS_PER_SECOND: u64 = 20;

/// What a `response.create` asks beyond the session's configuration.
#[derive(Debug, Clone)]
pub struct Overrides {
    /// The `response` object's fields that override the session's for this response.
    pub config: Value,
    /// Whether the output joins the conversation (`conversation` is not `"none"`).
    pub in_conversation: bool,
    /// The items the response reads instead of the conversation (`input`).
    pub input: Option<Vec<Value>>,
    /// The response's `metadata`.
    pub metadata: Value,
}

impl Default for Overrides {
    fn default() -> Overrides {
        Overrides::of(None)
    }
}

impl Overrides {
    /// The overrides of a `response.create` event's `response`.
    pub fn of(response: Option<&Value>) -> Overrides {
        let mut config = response.cloned().unwrap_or_else(|| json!({}));
        let mut take = |key: &str| config.as_object_mut().and_then(|o| o.remove(key));
        let conversation = take("conversation");
        let input = take("input").and_then(|v| v.as_array().cloned());
        let metadata = take("metadata").unwrap_or(Value::Null);
        Overrides {
            in_conversation: conversation.as_ref().and_then(Value::as_str) != Some("none"),
            input,
            metadata,
            config,
        }
    }
}

/// One response being written.
pub struct Turn<'a> {
    /// The session's configuration.
    pub config: &'a Value,
    /// The conversation so far.
    pub items: &'a [Value],
    /// What `response.create` asked.
    pub overrides: &'a Overrides,
    /// The response's id.
    pub response_id: &'a str,
    /// The session's conversation id.
    pub conversation_id: &'a str,
    /// The server's seed.
    pub seed: u64,
    /// Milliseconds of input audio in the conversation.
    pub input_audio_ms: u64,
    /// What a scenario rule scripted for this turn: the reply's text and/or its function
    /// calls, used instead of the simulated model's.
    pub script: Option<&'a Scripted>,
}

/// A written response.
pub struct Said {
    /// The server events, in order (without `event_id`s).
    pub events: Vec<Value>,
    /// The output items, for the conversation.
    pub output: Vec<Value>,
    /// Milliseconds of audio each output item says.
    pub audio_ms: Vec<(String, u64)>,
}

impl Turn<'_> {
    /// The session's configuration with the response's overrides.
    pub fn effective(&self) -> Value {
        let mut effective = self.config.clone();
        config::merge(&mut effective, &self.overrides.config);
        effective
    }

    /// The `realtime.response` object as `response.created` shows it.
    fn created(&self, effective: &Value) -> Value {
        let audio = speaks(effective);
        json!({
            "object": "realtime.response",
            "id": self.response_id,
            "status": "in_progress",
            "output": [],
            "conversation_id": self.conversation_id,
            "output_modalities": [if audio { "audio" } else { "text" }],
            "max_output_tokens": effective.get("max_output_tokens").cloned().unwrap_or(json!("inf")),
            "audio": {"output": {
                "format": effective.pointer("/audio/output/format").cloned()
                    .unwrap_or(json!({"type": "audio/pcm", "rate": 24000})),
                "voice": effective.voice(),
            }},
            "metadata": self.overrides.metadata,
        })
    }

    /// The events of this response failing with `error` (a scenario rule's), answering
    /// the client event `event_id`.
    pub fn failed(&self, error: &crate::error::ApiError, event_id: Option<&str>) -> Vec<Value> {
        super::turns::failed(&self.created(&self.effective()), error, event_id)
    }

    /// The response's events and output.
    pub fn said(&self, ids: &mut Rng) -> Said {
        let effective = self.effective();
        let items = self.overrides.input.as_deref().unwrap_or(self.items);
        let instructions = effective.get("instructions").and_then(Value::as_str);
        let readable: Vec<Value> = items.iter().map(super::turns::readable_item).collect();
        let conversation = Conversation::of_items(&readable, instructions);
        let context = Context::of(&conversation);
        // What is said decides the wording, not item ids: equal conversations get equal
        // replies, in the conversation or out of band.
        let mut rng = Rng::new(fnv1a(&[
            &self.seed.to_le_bytes(),
            format!("{conversation:?}").as_bytes(),
        ]));
        let audio = speaks(&effective);
        let model = effective
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("gpt-realtime");
        let encoding = Encoding::for_model(model);
        let mut response = self.created(&effective);
        let mut writer = Writer {
            events: vec![json!({"type": "response.created", "response": response})],
            response_id: self.response_id,
            in_conversation: self.overrides.in_conversation,
            previous: self.items.last().and_then(|i| i.get("id")).cloned(),
            output: Vec::new(),
            audio_ms: Vec::new(),
            output_text_tokens: 0,
        };
        // A scripted turn says the rule's text and/or makes its calls (with their ids);
        // otherwise the simulated model calls a tool or composes a reply.
        let (reply, calls): (Option<String>, Vec<(tools::Call, Option<String>)>) = match self.script
        {
            Some(script) => (
                script.text.clone(),
                script::calls(script)
                    .into_iter()
                    .zip(script.tool_calls.iter().map(|c| Some(c.id.clone())))
                    .collect(),
            ),
            None => {
                let offered = effective.tools();
                let selected = tools::select(&offered, &effective.tool_choice(), &context, true);
                if selected.is_empty() {
                    (Some(text::reply(&context, &mut rng)), Vec::new())
                } else {
                    let calls = tools::calls(&selected, &context, true, 0, &mut rng);
                    (None, calls.into_iter().map(|c| (c, None)).collect())
                }
            }
        };
        if let Some(mut reply) = reply {
            if let Some(max) = effective.get("max_output_tokens").and_then(Value::as_u64) {
                reply = truncate_tokens(encoding, &reply, max as usize).0;
            }
            writer.output_text_tokens = encoding.count(&reply) as u64;
            writer.message(&reply, audio, &effective, encoding, ids);
        }
        for (call, call_id) in calls {
            writer.output_text_tokens += encoding.count(&call.input) as u64;
            writer.function_call(&call, call_id, encoding, ids);
        }
        let input_text: String = readable
            .iter()
            .map(|item| content_text(item.get("content").or_else(|| item.get("output"))))
            .chain(instructions.map(str::to_string))
            .collect::<Vec<_>>()
            .join("\n");
        let input_audio_ms = self.input_audio_ms;
        let usage = usage(
            encoding.count(&input_text) as u64,
            input_audio_ms.div_ceil(1000 / INPUT_AUDIO_TOKENS_PER_SECOND),
            writer.output_text_tokens,
            writer
                .audio_ms
                .iter()
                .map(|(_, ms)| *ms)
                .sum::<u64>()
                .div_ceil(1000 / OUTPUT_AUDIO_TOKENS_PER_SECOND),
        );
        response["status"] = json!("completed");
        response["output"] = json!(writer.output);
        response["usage"] = usage.clone();
        let total = usage["total_tokens"].as_u64().unwrap_or(0);
        writer
            .events
            .push(json!({"type": "response.done", "response": response}));
        writer
            .events
            .push(json!({"type": "rate_limits.updated", "rate_limits": [
                {"name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.012},
                {"name": "tokens", "limit": 400_000, "remaining": 400_000u64.saturating_sub(total),
                    "reset_seconds": 0.3},
            ]}));
        Said {
            events: writer.events,
            output: writer.output,
            audio_ms: writer.audio_ms,
        }
    }
}

/// Whether a response under `effective` speaks (its output modalities include audio).
fn speaks(effective: &Value) -> bool {
    effective
        .get("output_modalities")
        .and_then(Value::as_array)
        .is_none_or(|m| m.iter().any(|v| v == "audio"))
}

/// Builds the output items' events.
struct Writer<'a> {
    events: Vec<Value>,
    response_id: &'a str,
    in_conversation: bool,
    previous: Option<Value>,
    output: Vec<Value>,
    audio_ms: Vec<(String, u64)>,
    output_text_tokens: u64,
}

impl Writer<'_> {
    /// `output_item.added` (and `conversation.item.added`) for `item`.
    fn added(&mut self, item: &Value) {
        let index = self.output.len();
        self.events
            .push(json!({"type": "response.output_item.added",
            "response_id": self.response_id, "output_index": index, "item": item}));
        if self.in_conversation {
            self.events.push(json!({"type": "conversation.item.added",
                "previous_item_id": self.previous, "item": item}));
        }
    }

    /// `output_item.done` (and `conversation.item.done`) for the finished `item`.
    fn done(&mut self, item: Value) {
        let index = self.output.len();
        self.events.push(json!({"type": "response.output_item.done",
            "response_id": self.response_id, "output_index": index, "item": item}));
        if self.in_conversation {
            self.events.push(json!({"type": "conversation.item.done",
                "previous_item_id": self.previous, "item": item}));
        }
        self.previous = item.get("id").cloned();
        self.output.push(item);
    }

    fn message(
        &mut self,
        reply: &str,
        audio: bool,
        config: &Value,
        encoding: Encoding,
        ids: &mut Rng,
    ) {
        let item_id = format!("item_{}", ids.alphanumeric(21));
        let index = self.output.len();
        let mut item = json!({"id": item_id, "type": "message", "object": "realtime.item",
            "status": "in_progress", "role": "assistant", "content": []});
        self.added(&item);
        let at = json!({"response_id": self.response_id, "item_id": item_id,
            "output_index": index, "content_index": 0});
        let with = |mut event: Value, extra: Value| {
            if let (Some(event), Value::Object(extra)) = (event.as_object_mut(), extra) {
                event.extend(extra);
            }
            event
        };
        let (empty_part, part, content) = if audio {
            (
                json!({"type": "audio", "transcript": ""}),
                json!({"type": "audio", "transcript": reply}),
                json!({"type": "output_audio", "transcript": reply}),
            )
        } else {
            (
                json!({"type": "text", "text": ""}),
                json!({"type": "text", "text": reply}),
                json!({"type": "output_text", "text": reply}),
            )
        };
        self.events.push(with(
            json!({"type": "response.content_part.added", "part": empty_part}),
            at.clone(),
        ));
        let pieces = encoding.pieces(reply);
        if audio {
            let speed = config
                .pointer("/audio/output/speed")
                .and_then(Value::as_f64)
                .unwrap_or(1.0);
            let samples = speech_samples(reply, config.voice(), speed);
            let format = config.output_format();
            let chunks: Vec<&[i16]> = samples.chunks(AUDIO_CHUNK_SAMPLES).collect();
            let per_chunk = pieces.len().div_ceil(chunks.len().max(1)).max(1);
            let mut words = pieces.chunks(per_chunk);
            for chunk in &chunks {
                if let Some(words) = words.next() {
                    self.events.push(with(
                        json!({"type": "response.output_audio_transcript.delta",
                        "delta": words.concat()}),
                        at.clone(),
                    ));
                }
                let bytes = format.encode(chunk);
                let delta = base64::engine::general_purpose::STANDARD.encode(bytes);
                self.events.push(with(
                    json!({"type": "response.output_audio.delta", "delta": delta}),
                    at.clone(),
                ));
            }
            for words in words {
                self.events.push(with(
                    json!({"type": "response.output_audio_transcript.delta",
                    "delta": words.concat()}),
                    at.clone(),
                ));
            }
            self.events.push(with(
                json!({"type": "response.output_audio.done"}),
                at.clone(),
            ));
            self.events.push(with(
                json!({"type": "response.output_audio_transcript.done",
                "transcript": reply}),
                at.clone(),
            ));
            let ms = samples.len() as u64 * 1000 / u64::from(super::audio::PCM_RATE);
            self.audio_ms.push((item_id.clone(), ms));
        } else {
            for piece in &pieces {
                self.events.push(with(
                    json!({"type": "response.output_text.delta", "delta": piece}),
                    at.clone(),
                ));
            }
            self.events.push(with(
                json!({"type": "response.output_text.done", "text": reply}),
                at.clone(),
            ));
        }
        self.events.push(with(
            json!({"type": "response.content_part.done", "part": part}),
            at,
        ));
        item["status"] = json!("completed");
        item["content"] = json!([content]);
        self.done(item);
    }

    fn function_call(
        &mut self,
        call: &tools::Call,
        call_id: Option<String>,
        encoding: Encoding,
        ids: &mut Rng,
    ) {
        let item_id = format!("item_{}", ids.alphanumeric(21));
        let fresh = format!("call_{}", ids.alphanumeric(16));
        let call_id = call_id.unwrap_or(fresh);
        let index = self.output.len();
        let mut item = json!({"id": item_id, "type": "function_call", "object": "realtime.item",
            "status": "in_progress", "name": call.name, "call_id": call_id, "arguments": ""});
        self.added(&item);
        for piece in encoding.pieces(&call.input) {
            self.events
                .push(json!({"type": "response.function_call_arguments.delta",
                "response_id": self.response_id, "item_id": item_id, "output_index": index,
                "call_id": call_id, "delta": piece}));
        }
        self.events
            .push(json!({"type": "response.function_call_arguments.done",
            "response_id": self.response_id, "item_id": item_id, "output_index": index,
            "call_id": call_id, "name": call.name, "arguments": call.input}));
        item["status"] = json!("completed");
        item["arguments"] = json!(call.input);
        self.done(item);
    }
}

fn usage(input_text: u64, input_audio: u64, output_text: u64, output_audio: u64) -> Value {
    let input = input_text + input_audio;
    let output = output_text + output_audio;
    json!({
        "total_tokens": input + output,
        "input_tokens": input,
        "output_tokens": output,
        "input_token_details": {
            "text_tokens": input_text,
            "audio_tokens": input_audio,
            "image_tokens": 0,
            "cached_tokens": 0,
            "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
        },
        "output_token_details": {"text_tokens": output_text, "audio_tokens": output_audio},
    })
}

/// What the mock hears in `samples` lasting `seconds`: sentences of the transcription
/// script, picked by the audio itself, so the same audio is always heard the same.
pub fn transcript_of(samples: &[i16], seconds: f64, seed: u64) -> String {
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    script_sentences(fnv1a(&[&seed.to_le_bytes(), &bytes]), seconds).join(" ")
}

/// The input transcription events of a committed item.
pub fn transcription_events(item_id: &str, transcript: &str, ms: f64) -> Vec<Value> {
    let encoding = Encoding::for_model("gpt-4o-transcribe");
    let mut events: Vec<Value> = encoding
        .pieces(transcript)
        .into_iter()
        .map(|piece| {
            json!({"type": "conversation.item.input_audio_transcription.delta",
            "item_id": item_id, "content_index": 0, "delta": piece})
        })
        .collect();
    let audio_tokens = (ms as u64).div_ceil(1000 / INPUT_AUDIO_TOKENS_PER_SECOND);
    let output_tokens = encoding.count(transcript) as u64;
    events.push(json!({
        "type": "conversation.item.input_audio_transcription.completed",
        "item_id": item_id,
        "content_index": 0,
        "transcript": transcript,
        "usage": {
            "type": "tokens",
            "total_tokens": audio_tokens + output_tokens,
            "input_tokens": audio_tokens,
            "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
            "output_tokens": output_tokens,
        },
    }));
    events
}

/// A truncated audio part: the audio after `audio_end_ms` was not heard, so its transcript
/// goes, as the real API drops it.
pub fn cut_transcript(part: &mut Value) {
    if let Some(object) = part.as_object_mut() {
        if object.contains_key("transcript") {
            object.insert("transcript".into(), json!(""));
        }
    }
}
