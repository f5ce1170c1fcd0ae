//! Server configuration from flags and environment variables (`clap` with `env`).

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
};

use crate::http::client_ip::{Cidr, ClientIpHeader};
use crate::ratelimit::Limit;

/// Which deployment this is; reported by `/api/healthz` and used to pick safe defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Env {
    /// A developer's machine: generated JWT secret allowed, mail goes to the log and outbox.
    Development,
    /// A preview deployment.
    Preview,
    /// Production: a JWT secret must be configured.
    Production,
}

impl Env {
    /// The name `/api/healthz` reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Env::Development => "development",
            Env::Preview => "preview",
            Env::Production => "production",
        }
    }
}

/// Everything the server needs to start. Every field has a flag and an environment variable;
/// [`Config::default`] gives the documented defaults without reading the environment.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CK_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, short, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// `sqlite://path/file.sqlite` (default, created on start) or `postgres://owner@host/db`.
    /// On Postgres this connection applies migrations.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/clickeen.sqlite"
    )]
    pub database_url: String,
    /// Postgres only: the URL the server serves requests with, normally the NOINHERIT login role
    /// `ck_app` (e.g. `postgres://ck_app:…@host/db`). Defaults to `database_url`.
    #[arg(long, env = "DATABASE_APP_URL")]
    pub database_app_url: Option<String>,
    /// How long startup keeps retrying an unreachable Postgres (each failure logged with its cause).
    #[arg(long, env = "DATABASE_CONNECT_RETRY_SECS", default_value_t = 10)]
    pub database_connect_retry_secs: u64,
    /// Postgres pool size per server process.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,
    /// Folder with `embed/v{semver}/…` produced by `cargo xtask dist`.
    #[arg(long, env = "CK_DIST_DIR", default_value = "dist")]
    pub dist_dir: PathBuf,
    /// Test pages of the embed, served at `/dev/` (development and preview only).
    #[arg(long, env = "CK_EXAMPLES_DIR", default_value = "examples/pages")]
    pub examples_dir: PathBuf,
    /// Port of the demo sites (WordPress, Shopify-like, landing page, SPA, strict CSP), a second
    /// origin so the embed runs cross-origin as on a real site. Off when unset; never in
    /// production. `cargo xtask run` sets it to the server's port + 1.
    #[arg(long, env = "CK_SITES_PORT")]
    pub sites_port: Option<u16>,
    /// The demo sites' pages (`<site>/index.html` and their assets).
    #[arg(long, env = "CK_SITES_DIR", default_value = "examples/sites")]
    pub sites_dir: PathBuf,
    /// Third-party stylesheets the demo sites link, fetched by `cargo xtask setup` (the WordPress
    /// block library's CSS under `wordpress/`).
    #[arg(long, env = "CK_SITES_VENDOR_DIR", default_value = "target/js-tools")]
    pub sites_vendor_dir: PathBuf,
    /// Where the demo sites run once bound (`http://host:port`); set by `spawn`, not configurable.
    #[arg(skip)]
    pub sites_url: Option<String>,
    /// Deployment environment.
    #[arg(
        long = "env",
        env = "APP_ENV",
        value_enum,
        default_value = "development"
    )]
    pub env: Env,
    /// Git commit the build came from (short sha); `unknown` when unset.
    #[arg(long, env = "GIT_SHA")]
    pub git_sha: Option<String>,
    /// HS256 secret for session JWTs; the same secret as a Supabase project makes its tokens valid
    /// here. Generated per process (and warned about) in development when unset.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Expected `aud` claim.
    #[arg(long, env = "JWT_AUDIENCE", default_value = "authenticated")]
    pub jwt_audience: String,
    /// Access token lifetime in seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL_SECS", default_value_t = 3600)]
    pub access_token_ttl_secs: i64,
    /// Session (refresh token) lifetime in seconds.
    #[arg(long, env = "SESSION_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    pub session_ttl_secs: i64,
    /// Public base URL (e.g. `https://app.example.com`) used in magic links; cookies are `Secure` when
    /// it is https. Defaults to `http://{host}:{port}`; production requires an https URL.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
    /// `smtp://user:pass@host:587` (STARTTLS) or `smtps://…:465`. Required in production. Unset
    /// (development, preview): mail goes to the `outbox` table, readable on `/dev/mail` in
    /// development, until its link expires; it is never logged.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of auth mail.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "Clickeen <no-reply@clickeen.localhost>"
    )]
    pub mail_from: String,
    /// Largest request body accepted anywhere, in bytes (routes may set lower limits).
    #[arg(long, env = "CK_BODY_LIMIT", default_value_t = 64 * 1024)]
    pub body_limit: usize,
    /// Seconds a client has to send a request line and its headers; also how long an idle
    /// keep-alive connection stays open. Slower clients are disconnected.
    #[arg(long, env = "CK_HEADER_TIMEOUT_SECS", default_value_t = 15)]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a whole request body once its headers arrived; slower bodies
    /// are answered 408 and the connection is closed.
    #[arg(long, env = "CK_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub body_timeout_secs: u64,
    /// Connections served at once; further ones wait in the listen backlog until one closes.
    #[arg(long, env = "CK_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Seconds graceful shutdown waits for in-flight requests.
    #[arg(long, env = "CK_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// Stripe webhook signing secrets, comma-separated (several during rotation); webhooks are off
    /// when empty.
    #[arg(
        long,
        env = "STRIPE_WEBHOOK_SECRET",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub stripe_webhook_secrets: Vec<String>,
    /// Sentry DSN for server errors; off when unset.
    #[arg(long, env = "SENTRY_DSN", hide_env_values = true)]
    pub sentry_dsn: Option<String>,
    /// PostHog project key for the dashboard only; off when unset.
    #[arg(long, env = "POSTHOG_KEY")]
    pub posthog_key: Option<String>,
    /// PostHog host listed in the dashboard CSP.
    #[arg(long, env = "POSTHOG_HOST", default_value = "https://eu.i.posthog.com")]
    pub posthog_host: String,
    /// Log as JSON lines instead of human-readable text (`1/true/yes/on`, `0/false/no/off`, any case).
    #[arg(
        long,
        env = "CK_LOG_JSON",
        num_args = 0..=1,
        default_value = "false",
        default_missing_value = "true",
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub log_json: bool,
    /// Tokens, drafts, usage and intake settings.
    #[command(flatten)]
    pub product: ProductConfig,
    /// Trusted proxies and the metrics secret.
    #[command(flatten)]
    pub security: SecurityConfig,
    /// Webhooks and notification mail: the outbox's workers, retries and outbound guard.
    #[command(flatten)]
    pub outbox: OutboxConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            database_url: "sqlite://data/clickeen.sqlite".into(),
            database_app_url: None,
            database_connect_retry_secs: 10,
            database_max_connections: 10,
            dist_dir: "dist".into(),
            examples_dir: "examples/pages".into(),
            sites_port: None,
            sites_dir: "examples/sites".into(),
            sites_vendor_dir: "target/js-tools".into(),
            sites_url: None,
            env: Env::Development,
            git_sha: None,
            jwt_secret: None,
            jwt_audience: "authenticated".into(),
            access_token_ttl_secs: 3600,
            session_ttl_secs: 30 * 24 * 3600,
            public_url: None,
            smtp_url: None,
            mail_from: "Clickeen <no-reply@clickeen.localhost>".into(),
            body_limit: 64 * 1024,
            header_timeout_secs: 15,
            body_timeout_secs: 30,
            max_connections: 4096,
            shutdown_grace_secs: 10,
            stripe_webhook_secrets: Vec::new(),
            sentry_dsn: None,
            posthog_key: None,
            posthog_host: "https://eu.i.posthog.com".into(),
            log_json: false,
            product: ProductConfig::default(),
            security: SecurityConfig::default(),
            outbox: OutboxConfig::default(),
        }
    }
}

