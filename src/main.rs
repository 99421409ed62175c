//! The `openai-mock` binary: parse the configuration, serve, stop on SIGINT or SIGTERM.

use clap::Parser;
use openai_mock::{server, Config};
use std::io::Write;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let running = match server::bind(&config).await {
        Ok(running) => running,
        Err(error) => {
            eprintln!(
                "openai-mock: cannot listen on {}:{}: {error}",
                config.host, config.port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    // The first stdout line is the contract test harnesses read.
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening http://{}", running.http_addr());
    let _ = stdout.flush();

    shutdown_signal().await;
    tracing::info!("shutting down");
    match running.shutdown().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("openai-mock: {error}");
            std::process::ExitCode::FAILURE
        }
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
