//! The HTTP server: listeners, the poem app and graceful shutdown.
//!
//! [`bind`] opens the listener (port 0 picks a free port) and returns a [`Running`] server
//! that reports its real address; the app is one [`Pipeline`] endpoint that serves every
//! operation of the catalog, wrapped so a panic can never take the process down.

mod auth;
mod pipeline;

pub use auth::Keys;
pub use pipeline::{Pipeline, Settings, OPENAI_VERSION};

use crate::catalog::Catalog;
use crate::config::Config;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::CatchPanic;
use poem::{EndpointExt, Server};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long in-flight requests may run after shutdown is requested.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A server that is listening.
pub struct Running {
    http_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The bound HTTP address.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// Stops accepting connections, lets in-flight requests finish (bounded by
    /// [`SHUTDOWN_GRACE`]) and waits for the server to end.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// Waits until the server ends on its own (it does not, unless it fails).
    pub async fn wait(mut self) -> std::io::Result<()> {
        (&mut self.task).await.map_err(std::io::Error::other)?
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The pipeline settings a [`Config`] describes.
pub fn settings(config: &Config) -> Settings {
    Settings {
        keys: Keys {
            api_keys: config.api_keys.clone(),
            admin_api_keys: config.admin_api_keys.clone(),
        },
        seed: config.seed,
        max_body_bytes: config.max_body_bytes,
        float_embeddings: config.float_embeddings,
    }
}

/// Binds the listener described by `config` and starts serving.
pub async fn bind(config: &Config) -> std::io::Result<Running> {
    let catalog = Catalog::embedded();
    // Compile the validators off the request path while the first connections arrive.
    let warm = catalog.clone();
    std::thread::spawn(move || warm.schemas.warm_up());

    let acceptor = TcpListener::bind(SocketAddr::new(config.host, config.port))
        .into_acceptor()
        .await?;
    let http_addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("the listener has no socket address"))?;
    let app = Pipeline::new(catalog, settings(config)).with(CatchPanic::new());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = Server::new_with_acceptor(acceptor);
    let task = tokio::spawn(async move {
        server
            .run_with_graceful_shutdown(
                app,
                async move {
                    let _ = stopped.await;
                },
                Some(SHUTDOWN_GRACE),
            )
            .await
    });
    Ok(Running {
        http_addr,
        stop: Some(stop),
        task,
    })
}
