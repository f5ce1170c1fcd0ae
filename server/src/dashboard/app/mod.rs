//! The owner's dashboard under `/app`: workspaces (switch, rename, create, delete), widgets (list
//! with 7-day totals, config editing, snippet, delete), embed tokens (issue, rotate, revoke,
//! allowed origins), the last 7 days of usage (a server-drawn SVG chart beside a table),
//! submissions (paged, CSV, delete), billing and account settings.
//!
//! Every page is server-rendered and works without JavaScript: forms post (CSRF token + Origin
//! check, as the sign-in pages), the server redirects (or re-renders with the error and what was
//! typed), and the browser GETs the result. The only script is `/assets/app.js` (copy buttons and,
//! when `POSTHOG_KEY` is set, a page-view event). Every action goes through the same domain
//! functions as the API, so the rules (owners only, confirmations, validation) are the API's.
//! Another workspace's ids answer 404 here exactly as in the API.

mod account;
mod chart;
mod pages;
mod tokens;
mod widgets;

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use ck_icons::{icons, Icon};
use uuid::Uuid;

use super::{csrf_token, esc, html, html_page, icon, PageExtras};
use crate::{
    error::Error,
    state::AppState,
    users::{guard::Client, AuthUser},
    workspaces::{self, Workspace},
};

/// Routes of the dashboard's `/app` pages, merged by `dashboard::http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/app", get(pages::home))
        .route("/app/switch", get(pages::switch))
        .route("/app/workspaces", post(pages::create_workspace))
        .route("/app/w/{ws}", get(pages::overview))
        .route("/app/w/{ws}/settings", get(pages::settings))
        .route("/app/w/{ws}/rename", post(pages::rename))
        .route("/app/w/{ws}/delete", post(pages::delete_workspace))
        .route("/app/w/{ws}/billing", get(pages::billing))
        .route("/app/w/{ws}/widgets/{id}", get(widgets::show))
        .route(
            "/app/w/{ws}/widgets/{id}/config",
            post(widgets::save_config),
        )
        .route(
            "/app/w/{ws}/widgets/{id}/delete",
            get(widgets::confirm_delete).post(widgets::delete),
        )
        .route(
            "/app/w/{ws}/widgets/{id}/submissions",
            get(widgets::submissions),
        )
        .route(
            "/app/w/{ws}/widgets/{id}/submissions.csv",
            get(widgets::submissions_csv),
        )
        .route(
            "/app/w/{ws}/widgets/{id}/submissions/{sid}/delete",
            get(widgets::confirm_delete_submission).post(widgets::delete_submission),
        )
        .route("/app/w/{ws}/tokens", get(tokens::list).post(tokens::issue))
        .route("/app/w/{ws}/tokens/{id}/origins", post(tokens::origins))
        .route("/app/w/{ws}/tokens/{id}/rotate", post(tokens::rotate))
        .route(
            "/app/w/{ws}/tokens/{id}/revoke",
            get(tokens::confirm_revoke).post(tokens::revoke),
        )
        .route("/app/account", get(account::show))
        .route("/app/account/email", post(account::email))
        .route("/app/account/password", post(account::password))
        .route("/app/account/delete", post(account::delete))
        .route("/assets/app.css", get(stylesheet))
        .route("/assets/app.js", get(|| async { javascript(APP_JS) }))
        .route(
            "/assets/app-editor.js",
            get(|| async { javascript(EDITOR_JS) }),
        )
}

/// Layout rules of the `/app` pages beyond the sign-in pages' sheet, in dieter-tokens only.
const APP_CSS: &str = include_str!("app.css");

/// Copy buttons and the optional PostHog page view (see the file's comments).
const APP_JS: &str = include_str!("app.js");

/// The widget page's editor and live preview: the builder's modules over the plain form.
const EDITOR_JS: &str = include_str!("app-editor.js");

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        APP_CSS,
    )
}

fn javascript(source: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        source,
    )
}

/// A signed-in request of the dashboard: the user, the cookies to set (a refreshed session, a new
/// CSRF cookie) and the CSRF token for the page's forms.
pub(crate) struct Signed {
    pub(crate) user: AuthUser,
    /// The client, for the auth flows' limits.
    pub(crate) client: Client,
    pub(crate) cookies: Vec<String>,
    pub(crate) csrf: String,
}

/// Either a signed-in request or the response that sends the browser to the sign-in page.
pub(crate) async fn signed(
    state: &AppState,
    client: &Client,
    headers: &HeaderMap,
) -> Result<Signed, Response> {
    let Some((user, mut cookies)) = super::http::cookie_user(state, client, headers).await else {
        return Err(Redirect::to("/login").into_response());
    };
    let (csrf, more) = csrf_token(state, headers);
    cookies.extend(more);
    Ok(Signed {
        user,
        client: client.clone(),
        cookies,
        csrf,
    })
}

