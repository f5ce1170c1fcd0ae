//! Sign-up, password sign-in, magic links, password and email change: shared by the JSON API and
//! the dashboard pages. Every flow starts with the brute-force guard ([`guard`]).
//!
//! Proof of email: a password sign-up creates an unconfirmed account and mails a confirmation link;
//! password sign-in needs a confirmed address. Whoever proves the address first by a sign-in link
//! owns the account: an unconfirmed password (set by someone who could not prove the address) is
//! dropped and every other session revoked.

use time::Duration;
use uuid::Uuid;

use super::{
    db::{self, Purpose},
    guard::{self, Client, Endpoint, Guess},
    normalize_email, password, random_secret, start_session, AuthUser, SessionUser, TokenPair,
};
use crate::{
    error::Error,
    state::AppState,
    store::{hash_secret, Actor, Ts},
    workspaces,
};

/// How long a magic link works.
pub(crate) const MAGIC_LINK_TTL: Duration = Duration::hours(1);
/// Minimum gap between two sign-in links for one address.
pub(crate) const MAGIC_LINK_INTERVAL: Duration = Duration::seconds(60);

fn check_password(pw: &str) -> Result<(), Error> {
    let len = pw.chars().count();
    if len < password::MIN_LEN {
        return Err(Error::bad_request(
            "weak_password",
            format!(
                "password must have at least {} characters",
                password::MIN_LEN
            ),
        ));
    }
    if pw.len() > password::MAX_LEN {
        return Err(Error::bad_request(
            "invalid_password",
            "password is too long",
        ));
    }
    Ok(())
}

fn default_workspace_name(email: &str) -> String {
    let local = email.split('@').next().unwrap_or("My");
    let mut name: String = local.chars().take(60).collect();
    name.push_str("'s workspace");
    name
}

/// Stores a single-use link for `purpose` and mails it to `email`.
async fn send_link(
    state: &AppState,
    email: &str,
    purpose: Purpose,
    user: Option<Uuid>,
) -> Result<(), Error> {
    let now = Ts::now();
    let expires = now.plus(MAGIC_LINK_TTL);
    let token = random_secret();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    db::insert_magic_link(
        &mut tx,
        email,
        purpose,
        user,
        &hash_secret(&token),
        now,
        expires,
    )
    .await?;
    tx.commit().await?;
    let link = format!("{}/auth/magic?token={token}", state.public_url());
    let (subject, body) = match purpose {
        Purpose::Signin => (
            "Your Clickeen sign-in link",
            format!(
                "Sign in to Clickeen by opening this link within one hour:\n\n{link}\n\n\
                 It works once. If you did not ask for it, ignore this message."
            ),
        ),
        Purpose::Signup => (
            "Confirm your Clickeen account",
            format!(
                "Confirm your email address to finish creating your Clickeen account:\n\n{link}\n\n\
                 The link works once, within one hour. If you did not sign up, ignore this message: \
                 nobody can use the account until the address is confirmed."
            ),
        ),
        Purpose::EmailChange => (
            "Confirm your new Clickeen email address",
            format!(
                "Open this link within one hour to make this your Clickeen sign-in address:\n\n\
                 {link}\n\nIt works once and signs out every other session. If you did not ask \
                 for it, ignore this message."
            ),
        ),
    };
    state
        .mailer()
        .send(state.db(), email, subject, &body, expires)
        .await?;
    Ok(())
}

/// Creates an unconfirmed account and its first workspace (Owner) and mails a confirmation link.
/// No session: the account works once the address is proven.
pub(crate) async fn signup(
    state: &AppState,
    client: &Client,
    email: &str,
    pw: &str,
    workspace: Option<&str>,
) -> Result<SessionUser, Error> {
    let email = normalize_email(email)?;
    guard::limit(state, Endpoint::Signup, client, Some(&email)).await?;
    check_password(pw)?;
    let name = match workspace.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) if n.chars().count() > 120 => {
            return Err(Error::bad_request(
                "invalid_workspace_name",
                "workspace name is longer than 120 characters",
            ))
        }
        Some(n) => n.to_owned(),
        None => default_workspace_name(&email),
    };
    let hash = state.hasher().hash(pw.to_owned()).await?;
    let user = Uuid::new_v4();
    let now = Ts::now();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    if !db::insert_user(&mut tx, user, &email, Some(&hash), now).await? {
        return Err(Error::conflict(
            "email_taken",
            "an account with this email already exists",
        ));
    }
    workspaces::db::create(&mut tx, Uuid::new_v4(), &name, user, now).await?;
    tx.commit().await?;
    tracing::info!(%user, "signed up; confirmation mailed");
    send_link(state, &email, Purpose::Signup, Some(user)).await?;
    Ok(SessionUser { id: user, email })
}

