//! `/claim`: a draft into a workspace. The draft token travels in the URL fragment
//! (`/claim#ck_draft_…`), which browsers never send: not in a request line, a log or a Referer.
//! `claim.js` reads it, shows the draft's preview (`GET /api/v1/draft`), and claims it with
//! `POST /api/v1/claims` into the workspace picked here. Signed out, the page offers sign-in and
//! sign-up and sets `ck_next`, so the dashboard's sign-in (also through the emailed confirmation
//! link) comes back here; the token waits in the browser's `localStorage` meanwhile.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use ck_icons::icons;

use super::http::{site_header, STYLESHEETS};
use crate::{
    dashboard::{self, esc, html_page, icon, PageExtras},
    error::Error,
    state::AppState,
    users::{self, guard::Client},
    workspaces,
};

/// Cookie naming where to go after signing in.
const NEXT_COOKIE: &str = "ck_next";
/// The only place `ck_next` may send anyone (no open redirect).
const CLAIM_PATH: &str = "/claim";

/// Where to go after a sign-in, when the claim page asked for it.
pub(crate) fn return_to(headers: &HeaderMap) -> Option<&'static str> {
    (users::cookie(headers, NEXT_COOKIE) == Some(CLAIM_PATH)).then_some(CLAIM_PATH)
}

/// Clears `ck_next` once used.
pub(crate) fn clear_return_cookie() -> String {
    format!("{NEXT_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
}

fn return_cookie(state: &AppState) -> String {
    let secure = if state.config().is_https() {
        "; Secure"
    } else {
        ""
    };
    format!("{NEXT_COOKIE}={CLAIM_PATH}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax{secure}")
}

pub(crate) async fn page(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let signed_in = dashboard::http::cookie_user(&state, &client, &headers).await;
    let (account, cookies) = match signed_in {
        Some((user, cookies)) => {
            let mut tx = state.db().begin(&user.actor()).await?;
            let owned: Vec<workspaces::Workspace> = workspaces::db::list(&mut tx, user.id)
                .await?
                .into_iter()
                .filter(|w| w.role == "owner")
                .collect();
            tx.commit().await?;
            let options: String = owned
                .iter()
                .map(|w| format!("<option value=\"{}\">{}</option>", w.id, esc(&w.name)))
                .collect();
            let form = if owned.is_empty() {
                "<p class=\"error\">You own no workspace to claim into. Create one in the dashboard first.</p>"
                    .to_owned()
            } else {
                format!(
                    "<form id=\"claim-form\" hidden><label>Workspace<select name=\"workspace_id\" id=\"workspace\">\
                     {options}</select></label><button type=\"submit\">{}Claim this form</button></form>",
                    icon(&icons::CHECK)
                )
            };
            (
                format!(
                    "<p class=\"muted\">Signed in as {}.</p>{form}",
                    esc(user.email.as_deref().unwrap_or_default())
                ),
                cookies,
            )
        }
        None => (
            "<div id=\"sign-in\" hidden><p>Sign in or create a free account to keep this form; you come \
             back here afterwards.</p><div class=\"row\"><a href=\"/login\">Sign in</a>\
             <a href=\"/signup\">Create an account</a></div></div>"
                .to_owned(),
            vec![return_cookie(&state)],
        ),
    };
    let body = format!(
        "{header}<main><h1>Claim your form</h1>\
         <noscript><p class=\"error\">Claiming needs JavaScript: the draft token stays in your browser.</p></noscript>\
         <div class=\"card\" id=\"claim\">\
         <p id=\"claim-status\" role=\"status\">Looking for your draft…</p>\
         <div id=\"claim-account\">{account}</div>\
         <p id=\"claim-outcome\" role=\"alert\"></p>\
         </div>\
         <section class=\"card\" aria-labelledby=\"claim-preview-title\" id=\"claim-preview-card\" hidden>\
         <h2 id=\"claim-preview-title\">The form</h2><div id=\"preview\" class=\"stage\"></div></section>\
         <section class=\"card\" aria-labelledby=\"claim-drafts-title\"><h2 id=\"claim-drafts-title\">Your drafts on this device</h2>\
         <ul class=\"list\" id=\"draft-list\"></ul></section></main>",
        header = site_header(),
    );
    Ok(html_page(
        &state,
        StatusCode::OK,
        "Claim your form",
        &body,
        &cookies,
        &PageExtras {
            live_preview: true,
            stylesheets: STYLESHEETS,
            modules: &["/assets/builder/claim.js"],
        },
    ))
}
