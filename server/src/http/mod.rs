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
        .layer(axum::middleware::from_fn(json_errors))
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

/// Makes every `/api` error JSON, including the plain-text rejections of axum's own extractors
/// (`Path`, `Query`, `Form`) and 405s, so clients can rely on `{"error":{"code","message"}}`.
pub(crate) async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let message = String::from_utf8_lossy(&text).trim().to_owned();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "invalid_request",
    };
    let message = if message.is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        message
    };
    let mut response = axum::response::IntoResponse::into_response((
        status,
        axum::Json(serde_json::json!({"error": {"code": code, "message": message}})),
    ));
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

/// JSON 404 for unknown API paths.
pub(crate) async fn api_not_found(uri: Uri) -> Error {
    Error::client(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {}", uri.path()),
    )
}
