//! Storage: one query layer over SQLite (default) and Postgres (with row-level security). This
//! module is the database handle, transactions, actors and migrations; each domain keeps its own
//! SQL in its `db.rs`.
//!
//! Queries are written once, with `$1`-style parameters that both drivers accept, and run through
//! [`on_tx!`] which expands the same code for each dialect. Column types that differ between the
//! dialects are bridged by small newtypes ([`Ts`]) instead of a framework.
//!
//! Every unit of work runs in a [`Tx`] opened for an [`Actor`]. On Postgres the transaction switches
//! to the actor's role (`SET LOCAL ROLE`) and publishes the JWT claims for `auth.uid()`, so RLS guards
//! every statement. On SQLite the same scoping lives in the queries: each tenant query joins the
//! caller's memberships, which the Postgres queries do as well (defence in depth).

mod time;

#[cfg(test)]
mod conformance;

use std::{borrow::Cow, path::Path, str::FromStr, time::Duration};

use anyhow::Context as _;
use sqlx::{
    migrate::{Migration, MigrationType, Migrator},
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgPool, Postgres, Sqlite, SqlitePool, Transaction,
};

pub(crate) use self::time::Ts;
use crate::config::{Config, Env};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

/// Which database engine a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub(crate) fn of_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:")
        }
    }
}

/// A connection pool of either dialect.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite {
        pool: SqlitePool,
        /// The database file; health checks fail when it disappears (volume gone, file deleted).
        path: std::path::PathBuf,
    },
    Postgres(PgPool),
}

/// On whose behalf a transaction runs; decides the Postgres role and the JWT claims it sees.
#[derive(Clone, Debug)]
pub(crate) enum Actor {
    /// A signed-in user: role `authenticated`, `request.jwt.claims` = the verified token's claims.
    User {
        /// The full claim set (its `sub` is `auth.uid()`), as PostgREST passes it.
        claims: serde_json::Value,
    },
    /// The auth service path (role `ck_auth`).
    Auth,
    /// System paths: ingest, webhooks, claims, token verification (role `ck_system`).
    System,
}

/// A transaction of either dialect. Dropped without [`Tx::commit`] it rolls back.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs the same block for whichever dialect `$tx` holds, binding `$c` to the connection:
/// `on_tx!(tx, c => sqlx::query("…").bind(x).execute(&mut **c).await)`. Most queries use the two
/// shorthands below, [`execute!`] and [`fetch!`].
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite($c) => $body,
            $crate::store::Tx::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_tx;

/// A statement on either dialect: `execute!(tx, sqlx::query("…").bind(x))` → rows affected.
macro_rules! execute {
    ($tx:expr, $query:expr) => {
        $crate::store::on_tx!($tx, c => $query.execute(&mut **c).await.map(|r| r.rows_affected()))
    };
}
pub(crate) use execute;

/// A query on either dialect: `fetch!(tx, fetch_optional, sqlx::query_as::<_, Row>("…").bind(x))`.
macro_rules! fetch {
    ($tx:expr, $method:ident, $query:expr) => {
        $crate::store::on_tx!($tx, c => $query.$method(&mut **c).await)
    };
}
pub(crate) use fetch;

impl Tx {
    /// Commits; a 2xx that reports stored data must only be sent after this returns `Ok`.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    /// The dialect, for the rare query that must be written twice.
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }
}

fn migrator(dialect: Dialect) -> Migrator {
    let files = match dialect {
        Dialect::Sqlite => embedded::SQLITE,
        Dialect::Postgres => embedded::POSTGRES,
    };
    let migrations = files
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

/// How long a SQLite statement waits for another connection's lock before failing `SQLITE_BUSY`.
const SQLITE_BUSY_TIMEOUT_MS: u64 = 5_000;
/// The pragma that puts a connection back to [`SQLITE_BUSY_TIMEOUT_MS`].
const SQLITE_BUSY_TIMEOUT: &str = "pragma busy_timeout = 5000";

fn sqlite_options(url: &str) -> anyhow::Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(url)
        .with_context(|| format!("invalid SQLite URL {url}"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS)))
}

