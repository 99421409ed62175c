//! Realtime sessions in process: every server event of the flows the SDK tests drive (a
//! text turn, audio turns in PCM16, μ-law and A-law, a server-VAD turn with input
//! transcription, a function-call turn finished with its output, item retrieval,
//! truncation and deletion, invalid events, a transcription session) validates against
//! the spec's `RealtimeServerEvent` member of its type, and the audio decodes to the
//! length its transcript takes to say.

use base64::Engine;
use openai_mock::catalog::Catalog;
use openai_mock::endpoints::realtime::{ulaw_to_linear, Opening, Session, Socket, Translation};
use openai_mock::generate::Rng;
use serde_json::{json, Value};
use std::sync::Arc;

/// A session, and a checker of the events it sends.
struct Flow {
    catalog: Arc<Catalog>,
    session: Socket,
    /// The server-event union the events belong to.
    union: &'static str,
    checked: usize,
}

impl Flow {
    fn open(opening: Opening) -> (Flow, Vec<Value>) {
        let catalog = Catalog::embedded();
        let session = Socket::Session(Box::new(Session::new(
            catalog.clone(),
            opening,
            Rng::new(7),
        )));
        Flow::start(catalog, session, "RealtimeServerEvent")
    }

    fn translation() -> (Flow, Vec<Value>) {
        let catalog = Catalog::embedded();
        let session = Translation::new(catalog.clone(), None, None, 0, 0, Rng::new(7));
        Flow::start(
            catalog,
            Socket::Translation(Box::new(session)),
            "RealtimeTranslationServerEvent",
        )
    }

    fn start(catalog: Arc<Catalog>, session: Socket, union: &'static str) -> (Flow, Vec<Value>) {
        let mut flow = Flow {
            catalog,
            session,
            union,
            checked: 0,
        };
        let events = flow.session.open();
        flow.check(&events);
        (flow, events)
    }

    fn conversation() -> (Flow, Vec<Value>) {
        Flow::open(Opening {
            model: Some("gpt-realtime".into()),
            ..Opening::default()
        })
    }

    fn send(&mut self, event: Value) -> Vec<Value> {
        let events = self.session.handle(&event.to_string());
        self.check(&events);
        events
    }

