//! Users: accounts, sign-up and sign-in flows (passwords, magic links), sessions as Supabase-shaped
//! JWTs, single-use refresh tokens, auth mail, cookies and CSRF. The JSON API is in [`http`]; the
//! dashboard's HTML forms (`dashboard`) call the same [`flows`].
//!
//! Tables: `users`, `sessions`, `refresh_tokens`, `magic_links`, `outbox` (actor `Auth`).

pub(crate) mod csrf;
pub(crate) mod db;
pub(crate) mod flows;
pub(crate) mod guard;
pub(crate) mod http;
pub(crate) mod jwt;
pub(crate) mod mail;
pub(crate) mod password;

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap, Method},
};
use base64::Engine as _;
use rand::RngCore as _;
use serde::Serialize;
use time::Duration;
use uuid::Uuid;

use crate::{
    error::Error,
    state::AppState,
    store::{hash_secret, Actor, Ts},
};

/// Cookie holding the access token for the dashboard.
pub(crate) const ACCESS_COOKIE: &str = "ck_access";
/// Cookie holding the refresh token for the dashboard.
pub(crate) const REFRESH_COOKIE: &str = "ck_refresh";

/// A new random secret: 256 bits, base64url without padding.
pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Lower-cased, trimmed email if it looks like one (full validation is the mail server's job).
pub(crate) fn normalize_email(raw: &str) -> Result<String, Error> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(Error::bad_request(
            "invalid_email",
            "a valid email address is required",
        ))
    }
}

/// Tokens handed to a client after sign-in, shaped like Supabase's token response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct TokenPair {
    pub(crate) access_token: String,
    pub(crate) token_type: &'static str,
    pub(crate) expires_in: i64,
    pub(crate) expires_at: i64,
    pub(crate) refresh_token: String,
    pub(crate) user: SessionUser,
}

/// The signed-in user in a token response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SessionUser {
    pub(crate) id: Uuid,
    pub(crate) email: String,
}

/// Starts a session for `user`: session row, single-use refresh token, access JWT.
pub(crate) async fn start_session(
    state: &AppState,
    user: Uuid,
    email: &str,
) -> Result<TokenPair, Error> {
    let config = state.config();
    let now = Ts::now();
    let session = Uuid::new_v4();
    let refresh = random_secret();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    db::insert_session(
        &mut tx,
        session,
        user,
        now,
        now.plus(Duration::seconds(config.session_ttl_secs)),
    )
    .await?;
    db::insert_refresh_token(
        &mut tx,
        session,
        &hash_secret(&refresh),
        now,
        now.plus(Duration::seconds(config.session_ttl_secs)),
    )
    .await?;
    tx.commit().await?;
    token_pair(state, user, email, session, refresh)
}

fn token_pair(
    state: &AppState,
    user: Uuid,
    email: &str,
    session: Uuid,
    refresh: String,
) -> Result<TokenPair, Error> {
    let ttl = state.config().access_token_ttl_secs;
    let (access_token, claims) = state.jwt().issue(user, email, session, ttl)?;
    Ok(TokenPair {
        access_token,
        token_type: "bearer",
        expires_in: ttl,
        expires_at: claims.exp,
        refresh_token: refresh,
        user: SessionUser {
            id: user,
            email: email.to_owned(),
        },
    })
}

/// Trades a refresh token for a new pair. The next token is derived from the presented one under
/// the server secret, so two tabs presenting the same token at once both get the same new token: a
/// second use within `CK_REFRESH_REUSE_GRACE_SECS`, while that new token is still unused, is that
/// race. Any other second use revokes the session (whoever holds the copy loses it too).
pub(crate) async fn refresh_session(
    state: &AppState,
    client: &guard::Client,
    refresh: &str,
) -> Result<TokenPair, Error> {
    guard::limit(state, guard::Endpoint::Refresh, client, None).await?;
    guard::check_backoff(state, guard::Guess::Token, client, None).await?;
    let now = Ts::now();
    let next = state.jwt().derive("refresh", refresh);
    let mut tx = state.db().begin(&Actor::Auth).await?;
    match db::use_refresh_token(&mut tx, &hash_secret(refresh), now).await? {
        db::RefreshUse::Fresh {
            session,
            user,
            email,
        } => {
            let expires = now.plus(Duration::seconds(state.config().session_ttl_secs));
            db::insert_refresh_token(&mut tx, session, &hash_secret(&next), now, expires).await?;
            tx.commit().await?;
            token_pair(state, user, &email, session, next)
        }
        db::RefreshUse::Reused { session, used_at } => {
            let grace = Duration::seconds(state.config().product.refresh_reuse_grace_secs);
            if used_at.plus(grace) >= now {
                if let Some((user, email)) =
                    db::live_refresh_token(&mut tx, &hash_secret(&next), now).await?
                {
                    tx.commit().await?;
                    return token_pair(state, user, &email, session, next);
                }
            }
            db::revoke_session(&mut tx, session, now).await?;
            tx.commit().await?;
            tracing::warn!(%session, "refresh token reused; session revoked");
            Err(Error::unauthorized("refresh token already used"))
        }
        db::RefreshUse::Invalid => {
            drop(tx);
            guard::record_failure(state, guard::Guess::Token, client, None).await?;
            Err(Error::unauthorized("invalid or expired refresh token"))
        }
    }
}

