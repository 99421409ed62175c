//! The outgoing side of a Realtime socket ([`Outbox`]): server events queued with the
//! moment each is due, so a response can be paced, broken off or cancelled while the
//! client keeps sending.
//!
//! Each response (from its `response.created` to the end of the frame's answer) follows the
//! scenario plan of its turn, with the same settings and meaning as a stream over HTTP:
//! `latency_ms` (+ jitter) and `ttft_ms` before its first event, `chunk_interval_ms`
//! between events, `stream_stall_after`/`stream_stall_ms` a pause, `stream_cut_after: N`
//! drops the connection (no close frame) after N events, `stream_error_after: N` sends an
//! `error` event after N events and ends the response (`response.done`, `failed`). A
//! `connection_reset` error drops the connection at once. Events outside responses are
//! sent at once, in order. `response.cancel` takes the active response's unsent events out
//! and sends its `response.done` as `cancelled`.

use crate::endpoints::realtime::turns::{
    cancelled_details, ended_early, failed_details, unfinished_items,
};
use crate::endpoints::realtime::Socket;
use crate::scenario::latency::{FLUSH_PAUSE, STREAM_ERROR_MESSAGE};
use crate::scenario::{faults, Failure, Outcome, Plan};
use serde_json::Value;
use std::collections::VecDeque;
use tokio::time::Instant;

/// What the socket does when an item is due.
#[derive(Debug)]
pub(super) enum Deliver {
    /// Sends this event.
    Event(Value),
    /// Drops the connection, without a close frame (a fault).
    Drop,
}

/// One queued item.
#[derive(Debug)]
struct Scheduled {
    at: Instant,
    /// The response it belongs to, if any.
    response: Option<String>,
    what: Deliver,
}

/// The events still to send (see the module notes).
#[derive(Debug, Default)]
pub(super) struct Outbox {
    queue: VecDeque<Scheduled>,
}

fn kind(event: &Value) -> &str {
    event.get("type").and_then(Value::as_str).unwrap_or("")
}

impl Outbox {
    /// Queues the answer to one client frame; `plans` are the scenario plans of the
    /// responses in it, in order.
    pub(super) fn push(
        &mut self,
        events: Vec<Value>,
        plans: Vec<Plan>,
        session: &mut Socket,
        now: Instant,
    ) {
        let mut at = self.queue.back().map_or(now, |last| last.at.max(now));
        let mut plans = plans.into_iter();
        let mut events = events.into_iter().peekable();
        while let Some(event) = events.next() {
            if kind(&event) != "response.created" {
                self.queue.push_back(Scheduled {
                    at,
                    response: None,
                    what: Deliver::Event(event),
                });
                continue;
            }
            let id = event
                .pointer("/response/id")
                .and_then(Value::as_str)
                .map(str::to_string);
            let mut segment = vec![event];
            while let Some(next) = events.next_if(|e| kind(e) != "response.created") {
                segment.push(next);
            }
            match plans.next() {
                Some(plan) => at = self.paced(segment, id, &plan, session, at),
                None => {
                    for event in segment {
                        self.queue.push_back(Scheduled {
                            at,
                            response: id.clone(),
                            what: Deliver::Event(event),
                        });
                    }
                }
            }
        }
    }

    /// Queues one response's events as `plan` says, from `at`; the time of its last item.
    fn paced(
        &mut self,
        segment: Vec<Value>,
        id: Option<String>,
        plan: &Plan,
        session: &mut Socket,
        at: Instant,
    ) -> Instant {
        let mut at = at + plan.delay;
        let push = |queue: &mut VecDeque<Scheduled>, at: Instant, what: Deliver| {
            queue.push_back(Scheduled {
                at,
                response: id.clone(),
                what,
            });
        };
        if matches!(plan.outcome, Outcome::Fail(Failure::ConnectionReset)) {
            push(&mut self.queue, at, Deliver::Drop);
            return at;
        }
        let stream = plan.stream;
        let mut rest = segment.into_iter();
        for sent in 0.. {
            if stream.stall_after == Some(sent) {
                at += stream.stall;
            }
            if stream.cut_after == Some(sent) {
                // Let what went before reach the client first.
                at += FLUSH_PAUSE;
                push(&mut self.queue, at, Deliver::Drop);
                return at;
            }
            at += if sent == 0 {
                stream.ttft
            } else {
                stream.interval
            };
            if stream.error_after == Some(sent) {
                let unsent: Vec<Value> = rest.collect();
                let mut error = faults::for_status(500).error;
                error.message = STREAM_ERROR_MESSAGE.into();
                let details = failed_details(&error);
                push(&mut self.queue, at, Deliver::Event(session.refuse(error)));
                let unfinished = unfinished_items(&unsent);
                session.cancel(&unfinished);
                if let Some(done) = unsent.iter().find(|e| kind(e) == "response.done") {
                    let done = ended_early(done, "failed", details, &unfinished);
                    push(&mut self.queue, at, Deliver::Event(done));
                }
                return at;
            }
            let Some(event) = rest.next() else {
                return at;
            };
            push(&mut self.queue, at, Deliver::Event(event));
        }
        at
    }

    /// When the next item is due.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.queue.front().map(|item| item.at)
    }

    /// Whether nothing is left to send.
    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Takes the items due by `now`, in order.
    pub(super) fn due(&mut self, now: Instant) -> Vec<Deliver> {
        let mut out = Vec::new();
        while self.queue.front().is_some_and(|item| item.at <= now) {
            if let Some(item) = self.queue.pop_front() {
                out.push(item.what);
            }
        }
        out
    }

    /// Cancels the response still being sent (the one `asked` names, when it names one):
    /// its unsent events go, its unfinished items become `incomplete`, and its
    /// `response.done` (status `cancelled`) goes out next. `false` when no response is
    /// being sent (the session then answers the cancel itself).
    pub(super) fn cancel(
        &mut self,
        asked: Option<&str>,
        session: &mut Socket,
        now: Instant,
    ) -> bool {
        let Some(active) = self.queue.iter().find_map(|item| item.response.clone()) else {
            return false;
        };
        if asked.is_some_and(|asked| asked != active) {
            return false;
        }
        let (removed, kept): (Vec<Scheduled>, Vec<Scheduled>) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|item| item.response.as_deref() == Some(active.as_str()));
        self.queue = kept.into();
        let unsent: Vec<Value> = removed
            .into_iter()
            .filter_map(|item| match item.what {
                Deliver::Event(event) => Some(event),
                Deliver::Drop => None,
            })
            .collect();
        let unfinished = unfinished_items(&unsent);
        session.cancel(&unfinished);
        if let Some(done) = unsent.iter().find(|e| kind(e) == "response.done") {
            let done = ended_early(done, "cancelled", cancelled_details(), &unfinished);
            self.queue.push_front(Scheduled {
                at: now,
                response: None,
                what: Deliver::Event(done),
            });
        }
        true
    }
}