impl Signed {
    /// A redirect (303) to `to` that sets this request's cookies.
    pub(crate) fn redirect(&self, to: &str) -> Response {
        super::redirect_with_cookies(to, &self.cookies)
    }
}

/// A signed-in page request; a browser without a session goes to the sign-in page.
impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Ok(client) = Client::from_request_parts(parts, state).await;
        signed(state, &client, &parts.headers).await
    }
}

/// A dashboard form whose `csrf` field carries the double-submitted token.
pub(crate) trait CsrfField {
    fn csrf(&self) -> &str;
}

/// Implements [`CsrfField`] for forms with a `csrf: String` field.
macro_rules! csrf_forms {
    ($($form:ty),* $(,)?) => {
        $(impl $crate::dashboard::app::CsrfField for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })*
    };
}
pub(crate) use csrf_forms;

/// A signed-in form post: the CSRF checks (the Origin and the form's token) first, then the
/// session; either failing answers the error page or the sign-in redirect.
pub(crate) struct SignedForm<T>(pub(crate) Signed, pub(crate) T);

impl<T: serde::de::DeserializeOwned + CsrfField + Send> FromRequest<AppState> for SignedForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Ok(client) = Client::from_request_parts(&mut parts, state).await;
        let headers = parts.headers.clone();
        let Form(form) = Form::<T>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let signed = signed_post(state, &client, &headers, form.csrf()).await?;
        Ok(SignedForm(signed, form))
    }
}

/// A signed-in form post: the CSRF checks first, then the session.
pub(crate) async fn signed_post(
    state: &AppState,
    client: &Client,
    headers: &HeaderMap,
    form_csrf: &str,
) -> Result<Signed, Response> {
    if let Err(e) = super::http::check_form(state, headers, form_csrf) {
        return Err(error_page(state, &e));
    }
    signed(state, client, headers).await
}

/// The workspace `ws` if the user is a member (every workspace page starts here); else 404.
pub(crate) async fn workspace(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
) -> Result<(Workspace, Vec<Workspace>), Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let all = workspaces::db::list(&mut tx, user.id).await?;
    tx.commit().await?;
    let current = all
        .iter()
        .find(|w| w.id == ws)
        .cloned()
        .ok_or_else(|| Error::not_found("workspace"))?;
    Ok((current, all))
}

/// Which tab of a workspace a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    Overview,
    Tokens,
    Billing,
    Settings,
    Account,
}

/// The frame every signed-in page shares: the bar (brand, workspace switcher, account, sign-out),
/// the workspace's tabs, a notice, and `main`.
pub(crate) struct Frame<'a> {
    pub(crate) signed: &'a Signed,
    pub(crate) current: Option<&'a Workspace>,
    pub(crate) all: &'a [Workspace],
    pub(crate) tab: Tab,
    pub(crate) notice: Option<Notice>,
}

/// A message at the top of a page: the outcome of the last action.
pub(crate) enum Notice {
    Ok(String),
    Error(String),
}

impl Notice {
    /// The notice for an action's error.
    pub(crate) fn of(e: &Error) -> Self {
        Notice::Error(message_of(e))
    }
}

/// The text an error shows on a page (the same as the API's `message`; server errors say less).
pub(crate) fn message_of(e: &Error) -> String {
    match e {
        Error::Client {
            message, fields, ..
        } => match fields {
            Some(f) if !f.is_empty() => {
                let detail: Vec<String> = f
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
                    .collect();
                format!("{message} ({})", detail.join("; "))
            }
            _ => message.to_string(),
        },
        Error::RateLimited { retry_after_secs } => {
            format!("Too many attempts. Please wait {retry_after_secs} s and try again.")
        }
        Error::Busy { retry_after_secs } => {
            format!("The server is busy. Please try again in {retry_after_secs} s.")
        }
        _ => "Something went wrong on our side. Please try again.".into(),
    }
}

/// The outcome messages a redirect may name (`?done=…`): fixed texts, so a crafted link cannot
/// put words on the page.
pub(crate) fn done_notice(done: Option<&str>) -> Option<Notice> {
    let text = match done? {
        "saved" => "Saved.",
        "created" => "Workspace created.",
        "renamed" => "Workspace renamed.",
        "deleted" => "Deleted.",
        "widget_deleted" => "The widget and its submissions were deleted.",
        "workspace_deleted" => "The workspace, its widgets and their submissions were deleted.",
        "revoked" => "Token revoked. Embeds using it stop working.",
        "origins" => "Allowed origins saved.",
        "password" => "Password changed. Your other sessions were signed out.",
        "email" => "We sent a link to the new address. Open it to finish the change.",
        _ => return None,
    };
    Some(Notice::Ok(text.into()))
}

