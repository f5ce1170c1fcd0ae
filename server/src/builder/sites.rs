//! The demo sites (development only): real CMS output on a second origin, so the embed runs
//! cross-origin as on a publisher's site. `examples/sites/<site>/index.html` are the pages; each
//! has the snippet's place marked `<!--ck:snippet-->` (the SPA: `<!--ck:template-->`, a
//! `<template>` its router clones into the page on its contact route). The builder links here with
//! `?id=…&token=…&theme=…` of a published draft; without them the snippet carries a sample config
//! inline. Either way the page gets only the public snippet.
//!
//! The WordPress site links the real `@wordpress/block-library` stylesheets, fetched by
//! `cargo xtask setup` into `target/js-tools/wordpress/` (GPL, not committed), at `/vendor/wordpress/`.
//! `strict-csp` is served under `script-src 'self' <embed origin> 'wasm-unsafe-eval'; style-src 'self'`.
//! With a draft, `<!--ck:popup-->` / `<!--ck:slide-->` become the draft's form as a popup or
//! slide-in (`data-ck-mode`) with a button that opens it (`data-ck-open`); without one, nothing
//! (a mode needs an instance id to be opened by).

use std::net::SocketAddr;

use axum::{
    body::Body,
    extract::{Query, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde::Deserialize;
use tokio::net::TcpListener;
use tower::ServiceExt as _;
use tower_http::services::ServeDir;

use super::http::SITES;
use crate::{dashboard::esc, state::AppState};

/// Starts serving the sites on `listener` until the server shuts down; returns its address.
pub(crate) fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<SocketAddr> {
    let addr = listener.local_addr()?;
    let stopping = state.shutting_down();
    let app = router().with_state(state);
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stopping)
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "demo sites stopped");
        }
    });
    tracing::info!(%addr, "demo sites listening");
    Ok(addr)
}

fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/{site}/", get(site_page))
        .route("/vendor/{*path}", get(vendor))
        .fallback(
            |State(state): State<AppState>, request: Request| async move {
                let dir = state.config().sites_dir.clone();
                serve_dir(&dir, request).await
            },
        )
}

/// Third-party stylesheets fetched by setup (`sites_vendor_dir`).
async fn vendor(State(state): State<AppState>, mut request: Request) -> Response {
    let rest = request
        .uri()
        .path()
        .strip_prefix("/vendor")
        .unwrap_or("/")
        .to_owned();
    if let Ok(uri) = rest.parse() {
        *request.uri_mut() = uri;
    }
    serve_dir(&state.config().sites_vendor_dir, request).await
}

async fn serve_dir(dir: &std::path::Path, request: Request) -> Response {
    let Ok(response) = ServeDir::new(dir).oneshot(request).await;
    let mut response = response.map(Body::new);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A published draft to show (all three, checked), and the snippet's theme.
#[derive(Deserialize, Default)]
struct Draft {
    #[serde(default)]
    id: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    theme: String,
}

impl Draft {
    /// The query for links between the sites, when a valid draft was given.
    fn query(&self) -> String {
        match self.mount_attrs() {
            Some(_) => format!(
                "?id={}&token={}&theme={}",
                self.id,
                self.token,
                self.theme()
            ),
            None => String::new(),
        }
    }

    fn theme(&self) -> &str {
        match self.theme.as_str() {
            "light" | "dark" => &self.theme,
            _ => "auto",
        }
    }

    /// `data-ck-id` and `data-ck-token` of a well-formed draft (uuid, `ck_pub_…`).
    fn mount_attrs(&self) -> Option<String> {
        let id_ok = uuid::Uuid::parse_str(&self.id).is_ok();
        let token_ok = self.token.len() <= 128
            && self.token.starts_with("ck_pub_")
            && self
                .token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        (id_ok && token_ok).then(|| {
            format!(
                "data-ck-id=\"{}\" data-ck-token=\"{}\"",
                esc(&self.id),
                esc(&self.token)
            )
        })
    }

    /// The draft's form shown as `mode` (`popup` or `slide`) and a button (`class=ck-open`)
    /// that opens it; empty without a well-formed draft.
    fn moded(&self, mode: &str, label: &str) -> String {
        let Some(attrs) = self.mount_attrs() else {
            return String::new();
        };
        format!(
            "<button type=\"button\" class=\"ck-open\" data-ck-open=\"{}\">{label}</button>\n\
             <div data-ck-widget=\"form\" {attrs}{} data-ck-mode=\"{mode}\"></div>",
            esc(&self.id),
            self.theme_attr()
        )
    }

    fn theme_attr(&self) -> String {
        match self.theme() {
            "auto" => String::new(),
            theme => format!(" data-ck-theme=\"{theme}\""),
        }
    }

    /// The snippet's mount point: the draft's, else a sample form inline.
    fn mount(&self) -> String {
        let source = self
            .mount_attrs()
            .unwrap_or_else(|| format!("data-ck-config=\"{}\"", esc(SAMPLE_CONFIG)));
        format!(
            "<div data-ck-widget=\"form\" {source}{}></div>",
            self.theme_attr()
        )
    }
}

/// What a site shows when opened without a draft.
const SAMPLE_CONFIG: &str = r#"{"title":"Get in touch","description":"A sample form: publish yours in the builder to see it here.","fields":[{"type":"text","name":"name","label":"Name","required":true},{"type":"email","name":"email","label":"Email","required":true},{"type":"textarea","name":"message","label":"Message"}],"submit_label":"Send"}"#;

async fn index(State(state): State<AppState>, Query(draft): Query<Draft>) -> Response {
    let query = draft.query();
    let items: String = SITES
        .iter()
        .map(|(path, name)| format!("<li><a href=\"/{path}/{query}\">{name}</a></li>"))
        .collect();
    let doc = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Demo sites · Clickeen</title><link rel=\"stylesheet\" href=\"/index.css\"></head>\
         <body><main><h1>Demo sites</h1><p>Real CMS markup and CSS habits on another origin than the embed \
         ({}), so the form runs cross-origin as on a publisher's site. Publish a form in \
         <a href=\"{}/\">the builder</a> and open it here from there.</p><ul>{items}</ul></main></body></html>",
        esc(&state.public_url()),
        esc(&state.public_url()),
    );
    html(doc, None)
}