impl Config {
    /// A configuration for tests: port 0, a fresh SQLite file in `dir`, a fixed JWT secret.
    pub fn for_tests(dir: &Path) -> Self {
        Self {
            port: 0,
            database_url: crate::store::sqlite_url_for(&dir.join("test.sqlite")),
            jwt_secret: Some("test-secret-test-secret-test-secret-000".into()),
            shutdown_grace_secs: 5,
            ..Self::default()
        }
    }

    /// The address to bind.
    pub fn bind_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// Refuses settings that are unsafe in production: mail must go out over SMTP (the development
    /// outbox keeps live sign-in links in the database and serves them on `/dev/mail` elsewhere), and
    /// `PUBLIC_URL` must be https so session cookies are `Secure`.
    pub fn check_production(&self) -> anyhow::Result<()> {
        if self.env != Env::Production {
            return Ok(());
        }
        if self.smtp_url.is_none() {
            anyhow::bail!(
                "SMTP_URL is required in production: sign-in and confirmation links must be mailed"
            );
        }
        if self.outbox.webhook_allow_private {
            anyhow::bail!(
                "CK_WEBHOOK_ALLOW_PRIVATE is for tests and local development: production only sends \
                 webhooks to public https addresses"
            );
        }
        if !self.is_https() {
            anyhow::bail!(
                "PUBLIC_URL must be an https:// URL in production (session cookies are Secure)"
            );
        }
        Ok(())
    }

