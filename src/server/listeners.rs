//! Listening sockets and connections: our own accept loop over hyper.
//!
//! poem's `Server` sets no hyper timer, so it can bound neither the time to send a request
//! head nor a TLS handshake. This module owns that loop instead; poem still provides the
//! endpoint (the [`Pipeline`](super::Pipeline) and its middleware).
//!
//! - Each listening socket gets one accept task; each accepted connection gets one task, kept
//!   in a [`TaskTracker`] so shutdown can drain them and tests can count them.
//! - A plain-TCP connection is sniffed for the HTTP/2 client preface: HTTP/2 with prior
//!   knowledge (h2c) if it is there, HTTP/1.1 otherwise. A TLS connection is served as the
//!   protocol ALPN chose (`h2`, else HTTP/1.1).
//! - Slow clients are bounded by the header-read timeout: the TLS handshake, the preface sniff
//!   and every HTTP/1.1 request head (keep-alive waits included) must complete within it, so a
//!   slowloris client cannot pin a connection.
//! - Shutdown is two-staged: `shutdown` stops the accept loops and asks every connection to
//!   finish what is in flight (HTTP/1.1 closes after the current response, HTTP/2 sends
//!   GOAWAY); `hard_stop` drops whatever is still open when the drain deadline passes.
//! - A connection whose last answer said `Connection: close` (its request body was left
//!   unread) ends with a lingering close (`super::linger`), so the client reads that answer
//!   instead of a reset.

use super::linger::{LingerFlag, Lingering};
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use poem::endpoint::BoxEndpoint;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, Response};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The endpoint every connection serves.
pub type App = Arc<BoxEndpoint<'static, Response>>;

/// The response body type handed to hyper.
type ResponseBody = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

/// The client preface every HTTP/2 connection starts with (RFC 9113, section 3.4).
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How often HTTP/2 connections are pinged, so dead peers are noticed.
const H2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);

/// What every connection task shares.
pub struct Connections {
    app: App,
    header_read_timeout: Duration,
    http1: auto::Builder<TokioExecutor>,
    http2: auto::Builder<TokioExecutor>,
    /// Cancelled to stop accepting and drain open connections.
    pub shutdown: CancellationToken,
    /// Cancelled to drop connections that outlived the drain.
    pub hard_stop: CancellationToken,
    /// One task per open connection.
    pub tracker: TaskTracker,
}

impl Connections {
    /// Shared state for connections serving `app`.
    pub fn new(app: App, header_read_timeout: Duration) -> Arc<Connections> {
        let mut http1 = auto::Builder::new(TokioExecutor::new()).http1_only();
        http1
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .keep_alive(true);
        let mut http2 = auto::Builder::new(TokioExecutor::new()).http2_only();
        http2
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(H2_KEEP_ALIVE_INTERVAL);
        Arc::new(Connections {
            app,
            header_read_timeout,
            http1,
            http2,
            shutdown: CancellationToken::new(),
            hard_stop: CancellationToken::new(),
            tracker: TaskTracker::new(),
        })
    }

    /// Connections currently open (handshaking, idle or serving).
    pub fn open(&self) -> usize {
        self.tracker.len()
    }
}

/// Spawns the accept loop of `listener`; with `tls`, every connection is TLS.
pub fn spawn_accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    connections: Arc<Connections>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = connections.shutdown.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, remote)) => {
                    let shared = connections.clone();
                    let tls = tls.clone();
                    connections.tracker.spawn(async move {
                        let hard_stop = shared.hard_stop.clone();
                        tokio::select! {
                            _ = serve_connection(stream, remote, tls, &shared) => {}
                            _ = hard_stop.cancelled() => {}
                        }
                    });
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    })
}

/// Serves one accepted connection until it closes or shutdown drains it.
async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    tls: Option<TlsAcceptor>,
    shared: &Connections,
) {
    let _ = stream.set_nodelay(true);
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let deadline = Instant::now() + shared.header_read_timeout;
    match tls {
        Some(acceptor) => {
            let handshake = tokio::select! {
                _ = shared.shutdown.cancelled() => return,
                handshake = tokio::time::timeout_at(deadline, acceptor.accept(stream)) => handshake,
            };
            let stream = match handshake {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    tracing::debug!(%remote, %error, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%remote, "TLS handshake timed out");
                    return;
                }
            };
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            serve_http(stream, h2, local, remote, Scheme::HTTPS, shared).await;
        }
        None => {
            let sniffed = tokio::select! {
                _ = shared.shutdown.cancelled() => return,
                sniffed = starts_with_h2_preface(&stream, deadline) => sniffed,
            };
            if let Some(h2) = sniffed {
                serve_http(stream, h2, local, remote, Scheme::HTTP, shared).await;
            }
        }
    }
}

/// Whether a plain connection opens with the HTTP/2 preface; `None` when the client closed,
/// failed or did not send enough to tell before `deadline`. Peeks, so nothing is consumed.
async fn starts_with_h2_preface(stream: &TcpStream, deadline: Instant) -> Option<bool> {
    let mut buf = [0u8; H2_PREFACE.len()];
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(_)) | Err(_) => return None,
        };
        if n == 0 {
            return None;
        }
        if buf[..n] != H2_PREFACE[..n] {
            return Some(false);
        }
        if n == H2_PREFACE.len() {
            return Some(true);
        }
        // A partial preface: peek returns at once while those bytes sit unread, so wait a
        // little for the rest (only clients that really speak HTTP/2 get here).
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs HTTP/1.1 or HTTP/2 on an established connection.
async fn serve_http<I>(
    io: I,
    h2: bool,
    local: SocketAddr,
    remote: SocketAddr,
    scheme: Scheme,
    shared: &Connections,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let app = shared.app.clone();
    let linger = LingerFlag::default();
    let io = Lingering::new(io, linger.clone());
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let app = app.clone();
        let scheme = scheme.clone();
        let linger = linger.clone();
        async move {
            let request = poem::Request::from((
                request,
                LocalAddr(Addr::SocketAddr(local)),
                RemoteAddr(Addr::SocketAddr(remote)),
                scheme,
            ));
            let response = app.get_response(request).await;
            linger.note(&response);
            Ok::<_, Infallible>(hyper::Response::<ResponseBody>::from(response))
        }
    });
    let builder = if h2 { &shared.http2 } else { &shared.http1 };
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%remote, %error, "connection ended with an error");
            }
            return;
        }
        _ = shared.shutdown.cancelled() => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}
