//! The server-rendered dashboard (sign-in, sign-up, magic-link landing, workspace home; routes in
//! [`http`]), its stylesheet, and the development-only pages: the demo publisher pages from
//! `examples/pages` at `/` ([`demo`]) and the local mail catcher `/dev/mail` ([`dev_mail`]), neither
//! served in production.
//! No tables of its own: it reads through `users` and `workspaces`.
//!
//! The dashboard runs under a strict CSP: no scripts at all, CSS only from `/assets/dashboard.css`
//! (dieter-tokens custom properties, nothing hard-coded), icons as inline SVG from ck-icons.

pub(crate) mod app;
pub(crate) mod demo;
pub(crate) mod dev_mail;
pub(crate) mod http;
pub(crate) mod webhooks;

use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use ck_icons::{icons, Icon};

use crate::{
    state::AppState,
    users::{self, csrf},
};

/// CSP of test pages whose file name contains `csp`: what a strict publisher would set.
pub(crate) const STRICT_EMBED_CSP: &str = "script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

/// Layout and components, in terms of dieter-tokens custom properties only.
const DASHBOARD_CSS: &str = "\
*,*::before,*::after{box-sizing:border-box}\
body{margin:0;background:var(--ck-color-surface);color:var(--ck-color-text);font-family:var(--ck-font-family);\
font-size:var(--ck-font-size-md);line-height:var(--ck-line-height-normal)}\
main{max-width:720px;margin:0 auto;padding:var(--ck-space-6) var(--ck-space-4)}\
header.bar{display:flex;align-items:center;justify-content:space-between;gap:var(--ck-space-3);\
padding:var(--ck-space-3) var(--ck-space-4);border-bottom:1px solid var(--ck-color-border);background:var(--ck-color-surface-raised)}\
.brand{font-weight:var(--ck-font-weight-bold);font-size:var(--ck-font-size-lg)}\
h1{font-size:var(--ck-font-size-xl);line-height:var(--ck-line-height-tight);margin:0 0 var(--ck-space-4);\
display:flex;align-items:center;gap:var(--ck-space-2)}\
h2{font-size:var(--ck-font-size-lg);margin:var(--ck-space-6) 0 var(--ck-space-3)}\
.card{background:var(--ck-color-surface-raised);border:1px solid var(--ck-color-border);border-radius:var(--ck-radius-lg);\
box-shadow:var(--ck-shadow-sm);padding:var(--ck-space-5);margin-bottom:var(--ck-space-4);overflow-wrap:anywhere}\
form{display:grid;gap:var(--ck-space-3);margin:0}\
label{display:grid;gap:var(--ck-space-1);font-size:var(--ck-font-size-sm);font-weight:var(--ck-font-weight-medium)}\
input{font:inherit;color:inherit;background:var(--ck-color-surface);border:1px solid var(--ck-color-border);\
border-radius:var(--ck-radius-md);padding:var(--ck-space-2) var(--ck-space-3)}\
input:focus-visible,button:focus-visible,a:focus-visible{outline:2px solid var(--ck-color-focus);outline-offset:2px}\
button{font:inherit;font-weight:var(--ck-font-weight-medium);display:inline-flex;align-items:center;justify-content:center;\
gap:var(--ck-space-2);cursor:pointer;border:0;border-radius:var(--ck-radius-md);padding:var(--ck-space-2) var(--ck-space-4);\
background:var(--ck-color-accent);color:var(--ck-color-accent-text);transition:opacity var(--ck-duration-fast)}\
button:hover{opacity:.9}\
button.quiet{background:transparent;color:var(--ck-color-text);border:1px solid var(--ck-color-border)}\
a{color:var(--ck-color-accent)}\
.muted{color:var(--ck-color-muted);font-size:var(--ck-font-size-sm)}\
.error{color:var(--ck-color-danger);font-size:var(--ck-font-size-sm);display:flex;gap:var(--ck-space-2);align-items:center}\
.ok{color:var(--ck-color-success);display:flex;gap:var(--ck-space-2);align-items:center}\
ul.list{list-style:none;margin:0;padding:0;display:grid;gap:var(--ck-space-2)}\
ul.list li{display:flex;flex-wrap:wrap;justify-content:space-between;gap:var(--ck-space-3);padding:var(--ck-space-3);\
border:1px solid var(--ck-color-border);border-radius:var(--ck-radius-md)}\
code{font-size:var(--ck-font-size-sm)}\
.divider{text-align:center;color:var(--ck-color-muted);font-size:var(--ck-font-size-sm);margin:var(--ck-space-4) 0}\
";

/// HTML-escapes text for element content and quoted attributes.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn icon(i: &Icon) -> String {
    i.to_svg(None)
}

/// The dashboard's CSP. `live_preview`: the page mounts the real embed (a widget preview), whose
/// wasm needs `'wasm-unsafe-eval'`; still no inline script or style.
fn dashboard_csp(state: &AppState, live_preview: bool) -> String {
    let posthog = match &state.config().posthog_key {
        Some(_) => format!(" {}", state.config().posthog_host),
        None => String::new(),
    };
    let wasm = if live_preview {
        " 'wasm-unsafe-eval'"
    } else {
        ""
    };
    format!(
        "default-src 'none'; script-src 'self'{wasm}{posthog}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{posthog}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// What a page needs beyond the dashboard's defaults.
#[derive(Default)]
pub(crate) struct PageExtras<'a> {
    /// Serve under `script-src 'self' 'wasm-unsafe-eval'`: the page shows a live preview rendered
    /// by the real embed (the builder, the claim page, the dashboard's widget editor).
    pub(crate) live_preview: bool,
    /// More stylesheets after `/assets/dashboard.css` (same-origin paths).
    pub(crate) stylesheets: &'a [&'a str],
    /// First-party ES modules (same-origin paths), loaded with `<script type="module">`.
    pub(crate) modules: &'a [&'a str],
}