    /// Each event against the member of `RealtimeServerEvent` its `type` names.
    fn check(&mut self, events: &[Value]) {
        let union = self
            .catalog
            .schemas
            .component(self.union)
            .expect("the union exists");
        for event in events {
            let kind = event["type"].as_str().expect("typed");
            let member = union["anyOf"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|m| m["$ref"].as_str())
                .map(|r| r.rsplit('/').next().unwrap())
                .find(|name| {
                    self.catalog.schemas.component(name).unwrap()["properties"]["type"]["enum"][0]
                        == kind
                })
                .unwrap_or_else(|| panic!("no server event schema for {kind}"));
            let validator = self
                .catalog
                .schemas
                .answer_validator_at(&format!("/components/schemas/{member}"))
                .expect("compiles");
            let errors: Vec<String> = validator
                .iter_errors(event)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{kind}: {errors:?}\n{event:#}");
            assert!(event["event_id"].as_str().unwrap().starts_with("event_"));
            self.checked += 1;
        }
    }
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn user_text(text: &str) -> Value {
    json!({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
        "content": [{"type": "input_text", "text": text}]}})
}

fn decoded(events: &[Value]) -> Vec<u8> {
    events
        .iter()
        .filter(|e| e["type"] == "response.output_audio.delta")
        .flat_map(|e| {
            base64::engine::general_purpose::STANDARD
                .decode(e["delta"].as_str().unwrap())
                .unwrap()
        })
        .collect()
}

#[test]
fn a_text_turn_has_the_real_event_sequence() {
    let (mut flow, opened) = Flow::conversation();
    assert_eq!(kinds(&opened), ["session.created"]);
    let updated = flow.send(json!({"type": "session.update",
        "session": {"type": "realtime", "output_modalities": ["text"]}}));
    assert_eq!(updated[0]["session"]["output_modalities"], json!(["text"]));
    assert_eq!(
        kinds(&flow.send(user_text("Say hello"))),
        ["conversation.item.added", "conversation.item.done"]
    );
    let events = flow.send(json!({"type": "response.create"}));
    let kinds = kinds(&events);
    assert_eq!(
        kinds[..4],
        [
            "response.created",
            "response.output_item.added",
            "conversation.item.added",
            "response.content_part.added"
        ]
    );
    assert_eq!(
        kinds[kinds.len() - 6..],
        [
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "conversation.item.done",
            "response.done",
            "rate_limits.updated"
        ]
    );
    let text: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Hello.");
    let Socket::Session(session) = &flow.session else {
        unreachable!()
    };
    assert_eq!(session.items.len(), 2);
}

#[test]
fn audio_turns_are_real_audio_in_each_format() {
    let (mut flow, _) = Flow::conversation();
    flow.send(user_text("Tell me about the ocean tides."));
    let pcm = decoded(&flow.send(json!({"type": "response.create"})));
    let seconds = pcm.len() as f64 / 2.0 / 24_000.0;
    assert!(seconds > 1.0, "{seconds}");
    let energy: f64 = pcm
        .chunks_exact(2)
        .map(|b| f64::from(i16::from_le_bytes([b[0], b[1]])).abs())
        .sum();
    assert!(
        energy / (pcm.len() as f64 / 2.0) > 1000.0,
        "the audio is not silent"
    );
    for format in ["audio/pcmu", "audio/pcma"] {
        flow.send(
            json!({"type": "session.update", "session": {"type": "realtime",
            "audio": {"output": {"format": {"type": format}}}}}),
        );
        let events = flow.send(
            json!({"type": "response.create", "response": {"conversation": "none",
            "input": [{"type": "message", "role": "user",
                "content": [{"type": "input_text", "text": "Tell me about the ocean tides."}]}]}}),
        );
        let g711 = decoded(&events);
        assert!(
            (g711.len() as f64 / 8000.0 - seconds).abs() < 0.01,
            "{format}"
        );
        if format == "audio/pcmu" {
            let loud = g711
                .iter()
                .filter(|b| ulaw_to_linear(**b).abs() > 1000)
                .count();
            assert!(loud > g711.len() / 4);
        }
        let usage = &events
            .iter()
            .find(|e| e["type"] == "response.done")
            .unwrap()["response"]["usage"];
        assert!(
            usage["output_token_details"]["audio_tokens"]
                .as_u64()
                .unwrap()
                > 0
        );
    }
    // The voice cannot change once the assistant has spoken.
    let refused = flow.send(json!({"type": "session.update", "event_id": "e1",
        "session": {"type": "realtime", "audio": {"output": {"voice": "cedar"}}}}));
    assert_eq!(refused[0]["error"]["code"], "cannot_update_voice");
    assert_eq!(refused[0]["error"]["event_id"], "e1");
}

fn append(flow: &mut Flow, samples: &[i16]) -> Vec<Value> {
    let mut out = Vec::new();
    for chunk in samples.chunks(2400) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
        out.extend(flow.send(json!({"type": "input_audio_buffer.append",
            "audio": base64::engine::general_purpose::STANDARD.encode(bytes)})));
    }
    out
}

fn speech(seconds: f64) -> Vec<i16> {
    (0..(seconds * 24_000.0) as usize)
        .map(|i| ((i as f64 * 2.0 * std::f64::consts::PI * 180.0 / 24_000.0).sin() * 9000.0) as i16)
        .collect()
}

