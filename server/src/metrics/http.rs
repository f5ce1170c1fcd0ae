//! `GET /metrics`: the Prometheus text format. With `CK_METRICS_TOKEN` set it needs
//! `Authorization: Bearer <token>`; without it, it is open in development and preview and not
//! served at all (404) in production, so a production deployment never publishes its metrics by
//! accident.

use axum::{
    extract::State,
    http::{header, HeaderMap},
    response::IntoResponse,
    routing::get,
    Router,
};

use crate::{config::Env, error::Error, state::AppState};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

async fn render(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, Error> {
    let config = state.config();
    match config.security.metrics_token.as_deref() {
        Some(secret) => {
            let presented = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            if !crate::tokens::ct_eq(secret.as_bytes(), presented.as_bytes()) {
                return Err(Error::unauthorized(
                    "/metrics needs the bearer token configured in CK_METRICS_TOKEN",
                ));
            }
        }
        None if config.env == Env::Production => return Err(Error::not_found("route")),
        None => {}
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(),
    ))
}
