//! `/audio/speech`, `/audio/transcriptions` and `/audio/translations`.
//!
//! **Speech.** The input becomes a hum that follows the text: one soft tone per word (its
//! length proportional to the word's, its pitch set by the voice), short gaps between words
//! and longer ones after sentences, at about 15 characters a second divided by `speed`.
//! WAV, PCM (16-bit little-endian, 24 kHz mono) and FLAC carry these samples; MP3, AAC and
//! Opus are silent files of the same duration ([`crate::generate::media`]). With
//! `stream_format: sse` the same file arrives base64-encoded in `speech.audio.delta` events,
//! then `speech.audio.done` with token usage (the input's tokens, and 20 audio tokens a
//! second).
//!
//! The speech files (all but PCM) also store the input text in their own metadata (a WAV
//! `LIST/INFO` comment, an ID3 `TXXX` frame for MP3 and AAC, a Vorbis comment for FLAC and
//! Opus), which players ignore.
//!
//! **Transcripts.** The mock cannot hear. A file made by its own speech endpoint is
//! transcribed to the text it was made from, with segment and word timestamps where the
//! words are hummed. Any other file gets readable sentences from a small built-in script,
//! chosen by a hash of the file's name and size, as many as fit the audio's duration at about
//! 2.5 words a second. The duration is read from the upload when its format says it (WAV and
//! FLAC headers, MP3 bitrate, ADTS frames, the last Ogg page), otherwise estimated at
//! 128 kbit/s. Sentences are segments.
//!
//! - `json` gives `text` and `usage` (seconds for whisper-1, tokens for the gpt-4o models;
//!   `include: ["logprobs"]` adds token logprobs there); `verbose_json` adds `language`,
//!   `duration`, `segments` and, with `timestamp_granularities: ["word"]`, `words`;
//!   `diarized_json` labels segments with speakers (`known_speaker_names` when given).
//! - `text`, `srt` and `vtt` are sent as `text/plain` (text, srt) or `text/vtt` bodies.
//! - `stream: true` sends `transcript.text.delta` events (and `transcript.text.segment`
//!   events for the diarize model), then `transcript.text.done` with usage.
//! - The gpt-4o transcription models only offer `json` and `text` (the diarize model adds
//!   `diarized_json`), and `diarized_json` needs the diarize model, as in the real API.

use crate::endpoints::endpoint::{Endpoint, TextBody};
use crate::error::ApiError;
use crate::generate::media::{self, Media, SPEECH_SAMPLE_RATE};
use crate::generate::{fnv1a, Rng};
use crate::services::sse::typed_events;
use crate::services::tokens::Encoding;
use crate::validate::{UploadedFile, ValidRequest};
use base64::Engine;
use serde_json::{json, Map, Value};

/// Characters of text spoken per second at `speed: 1`.
pub const CHARACTERS_PER_SECOND: f64 = 15.0;
/// Words per second in a transcript.
pub const WORDS_PER_SECOND: f64 = 2.5;
/// Audio tokens per second of speech, for usage.
const AUDIO_TOKENS_PER_SECOND: f64 = 20.0;
/// Bytes of encoded speech per `speech.audio.delta` event.
const STREAM_CHUNK_BYTES: usize = 8192;

/// The sentences transcripts are made of.
const SCRIPT: &[&str] = &[
    "Thanks everyone for joining today's call.",
    "Let's start with a quick review of last week's action items.",
    "The new onboarding flow shipped on Tuesday and early feedback is positive.",
    "We saw a small increase in sign-ups over the weekend.",
    "Support tickets about password resets dropped by almost half.",
    "Next, I'd like to talk about the roadmap for the coming quarter.",
    "Our main goal is to make the search results faster and more relevant.",
    "The design team has shared a first prototype of the dashboard.",
    "Please leave your comments on the document before Friday.",
    "We still need an owner for the data migration.",
    "The weather forecast says it will rain most of the afternoon.",
    "Remember to bring a jacket if you're heading out later.",
    "The library opens at nine and closes at six on weekdays.",
    "A fresh cup of coffee always helps on a Monday morning.",
    "The train to the city leaves every fifteen minutes.",
    "Let me know if you have any questions about the budget.",
    "We'll follow up by email with a summary of the decisions.",
    "That's everything on the agenda for today.",
    "Have a great rest of your week.",
];