#[test]
fn server_vad_finds_the_turn_by_its_energy_and_transcribes_it() {
    let (mut flow, _) = Flow::conversation();
    flow.send(
        json!({"type": "session.update", "session": {"type": "realtime",
        "output_modalities": ["text"],
        "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}}}}),
    );
    let mut samples = vec![0i16; 12_000];
    samples.extend(speech(1.0));
    samples.extend(vec![0i16; 12_000]);
    let events = append(&mut flow, &samples);
    let kinds = kinds(&events);
    assert_eq!(
        kinds[..8],
        [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
            "conversation.item.added",
            "conversation.item.done",
            "conversation.item.input_audio_transcription.delta",
            "conversation.item.input_audio_transcription.delta",
            "conversation.item.input_audio_transcription.delta"
        ]
    );
    assert_eq!(events[0]["audio_start_ms"], 200);
    assert_eq!(events[1]["audio_end_ms"], 1500);
    assert!(kinds.contains(&"conversation.item.input_audio_transcription.completed"));
    assert_eq!(kinds.last(), Some(&"rate_limits.updated"));
    // Silence alone is no turn, and too little audio is no commit.
    assert!(append(&mut flow, &[0i16; 24_000]).is_empty());
    flow.send(json!({"type": "input_audio_buffer.clear"}));
    let refused = flow.send(json!({"type": "input_audio_buffer.commit"}));
    assert_eq!(
        refused[0]["error"]["code"],
        "input_audio_buffer_commit_empty"
    );
}

#[test]
fn a_function_call_turn_ends_with_its_output() {
    let (mut flow, _) = Flow::conversation();
    flow.send(
        json!({"type": "session.update", "session": {"type": "realtime",
        "output_modalities": ["text"], "tools": [{"type": "function", "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]}}),
    );
    flow.send(user_text("What is the weather in Paris?"));
    let events = flow.send(json!({"type": "response.create"}));
    let done = events
        .iter()
        .find(|e| e["type"] == "response.function_call_arguments.done")
        .unwrap();
    assert_eq!(done["name"], "get_weather");
    assert!(done["arguments"].as_str().unwrap().contains("Paris"));
    flow.send(
        json!({"type": "conversation.item.create", "item": {"type": "function_call_output",
        "call_id": done["call_id"], "output": "{\"temperature_c\": 18}"}}),
    );
    let events = flow.send(json!({"type": "response.create"}));
    let answer = &events
        .iter()
        .find(|e| e["type"] == "response.done")
        .unwrap()["response"]["output"][0];
    assert_eq!(answer["type"], "message");
    assert!(answer["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("18"));
}

#[test]
fn items_are_retrieved_truncated_and_deleted() {
    let (mut flow, _) = Flow::conversation();
    flow.send(user_text("Tell me a story."));
    let events = flow.send(json!({"type": "response.create"}));
    let item_id = events
        .iter()
        .find(|e| e["type"] == "response.output_item.done")
        .unwrap()["item"]["id"]
        .clone();
    let retrieved = flow.send(json!({"type": "conversation.item.retrieve", "item_id": item_id}));
    assert_eq!(retrieved[0]["item"]["id"], item_id);
    let truncated = flow.send(
        json!({"type": "conversation.item.truncate", "item_id": item_id,
        "content_index": 0, "audio_end_ms": 100}),
    );
    assert_eq!(kinds(&truncated), ["conversation.item.truncated"]);
    let deleted = flow.send(json!({"type": "conversation.item.delete", "item_id": item_id}));
    assert_eq!(deleted[0]["item_id"], item_id);
    let missing = flow.send(json!({"type": "conversation.item.retrieve", "item_id": item_id}));
    assert_eq!(missing[0]["error"]["code"], "item_not_found");
}

#[test]
fn invalid_events_get_errors_naming_them() {
    let (mut flow, _) = Flow::conversation();
    let cases = [
        ("not json", "invalid_json"),
        ("{\"event_id\": \"e2\"}", "invalid_event"),
        (
            "{\"type\": \"nope\", \"event_id\": \"e3\"}",
            "invalid_value",
        ),
        (
            "{\"type\": \"conversation.item.create\", \"event_id\": \"e4\"}",
            "missing_required_parameter",
        ),
        (
            "{\"type\": \"input_audio_buffer.append\", \"audio\": 5, \"event_id\": \"e5\"}",
            "invalid_type",
        ),
        (
            "{\"type\": \"response.cancel\", \"event_id\": \"e6\"}",
            "response_cancel_not_active",
        ),
    ];
    for (frame, code) in cases {
        let events = flow.session.handle(frame);
        flow.check(&events);
        assert_eq!(events[0]["type"], "error", "{frame}");
        assert_eq!(events[0]["error"]["code"], code, "{frame}: {}", events[0]);
    }
    let events = flow
        .session
        .handle("{\"type\": \"conversation.item.create\", \"event_id\": \"e4\"}");
    assert_eq!(events[0]["error"]["event_id"], "e4");
    assert_eq!(events[0]["error"]["param"], "item");
}

#[test]
fn a_transcription_session_transcribes_without_answering() {
    let (mut flow, opened) = Flow::open(Opening {
        transcription: true,
        ..Opening::default()
    });
    assert_eq!(opened[0]["session"]["type"], "transcription");
    let mut samples = vec![0i16; 6_000];
    samples.extend(speech(1.0));
    samples.extend(vec![0i16; 12_000]);
    let events = append(&mut flow, &samples);
    let kinds = kinds(&events);
    assert!(kinds.contains(&"conversation.item.input_audio_transcription.completed"));
    assert!(!kinds.contains(&"response.created"));
    assert!(flow.checked > 5);
}

#[test]
fn a_translation_session_interprets_each_spoken_turn() {
    let (mut flow, opened) = Flow::translation();
    assert_eq!(opened[0]["session"]["type"], "translation");
    let mut samples = vec![0i16; 6_000];
    samples.extend(speech(1.5));
    samples.extend(vec![0i16; 18_000]);
    let mut events = Vec::new();
    for chunk in samples.chunks(2400) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
        events.extend(
            flow.send(json!({"type": "session.input_audio_buffer.append",
            "audio": base64::engine::general_purpose::STANDARD.encode(bytes)})),
        );
    }
    let said = |kind: &str| -> String {
        events
            .iter()
            .filter(|e| e["type"] == kind)
            .map(|e| e["delta"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!said("session.input_transcript.delta").is_empty());
    assert_eq!(
        said("session.input_transcript.delta"),
        said("session.output_transcript.delta")
    );
    assert!(events
        .iter()
        .any(|e| e["type"] == "session.output_audio.delta"));
    assert_eq!(
        kinds(&flow.send(json!({"type": "session.close"}))),
        ["session.closed"]
    );
    assert!(flow.session.closed());
}

#[test]
fn scripted_turns_and_responses_ended_early_validate() {
    use openai_mock::endpoints::realtime::turns::{
        cancelled_details, ended_early, failed_details, unfinished_items, TurnScript,
    };
    use openai_mock::error::ApiError;
    use openai_mock::scenario::{Scripted, ScriptedToolCall};
    use std::sync::Mutex;

    let (mut flow, _) = Flow::conversation();
    let scripts = Mutex::new(vec![
        TurnScript::Error(
            ApiError::invalid_request("Scripted failure.")
                .with_status(429)
                .with_code("rate_limit_exceeded"),
        ),
        TurnScript::Scripted(Scripted {
            tool_calls: vec![ScriptedToolCall {
                id: "call_scripted".into(),
                name: "lookup".into(),
                arguments: "{\"q\":\"tides\"}".into(),
            }],
            ..Scripted::default()
        }),
        TurnScript::Scripted(Scripted {
            text: Some("Scripted hello.".into()),
            ..Scripted::default()
        }),
    ]);
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    flow.session.set_planner(Box::new(move |body| {
        seen.lock().unwrap().push(body.clone());
        scripts.lock().unwrap().pop().unwrap_or_default()
    }));
    flow.send(user_text("Tell me about the tides."));
    let spoken = flow.send(json!({"type": "response.create"}));
    let transcript = spoken
        .iter()
        .find(|e| e["type"] == "response.output_audio_transcript.done")
        .unwrap();
    assert_eq!(transcript["transcript"], "Scripted hello.");
    assert!(!decoded(&spoken).is_empty());
    let body = asked.lock().unwrap()[0].clone();
    assert_eq!(body["model"], "gpt-realtime");
    assert!(body["conversation"].as_str().unwrap().starts_with("conv_"));
    assert_eq!(
        body["input"][0]["content"][0]["text"],
        "Tell me about the tides."
    );

    let called = flow.send(json!({"type": "response.create"}));
    let done = called
        .iter()
        .find(|e| e["type"] == "response.function_call_arguments.done")
        .unwrap();
    assert_eq!(
        (&done["name"], &done["call_id"], &done["arguments"]),
        (
            &json!("lookup"),
            &json!("call_scripted"),
            &json!("{\"q\":\"tides\"}")
        )
    );

    let failed = flow.send(json!({"type": "response.create", "event_id": "evt_x"}));
    assert_eq!(
        kinds(&failed),
        ["response.created", "error", "response.done"]
    );
    assert_eq!(failed[1]["error"]["code"], "rate_limit_exceeded");
    assert_eq!(failed[1]["error"]["event_id"], "evt_x");
    assert_eq!(failed[2]["response"]["status"], "failed");

    // A response cancelled or broken off before its end, as the socket sends it.
    let done = spoken
        .iter()
        .find(|e| e["type"] == "response.done")
        .unwrap();
    let unfinished = unfinished_items(&spoken);
    assert_eq!(unfinished.len(), 1);
    let cancelled = ended_early(done, "cancelled", cancelled_details(), &unfinished);
    assert_eq!(cancelled["response"]["output"][0]["status"], "incomplete");
    let error = ApiError::invalid_request("x").with_code("server_error");
    let broken = ended_early(done, "failed", failed_details(&error), &unfinished);
    flow.check(&[cancelled, broken]);
}