impl Db {
    /// Connects (creating the SQLite file and its folder if needed) and applies pending migrations.
    pub(crate) async fn connect(config: &Config) -> anyhow::Result<Self> {
        let url = config.database_url.as_str();
        match Dialect::of_url(url)? {
            Dialect::Sqlite => {
                let options = sqlite_options(url)?;
                let path = options.get_filename().to_path_buf();
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating database folder {}", dir.display()))?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await
                    .with_context(|| format!("opening SQLite database {}", path.display()))?;
                let before = applied_versions_sqlite(&pool).await;
                migrator(Dialect::Sqlite)
                    .run(&pool)
                    .await
                    .context("migrating SQLite database")?;
                log_new_migrations(Dialect::Sqlite, &before);
                Ok(Db::Sqlite { pool, path })
            }
            Dialect::Postgres => {
                let app_url = match config.database_app_url.as_deref() {
                    Some(app_url) => app_url,
                    None if config.env == Env::Production => anyhow::bail!(
                        "DATABASE_APP_URL is required in production on Postgres: requests must not \
                         run as the owner that DATABASE_URL names (e.g. \
                         DATABASE_APP_URL=postgres://ck_app:…@host/db)"
                    ),
                    None => {
                        tracing::warn!(
                            "DATABASE_APP_URL not set: requests use the owner connection \
                             (development only; production refuses to start)"
                        );
                        url
                    }
                };
                let retry = Duration::from_secs(config.database_connect_retry_secs);
                migrate_postgres(url, retry).await?;
                let options =
                    PgConnectOptions::from_str(app_url).context("invalid Postgres URL")?;
                let pool = PgPoolOptions::new()
                    .max_connections(config.database_max_connections)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_lazy_with(options.clone());
                // The first connection is made here, with retries that log the real cause.
                let conn = connect_with_retries(&pool, "requests", retry).await?;
                drop(conn);
                if config.database_app_url.is_some() {
                    if let Err(e) = check_app_role(&pool).await {
                        pool.close().await;
                        return Err(e);
                    }
                }
                Ok(Db::Postgres(pool))
            }
        }
    }

