//! One Realtime session: its configuration, its conversation items and its input audio
//! buffer, and what each client event does to them. [`Session::handle`] takes one text
//! frame and gives the server events to send back, in order; the transport (the server's
//! socket loop) only carries them.

use super::audio::{Turn, Vad};
use super::config::{self, Read};
use super::events::{audio_bytes, stamp, stamped, ClientEvents, Refusal};
use super::reply::{self, Overrides};
use super::turns::{self, Planner, TurnScript};
use crate::catalog::Catalog;
use crate::error::ApiError;
use crate::generate::{fnv1a, Rng};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The least audio a commit takes, in milliseconds.
const MIN_COMMIT_MS: f64 = 100.0;

/// How a socket opens its session.
#[derive(Debug, Clone, Default)]
pub struct Opening {
    /// The `model` query parameter.
    pub model: Option<String>,
    /// `intent=transcription` (or the translations path with a transcription model).
    pub transcription: bool,
    /// The configuration a client secret was minted with, merged over the defaults.
    pub configured: Option<Value>,
    /// The server's `--seed`, so equal conversations get equal replies.
    pub seed: u64,
    /// Unix seconds now.
    pub now: i64,
}

/// A Realtime session (see the module notes).
pub struct Session {
    catalog: Arc<Catalog>,
    events: ClientEvents,
    /// The configuration `session.updated` shows.
    pub config: Value,
    /// The conversation, oldest first.
    pub items: Vec<Value>,
    buffer: Vec<i16>,
    vad: Vad,
    /// Where the uncommitted buffer starts, in ms of the session's input.
    buffer_from_ms: u64,
    ids: Rng,
    seed: u64,
    conversation_id: String,
    spoke: bool,
    /// Milliseconds of audio each assistant item said, by item id.
    spoken_ms: HashMap<String, u64>,
    last_response: Option<String>,
    /// Milliseconds of input audio committed to the conversation.
    pub input_audio_ms: u64,
    /// What the server's scenario says about each turn (none: every turn is normal).
    planner: Option<Planner>,
}

impl Session {
    /// A session over `catalog`, taking its ids from `ids` (unique per socket).
    pub fn new(catalog: Arc<Catalog>, opening: Opening, mut ids: Rng) -> Session {
        let id = format!("sess_{}", ids.alphanumeric(21));
        let mut config = if opening.transcription {
            config::transcription(&id, opening.now)
        } else {
            let model = opening.model.as_deref().unwrap_or("gpt-realtime");
            config::conversation(&id, model, opening.now)
        };
        if let Some(configured) = &opening.configured {
            let mut configured = configured.clone();
            if let Some(object) = configured.as_object_mut() {
                // The minted session keeps the id and expiry of this one.
                object.remove("id");
                object.remove("expires_at");
                object.remove("object");
            }
            config::merge(&mut config, &configured);
        }
        let mut events = ClientEvents::of(&catalog, "RealtimeClientEvent");
        if opening.transcription {
            events = events.with(&catalog, "RealtimeClientEventTranscriptionSessionUpdate");
        }
        Session {
            events,
            catalog,
            config,
            items: Vec::new(),
            buffer: Vec::new(),
            vad: Vad::default(),
            buffer_from_ms: 0,
            conversation_id: format!("conv_{}", ids.alphanumeric(21)),
            ids,
            seed: opening.seed,
            spoke: false,
            spoken_ms: HashMap::new(),
            last_response: None,
            input_audio_ms: 0,
            planner: None,
        }
    }

    /// Asks `planner` about each turn from now on (see [`super::turns`]).
    pub fn set_planner(&mut self, planner: Planner) {
        self.planner = Some(planner);
    }

