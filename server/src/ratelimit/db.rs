//! The shared GCRA table `rate_limits` (Postgres: one row per key, shared by every process).

use crate::store::{execute, fetch, Dialect, Tx};

/// GCRA over the shared table: `Ok` or the wait. Works across processes (one row per key, updated
/// atomically by a single upsert).
pub(crate) async fn gcra(
    tx: &mut Tx,
    key: &str,
    now_ms: i64,
    interval_ms: i64,
    burst: i64,
) -> Result<Result<(), i64>, sqlx::Error> {
    let window = interval_ms * burst;
    let greatest = match tx.dialect() {
        Dialect::Postgres => "greatest",
        Dialect::Sqlite => "max",
    };
    let sql = format!(
        "insert into rate_limits as r (key, tat_ms) values ($1, $2 + $3) on conflict (key) do update \
         set tat_ms = {greatest}(r.tat_ms, $2) + $3 where {greatest}(r.tat_ms, $2) + $3 - $2 <= $4 returning tat_ms"
    );
    let allowed: Option<i64> = fetch!(
        tx,
        fetch_optional,
        sqlx::query_scalar(&sql)
            .bind(key)
            .bind(now_ms)
            .bind(interval_ms)
            .bind(window)
    )?;
    if allowed.is_some() {
        return Ok(Ok(()));
    }
    let tat: i64 = fetch!(
        tx,
        fetch_one,
        sqlx::query_scalar("select tat_ms from rate_limits where key = $1").bind(key)
    )?;
    Ok(Err((tat.max(now_ms) + interval_ms - window - now_ms).max(1)))
}

/// Forgets rate-limit rows that have fully recovered.
pub(crate) async fn prune(tx: &mut Tx, now_ms: i64) -> Result<u64, sqlx::Error> {
    execute!(
        tx,
        sqlx::query("delete from rate_limits where tat_ms < $1").bind(now_ms)
    )
}