fn tab_link(href: &str, label: &str, current: bool) -> String {
    let aria = if current {
        " aria-current=\"page\""
    } else {
        ""
    };
    format!("<a href=\"{href}\"{aria}>{label}</a>")
}

impl Frame<'_> {
    /// The full page around `main_html` (already escaped HTML).
    pub(crate) fn render(
        &self,
        state: &AppState,
        status: StatusCode,
        title: &str,
        main_html: &str,
    ) -> Response {
        self.render_page(state, status, title, main_html, false)
    }

    /// [`Frame::render`]; `editor`: the page mounts the builder's form editor and its live preview
    /// (the real embed, so the CSP adds `'wasm-unsafe-eval'`).
    pub(crate) fn render_page(
        &self,
        state: &AppState,
        status: StatusCode,
        title: &str,
        main_html: &str,
        editor: bool,
    ) -> Response {
        let csrf = &self.signed.csrf;
        let switcher = if self.all.is_empty() {
            String::new()
        } else {
            let options: String = self
                .all
                .iter()
                .map(|w| {
                    let selected = if self.current.is_some_and(|c| c.id == w.id) {
                        " selected"
                    } else {
                        ""
                    };
                    format!(
                        "<option value=\"{}\"{selected}>{}</option>",
                        w.id,
                        esc(&w.name)
                    )
                })
                .collect();
            format!(
                "<form class=\"switch\" method=\"get\" action=\"/app/switch\">\
                 <label for=\"ws-switch\" class=\"sr-only\">Workspace</label>\
                 <select id=\"ws-switch\" name=\"ws\">{options}</select>\
                 <button type=\"submit\" class=\"quiet small\">Switch</button></form>"
            )
        };
        let tabs = match self.current {
            Some(ws) => {
                let base = format!("/app/w/{}", ws.id);
                format!(
                    "<nav class=\"tabs\" aria-label=\"Workspace\">{}{}{}{}{}</nav>",
                    tab_link(&base, "Overview", self.tab == Tab::Overview),
                    tab_link(&format!("{base}/tokens"), "Tokens", self.tab == Tab::Tokens),
                    // Webhooks, deliveries and notification mail live in dashboard::webhooks.
                    tab_link(
                        &format!("/app/workspaces/{}/webhooks", ws.id),
                        "Webhooks",
                        false
                    ),
                    tab_link(
                        &format!("{base}/billing"),
                        "Billing",
                        self.tab == Tab::Billing
                    ),
                    tab_link(
                        &format!("{base}/settings"),
                        "Settings",
                        self.tab == Tab::Settings
                    ),
                )
            }
            None => String::new(),
        };
        let notice = match &self.notice {
            Some(Notice::Ok(m)) => format!(
                "<p class=\"notice ok\" role=\"status\">{}{}</p>",
                icon(&icons::CHECK_CIRCLE),
                esc(m)
            ),
            Some(Notice::Error(m)) => format!(
                "<p class=\"notice error\" role=\"alert\">{}{}</p>",
                icon(&icons::ALERT),
                esc(m)
            ),
            None => String::new(),
        };
        let analytics = match &state.config().posthog_key {
            Some(key) => format!(
                " data-posthog-key=\"{}\" data-posthog-host=\"{}\" data-user=\"{}\"",
                esc(key),
                esc(&state.config().posthog_host),
                self.signed.user.id
            ),
            None => String::new(),
        };
        let account_current = if self.tab == Tab::Account {
            " aria-current=\"page\""
        } else {
            ""
        };
        let body = format!(
            "<a class=\"skip\" href=\"#main\">Skip to content</a>\
             <header class=\"bar\"><a class=\"brand\" href=\"/app\">Clickeen</a>{switcher}\
             <div class=\"who\"><a href=\"/app/account\"{account_current}>{user_icon}<span>{email}</span></a>\
             <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\" class=\"quiet small\">Sign out</button></form></div></header>\
             {tabs}<main id=\"main\" class=\"app\">{notice}{main_html}</main>\
             <script type=\"module\" src=\"/assets/app.js\"{analytics}></script>",
            user_icon = icon(&icons::USER),
            email = esc(self.signed.user.email.as_deref().unwrap_or_default()),
        );
        let extras = if editor {
            PageExtras {
                live_preview: true,
                stylesheets: &["/assets/builder.css", "/assets/app.css"],
                modules: &["/assets/app-editor.js"],
            }
        } else {
            PageExtras {
                stylesheets: &["/assets/app.css"],
                ..PageExtras::default()
            }
        };
        html_page(state, status, title, &body, &self.signed.cookies, &extras)
    }
}

