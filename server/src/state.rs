//! [`AppState`]: what every handler can reach, cheap to clone.

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex, RwLock},
};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::{sync::watch, task::JoinHandle};

use crate::{auth::jwt::JwtKeys, auth::mail::Mailer, config::Config, store::Db};

type Hook = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Shared application state.
#[derive(Clone)]
pub(crate) struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    local_addr: std::net::SocketAddr,
    db: Db,
    jwt: JwtKeys,
    mailer: Mailer,
    metrics: PrometheusHandle,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    shutdown_hooks: Mutex<Vec<Hook>>,
    extensions: RwLock<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl AppState {
    pub(crate) fn new(
        config: Config,
        local_addr: std::net::SocketAddr,
        db: Db,
        jwt: JwtKeys,
        mailer: Mailer,
        metrics: PrometheusHandle,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                local_addr,
                db,
                jwt,
                mailer,
                metrics,
                shutdown: watch::channel(false).0,
                tasks: Mutex::default(),
                shutdown_hooks: Mutex::default(),
                extensions: RwLock::default(),
            }),
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
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

    pub(crate) fn metrics(&self) -> &PrometheusHandle {
        &self.inner.metrics
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

    /// Shared per-process state of a route module, keyed by its type (e.g. a token cache).
    pub(crate) fn extension<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let map = self
            .inner
            .extensions
            .read()
            .unwrap_or_else(|p| p.into_inner());
        map.get(&TypeId::of::<T>())
            .cloned()
            .and_then(|v| v.downcast::<T>().ok())
    }

    /// Returns the module state of type `T`, creating it with `init` on first use.
    pub(crate) fn extension_or_insert_with<T: Any + Send + Sync>(
        &self,
        init: impl FnOnce() -> T,
    ) -> Arc<T> {
        if let Some(existing) = self.extension::<T>() {
            return existing;
        }
        let mut map = self
            .inner
            .extensions
            .write()
            .unwrap_or_else(|p| p.into_inner());
        map.entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(init()))
            .clone()
            .downcast::<T>()
            .unwrap_or_else(|_| unreachable!("keyed by TypeId::of::<T>()"))
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