/// A complete dashboard page with its security headers and any cookies to set.
pub(crate) fn html(
    state: &AppState,
    status: StatusCode,
    title: &str,
    body: &str,
    cookies: &[String],
) -> Response {
    html_page(state, status, title, body, cookies, &PageExtras::default())
}

/// [`html`] with extra stylesheets, modules and, for live previews, the embed's CSP.
pub(crate) fn html_page(
    state: &AppState,
    status: StatusCode,
    title: &str,
    body: &str,
    cookies: &[String],
    extras: &PageExtras<'_>,
) -> Response {
    let mut head = String::new();
    for href in extras.stylesheets {
        head.push_str(&format!("<link rel=\"stylesheet\" href=\"{}\">", esc(href)));
    }
    for src in extras.modules {
        head.push_str(&format!(
            "<script type=\"module\" src=\"{}\"></script>",
            esc(src)
        ));
    }
    let doc = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · Clickeen</title><link rel=\"stylesheet\" href=\"/assets/dashboard.css\">{head}</head>\
         <body>{body}</body></html>",
        esc(title)
    );
    let mut response = (status, doc).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Ok(v) = HeaderValue::from_str(&dashboard_csp(state, extras.live_preview)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    for cookie in cookies {
        if let Ok(v) = HeaderValue::from_str(cookie) {
            h.append(header::SET_COOKIE, v);
        }
    }
    response
}

pub(crate) fn redirect_with_cookies(to: &str, cookies: &[String]) -> Response {
    let mut response = Redirect::to(to).into_response();
    for cookie in cookies {
        if let Ok(v) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        [dieter_tokens::css::ROOT, DASHBOARD_CSS, webhooks::CSS].concat(),
    )
}

/// The CSRF token of this browser, minting one (and its cookie) when absent.
pub(crate) fn csrf_token(state: &AppState, headers: &HeaderMap) -> (String, Vec<String>) {
    if let Some(existing) = users::cookie(headers, csrf::CSRF_COOKIE).filter(|t| t.len() >= 32) {
        return (existing.to_owned(), Vec::new());
    }
    let token = users::random_secret();
    let secure = if state.config().is_https() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax{secure}",
        csrf::CSRF_COOKIE
    );
    (token, vec![cookie])
}

fn error_line(message: Option<&str>) -> String {
    message.map_or_else(String::new, |m| {
        format!(
            "<p class=\"error\" role=\"alert\">{}{}</p>",
            icon(&icons::ALERT),
            esc(m)
        )
    })
}

pub(crate) fn auth_page(
    state: &AppState,
    headers: &HeaderMap,
    signup: bool,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (token, cookies) = csrf_token(state, headers);
    let (title, action, button, other) = if signup {
        (
            "Create your account",
            "/signup",
            "Create account",
            "<a href=\"/login\">Already have an account? Sign in</a>",
        )
    } else {
        (
            "Sign in",
            "/login",
            "Sign in",
            "<a href=\"/signup\">New here? Create an account</a>",
        )
    };
    let workspace = if signup {
        "<label>Workspace name<input name=\"workspace_name\" maxlength=\"120\" placeholder=\"Optional\"></label>"
    } else {
        ""
    };
    let body = format!(
        "<main><h1>{title}</h1><div class=\"card\">{err}\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
         <label>Email<input type=\"email\" name=\"email\" required autocomplete=\"email\" value=\"{email}\"></label>\
         <label>Password<input type=\"password\" name=\"password\" required minlength=\"8\" autocomplete=\"{ac}\"></label>\
         {workspace}<button type=\"submit\">{lock}{button}</button></form>\
         <p class=\"divider\">or</p>\
         <form method=\"post\" action=\"/magic-link\"><input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
         <label>Email<input type=\"email\" name=\"email\" required autocomplete=\"email\" value=\"{email}\"></label>\
         <button type=\"submit\" class=\"quiet\">{mail}Email me a sign-in link</button></form></div>\
         <p class=\"muted\">{other}</p></main>",
        err = error_line(error),
        email = esc(email),
        ac = if signup { "new-password" } else { "current-password" },
        lock = icon(&icons::LOCK),
        mail = icon(&icons::MAIL),
    );
    html(state, status, title, &body, &cookies)
}

/// The style check for the pages' stylesheets, used by the tests of every page module. A test
/// module (the style scanner of dieter-tokens skips test code, which has to spell colours out).
#[cfg(test)]
mod style_check {
    /// Panics unless `css` takes every colour, font, size and space from a `--ck-*` property.
    pub(crate) fn assert_tokens_only(css: &str) {
        for forbidden in [
            "#",
            "rgb(",
            "hsl(",
            "px sans",
            "serif",
            "Arial",
            "Helvetica",
            "font-family:-",
            "color:black",
            "color:white",
        ] {
            assert!(
                !css.contains(forbidden),
                "hard-coded value {forbidden:?} in dashboard CSS"
            );
        }
        for prop in ["color:", "background:", "font-family:", "font-size:"] {
            for (i, _) in css.match_indices(prop) {
                let value = &css[i + prop.len()..];
                assert!(
                    value.starts_with("var(--ck-")
                        || value.starts_with("inherit")
                        || value.starts_with("transparent"),
                    "{prop} not from tokens: {}",
                    &value[..value.len().min(30)]
                );
            }
        }
    }
}
#[cfg(test)]
pub(crate) use style_check::assert_tokens_only;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn dashboard_css_uses_only_tokens() {
        assert_tokens_only(DASHBOARD_CSS);
    }
}
