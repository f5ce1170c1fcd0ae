//! HTTP layer: each area owns its `router()`; this module assembles them and the cross-cutting
//! layers (body limit, CORS for the embed API, tracing, metrics, security headers).
//!
//! Route modules may also keep per-process state via `AppState::extension_or_insert_with`, run
//! loops with `AppState::spawn_background` and flush on exit with `AppState::on_shutdown`; put such
//! setup in a `pub(crate) async fn start(state: &AppState) -> anyhow::Result<()>` and list it in
//! [`start`] below. OpenAPI paths are collected in `http::openapi`.

pub(crate) mod assets;
pub(crate) mod auth;
pub(crate) mod health;
pub(crate) mod metrics;
pub(crate) mod openapi;
pub(crate) mod pages;
pub(crate) mod workspaces;

pub(crate) mod claims;
pub(crate) mod drafts;
pub(crate) mod errors;
pub(crate) mod events;
pub(crate) mod stripe;
pub(crate) mod submissions;
pub(crate) mod tokens;
pub(crate) mod widgets;

use std::time::Duration;

use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderValue, Method, StatusCode, Uri},
    Router,
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{Any, CorsLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

use crate::{error::Error, state::AppState};

/// Per-process setup of route modules, run once before the server accepts connections.
pub(crate) async fn start(state: &AppState) -> anyhow::Result<()> {
    crate::product::observability::init(state);
    events::start(state);
    drafts::start_sweeper(state);
    Ok(())
}

/// CORS for endpoints the embed calls from publishers' pages: any origin, no credentials (the embed
/// token travels in the body or query, never in a cookie or custom header).
pub(crate) fn embed_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH])
        .expose_headers([header::ETAG, header::RETRY_AFTER])
        .max_age(Duration::from_secs(86_400))
}

/// The whole application.
pub(crate) fn router(state: AppState) -> Router {
    let body_limit = state.config().body_limit;
    let embed_api = Router::new()
        .merge(widgets::router())
        .merge(events::router())
        .merge(errors::router())
        .merge(submissions::router())
        .merge(drafts::router())
        .layer(embed_cors());
    let api = Router::new()
        .merge(health::router())
        .merge(auth::router())
        .merge(workspaces::router())
        .merge(openapi::router())
        .merge(tokens::router())
        .merge(claims::router())
        .merge(stripe::router())
        .merge(embed_api);
    Router::new()
        .merge(api)
        .merge(metrics::router())
        .merge(assets::router())
        .merge(pages::router())
        .fallback_service(pages::demo_pages(&state))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(Error::Internal(anyhow::anyhow!(
                "handler panicked"
            )))
        }))
        .with_state(state)
}

/// JSON 404 for unknown API paths.
pub(crate) async fn api_not_found(uri: Uri) -> Error {
    Error::client(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {}", uri.path()),
    )
}
