//! The Realtime frame loop: `session.created` first, then each text frame through the
//! session ([`Socket`]) and its events back, in order. Binary frames and frames over the size limit
//! get an `error` event; a socket silent for [`IDLE_TIMEOUT`] is closed, and one that
//! reaches the session's time limit gets the real `session_expired` error, then closes.

use super::{binary_refused, next_frame, Frame};
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
        let frame = tokio::select! {
            _ = tokio::time::sleep_until(ends_at) => None,
            frame = next_frame(&mut stream, &mut sink) => Some(frame),
        };
        let events = match frame {
            None => {
                let expired = session.expired();
                let _ = sink.send(Message::Text(expired.to_string())).await;
                let close = Message::Close(Some((CloseCode::Normal, "session expired".into())));
                let _ = sink.send(close).await;
                return;
            }
            Some(Frame::Gone) => return,
            Some(Frame::Broken(error)) => {
                // A frame over the limit (or broken framing) ends the socket, as it does
                // on the real API, after saying why.
                let refusal = session.refuse(
                    ApiError::invalid_request(format!("The frame could not be read: {error}"))
                        .with_code("invalid_frame"),
                );
                let _ = sink.send(Message::Text(refusal.to_string())).await;
                let close = Message::Close(Some((CloseCode::Size, "message too big".into())));
                let _ = sink.send(close).await;
                return;
            }
            Some(Frame::Text(text)) => session.handle(&text),
            Some(Frame::Binary) => vec![session.refuse(binary_refused())],
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