    /// Opens a transaction for `actor`. On Postgres this is where RLS gets its subject.
    pub(crate) async fn begin(&self, actor: &Actor) -> Result<Tx, sqlx::Error> {
        match self {
            // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
            // writes can fail with SQLITE_BUSY instead of waiting for busy_timeout.
            Db::Sqlite { pool, .. } => Ok(Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)),
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let (role, claims) = match actor {
                    Actor::User { claims, .. } => ("authenticated", claims.to_string()),
                    Actor::Auth => ("ck_auth", String::new()),
                    Actor::System => ("ck_system", String::new()),
                };
                sqlx::query("select set_config('request.jwt.claims', $1, true)")
                    .bind(claims)
                    .execute(&mut *tx)
                    .await?;
                // Role names are constants above, never user input.
                sqlx::query(&format!("set local role {role}"))
                    .execute(&mut *tx)
                    .await?;
                Ok(Tx::Postgres(tx))
            }
        }
    }

    /// True when the database answers a real query (and, for SQLite, its file still exists).
    pub(crate) async fn healthy(&self) -> bool {
        let probe = async {
            match self {
                Db::Sqlite { pool, path } => path.is_file() && sqlite_writable(pool).await,
                Db::Postgres(pool) => sqlx::query_scalar::<_, i32>("select 1")
                    .fetch_one(pool)
                    .await
                    .is_ok(),
            }
        };
        tokio::time::timeout(Duration::from_secs(2), probe)
            .await
            .unwrap_or(false)
    }

    /// Closes every pooled connection (graceful shutdown).
    pub(crate) async fn close(&self) {
        match self {
            Db::Sqlite { pool, .. } => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// Where the database is, for logs: `postgres host:port/db as role` or the SQLite file. Never
    /// a password.
    pub(crate) fn target(&self) -> String {
        match self {
            Db::Sqlite { path, .. } => format!("sqlite {}", path.display()),
            Db::Postgres(pool) => pg_target(&pool.connect_options()),
        }
    }

    /// The real cause behind `error` when it only says that no connection was available (a pool
    /// timeout hides why connecting fails): one direct connection attempt, bounded to 2 s.
    pub(crate) async fn diagnose(&self, error: &sqlx::Error) -> String {
        let pool = match self {
            Db::Postgres(pool) => pool,
            Db::Sqlite { path, .. } if !path.is_file() => {
                return format!("the database file {} is missing", path.display())
            }
            Db::Sqlite { .. } => return error.to_string(),
        };
        if !matches!(error, sqlx::Error::PoolTimedOut) {
            return error.to_string();
        }
        let options = pool.connect_options();
        let attempt = async {
            use sqlx::Connection as _;
            sqlx::PgConnection::connect_with(&options).await
        };
        match tokio::time::timeout(Duration::from_secs(2), attempt).await {
            Ok(Ok(conn)) => {
                drop(conn);
                "pool timed out (the database accepts connections again)".into()
            }
            Ok(Err(e)) => cause_of(&e),
            Err(_) => "connecting timed out after 2 s".into(),
        }
    }

    /// The dialect of this pool.
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite { .. } => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// `postgres host:port/db as role`: where a Postgres URL points, without its password.
pub(crate) fn pg_target(options: &PgConnectOptions) -> String {
    format!(
        "postgres {}:{}/{} as {}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or(options.get_username()),
        options.get_username()
    )
}

/// An error's message with its sources (e.g. "error communicating with database: Connection
/// refused (os error 111)").
pub(crate) fn cause_of(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    text
}

/// The first connection of a pool, retried for `retry` (`DATABASE_CONNECT_RETRY_SECS`) with each
/// failure logged with its cause; the final error names the database (host, port, name, role) and
/// the cause. Authentication failures and a missing database are not retried.
async fn connect_with_retries(
    pool: &PgPool,
    purpose: &str,
    retry: Duration,
) -> anyhow::Result<sqlx::pool::PoolConnection<Postgres>> {
    use sqlx::Connection as _;
    let options = pool.connect_options();
    let target = pg_target(&options);
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        // A direct connection first: the pool would only report "pool timed out".
        let error = match sqlx::PgConnection::connect_with(&options).await {
            Ok(conn) => {
                drop(conn);
                match pool.acquire().await {
                    Ok(conn) => return Ok(conn),
                    Err(e) => e,
                }
            }
            Err(e) => e,
        };
        let cause = cause_of(&error);
        let permanent = matches!(&error, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("28") || c == "3D000"));
        if permanent || started.elapsed() >= retry {
            anyhow::bail!("cannot connect to {target} ({purpose}): {cause}");
        }
        tracing::warn!(database = %target, cause = %cause, retry_in_ms = delay.as_millis() as u64, "database not reachable yet ({purpose}); retrying");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// Versions already applied (empty on a fresh database).
async fn applied_versions_sqlite(pool: &SqlitePool) -> Vec<i64> {
    sqlx::query_scalar("select version from _sqlx_migrations where success")
        .fetch_all(pool)
        .await
        .unwrap_or_default()
}

async fn applied_versions_pg(pool: &PgPool) -> Vec<i64> {
    sqlx::query_scalar("select version from _sqlx_migrations where success")
        .fetch_all(pool)
        .await
        .unwrap_or_default()
}

/// Logs each migration applied by this start (one line each) and remembers the total for the
/// startup summary.
fn log_new_migrations(dialect: Dialect, before: &[i64]) {
    let files = match dialect {
        Dialect::Sqlite => embedded::SQLITE,
        Dialect::Postgres => embedded::POSTGRES,
    };
    for (version, description, _) in files.iter().filter(|(v, ..)| !before.contains(v)) {
        tracing::info!(version, description, "migration applied");
    }
}

/// The migrations this binary carries (all applied once startup succeeded): `(version, name)`.
pub(crate) fn migrations(dialect: Dialect) -> Vec<(i64, &'static str)> {
    let files = match dialect {
        Dialect::Sqlite => embedded::SQLITE,
        Dialect::Postgres => embedded::POSTGRES,
    };
    files.iter().map(|(v, d, _)| (*v, *d)).collect()
}

/// Refuses an application role that row-level security would not hold: a superuser, a role with
/// `BYPASSRLS`, or one that owns (or can become the owner of) a table with RLS, since owners bypass
/// their tables' policies. The error names the role and the reason.
async fn check_app_role(pool: &PgPool) -> anyhow::Result<()> {
    let (role, superuser, bypass, owned): (String, bool, bool, Option<String>) = sqlx::query_as(
        "select r.rolname::text, r.rolsuper, r.rolbypassrls, \
           (select string_agg(c.relname::text, ', ' order by c.relname) from pg_class c \
            join pg_namespace n on n.oid = c.relnamespace \
            where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relrowsecurity \
              and pg_has_role(r.oid, c.relowner, 'MEMBER')) \
         from pg_roles r where r.rolname = current_user",
    )
    .fetch_one(pool)
    .await
    .context("checking the application role (DATABASE_APP_URL)")?;
    let why = if superuser {
        "is a superuser".to_owned()
    } else if bypass {
        "has BYPASSRLS".to_owned()
    } else if let Some(tables) = owned {
        format!("owns (or is a member of the owner of) tables with row-level security: {tables}")
    } else {
        return Ok(());
    };
    anyhow::bail!(
        "refusing to serve requests as Postgres role `{role}` (DATABASE_APP_URL): it {why}, so \
         row-level security would not apply to it; use the NOINHERIT login role `ck_app` that the \
         migrations create"
    )
}

/// Applies the Postgres migrations with the owner's URL, on a short-lived connection.
async fn migrate_postgres(url: &str, retry: Duration) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(url).context("invalid Postgres URL")?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(options);
    let conn = connect_with_retries(&pool, "migrations", retry).await?;
    drop(conn);
    let before = applied_versions_pg(&pool).await;
    let result = migrator(Dialect::Postgres).run(&pool).await;
    if result.is_ok() {
        log_new_migrations(Dialect::Postgres, &before);
    }
    pool.close().await;
    result.context("migrating Postgres database")
}

/// Applies migrations to the database at `url` and exits; the `ck-server migrate` subcommand.
pub(crate) async fn migrate_only(url: &str) -> anyhow::Result<()> {
    match Dialect::of_url(url)? {
        Dialect::Sqlite => {
            let options = sqlite_options(url)?;
            if let Some(dir) = options
                .get_filename()
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await?;
            let result = migrator(Dialect::Sqlite).run(&pool).await;
            pool.close().await;
            result.context("migrating SQLite database")
        }
        Dialect::Postgres => migrate_postgres(url, Duration::from_secs(10)).await,
    }
}

/// Whether an error means the database cannot be reached right now (as opposed to a query the
/// database refused): pool timeouts, I/O and TLS failures, and the server's own "go away" answers
/// (shutdown, too many connections, not accepting connections, connection failures: SQLSTATE
/// classes 08 and 57P, and 53300).
pub(crate) fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // SQLite: SQLITE_BUSY / SQLITE_LOCKED (and their extended codes) after `busy_timeout`:
        // another process holds the write lock, the SQLite form of an outage.
        sqlx::Error::Database(db)
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() =>
        {
            db.code()
                .and_then(|code| code.parse::<i32>().ok())
                .is_some_and(|code| matches!(code & 0xff, 5 | 6))
        }
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || code == "53300"
        }),
        _ => false,
    }
}

