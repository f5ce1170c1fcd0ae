//! Rate-limit wiring: in-process GCRA (`governor`) on every write endpoint, plus the shared GCRA
//! row in the database on Postgres for endpoints that write to it anyway (drafts, submissions), so
//! their limits hold across server processes. The pixel never waits on the database, so its limits
//! are per process (a deployment of N processes allows up to N times the configured rate).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::Error;
use crate::product::ratelimit::{retry_after_secs, Limit, Limiter};
use crate::state::AppState;
use crate::store::{Actor, Dialect};

/// The process's limiters, one per (endpoint, key kind).
pub(crate) struct Limiters {
    pub(crate) events_token: Limiter,
    pub(crate) events_ip: Limiter,
    pub(crate) submissions_token: Limiter,
    pub(crate) submissions_ip: Limiter,
    pub(crate) drafts_ip: Limiter,
}

/// The limiters of this process.
pub(crate) fn limiters(state: &AppState) -> Arc<Limiters> {
    state.extension_or_insert_with(|| {
        let p = &state.config().product;
        Limiters {
            events_token: Limiter::new(p.limit_events_token),
            events_ip: Limiter::new(p.limit_events_ip),
            submissions_token: Limiter::new(p.limit_submissions_token),
            submissions_ip: Limiter::new(p.limit_submissions_ip),
            drafts_ip: Limiter::new(p.limit_drafts_ip),
        }
    })
}

/// 429 with `Retry-After` for a wait.
pub(crate) fn too_many(wait: Duration) -> Error {
    metrics::counter!("ck_rate_limited_total").increment(1);
    Error::RateLimited {
        retry_after_secs: retry_after_secs(wait),
    }
}

/// Checks an in-process limiter.
pub(crate) fn local(limiter: &Limiter, key: &str) -> Result<(), Error> {
    limiter.check(key).map_err(too_many)
}

/// Checks the in-process limiter, then (on Postgres) the shared one under `bucket:key`.
pub(crate) async fn shared(
    state: &AppState,
    limiter: &Limiter,
    bucket: &str,
    key: &str,
) -> Result<(), Error> {
    local(limiter, key)?;
    if state.db().dialect() != Dialect::Postgres {
        return Ok(());
    }
    let limit: Limit = limiter.limit();
    let interval_ms = i64::try_from(limit.interval().as_millis())
        .unwrap_or(i64::MAX)
        .max(1);
    let mut tx = state.db().begin(&Actor::System).await?;
    let verdict = crate::product::db::gcra(
        &mut tx,
        &format!("{bucket}:{key}"),
        now_ms(),
        interval_ms,
        i64::from(limit.burst),
    )
    .await?;
    tx.commit().await?;
    verdict.map_err(|wait_ms| too_many(Duration::from_millis(u64::try_from(wait_ms).unwrap_or(1))))
}

/// Unix milliseconds now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A keyed hash of a client address: lets limits and the claim audit group by IP without storing it.
pub(crate) fn ip_hash(state: &AppState, ip: IpAddr) -> String {
    let key = state
        .config()
        .jwt_secret
        .as_deref()
        .unwrap_or("clickeen-ip-hash");
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(ip.to_string().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}
