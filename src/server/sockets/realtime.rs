//! The Realtime frame loop: `session.created` first, then each text frame through the
//! session ([`Socket`]) and its events back through the [`Outbox`], which paces each
//! response as its turn's scenario plan says and lets `response.cancel` stop one while it is
//! being sent. Binary frames and frames over the size limit get an `error` event; a socket
//! silent for [`IDLE_TIMEOUT`](super::IDLE_TIMEOUT) is closed, and one that reaches the
//! session's time limit gets the real `session_expired` error, then closes. Every event
//! each way is counted in the socket's log entry ([`Activity`]).

use super::activity::Activity;
use super::delivery::{Deliver, Outbox};
use super::{binary_refused, next_frame, Frame};
use crate::endpoints::realtime::Socket;
use crate::error::ApiError;
use crate::scenario::Plan;
use futures_util::{SinkExt, StreamExt};
use poem::web::websocket::{CloseCode, Message, WebSocketStream};
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How long a session lives.
const SESSION_LIMIT: Duration = Duration::from_secs(60 * 60);

/// The scenario plans of the turns a session asked about, not yet delivered.
pub(super) type Plans = Arc<Mutex<Vec<Plan>>>;

/// A `response.cancel` event's target.
#[derive(Deserialize)]
struct Cancel {
    #[serde(rename = "type")]
    kind: String,
    response_id: Option<String>,
}

/// The `response_id` a `response.cancel` frame names (`Some(None)` when it names none);
/// `None` for any other frame.
fn cancel_of(text: &str) -> Option<Option<String>> {
    let cancel: Cancel = serde_json::from_str(text).ok()?;
    (cancel.kind == "response.cancel").then_some(cancel.response_id)
}

/// Runs one Realtime socket to its end.
pub(super) async fn run(
    socket: WebSocketStream,
    mut session: Socket,
    plans: Plans,
    mut activity: Activity,
) {
    let (mut sink, mut stream) = socket.split();
    let ends_at = Instant::now() + SESSION_LIMIT;
    let mut outbox = Outbox::default();
    let opened = session.open();
    outbox.push(opened, Vec::new(), &mut session, Instant::now());
    loop {
        for what in outbox.due(Instant::now()) {
            match what {
                Deliver::Event(event) => {
                    activity.server(&event);
                    if sink.send(Message::Text(event.to_string())).await.is_err() {
                        activity.end("gone");
                        return;
                    }
                }
                Deliver::Drop => {
                    // Dropping both halves ends the connection without a close frame.
                    activity.end("dropped (fault)");
                    return;
                }
            }
        }
        activity.flush();
        if session.closed() && outbox.is_empty() {
            let _ = sink.close().await;
            activity.end("closed by the client");
            return;
        }
        let wake = outbox.next_due();
        let frame = tokio::select! {
            _ = tokio::time::sleep_until(ends_at) => None,
            _ = tokio::time::sleep_until(wake.unwrap_or(ends_at)), if wake.is_some() => continue,
            frame = next_frame(&mut stream, &mut sink) => Some(frame),
        };
        let now = Instant::now();
        let events = match frame {
            None => {
                let expired = session.expired();
                activity.server(&expired);
                let _ = sink.send(Message::Text(expired.to_string())).await;
                let close = Message::Close(Some((CloseCode::Normal, "session expired".into())));
                let _ = sink.send(close).await;
                activity.end("session expired");
                return;
            }
            Some(Frame::Gone) => {
                activity.end("closed by the client");
                return;
            }
            Some(Frame::Broken(error)) => {
                // A frame over the limit (or broken framing) ends the socket, as it does
                // on the real API, after saying why.
                let refusal = session.refuse(
                    ApiError::invalid_request(format!("The frame could not be read: {error}"))
                        .with_code("invalid_frame"),
                );
                activity.server(&refusal);
                let _ = sink.send(Message::Text(refusal.to_string())).await;
                let close = Message::Close(Some((CloseCode::Size, "message too big".into())));
                let _ = sink.send(close).await;
                activity.end("frame too large");
                return;
            }
            Some(Frame::Text(text)) => {
                activity.client(&text);
                if let Some(asked) = cancel_of(&text) {
                    if outbox.cancel(asked.as_deref(), &mut session, now) {
                        continue;
                    }
                }
                session.handle(&text)
            }
            Some(Frame::Binary) => {
                activity.client("");
                vec![session.refuse(binary_refused())]
            }
        };
        let planned: Vec<Plan> = plans
            .lock()
            .map(|mut plans| std::mem::take(&mut *plans))
            .unwrap_or_default();
        if let Some(plan) = planned.last() {
            activity.turn(&plan.trace);
        }
        outbox.push(events, planned, &mut session, now);
    }
}
