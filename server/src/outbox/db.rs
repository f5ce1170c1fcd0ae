//! SQL of `delivery_outbox` and `delivery_attempts`.

use serde::Serialize;
use uuid::Uuid;

use super::{Kind, Outcome, SNIPPET_BYTES};
use crate::store::{execute, fetch, Ts, Tx};

/// A row to store.
pub(crate) struct NewRow {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Uuid,
    pub(crate) kind: Kind,
    pub(crate) endpoint_id: Option<Uuid>,
    pub(crate) user_id: Option<Uuid>,
    pub(crate) instance_id: Option<Uuid>,
    pub(crate) submission_id: Option<Uuid>,
    pub(crate) digest_day: Option<String>,
    pub(crate) payload: Option<String>,
    pub(crate) due: Ts,
}

/// Stores a row; a digest already queued for the same owner, widget and day is kept instead (0).
pub(crate) async fn insert(tx: &mut Tx, row: &NewRow) -> Result<u64, sqlx::Error> {
    let now = Ts::now();
    execute!(tx, sqlx::query(
        "insert into delivery_outbox (id, workspace_id, kind, endpoint_id, user_id, instance_id, \
         submission_id, digest_day, payload, state, attempts, next_attempt_at, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $11, $11) \
         on conflict (user_id, instance_id, digest_day) do nothing")
        .bind(row.id)
        .bind(row.workspace_id)
        .bind(row.kind.as_str())
        .bind(row.endpoint_id)
        .bind(row.user_id)
        .bind(row.instance_id)
        .bind(row.submission_id)
        .bind(row.digest_day.as_deref())
        .bind(row.payload.as_deref())
        .bind(row.due)
        .bind(now))
}

/// Deletes finished rows (and their attempts) last changed before `before`; pending rows stay.
pub(crate) async fn prune(tx: &mut Tx, before: Ts) -> Result<u64, sqlx::Error> {
    execute!(
        tx,
        sqlx::query("delete from delivery_outbox where state <> 'pending' and updated_at < $1")
            .bind(before)
    )
}

/// A row claimed by this process.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Claimed {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Uuid,
    pub(crate) kind: String,
    pub(crate) endpoint_id: Option<Uuid>,
    pub(crate) user_id: Option<Uuid>,
    pub(crate) instance_id: Option<Uuid>,
    pub(crate) submission_id: Option<Uuid>,
    pub(crate) digest_day: Option<String>,
    pub(crate) payload: Option<String>,
    pub(crate) attempts: i32,
}

const CLAIMED_COLUMNS: &str = "id, workspace_id, kind, endpoint_id, user_id, instance_id, \
    submission_id, digest_day, payload, attempts";

/// Leases up to `limit` due rows to `worker` until `lease_until`. Postgres skips rows another
/// transaction is claiming; SQLite's `BEGIN IMMEDIATE` serialises claims.
pub(crate) async fn claim(
    tx: &mut Tx,
    worker: Uuid,
    now: Ts,
    lease_until: Ts,
    limit: usize,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let lock = match tx.dialect() {
        crate::store::Dialect::Postgres => " for update skip locked",
        crate::store::Dialect::Sqlite => "",
    };
    let sql = format!(
        "update delivery_outbox set lease_owner = $1, lease_until = $2, updated_at = $3 \
         where id in (select id from delivery_outbox where state = 'pending' and next_attempt_at <= $3 \
           and (lease_until is null or lease_until < $3) order by next_attempt_at limit $4{lock}) \
         returning {CLAIMED_COLUMNS}"
    );
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, Claimed>(&sql)
            .bind(worker)
            .bind(lease_until)
            .bind(now)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    )
}

/// The end of one attempt.
pub(crate) struct Finish<'a> {
    pub(crate) id: Uuid,
    pub(crate) worker: Uuid,
    pub(crate) workspace_id: Uuid,
    pub(crate) attempt: u32,
    pub(crate) state: &'static str,
    pub(crate) next_attempt_at: Ts,
    pub(crate) outcome: &'a Outcome,
    pub(crate) started: Ts,
    pub(crate) duration_ms: u32,
}

