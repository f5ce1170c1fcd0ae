//! [`AppState`]: what every handler can reach, cheap to clone. Every piece of per-process state is
//! a named field, built in [`AppState::build`] and nowhere else.

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{Arc, Mutex},
};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    config::{Config, Env},
    outbox::Outbox,
    ratelimit::Limiters,
    store::Db,
    tokens::verify::TokenCache,
    usage::Usage,
    users::{jwt::JwtKeys, mail::Mailer, password::Hasher},
    widgets::PlanCache,
};

type Hook = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Shared application state.
#[derive(Clone)]
pub(crate) struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    local_addr: SocketAddr,
    db: Db,
    jwt: JwtKeys,
    mailer: Mailer,
    /// Argon2 slots: bounds concurrent password hashes (`CK_ARGON2_MAX_CONCURRENT`).
    hasher: Hasher,
    metrics: PrometheusHandle,
    /// In-process rate limiters (the shared half lives in the database).
    limiters: Limiters,
    /// Embed token and instance lookups, cached for `token_cache_ttl_ms`.
    token_cache: TokenCache,
    /// Workspaces' plan flags for the config manifest, cached for `plan_cache_ttl_ms`.
    plan_cache: PlanCache,
    /// Usage counts waiting for the flusher.
    usage: Usage,
    /// Webhook and notification delivery: derived keys, the guarded client, the workers' wake-up.
    outbox: Outbox,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    shutdown_hooks: Mutex<Vec<Hook>>,
}

impl AppState {
    /// Checks the secrets, connects to and migrates the database, and builds every piece of
    /// per-process state. Background work is started separately (see `lib.rs`).
    pub(crate) async fn build(config: Config, local_addr: SocketAddr) -> anyhow::Result<Self> {
        config.check_production()?;
        crate::startup::check(&config)?;
        crate::startup::warn(&config);
        let secret = match &config.jwt_secret {
            Some(secret) if secret.len() >= 32 => secret.as_bytes().to_vec(),
            Some(_) => anyhow::bail!("JWT_SECRET must be at least 32 characters"),
            None if config.env == Env::Production => {
                anyhow::bail!("JWT_SECRET is required in production")
            }
            None => {
                tracing::warn!(
                    "JWT_SECRET not set: using a random per-process secret; sessions end on restart and other processes refuse them"
                );
                crate::users::random_secret().into_bytes()
            }
        };
        let jwt = JwtKeys::new(&secret, &config.jwt_audience);
        let mailer = Mailer::from_config(&config)?;
        let db = Db::connect(&config).await?;
        let limiters = Limiters::new(&config.product);
        let hasher = Hasher::new(
            config.product.argon2_max_concurrent,
            std::time::Duration::from_millis(config.product.argon2_wait_ms),
        );
        let usage = Usage::new(config.product.usage_flush_keys);
        let outbox = Outbox::new(&config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                local_addr,
                db,
                jwt,
                mailer,
                hasher,
                metrics: crate::metrics::handle(),
                limiters,
                token_cache: TokenCache::default(),
                plan_cache: PlanCache::default(),
                usage,
                outbox,
                shutdown: watch::channel(false).0,
                tasks: Mutex::default(),
                shutdown_hooks: Mutex::default(),
            }),
        })
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The address the server listens on.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn jwt(&self) -> &JwtKeys {
        &self.inner.jwt
    }

    pub(crate) fn mailer(&self) -> &Mailer {
        &self.inner.mailer
    }

    pub(crate) fn hasher(&self) -> &Hasher {
        &self.inner.hasher
    }

    pub(crate) fn metrics(&self) -> &PrometheusHandle {
        &self.inner.metrics
    }

    pub(crate) fn limiters(&self) -> &Limiters {
        &self.inner.limiters
    }

    pub(crate) fn token_cache(&self) -> &TokenCache {
        &self.inner.token_cache
    }

    pub(crate) fn plan_cache(&self) -> &PlanCache {
        &self.inner.plan_cache
    }

    pub(crate) fn usage(&self) -> &Usage {
        &self.inner.usage
    }

    pub(crate) fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }

    /// Base URL for links in mail.
    pub(crate) fn public_url(&self) -> String {
        match &self.inner.config.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.inner.local_addr),
        }
    }

    /// Resolves when graceful shutdown starts; background loops select on it.
    pub(crate) fn shutting_down(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.inner.shutdown.subscribe();
        async move {
            // An Err means the sender is gone, which also means shutdown.
            let _ = rx.wait_for(|stopping| *stopping).await;
        }
    }

    /// Runs a background task for the life of the server. It should return soon after
    /// [`AppState::shutting_down`] resolves; shutdown awaits it.
    pub(crate) fn spawn_background<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::spawn(task);
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(handle);
    }

    /// Runs `job` now and then every `period` until shutdown (the sweepers: expired drafts,
    /// expired auth rows). A run that is under way when shutdown starts finishes first.
    pub(crate) fn every<F, Fut>(&self, period: std::time::Duration, job: F)
    where
        F: Fn(AppState) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let state = self.clone();
        self.spawn_background(async move {
            let stop = state.shutting_down();
            tokio::pin!(stop);
            let mut tick = tokio::time::interval(period);
            loop {
                tokio::select! {
                    () = &mut stop => break,
                    _ = tick.tick() => {}
                }
                job(state.clone()).await;
            }
        });
    }

    /// Registers final work (e.g. flushing aggregated usage) run once in-flight requests have
    /// finished and background tasks have stopped, before the database pool closes.
    pub(crate) fn on_shutdown<F, Fut>(&self, hook: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.inner
            .shutdown_hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Box::new(move || Box::pin(hook())));
    }

    /// Signals background tasks, waits for them, then runs the shutdown hooks.
    pub(crate) async fn stop_background(&self) {
        self.inner.shutdown.send_replace(true);
        let tasks =
            std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for task in tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "background task failed");
            }
        }
        let hooks = std::mem::take(
            &mut *self
                .inner
                .shutdown_hooks
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        for hook in hooks {
            hook().await;
        }
    }
}
