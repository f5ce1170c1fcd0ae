//! HTTP layer: merges the domains' routers and sets the cross-cutting layers (body limit, CORS for
//! the embed API, JSON errors, tracing, metrics, security headers). Each domain's routes live in its
//! own `http.rs`; per-process state is a named field of `AppState`; OpenAPI paths are collected in
//! [`openapi`].

pub(crate) mod client_ip;
mod cors;
mod edge;
pub(crate) mod openapi;
pub(crate) mod request_log;
pub(crate) mod serve;

use std::time::Duration;

use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderMap, StatusCode, Uri},
    Router,
};

use crate::{
    assets, billing, builder, client_errors, dashboard, drafts, error::Error, health, metrics,
    notifications, outbox, state::AppState, submissions, tokens, usage, users, webhooks, widgets,
    workspaces,
};

/// The whole application.
pub(crate) fn router(state: AppState) -> Router {
    let body_limit = state.config().body_limit;
    let body_timeout = Duration::from_secs(state.config().body_timeout_secs);
    let embed_api = Router::new()
        .merge(widgets::http::router())
        .merge(usage::http::router())
        .merge(client_errors::http::router())
        .merge(submissions::http::router())
        .merge(drafts::http::router())
        .layer(cors::EmbedCors);
    let api = Router::new()
        .merge(health::http::router())
        .merge(users::http::router())
        .merge(workspaces::http::router())
        .merge(openapi::router())
        .merge(tokens::http::router())
        .merge(drafts::http::claims_router())
        .merge(billing::http::router())
        .merge(webhooks::http::router())
        .merge(outbox::http::router())
        .merge(notifications::http::router())
        .merge(embed_api);
    let mut app = Router::new()
        .merge(api)
        .merge(metrics::http::router())
        .merge(assets::http::router())
        .merge(dashboard::http::router())
        .merge(builder::http::router());
    // Development pages are not even routed in production.
    if state.config().serves_dev_mail() {
        app = app.merge(dashboard::dev_mail::router());
    }
    app = if state.config().serves_demo_pages() {
        app.fallback_service(dashboard::demo::demo_pages(&state))
    } else {
        app.fallback(not_found)
    };
    // Body deadline, JSON errors, security headers, caught panics, the access log and metrics:
    // one layer (see `edge`), not six, because every layer here is cloned for every request.
    app.layer(DefaultBodyLimit::max(body_limit))
        .layer(edge::EdgeLayer::new(body_timeout))
        .with_state(state)
}

/// Whether an answer needs [`json_error`]: an `/api` error that is not JSON yet.
pub(crate) fn needs_json_error(api: bool, response: &axum::response::Response) -> bool {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    api && !is_json && (status.is_client_error() || status.is_server_error())
}

/// Makes an `/api` error JSON (see [`needs_json_error`]), including the plain-text rejections of
/// axum's own extractors (`Path`, `Query`, `Form`) and 405s, so clients can rely on
/// `{"error":{"code","message"}}`.
pub(crate) async fn json_error(response: axum::response::Response) -> axum::response::Response {
    let status = response.status();
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

/// 404 for every unrouted path (JSON under `/api/`), where no demo pages are served.
async fn not_found(uri: Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        axum::response::IntoResponse::into_response(api_not_found(uri).await)
    } else {
        axum::response::IntoResponse::into_response((StatusCode::NOT_FOUND, "not found"))
    }
}

/// JSON 404 for unknown API paths.
pub(crate) async fn api_not_found(uri: Uri) -> Error {
    Error::client(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {}", uri.path()),
    )
}

/// Whether the client's `If-None-Match` names `etag` (or `*`); weak validators compare equal.
pub(crate) fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// Refuses (415, with `message`) a body from the embed that is neither `text/plain` (`sendBeacon`,
/// no CORS preflight) nor `application/json` (`fetch`), the two types the pixel and the error
/// intake take.
pub(crate) fn require_beacon_body(headers: &HeaderMap, message: &'static str) -> Result<(), Error> {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "text/plain" || mime == "application/json" {
        Ok(())
    } else {
        Err(Error::client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message,
        ))
    }
}
