//! Latency, stream pacing and stream faults.
//!
//! Every setting exists at three levels, and the most specific one wins: control headers,
//! then the matched rule step, then the server flags. ([`Overrides::over`] layers them.)
//!
//! - `latency_ms` + a uniform `0..=jitter_ms`: waited before the answer's head is sent
//!   (for every answer, errors included).
//! - Streams: `ttft_ms` is waited after the head and before the first event;
//!   `chunk_interval_ms` between events; `chunk_tokens` regroups text deltas to that many
//!   tokens each (chat `content`, completion `text`, `/responses` `output_text` deltas;
//!   deltas that carry logprobs keep their grouping).
//! - Stream faults, counted in events sent: `stream_cut_after: N` drops the connection
//!   after N events (no terminating chunk, no `[DONE]`); `stream_error_after: N` sends an
//!   error event after N events and ends; `stream_stall_after: N` pauses after N events for
//!   `stream_stall_ms` (default: an hour, i.e. until the client gives up), then goes on.

use crate::services::sse::Event;
use crate::services::tokens::Encoding;
use bytes::Bytes;
use futures_util::Stream;
use serde_json::{json, Value};
use std::time::Duration;

/// How long a cut stream waits, so the events before the cut reach the client.
pub const FLUSH_PAUSE: Duration = Duration::from_millis(20);

/// How long a stall without `stream_stall_ms` lasts.
pub const DEFAULT_STALL: Duration = Duration::from_secs(3600);

/// Latency and stream-fault settings at one level; `None` leaves the setting to the level
/// below.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Base latency before the answer's head.
    pub latency_ms: Option<u64>,
    /// Up to this much more latency, drawn uniformly.
    pub jitter_ms: Option<u64>,
    /// Streams: delay before the first event.
    pub ttft_ms: Option<u64>,
    /// Streams: delay between events.
    pub chunk_interval_ms: Option<u64>,
    /// Streams: tokens per text delta.
    pub chunk_tokens: Option<usize>,
    /// Streams: drop the connection after this many events.
    pub stream_cut_after: Option<usize>,
    /// Streams: send an error event after this many events.
    pub stream_error_after: Option<usize>,
    /// Streams: pause after this many events.
    pub stream_stall_after: Option<usize>,
    /// Streams: how long the pause lasts.
    pub stream_stall_ms: Option<u64>,
}

impl Overrides {
    /// These settings, falling back to `below` for the ones not given here.
    ///
    /// ```
    /// use openai_mock::scenario::latency::Overrides;
    /// let flags = Overrides { latency_ms: Some(100), ttft_ms: Some(50), ..Overrides::default() };
    /// let header = Overrides { latency_ms: Some(0), ..Overrides::default() };
    /// let merged = header.over(flags);
    /// assert_eq!((merged.latency_ms, merged.ttft_ms), (Some(0), Some(50)));
    /// ```
    pub fn over(self, below: Overrides) -> Overrides {
        Overrides {
            latency_ms: self.latency_ms.or(below.latency_ms),
            jitter_ms: self.jitter_ms.or(below.jitter_ms),
            ttft_ms: self.ttft_ms.or(below.ttft_ms),
            chunk_interval_ms: self.chunk_interval_ms.or(below.chunk_interval_ms),
            chunk_tokens: self.chunk_tokens.or(below.chunk_tokens),
            stream_cut_after: self.stream_cut_after.or(below.stream_cut_after),
            stream_error_after: self.stream_error_after.or(below.stream_error_after),
            stream_stall_after: self.stream_stall_after.or(below.stream_stall_after),
            stream_stall_ms: self.stream_stall_ms.or(below.stream_stall_ms),
        }
    }

    /// The stream part of these settings.
    pub fn stream_plan(&self) -> StreamPlan {
        StreamPlan {
            ttft: Duration::from_millis(self.ttft_ms.unwrap_or(0)),
            interval: Duration::from_millis(self.chunk_interval_ms.unwrap_or(0)),
            chunk_tokens: self.chunk_tokens.filter(|n| *n > 0),
            cut_after: self.stream_cut_after,
            error_after: self.stream_error_after,
            stall_after: self.stream_stall_after,
            stall: self
                .stream_stall_ms
                .map_or(DEFAULT_STALL, Duration::from_millis),
        }
    }
}

