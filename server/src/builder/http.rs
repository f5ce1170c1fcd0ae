//! Routes of the builder: the page at `/`, its stylesheet and scripts under `/assets/builder/`
//! (also the config-check wasm from `dist/builder/`), and the claim page (`claim`).

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use super::{claim, BUILDER_CSS};
use crate::{
    dashboard::{esc, html_page, PageExtras},
    state::AppState,
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(builder_page))
        .route("/claim", get(claim::page))
        .route("/assets/builder.css", get(stylesheet))
        .route("/assets/builder/{file}", get(asset))
}

/// The first-party modules, embedded in the binary: (file name, source).
const MODULES: &[(&str, &str)] = &[
    ("editor.js", include_str!("js/editor.js")),
    ("preview.js", include_str!("js/preview.js")),
    ("check.js", include_str!("js/check.js")),
    ("drafts.js", include_str!("js/drafts.js")),
    ("builder.js", include_str!("js/builder.js")),
    ("claim.js", include_str!("js/claim.js")),
];

/// The config check's wasm-bindgen output in `dist/builder/` (`cargo xtask dist`).
const CHECK_FILES: &[(&str, &str)] = &[
    ("ck_form_check.js", "text/javascript; charset=utf-8"),
    ("ck_form_check_bg.wasm", "application/wasm"),
];

/// Stylesheets of the builder and claim pages.
pub(crate) const STYLESHEETS: &[&str] = &["/assets/builder.css"];

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        BUILDER_CSS,
    )
}

async fn asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    if let Some((_, source)) = MODULES.iter().find(|(name, _)| *name == file) {
        return (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *source,
        )
            .into_response();
    }
    if let Some((name, mime)) = CHECK_FILES.iter().find(|(name, _)| *name == file) {
        let path = state.config().dist_dir.join("builder").join(name);
        return match tokio::fs::read(&path).await {
            Ok(bytes) => (
                [
                    (header::CONTENT_TYPE, *mime),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "builder check missing: run `cargo xtask dist`");
                (StatusCode::NOT_FOUND, "not found").into_response()
            }
        };
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// The site header of the builder and claim pages.
pub(crate) fn site_header() -> String {
    "<header class=\"bar\"><a class=\"brand\" href=\"/\">Clickeen</a><nav aria-label=\"Site\">\
     <a href=\"/\">Build a form</a><a href=\"/app\">Dashboard</a><a href=\"/login\">Sign in</a></nav></header>"
        .to_owned()
}

/// The demo sites a published draft can be seen on: (path, name).
pub(crate) const SITES: &[(&str, &str)] = &[
    ("wordpress", "WordPress post"),
    ("shop", "Shopify product page"),
    ("landing", "Landing page"),
    ("spa", "Single-page app"),
    ("strict-csp", "Strict CSP page"),
];

async fn builder_page(State(state): State<AppState>) -> Response {
    let sites = match &state.config().sites_url {
        Some(url) => {
            let items: String = SITES
                .iter()
                .map(|(path, name)| {
                    format!(
                        "<li><a data-site=\"{path}\" href=\"{}/{path}/\">{name}</a></li>",
                        esc(url)
                    )
                })
                .collect();
            format!(
                "<h3>See it on a sample site</h3><ul class=\"links\" id=\"site-links\">{items}</ul>"
            )
        }
        None => String::new(),
    };
    let body = format!(
        "{header}<main class=\"wide\"><h1>Build a form</h1>\
         <p class=\"lede\">No account needed: build it, publish it, paste the snippet into any site. \
         Claim it into a workspace later to see its submissions.</p>\
         <noscript><p class=\"error\">The builder needs JavaScript. The API can create a form without it: \
         <code>POST /api/v1/drafts</code>.</p></noscript>\
         <div class=\"grid\">\
         <section class=\"card\" aria-labelledby=\"editor-title\"><h2 id=\"editor-title\">Your form</h2>\
         <div id=\"editor\"></div></section>\
         <div class=\"sticky\">\
         <section class=\"card\" aria-labelledby=\"preview-title\"><h2 id=\"preview-title\">Live preview</h2>\
         <div class=\"row\">\
         <fieldset class=\"segmented\"><legend>Snippet theme</legend>\
         <label class=\"check\"><input type=\"radio\" name=\"theme\" value=\"auto\" checked>Auto</label>\
         <label class=\"check\"><input type=\"radio\" name=\"theme\" value=\"light\">Light</label>\
         <label class=\"check\"><input type=\"radio\" name=\"theme\" value=\"dark\">Dark</label></fieldset>\
         <fieldset class=\"segmented\"><legend>Width</legend>\
         <label class=\"check\"><input type=\"radio\" name=\"width\" value=\"desktop\" checked>Desktop</label>\
         <label class=\"check\"><input type=\"radio\" name=\"width\" value=\"phone\">Phone</label></fieldset>\
         </div><div id=\"preview\" class=\"stage\" aria-label=\"Preview of the form\" role=\"region\"></div>\
         <p class=\"hint\">The real embed, as visitors will see it. It stores nothing: publish to collect submissions.</p></section>\
         <section class=\"card\" aria-labelledby=\"publish-title\" id=\"publish\"><h2 id=\"publish-title\">Publish</h2>\
         <p class=\"muted\" id=\"publish-hint\">Publishing creates the form and gives you its snippet. \
         Later changes update the same form.</p>\
         <div class=\"row\"><button type=\"button\" id=\"publish-button\">Publish</button>\
         <button type=\"button\" class=\"quiet\" id=\"new-button\">Start a new form</button></div>\
         <p id=\"publish-status\" role=\"status\"></p>\
         <div id=\"published\" hidden>\
         <label for=\"snippet\">Snippet: paste it where the form should appear</label>\
         <textarea id=\"snippet\" class=\"snippet\" readonly rows=\"4\"></textarea>\
         <div class=\"row\"><button type=\"button\" id=\"copy-button\">Copy snippet</button>\
         <span id=\"copy-status\" role=\"status\"></span></div>\
         {sites}\
         <h3>Keep it</h3><p><a id=\"claim-link\" href=\"/claim\">Claim it into a workspace</a> \
         <span class=\"muted\">(sign up or sign in; the draft expires otherwise)</span></p>\
         </div></section>\
         <section class=\"card\" aria-labelledby=\"drafts-title\"><h2 id=\"drafts-title\">Your drafts on this device</h2>\
         <ul class=\"list\" id=\"draft-list\"></ul></section>\
         </div></div></main>",
        header = site_header(),
    );
    html_page(
        &state,
        StatusCode::OK,
        "Build a form",
        &body,
        &[],
        &PageExtras {
            live_preview: true,
            stylesheets: STYLESHEETS,
            modules: &["/assets/builder/builder.js"],
        },
    )
}