    /// Whether the demo publisher pages are served: never in production.
    pub fn serves_demo_pages(&self) -> bool {
        self.env != Env::Production
    }

    /// Whether the demo sites get their own listener: when a port is set, never in production.
    pub fn serves_demo_sites(&self) -> bool {
        self.serves_demo_pages() && self.sites_port.is_some()
    }

    /// Whether the local mail catcher `/dev/mail` is served: only in development without SMTP (it
    /// shows everyone's sign-in links to whoever can reach the server).
    pub fn serves_dev_mail(&self) -> bool {
        self.env == Env::Development && self.smtp_url.is_none()
    }

    /// Whether the server is reached over https (then cookies are `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use clap::{Args as _, FromArgMatches as _};

    fn log_json(args: &[&str]) -> Result<bool, clap::Error> {
        let cmd = super::Config::augment_args(clap::Command::new("t").no_binary_name(true));
        let matches = cmd.try_get_matches_from(args)?;
        Ok(super::Config::from_arg_matches(&matches)?.log_json)
    }

    #[test]
    fn log_json_takes_the_usual_spellings() {
        for (arg, want) in [
            ("--log-json", true),
            ("--log-json=1", true),
            ("--log-json=YES", true),
            ("--log-json=on", true),
            ("--log-json=True", true),
            ("--log-json=0", false),
            ("--log-json=off", false),
            ("--log-json=No", false),
        ] {
            assert_eq!(log_json(&[arg]).expect(arg), want, "{arg}");
        }
        assert!(!log_json(&[]).expect("default"));
        assert!(log_json(&["--log-json=maybe"]).is_err());
    }
}

/// Who the server believes about client addresses, and who may read `/metrics`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct SecurityConfig {
    /// Proxies (addresses or CIDR ranges, comma-separated, e.g. `10.0.0.0/8,127.0.0.1`) whose
    /// client-address header is believed. Empty: the TCP peer is the client.
    #[arg(long, env = "CK_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<Cidr>,
    /// The header trusted proxies put the client address in.
    #[arg(
        long,
        env = "CK_CLIENT_IP_HEADER",
        value_enum,
        default_value = "x-forwarded-for"
    )]
    pub client_ip_header: ClientIpHeader,
    /// Bearer secret `/metrics` requires. Unset: `/metrics` is open in development and preview,
    /// and not served (404) in production.
    #[arg(long, env = "CK_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// Limits, cache times and intervals of tokens, drafts, usage and intake endpoints.