/// How one stream is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamPlan {
    /// Delay before the first event.
    pub ttft: Duration,
    /// Delay between events.
    pub interval: Duration,
    /// Tokens per text delta, when regrouped.
    pub chunk_tokens: Option<usize>,
    /// Drop the connection after this many events.
    pub cut_after: Option<usize>,
    /// Send an error event after this many events, then end.
    pub error_after: Option<usize>,
    /// Pause after this many events.
    pub stall_after: Option<usize>,
    /// How long the pause lasts.
    pub stall: Duration,
}

impl StreamPlan {
    /// The injected stream fault, as the request log words it (see [`super::Trace`]).
    pub fn fault(&self) -> Option<String> {
        if let Some(n) = self.cut_after {
            return Some(format!("reset after {n} events"));
        }
        if let Some(n) = self.error_after {
            return Some(format!("error event after {n} events"));
        }
        self.stall_after
            .map(|n| format!("stalled {} ms after {n} events", self.stall.as_millis()))
    }

    /// Whether the stream can be sent as one body, at once.
    pub fn is_immediate(&self) -> bool {
        self.ttft.is_zero()
            && self.interval.is_zero()
            && self.cut_after.is_none()
            && self.error_after.is_none()
            && self.stall_after.is_none()
    }
}

/// The message of the error a stream sends for `stream_error_after`.
pub const STREAM_ERROR_MESSAGE: &str =
    "The server had an error while processing your request (simulated by openai-mock).";

/// The error event a stream sends for `stream_error_after`: a typed `error` event for
/// streams of typed events whose endpoint says so (`/responses`), `data: {"error": {...}}`
/// for the other streams (as the real API does).
pub fn error_event(typed: bool, sequence_number: usize) -> Event {
    const MESSAGE: &str = STREAM_ERROR_MESSAGE;
    if typed {
        let data = json!({
            "type": "error", "code": "server_error", "message": MESSAGE, "param": null,
            "sequence_number": sequence_number,
        });
        Event {
            name: Some("error".into()),
            data: data.to_string(),
        }
    } else {
        let data = json!({"error": {
            "message": MESSAGE, "type": "server_error", "param": null, "code": null,
        }});
        Event {
            name: None,
            data: data.to_string(),
        }
    }
}

/// The body of a paced stream: `events` (already encoded) sent on `plan`'s schedule, with
/// its faults. Dropping the stream (the client left) stops it.
pub fn paced(
    events: Vec<Bytes>,
    plan: StreamPlan,
    error_event: Bytes,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    struct State {
        events: std::vec::IntoIter<Bytes>,
        sent: usize,
        plan: StreamPlan,
        error_event: Bytes,
        done: bool,
    }
    let state = State {
        events: events.into_iter(),
        sent: 0,
        plan,
        error_event,
        done: false,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        let plan = state.plan;
        if plan.stall_after == Some(state.sent) {
            tokio::time::sleep(plan.stall).await;
        }
        let delay = if state.sent == 0 {
            plan.ttft
        } else {
            plan.interval
        };
        if plan.cut_after == Some(state.sent) {
            state.done = true;
            // Let the server flush what was sent before the connection drops.
            tokio::time::sleep(FLUSH_PAUSE).await;
            let cut = std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "stream cut by openai-mock (stream_cut_after)",
            );
            return Some((Err(cut), state));
        }
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if plan.error_after == Some(state.sent) {
            state.done = true;
            let event = state.error_event.clone();
            return Some((Ok(event), state));
        }
        let event = state.events.next()?;
        state.sent += 1;
        Some((Ok(event), state))
    })
}

/// The body of a stream of `events`, paced and disturbed as `plan` says (see [`paced`]);
/// the error event of `stream_error_after` is [`error_event`] (`typed_errors` as the
/// endpoint declares).
pub fn paced_events(
    typed_errors: bool,
    events: &[Event],
    plan: StreamPlan,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let encoded = events.iter().map(|e| Bytes::from(e.encode())).collect();
    let error = error_event(typed_errors, plan.error_after.unwrap_or(0)).encode();
    paced(encoded, plan, Bytes::from(error))
}

/// A body that fails at once, so the connection is dropped without a complete answer (the
/// `connection_reset` failure).
pub fn reset_body() -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures_util::stream::once(async {
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by openai-mock (connection_reset)",
        ))
    })
}

