//! Sign-up, password sign-in and magic links: shared by the JSON API and the dashboard pages.

use time::Duration;
use uuid::Uuid;

use super::{db, normalize_email, password, random_secret, start_session, TokenPair};
use crate::{
    error::Error,
    state::AppState,
    store::{hash_secret, Actor, Ts},
    workspaces,
};

/// How long a magic link works.
pub(crate) const MAGIC_LINK_TTL: Duration = Duration::hours(1);
/// Minimum gap between two magic links for one address.
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

/// Creates the account and its first workspace (Owner), then signs in.
pub(crate) async fn signup(
    state: &AppState,
    email: &str,
    pw: &str,
    workspace: Option<&str>,
) -> Result<TokenPair, Error> {
    let email = normalize_email(email)?;
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
    let hash = password::hash(pw.to_owned()).await?;
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
    tracing::info!(%user, "signed up");
    start_session(state, user, &email).await
}

/// Signs in with email and password. Unknown email and wrong password answer the same.
pub(crate) async fn login(state: &AppState, email: &str, pw: &str) -> Result<TokenPair, Error> {
    let invalid = || Error::unauthorized("invalid email or password");
    let email = normalize_email(email).map_err(|_| invalid())?;
    if pw.len() > password::MAX_LEN {
        return Err(invalid());
    }
    let mut tx = state.db().begin(&Actor::Auth).await?;
    let user = db::find_by_email(&mut tx, &email).await?;
    tx.commit().await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = password::verify(pw.to_owned(), stored).await?;
    match user {
        Some(user) if ok => start_session(state, user.id, &user.email).await,
        _ => Err(invalid()),
    }
}

/// Sends a sign-in link. Whether the address has an account is not revealed; a second request
/// within a minute is refused with `Retry-After`.
pub(crate) async fn request_magic_link(state: &AppState, email: &str) -> Result<(), Error> {
    let email = normalize_email(email)?;
    let now = Ts::now();
    let token = random_secret();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    if let Some(last) = db::last_magic_link_at(&mut tx, &email).await? {
        let next = last.plus(MAGIC_LINK_INTERVAL);
        if next > now {
            let wait = (next.millis() - now.millis() + 999) / 1000;
            return Err(Error::RateLimited {
                retry_after_secs: u64::try_from(wait).unwrap_or(60),
            });
        }
    }
    db::insert_magic_link(
        &mut tx,
        &email,
        &hash_secret(&token),
        now,
        now.plus(MAGIC_LINK_TTL),
    )
    .await?;
    tx.commit().await?;
    let link = format!("{}/auth/magic?token={token}", state.public_url());
    let body = format!(
        "Sign in to Clickeen by opening this link within one hour:\n\n{link}\n\n\
         It works once. If you did not ask for it, ignore this message."
    );
    state
        .mailer()
        .send(state.db(), &email, "Your Clickeen sign-in link", &body)
        .await?;
    Ok(())
}

/// Burns a magic link and signs in, creating the account (and its workspace) on first use.
pub(crate) async fn verify_magic_link(state: &AppState, token: &str) -> Result<TokenPair, Error> {
    let invalid = || Error::unauthorized("this sign-in link is invalid, used or expired");
    if token.is_empty() || token.len() > 128 {
        return Err(invalid());
    }
    let now = Ts::now();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    let email = db::consume_magic_link(&mut tx, &hash_secret(token), now)
        .await?
        .ok_or_else(invalid)?;
    let user = match db::find_by_email(&mut tx, &email).await? {
        Some(user) => user.id,
        None => {
            let id = Uuid::new_v4();
            db::insert_user(&mut tx, id, &email, None, now).await?;
            workspaces::db::create(
                &mut tx,
                Uuid::new_v4(),
                &default_workspace_name(&email),
                id,
                now,
            )
            .await?;
            id
        }
    };
    // Following the link proves the address.
    db::mark_email_confirmed(&mut tx, user, now).await?;
    tx.commit().await?;
    start_session(state, user, &email).await
}
