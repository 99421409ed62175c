//! The request body from the first byte to the last: read whole under `--max-body-bytes`, or
//! finished once the answer is decided, so an early answer never breaks the connection.
//!
//! Many answers go out before the body is read: 404 and 405 (route), 401 (keys), 413 (a
//! declared length over the limit), `/__mock/…`, CORS preflights. Under HTTP/1.1 an unread
//! body makes the server close the connection while the client may still be writing, and
//! the client sees a reset instead of the answer. So every answer passes through
//! [`RequestBody::finish`], the one place for this:
//!
//! - A body already read, or an empty one, needs nothing.
//! - Otherwise the rest is read and thrown away (streamed to nothing, never buffered) while
//!   the total stays within the limit, and the connection is kept.
//! - A body over the limit (declared, or streamed past it), a body that failed to read, a
//!   client waiting on `Expect: 100-continue` (it has not sent the body, and is not asked
//!   for it), or a finish that runs out of time: the answer carries `Connection: close`,
//!   and the listener closes after it with a lingering close (`super::linger`).
//!
//! HTTP/2 needs none of this (the stream is reset, the connection stays), so there the body
//! is left unread and no header is added.

use crate::error::ApiError;
use bytes::Bytes;
use futures_util::StreamExt;
use poem::http::{header, HeaderValue, Version};
use poem::{Body, Request, Response};
use tokio::time::Instant;

/// The body of one request, and how much of it has been read.
pub struct RequestBody {
    state: State,
    /// The most the server reads (or discards) of one body.
    limit: usize,
    /// `content-length`, when the client declared one.
    declared: Option<usize>,
    /// The client waits for `100 Continue` before it sends the body.
    expects_continue: bool,
    /// HTTP/1.x, where an unread body costs the connection.
    http1: bool,
}

/// Where the body stands.
enum State {
    /// Not touched yet.
    Unread(Body),
    /// Read to its end.
    Read,
    /// Partly read, or refused: the rest is in the connection and will not be read.
    Abandoned,
}

impl RequestBody {
    /// Takes the body out of `req`, to be read (or discarded) at most `limit` bytes of it.
    pub fn take(req: &mut Request, limit: usize) -> RequestBody {
        let headers = req.headers();
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok());
        let expects_continue = headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let http1 = matches!(
            req.version(),
            Version::HTTP_09 | Version::HTTP_10 | Version::HTTP_11
        );
        RequestBody {
            state: State::Unread(req.take_body()),
            limit,
            declared,
            expects_continue,
            http1,
        }
    }

    /// The whole body, refused with a 413 past the limit (before reading, when
    /// `content-length` already says so). Called at most once per request.
    pub async fn read(&mut self) -> Result<Bytes, ApiError> {
        let limit = self.limit;
        let body = match std::mem::replace(&mut self.state, State::Abandoned) {
            State::Unread(body) => body,
            other => {
                self.state = other;
                return Err(ApiError::invalid_request(
                    "The request body was already read.",
                ));
            }
        };
        if self.declared.is_some_and(|len| len > limit) {
            return Err(ApiError::body_too_large(limit));
        }
        // Until this returns, the state says `Abandoned`: a read cut short (by the request
        // timeout, say) leaves the rest of the body in the connection.
        let bytes = read_within(body, limit, self.declared).await?;
        self.state = State::Read;
        Ok(bytes)
    }

    /// Finishes the body before `response` goes out: reads and discards what is left
    /// (within the limit and by `deadline`), or marks `response` with `Connection: close`
    /// when the connection cannot be reused. Every answer of the pipeline passes here,
    /// timeouts included (a deadline already passed finishes at once).
    pub async fn finish(self, response: &mut Response, deadline: Instant) {
        if !self.http1 || matches!(self.state, State::Read) {
            return;
        }
        // Out of time counts as not drained.
        let drained = tokio::time::timeout_at(deadline, self.discard()).await;
        if drained != Ok(true) {
            close_after(response);
        }
    }

    /// Reads what is left of the body to nothing; whether the connection can be kept.
    async fn discard(self) -> bool {
        let body = match self.state {
            State::Read => return true,
            State::Abandoned => return false,
            State::Unread(body) => body,
        };
        if body.is_empty() {
            return true;
        }
        if self.expects_continue || self.declared.is_some_and(|len| len > self.limit) {
            return false;
        }
        let mut left = self.limit;
        let mut chunks = body.into_bytes_stream();
        while let Some(chunk) = chunks.next().await {
            match chunk {
                Ok(chunk) if chunk.len() <= left => left -= chunk.len(),
                _ => return false,
            }
        }
        true
    }
}

/// Reads `body` whole into one buffer, or refuses it with a 413 once it passes `limit`.
///
/// A declared length is allocated once, up front. A body of unknown length (chunked) is
/// copied frame by frame into blocks of its own, so the connection's read buffers are
/// released at once, and the blocks are joined once at the end; a body refused at the
/// limit never holds more than the limit.
async fn read_within(body: Body, limit: usize, declared: Option<usize>) -> Result<Bytes, ApiError> {
    let failed = |e: std::io::Error| {
        ApiError::invalid_request(format!("Could not read the request body: {e}"))
    };
    let mut frames = body.into_bytes_stream();
    if let Some(length) = declared {
        let mut buffer = bytes::BytesMut::with_capacity(length);
        while let Some(frame) = frames.next().await {
            let frame = frame.map_err(failed)?;
            if buffer.len() + frame.len() > limit {
                return Err(ApiError::body_too_large(limit));
            }
            buffer.extend_from_slice(&frame);
        }
        return Ok(buffer.freeze());
    }
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut total = 0;
    while let Some(frame) = frames.next().await {
        let frame = frame.map_err(failed)?;
        total += frame.len();
        if total > limit {
            return Err(ApiError::body_too_large(limit));
        }
        blocks.push(frame.to_vec());
    }
    match blocks.len() {
        0 => Ok(Bytes::new()),
        1 => Ok(Bytes::from(blocks.swap_remove(0))),
        _ => Ok(Bytes::from(blocks.concat())),
    }
}

/// Marks `response` as the last one on its HTTP/1.1 connection.
fn close_after(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}
