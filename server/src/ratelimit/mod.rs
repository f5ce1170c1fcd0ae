//! Rate limiting, all of it: the `Limit` setting, an in-process GCRA (`governor`) on every write
//! endpoint, the shared GCRA row in the database on Postgres for endpoints that write to it anyway
//! (drafts, submissions) so their limits hold across server processes, and the exponential
//! backoff of failed claims. The in-process half also shields the database from floods before any
//! query runs. The pixel never waits on the database, so its limits are per process (a deployment
//! of N processes allows up to N times the configured rate).
//!
//! A new limit is a `Limit` field in [`crate::config::ProductConfig`], a [`Limiter`] in
//! [`Limiters`], and a call to [`local`] or [`shared`] in the handler.

pub(crate) mod db;

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::{Config, ProductConfig};
use crate::error::Error;
use crate::state::AppState;
use crate::store::{Actor, Dialect};

/// A configurable per-key limit: `per_minute` sustained with bursts of `burst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests allowed at once.
    pub burst: u32,
}

impl Limit {
    /// Seconds between two requests at the sustained rate (GCRA's emission interval).
    pub(crate) fn interval(&self) -> Duration {
        Duration::from_secs_f64(60.0 / f64::from(self.per_minute.max(1)))
    }

    /// Parses `per_minute[/burst]`, e.g. `60/20`.
    pub(crate) fn parse(s: &str) -> Result<Limit, String> {
        let (rate, burst) = match s.split_once('/') {
            Some((r, b)) => (r, Some(b)),
            None => (s, None),
        };
        let per_minute: u32 = rate
            .trim()
            .parse()
            .map_err(|_| format!("bad rate limit `{s}`"))?;
        let burst: u32 = match burst {
            Some(b) => b
                .trim()
                .parse()
                .map_err(|_| format!("bad rate limit burst `{s}`"))?,
            None => per_minute,
        };
        if per_minute == 0 || burst == 0 {
            return Err(format!("rate limit `{s}` must be positive"));
        }
        Ok(Limit { per_minute, burst })
    }
}

impl std::str::FromStr for Limit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Limit::parse(s)
    }
}

/// The limiter's keys hash with foldhash, seeded per process: SipHash (the default) was the larger
/// part of a pixel request's limiter cost, and the keys are addresses, ids and keyed hashes an
/// attacker cannot aim at a seed it never sees.
type Store<K> = DashMapStateStore<K, foldhash::fast::RandomState>;

/// An in-process keyed GCRA limiter. Keys are strings unless the hot path has a smaller one (the
/// pixel's client address and token id: no string to build per request).
#[derive(Debug)]
pub(crate) struct Limiter<K: Hash + Eq + Clone = String> {
    inner: RateLimiter<K, Store<K>, DefaultClock>,
    clock: DefaultClock,
    limit: Limit,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// A limiter enforcing `limit` per key.
    pub(crate) fn new(limit: Limit) -> Self {
        let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(limit.interval())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        let clock = DefaultClock::default();
        Self {
            inner: RateLimiter::new(quota, Store::default(), clock.clone()),
            clock,
            limit,
        }
    }

    /// The configured limit.
    pub(crate) fn limit(&self) -> Limit {
        self.limit
    }

