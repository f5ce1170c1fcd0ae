//! Account settings: email (a link to the new address), password, sign out everywhere, and
//! deleting the account (typing its address; its workspaces and their submissions go with it).

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use ck_icons::icons;
use serde::Deserialize;

use super::{
    csrf_field, done_notice, esc, labelled, or_error, pages::Done, Frame, Notice, Signed,
    SignedForm, Tab,
};
use crate::{
    error::Error,
    state::AppState,
    store::Actor,
    users::{self, flows},
    workspaces,
};

super::csrf_forms!(EmailForm, PasswordForm, DeleteForm);

/// The account page.
pub(crate) async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<Done>,
) -> Response {
    let notice = done_notice(q.done.as_deref());
    or_error(&state, account_page(&state, &signed, notice, "").await)
}

async fn account_page(
    state: &AppState,
    signed: &Signed,
    notice: Option<Notice>,
    typed_email: &str,
) -> Result<Response, Error> {
    let mut tx = state.db().begin(&Actor::Auth).await?;
    let account = users::db::find_by_id(&mut tx, signed.user.id)
        .await?
        .ok_or_else(|| Error::not_found("account"))?;
    tx.commit().await?;
    let mut tx = state.db().begin(&signed.user.actor()).await?;
    let all = workspaces::db::list(&mut tx, signed.user.id).await?;
    tx.commit().await?;
    let csrf = csrf_field(&signed.csrf);
    let has_password = account.password_hash.is_some();
    let current_pw = if has_password {
        "<label>Current password<input type=\"password\" name=\"current_password\" required autocomplete=\"current-password\"></label>"
    } else {
        ""
    };
    let owned: Vec<String> = all
        .iter()
        .filter(|w| w.role == "owner")
        .map(|w| format!("<strong>{}</strong>", esc(&w.name)))
        .collect();
    let owned_text = if owned.is_empty() {
        "You own no workspaces.".to_owned()
    } else {
        format!("This also deletes the workspaces you own ({}), with their widgets, embed tokens, usage and \
                 <strong>every submission visitors made</strong>.", owned.join(", "))
    };
    let main = format!(
        "<h1>Account</h1>\
         <section class=\"card\" aria-labelledby=\"email-h\"><h2 id=\"email-h\">Email</h2>\
         <p>Signed in as <strong>{email}</strong>.</p>\
         <form method=\"post\" action=\"/app/account/email\">{csrf}\
         <label>New email address<input type=\"email\" name=\"email\" required autocomplete=\"email\" value=\"{typed}\"></label>\
         <p class=\"muted\">We send a link to the new address; nothing changes until it is opened.</p>\
         <div class=\"actions\"><button type=\"submit\">{mail}</button></div></form></section>\
         <section class=\"card\" aria-labelledby=\"pw-h\"><h2 id=\"pw-h\">Password</h2>\
         <form method=\"post\" action=\"/app/account/password\">{csrf}{current_pw}\
         <label>New password<input type=\"password\" name=\"new_password\" required minlength=\"8\" autocomplete=\"new-password\"></label>\
         <p class=\"muted\">At least 8 characters. Your other sessions are signed out.</p>\
         <div class=\"actions\"><button type=\"submit\">{lock}</button></div></form></section>\
         <section class=\"card\" aria-labelledby=\"out-h\"><h2 id=\"out-h\">Sessions</h2>\
         <form method=\"post\" action=\"/logout\">{csrf}<input type=\"hidden\" name=\"scope\" value=\"global\">\
         <p>Sign out on every device and browser, this one included.</p>\
         <div class=\"actions\"><button type=\"submit\" class=\"quiet\">Sign out everywhere</button></div></form></section>\
         <section class=\"card danger-zone\" aria-labelledby=\"del-h\"><h2 id=\"del-h\">Delete account</h2>\
         <p>{owned_text} This cannot be undone.</p>\
         <form method=\"post\" action=\"/app/account/delete\">{csrf}\
         <label>Type your email address to confirm<input type=\"email\" name=\"confirm\" required autocomplete=\"off\"></label>{current_pw}\
         <div class=\"actions\"><button type=\"submit\" class=\"danger\">{trash}</button></div></form></section>",
        email = esc(&account.email),
        typed = esc(typed_email),
        mail = labelled(&icons::MAIL, "Send confirmation link"),
        lock = labelled(&icons::LOCK, "Change password"),
        trash = labelled(&icons::TRASH, "Delete account and its data"),
    );
    let frame = Frame {
        signed,
        current: None,
        all: &all,
        tab: Tab::Account,
        notice,
    };
    let status = match &frame.notice {
        Some(Notice::Error(_)) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    Ok(frame.render(state, status, "Account", &main))
}

/// The email form.
#[derive(Deserialize)]
pub(crate) struct EmailForm {
    csrf: String,
    email: String,
}

/// Starts an email change.
pub(crate) async fn email(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<EmailForm>,
) -> Response {
    match flows::request_email_change(&state, &signed.client, &signed.user, &form.email).await {
        Ok(()) => signed.redirect("/app/account?done=email"),
        Err(e) => or_error(
            &state,
            account_page(&state, &signed, Some(Notice::of(&e)), &form.email).await,
        ),
    }
}

/// The password form.
#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    #[serde(default)]
    current_password: Option<String>,
    new_password: String,
}

/// Changes the password (other sessions end).
pub(crate) async fn password(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<PasswordForm>,
) -> Response {
    let changed = flows::change_password(
        &state,
        &signed.client,
        &signed.user,
        form.current_password.as_deref(),
        &form.new_password,
    )
    .await;
    match changed {
        Ok(()) => signed.redirect("/app/account?done=password"),
        Err(e) => or_error(
            &state,
            account_page(&state, &signed, Some(Notice::of(&e)), "").await,
        ),
    }
}

/// The delete form.
#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    csrf: String,
    confirm: String,
    #[serde(default)]
    current_password: Option<String>,
}

/// Deletes the account and what it owns, then signs this browser out.
pub(crate) async fn delete(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<DeleteForm>,
) -> Response {
    let deleted = flows::delete_account(
        &state,
        &signed.client,
        &signed.user,
        &form.confirm,
        form.current_password.as_deref(),
    )
    .await;
    match deleted {
        Ok(()) => {
            super::super::redirect_with_cookies("/login?deleted=1", &users::clear_cookies(&state))
        }
        Err(e) => or_error(
            &state,
            account_page(&state, &signed, Some(Notice::of(&e)), "").await,
        ),
    }
}
