//! Start-up and shutdown: logging, storage, listeners, signals.

use std::{net::SocketAddr, sync::Arc};

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::{
    config::Config,
    http::{
        AppState, client_app,
        metrics::{Metrics, metrics_app},
    },
    storage::Store,
};

/// Initialises `tracing` from the `[logging]` section (`RUST_LOG` wins when set). Keep the
/// returned guard alive: dropping it flushes the log.
pub fn init_logging(config: &Config) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        let mut level = config.logging.level.clone();
        // ruma's auth checks narrate every event at INFO, and its push rule flattening opens
        // an INFO span per JSON field: debugging detail whose formatting costs more than the
        // work. An explicit setting still wins.
        for quiet in ["ruma_state_res", "ruma_common"] {
            if !level.contains(quiet) {
                level.push_str(&format!(",{quiet}=warn"));
            }
        }
        tracing_subscriber::EnvFilter::new(level)
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // Log lines are written by a background thread: a request never waits on stderr. The
    // thread flushes whenever it has emptied its queue, so under load the lines that queued
    // meanwhile go out in one write instead of one system call each.
    let stderr = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
    let (writer, guard) = tracing_appender::non_blocking(stderr);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi);
    if config.logging.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
    guard
}

/// Runs the homeserver until SIGTERM or Ctrl-C, then drains connections and closes storage.
pub async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::open(&config.database.url, config.database.max_connections).await?;
    tracing::info!(backend = ?store.backend(), "storage ready");
    let metrics = Arc::new(Metrics::default());
    let signing_key = crate::rooms::load_signing_key(&store).await?;
    tracing::info!(key_id = %signing_key.key_id(), "signing key ready");
    let state = AppState::new(store.clone(), &config, signing_key).await?;

    let client = TcpListener::bind(config.listeners.client)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {} (listeners.client): {e}",
                config.listeners.client
            )
        })?;
    let client_addr = client.local_addr()?;
    let state_has_web = state.web.is_some();
    let app = client_app(state, metrics.clone());

    let metrics_task = match config.listeners.metrics {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr} (listeners.metrics): {e}"))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "metrics listening");
            announce(&format!("metrics on http://{addr}"));
            let app = metrics_app(metrics);
            Some(tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown_signal())
                    .await
            }))
        }
        None => None,
    };

    tracing::info!(addr = %client_addr, server_name = %config.server.server_name, "client API listening");
    // A machine-readable line for scripts and the test harness (which may ask for port 0).
    // The web client's line comes first: the test harness stops reading at the other.
    if state_has_web {
        announce(&format!(
            "web client on http://{client_addr}{}",
            config.web.path
        ));
    }
    announce(&format!("listening on http://{client_addr}"));
    // No Nagle delay: a streamed body or a WebSocket frame written after the headers must
    // not wait for the peer's delayed ACK (40 ms on Linux).
    let client = client.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(error = %err, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(
        client,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    if let Some(task) = metrics_task {
        task.await??;
    }
    store.close().await;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// A machine-readable line on stdout. A closed stdout is not worth dying for.
fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "hearth: {line}").and_then(|()| out.flush());
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