// ---------------------------------------------------------------------------- entries

/// Whether an upload is transcribed or translated to English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// `POST /audio/transcriptions`.
    Transcribe,
    /// `POST /audio/translations`.
    Translate,
}

/// `POST /audio/speech`: the audio file, or its SSE stream with `stream_format: "sse"`.
pub const SPEECH: Endpoint = Endpoint {
    ops: &["createSpeech"],
    wants_stream: |call| {
        call.request
            .body
            .get("stream_format")
            .and_then(Value::as_str)
            == Some("sse")
    },
    stream: |call, _| Some(typed_events(&speech_events(call.request))),
    bytes: |call, _| speech(call.request),
    ..Endpoint::GENERIC
};

/// `POST /audio/transcriptions`.
pub const TRANSCRIPTION: Endpoint = Endpoint {
    ops: &["createTranscription"],
    check: |call| check(Task::Transcribe, call.request),
    shape: |call, answer, _| shape_transcription(Task::Transcribe, call.request, answer),
    stream: |call, answer| {
        answer.map(|answer| typed_events(&transcript_events(call.request, answer)))
    },
    render: |call, answer| transcript_text(call.request, answer),
    ..Endpoint::GENERIC
};

/// `POST /audio/translations`.
pub const TRANSLATION: Endpoint = Endpoint {
    ops: &["createTranslation"],
    check: |call| check(Task::Translate, call.request),
    shape: |call, answer, _| shape_transcription(Task::Translate, call.request, answer),
    render: |call, answer| transcript_text(call.request, answer),
    ..Endpoint::GENERIC
};

// ---------------------------------------------------------------------------- checks

fn transcription_model(task: Task, request: &ValidRequest) -> &str {
    request
        .body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(if task == Task::Translate {
            "whisper-1"
        } else {
            "gpt-4o-transcribe"
        })
}

fn response_format(request: &ValidRequest) -> &str {
    request
        .body
        .get("response_format")
        .and_then(Value::as_str)
        .unwrap_or("json")
}

fn is_gpt4o_transcribe(model: &str) -> bool {
    model.starts_with("gpt-4o") && model.contains("transcribe")
}

/// Rejects response formats the transcription model does not offer.
pub fn check(task: Task, request: &ValidRequest) -> Result<(), ApiError> {
    let model = transcription_model(task, request);
    let format = response_format(request);
    let diarize = model.contains("diarize");
    let allowed = if diarize {
        matches!(format, "json" | "text" | "diarized_json")
    } else if is_gpt4o_transcribe(model) {
        matches!(format, "json" | "text")
    } else {
        format != "diarized_json"
    };
    if allowed {
        return Ok(());
    }
    let supported = if diarize {
        "'json', 'text' or 'diarized_json'"
    } else if is_gpt4o_transcribe(model) {
        "'json' or 'text'"
    } else {
        "'json', 'text', 'srt', 'verbose_json' or 'vtt'"
    };
    Err(ApiError::invalid_request(format!(
        "response_format '{format}' is not compatible with model '{model}'. Use {supported} \
         instead."
    ))
    .with_param("response_format")
    .with_code("unsupported_value"))
}

// ---------------------------------------------------------------------------- speech

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
    let text = request
        .body
        .get("input")
        .and_then(Value::as_str)
        .unwrap_or("");
    let instructions = request
        .body
        .get("instructions")
        .and_then(Value::as_str)
        .unwrap_or("");
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

// ---------------------------------------------------------------------------- transcripts

/// One sentence of a transcript, with its timing.
struct Segment {
    start: f64,
    end: f64,
    text: String,
}

/// The transcript of an upload: its sentences, timed over the audio's duration.
struct Transcript {
    duration: f64,
    segments: Vec<Segment>,
}

