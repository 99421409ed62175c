//! The `openai-mock` binary: load the configuration, set up logging, serve, and stop
//! gracefully on SIGINT or SIGTERM.
//!
//! The first stdout lines are a contract test harnesses read, one per listener, then the
//! certificate when HTTPS is on:
//!
//! ```text
//! listening http://127.0.0.1:4010
//! listening https://127.0.0.1:8443
//! tls-cert /tmp/openai-mock-1234-0-cert.pem
//! ```
//!
//! Then the dashboard: `dashboard URL`, with a one-time sign-in link when no admin key is
//! configured (the dashboard then answers only on loopback).
//!
//! Logs go to stderr.

use openai_mock::{Config, ConfigError, LogFormat, MockServer};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

/// mimalloc instead of the system allocator (feature `mimalloc`, off by default): see
/// `bench/README.md` for what it changes.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::load() {
        Ok(config) => config,
        Err(ConfigError::Cli(error)) => error.exit(),
        Err(error) => {
            eprintln!("openai-mock: {error}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config);

    let running = match MockServer::builder().config(config).try_start().await {
        Ok(running) => running,
        Err(error) => {
            eprintln!("openai-mock: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    for url in running.urls() {
        let _ = writeln!(stdout, "listening {url}");
    }
    if let Some(cert) = running.tls_cert_path() {
        let _ = writeln!(stdout, "tls-cert {}", cert.display());
    }
    match running.dashboard_sign_in_url() {
        Some(link) => {
            let _ = writeln!(
                stdout,
                "dashboard {link} (one-time sign-in link, loopback only)"
            );
        }
        None => {
            if let Some(url) = running.urls().first() {
                let _ = writeln!(stdout, "dashboard {url}/dashboard");
            }
        }
    }
    let _ = stdout.flush();
    drop(stdout);

    shutdown_signal().await;
    tracing::info!("shutting down");
    match running.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("openai-mock: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr at `--log-level` for this crate; dependencies only log warnings (or errors,
/// at `--log-level error`), so their debug output can never carry request headers.
fn init_logging(config: &Config) {
    let level = config.log_level.as_tracing();
    let filter = Targets::new()
        .with_default(level.min(tracing::Level::WARN))
        .with_target("openai_mock", level);
    let registry = tracing_subscriber::registry().with(filter);
    let ansi = std::io::stderr().is_terminal();
    match config.log_format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(ansi),
            )
            .init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(std::io::stderr),
            )
            .init(),
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