#[derive(Clone, Debug, clap::Args)]
pub struct ProductConfig {
    /// How long a token verification is cached per process (ms). A revoked token stops working
    /// on every process within this time.
    #[arg(long, env = "CK_TOKEN_CACHE_TTL_MS", default_value_t = 5_000)]
    pub token_cache_ttl_ms: u64,
    /// Embed paths (pixel, config manifest, submissions): the longest wait on the database for a
    /// token, instance or plan lookup (pool included), in ms, before the stale-if-error fallback.
    #[arg(long, env = "CK_EMBED_DB_WAIT_MS", default_value_t = 500)]
    pub embed_db_wait_ms: u64,
    /// While the database is unavailable, the last good token, instance and plan lookup is used
    /// for up to this many seconds after it was made (stale-if-error); 0 turns this off.
    #[arg(long, env = "CK_TOKEN_STALE_IF_ERROR_SECS", default_value_t = 3_600)]
    pub token_stale_if_error_secs: u64,
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
    /// Reads and edits of a draft with its draft token (`GET`/`PUT /api/v1/draft`: the builder's
    /// "Update draft" and the claim page), per client IP.
    #[arg(long, env = "CK_LIMIT_DRAFT_EDITS_IP", default_value = "60/20")]
    pub limit_draft_edits_ip: Limit,
    /// Config manifest: per client IP. The burst must fit a page's mount points fetched at once.
    #[arg(long, env = "CK_LIMIT_CONFIG_IP", default_value = "600/200")]
    pub limit_config_ip: Limit,
    /// Config manifest: per embed token (every visitor of every page using it).
    #[arg(long, env = "CK_LIMIT_CONFIG_TOKEN", default_value = "60000/10000")]
    pub limit_config_token: Limit,
    /// How long a workspace's plan flags are cached per process for the config manifest (ms).
    #[arg(long, env = "CK_PLAN_CACHE_TTL_MS", default_value_t = 30_000)]
    pub plan_cache_ttl_ms: u64,
    /// Failed claim attempts allowed (per user and per IP, last hour) before backoff starts.
    #[arg(long, env = "CK_CLAIM_FREE_FAILURES", default_value_t = 5)]
    pub claim_free_failures: u32,
    /// Longest claim backoff (seconds).
    #[arg(long, env = "CK_CLAIM_MAX_BACKOFF_SECS", default_value_t = 900)]
    pub claim_max_backoff_secs: u64,
    /// Fraction of client error reports that are logged (all are counted in metrics).
    #[arg(long, env = "CK_ERROR_SAMPLE_RATE", default_value_t = 0.1)]
    pub error_sample_rate: f64,
    /// Every auth endpoint (sign-up, sign-in, refresh, magic links, password and email change,
    /// sign-out): per client IP and endpoint (shared across processes on Postgres).
    #[arg(long, env = "CK_LIMIT_AUTH_IP", default_value = "30/10")]
    pub limit_auth_ip: Limit,
    /// Auth endpoints that name an account (sign-up, sign-in, magic-link request, password and
    /// email change): per (account, client IP) and endpoint (shared across processes on Postgres).
    #[arg(long, env = "CK_LIMIT_AUTH_ACCOUNT_IP", default_value = "10/5")]
    pub limit_auth_account_ip: Limit,
    /// Failed password checks per (account, IP), and failed link or refresh-token checks per IP,
    /// allowed in an hour before exponential backoff starts (per IP alone: four times this).
    #[arg(long, env = "CK_AUTH_FREE_FAILURES", default_value_t = 5)]
    pub auth_free_failures: u32,
    /// Longest auth backoff (seconds).
    #[arg(long, env = "CK_AUTH_MAX_BACKOFF_SECS", default_value_t = 900)]
    pub auth_max_backoff_secs: u64,
    /// Password hashes (argon2id, 19 MiB each) computed at once per process; more wait.
    #[arg(long, env = "CK_ARGON2_MAX_CONCURRENT", default_value_t = 4)]
    pub argon2_max_concurrent: usize,
    /// How long a request waits for a hashing slot before 503 with `Retry-After` (ms).
    #[arg(long, env = "CK_ARGON2_WAIT_MS", default_value_t = 2_000)]
    pub argon2_wait_ms: u64,
    /// A just-rotated refresh token presented again within this many seconds (two tabs refreshing
    /// at once) gets the same new token instead of counting as reuse.
    #[arg(long, env = "CK_REFRESH_REUSE_GRACE_SECS", default_value_t = 10)]
    pub refresh_reuse_grace_secs: i64,
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
            embed_db_wait_ms: 500,
            token_stale_if_error_secs: 3_600,
            draft_ttl_secs: 7 * 24 * 3600,
            usage_flush_ms: 5_000,
            usage_flush_keys: 1_000,
            limit_events_token: limit("6000/1000"),
            limit_events_ip: limit("600/120"),
            limit_submissions_token: limit("120/30"),
            limit_submissions_ip: limit("20/10"),
            limit_drafts_ip: limit("10/5"),
            limit_draft_edits_ip: limit("60/20"),
            limit_config_ip: limit("600/200"),
            limit_config_token: limit("60000/10000"),
            plan_cache_ttl_ms: 30_000,
            claim_free_failures: 5,
            claim_max_backoff_secs: 900,
            error_sample_rate: 0.1,
            limit_auth_ip: limit("30/10"),
            limit_auth_account_ip: limit("10/5"),
            auth_free_failures: 5,
            auth_max_backoff_secs: 900,
            argon2_max_concurrent: 4,
            argon2_wait_ms: 2_000,
            refresh_reuse_grace_secs: 10,
        }
    }
}

