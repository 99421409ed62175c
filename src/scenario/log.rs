//! The request log behind `GET /__mock/requests`: the last [`CAPACITY`] API requests,
//! oldest first, with what the scenario machinery did to each.

use super::plan::Trace;
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
}

impl RequestLog {
    /// Appends `entry`, numbering it; the oldest entry goes when the log is full.
    pub fn record(&self, mut entry: ReceivedRequest) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        inner.seen += 1;
        entry.seq = inner.seen;
        if inner.entries.len() >= CAPACITY {
            inner.entries.pop_front();
        }
        inner.entries.push_back(entry);
    }

    /// Empties the log (numbering goes on).
    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.entries.clear();
        }
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
    }
}
