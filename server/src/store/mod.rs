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

fn sqlite_options(url: &str) -> anyhow::Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(url)
        .with_context(|| format!("invalid SQLite URL {url}"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5)))
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
                migrator(Dialect::Sqlite)
                    .run(&pool)
                    .await
                    .context("migrating SQLite database")?;
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
                migrate_postgres(url).await?;
                let options =
                    PgConnectOptions::from_str(app_url).context("invalid Postgres URL")?;
                let pool = PgPoolOptions::new()
                    .max_connections(config.database_max_connections)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await
                    .context("connecting to Postgres")?;
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
                Db::Sqlite { pool, path } => {
                    path.is_file()
                        && sqlx::query_scalar::<_, i64>("select count(*) from sqlite_master")
                            .fetch_one(pool)
                            .await
                            .is_ok()
                }
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

    /// The dialect of this pool.
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite { .. } => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }
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
async fn migrate_postgres(url: &str) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(url).context("invalid Postgres URL")?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .context("connecting to Postgres for migrations")?;
    let result = migrator(Dialect::Postgres).run(&pool).await;
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
        Dialect::Postgres => migrate_postgres(url).await,
    }
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
