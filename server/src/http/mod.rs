//! HTTP layer: merges the domains' routers and sets the cross-cutting layers (body limit, CORS for
//! the embed API, JSON errors, tracing, metrics, security headers). Each domain's routes live in its
//! own `http.rs`; per-process state is a named field of `AppState`; OpenAPI paths are collected in
//! [`openapi`].

pub(crate) mod client_ip;
pub(crate) mod openapi;
pub(crate) mod request_log;
pub(crate) mod serve;

use std::time::Duration;

use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri},
    Router,
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{Any, CorsLayer},
    set_header::SetResponseHeaderLayer,
};

use crate::{
    assets, billing, builder, client_errors, dashboard, drafts, error::Error, health, metrics,
    notifications, outbox, state::AppState, submissions, tokens, usage, users, webhooks, widgets,
    workspaces,
};

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
    let body_timeout = Duration::from_secs(state.config().body_timeout_secs);
    let embed_api = Router::new()
        .merge(widgets::http::router())
        .merge(usage::http::router())
        .merge(client_errors::http::router())
        .merge(submissions::http::router())
        .merge(drafts::http::router())
        .layer(embed_cors());
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
    app.layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            body_timeout,
            serve::body_deadline,
        ))
        .layer(axum::middleware::from_fn(json_errors))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Responses that carry secrets (session tokens, embed and draft tokens) must never sit in a
        // browser or proxy cache: everything is `no-store` unless the route chose its own policy
        // (embed assets, the config manifest, the dashboard stylesheet).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(Error::Internal(anyhow::anyhow!(
                "handler panicked"
            )))
        }))
        // Method, route template (never the path's query: it can carry secrets), status, latency
        // and the request id; also counts the request in /metrics.
        .layer(axum::middleware::from_fn(request_log::request_log))
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
