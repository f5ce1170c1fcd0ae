//! Sentry for server errors and panics, when built with the `sentry` feature and `SENTRY_DSN` is
//! set. Without either, errors go to the logs only (they always do).

use crate::state::AppState;

/// Initialises Sentry for this process (first server of the process wins) and flushes it on
/// graceful shutdown.
#[cfg(feature = "sentry")]
pub(crate) fn init(state: &AppState) {
    use std::sync::{Arc, Mutex};
    let Some(dsn) = state.config().sentry_dsn.clone() else {
        return;
    };
    struct Guard(Mutex<Option<sentry::ClientInitGuard>>);
    let env = state.config().env.as_str();
    let guard = state.extension_or_insert_with(|| {
        // ClientOptions is non-exhaustive: set fields on a default value.
        let mut options = sentry::ClientOptions::default();
        options.release = sentry::release_name!();
        options.environment = Some(env.into());
        options.send_default_pii = false;
        Guard(Mutex::new(Some(sentry::init((dsn, options)))))
    });
    let guard: Arc<Guard> = guard;
    state.on_shutdown(move || async move {
        let taken = guard.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        // Dropping the guard flushes queued events (bounded by the client's shutdown timeout).
        drop(taken);
    });
    tracing::info!("Sentry error reporting on");
}

/// Without the `sentry` feature: warn once if a DSN was configured anyway.
#[cfg(not(feature = "sentry"))]
pub(crate) fn init(state: &AppState) {
    if state.config().sentry_dsn.is_some() {
        tracing::warn!(
            "SENTRY_DSN is set but this build has no `sentry` feature; errors go to logs only"
        );
    }
}

/// Reports a server-side (5xx) error. Called by the error type's response conversion.
#[cfg(feature = "sentry")]
pub(crate) fn report(error: &dyn std::error::Error) {
    sentry::capture_error(error);
}

/// Without the `sentry` feature there is nothing to report to.
#[cfg(not(feature = "sentry"))]
pub(crate) fn report(_error: &dyn std::error::Error) {}
