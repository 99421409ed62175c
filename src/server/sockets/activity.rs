//! A socket's entry in the request log ([`Activity`]): the upgrade is logged like any
//! request (status 101, the masked key, the model); the socket then amends that entry with
//! the events that went each way, the scenario trace of its last turn (rule, step, fault)
//! and how it ended.

use crate::scenario::log::SocketActivity;
use crate::scenario::{Engine, Trace};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// The log entry of one socket, and what to add to it.
pub(super) struct Activity {
    engine: Arc<Engine>,
    /// The entry's number, set once the upgrade is logged.
    seq: Arc<OnceLock<u64>>,
    pending: Vec<(&'static str, String)>,
    trace: Option<Trace>,
    ended: Option<String>,
}

/// An event's `type`, read without the rest of it.
#[derive(Deserialize)]
struct Typed<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
}

/// The `type` of the event in `text` (`?` when it has none or is not JSON).
fn type_of(text: &str) -> String {
    serde_json::from_str::<Typed>(text)
        .ok()
        .and_then(|typed| typed.kind)
        .map_or_else(|| "?".to_string(), Cow::into_owned)
}

impl Activity {
    /// The activity of the socket whose log entry will be numbered in `seq`.
    pub(super) fn new(engine: Arc<Engine>, seq: Arc<OnceLock<u64>>) -> Activity {
        Activity {
            engine,
            seq,
            pending: Vec::new(),
            trace: None,
            ended: None,
        }
    }

    /// A client frame.
    pub(super) fn client(&mut self, text: &str) {
        self.pending.push(("client", type_of(text)));
    }

    /// A server event.
    pub(super) fn server(&mut self, event: &Value) {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("?");
        self.pending.push(("server", kind.to_string()));
    }

    /// A server frame, as text.
    pub(super) fn server_text(&mut self, text: &str) {
        self.pending.push(("server", type_of(text)));
    }

    /// What the scenario engine did to the socket's latest turn.
    pub(super) fn turn(&mut self, trace: &Trace) {
        self.trace = Some(trace.clone());
    }

    /// The socket ended (`how`): written at once.
    pub(super) fn end(&mut self, how: &str) {
        self.ended = Some(how.to_string());
        self.flush();
    }

    /// Writes what happened since the last flush into the log entry.
    pub(super) fn flush(&mut self) {
        let Some(&seq) = self.seq.get() else {
            return;
        };
        if self.pending.is_empty() && self.trace.is_none() && self.ended.is_none() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let trace = self.trace.take();
        let ended = self.ended.take();
        self.engine.log().amend(seq, |entry| {
            let activity = entry.socket.get_or_insert_with(SocketActivity::default);
            for (from, kind) in &pending {
                activity.add(from, kind);
            }
            if ended.is_some() {
                activity.ended = ended;
            }
            if let Some(trace) = trace {
                entry.trace.rule = trace.rule;
                entry.trace.step = trace.step;
                entry.trace.conversation = trace.conversation;
                entry.trace.fault = trace.fault;
                entry.trace.delivery = trace.delivery;
            }
        });
    }
}