    /// The events a socket opens with.
    pub fn open(&mut self) -> Vec<Value> {
        let created = json!({"type": "session.created", "session": config::shown(&self.config)});
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

    /// The `error` event for a frame the transport refuses (binary, too large).
    pub fn refuse(&mut self, error: ApiError) -> Value {
        stamp(&mut self.ids, Refusal::new(error, None).event())
    }

    fn new_id(&mut self, prefix: &str) -> String {
        format!("{prefix}{}", self.ids.alphanumeric(21))
    }

    /// What a valid client event does.
    fn apply(&mut self, event: &Value) -> Result<Vec<Value>, Refusal> {
        let event_id = event.get("event_id").and_then(Value::as_str);
        let refuse = |error: ApiError| Refusal::new(error, event_id);
        match event.get("type").and_then(Value::as_str).unwrap_or("") {
            "session.update" | "transcription_session.update" => self
                .update(event.get("session").unwrap_or(&Value::Null))
                .map_err(refuse),
            "input_audio_buffer.append" => self.append(event).map_err(refuse),
            "input_audio_buffer.commit" => self.commit(false).map_err(refuse),
            "input_audio_buffer.clear" => {
                self.buffer.clear();
                self.buffer_from_ms = self.vad.heard_ms;
                self.vad.speech_from = None;
                Ok(vec![json!({"type": "input_audio_buffer.cleared"})])
            }
            "output_audio_buffer.clear" => Ok(vec![json!({
                "type": "output_audio_buffer.cleared",
                "response_id": self.last_response.clone().unwrap_or_default(),
            })]),
            "conversation.item.create" => self.create_item(event).map_err(refuse),
            "conversation.item.retrieve" => {
                let (index, _) = self.find(event).map_err(refuse)?;
                Ok(vec![
                    json!({"type": "conversation.item.retrieved", "item": self.items[index]}),
                ])
            }
            "conversation.item.delete" => {
                let (index, id) = self.find(event).map_err(refuse)?;
                self.items.remove(index);
                Ok(vec![
                    json!({"type": "conversation.item.deleted", "item_id": id}),
                ])
            }
            "conversation.item.truncate" => self.truncate(event).map_err(refuse),
            "response.create" => {
                let overrides = Overrides::of(event.get("response"));
                Ok(self.respond(&overrides, event_id))
            }
            "response.cancel" => Err(refuse(
                ApiError::invalid_request("Cancellation failed: no active response found")
                    .with_code("response_cancel_not_active"),
            )),
            _ => Ok(Vec::new()),
        }
    }

    fn update(&mut self, update: &Value) -> Result<Vec<Value>, ApiError> {
        let kind = self.config.get("type").cloned().unwrap_or(Value::Null);
        if let Some(asked) = update.get("type").filter(|asked| **asked != kind) {
            return Err(ApiError::invalid_request(format!(
                "Cannot update a session's type: this session is '{}', not '{}'.",
                kind.as_str().unwrap_or(""),
                asked.as_str().unwrap_or("")
            ))
            .with_param("session.type")
            .with_code("invalid_value"));
        }
        let voice = update.pointer("/audio/output/voice");
        if self.spoke && voice.is_some_and(|v| v.as_str() != Some(self.config.voice())) {
            return Err(ApiError::invalid_request(
                "Cannot update a conversation's voice if assistant audio is present.",
            )
            .with_param("session.audio.output.voice")
            .with_code("cannot_update_voice"));
        }
        let mut update = update.clone();
        if let Some(object) = update.as_object_mut() {
            object.remove("model");
        }
        config::merge(&mut self.config, &update);
        Ok(vec![
            json!({"type": "session.updated", "session": config::shown(&self.config)}),
        ])
    }

    fn append(&mut self, event: &Value) -> Result<Vec<Value>, ApiError> {
        let bytes = audio_bytes(event)?;
        let format = self.config.input_format();
        let samples = format.decode(&bytes);
        let Some((threshold, silence, create)) = self.config.server_vad() else {
            self.buffer.extend_from_slice(&samples);
            self.vad.heard_ms += samples.len() as u64 * 1000 / u64::from(format.rate());
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        // Feed frame by frame so a commit takes exactly the audio before the pause ended.
        let frame = (format.rate() / 100) as usize;
        for chunk in samples.chunks(frame.max(1)) {
            self.buffer.extend_from_slice(chunk);
            for turn in self.vad.feed(chunk, format.rate(), threshold, silence) {
                out.extend(self.turn(turn, create));
            }
        }
        Ok(out)
    }

    /// The events of one VAD turn boundary.
    fn turn(&mut self, turn: Turn, create_response: bool) -> Vec<Value> {
        let padding = self
            .config
            .pointer("/audio/input/turn_detection/prefix_padding_ms")
            .and_then(Value::as_u64)
            .unwrap_or(300);
        match turn {
            Turn::Started(at) => {
                // Audio more than the padding before the speech is dropped from the turn.
                let keep_from = at.saturating_sub(padding).max(self.buffer_from_ms);
                let rate = u64::from(self.config.input_format().rate());
                let drop = ((keep_from - self.buffer_from_ms) * rate / 1000) as usize;
                self.buffer.drain(..drop.min(self.buffer.len()));
                self.buffer_from_ms = keep_from;
                let item_id = self.pending_item_id();
                vec![json!({
                    "type": "input_audio_buffer.speech_started",
                    "audio_start_ms": keep_from,
                    "item_id": item_id,
                })]
            }
            Turn::Stopped(at) => {
                let item_id = self.pending_item_id();
                let mut out = vec![json!({
                    "type": "input_audio_buffer.speech_stopped",
                    "audio_end_ms": at,
                    "item_id": item_id,
                })];
                if let Ok(committed) = self.commit(true) {
                    out.extend(committed);
                    if create_response && !self.config.is_transcription() {
                        out.extend(self.respond(&Overrides::default(), None));
                    }
                }
                out
            }
        }
    }

    /// The id the next committed input item gets (stable from speech start to commit).
    fn pending_item_id(&mut self) -> String {
        let seed = fnv1a(&[
            self.conversation_id.as_bytes(),
            &self.buffer_from_ms.to_le_bytes(),
        ]);
        format!("item_{}", Rng::new(seed).alphanumeric(21))
    }

    fn commit(&mut self, by_vad: bool) -> Result<Vec<Value>, ApiError> {
        let rate = f64::from(self.config.input_format().rate());
        let ms = self.buffer.len() as f64 * 1000.0 / rate;
        if ms < MIN_COMMIT_MS {
            return Err(ApiError::invalid_request(format!(
                "Error committing input audio buffer: buffer too small. Expected at least \
                 100ms of audio, but buffer only has {ms:.2}ms of audio."
            ))
            .with_code("input_audio_buffer_commit_empty"));
        }
        let item_id = self.pending_item_id();
        let samples = std::mem::take(&mut self.buffer);
        self.buffer_from_ms = self.vad.heard_ms;
        if !by_vad {
            self.vad.speech_from = None;
        }
        self.input_audio_ms += ms as u64;
        let transcript = reply::transcript_of(&samples, ms / 1000.0, self.seed);
        let previous = self.items.last().and_then(|i| i.get("id")).cloned();
        let item = json!({
            "id": item_id,
            "type": "message",
            "object": "realtime.item",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio"}],
        });
        let mut stored = item.clone();
        stored["content"][0]["transcript"] = json!(transcript);
        self.items.push(stored);
        let mut out = vec![
            json!({"type": "input_audio_buffer.committed",
                "previous_item_id": previous, "item_id": item_id}),
            json!({"type": "conversation.item.added", "previous_item_id": previous, "item": item}),
            json!({"type": "conversation.item.done", "previous_item_id": previous, "item": item}),
        ];
        if self.config.transcribes() {
            out.extend(reply::transcription_events(&item_id, &transcript, ms));
        }
        Ok(out)
    }

    fn create_item(&mut self, event: &Value) -> Result<Vec<Value>, ApiError> {
        let mut item = event.get("item").cloned().unwrap_or(Value::Null);
        let id = match item.get("id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => self.new_id("item_"),
        };
        if self.position(&id).is_some() {
            return Err(ApiError::invalid_request(format!(
                "Item with item_id '{id}' already exists."
            ))
            .with_param("item.id")
            .with_code("item_already_exists"));
        }
        let at = match event.get("previous_item_id").and_then(Value::as_str) {
            None => self.items.len(),
            Some("root") => 0,
            Some(previous) => self
                .position(previous)
                .map(|i| i + 1)
                .ok_or_else(|| item_not_found(previous).with_param("previous_item_id"))?,
        };
        if let Some(object) = item.as_object_mut() {
            object.insert("id".into(), json!(id));
            object.insert("object".into(), json!("realtime.item"));
            object.entry("status").or_insert(json!("completed"));
        }
        let previous = at
            .checked_sub(1)
            .and_then(|i| self.items[i].get("id").cloned());
        self.items.insert(at, item.clone());
        Ok(vec![
            json!({"type": "conversation.item.added", "previous_item_id": previous, "item": item}),
            json!({"type": "conversation.item.done", "previous_item_id": previous, "item": item}),
        ])
    }

    fn truncate(&mut self, event: &Value) -> Result<Vec<Value>, ApiError> {
        let (index, id) = self.find(event)?;
        let content_index = event
            .get("content_index")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let audio_end_ms = event
            .get("audio_end_ms")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if self.items[index].get("role").and_then(Value::as_str) != Some("assistant") {
            return Err(
                ApiError::invalid_request("Only assistant messages can be truncated.")
                    .with_param("item_id")
                    .with_code("invalid_value"),
            );
        }
        let spoken_ms = self.spoken_ms.get(&id).copied().unwrap_or(0);
        if audio_end_ms > spoken_ms {
            return Err(ApiError::invalid_request(format!(
                "Audio content of {spoken_ms}ms is already shorter than {audio_end_ms}ms"
            ))
            .with_param("audio_end_ms")
            .with_code("invalid_value"));
        }
        if let Some(part) = self.items[index]
            .get_mut("content")
            .and_then(|c| c.get_mut(content_index as usize))
        {
            reply::cut_transcript(part);
        }
        Ok(vec![json!({
            "type": "conversation.item.truncated",
            "item_id": id,
            "content_index": content_index,
            "audio_end_ms": audio_end_ms,
        })])
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.items
            .iter()
            .position(|item| item.get("id").and_then(Value::as_str) == Some(id))
    }

    /// The item an event's `item_id` names, or the real error.
    fn find(&self, event: &Value) -> Result<(usize, String), ApiError> {
        let id = event.get("item_id").and_then(Value::as_str).unwrap_or("");
        self.position(id)
            .map(|index| (index, id.to_string()))
            .ok_or_else(|| item_not_found(id).with_param("item_id"))
    }

    /// The events of one response, added to the conversation unless it is out of band;
    /// `event_id` is the `response.create` that asked for it.
    fn respond(&mut self, overrides: &Overrides, event_id: Option<&str>) -> Vec<Value> {
        let response_id = self.new_id("resp_");
        let mut ids = Rng::new(self.ids.next_u64());
        let mut turn = reply::Turn {
            config: &self.config,
            items: &self.items,
            overrides,
            response_id: &response_id,
            conversation_id: &self.conversation_id,
            seed: self.seed,
            input_audio_ms: self.input_audio_ms,
            script: None,
        };
        let planned = match self.planner.as_mut() {
            Some(planner) => {
                let items = overrides.input.as_deref().unwrap_or(&self.items);
                planner(&turns::request_body(
                    &turn.effective(),
                    items,
                    &self.conversation_id,
                ))
            }
            None => TurnScript::Normal,
        };
        let script = match planned {
            TurnScript::Normal => None,
            TurnScript::Scripted(script) => Some(script),
            TurnScript::Error(error) => {
                self.last_response = Some(response_id.clone());
                return turn.failed(&error, event_id);
            }
        };
        turn.script = script.as_ref();
        let said = turn.said(&mut ids);
        self.last_response = Some(response_id);
        for (id, ms) in said.audio_ms {
            self.spoke = true;
            self.spoken_ms.insert(id, ms);
        }
        if overrides.in_conversation {
            self.items.extend(said.output);
        }
        said.events
    }
}

impl Session {
    /// Marks the output items a cancelled response had not finished (`unfinished`, by id)
    /// as `incomplete` in the conversation.
    pub fn cancel(&mut self, unfinished: &[String]) {
        for item in &mut self.items {
            let id = item.get("id").and_then(Value::as_str).unwrap_or("");
            if unfinished.iter().any(|u| u == id) {
                item["status"] = json!("incomplete");
            }
        }
    }
}

fn item_not_found(id: &str) -> ApiError {
    ApiError::invalid_request(format!("Item with item_id not found: {id}"))
        .with_code("item_not_found")
}