    /// `Ok` when `key` may proceed, else how long until it may.
    pub(crate) fn check_key(&self, key: &K) -> Result<(), Duration> {
        // Bound memory: forget keys whose state has fully recovered, now and then.
        if self.inner.len() > 50_000 {
            self.inner.retain_recent();
        }
        self.inner
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

impl Limiter<String> {
    /// `Ok` when `key` may proceed, else how long until it may.
    pub(crate) fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_key(&key.to_owned())
    }
}

/// Exponential backoff for failed claim attempts: the first `free` failures in the window cost
/// nothing, then each further failure doubles the wait (1 s, 2 s, 4 s, …) up to `cap`.
/// Returns the time still to wait given `failures` so far and the time since the last one.
pub(crate) fn backoff(
    failures: u32,
    since_last: Duration,
    free: u32,
    cap: Duration,
) -> Option<Duration> {
    if failures < free.max(1) {
        return None;
    }
    let exp = (failures - free.max(1)).min(20);
    let wait = Duration::from_secs(1u64 << exp).min(cap);
    wait.checked_sub(since_last).filter(|d| !d.is_zero())
}

/// `Retry-After` seconds for a wait, rounded up (never 0: clients would retry immediately).
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The process's limiters, one per (endpoint, key kind).
pub(crate) struct Limiters {
    /// Keyed by token id.
    pub(crate) events_token: Limiter<uuid::Uuid>,
    /// Keyed by client address (pixel and error reports): in memory only, never stored, so no
    /// keyed hash of it to compute per beacon (the shared limits' table gets [`ip_hash`]).
    pub(crate) events_ip: Limiter<IpAddr>,
    pub(crate) submissions_token: Limiter,
    pub(crate) submissions_ip: Limiter,
    pub(crate) drafts_ip: Limiter,
    pub(crate) draft_edits_ip: Limiter,
    pub(crate) auth_ip: Limiter,
    pub(crate) auth_account_ip: Limiter,
    /// One sign-in link a minute per (address, client).
    pub(crate) magic_link_client: Limiter,
    pub(crate) config_ip: Limiter,
    pub(crate) config_token: Limiter,
}

impl Limiters {
    /// The limiters the settings ask for.
    pub(crate) fn new(p: &ProductConfig) -> Self {
        Self {
            events_token: Limiter::new(p.limit_events_token),
            events_ip: Limiter::new(p.limit_events_ip),
            submissions_token: Limiter::new(p.limit_submissions_token),
            submissions_ip: Limiter::new(p.limit_submissions_ip),
            drafts_ip: Limiter::new(p.limit_drafts_ip),
            draft_edits_ip: Limiter::new(p.limit_draft_edits_ip),
            auth_ip: Limiter::new(p.limit_auth_ip),
            auth_account_ip: Limiter::new(p.limit_auth_account_ip),
            magic_link_client: Limiter::new(Limit {
                per_minute: 1,
                burst: 1,
            }),
            config_ip: Limiter::new(p.limit_config_ip),
            config_token: Limiter::new(p.limit_config_token),
        }
    }
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

/// Checks an in-process limiter keyed by something other than a string.
pub(crate) fn local_key<K: Hash + Eq + Clone>(limiter: &Limiter<K>, key: &K) -> Result<(), Error> {
    limiter.check_key(key).map_err(too_many)
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
    let verdict = db::gcra(
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
pub(crate) fn ip_hash(config: &Config, ip: IpAddr) -> String {
    keyed_hash(config, &ip.to_string())
}

/// A keyed hash of any identifier (an address, an email) for limit keys, so the shared table
/// never holds the identifier itself.
pub(crate) fn keyed_hash(config: &Config, value: &str) -> String {
    let key = config.jwt_secret.as_deref().unwrap_or("clickeen-ip-hash");
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(value.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_allows_burst_then_limits() {
        let l = Limiter::new(Limit {
            per_minute: 60,
            burst: 3,
        });
        for _ in 0..3 {
            assert!(l.check("a").is_ok());
        }
        let wait = l.check("a").unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::ZERO,
            "{wait:?}"
        );
        // Keys are independent.
        assert!(l.check("b").is_ok());
    }

    #[test]
    fn parses_limits() {
        assert_eq!(
            Limit::parse("60/20"),
            Ok(Limit {
                per_minute: 60,
                burst: 20
            })
        );
        assert_eq!(
            Limit::parse("30"),
            Ok(Limit {
                per_minute: 30,
                burst: 30
            })
        );
        assert!(Limit::parse("0").is_err());
        assert!(Limit::parse("x/1").is_err());
    }

    #[test]
    fn backoff_grows_exponentially_and_caps() {
        let cap = Duration::from_secs(600);
        assert_eq!(backoff(2, Duration::ZERO, 3, cap), None);
        assert_eq!(
            backoff(3, Duration::ZERO, 3, cap),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            backoff(5, Duration::ZERO, 3, cap),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            backoff(5, Duration::from_secs(3), 3, cap),
            Some(Duration::from_secs(1))
        );
        assert_eq!(backoff(5, Duration::from_secs(4), 3, cap), None);
        assert_eq!(backoff(40, Duration::ZERO, 3, cap), Some(cap));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
