//! Brute-force defences of every auth endpoint:
//!
//! - **Rate limits** per client IP and endpoint, and per (account, client IP) and endpoint when the
//!   request names an account (`CK_LIMIT_AUTH_IP`, `CK_LIMIT_AUTH_ACCOUNT_IP`), shared across
//!   processes on Postgres ([`ratelimit::shared`]).
//! - **Exponential backoff** on failed guesses: wrong passwords per (account, IP) and per IP, invalid
//!   sign-in links and refresh tokens per IP. No key is account-wide, so nobody can lock an owner
//!   out from elsewhere, and magic-link requests never back off: an owner can always get a link.

use std::{convert::Infallible, net::IpAddr, time::Duration};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::{
    error::Error,
    http::client_ip::ClientIp,
    ratelimit,
    state::AppState,
    store::{Actor, Ts},
};

/// How long failures count toward the backoff.
const FAILURE_WINDOW: time::Duration = time::Duration::hours(1);

/// The auth endpoints, each with its own limit buckets.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Endpoint {
    Signup,
    Login,
    Refresh,
    MagicLink,
    Verify,
    Password,
    Email,
    Logout,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Endpoint::Signup => "signup",
            Endpoint::Login => "login",
            Endpoint::Refresh => "refresh",
            Endpoint::MagicLink => "magic_link",
            Endpoint::Verify => "verify",
            Endpoint::Password => "password",
            Endpoint::Email => "email",
            Endpoint::Logout => "logout",
        }
    }
}

/// What a failure was a guess at: a password (counted per account and IP, and per IP) or a link or
/// refresh token (256-bit secrets; counted per IP).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Guess {
    Password,
    Token,
}

impl Guess {
    fn name(self) -> &'static str {
        match self {
            Guess::Password => "password",
            Guess::Token => "token",
        }
    }
}

/// The client of an auth request, known by a keyed hash of its address.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    ip: String,
}

impl Client {
    /// The client at `ip` (the proxy-aware client address, see `http::client_ip`).
    pub(crate) fn new(state: &AppState, ip: IpAddr) -> Self {
        Self {
            ip: ratelimit::ip_hash(state.config(), ip),
        }
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        Ok(Client::new(state, ip))
    }
}

/// Applies the endpoint's rate limits: per IP, and per (account, IP) when `account` is given (an
/// email or a user id).
pub(crate) async fn limit(
    state: &AppState,
    endpoint: Endpoint,
    client: &Client,
    account: Option<&str>,
) -> Result<(), Error> {
    let limiters = state.limiters();
    let name = endpoint.name();
    ratelimit::shared(
        state,
        &limiters.auth_ip,
        "auth_ip",
        &format!("{name}:{}", client.ip),
    )
    .await?;
    if let Some(account) = account {
        let account = ratelimit::keyed_hash(state.config(), account);
        ratelimit::shared(
            state,
            &limiters.auth_account_ip,
            "auth_account_ip",
            &format!("{name}:{account}:{}", client.ip),
        )
        .await?;
    }
    Ok(())
}

/// One sign-in link per minute per (address, client): the same client asking again gets 429 with
/// `Retry-After`. Keyed by client so that nobody else's requests can refuse the owner.
pub(crate) async fn link_interval(
    state: &AppState,
    client: &Client,
    email: &str,
) -> Result<(), Error> {
    let account = ratelimit::keyed_hash(state.config(), email);
    ratelimit::shared(
        state,
        &state.limiters().magic_link_client,
        "magic_link_client",
        &format!("{account}:{}", client.ip),
    )
    .await
}

/// The backoff keys of a guess, each with its free allowance.
fn keys(
    state: &AppState,
    guess: Guess,
    client: &Client,
    account: Option<&str>,
) -> Vec<(String, u32)> {
    let free = state.config().product.auth_free_failures;
    let g = guess.name();
    let mut keys = Vec::with_capacity(2);
    match (guess, account) {
        (Guess::Password, Some(account)) => {
            let account = ratelimit::keyed_hash(state.config(), account);
            keys.push((format!("{g}:acct:{account}:{}", client.ip), free));
            // One address may front many people (an office, a carrier NAT): more room per IP.
            keys.push((format!("{g}:ip:{}", client.ip), free.saturating_mul(4)));
        }
        _ => keys.push((format!("{g}:ip:{}", client.ip), free)),
    }
    keys
}

/// Refuses with 429 and `Retry-After` while a backoff from earlier failures is running.
pub(crate) async fn check_backoff(
    state: &AppState,
    guess: Guess,
    client: &Client,
    account: Option<&str>,
) -> Result<(), Error> {
    let cap = Duration::from_secs(state.config().product.auth_max_backoff_secs);
    let now = Ts::now();
    let since = now.plus(-FAILURE_WINDOW);
    let mut tx = state.db().begin(&Actor::Auth).await?;
    let mut longest: Option<Duration> = None;
    for (key, free) in keys(state, guess, client, account) {
        if let Some((failures, last_ms)) =
            super::db::failures(&mut tx, &key, since.millis()).await?
        {
            let since_last =
                Duration::from_millis(u64::try_from(now.millis() - last_ms).unwrap_or(0));
            let wait = ratelimit::backoff(
                u32::try_from(failures).unwrap_or(u32::MAX),
                since_last,
                free,
                cap,
            );
            longest = longest.max(wait);
        }
    }
    tx.commit().await?;
    match longest {
        Some(wait) => {
            metrics::counter!("ck_auth_backoff_total", "guess" => guess.name()).increment(1);
            Err(ratelimit::too_many(wait))
        }
        None => Ok(()),
    }
}

/// Counts a failed guess toward the backoff.
pub(crate) async fn record_failure(
    state: &AppState,
    guess: Guess,
    client: &Client,
    account: Option<&str>,
) -> Result<(), Error> {
    let now = Ts::now();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    for (key, _) in keys(state, guess, client, account) {
        super::db::record_failure(
            &mut tx,
            &key,
            now.millis(),
            now.plus(-FAILURE_WINDOW).millis(),
        )
        .await?;
    }
    tx.commit().await?;
    metrics::counter!("ck_auth_failures_total", "guess" => guess.name()).increment(1);
    Ok(())
}

/// Forgets the (account, IP) failures after a successful sign-in. The per-IP count stays: signing
/// in to one's own account must not reset a spray against others.
pub(crate) async fn clear_failures(
    state: &AppState,
    client: &Client,
    account: &str,
) -> Result<(), Error> {
    let mut tx = state.db().begin(&Actor::Auth).await?;
    if let Some((key, _)) = keys(state, Guess::Password, client, Some(account)).first() {
        super::db::clear_failures(&mut tx, key).await?;
    }
    tx.commit().await?;
    Ok(())
}