/// Which sessions a sign-out ends (Supabase's `scope`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SignOutScope {
    /// This session.
    #[default]
    Local,
    /// Every session of the account, this one included ("sign out everywhere").
    Global,
    /// Every other session.
    Others,
}

/// Ends the caller's sessions as `scope` says.
pub(crate) async fn sign_out(
    state: &AppState,
    user: &AuthUser,
    scope: SignOutScope,
) -> Result<(), Error> {
    let now = Ts::now();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    match (scope, user.session_id) {
        (SignOutScope::Local, Some(session)) => db::revoke_session(&mut tx, session, now).await?,
        (SignOutScope::Local, None) => {}
        (SignOutScope::Global, _) => {
            db::revoke_user_sessions(&mut tx, user.id, None, now).await?;
        }
        (SignOutScope::Others, keep) => {
            db::revoke_user_sessions(&mut tx, user.id, keep, now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes expired outbox mail, magic links and failure counts every minute.
pub(crate) fn start_sweeper(state: &AppState) {
    state.every(std::time::Duration::from_secs(60), |state| async move {
        let sweep = async {
            let mut tx = state.db().begin(&Actor::Auth).await?;
            let purged = db::purge_expired(&mut tx, Ts::now()).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(purged)
        };
        if let Err(e) = sweep.await {
            tracing::warn!(error = %e, "purging expired auth rows failed");
        }
    });
}

/// A signed-in caller, from `Authorization: Bearer …` or the dashboard cookie.
#[derive(Clone, Debug)]
pub(crate) struct AuthUser {
    pub(crate) id: Uuid,
    pub(crate) email: Option<String>,
    pub(crate) session_id: Option<Uuid>,
    /// The verified claim set, handed to Postgres as `request.jwt.claims`.
    pub(crate) claims: serde_json::Value,
}

impl AuthUser {
    /// Makes sure this user has a row before a write refers to it: a Supabase-issued token may
    /// name a user this server has never seen, whose row is created on the first write. A token
    /// without an `email` claim for an unknown user cannot get one: 403 `unknown_account`.
    pub(crate) async fn ensure_row(&self, state: &AppState) -> Result<(), Error> {
        let mut tx = state.db().begin(&Actor::Auth).await?;
        match self.email.as_deref() {
            Some(email) => db::ensure_user(&mut tx, self.id, email, Ts::now()).await?,
            None if db::find_by_id(&mut tx, self.id).await?.is_none() => {
                return Err(Error::client(
                    axum::http::StatusCode::FORBIDDEN,
                    "unknown_account",
                    "this account is not known here: the token names no email to create it with",
                ))
            }
            None => {}
        }
        tx.commit().await?;
        Ok(())
    }

    /// The store actor for this user.
    pub(crate) fn actor(&self) -> Actor {
        Actor::User {
            claims: self.claims.clone(),
        }
    }
}

/// Reads a cookie value by name.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Verifies a bearer token and checks that its session (when this server issued it) is live.
pub(crate) async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, Error> {
    let (claims, raw) = state
        .jwt()
        .verify(token)
        .map_err(|_| Error::unauthorized("invalid or expired access token"))?;
    if let Some(session) = claims.session_id {
        let mut tx = state.db().begin(&Actor::Auth).await?;
        let active = db::session_active(&mut tx, session, Ts::now()).await?;
        tx.commit().await?;
        // None: a session some other issuer (a Supabase project sharing the secret) created; our
        // own tokens without a session row belong to a deleted account.
        let ours = claims.iss.as_deref() == Some(jwt::ISSUER);
        if active == Some(false) || (active.is_none() && ours) {
            return Err(Error::unauthorized("session has ended"));
        }
    }
    Ok(AuthUser {
        id: claims.sub,
        email: claims.email,
        session_id: claims.session_id,
        claims: raw,
    })
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .ok_or_else(|| Error::unauthorized("expected Authorization: Bearer <token>"))?;
            return authenticate(state, token.trim()).await;
        }
        let token = cookie(&parts.headers, ACCESS_COOKIE)
            .ok_or_else(|| Error::unauthorized("sign in required"))?;
        // Cookies ride along on cross-site requests; state-changing calls authenticated by cookie
        // must come from our own pages.
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            csrf::check_same_origin(&parts.headers, state.config())?;
        }
        authenticate(state, token).await
    }
}

/// `Set-Cookie` values for a signed-in dashboard.
pub(crate) fn session_cookies(state: &AppState, pair: &TokenPair) -> [String; 2] {
    let secure = if state.config().is_https() {
        "; Secure"
    } else {
        ""
    };
    [
        format!(
            "{ACCESS_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            pair.access_token, pair.expires_in
        ),
        format!(
            "{REFRESH_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            pair.refresh_token,
            state.config().session_ttl_secs
        ),
    ]
}

/// `Set-Cookie` values that sign the dashboard out.
pub(crate) fn clear_cookies(state: &AppState) -> [String; 2] {
    let secure = if state.config().is_https() {
        "; Secure"
    } else {
        ""
    };
    [
        format!("{ACCESS_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
        format!("{REFRESH_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email("  Ann@Example.COM ").expect("valid"),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@localhost",
            "a b@example.com",
            "ann@.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_have_256_bits() {
        let s = random_secret();
        assert_eq!(s.len(), 43);
        assert_ne!(s, random_secret());
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; ck_access=tok; b=2".parse().expect("header"),
        );
        assert_eq!(cookie(&h, ACCESS_COOKIE), Some("tok"));
        assert_eq!(cookie(&h, "zz"), None);
    }
}
