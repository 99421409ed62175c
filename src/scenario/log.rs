//! The request log behind `GET /__mock/requests` and the dashboard: the last [`CAPACITY`]
//! API requests, oldest first, with what the scenario machinery did to each, the masked key
//! and the first [`BODY_LIMIT`] bytes of the request and response bodies.
//!
//! A WebSocket is one entry (its upgrade, status 101), which its socket keeps amending with
//! the events that went each way ([`SocketActivity`]: counts, and the first
//! [`SOCKET_EVENT_LIMIT`] event types in order).
//!
//! Recording stays cheap: a body within [`BODY_LIMIT`] is kept by handle (a reference count,
//! no copy), a longer one by a copy of its start, and nothing is parsed or formatted until a
//! reader asks (tokens come from the response's `usage` when the dashboard renders a row).

use super::plan::Trace;
use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix milliseconds (0 before 1970).
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// How many requests the log keeps.
pub const CAPACITY: usize = 1000;

/// How many bytes of each body the log keeps.
pub const BODY_LIMIT: usize = 16 * 1024;

/// How many body bytes the whole log keeps: past it, the oldest entries lose their bodies
/// (and keep everything else), so large answers cannot make the log hold [`CAPACITY`] times
/// two [`BODY_LIMIT`]s.
pub const BODY_BUDGET: usize = 4 * 1024 * 1024;

/// How many events of one socket the log lists (all are counted).
pub const SOCKET_EVENT_LIMIT: usize = 200;

/// What went through a WebSocket, as its log entry shows it.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SocketActivity {
    /// Events the client sent.
    pub client_events: u64,
    /// Events the server sent.
    pub server_events: u64,
    /// The first [`SOCKET_EVENT_LIMIT`] events, in order.
    pub events: Vec<SocketEvent>,
    /// How the socket ended, once it did (`closed by the client`, `dropped (fault)`, ...).
    pub ended: Option<String>,
}

/// One event of a socket.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SocketEvent {
    /// `client` or `server`.
    pub from: &'static str,
    /// The event's `type` (`?` when it has none).
    #[serde(rename = "type")]
    pub kind: String,
}

impl SocketActivity {
    /// Counts an event from `from` (`client` or `server`) of type `kind`, listing it while
    /// the list has room.
    pub fn add(&mut self, from: &'static str, kind: &str) {
        if from == "client" {
            self.client_events += 1;
        } else {
            self.server_events += 1;
        }
        if self.events.len() < SOCKET_EVENT_LIMIT {
            self.events.push(SocketEvent {
                from,
                kind: kind.to_string(),
            });
        }
    }
}

/// The start of a request's and its answer's bodies, as logged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bodies {
    /// The request body's first [`BODY_LIMIT`] bytes.
    pub request: Bytes,
    /// Whether the request body was longer.
    pub request_truncated: bool,
    /// The JSON answer's first [`BODY_LIMIT`] bytes (empty for streams and bytes).
    pub response: Bytes,
    /// Whether the answer was longer.
    pub response_truncated: bool,
}

impl Bodies {
    /// The bytes these bodies hold.
    fn size(&self) -> usize {
        self.request.len() + self.response.len()
    }

    /// Keeps the first [`BODY_LIMIT`] bytes of `body`, and whether it was cut. A body within
    /// the limit is shared, not copied (the request and answer bodies are buffers of their
    /// own, or the static bytes of a prebuilt answer); a longer one is copied in part, so
    /// the log never holds a large buffer alive.
    pub fn bounded(body: &Bytes) -> (Bytes, bool) {
        match body.len() > BODY_LIMIT {
            true => (Bytes::copy_from_slice(&body[..BODY_LIMIT]), true),
            false => (body.clone(), false),
        }
    }
}

