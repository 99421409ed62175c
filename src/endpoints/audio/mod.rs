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
//!
//! The parts: `speech` (the hum and its SSE stream), `transcripts` (format checks, the
//! transcript and its JSON, text, SRT, VTT and stream renderings) and `upload_duration`
//! (how long an uploaded file plays).

pub mod speech;
pub mod transcripts;
mod upload_duration;

pub use speech::{speech, speech_events, speech_samples};
pub use transcripts::{check, shape_transcription, transcript_events, transcript_text};

use crate::endpoints::endpoint::Endpoint;
use crate::services::sse::typed_events;

/// Characters of text spoken per second at `speed: 1`.
pub const CHARACTERS_PER_SECOND: f64 = 15.0;

/// Words per second in a transcript.
pub const WORDS_PER_SECOND: f64 = 2.5;

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
    wants_stream: |call| call.request.body_str("stream_format") == Some("sse"),
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
