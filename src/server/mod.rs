//! The HTTP server: listeners, TLS, the poem app and graceful shutdown.
//!
//! [`bind`] opens the listeners a [`Config`] asks for (plain HTTP with h2c, HTTPS, or both;
//! port 0 picks a free port) and returns a [`Running`] server that reports its real
//! addresses. The app is one [`Pipeline`] endpoint serving every operation of the catalog,
//! wrapped in [`Cors`] (unless `--cors false`) and in a panic guard, so a panic answers a 500
//! envelope and never takes the process down. [`MockServer`] packages all of it for Rust
//! tests.
//!
//! | module | owns |
//! |---|---|
//! | `listeners` | accept loops, h2c sniffing, header-read and handshake timeouts, draining |
//! | `tls` | the certificate (generated or loaded) and the rustls acceptor |
//! | `linger` | the lingering close after an answer that left its request body unread |
//! | `pipeline` | route → authenticate → validate → generate → respond, and the request log |
//! | `sockets` | WebSocket upgrades: Realtime sessions and the Responses WebSocket mode |
//! | `subrequest` | requests the server sends itself through the pipeline (batch lines) |
//! | `body` | reading the request body under the limit, and finishing it before every answer |
//! | `cors` | CORS headers and preflights |
//! | `info` | `GET /`, `/health`, `/openapi.yaml`, `/openapi.json` |
//! | `dashboard` | the web dashboard at `/dashboard` (sign-in, request log, keys, usage, exports) |
//! | `in_process` | [`MockServer`], the in-process server for Rust tests |

mod auth;
mod body;
mod cors;
pub mod dashboard;
mod in_process;
mod info;
mod key_control;
mod linger;
mod listeners;
mod pipeline;
mod respond;
mod sockets;
mod state_control;
mod subrequest;
mod tls;

pub use auth::Keys;
pub use cors::Cors;
pub use in_process::{MockServer, MockServerBuilder};
pub use info::{spec_date, ServerInfo, OPENAPI_YAML};
pub use pipeline::{Pipeline, Settings};
pub use respond::OPENAI_VERSION;
pub use tls::{Tls, GENERATED_CERT_NAMES};

use crate::catalog::Catalog;
use crate::config::Config;
use crate::error::ApiError;
use crate::generate::IdStream;
use crate::scenario;
use crate::store::{self, Store};
use listeners::Connections;
use poem::http::StatusCode;
use poem::middleware::CatchPanic;
use poem::EndpointExt;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A server that is listening. Dropping it stops the server at once; [`Running::shutdown`]
/// stops it gracefully.
pub struct Running {
    http_addr: Option<SocketAddr>,
    https_addr: Option<SocketAddr>,
    tls: Option<Tls>,
    connections: Arc<Connections>,
    accept_loops: Vec<JoinHandle<()>>,
    drain: Duration,
    scenarios: Arc<scenario::Engine>,
    store: Arc<Store>,
    dashboard: Arc<dashboard::Dashboard>,
}

impl Running {
    /// The one-time dashboard sign-in link, when no admin key is configured (the dashboard
    /// then answers only on loopback). `None` once used, or when an admin key is set.
    pub fn dashboard_sign_in_url(&self) -> Option<String> {
        let url = self.urls().into_iter().next()?;
        let token = self.dashboard.one_time_token()?;
        Some(format!("{url}/dashboard/sign-in/once?token={token}"))
    }

    /// The bound plain-HTTP address.
    ///
    /// # Panics
    ///
    /// When plain HTTP is turned off (`http: false`); see [`Running::urls`] for what is served.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
            .expect("plain HTTP is turned off for this server; use https_addr()")
    }

    /// The bound HTTPS address, when HTTPS is on.
    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https_addr
    }

    /// The root URL of every listener, plain HTTP first: `http://127.0.0.1:4010`.
    pub fn urls(&self) -> Vec<String> {
        let http = self.http_addr.map(|a| format!("http://{a}"));
        let https = self.https_addr.map(|a| format!("https://{a}"));
        http.into_iter().chain(https).collect()
    }

    /// The certificate file HTTPS clients can trust, when HTTPS is on.
    pub fn tls_cert_path(&self) -> Option<&Path> {
        self.tls.as_ref().map(|tls| tls.cert_path.as_path())
    }

    /// The HTTPS certificate chain (PEM), when HTTPS is on.
    pub fn tls_cert_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|tls| tls.cert_pem.as_str())
    }

    /// Client connections currently open, idle ones included.
    pub fn open_connections(&self) -> usize {
        self.connections.open()
    }

    /// The scenario engine: rules, the request log, counters and limits.
    pub fn scenarios(&self) -> &scenario::Engine {
        &self.scenarios
    }

    /// The objects that persist.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stops accepting connections, lets in-flight requests and streams finish (bounded by
    /// `shutdown_timeout_secs`), then closes whatever is left and writes the state file.
    pub async fn shutdown(mut self) -> io::Result<()> {
        self.connections.shutdown.cancel();
        for accept_loop in self.accept_loops.drain(..) {
            accept_loop.await.map_err(io::Error::other)?;
        }
        let tracker = self.connections.tracker.clone();
        tracker.close();
        if tokio::time::timeout(self.drain, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                open = tracker.len(),
                "drain deadline passed; closing the remaining connections"
            );
            self.connections.hard_stop.cancel();
            tracker.wait().await;
        }
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.flush())
            .await
            .map_err(io::Error::other)?;
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.connections.shutdown.cancel();
        self.connections.hard_stop.cancel();
    }
}