/// Whether a write could start now: reads keep working in WAL mode while another process holds the
/// write lock (a stuck migration, a shell in `BEGIN EXCLUSIVE`, a backup tool), but every write,
/// and every transaction here (they begin `IMMEDIATE`), waits and then fails. So the probe takes the
/// write lock, waiting at most 1 s instead of the pool's `busy_timeout`, and gives it back.
async fn sqlite_writable(pool: &SqlitePool) -> bool {
    let Ok(mut conn) = pool.acquire().await else {
        return false;
    };
    if sqlx::query("pragma busy_timeout = 1000")
        .execute(&mut *conn)
        .await
        .is_err()
    {
        conn.detach();
        return false;
    }
    let began = sqlx::query("begin immediate").execute(&mut *conn).await;
    let ended = match began {
        Ok(_) => sqlx::query("rollback").execute(&mut *conn).await.is_ok(),
        Err(_) => true,
    };
    if !ended
        || sqlx::query(SQLITE_BUSY_TIMEOUT)
            .execute(&mut *conn)
            .await
            .is_err()
    {
        // Its state is unknown: never hand it back to the pool.
        conn.detach();
        return false;
    }
    began.is_ok()
}

/// Postgres refused a text value it cannot store (a NUL in `text` or `jsonb`: SQLSTATE 22021,
/// 22P05): the client's input, answered 400 rather than 500.
pub(crate) fn is_unstorable_text(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().is_some_and(|c| c == "22021" || c == "22P05"))
}

/// SHA-256 of a secret; the only form in which tokens are stored.
pub(crate) fn hash_secret(secret: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A database URL's file path, for the default SQLite location.
pub(crate) fn sqlite_url_for(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}