impl Transcript {
    fn text(&self) -> String {
        let texts: Vec<&str> = self.segments.iter().map(|s| s.text.as_str()).collect();
        texts.join(" ")
    }

    /// Every word with its start and end: the segment's time shared by the words' lengths.
    fn words(&self) -> Vec<(String, f64, f64)> {
        let mut out = Vec::new();
        for segment in &self.segments {
            let per_unit = (segment.end - segment.start) / spoken_units(&segment.text);
            let mut start = segment.start;
            for word in segment.text.split_whitespace() {
                let bare = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
                let end = start + word.chars().count() as f64 * per_unit;
                out.push((bare.to_string(), round2(start), round2(end)));
                start = end + per_unit;
                if word.ends_with(['.', '!', '?']) {
                    start += 5.0 * per_unit;
                }
            }
        }
        out
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The transcript of `file`, whose duration is read from its bytes where possible: the text
/// the mock's own speech stored in the file, else sentences of [`SCRIPT`].
fn transcribe(file: Option<&UploadedFile>) -> Transcript {
    let duration = file.map_or(1.0, duration_of).max(0.5);
    let spoken = file
        .and_then(|f| media::read_transcript(&f.bytes))
        .map(|text| sentences(&text))
        .filter(|sentences| !sentences.is_empty());
    let chosen = spoken.unwrap_or_else(|| {
        let seed = file.map_or(0, |f| {
            fnv1a(&[
                f.filename.as_deref().unwrap_or("").as_bytes(),
                &f.size.to_le_bytes(),
            ])
        });
        script_sentences(seed, duration)
    });
    let total: f64 = chosen.iter().map(|s| spoken_units(s)).sum();
    let mut start = 0.0;
    let segments = chosen
        .into_iter()
        .map(|sentence| {
            let end = start + spoken_units(&sentence) / total * duration;
            let segment = Segment {
                start: round2(start),
                end: round2(end),
                text: sentence,
            };
            start = end;
            segment
        })
        .collect();
    Transcript {
        duration: round2(duration),
        segments,
    }
}

/// Sentences of [`SCRIPT`], picked by `seed`, as many as are said in `duration` seconds.
fn script_sentences(seed: u64, duration: f64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let budget = (duration * WORDS_PER_SECOND).round().max(1.0) as usize;
    let mut chosen = Vec::new();
    let mut words = 0;
    let mut next = rng.below(SCRIPT.len() as u64) as usize;
    while words < budget {
        let sentence = SCRIPT[next % SCRIPT.len()];
        words += sentence.split_whitespace().count();
        chosen.push(sentence.to_string());
        next += 1 + rng.below(2) as usize;
    }
    chosen
}

/// `text` cut after each `.`, `!` or `?` that ends a word.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for word in text.split_whitespace() {
        current.push(word);
        if word.ends_with(['.', '!', '?']) {
            out.push(current.join(" "));
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

/// How long [`speech_samples`] takes to say `text`, in characters: each word's letters and
/// the gap after it, and a longer pause after a sentence.
fn spoken_units(text: &str) -> f64 {
    text.split_whitespace()
        .map(|word| {
            let pause = if word.ends_with(['.', '!', '?']) {
                6
            } else {
                1
            };
            (word.chars().count() + pause) as f64
        })
        .sum::<f64>()
        .max(1.0)
}

/// The duration in seconds of an uploaded audio file: exact for WAV, FLAC, ADTS AAC and Ogg;
/// from the first frame's bitrate for MP3; otherwise estimated at 128 kbit/s.
fn duration_of(file: &UploadedFile) -> f64 {
    let bytes = &file.bytes[..];
    let fallback = file.size as f64 / 16_000.0;
    let u32_le = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        let byte_rate = u32_le(28).filter(|r| *r > 0);
        // Find the data chunk.
        let mut at = 12;
        while let (Some(id), Some(len)) = (bytes.get(at..at + 4), u32_le(at + 4)) {
            if id == b"data" {
                return byte_rate.map_or(fallback, |rate| f64::from(len) / f64::from(rate));
            }
            at += 8 + len as usize + (len as usize & 1);
        }
        return fallback;
    }
    if bytes.starts_with(b"fLaC") && bytes.len() >= 26 {
        let packed = u64::from_be_bytes(bytes[18..26].try_into().unwrap_or([0; 8]));
        let rate = (packed >> 44) as f64;
        let samples = (packed & 0xF_FFFF_FFFF) as f64;
        return if rate > 0.0 { samples / rate } else { fallback };
    }
    if bytes.starts_with(b"OggS") {
        // The last page's granule position, at 48 kHz for Opus.
        if let Some(last) = bytes.windows(4).rposition(|w| w == b"OggS") {
            if let Some(granule) = bytes.get(last + 6..last + 14) {
                let granule = u64::from_le_bytes(granule.try_into().unwrap_or([0; 8]));
                return granule as f64 / 48_000.0;
            }
        }
        return fallback;
    }
    let mpeg_start = if bytes.starts_with(b"ID3") && bytes.len() >= 10 {
        let size = bytes[6..10]
            .iter()
            .fold(0usize, |acc, b| (acc << 7) | usize::from(b & 0x7F));
        10 + size
    } else {
        0
    };
    let bytes = bytes.get(mpeg_start..).unwrap_or_default();
    if bytes.len() >= 7 && bytes[0] == 0xFF && bytes[1] & 0xF6 == 0xF0 {
        // ADTS: walk the frames, 1024 samples each.
        let rates = [
            96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025,
            8_000, 7_350,
        ];
        let rate = rates
            .get(usize::from((bytes[2] >> 2) & 0xF))
            .copied()
            .unwrap_or(0);
        let (mut at, mut frames) = (0usize, 0u64);
        while at + 7 <= bytes.len() && bytes[at] == 0xFF && bytes[at + 1] & 0xF6 == 0xF0 {
            let len = (usize::from(bytes[at + 3] & 3) << 11)
                | (usize::from(bytes[at + 4]) << 3)
                | usize::from(bytes[at + 5] >> 5);
            if len < 7 {
                break;
            }
            frames += 1;
            at += len;
        }
        return if rate > 0 {
            frames as f64 * 1024.0 / f64::from(rate)
        } else {
            fallback
        };
    }
    if let Some(header) = bytes.get(..4) {
        if header[0] == 0xFF && header[1] & 0xE0 == 0xE0 && (header[1] >> 1) & 3 == 1 {
            let mpeg1 = (header[1] >> 3) & 3 == 3;
            let index = usize::from(header[2] >> 4);
            let table: [u32; 15] = if mpeg1 {
                [
                    0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
                ]
            } else {
                [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
            };
            if let Some(kbps) = table.get(index).filter(|k| **k > 0) {
                return bytes.len() as f64 * 8.0 / (f64::from(*kbps) * 1000.0);
            }
        }
    }
    fallback
}

fn language_name(code: Option<&str>) -> &'static str {
    match code.map(|c| c.to_ascii_lowercase()).as_deref() {
        Some("es") => "spanish",
        Some("fr") => "french",
        Some("de") => "german",
        Some("it") => "italian",
        Some("pt") => "portuguese",
        Some("nl") => "dutch",
        Some("ja") => "japanese",
        Some("zh") => "chinese",
        Some("ko") => "korean",
        Some("ru") => "russian",
        _ => "english",
    }
}

fn uploaded_audio(request: &ValidRequest) -> Option<&UploadedFile> {
    request
        .files
        .iter()
        .find(|f| f.field == "file")
        .or(request.files.first())
}

/// The JSON answer of a transcription or translation, in the requested response format
/// (`text`, `srt` and `vtt` are shaped as `verbose_json` and rendered by [`transcript_text`]).
pub fn shape_transcription(task: Task, request: &ValidRequest, answer: &mut Value) {
    let transcript = transcribe(uploaded_audio(request));
    let model = transcription_model(task, request);
    let text = transcript.text();
    let format = response_format(request);
    let duration_usage = json!({"type": "duration", "seconds": transcript.duration.ceil()});
    *answer = match format {
        "verbose_json" | "srt" | "vtt" => {
            let language = if task == Task::Translate {
                "english"
            } else {
                language_name(request.body.get("language").and_then(Value::as_str))
            };
            let mut verbose = json!({
                "task": if task == Task::Translate { "translate" } else { "transcribe" },
                "language": language,
                "duration": transcript.duration,
                "text": text,
                "segments": segments_json(&transcript),
            });
            if task == Task::Transcribe {
                verbose["usage"] = duration_usage;
                let granularities = request.body.get("timestamp_granularities");
                let wants_words = granularities
                    .and_then(Value::as_array)
                    .is_some_and(|g| g.iter().any(|v| v == "word"));
                if wants_words {
                    let words: Vec<Value> = transcript
                        .words()
                        .into_iter()
                        .map(|(word, start, end)| json!({"word": word, "start": start, "end": end}))
                        .collect();
                    verbose["words"] = Value::Array(words);
                }
            }
            verbose
        }
        "diarized_json" => {
            let speakers = speaker_names(request);
            let segments: Vec<Value> = transcript
                .segments
                .iter()
                .enumerate()
                .map(|(i, segment)| {
                    json!({
                        "type": "transcript.text.segment",
                        "id": format!("seg_{:03}", i + 1),
                        "start": segment.start,
                        "end": segment.end,
                        "text": segment.text,
                        "speaker": speakers[i % speakers.len()],
                    })
                })
                .collect();
            json!({
                "task": "transcribe",
                "duration": transcript.duration,
                "text": text,
                "segments": segments,
                "usage": token_usage(&transcript, &text),
            })
        }
        _ => {
            let mut plain = json!({ "text": text });
            if task == Task::Transcribe {
                plain["usage"] = if is_gpt4o_transcribe(model) {
                    token_usage(&transcript, &text)
                } else {
                    duration_usage
                };
                if wants_logprobs(request) {
                    plain["logprobs"] = Value::Array(logprobs(&text));
                }
            }
            plain
        }
    };
}

fn speaker_names(request: &ValidRequest) -> Vec<String> {
    let known: Vec<String> = request
        .body
        .get("known_speaker_names")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if known.is_empty() {
        vec!["A".into(), "B".into()]
    } else {
        known
    }
}

fn wants_logprobs(request: &ValidRequest) -> bool {
    request
        .body
        .get("include")
        .and_then(Value::as_array)
        .is_some_and(|include| include.iter().any(|v| v == "logprobs"))
}

/// Token logprobs for `text`: each token, a small negative logprob, and its bytes.
fn logprobs(text: &str) -> Vec<Value> {
    Encoding::O200k
        .pieces(text)
        .into_iter()
        .map(|token| {
            let logprob = -((fnv1a(&[token.as_bytes()]) % 500) as f64) / 10_000.0;
            let bytes: Vec<u8> = token.as_bytes().to_vec();
            json!({"token": token, "logprob": logprob, "bytes": bytes})
        })
        .collect()
}

/// Token usage of a gpt-4o transcription: audio tokens for the input (10 a second), text
/// tokens for the output.
fn token_usage(transcript: &Transcript, text: &str) -> Value {
    let audio_tokens = (transcript.duration * 10.0).ceil() as usize;
    let output_tokens = Encoding::O200k.count(text);
    json!({
        "type": "tokens",
        "input_tokens": audio_tokens,
        "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
        "output_tokens": output_tokens,
        "total_tokens": audio_tokens + output_tokens,
    })
}

fn segments_json(transcript: &Transcript) -> Vec<Value> {
    transcript
        .segments
        .iter()
        .enumerate()
        .map(|(id, segment)| {
            let spoken = format!(" {}", segment.text);
            json!({
                "id": id,
                "seek": ((segment.start / 30.0).floor() * 3000.0) as i64,
                "start": segment.start,
                "end": segment.end,
                "text": spoken,
                "tokens": Encoding::Cl100k.encode(&spoken),
                "temperature": 0.0,
                "avg_logprob": -0.2 - (id % 5) as f64 * 0.03,
                "compression_ratio": 1.35,
                "no_speech_prob": 0.001,
            })
        })
        .collect()
}

/// The `text`, `srt` or `vtt` rendering of a shaped transcript, when the request asks for
/// one of them.
pub fn transcript_text(request: &ValidRequest, answer: &Value) -> Option<TextBody> {
    let format = response_format(request);
    let text = answer.get("text").and_then(Value::as_str).unwrap_or("");
    let segments = answer
        .get("segments")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let cue = |segment: &Value| {
        let time = |key: &str| segment.get(key).and_then(Value::as_f64).unwrap_or(0.0);
        let words = segment
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        (time("start"), time("end"), words.to_string())
    };
    match format {
        "text" => Some(TextBody {
            content_type: "text/plain; charset=utf-8",
            text: format!("{text}\n"),
        }),
        "srt" => {
            let mut out = String::new();
            for (i, segment) in segments.iter().enumerate() {
                let (start, end, words) = cue(segment);
                out.push_str(&format!(
                    "{}\n{} --> {}\n{words}\n\n",
                    i + 1,
                    timestamp(start, ','),
                    timestamp(end, ',')
                ));
            }
            Some(TextBody {
                content_type: "text/plain; charset=utf-8",
                text: out,
            })
        }
        "vtt" => {
            let mut out = String::from("WEBVTT\n\n");
            for segment in segments {
                let (start, end, words) = cue(segment);
                out.push_str(&format!(
                    "{} --> {}\n{words}\n\n",
                    timestamp(start, '.'),
                    timestamp(end, '.')
                ));
            }
            Some(TextBody {
                content_type: "text/vtt; charset=utf-8",
                text: out,
            })
        }
        _ => None,
    }
}

/// `HH:MM:SS,mmm` (SRT) or `HH:MM:SS.mmm` (WebVTT).
fn timestamp(seconds: f64, separator: char) -> String {
    let millis = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{separator}{:03}",
        millis / 3_600_000,
        millis / 60_000 % 60,
        millis / 1000 % 60,
        millis % 1000
    )
}

/// The `stream: true` events of a transcription: text deltas (with segment events for the
/// diarize model), then the done event with the whole text and usage.
pub fn transcript_events(request: &ValidRequest, answer: &Value) -> Vec<Value> {
    let transcript = transcribe(uploaded_audio(request));
    let text = transcript.text();
    let model = transcription_model(Task::Transcribe, request);
    let with_logprobs = wants_logprobs(request);
    let mut events = Vec::new();
    if model.contains("diarize") {
        let speakers = speaker_names(request);
        for (i, segment) in transcript.segments.iter().enumerate() {
            events.push(json!({
                "type": "transcript.text.segment",
                "id": format!("seg_{:03}", i + 1),
                "start": segment.start,
                "end": segment.end,
                "text": segment.text,
                "speaker": speakers[i % speakers.len()],
            }));
        }
    }
    let pieces = Encoding::O200k.pieces(&text);
    for chunk in pieces.chunks(3) {
        let delta: String = chunk.concat();
        let mut event = Map::new();
        event.insert("type".into(), json!("transcript.text.delta"));
        if with_logprobs {
            event.insert("logprobs".into(), Value::Array(logprobs(&delta)));
        }
        event.insert("delta".into(), json!(delta));
        events.push(Value::Object(event));
    }
    let mut done = json!({"type": "transcript.text.done", "text": text});
    if with_logprobs {
        done["logprobs"] = Value::Array(logprobs(&text));
    }
    let usage = answer
        .get("usage")
        .filter(|u| u.get("type") == Some(&json!("tokens")))
        .cloned()
        .unwrap_or_else(|| token_usage(&transcript, &text));
    done["usage"] = usage;
    events.push(done);
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

    #[test]
    fn timestamps_use_the_format_separator() {
        assert_eq!(timestamp(3723.4567, ','), "01:02:03,457");
        assert_eq!(timestamp(0.5, '.'), "00:00:00.500");
    }
}
