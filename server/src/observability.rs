//! Sentry for server errors and panics, when built with the `sentry` feature and `SENTRY_DSN` is
//! set. Without either, errors go to the logs only (they always do).

use crate::state::AppState;

/// Initialises Sentry for this server and flushes it on graceful shutdown.
#[cfg(feature = "sentry")]
pub(crate) fn init(state: &AppState) {
    let Some(dsn) = state.config().sentry_dsn.clone() else {
        return;
    };
    // ClientOptions is non-exhaustive: set fields on a default value.
    let mut options = sentry::ClientOptions::default();
    options.release = sentry::release_name!();
    options.environment = Some(state.config().env.as_str().into());
    options.send_default_pii = false;
    let guard = sentry::init((dsn, options));
    state.on_shutdown(move || async move {
        // Dropping the guard flushes queued events (bounded by the client's shutdown timeout).
        drop(guard);
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
