//! `GET /api/healthz`.

use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Json, Router};
use serde::Serialize;

use crate::state::AppState;

/// Health report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    /// Short git sha of the build, or `unknown`.
    sha: String,
    /// `production`, `preview` or `development`.
    env: &'static str,
    /// False when a critical dependency is down.
    up: bool,
    /// Each dependency's state.
    deps: Deps,
}

/// Dependency states.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Deps {
    /// The database answers queries.
    db: bool,
}

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/healthz", get(healthz))
}

/// Short sha from config (`GIT_SHA` at run time), else the build's, else `unknown`.
pub(crate) fn sha(config: &crate::config::Config) -> String {
    let sha = config
        .git_sha
        .as_deref()
        .or(Some(env!("CK_BUILD_SHA")))
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown");
    sha.chars().take(12).collect()
}

/// Liveness and dependency health: 200 when up, 503 when a critical dependency is down.
#[utoipa::path(get, path = "/api/healthz", tag = "ops",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let db = state.db().healthy().await;
    if !db {
        // Say why (connection refused, too many connections, …), not only that it failed; off the
        // request path so the probe answers at once.
        let state = state.clone();
        tokio::spawn(async move {
            let cause = state.db().diagnose(&sqlx::Error::PoolTimedOut).await;
            tracing::warn!(database = %state.db().target(), cause = %cause, "health check: database unavailable");
        });
    }
    let status = if db {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        sha: sha(state.config()),
        env: state.config().env.as_str(),
        up: db,
        deps: Deps { db },
    };
    (status, [("cache-control", "no-store")], Json(body))
}
