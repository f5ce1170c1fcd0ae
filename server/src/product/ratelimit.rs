//! Rate limits: GCRA (`governor`) inside one process, plus the pure backoff rule for claims.
//!
//! Cross-process limits on Postgres use a GCRA in SQL over a shared table (see
//! `store` code in `http::limits`); this module holds the in-process half, which also shields the
//! database from floods before any query runs.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

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

/// An in-process keyed GCRA limiter.
#[derive(Debug)]
pub(crate) struct Limiter {
    inner: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    limit: Limit,
}

impl Limiter {
    /// A limiter enforcing `limit` per key.
    pub(crate) fn new(limit: Limit) -> Self {
        let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(limit.interval())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            inner: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            limit,
        }
    }

    /// The configured limit.
    pub(crate) fn limit(&self) -> Limit {
        self.limit
    }

    /// `Ok` when `key` may proceed, else how long until it may.
    pub(crate) fn check(&self, key: &str) -> Result<(), Duration> {
        // Bound memory: forget keys whose state has fully recovered, now and then.
        if self.inner.len() > 50_000 {
            self.inner.retain_recent();
        }
        self.inner
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
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
