//! The embed's test pages from `examples/pages`, served under `/dev/` (the fallback route; not in
//! production): every way a publisher may paste the snippet. The demo sites a newcomer sees are
//! `builder::sites`.

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

/// Test pages from `examples/pages`, served under `/dev/`. Pages named `*csp*` get a strict CSP
/// header, to prove the embed works under one.
pub(crate) fn demo_pages(state: &AppState) -> axum::routing::MethodRouter {
    let dir = state.config().examples_dir.clone();
    axum::routing::get(move |request: Request| {
        let dir = dir.clone();
        async move { demo(dir, request).await }
    })
}

async fn demo(dir: std::path::PathBuf, mut request: Request) -> Response {
    let full = request.uri().path().to_owned();
    let Some(path) = full.strip_prefix("/dev").filter(|p| p.starts_with('/')) else {
        if full.starts_with("/api/") {
            return crate::http::api_not_found(request.uri().clone())
                .await
                .into_response();
        }
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let path = path.to_owned();
    if path == "/" && !dir.join("index.html").is_file() {
        return demo_index(&dir);
    }
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    if let Ok(uri) = format!("{path}{query}").parse() {
        *request.uri_mut() = uri;
    }
    let Ok(response) = ServeDir::new(&dir)
        .append_index_html_on_directories(true)
        .oneshot(request)
        .await;
    let mut response = response.map(Body::new);
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
        .map(|p| format!("<li><a href=\"/dev/{0}\">{0}</a></li>", esc(p)))
        .collect();
    let doc = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Clickeen test pages</title>\
         <link rel=\"stylesheet\" href=\"/assets/dashboard.css\"></head><body><main><h1>Embed test pages</h1>\
         <p class=\"muted\">Every way a publisher may paste the snippet (development only). \
         <a href=\"/\">The builder</a> · <a href=\"/app\">Dashboard</a></p>\
         <ul class=\"list\">{items}</ul></main></body></html>"
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
