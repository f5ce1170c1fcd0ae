//! Clickeen server: embed assets, auth and workspaces, and the back end the embed calls.
//!
//! The public API is what tests and the binary need: [`Config`], [`spawn`] and [`Running`].
//! Everything else is crate-private; see `docs/server.md` for the operator's view.

mod auth;
mod config;
mod error;
mod http;
mod product;
mod state;
mod store;

use std::{future::IntoFuture as _, net::SocketAddr, time::Duration};

use anyhow::Context as _;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub use crate::config::{Config, Env};
pub use crate::product::{config::ProductConfig, ratelimit::Limit};

/// A server started by [`spawn`].
#[derive(Debug)]
pub struct Running {
    /// The address the server listens on (the real port when 0 was configured).
    pub addr: SocketAddr,
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

/// Builds the application on an already-bound listener.
async fn build(config: Config, local_addr: SocketAddr) -> anyhow::Result<state::AppState> {
    let secret = match &config.jwt_secret {
        Some(secret) if secret.len() >= 32 => secret.as_bytes().to_vec(),
        Some(_) => anyhow::bail!("JWT_SECRET must be at least 32 characters"),
        None if config.env == Env::Production => {
            anyhow::bail!("JWT_SECRET is required in production")
        }
        None => {
            tracing::warn!(
                "JWT_SECRET not set: using a random per-process secret; sessions end on restart"
            );
            auth::random_secret().into_bytes()
        }
    };
    let jwt = auth::jwt::JwtKeys::new(&secret, &config.jwt_audience);
    let mailer = auth::mail::Mailer::from_config(&config)?;
    let db = store::Db::connect(&config).await?;
    let metrics = http::metrics::handle();
    let state = state::AppState::new(config, local_addr, db, jwt, mailer, metrics);
    http::start(&state).await?;
    Ok(state)
}

/// Starts the server: connects to and migrates the database, binds `config.host:config.port`
/// (port 0 picks a free port) and serves until [`Running::shutdown`].
pub async fn spawn(config: Config) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(config.bind_addr())
        .await
        .with_context(|| format!("binding {}", config.bind_addr()))?;
    let addr = listener.local_addr()?;
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    let state = build(config, addr).await?;
    let app = http::router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let (drained_tx, drained_rx) = oneshot::channel::<()>();
        let server = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
            let _ = drained_tx.send(());
        });
        let mut server = std::pin::pin!(server.into_future());
        let result = tokio::select! {
            result = &mut server => result,
            () = async {
                // Once shutdown starts, in-flight requests get `grace` to finish.
                let _ = drained_rx.await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!("graceful shutdown timed out; dropping remaining connections");
                Ok(())
            }
        };
        state.stop_background().await;
        state.db().close().await;
        tracing::info!("server stopped");
        result.context("serving HTTP")
    });
    tracing::info!(%addr, "listening");
    Ok(Running { addr, stop, task })
}

/// Applies the migrations for `database_url` and returns (the `migrate` subcommand).
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    store::migrate_only(database_url).await
}

/// Installs the tracing subscriber (text or JSON lines), honouring `RUST_LOG`.
pub fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
