//! `/audio/transcriptions` and `/audio/translations`: which response formats a model
//! offers, the transcript of an upload (the text the mock's own speech stored, else script
//! sentences timed over the duration) and its JSON, text, SRT, VTT and stream renderings.

use super::upload_duration::duration_of;
use super::{Task, WORDS_PER_SECOND};
use crate::endpoints::endpoint::Rendered;
use crate::error::ApiError;
use crate::generate::media;
use crate::generate::{fnv1a, Rng};
use crate::services::tokens::Encoding;
use crate::validate::{UploadedFile, ValidRequest};
use serde_json::{json, Map, Value};

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
// ---------------------------------------------------------------------------- checks

fn transcription_model(task: Task, request: &ValidRequest) -> &str {
    request
        .body_str("model")
        .unwrap_or(if task == Task::Translate {
            "whisper-1"
        } else {
            "gpt-4o-transcribe"
        })
}

fn response_format(request: &ValidRequest) -> &str {
    request.body_str("response_format").unwrap_or("json")
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
pub fn script_sentences(seed: u64, duration: f64) -> Vec<String> {
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

/// How long [`speech_samples`](super::speech_samples) takes to say `text`, in characters:
/// each word's letters and the gap after it, and a longer pause after a sentence.
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
                language_name(request.body_str("language"))
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
pub fn transcript_text(request: &ValidRequest, answer: &Value) -> Option<Rendered> {
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
        "text" => Some(Rendered {
            content_type: "text/plain; charset=utf-8",
            body: format!("{text}\n").into_bytes(),
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
            Some(Rendered {
                content_type: "text/plain; charset=utf-8",
                body: out.into_bytes(),
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
            Some(Rendered {
                content_type: "text/vtt; charset=utf-8",
                body: out.into_bytes(),
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
    fn timestamps_use_the_format_separator() {
        assert_eq!(timestamp(3723.4567, ','), "01:02:03,457");
        assert_eq!(timestamp(0.5, '.'), "00:00:00.500");
    }
}