/// Signs in with email and password. Unknown email and wrong password answer the same; a right
/// password on an unconfirmed address answers `email_not_confirmed`.
pub(crate) async fn login(
    state: &AppState,
    client: &Client,
    email: &str,
    pw: &str,
) -> Result<TokenPair, Error> {
    let invalid = || Error::unauthorized("invalid email or password");
    let email = normalize_email(email).map_err(|_| invalid())?;
    guard::limit(state, Endpoint::Login, client, Some(&email)).await?;
    guard::check_backoff(state, Guess::Password, client, Some(&email)).await?;
    if pw.len() > password::MAX_LEN {
        return Err(invalid());
    }
    let mut tx = state.db().begin(&Actor::Auth).await?;
    let user = db::find_by_email(&mut tx, &email).await?;
    tx.commit().await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = state.hasher().verify(pw.to_owned(), stored).await?;
    match user {
        Some(user) if ok => {
            guard::clear_failures(state, client, &email).await?;
            if user.email_confirmed_at.is_none() {
                return Err(Error::client(
                    axum::http::StatusCode::FORBIDDEN,
                    "email_not_confirmed",
                    "confirm your email address first: open the link we sent, or ask for a sign-in link",
                ));
            }
            start_session(state, user.id, &user.email).await
        }
        _ => {
            guard::record_failure(state, Guess::Password, client, Some(&email)).await?;
            Err(invalid())
        }
    }
}

/// Sends a sign-in link. Whether the address has an account is not revealed. The same client asking
/// again within a minute is refused with `Retry-After`; another client asking within a minute of
/// the last link gets the same answer but no new mail (the fresh link is in the inbox), so nobody
/// can stop an owner from getting a link, nor fill their inbox.
pub(crate) async fn request_magic_link(
    state: &AppState,
    client: &Client,
    email: &str,
) -> Result<(), Error> {
    let email = normalize_email(email)?;
    guard::limit(state, Endpoint::MagicLink, client, Some(&email)).await?;
    guard::link_interval(state, client, &email).await?;
    let now = Ts::now();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    let last = db::last_magic_link_at(&mut tx, &email).await?;
    tx.commit().await?;
    if last.is_some_and(|last| last.plus(MAGIC_LINK_INTERVAL) > now) {
        return Ok(());
    }
    send_link(state, &email, Purpose::Signin, None).await
}

/// Burns a magic link and signs in. A sign-in link creates the account (and its workspace) on first
/// use; on an unconfirmed account it drops the unproven password and revokes every session. A
/// sign-up link confirms the password account. An email-change link moves the account to the new
/// address and revokes every session. Either way the follower gets a new session.
pub(crate) async fn verify_magic_link(
    state: &AppState,
    client: &Client,
    token: &str,
) -> Result<TokenPair, Error> {
    let invalid = || Error::unauthorized("this sign-in link is invalid, used or expired");
    guard::limit(state, Endpoint::Verify, client, None).await?;
    guard::check_backoff(state, Guess::Token, client, None).await?;
    if token.is_empty() || token.len() > 128 {
        guard::record_failure(state, Guess::Token, client, None).await?;
        return Err(invalid());
    }
    let now = Ts::now();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    let Some(link) = db::consume_magic_link(&mut tx, &hash_secret(token), now).await? else {
        drop(tx);
        guard::record_failure(state, Guess::Token, client, None).await?;
        return Err(invalid());
    };
    let (user, email) = match link.purpose {
        Purpose::Signin => match db::find_by_email(&mut tx, &link.email).await? {
            Some(user) => {
                if user.email_confirmed_at.is_none() {
                    // First proof of the address: whatever was set before it is not the owner's.
                    db::set_password(&mut tx, user.id, None, now).await?;
                    let revoked = db::revoke_user_sessions(&mut tx, user.id, None, now).await?;
                    tracing::info!(user = %user.id, revoked, "address proven by sign-in link; unconfirmed password dropped");
                }
                (user.id, user.email)
            }
            None => {
                let id = Uuid::new_v4();
                db::insert_user(&mut tx, id, &link.email, None, now).await?;
                workspaces::db::create(
                    &mut tx,
                    Uuid::new_v4(),
                    &default_workspace_name(&link.email),
                    id,
                    now,
                )
                .await?;
                (id, link.email)
            }
        },
        Purpose::Signup => {
            let user = match link.user {
                Some(id) => db::find_by_id(&mut tx, id).await?,
                None => None,
            }
            .filter(|u| u.email == link.email)
            .ok_or_else(invalid)?;
            if user.email_confirmed_at.is_none() {
                db::revoke_user_sessions(&mut tx, user.id, None, now).await?;
            }
            (user.id, user.email)
        }
        Purpose::EmailChange => {
            let id = link.user.ok_or_else(invalid)?;
            if !db::change_email(&mut tx, id, &link.email, now).await? {
                return Err(Error::conflict(
                    "email_taken",
                    "another account uses this email address",
                ));
            }
            db::revoke_user_sessions(&mut tx, id, None, now).await?;
            tracing::info!(user = %id, "email address changed; sessions revoked");
            (id, link.email)
        }
    };
    // Following the link proves the address.
    db::mark_email_confirmed(&mut tx, user, now).await?;
    tx.commit().await?;
    start_session(state, user, &email).await
}

