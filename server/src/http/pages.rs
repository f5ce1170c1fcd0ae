//! Server-rendered dashboard pages (sign-in, sign-up, magic link landing, workspace home), the
//! dashboard stylesheet, and the demo publisher pages from `examples/pages` at `/`.
//!
//! The dashboard runs under a strict CSP: no scripts at all, CSS only from `/assets/dashboard.css`
//! (dieter-tokens custom properties, nothing hard-coded), icons as inline SVG from ck-icons.

use axum::{
    body::Body,
    extract::{Query, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use ck_icons::{icons, Icon};
use serde::Deserialize;
use tower::ServiceExt as _;
use tower_http::services::ServeDir;

use crate::{
    auth::{self, csrf, flows, AuthUser, TokenPair},
    error::Error,
    state::AppState,
    store::workspaces,
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
h1{font-size:var(--ck-font-size-xl);line-height:var(--ck-line-height-tight);margin:0 0 var(--ck-space-4)}\
h2{font-size:var(--ck-font-size-lg);margin:var(--ck-space-6) 0 var(--ck-space-3)}\
.card{background:var(--ck-color-surface-raised);border:1px solid var(--ck-color-border);border-radius:var(--ck-radius-lg);\
box-shadow:var(--ck-shadow-sm);padding:var(--ck-space-5);margin-bottom:var(--ck-space-4)}\
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
ul.list li{display:flex;justify-content:space-between;gap:var(--ck-space-3);padding:var(--ck-space-3);\
border:1px solid var(--ck-color-border);border-radius:var(--ck-radius-md)}\
code{font-size:var(--ck-font-size-sm)}\
.divider{text-align:center;color:var(--ck-color-muted);font-size:var(--ck-font-size-sm);margin:var(--ck-space-4) 0}\
";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/dashboard.css", get(stylesheet))
        .route("/login", get(login_page).post(login_submit))
        .route("/signup", get(signup_page).post(signup_submit))
        .route("/magic-link", post(magic_link_submit))
        .route("/auth/magic", get(magic_landing).post(magic_submit))
        .route("/logout", post(logout_submit))
        .route("/app", get(app_home))
}

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

fn icon(i: &Icon) -> String {
    i.to_svg(None)
}

fn dashboard_csp(state: &AppState) -> String {
    let posthog = match &state.config().posthog_key {
        Some(_) => format!(" {}", state.config().posthog_host),
        None => String::new(),
    };
    format!(
        "default-src 'none'; script-src 'self'{posthog}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{posthog}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// A complete dashboard page with its security headers and any cookies to set.
fn html(
    state: &AppState,
    status: StatusCode,
    title: &str,
    body: &str,
    cookies: &[String],
) -> Response {
    let doc = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · Clickeen</title><link rel=\"stylesheet\" href=\"/assets/dashboard.css\"></head>\
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
    if let Ok(v) = HeaderValue::from_str(&dashboard_csp(state)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    for cookie in cookies {
        if let Ok(v) = HeaderValue::from_str(cookie) {
            h.append(header::SET_COOKIE, v);
        }
    }
    response
}

fn redirect_with_cookies(to: &str, cookies: &[String]) -> Response {
    let mut response = Redirect::to(to).into_response();
    for cookie in cookies {
        if let Ok(v) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        [dieter_tokens::css::ROOT, DASHBOARD_CSS].concat(),
    )
}

/// The CSRF token of this browser, minting one (and its cookie) when absent.
fn csrf_token(state: &AppState, headers: &HeaderMap) -> (String, Vec<String>) {
    if let Some(existing) = auth::cookie(headers, csrf::CSRF_COOKIE).filter(|t| t.len() >= 32) {
        return (existing.to_owned(), Vec::new());
    }
    let token = auth::random_secret();
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

fn auth_page(
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

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    auth_page(&state, &headers, false, "", None, StatusCode::OK)
}

async fn signup_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    auth_page(&state, &headers, true, "", None, StatusCode::OK)
}

#[derive(Deserialize)]
struct CredentialsForm {
    email: String,
    password: String,
    #[serde(default)]
    workspace_name: Option<String>,
    csrf: String,
}

/// Checks a form post's CSRF defences: same-origin and the double-submitted token.
fn check_form(state: &AppState, headers: &HeaderMap, token: &str) -> Result<(), Error> {
    csrf::check_same_origin(headers, state.config())?;
    csrf::check_form_token(headers, token)
}

fn signed_in(state: &AppState, pair: &TokenPair) -> Response {
    redirect_with_cookies("/app", &auth::session_cookies(state, pair))
}

fn message_of(e: &Error) -> String {
    match e {
        Error::Client { message, .. } => message.to_string(),
        Error::RateLimited { retry_after_secs } => {
            format!("Please wait {retry_after_secs} s before asking again.")
        }
        _ => "Something went wrong on our side. Please try again.".into(),
    }
}

async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CredentialsForm>,
) -> Response {
    if let Err(e) = check_form(&state, &headers, &form.csrf) {
        return auth_page(
            &state,
            &headers,
            false,
            &form.email,
            Some(&message_of(&e)),
            e.status_code(),
        );
    }
    match flows::login(&state, &form.email, &form.password).await {
        Ok(pair) => signed_in(&state, &pair),
        Err(e) => auth_page(
            &state,
            &headers,
            false,
            &form.email,
            Some(&message_of(&e)),
            e.status_code(),
        ),
    }
}

async fn signup_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CredentialsForm>,
) -> Response {
    if let Err(e) = check_form(&state, &headers, &form.csrf) {
        return auth_page(
            &state,
            &headers,
            true,
            &form.email,
            Some(&message_of(&e)),
            e.status_code(),
        );
    }
    match flows::signup(
        &state,
        &form.email,
        &form.password,
        form.workspace_name.as_deref(),
    )
    .await
    {
        Ok(pair) => signed_in(&state, &pair),
        Err(e) => auth_page(
            &state,
            &headers,
            true,
            &form.email,
            Some(&message_of(&e)),
            e.status_code(),
        ),
    }
}

#[derive(Deserialize)]
struct EmailForm {
    email: String,
    csrf: String,
}

async fn magic_link_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Response {
    let result = match check_form(&state, &headers, &form.csrf) {
        Ok(()) => flows::request_magic_link(&state, &form.email).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => html(
            &state,
            StatusCode::OK,
            "Check your email",
            &format!(
                "<main><h1>Check your email</h1><div class=\"card\"><p class=\"ok\">{}We sent a sign-in link to {}. \
                 It works once, for one hour.</p></div></main>",
                icon(&icons::MAIL),
                esc(form.email.trim())
            ),
            &[],
        ),
        Err(e) => auth_page(&state, &headers, false, &form.email, Some(&message_of(&e)), e.status_code()),
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The link in the mail lands here. Signing in takes one more click (a form POST), so mail
/// scanners that prefetch links cannot burn the single-use token.
async fn magic_landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let (csrf_token, cookies) = csrf_token(&state, &headers);
    let body = format!(
        "<main><h1>Sign in to Clickeen</h1><div class=\"card\"><form method=\"post\" action=\"/auth/magic\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf_token}\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
         <button type=\"submit\">{}Continue</button></form></div></main>",
        esc(&q.token),
        icon(&icons::ARROW_RIGHT)
    );
    html(&state, StatusCode::OK, "Sign in", &body, &cookies)
}

#[derive(Deserialize)]
struct MagicForm {
    token: String,
    csrf: String,
}

async fn magic_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<MagicForm>,
) -> Response {
    let result = match check_form(&state, &headers, &form.csrf) {
        Ok(()) => flows::verify_magic_link(&state, &form.token).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(pair) => signed_in(&state, &pair),
        Err(e) => auth_page(
            &state,
            &headers,
            false,
            "",
            Some(&message_of(&e)),
            e.status_code(),
        ),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if check_form(&state, &headers, &form.csrf).is_ok() {
        if let Some(token) = auth::cookie(&headers, auth::ACCESS_COOKIE) {
            if let Ok(user) = auth::authenticate(&state, token).await {
                if let Some(session) = user.session_id {
                    if let Err(e) = auth::end_session(&state, session).await {
                        tracing::error!(error = %e, "logout failed");
                    }
                }
            }
        }
    }
    redirect_with_cookies("/login", &auth::clear_cookies(&state))
}

/// Signs in from the cookies, refreshing an expired access token with the refresh cookie.
async fn cookie_user(state: &AppState, headers: &HeaderMap) -> Option<(AuthUser, Vec<String>)> {
    if let Some(token) = auth::cookie(headers, auth::ACCESS_COOKIE) {
        if let Ok(user) = auth::authenticate(state, token).await {
            return Some((user, Vec::new()));
        }
    }
    let refresh = auth::cookie(headers, auth::REFRESH_COOKIE)?;
    let pair = auth::refresh_session(state, refresh).await.ok()?;
    let user = auth::authenticate(state, &pair.access_token).await.ok()?;
    Some((user, auth::session_cookies(state, &pair).to_vec()))
}

async fn app_home(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Error> {
    let Some((user, mut cookies)) = cookie_user(&state, &headers).await else {
        return Ok(Redirect::to("/login").into_response());
    };
    let mut tx = state.db().begin(&user.actor()).await?;
    let list = workspaces::list(&mut tx, user.id).await?;
    let mut sections = String::new();
    for ws in &list {
        let instances = workspaces::instances(&mut tx, user.id, ws.id).await?;
        let items: String = if instances.is_empty() {
            "<li class=\"muted\">No widgets yet. Create a draft and claim it, or add one from the API.</li>".into()
        } else {
            instances
                .iter()
                .map(|i| {
                    format!(
                        "<li><span>{} <span class=\"muted\">{}</span></span><code>{}</code></li>",
                        esc(if i.name.is_empty() {
                            &i.widget_id
                        } else {
                            &i.name
                        }),
                        esc(&i.widget_id),
                        i.id
                    )
                })
                .collect()
        };
        sections.push_str(&format!(
            "<section class=\"card\"><h2>{}</h2><p class=\"muted\">Role: {} · id <code>{}</code></p>\
             <ul class=\"list\">{items}</ul></section>",
            esc(&ws.name),
            esc(&ws.role),
            ws.id
        ));
    }
    tx.commit().await?;
    let (csrf_token, csrf_cookies) = csrf_token(&state, &headers);
    cookies.extend(csrf_cookies);
    let body = format!(
        "<header class=\"bar\"><span class=\"brand\">Clickeen</span><span class=\"muted\">{user_icon}{email}</span>\
         <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf_token}\">\
         <button type=\"submit\" class=\"quiet\">Sign out</button></form></header>\
         <main><h1>Your workspaces</h1>{sections}</main>",
        user_icon = icon(&icons::USER),
        email = esc(user.email.as_deref().unwrap_or_default()),
    );
    Ok(html(&state, StatusCode::OK, "Workspaces", &body, &cookies))
}

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
        return super::api_not_found(path.parse().unwrap_or_default())
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
        // No literal colours or font names: every colour, font, size and space is a --ck-* property.
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
                !DASHBOARD_CSS.contains(forbidden),
                "hard-coded value {forbidden:?} in dashboard CSS"
            );
        }
        for prop in ["color:", "background:", "font-family:", "font-size:"] {
            for (i, _) in DASHBOARD_CSS.match_indices(prop) {
                let value = &DASHBOARD_CSS[i + prop.len()..];
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