async fn site_page(
    State(state): State<AppState>,
    axum::extract::Path(site): axum::extract::Path<String>,
    Query(draft): Query<Draft>,
) -> Response {
    if !SITES.iter().any(|(path, _)| *path == site) {
        return (StatusCode::NOT_FOUND, "no such demo site").into_response();
    }
    let file = state.config().sites_dir.join(&site).join("index.html");
    let Ok(template) = tokio::fs::read_to_string(&file).await else {
        return (StatusCode::NOT_FOUND, "demo site page missing").into_response();
    };
    let embed = state.public_url();
    let loader = format!(
        "<script async src=\"{}/embed/latest/loader.js\"></script>",
        esc(&embed)
    );
    let doc = template
        .replace("<!--ck:snippet-->", &format!("{}\n{loader}", draft.mount()))
        .replace(
            "<!--ck:template-->",
            &format!(
                "<template id=\"ck-snippet\">{}</template>\n{loader}",
                draft.mount()
            ),
        )
        .replace("<!--ck:query-->", &esc(&draft.query()))
        .replace(
            "<!--ck:popup-->",
            &draft.moded("popup", "Open the form in a popup"),
        )
        .replace("<!--ck:slide-->", &draft.moded("slide", "Feedback"));
    let csp = (site == "strict-csp").then(|| {
        format!(
            "script-src 'self' {embed} 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' {embed}"
        )
    });
    html(doc, csp)
}

fn html(doc: String, csp: Option<String>) -> Response {
    let mut response = doc.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(v) = csp.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_draft_reaches_the_snippet() {
        let id = "8d0f4c52-0f55-4f1e-9d0e-0a4b1a2b3c4d";
        for (token, theme, mounted) in [
            ("ck_pub_abc-DEF_1", "dark", true),
            ("ck_pub_\"><script>", "dark", false),
            ("ck_secret_abc", "light", false),
            ("", "", false),
        ] {
            let d = Draft {
                id: id.into(),
                token: token.into(),
                theme: theme.into(),
            };
            let mount = d.mount();
            assert_eq!(mount.contains("data-ck-id"), mounted, "{mount}");
            assert!(!mount.contains("<script"), "{mount}");
            let popup = d.moded("popup", "Open");
            assert_eq!(popup.contains("data-ck-mode=\"popup\""), mounted, "{popup}");
            assert_eq!(
                popup.contains(&format!("data-ck-open=\"{id}\"")),
                mounted,
                "{popup}"
            );
            assert!(!popup.contains("<script"), "{popup}");
        }
        let d = Draft {
            id: "not-a-uuid".into(),
            token: "ck_pub_x".into(),
            theme: "blue".into(),
        };
        assert!(d.mount().contains("data-ck-config"));
        assert!(!d.mount().contains("data-ck-theme"));
        assert_eq!(d.query(), "");
    }
}