/// The pipeline settings a [`Config`] describes, for a server reachable as `info` says and
/// steered by `scenarios`.
pub fn settings(
    config: &Config,
    info: ServerInfo,
    scenarios: Arc<scenario::Engine>,
    store: Arc<Store>,
) -> Settings {
    Settings {
        store,
        keys: Keys {
            api_keys: config.api_keys.clone(),
            admin_api_keys: config.admin_api_keys.clone(),
        },
        seed: config.seed.unwrap_or(0),
        ids: Arc::new(config.seed.map_or_else(IdStream::unseeded, IdStream::new)),
        max_body_bytes: config.max_body_bytes,
        options: crate::endpoints::Options {
            float_embeddings: config.float_embeddings,
        },
        request_timeout: Duration::from_secs(config.request_timeout_secs),
        info: Arc::new(info),
        scenarios,
        dashboard: Arc::new(dashboard::Dashboard::new(config)),
    }
}

/// Binds the listeners described by `config` and starts serving.
pub async fn bind(config: &Config) -> io::Result<Running> {
    if !config.http && config.https_port.is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "nothing to serve: plain HTTP is off (--http false) and no --https-port is given",
        ));
    }
    // Validators compile on first use (a few ms for the first request of an operation): all
    // of them at startup would take about 18 MB more for operations most runs never call.
    let spec_file = match &config.spec {
        Some(path) => {
            Some(Arc::new(Catalog::from_spec_file(path).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
            })?))
        }
        None => None,
    };
    let catalog = spec_file
        .as_ref()
        .map_or_else(Catalog::embedded, |spec| spec.catalog.clone());

    // Before any port is bound: a state file that cannot be used stops the server at once.
    let store = Arc::new(open_store(config)?);
    let http = match config.http {
        true => Some(listen("http", SocketAddr::new(config.host, config.port)).await?),
        false => None,
    };
    let https = match config.https_port {
        Some(port) => {
            let tls = Tls::from_config(config)?;
            let listener = listen("https", SocketAddr::new(config.host, port)).await?;
            Some((listener, tls))
        }
        None => None,
    };
    let http_addr = http.as_ref().map(TcpListener::local_addr).transpose()?;
    let https_addr = https
        .as_ref()
        .map(|(listener, _)| listener.local_addr())
        .transpose()?;
    let base = catalog.base_path.clone();
    let info = ServerInfo {
        base_urls: [http_addr.map(|a| format!("http://{a}{base}"))]
            .into_iter()
            .chain([https_addr.map(|a| format!("https://{a}{base}"))])
            .flatten()
            .collect(),
        tls_cert: https.as_ref().map(|(_, tls)| tls.cert_path.clone()),
        spec_file,
    };

    let scenarios = scenario::Engine::new(catalog.clone(), scenario::Settings::from_config(config))
        .map(Arc::new)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("invalid rules: {e}")))?;
    scenarios.watch();
    let settings = settings(config, info, scenarios.clone(), store.clone());
    let dashboard = settings.dashboard.clone();
    dashboard::Dashboard::watch_alerts(Arc::downgrade(&dashboard), Arc::downgrade(&store));
    let app = Pipeline::new(catalog, settings)
        .with_if(config.cors, Cors::new(config.cors_origins.clone()))
        .with(CatchPanic::new().with_handler(panic_response))
        .map_to_response()
        .boxed();
    let connections = Connections::new(
        Arc::new(app),
        Duration::from_secs(config.header_read_timeout_secs),
    );
    let mut accept_loops = Vec::new();
    if let Some(listener) = http {
        accept_loops.push(listeners::spawn_accept_loop(
            listener,
            None,
            connections.clone(),
        ));
    }
    let tls = match https {
        Some((listener, tls)) => {
            accept_loops.push(listeners::spawn_accept_loop(
                listener,
                Some(tls.acceptor.clone()),
                connections.clone(),
            ));
            Some(tls)
        }
        None => None,
    };
    Ok(Running {
        http_addr,
        https_addr,
        tls,
        connections,
        accept_loops,
        drain: Duration::from_secs(config.shutdown_timeout_secs),
        scenarios,
        store,
        dashboard,
    })
}

/// The store `config` asks for: in memory, or kept in `--state-file` (a file that cannot be
/// used stops the server, naming the file and the reason).
fn open_store(config: &Config) -> io::Result<Store> {
    let settings = store::Settings {
        limits: store::Limits {
            max_bytes: config.store_max_bytes,
            max_objects: config.store_max_objects,
        },
        strict_ids: config.strict_ids,
        lifecycle_ms: config.lifecycle_ms,
    };
    match &config.state_file {
        Some(path) => Store::open(path, settings)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string())),
        None => Ok(Store::in_memory(settings)),
    }
}

/// Binds one listening socket, naming it in the error.
async fn listen(scheme: &str, addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen for {scheme} on {addr}: {e}"),
        )
    })
}

/// The answer when a handler panicked: the real API's 500 envelope.
fn panic_response(_panic: Box<dyn std::any::Any + Send>) -> poem::Response {
    let error = ApiError {
        kind: "server_error".into(),
        ..ApiError::invalid_request(
            "The server had an error while processing your request. Sorry about that!",
        )
        .with_status(500)
    };
    respond::json_response(StatusCode::INTERNAL_SERVER_ERROR, &error.body())
}
