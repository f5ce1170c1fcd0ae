//! Clickeen server: embed assets, auth and workspaces, and the back end the embed calls.
//!
//! The public API is what tests and the binary need: [`Config`], [`spawn`] and [`Running`].
//! Everything else is crate-private; see `docs/server.md` for the map of domains and the
//! operator's view.
//!
//! One module per domain, each with its types and rules (`mod.rs`), its SQL for both dialects
//! (`db.rs`) and its routes (`http.rs` with `router()`). Shared and small: `config`, `error` (the one
//! `Error`), `ratelimit`, `state` (`AppState`), `store` (database handle, transactions, actors) and
//! `http` (merges the routers, sets the common layers).

mod assets;
mod billing;
mod builder;
mod client_errors;
mod config;
mod dashboard;
mod drafts;
mod error;
/// Fuzz entry points (`server/fuzz/`, feature `fuzzing`).
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzz;
mod health;
mod http;
mod metrics;
mod notifications;
mod observability;
mod outbox;
mod ratelimit;
mod startup;
mod state;
mod store;
mod submissions;
mod tokens;
mod usage;
mod users;
mod webhooks;
mod widgets;
mod workspaces;

use std::{net::SocketAddr, time::Duration};

use anyhow::Context as _;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub use crate::config::{Config, Env, OutboxConfig, ProductConfig, SecurityConfig};
pub use crate::http::client_ip::{Cidr, ClientIpHeader};
pub use crate::ratelimit::Limit;

/// A server started by [`spawn`].
#[derive(Debug)]
pub struct Running {
    /// The address the server listens on (the real port when 0 was configured).
    pub addr: SocketAddr,
    /// Where the demo sites listen (development with `sites_port` set), a second origin.
    pub sites_addr: Option<SocketAddr>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// `http://{addr}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful shutdown: stop accepting, finish in-flight requests (up to the configured grace),
    /// stop background work and run its final flushes, close the database.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await.context("server task panicked")?
    }
}

/// Builds the application on an already-bound listener and starts its background work.
async fn build(config: Config, local_addr: SocketAddr) -> anyhow::Result<state::AppState> {
    let state = state::AppState::build(config, local_addr).await?;
    observability::init(&state);
    usage::start_flusher(&state);
    tokens::verify::listen_for_revocations(&state);
    drafts::start_sweeper(&state);
    users::start_sweeper(&state);
    outbox::start_workers(&state);
    startup::summary(&state).await;
    Ok(state)
}

/// Starts the server: connects to and migrates the database, binds `config.host:config.port`
/// (port 0 picks a free port) and serves until [`Running::shutdown`].
pub async fn spawn(mut config: Config) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(config.bind_addr())
        .await
        .with_context(|| format!("binding {}", config.bind_addr()))?;
    let addr = listener.local_addr()?;
    let sites = match config.sites_port.filter(|_| config.serves_demo_sites()) {
        Some(port) => {
            let sites_addr = SocketAddr::new(config.host, port);
            let sites = TcpListener::bind(sites_addr)
                .await
                .with_context(|| format!("binding the demo sites on {sites_addr}"))?;
            config.sites_url = Some(format!("http://{}", sites.local_addr()?));
            Some(sites)
        }
        None => None,
    };
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    let limits = http::serve::Limits {
        header_timeout: Duration::from_secs(config.header_timeout_secs.max(1)),
        max_connections: config.max_connections.max(1),
    };
    let state = build(config, addr).await?;
    let sites_addr = match sites {
        Some(listener) => Some(builder::sites::serve(listener, state.clone())?),
        None => None,
    };
    let app = http::router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let (drained_tx, drained_rx) = oneshot::channel::<()>();
        let server = http::serve::serve(listener, app, limits, async move {
            let _ = stopped.await;
            let _ = drained_tx.send(());
        });
        tokio::select! {
            () = server => {}
            () = async {
                // Once shutdown starts, in-flight requests get `grace` to finish.
                let _ = drained_rx.await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!("graceful shutdown timed out; dropping remaining connections");
            }
        }
        state.stop_background().await;
        state.db().close().await;
        tracing::info!("server stopped");
        Ok(())
    });
    tracing::info!(%addr, "listening");
    Ok(Running {
        addr,
        sites_addr,
        stop,
        task,
    })
}

/// Applies the migrations for `database_url` and returns (the `migrate` subcommand).
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    store::migrate_only(database_url).await
}

/// Installs the tracing subscriber (text or JSON lines on stdout), honouring `RUST_LOG`. Text has
/// colours only when stdout is a terminal (and `NO_COLOR` is unset), so files and journald get
/// plain lines.
pub fn init_tracing(json: bool) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
