//! The lingering close: how an HTTP/1.1 connection ends after an answer that said
//! `Connection: close` because its request body was not read (see `super::body`).
//!
//! Closing a socket with unread bytes in it makes the kernel send a reset, and a client still
//! writing its body sees that reset instead of the answer it was sent. So the connection's
//! IO is wrapped in [`Lingering`]: when hyper shuts it down after such an answer, it first
//! sends its end of stream (FIN), then reads and discards what the client still sends until
//! the client closes, goes quiet for [`LINGER_IDLE`], has sent [`LINGER_BYTES`], or
//! [`LINGER_MAX`] has passed. Other connections shut down at once, as before.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The longest wait for more bytes from the client while lingering.
pub const LINGER_IDLE: Duration = Duration::from_secs(5);

/// The longest linger in all.
pub const LINGER_MAX: Duration = Duration::from_secs(30);

/// The most bytes read and discarded while lingering.
pub const LINGER_BYTES: usize = 16 * 1024 * 1024;

/// Set when an answer on the connection said `Connection: close`: its shutdown lingers.
#[derive(Clone, Default)]
pub struct LingerFlag(Arc<AtomicBool>);

impl LingerFlag {
    /// Asks for a lingering close when `response` is the connection's last answer.
    pub fn note(&self, response: &poem::Response) {
        let closes = response
            .headers()
            .get(poem::http::header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        if closes {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A connection's IO whose shutdown lingers when its [`LingerFlag`] is set.
pub struct Lingering<I> {
    io: I,
    flag: LingerFlag,
    state: State,
}

/// Where the shutdown stands.
enum State {
    /// Serving.
    Open,
    /// FIN sent; discarding what still arrives.
    Lingering {
        discarded: usize,
        idle: Pin<Box<Sleep>>,
        until: Instant,
    },
    /// Shut down.
    Closed,
}

impl<I> Lingering<I> {
    /// Wraps `io`; `flag` decides whether its shutdown lingers.
    pub fn new(io: I, flag: LingerFlag) -> Lingering<I> {
        Lingering {
            io,
            flag,
            state: State::Open,
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Lingering<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<I: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Lingering<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Open => {
                    ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
                    this.state = match this.flag.is_set() {
                        true => {
                            let now = Instant::now();
                            State::Lingering {
                                discarded: 0,
                                idle: Box::pin(tokio::time::sleep_until(now + LINGER_IDLE)),
                                until: now + LINGER_MAX,
                            }
                        }
                        false => State::Closed,
                    };
                }
                State::Lingering {
                    discarded,
                    idle,
                    until,
                } => {
                    let mut scratch = [0u8; 8192];
                    let mut buf = ReadBuf::new(&mut scratch);
                    match Pin::new(&mut this.io).poll_read(cx, &mut buf) {
                        Poll::Ready(Ok(())) if !buf.filled().is_empty() => {
                            *discarded += buf.filled().len();
                            if *discarded >= LINGER_BYTES {
                                this.state = State::Closed;
                            } else {
                                let next = (Instant::now() + LINGER_IDLE).min(*until);
                                idle.as_mut().reset(next);
                            }
                        }
                        // End of stream or an error: the client is done.
                        Poll::Ready(_) => this.state = State::Closed,
                        Poll::Pending => {
                            ready!(idle.as_mut().poll(cx));
                            this.state = State::Closed;
                        }
                    }
                }
                State::Closed => return Poll::Ready(Ok(())),
            }
        }
    }
}