/// One logged request.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ReceivedRequest {
    /// 1 for the first request the server saw, counting on across clears.
    pub seq: u64,
    /// When it arrived, in Unix milliseconds.
    pub at_ms: u64,
    /// The `x-request-id` it was answered with.
    pub request_id: String,
    /// HTTP method.
    pub method: String,
    /// The path as sent.
    pub path: String,
    /// The matched operation.
    pub operation: Option<String>,
    /// The answer's status (0 for a dropped connection).
    pub status: u16,
    /// What the scenario machinery did (model, rule, step, conversation, fault, ...).
    #[serde(flatten)]
    pub trace: Trace,
    /// Milliseconds until the answer's head was ready (stream bodies continue after).
    pub duration_ms: f64,
    /// The masked API key (`sk-ab****yz`), when one was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The start of the request and response bodies (shown by the dashboard).
    #[serde(skip)]
    pub bodies: Bodies,
    /// For a WebSocket: the events that went through it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket: Option<SocketActivity>,
}

/// The bounded log.
#[derive(Debug, Default)]
pub struct RequestLog {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: VecDeque<ReceivedRequest>,
    seen: u64,
    /// The body bytes the entries hold.
    body_bytes: usize,
    /// Entries numbered below this have had their bodies dropped for [`BODY_BUDGET`].
    bodies_from: u64,
}

impl RequestLog {
    /// Appends `entry`, numbering it, and returns its number; the oldest entry goes when
    /// the log is full. The lock is held for the push alone: the entry that leaves is freed
    /// after it is released.
    pub fn record(&self, mut entry: ReceivedRequest) -> u64 {
        let (seq, evicted) = {
            let Ok(mut inner) = self.inner.lock() else {
                return 0;
            };
            inner.seen += 1;
            entry.seq = inner.seen;
            let evicted = match inner.entries.len() >= CAPACITY {
                true => inner.entries.pop_front(),
                false => None,
            };
            if let Some(evicted) = &evicted {
                inner.body_bytes -= evicted.bodies.size().min(inner.body_bytes);
            }
            inner.body_bytes += entry.bodies.size();
            inner.entries.push_back(entry);
            let mut dropped = Vec::new();
            while inner.body_bytes > BODY_BUDGET {
                let Some(front) = inner.entries.front().map(|e| e.seq) else {
                    break;
                };
                let at = inner.bodies_from.saturating_sub(front) as usize;
                // Never the newest entry's: a single request is within the budget.
                if at + 1 >= inner.entries.len() {
                    break;
                }
                inner.bodies_from = front + at as u64 + 1;
                let bodies = std::mem::take(&mut inner.entries[at].bodies);
                inner.body_bytes -= bodies.size().min(inner.body_bytes);
                dropped.push(bodies);
            }
            (inner.seen, (evicted, dropped))
        };
        drop(evicted);
        seq
    }

