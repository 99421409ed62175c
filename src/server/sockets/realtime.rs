//! The Realtime frame loop: `session.created` first, then each text frame through the
//! session ([`Socket`]) and its events back, in order. Binary frames and frames over the size limit
//! get an `error` event; a socket silent for [`IDLE_TIMEOUT`] is closed, and one that
//! reaches the session's time limit gets the real `session_expired` error, then closes.

use super::IDLE_TIMEOUT;
use crate::endpoints::realtime::Socket;
use crate::error::ApiError;
use futures_util::{SinkExt, StreamExt};
use poem::web::websocket::{CloseCode, Message, WebSocketStream};
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

/// How long a session lives.
const SESSION_LIMIT: Duration = Duration::from_secs(60 * 60);

/// Runs one Realtime socket to its end.
pub(super) async fn run(socket: WebSocketStream, mut session: Socket) {
    let (mut sink, mut stream) = socket.split();
    let ends_at = Instant::now() + SESSION_LIMIT;
    let send = |events: Vec<Value>| {
        futures_util::stream::iter(
            events
                .into_iter()
                .map(|event| Ok::<_, std::io::Error>(Message::Text(event.to_string()))),
        )
    };
    if sink.send_all(&mut send(session.open())).await.is_err() {
        return;
    }
    loop {
        let next = tokio::select! {
            _ = tokio::time::sleep_until(ends_at) => {
                let expired = session.expired();
                let _ = sink.send(Message::Text(expired.to_string())).await;
                let _ = sink.send(Message::Close(Some((CloseCode::Normal, "session expired".into())))).await;
                return;
            }
            next = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => next,
        };
        let events = match next {
            Err(_) => {
                let _ = sink
                    .send(Message::Close(Some((
                        CloseCode::Away,
                        "idle timeout".into(),
                    ))))
                    .await;
                return;
            }
            Ok(None) => return,
            Ok(Some(Ok(Message::Close(_)))) => {
                // Flushes the close reply the WebSocket layer queued, so the client's
                // closing handshake ends at once.
                let _ = sink.close().await;
                return;
            }
            Ok(Some(Err(error))) => {
                // A frame over the limit (or broken framing) ends the socket, as it does
                // on the real API, after saying why.
                let refusal = session.refuse(
                    ApiError::invalid_request(format!("The frame could not be read: {error}"))
                        .with_code("invalid_frame"),
                );
                let _ = sink.send(Message::Text(refusal.to_string())).await;
                let _ = sink
                    .send(Message::Close(Some((
                        CloseCode::Size,
                        "message too big".into(),
                    ))))
                    .await;
                return;
            }
            Ok(Some(Ok(Message::Text(text)))) => session.handle(&text),
            Ok(Some(Ok(Message::Binary(_)))) => vec![session.refuse(
                ApiError::invalid_request(
                    "Binary frames are not supported: send each event as a JSON text frame.",
                )
                .with_code("invalid_event"),
            )],
            Ok(Some(_)) => continue,
        };
        if sink.send_all(&mut send(events)).await.is_err() {
            return;
        }
        if session.closed() {
            let _ = sink.close().await;
            return;
        }
    }
}
