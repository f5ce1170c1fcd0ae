//! Routes of the dashboard: sign-in, sign-up, magic-link landing, sign-out and the workspace home
//! (HTML forms with CSRF tokens; sessions in cookies), and its stylesheet.

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    routing::{get, post},
    Form, Router,
};
use ck_icons::icons;
use serde::Deserialize;

use super::{auth_page, csrf_token, esc, html, icon, redirect_with_cookies, stylesheet};
use crate::{
    error::Error,
    state::AppState,
    users::{self, csrf, flows, guard::Client, AuthUser, SignOutScope, TokenPair},
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/dashboard.css", get(stylesheet))
        .route("/login", get(login_page).post(login_submit))
        .route("/signup", get(signup_page).post(signup_submit))
        .route("/magic-link", post(magic_link_submit))
        .route("/auth/magic", get(magic_landing).post(magic_submit))
        .route("/logout", post(logout_submit))
        .merge(super::app::router())
        .merge(super::webhooks::router())
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    auth_page(&state, &headers, false, "", None, StatusCode::OK)
}

async fn signup_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    auth_page(&state, &headers, true, "", None, StatusCode::OK)
}

// The dashboard's form bodies. Every post carries the `csrf` token (see `check_form`).

#[derive(Deserialize)]
struct CredentialsForm {
    email: String,
    password: String,
    #[serde(default)]
    workspace_name: Option<String>,
    csrf: String,
}

/// The magic-link request form.
#[derive(Deserialize)]
struct EmailForm {
    email: String,
    csrf: String,
}

/// The magic-link landing form (`/auth/magic`).
#[derive(Deserialize)]
struct MagicForm {
    token: String,
    csrf: String,
}

/// The sign-out forms ("Sign out", and "Sign out everywhere" with `scope=global`).
#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
    #[serde(default)]
    scope: SignOutScope,
}

/// The magic-link landing page's query.
#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// Checks a form post's CSRF defences: same-origin and the double-submitted token.
pub(crate) fn check_form(state: &AppState, headers: &HeaderMap, token: &str) -> Result<(), Error> {
    csrf::check_same_origin(headers, state.config())?;
    csrf::check_form_token(headers, token)
}

/// A dashboard form post: the CSRF checks, then `flow` (not started unless they pass); on success
/// `ok`, on failure the sign-in (`on_error.0 == false`) or sign-up page again, with the error and
/// the email (`on_error.1`) filled in.
async fn form_post<T>(
    state: &AppState,
    headers: &HeaderMap,
    csrf_token: &str,
    flow: impl std::future::Future<Output = Result<T, Error>>,
    on_error: (bool, &str),
    ok: impl FnOnce(T) -> Response,
) -> Response {
    let result = match check_form(state, headers, csrf_token) {
        Ok(()) => flow.await,
        Err(e) => Err(e),
    };
    match result {
        Ok(value) => ok(value),
        Err(e) => {
            let (signup, email) = on_error;
            auth_page(
                state,
                headers,
                signup,
                email,
                Some(&message_of(&e)),
                e.status_code(),
            )
        }
    }
}

/// After sign-in: back to the page that sent the visitor to sign in (the claim page sets
/// `ck_next`), else the dashboard.
fn signed_in(state: &AppState, headers: &HeaderMap, pair: &TokenPair) -> Response {
    let mut cookies = users::session_cookies(state, pair).to_vec();
    let to = match crate::builder::claim::return_to(headers) {
        Some(path) => {
            cookies.push(crate::builder::claim::clear_return_cookie());
            path
        }
        None => "/app",
    };
    redirect_with_cookies(to, &cookies)
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
    client: Client,
    headers: HeaderMap,
    Form(form): Form<CredentialsForm>,
) -> Response {
    let flow = flows::login(&state, &client, &form.email, &form.password);
    let on_error = (false, form.email.as_str());
    form_post(&state, &headers, &form.csrf, flow, on_error, |pair| {
        signed_in(&state, &headers, &pair)
    })
    .await
}

async fn signup_submit(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<CredentialsForm>,
) -> Response {
    let workspace = form.workspace_name.as_deref();
    let flow = flows::signup(&state, &client, &form.email, &form.password, workspace);
    let on_error = (true, form.email.as_str());
    // No session until the address is proven.
    form_post(&state, &headers, &form.csrf, flow, on_error, |user| {
        check_email(
            &state,
            &format!(
                "We sent a link to {} to confirm your address. Open it within one hour to finish \
                 creating your account; then you can also sign in with your password.",
                esc(&user.email)
            ),
        )
    })
    .await
}

/// The "check your email" page after a link was mailed; `message` is HTML (already escaped).
fn check_email(state: &AppState, message: &str) -> Response {
    let dev = if state.config().serves_dev_mail() {
        "<p class=\"muted\">Development: no mail server is configured; read the message on \
         <a href=\"/dev/mail\">the local mail page</a>.</p>"
    } else {
        ""
    };
    let body = format!(
        "<main><h1>Check your email</h1><div class=\"card\"><p class=\"ok\">{}{message}</p>{dev}</div></main>",
        icon(&icons::MAIL),
    );
    html(state, StatusCode::OK, "Check your email", &body, &[])
}

async fn magic_link_submit(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Response {
    let flow = flows::request_magic_link(&state, &client, &form.email);
    let on_error = (false, form.email.as_str());
    form_post(&state, &headers, &form.csrf, flow, on_error, |()| {
        check_email(
            &state,
            &format!(
                "We sent a sign-in link to {}. It works once, for one hour.",
                esc(form.email.trim())
            ),
        )
    })
    .await
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

async fn magic_submit(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<MagicForm>,
) -> Response {
    let flow = flows::verify_magic_link(&state, &client, &form.token);
    form_post(&state, &headers, &form.csrf, flow, (false, ""), |pair| {
        signed_in(&state, &headers, &pair)
    })
    .await
}

async fn logout_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if check_form(&state, &headers, &form.csrf).is_ok() {
        if let Some(token) = users::cookie(&headers, users::ACCESS_COOKIE) {
            if let Ok(user) = users::authenticate(&state, token).await {
                if let Err(e) = users::sign_out(&state, &user, form.scope).await {
                    tracing::error!(error = %e, "logout failed");
                }
            }
        }
    }
    redirect_with_cookies("/login", &users::clear_cookies(&state))
}

/// Signs in from the cookies, refreshing an expired access token with the refresh cookie.
pub(crate) async fn cookie_user(
    state: &AppState,
    client: &Client,
    headers: &HeaderMap,
) -> Option<(AuthUser, Vec<String>)> {
    if let Some(token) = users::cookie(headers, users::ACCESS_COOKIE) {
        if let Ok(user) = users::authenticate(state, token).await {
            return Some((user, Vec::new()));
        }
    }
    let refresh = users::cookie(headers, users::REFRESH_COOKIE)?;
    let pair = users::refresh_session(state, client, refresh).await.ok()?;
    let user = users::authenticate(state, &pair.access_token).await.ok()?;
    Some((user, users::session_cookies(state, &pair).to_vec()))
}