/// Which run of text deltas an event belongs to, and its text.
fn text_delta(data: &Value) -> Option<(String, String)> {
    if let Some("response.output_text.delta") = data.get("type").and_then(Value::as_str) {
        let plain = data
            .get("logprobs")
            .is_none_or(|l| l.as_array().is_some_and(Vec::is_empty));
        let run = format!(
            "resp:{}:{}:{}",
            data.get("item_id")?,
            data.get("output_index")?,
            data.get("content_index")?
        );
        return plain.then(|| Some((run, data.get("delta")?.as_str()?.to_string())))?;
    }
    let [choice] = data.get("choices")?.as_array()?.as_slice() else {
        return None;
    };
    if !choice.get("finish_reason").is_none_or(Value::is_null)
        || !choice.get("logprobs").is_none_or(Value::is_null)
    {
        return None;
    }
    let index = choice.get("index")?;
    match data.get("object").and_then(Value::as_str)? {
        "chat.completion.chunk" => {
            let delta = choice.get("delta")?.as_object()?;
            let text = delta.get("content")?.as_str()?;
            (delta.len() == 1 && !text.is_empty())
                .then(|| (format!("chat:{index}"), text.to_string()))
        }
        "text_completion" => {
            let text = choice.get("text")?.as_str()?;
            (!text.is_empty()).then(|| (format!("cmpl:{index}"), text.to_string()))
        }
        _ => None,
    }
}

/// `data` with its delta text replaced.
fn with_text(mut data: Value, text: &str) -> Value {
    if data.get("type").is_some() {
        data["delta"] = json!(text);
    } else if let Some(choice) = data.pointer_mut("/choices/0") {
        if choice.get("delta").is_some() {
            choice["delta"]["content"] = json!(text);
        } else {
            choice["text"] = json!(text);
        }
    }
    data
}

/// Regroups the text deltas of `events` to `tokens` tokens each (see the module notes);
/// joined, the deltas of each run still give the same text, and `/responses`
/// `sequence_number`s are renumbered in order.
pub fn rechunk(events: Vec<Event>, tokens: usize, encoding: Encoding) -> Vec<Event> {
    let tokens = tokens.max(1);
    let parsed: Vec<(Event, Option<Value>)> = events
        .into_iter()
        .map(|event| {
            let data = serde_json::from_str::<Value>(&event.data).ok();
            (event, data)
        })
        .collect();
    let mut out: Vec<Event> = Vec::with_capacity(parsed.len());
    let mut i = 0;
    while i < parsed.len() {
        let (event, data) = &parsed[i];
        let Some((run, first_text)) = data.as_ref().and_then(text_delta) else {
            out.push(event.clone());
            i += 1;
            continue;
        };
        let mut text = first_text;
        let mut end = i + 1;
        while let Some((next_run, next_text)) = parsed
            .get(end)
            .and_then(|(_, d)| d.as_ref())
            .and_then(text_delta)
        {
            if next_run != run {
                break;
            }
            text.push_str(&next_text);
            end += 1;
        }
        let template = data.clone().unwrap_or(Value::Null);
        for group in encoding.pieces(&text).chunks(tokens) {
            out.push(Event {
                name: event.name.clone(),
                data: with_text(template.clone(), &group.concat()).to_string(),
            });
        }
        i = end;
    }
    renumber(out)
}