/// Changes the caller's password (the current one is required when the account has one) and
/// revokes every other session.
pub(crate) async fn change_password(
    state: &AppState,
    client: &Client,
    caller: &AuthUser,
    current: Option<&str>,
    new: &str,
) -> Result<(), Error> {
    let account = caller.id.to_string();
    guard::limit(state, Endpoint::Password, client, Some(&account)).await?;
    guard::check_backoff(state, Guess::Password, client, Some(&account)).await?;
    check_password(new)?;
    let user = check_current_password(state, client, caller, current).await?;
    let hash = state.hasher().hash(new.to_owned()).await?;
    let now = Ts::now();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    db::set_password(&mut tx, user.id, Some(&hash), now).await?;
    let revoked = db::revoke_user_sessions(&mut tx, user.id, caller.session_id, now).await?;
    tx.commit().await?;
    tracing::info!(user = %user.id, revoked, "password changed; other sessions revoked");
    Ok(())
}

/// The caller's account, once `current` is its password (any value when it has none); a wrong
/// one counts toward the backoff (403 `wrong_password`).
async fn check_current_password(
    state: &AppState,
    client: &Client,
    caller: &AuthUser,
    current: Option<&str>,
) -> Result<db::UserRow, Error> {
    let account = caller.id.to_string();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    let user = db::find_by_id(&mut tx, caller.id)
        .await?
        .ok_or_else(|| Error::not_found("account"))?;
    tx.commit().await?;
    if let Some(stored) = user.password_hash.clone() {
        let given = current.unwrap_or_default();
        let ok = given.len() <= password::MAX_LEN
            && state
                .hasher()
                .verify(given.to_owned(), Some(stored))
                .await?;
        if !ok {
            guard::record_failure(state, Guess::Password, client, Some(&account)).await?;
            return Err(Error::client(
                axum::http::StatusCode::FORBIDDEN,
                "wrong_password",
                "the current password is not right",
            ));
        }
    }
    Ok(user)
}

/// Deletes the caller's account once `confirm` is its email address (and `current` its password,
/// when it has one): first every workspace it owns, with their widgets, embed tokens (refused from
/// then on), usage and visitors' submissions, then the account with its sessions.
pub(crate) async fn delete_account(
    state: &AppState,
    client: &Client,
    caller: &AuthUser,
    confirm: &str,
    current: Option<&str>,
) -> Result<(), Error> {
    let account = caller.id.to_string();
    guard::limit(state, Endpoint::Password, client, Some(&account)).await?;
    guard::check_backoff(state, Guess::Password, client, Some(&account)).await?;
    let user = check_current_password(state, client, caller, current).await?;
    crate::workspaces::check_confirmation(
        &confirm.trim().to_lowercase(),
        &user.email,
        "account's email address",
    )?;
    // The workspaces go first, as the user (RLS: owners only); a failure after this leaves an
    // account without workspaces, which a retry deletes.
    let mut tx = state.db().begin(&caller.actor()).await?;
    let mut tokens = Vec::new();
    for ws in crate::workspaces::db::owned_or_created(&mut tx, caller.id).await? {
        tokens.extend(crate::workspaces::delete_owned(&mut tx, caller, ws).await?);
    }
    tx.commit().await?;
    crate::workspaces::forget_tokens(state, &tokens);
    let mut tx = state.db().begin(&Actor::Auth).await?;
    db::delete_user(&mut tx, caller.id).await?;
    tx.commit().await?;
    tracing::info!(user = %caller.id, workspaces_tokens = tokens.len(), "account deleted");
    Ok(())
}

/// Mails a link to `new_email` that moves the caller's account there.
pub(crate) async fn request_email_change(
    state: &AppState,
    client: &Client,
    caller: &AuthUser,
    new_email: &str,
) -> Result<(), Error> {
    let account = caller.id.to_string();
    guard::limit(state, Endpoint::Email, client, Some(&account)).await?;
    let email = normalize_email(new_email)?;
    let mut tx = state.db().begin(&Actor::Auth).await?;
    let me = db::find_by_id(&mut tx, caller.id)
        .await?
        .ok_or_else(|| Error::not_found("account"))?;
    let taken = db::find_by_email(&mut tx, &email).await?;
    tx.commit().await?;
    if me.email == email {
        return Err(Error::bad_request(
            "same_email",
            "this is already the account's address",
        ));
    }
    if taken.is_some() {
        return Err(Error::conflict(
            "email_taken",
            "another account uses this email address",
        ));
    }
    send_link(state, &email, Purpose::EmailChange, Some(caller.id)).await
}
