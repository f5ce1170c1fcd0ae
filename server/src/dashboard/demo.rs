//! Demo publisher pages from `examples/pages`, served at `/` (the fallback route): what a publisher's
//! site looks like with the snippet on it.

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use tower::ServiceExt as _;
use tower_http::services::ServeDir;

use super::{esc, STRICT_EMBED_CSP};
use crate::state::AppState;

/// Demo publisher pages from `examples/pages`, served at `/`. Pages named `*csp*` get a strict CSP
/// header, to prove the embed works under one.
pub(crate) fn demo_pages(state: &AppState) -> axum::routing::MethodRouter {
    let dir = state.config().examples_dir.clone();
    axum::routing::get(move |request: Request| {
        let dir = dir.clone();
        async move { demo(dir, request).await }
    })
}

async fn demo(dir: std::path::PathBuf, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path == "/" && !dir.join("index.html").is_file() {
        return demo_index(&dir);
    }
    let Ok(response) = ServeDir::new(&dir)
        .append_index_html_on_directories(true)
        .oneshot(request)
        .await;
    let mut response = response.map(Body::new);
    if response.status() == StatusCode::NOT_FOUND && path.starts_with("/api/") {
        return crate::http::api_not_found(path.parse().unwrap_or_default())
            .await
            .into_response();
    }
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if path
        .rsplit('/')
        .next()
        .is_some_and(|name| name.contains("csp"))
    {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(STRICT_EMBED_CSP),
        );
    }
    response
}

fn demo_index(dir: &std::path::Path) -> Response {
    let mut pages: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".html"))
        .collect();
    pages.sort();
    let items: String = pages
        .iter()
        .map(|p| format!("<li><a href=\"/{0}\">{0}</a></li>", esc(p)))
        .collect();
    let doc = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Clickeen demo pages</title>\
         <link rel=\"stylesheet\" href=\"/assets/dashboard.css\"></head><body><main><h1>Demo pages</h1>\
         <ul class=\"list\">{items}</ul><p class=\"muted\"><a href=\"/login\">Dashboard</a></p></main></body></html>"
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        doc,
    )
        .into_response()
}