/// The delivery outbox (webhooks and notification mail): workers, retry schedule, outbound guard.
#[derive(Clone, Debug, clap::Args)]
pub struct OutboxConfig {
    /// Key from which webhook signing secrets and unsubscribe links are derived (at least 32
    /// characters). Unset: derived from `JWT_SECRET`, so rotating that rotates every endpoint's
    /// secret too.
    #[arg(long, env = "CK_WEBHOOK_KEY", hide_env_values = true)]
    pub webhook_key: Option<String>,
    /// Tests and local development only: allow webhook URLs on loopback and private addresses and
    /// plain http. Production refuses to start with it.
    #[arg(long, env = "CK_WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    pub webhook_allow_private: bool,
    /// How often each process looks for due deliveries when not woken by a new submission (ms).
    #[arg(
        long = "outbox-poll-ms",
        env = "CK_OUTBOX_POLL_MS",
        default_value_t = 1_000
    )]
    pub poll_ms: u64,
    /// Deliveries in flight at once per process; a slow receiver holds one slot, not the queue.
    #[arg(
        long = "outbox-concurrency",
        env = "CK_OUTBOX_CONCURRENCY",
        default_value_t = 16
    )]
    pub concurrency: usize,
    /// One webhook request's time limit (ms).
    #[arg(
        long = "webhook-timeout-ms",
        env = "CK_WEBHOOK_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub timeout_ms: u64,
    /// How long a claimed delivery stays with its process before another may take it over (ms);
    /// longer than the request time limit.
    #[arg(
        long = "outbox-lease-ms",
        env = "CK_OUTBOX_LEASE_MS",
        default_value_t = 60_000
    )]
    pub lease_ms: u64,
    /// Delay before the first retry (ms); each later retry waits twice as long, up to the cap.
    #[arg(
        long = "outbox-retry-base-ms",
        env = "CK_OUTBOX_RETRY_BASE_MS",
        default_value_t = 30_000
    )]
    pub retry_base_ms: u64,
    /// Longest wait between two attempts (ms).
    #[arg(
        long = "outbox-retry-cap-ms",
        env = "CK_OUTBOX_RETRY_CAP_MS",
        default_value_t = 3_600_000
    )]
    pub retry_cap_ms: u64,
    /// Attempts before a delivery is dead-lettered (the default schedule spans about a day).
    #[arg(
        long = "outbox-max-attempts",
        env = "CK_OUTBOX_MAX_ATTEMPTS",
        default_value_t = 30
    )]
    pub max_attempts: u32,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            webhook_key: None,
            webhook_allow_private: false,
            poll_ms: 1_000,
            concurrency: 16,
            timeout_ms: 10_000,
            lease_ms: 60_000,
            retry_base_ms: 30_000,
            retry_cap_ms: 3_600_000,
            max_attempts: 30,
        }
    }
}
