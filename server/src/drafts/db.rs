//! SQL of anonymous drafts (`widget_instances` rows with status `draft` and no workspace), their
//! claims, and the claim attempts (`claim_attempts`; a database trigger copies each into
//! `widget_claim_audit`).

use sqlx::types::Json;
use uuid::Uuid;

use crate::store::{execute, fetch, Ts, Tx};

/// A new anonymous draft instance.
pub(crate) struct NewDraft<'a> {
    pub(crate) id: Uuid,
    pub(crate) widget: &'a str,
    pub(crate) name: &'a str,
    pub(crate) config: &'a serde_json::Value,
    pub(crate) draft_hash: &'a [u8],
    pub(crate) expires: Ts,
    pub(crate) now: Ts,
}

/// Creates an anonymous draft instance.
pub(crate) async fn insert(tx: &mut Tx, d: &NewDraft<'_>) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into widget_instances (id, workspace_id, widget_id, name, config, status, draft_token_hash, \
         draft_expires_at, created_at, updated_at) values ($1, null, $2, $3, $4, 'draft', $5, $6, $7, $7)")
        .bind(d.id)
        .bind(d.widget)
        .bind(d.name)
        .bind(Json(d.config))
        .bind(d.draft_hash)
        .bind(d.expires)
        .bind(d.now))?;
    Ok(())
}

/// The draft a draft token points at, whatever its state.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DraftRow {
    pub(crate) id: Uuid,
    pub(crate) draft_expires_at: Option<Ts>,
}

/// Finds an unclaimed draft by its token hash.
pub(crate) async fn find_unclaimed(
    tx: &mut Tx,
    hash: &[u8],
) -> Result<Option<DraftRow>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as::<_, DraftRow>(
            "select id, draft_expires_at from widget_instances \
             where draft_token_hash = $1 and status = 'draft' and workspace_id is null"
        )
        .bind(hash)
    )
}

/// An unclaimed draft as its creator sees it (`GET /api/v1/draft`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DraftDetail {
    pub(crate) id: Uuid,
    pub(crate) widget_id: String,
    pub(crate) name: String,
    pub(crate) config: Json<serde_json::Value>,
    pub(crate) draft_expires_at: Option<Ts>,
}

/// The unclaimed draft whose token hashes to `hash`, with its config.
pub(crate) async fn detail(tx: &mut Tx, hash: &[u8]) -> Result<Option<DraftDetail>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as::<_, DraftDetail>(
            "select id, widget_id, name, config, draft_expires_at from widget_instances \
             where draft_token_hash = $1 and status = 'draft' and workspace_id is null"
        )
        .bind(hash)
    )
}

/// Replaces an unclaimed, unexpired draft's name and config; false if it was claimed or expired
/// meanwhile.
pub(crate) async fn update(
    tx: &mut Tx,
    id: Uuid,
    name: &str,
    config: &serde_json::Value,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let n = execute!(
        tx,
        sqlx::query(
            "update widget_instances set name = $2, config = $3, updated_at = $4 \
         where id = $1 and status = 'draft' and workspace_id is null and draft_expires_at > $4"
        )
        .bind(id)
        .bind(name)
        .bind(Json(config))
        .bind(now)
    )?;
    Ok(n == 1)
}

/// True when a draft with this token hash was claimed before (the token was burnt then).
pub(crate) async fn was_claimed(tx: &mut Tx, hash: &[u8]) -> Result<bool, sqlx::Error> {
    fetch!(
        tx,
        fetch_one,
        sqlx::query_scalar::<_, i64>(
            "select count(*) from claim_attempts where token_hash = $1 and outcome = 'claimed'"
        )
        .bind(hash)
    )
    .map(|n| n > 0)
}

/// Moves a draft into `ws` and burns its token; false if someone else won the race.
pub(crate) async fn claim(
    tx: &mut Tx,
    id: Uuid,
    ws: Uuid,
    user: Uuid,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let n = execute!(tx, sqlx::query(
        "update widget_instances set workspace_id = $2, status = 'active', draft_token_hash = null, \
         draft_expires_at = null, claimed_at = $4, claimed_by = $3, updated_at = $4 \
         where id = $1 and status = 'draft' and workspace_id is null")
        .bind(id)
        .bind(ws)
        .bind(user)
        .bind(now))?;
    if n != 1 {
        return Ok(false);
    }
    for sql in [
        "update embed_tokens set workspace_id = $2 where instance_id = $1",
        "update submissions set workspace_id = $2 where instance_id = $1",
        "update usage_counters_daily set workspace_id = $2 where instance_id = $1",
    ] {
        execute!(tx, sqlx::query(sql).bind(id).bind(ws))?;
    }
    Ok(true)
}

/// One claim attempt; the database trigger copies it into `widget_claim_audit`.
pub(crate) struct Attempt<'a> {
    pub(crate) user: Uuid,
    pub(crate) ip_hash: &'a str,
    pub(crate) token_hash: Option<&'a [u8]>,
    pub(crate) instance: Option<Uuid>,
    pub(crate) workspace: Option<Uuid>,
    pub(crate) outcome: &'static str,
    pub(crate) now: Ts,
}

/// Records an attempt.
pub(crate) async fn record_attempt(tx: &mut Tx, a: &Attempt<'_>) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into claim_attempts (id, user_id, ip_hash, token_hash, instance_id, workspace_id, outcome, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(Uuid::new_v4())
        .bind(a.user)
        .bind(a.ip_hash)
        .bind(a.token_hash)
        .bind(a.instance)
        .bind(a.workspace)
        .bind(a.outcome)
        .bind(a.now))?;
    Ok(())
}

/// Failed attempts since `since` by this user or from this IP: (count, newest), the larger count.
pub(crate) async fn recent_failures(
    tx: &mut Tx,
    user: Uuid,
    ip_hash: &str,
    since: Ts,
) -> Result<(i64, Option<Ts>), sqlx::Error> {
    let mut worst = (0i64, None);
    for (sql, key) in [
        ("select count(*), max(created_at) from claim_attempts where user_id = $1 and created_at > $2 \
          and outcome not in ('claimed', 'throttled')", Err(user)),
        ("select count(*), max(created_at) from claim_attempts where ip_hash = $1 and created_at > $2 \
          and outcome not in ('claimed', 'throttled')", Ok(ip_hash)),
    ] {
        let row: (i64, Option<Ts>) = match key {
            Err(user) => fetch!(tx, fetch_one, sqlx::query_as(sql).bind(user).bind(since))?,
            Ok(ip) => fetch!(tx, fetch_one, sqlx::query_as(sql).bind(ip).bind(since))?,
        };
        if row.0 > worst.0 {
            worst = row;
        }
    }
    Ok(worst)
}

/// Deletes drafts unclaimed past their expiry (tokens and counters cascade).
pub(crate) async fn delete_expired(tx: &mut Tx, now: Ts) -> Result<u64, sqlx::Error> {
    execute!(tx, sqlx::query(
        "delete from widget_instances where status = 'draft' and workspace_id is null and draft_expires_at <= $1")
        .bind(now))
}