/// Logs the attempt and moves the row on, if this worker still holds its lease (else false).
pub(crate) async fn finish(tx: &mut Tx, f: &Finish<'_>) -> Result<bool, sqlx::Error> {
    let error = f.outcome.error.as_deref().map(|e| truncate(e, 500));
    let updated = execute!(tx, sqlx::query(
        "update delivery_outbox set state = $3, attempts = attempts + 1, next_attempt_at = $4, \
         lease_owner = null, lease_until = null, last_error = $5, updated_at = $6 \
         where id = $1 and lease_owner = $2")
        .bind(f.id)
        .bind(f.worker)
        .bind(f.state)
        .bind(f.next_attempt_at)
        .bind(error)
        .bind(Ts::now()))?;
    if updated == 0 {
        return Ok(false);
    }
    let outcome = if f.outcome.ok { "delivered" } else { "failed" };
    execute!(
        tx,
        sqlx::query(
            "insert into delivery_attempts (id, delivery_id, workspace_id, attempt, outcome, \
         response_status, response_snippet, error, duration_ms, started_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )
        .bind(Uuid::new_v4())
        .bind(f.id)
        .bind(f.workspace_id)
        .bind(i32::try_from(f.attempt).unwrap_or(i32::MAX))
        .bind(outcome)
        .bind(f.outcome.status.map(i32::from))
        .bind(
            f.outcome
                .snippet
                .as_deref()
                .map(|s| truncate(s, SNIPPET_BYTES))
        )
        .bind(error)
        .bind(i32::try_from(f.duration_ms).unwrap_or(i32::MAX))
        .bind(f.started)
    )?;
    Ok(true)
}

/// At most `max` bytes of `s`, cut on a character boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A delivery as owners see it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub(crate) struct Delivery {
    /// The delivery id (the `Clickeen-Delivery` header of a webhook).
    pub(crate) id: Uuid,
    /// `webhook`, `email` or `digest`.
    pub(crate) kind: String,
    pub(crate) endpoint_id: Option<Uuid>,
    /// The endpoint's URL (webhooks).
    pub(crate) url: Option<String>,
    /// The recipient (mail).
    pub(crate) email: Option<String>,
    pub(crate) instance_id: Option<Uuid>,
    pub(crate) submission_id: Option<Uuid>,
    /// `pending`, `delivered`, `dead` (retries exhausted) or `cancelled`.
    pub(crate) state: String,
    pub(crate) attempts: i32,
    #[schema(value_type = String, format = DateTime)]
    pub(crate) next_attempt_at: Ts,
    pub(crate) last_error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: Ts,
}

const OWNER_OF: &str = "d.workspace_id in (select m.workspace_id from workspace_members m \
    where m.user_id = $1 and m.role = 'owner')";

/// The newest deliveries of a workspace `user` owns, optionally of one endpoint.
pub(crate) async fn list(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    endpoint: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    let sql = format!(
        "select d.id, d.kind, d.endpoint_id, e.url, u.email, d.instance_id, d.submission_id, d.state, \
         d.attempts, d.next_attempt_at, d.last_error, d.created_at from delivery_outbox d \
         left join webhook_endpoints e on e.id = d.endpoint_id \
         left join users u on u.id = d.user_id \
         where d.workspace_id = $2 and {OWNER_OF} and ($3 is null or d.endpoint_id = $3) \
         order by d.created_at desc, d.id limit $4"
    );
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, Delivery>(&sql)
            .bind(user)
            .bind(ws)
            .bind(endpoint)
            .bind(limit)
    )
}

/// One delivery of a workspace `user` owns.
pub(crate) async fn get(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<Delivery>, sqlx::Error> {
    let sql = format!(
        "select d.id, d.kind, d.endpoint_id, e.url, u.email, d.instance_id, d.submission_id, d.state, \
         d.attempts, d.next_attempt_at, d.last_error, d.created_at from delivery_outbox d \
         left join webhook_endpoints e on e.id = d.endpoint_id \
         left join users u on u.id = d.user_id \
         where d.workspace_id = $2 and {OWNER_OF} and d.id = $3"
    );
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as::<_, Delivery>(&sql)
            .bind(user)
            .bind(ws)
            .bind(id)
    )
}

/// One attempt of a delivery.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub(crate) struct Attempt {
    pub(crate) attempt: i32,
    /// `delivered` or `failed`.
    pub(crate) outcome: String,
    /// The receiver's HTTP status, if it answered.
    pub(crate) response_status: Option<i32>,
    /// The first KiB of the receiver's response body.
    pub(crate) response_snippet: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) duration_ms: i32,
    #[schema(value_type = String, format = DateTime)]
    pub(crate) started_at: Ts,
}

/// The attempts of a delivery of a workspace `user` owns, newest first.
pub(crate) async fn attempts(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
) -> Result<Vec<Attempt>, sqlx::Error> {
    let sql = format!(
        "select d.attempt, d.outcome, d.response_status, d.response_snippet, d.error, d.duration_ms, \
         d.started_at from delivery_attempts d where d.delivery_id = $3 and d.workspace_id = $2 \
         and {OWNER_OF} order by d.started_at desc, d.attempt desc limit 100"
    );
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, Attempt>(&sql)
            .bind(user)
            .bind(ws)
            .bind(id)
    )
}

/// Queues a delivery again now with a fresh retry budget, unless a worker holds it (false).
pub(crate) async fn redeliver(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    const SQL: &str =
        "update delivery_outbox set state = 'pending', attempts = 0, next_attempt_at = $4, \
         last_error = null, updated_at = $4 \
         where id = $3 and workspace_id = $2 and (lease_until is null or lease_until < $4) \
         and workspace_id in (select m.workspace_id from workspace_members m \
           where m.user_id = $1 and m.role = 'owner')";
    Ok(execute!(tx, sqlx::query(SQL).bind(user).bind(ws).bind(id).bind(now))? > 0)
}