    /// Changes the entry numbered `seq` with `change`, while the log still holds it.
    pub fn amend(&self, seq: u64, change: impl FnOnce(&mut ReceivedRequest)) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        // Entries are numbered in order, so the newest are at the back.
        if let Some(entry) = inner.entries.iter_mut().rev().find(|e| e.seq == seq) {
            change(entry);
        }
    }

    /// Empties the log (numbering goes on).
    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.entries.clear();
            inner.body_bytes = 0;
        }
    }

    /// The logged entries numbered above `after`, oldest first (cheap when none are new).
    pub fn entries_after(&self, after: u64) -> Vec<ReceivedRequest> {
        let Ok(inner) = self.inner.lock() else {
            return Vec::new();
        };
        if inner.seen <= after {
            return Vec::new();
        }
        let new = (inner.seen - after).min(inner.entries.len() as u64) as usize;
        inner
            .entries
            .iter()
            .skip(inner.entries.len() - new)
            .cloned()
            .collect()
    }

    /// The entry numbered `seq`, while the log still holds it.
    pub fn entry(&self, seq: u64) -> Option<ReceivedRequest> {
        let inner = self.inner.lock().ok()?;
        inner.entries.iter().find(|e| e.seq == seq).cloned()
    }

    /// The logged entries, oldest first.
    pub fn entries(&self) -> Vec<ReceivedRequest> {
        self.inner
            .lock()
            .map(|inner| inner.entries.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The log as the `GET /__mock/requests` body:
    /// `{"object": "list", "data": [...], "total": N}` where `total` counts every request
    /// since the server started.
    pub fn to_json(&self) -> Value {
        let (entries, seen) = self
            .inner
            .lock()
            .map(|inner| {
                (
                    inner.entries.iter().cloned().collect::<Vec<_>>(),
                    inner.seen,
                )
            })
            .unwrap_or_default();
        json!({"object": "list", "data": entries, "total": seen})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_numbers_bounds_and_clears() {
        let log = RequestLog::default();
        for i in 0..CAPACITY + 5 {
            log.record(ReceivedRequest {
                path: format!("/{i}"),
                ..ReceivedRequest::default()
            });
        }
        let entries = log.entries();
        assert_eq!(entries.len(), CAPACITY);
        assert_eq!(entries[0].seq, 6);
        assert_eq!(entries[0].path, "/5");
        log.clear();
        log.record(ReceivedRequest::default());
        let body = log.to_json();
        assert_eq!(body["total"], (CAPACITY + 6) as u64);
        assert_eq!(body["data"][0]["seq"], (CAPACITY + 6) as u64);
        assert_eq!(log.entries_after(CAPACITY as u64 + 5).len(), 1);
        assert!(log.entries_after(CAPACITY as u64 + 6).is_empty());
        assert_eq!(
            log.entry(CAPACITY as u64 + 6).map(|e| e.seq),
            Some(CAPACITY as u64 + 6)
        );
    }

    #[test]
    fn sockets_amend_their_entry_with_bounded_events() {
        let log = RequestLog::default();
        let seq = log.record(ReceivedRequest::default());
        for i in 0..SOCKET_EVENT_LIMIT + 3 {
            log.amend(seq, |entry| {
                let activity = entry.socket.get_or_insert_with(SocketActivity::default);
                activity.add(if i == 0 { "client" } else { "server" }, "x");
            });
        }
        let activity = log.entry(seq).and_then(|e| e.socket).unwrap();
        assert_eq!((activity.client_events, activity.server_events), (1, 202));
        assert_eq!(activity.events.len(), SOCKET_EVENT_LIMIT);
        assert_eq!(
            log.to_json()["data"][0]["socket"]["events"][0]["from"],
            "client"
        );
        log.amend(seq + 1, |_| panic!("no such entry"));
    }

    #[test]
    fn the_oldest_entries_lose_their_bodies_past_the_budget() {
        let log = RequestLog::default();
        let body = Bytes::from(vec![b'x'; BODY_LIMIT]);
        let per_entry = 2 * BODY_LIMIT;
        let fit = BODY_BUDGET / per_entry;
        for _ in 0..fit + 10 {
            log.record(ReceivedRequest {
                bodies: Bodies {
                    request: body.clone(),
                    response: body.clone(),
                    ..Bodies::default()
                },
                ..ReceivedRequest::default()
            });
        }
        let entries = log.entries();
        let kept: Vec<bool> = entries
            .iter()
            .map(|e| !e.bodies.request.is_empty())
            .collect();
        assert_eq!(kept.iter().filter(|k| **k).count(), fit);
        // The bodies that went are the oldest; every entry is still listed.
        assert!(kept[..10].iter().all(|k| !k) && kept[10..].iter().all(|k| *k));
        assert_eq!(entries.len(), fit + 10);
        let held: usize = entries.iter().map(|e| e.bodies.size()).sum();
        assert!(held <= BODY_BUDGET);
    }

    #[test]
    fn bodies_are_kept_up_to_the_limit() {
        let long = Bytes::from(vec![b'x'; BODY_LIMIT + 10]);
        let (kept, cut) = Bodies::bounded(&long);
        assert_eq!((kept.len(), cut), (BODY_LIMIT, true));
        let (kept, cut) = Bodies::bounded(&Bytes::from_static(b"{}"));
        assert_eq!((&kept[..], cut), (&b"{}"[..], false));
    }
}