/// Renumbers `sequence_number`s from 0, when the events carry them.
fn renumber(events: Vec<Event>) -> Vec<Event> {
    let mut next = 0u64;
    events
        .into_iter()
        .map(|event| {
            let Ok(mut data) = serde_json::from_str::<Value>(&event.data) else {
                return event;
            };
            let Some(number) = data.get_mut("sequence_number") else {
                return event;
            };
            *number = json!(next);
            next += 1;
            Event {
                name: event.name,
                data: data.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::time::Instant;

    fn chat(content: &str) -> Event {
        Event {
            name: None,
            data: json!({"object": "chat.completion.chunk", "id": "c",
                "choices": [{"index": 0, "delta": {"content": content}, "logprobs": null, "finish_reason": null}]})
            .to_string(),
        }
    }

    fn delta_text(event: &Event) -> String {
        serde_json::from_str::<Value>(&event.data)
            .ok()
            .and_then(|data| text_delta(&data))
            .map(|(_, t)| t)
            .unwrap_or_default()
    }

    #[test]
    fn rechunking_keeps_the_text_and_groups_tokens() {
        let role = Event {
            name: None,
            data: json!({"object": "chat.completion.chunk", "choices": [{"index": 0,
                "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]})
            .to_string(),
        };
        let events = vec![
            role.clone(),
            chat("The quick brown "),
            chat("fox jumps over "),
            chat("the lazy dog."),
            Event {
                name: None,
                data: "[DONE]".into(),
            },
        ];
        let one = rechunk(events.clone(), 1, Encoding::O200k);
        let texts: Vec<String> = one.iter().map(delta_text).collect();
        assert_eq!(
            texts.concat(),
            "The quick brown fox jumps over the lazy dog."
        );
        assert_eq!(
            one.len(),
            2 + Encoding::O200k.count("The quick brown fox jumps over the lazy dog.")
        );
        assert_eq!(one[0], role);
        assert_eq!(one.last().unwrap().data, "[DONE]");
        let big = rechunk(events, 100, Encoding::O200k);
        assert_eq!(big.len(), 3);
    }

    #[test]
    fn responses_deltas_are_renumbered() {
        let event = |kind: &str, extra: Value| {
            let mut data = json!({"type": kind, "sequence_number": 0});
            data.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            Event {
                name: Some(kind.into()),
                data: data.to_string(),
            }
        };
        let at = json!({"item_id": "msg_1", "output_index": 0, "content_index": 0, "logprobs": []});
        let delta = |text: &str| {
            let mut extra = at.clone();
            extra["delta"] = json!(text);
            event("response.output_text.delta", extra)
        };
        let events = vec![
            event("response.created", json!({})),
            delta("Hello there, "),
            delta("how are you?"),
            event("response.completed", json!({})),
        ];
        let out = rechunk(events, 2, Encoding::O200k);
        let numbers: Vec<u64> = out
            .iter()
            .map(|e| {
                serde_json::from_str::<Value>(&e.data).unwrap()["sequence_number"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(numbers, (0..out.len() as u64).collect::<Vec<_>>());
        let text: String = out.iter().map(delta_text).collect();
        assert_eq!(text, "Hello there, how are you?");
        assert!(out.len() > 4);
    }

    #[tokio::test]
    async fn paced_streams_wait_and_fail_as_planned() {
        let events: Vec<Bytes> = (0..4)
            .map(|i| Bytes::from(format!("data: {i}\n\n")))
            .collect();
        let plan = StreamPlan {
            ttft: Duration::from_millis(60),
            interval: Duration::from_millis(20),
            ..StreamPlan::default()
        };
        let started = Instant::now();
        let all: Vec<_> = paced(events.clone(), plan, Bytes::new()).collect().await;
        assert_eq!(all.len(), 4);
        assert!(started.elapsed() >= Duration::from_millis(60 + 3 * 20));

        let cut = StreamPlan {
            cut_after: Some(2),
            ..StreamPlan::default()
        };
        let got: Vec<_> = paced(events.clone(), cut, Bytes::new()).collect().await;
        assert_eq!(got.len(), 3);
        assert!(got[..2].iter().all(Result::is_ok));
        assert_eq!(
            got[2].as_ref().unwrap_err().kind(),
            std::io::ErrorKind::ConnectionReset
        );

        let error = StreamPlan {
            error_after: Some(1),
            ..StreamPlan::default()
        };
        let got: Vec<_> = paced(events, error, Bytes::from_static(b"data: oops\n\n"))
            .collect()
            .await;
        let got: Vec<Bytes> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            got,
            [
                Bytes::from("data: 0\n\n"),
                Bytes::from_static(b"data: oops\n\n")
            ]
        );
    }

    #[test]
    fn error_events_match_the_endpoint() {
        let typed = error_event(true, 7);
        assert_eq!(typed.name.as_deref(), Some("error"));
        assert!(typed.data.contains("\"sequence_number\":7"));
        let chat = error_event(false, 3);
        let data: Value = serde_json::from_str(&chat.data).unwrap();
        assert_eq!(data["error"]["type"], "server_error");
    }
}
