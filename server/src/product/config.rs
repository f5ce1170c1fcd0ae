//! Settings of the product endpoints (flattened into the server's `Config`).

use crate::product::ratelimit::Limit;

/// Limits, cache times and intervals of tokens, drafts, usage and intake endpoints.
#[derive(Clone, Debug, clap::Args)]
pub struct ProductConfig {
    /// How long a token verification is cached per process (ms). A revoked token stops working
    /// on every process within this time.
    #[arg(long, env = "CK_TOKEN_CACHE_TTL_MS", default_value_t = 5_000)]
    pub token_cache_ttl_ms: u64,
    /// How long an unclaimed draft lives (seconds).
    #[arg(long, env = "CK_DRAFT_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub draft_ttl_secs: i64,
    /// Usage counters are written at least this often (ms); a hard crash loses at most this much.
    #[arg(long, env = "CK_USAGE_FLUSH_MS", default_value_t = 5_000)]
    pub usage_flush_ms: u64,
    /// Usage counters are written early once this many distinct keys are pending.
    #[arg(long, env = "CK_USAGE_FLUSH_KEYS", default_value_t = 1_000)]
    pub usage_flush_keys: usize,
    /// Usage pixel: per embed token, `per_minute/burst`.
    #[arg(long, env = "CK_LIMIT_EVENTS_TOKEN", default_value = "6000/1000")]
    pub limit_events_token: Limit,
    /// Usage pixel and error intake: per client IP.
    #[arg(long, env = "CK_LIMIT_EVENTS_IP", default_value = "600/120")]
    pub limit_events_ip: Limit,
    /// Form submissions: per embed token (shared across processes on Postgres).
    #[arg(long, env = "CK_LIMIT_SUBMISSIONS_TOKEN", default_value = "120/30")]
    pub limit_submissions_token: Limit,
    /// Form submissions: per client IP.
    #[arg(long, env = "CK_LIMIT_SUBMISSIONS_IP", default_value = "20/10")]
    pub limit_submissions_ip: Limit,
    /// Anonymous drafts: per client IP (shared across processes on Postgres).
    #[arg(long, env = "CK_LIMIT_DRAFTS_IP", default_value = "10/5")]
    pub limit_drafts_ip: Limit,
    /// Failed claim attempts allowed (per user and per IP, last hour) before backoff starts.
    #[arg(long, env = "CK_CLAIM_FREE_FAILURES", default_value_t = 5)]
    pub claim_free_failures: u32,
    /// Longest claim backoff (seconds).
    #[arg(long, env = "CK_CLAIM_MAX_BACKOFF_SECS", default_value_t = 900)]
    pub claim_max_backoff_secs: u64,
    /// Fraction of client error reports that are logged (all are counted in metrics).
    #[arg(long, env = "CK_ERROR_SAMPLE_RATE", default_value_t = 0.1)]
    pub error_sample_rate: f64,
}

impl Default for ProductConfig {
    fn default() -> Self {
        let limit = |s: &str| {
            Limit::parse(s).unwrap_or(Limit {
                per_minute: 60,
                burst: 10,
            })
        };
        Self {
            token_cache_ttl_ms: 5_000,
            draft_ttl_secs: 7 * 24 * 3600,
            usage_flush_ms: 5_000,
            usage_flush_keys: 1_000,
            limit_events_token: limit("6000/1000"),
            limit_events_ip: limit("600/120"),
            limit_submissions_token: limit("120/30"),
            limit_submissions_ip: limit("20/10"),
            limit_drafts_ip: limit("10/5"),
            claim_free_failures: 5,
            claim_max_backoff_secs: 900,
            error_sample_rate: 0.1,
        }
    }
}