/// A page for an error outside any workspace frame (CSRF failures, unknown ids).
pub(crate) fn error_page(state: &AppState, e: &Error) -> Response {
    let body = format!(
        "<link rel=\"stylesheet\" href=\"/assets/app.css\"><main id=\"main\" class=\"app\">\
         <h1>{}</h1><p class=\"notice error\" role=\"alert\">{}{}</p>\
         <p><a href=\"/app\">Back to your dashboard</a></p></main>",
        if e.status_code() == StatusCode::NOT_FOUND {
            "Not found"
        } else {
            "That did not work"
        },
        icon(&icons::ALERT),
        esc(&message_of(e)),
    );
    html(state, e.status_code(), "Error", &body, &[])
}

/// Renders a page or, when building it failed, the error page (a 404 for another account's ids).
pub(crate) fn or_error(state: &AppState, result: Result<Response, Error>) -> Response {
    result.unwrap_or_else(|e| {
        if e.status_code().is_server_error() {
            tracing::error!(error = %e, "dashboard page failed");
        }
        error_page(state, &e)
    })
}

/// A confirmation page before a deletion: what goes, a POST button and a way back.
pub(crate) struct Confirm<'a> {
    pub(crate) title: &'a str,
    /// What will be deleted (HTML, already escaped).
    pub(crate) what_html: &'a str,
    pub(crate) action: &'a str,
    pub(crate) button: &'a str,
    pub(crate) back: &'a str,
}

impl Confirm<'_> {
    pub(crate) fn render(
        &self,
        state: &AppState,
        signed: &Signed,
        (current, all): (&Workspace, &[Workspace]),
        tab: Tab,
    ) -> Response {
        let main = format!(
            "<h1>{}</h1><section class=\"card danger-zone\">{}\
             <form method=\"post\" action=\"{}\" class=\"actions\">{}\
             <button type=\"submit\" class=\"danger\">{}</button><a class=\"button quiet\" href=\"{}\">Cancel</a></form></section>",
            esc(self.title),
            self.what_html,
            self.action,
            csrf_field(&signed.csrf),
            labelled(&icons::TRASH, self.button),
            self.back,
        );
        let frame = Frame {
            signed,
            current: Some(current),
            all,
            tab,
            notice: None,
        };
        frame.render(state, StatusCode::OK, self.title, &main)
    }
}

/// A form with only the CSRF token (confirmations, revocations).
#[derive(serde::Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

csrf_forms!(CsrfForm);

/// A hidden CSRF field.
pub(crate) fn csrf_field(token: &str) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{token}\">")
}

/// An icon followed by a label, for buttons and links.
pub(crate) fn labelled(i: &Icon, label: &str) -> String {
    format!("{}{label}", icon(i))
}

/// Paths of one workspace.
pub(crate) fn ws_path(ws: Uuid) -> String {
    format!("/app/w/{ws}")
}

/// A UTC timestamp for tables: `2026-11-29 23:04`.
pub(crate) fn when(ts: crate::store::Ts) -> String {
    let t = ts.0;
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_css_uses_only_tokens() {
        // Every colour, font and size comes from a --ck-* property (dark mode follows the tokens).
        for forbidden in [
            "#",
            "rgb(",
            "hsl(",
            "serif",
            "Arial",
            "color:black",
            "color:white",
        ] {
            assert!(
                !APP_CSS.contains(forbidden),
                "hard-coded {forbidden:?} in app.css"
            );
        }
        for prop in [
            "color:",
            "background:",
            "fill:",
            "stroke:",
            "font-family:",
            "font-size:",
        ] {
            for (i, _) in APP_CSS.match_indices(prop) {
                let value = &APP_CSS[i + prop.len()..];
                assert!(
                    ["var(--ck-", "inherit", "transparent", "currentColor"]
                        .iter()
                        .any(|ok| value.starts_with(ok)),
                    "{prop} not from tokens: {}",
                    &value[..value.len().min(30)]
                );
            }
        }
    }

    #[test]
    fn done_messages_are_fixed_texts() {
        assert!(done_notice(Some("<script>")).is_none());
        assert!(matches!(done_notice(Some("saved")), Some(Notice::Ok(_))));
    }
}
