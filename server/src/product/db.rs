//! SQL of the product endpoints, written once for both dialects through `on_tx!` (and twice only
//! where the dialects differ). Tenant queries name the acting user and join `workspace_members`
//! (the SQLite tenant wall; on Postgres RLS guards the same rows as well).

use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

use crate::product::token::{self, NewToken};
use crate::product::usage::{Counts, UsageKey};
use crate::store::{on_tx, Dialect, Ts, Tx};

/// What verifying an embed token yields (cached per process).
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct TokenRow {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Option<Uuid>,
    pub(crate) instance_id: Option<Uuid>,
    pub(crate) scope: String,
    pub(crate) allowed_origins: Json<Vec<String>>,
}

/// An active token by hash (current or, inside its grace period, previous), whose draft (if any)
/// has not expired.
pub(crate) async fn find_token(
    tx: &mut Tx,
    hash: &[u8],
    now: Ts,
) -> Result<Option<TokenRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, TokenRow>(
        "select t.id, t.workspace_id, t.instance_id, t.scope, t.allowed_origins from embed_tokens t \
         left join widget_instances i on i.id = t.instance_id \
         where (t.token_hash = $1 or (t.prev_token_hash = $1 and t.prev_valid_until > $2)) \
           and t.status = 'active' and (t.expires_at is null or t.expires_at > $2) \
           and (i.id is null or i.status <> 'draft' or i.draft_expires_at > $2)")
        .bind(hash)
        .bind(now)
        .fetch_optional(&mut **c)
        .await)
}

/// Records use at most once a minute per token (a write per request would be a hot spot).
pub(crate) async fn touch_token(tx: &mut Tx, id: Uuid, now: Ts) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => sqlx::query(
        "update embed_tokens set last_used_at = $2 where id = $1 and (last_used_at is null or last_used_at < $3)")
        .bind(id)
        .bind(now)
        .bind(now.plus(time::Duration::minutes(-1)))
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A widget instance as the embed sees it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct InstanceRow {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Option<Uuid>,
    pub(crate) widget_id: String,
    pub(crate) status: String,
    pub(crate) config: Json<serde_json::Value>,
    pub(crate) draft_expires_at: Option<Ts>,
}

impl InstanceRow {
    /// Servable: not archived, and not an expired draft.
    pub(crate) fn live(&self, now: Ts) -> bool {
        match self.status.as_str() {
            "active" => true,
            "draft" => self.draft_expires_at.is_some_and(|t| t > now),
            _ => false,
        }
    }
}

/// One instance by id (system path).
pub(crate) async fn instance(tx: &mut Tx, id: Uuid) -> Result<Option<InstanceRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, InstanceRow>(
        "select id, workspace_id, widget_id, status, config, draft_expires_at from widget_instances where id = $1")
        .bind(id)
        .fetch_optional(&mut **c)
        .await)
}

/// Plans of the workspace's subscriptions that grant flags.
pub(crate) async fn workspace_plans(tx: &mut Tx, ws: Uuid) -> Result<Vec<String>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_scalar::<_, String>(
        "select plan from stripe_subscriptions where workspace_id = $1 and plan is not null \
         and status in ('active', 'trialing', 'past_due') order by plan")
        .bind(ws)
        .fetch_all(&mut **c)
        .await)
}

// ---------------------------------------------------------------- tokens (owner API)

/// An embed token as its workspace's members see it (never the secret).
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub(crate) struct TokenView {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Option<Uuid>,
    pub(crate) instance_id: Option<Uuid>,
    pub(crate) prefix: String,
    pub(crate) last4: String,
    pub(crate) scope: String,
    #[schema(value_type = Vec<String>)]
    pub(crate) allowed_origins: Json<Vec<String>>,
    pub(crate) status: String,
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: Ts,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) last_rotated_at: Option<Ts>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) last_used_at: Option<Ts>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) revoked_at: Option<Ts>,
}

const TOKEN_VIEW: &str = "select t.id, t.workspace_id, t.instance_id, t.prefix, t.last4, t.scope, \
    t.allowed_origins, t.status, t.created_at, t.last_rotated_at, t.last_used_at, t.revoked_at from embed_tokens t \
    join workspace_members m on m.workspace_id = t.workspace_id and m.user_id = $1";

/// True when `user` is an Owner of `ws`.
pub(crate) async fn is_owner(tx: &mut Tx, user: Uuid, ws: Uuid) -> Result<bool, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_scalar::<_, i64>(
        "select count(*) from workspace_members where user_id = $1 and workspace_id = $2 and role = 'owner'")
        .bind(user)
        .bind(ws)
        .fetch_one(&mut **c)
        .await)
    .map(|n| n > 0)
}

/// True when `user` is a member of `ws`.
pub(crate) async fn is_member(tx: &mut Tx, user: Uuid, ws: Uuid) -> Result<bool, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_scalar::<_, i64>(
        "select count(*) from workspace_members where user_id = $1 and workspace_id = $2")
        .bind(user)
        .bind(ws)
        .fetch_one(&mut **c)
        .await)
    .map(|n| n > 0)
}

/// Tokens of `ws` visible to `user`, newest first.
pub(crate) async fn list_tokens(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
) -> Result<Vec<TokenView>, sqlx::Error> {
    let sql = format!("{TOKEN_VIEW} where t.workspace_id = $2 order by t.created_at desc, t.id");
    on_tx!(tx, c => sqlx::query_as::<_, TokenView>(&sql)
        .bind(user)
        .bind(ws)
        .fetch_all(&mut **c)
        .await)
}

/// One token of `ws` visible to `user`.
pub(crate) async fn get_token(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<TokenView>, sqlx::Error> {
    let sql = format!("{TOKEN_VIEW} where t.workspace_id = $2 and t.id = $3");
    on_tx!(tx, c => sqlx::query_as::<_, TokenView>(&sql)
        .bind(user)
        .bind(ws)
        .bind(id)
        .fetch_optional(&mut **c)
        .await)
}

/// A new token row.
pub(crate) struct NewTokenRow<'a> {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Option<Uuid>,
    pub(crate) instance_id: Option<Uuid>,
    pub(crate) hash: &'a [u8],
    pub(crate) prefix: &'a str,
    pub(crate) last4: &'a str,
    pub(crate) scope: &'a str,
    pub(crate) allowed_origins: &'a [String],
    pub(crate) now: Ts,
}

/// Inserts a token (system path for drafts; owner path checks ownership first).
pub(crate) async fn insert_token(tx: &mut Tx, t: &NewTokenRow<'_>) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => sqlx::query(
        "insert into embed_tokens (id, workspace_id, instance_id, token_hash, prefix, last4, scope, allowed_origins, \
         status, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9)")
        .bind(t.id)
        .bind(t.workspace_id)
        .bind(t.instance_id)
        .bind(t.hash)
        .bind(t.prefix)
        .bind(t.last4)
        .bind(t.scope)
        .bind(Json(t.allowed_origins))
        .bind(t.now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Instance `id` belongs to `ws`.
pub(crate) async fn instance_in_workspace(
    tx: &mut Tx,
    id: Uuid,
    ws: Uuid,
) -> Result<bool, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_scalar::<_, i64>(
        "select count(*) from widget_instances where id = $1 and workspace_id = $2")
        .bind(id)
        .bind(ws)
        .fetch_one(&mut **c)
        .await)
    .map(|n| n > 0)
}

/// Replaces the secret of an active token; the old one verifies until `grace_until` (if any).
pub(crate) async fn rotate_token(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
    secret: &NewToken,
    grace_until: Option<Ts>,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "update embed_tokens set prev_token_hash = case when $6 is null then null else token_hash end, \
         prev_valid_until = $6, token_hash = $4, last4 = $5, last_rotated_at = $7 \
         where id = $3 and workspace_id = $2 and status = 'active' and workspace_id in \
         (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')")
        .bind(user)
        .bind(ws)
        .bind(id)
        .bind(&secret.hash)
        .bind(token::last4(&secret.plaintext))
        .bind(grace_until)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Revokes a token (idempotent); false when not found or not the owner.
pub(crate) async fn revoke_token(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "update embed_tokens set status = 'revoked', revoked_at = coalesce(revoked_at, $4), \
         prev_token_hash = null, prev_valid_until = null \
         where id = $3 and workspace_id = $2 and workspace_id in \
         (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')")
        .bind(user)
        .bind(ws)
        .bind(id)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// ---------------------------------------------------------------- drafts and claims

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
pub(crate) async fn insert_draft(tx: &mut Tx, d: &NewDraft<'_>) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => sqlx::query(
        "insert into widget_instances (id, workspace_id, widget_id, name, config, status, draft_token_hash, \
         draft_expires_at, created_at, updated_at) values ($1, null, $2, $3, $4, 'draft', $5, $6, $7, $7)")
        .bind(d.id)
        .bind(d.widget)
        .bind(d.name)
        .bind(Json(d.config))
        .bind(d.draft_hash)
        .bind(d.expires)
        .bind(d.now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// True when a widget type exists.
pub(crate) async fn widget_exists(tx: &mut Tx, widget: &str) -> Result<bool, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_scalar::<_, i64>("select count(*) from widgets where id = $1")
        .bind(widget)
        .fetch_one(&mut **c)
        .await)
    .map(|n| n > 0)
}

/// The draft a draft token points at, whatever its state.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DraftRow {
    pub(crate) id: Uuid,
    pub(crate) draft_expires_at: Option<Ts>,
}

/// Finds an unclaimed draft by its token hash.
pub(crate) async fn find_draft(tx: &mut Tx, hash: &[u8]) -> Result<Option<DraftRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, DraftRow>(
        "select id, draft_expires_at from widget_instances \
         where draft_token_hash = $1 and status = 'draft' and workspace_id is null")
        .bind(hash)
        .fetch_optional(&mut **c)
        .await)
}

/// True when a draft with this token hash was claimed before (the token was burnt then).
pub(crate) async fn was_claimed(tx: &mut Tx, hash: &[u8]) -> Result<bool, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_scalar::<_, i64>(
        "select count(*) from claim_attempts where token_hash = $1 and outcome = 'claimed'")
        .bind(hash)
        .fetch_one(&mut **c)
        .await)
    .map(|n| n > 0)
}

/// Moves a draft into `ws` and burns its token; false if someone else won the race.
pub(crate) async fn claim_draft(
    tx: &mut Tx,
    id: Uuid,
    ws: Uuid,
    user: Uuid,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "update widget_instances set workspace_id = $2, status = 'active', draft_token_hash = null, \
         draft_expires_at = null, claimed_at = $4, claimed_by = $3, updated_at = $4 \
         where id = $1 and status = 'draft' and workspace_id is null")
        .bind(id)
        .bind(ws)
        .bind(user)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    if n != 1 {
        return Ok(false);
    }
    for sql in [
        "update embed_tokens set workspace_id = $2 where instance_id = $1",
        "update submissions set workspace_id = $2 where instance_id = $1",
        "update usage_counters_daily set workspace_id = $2 where instance_id = $1",
    ] {
        on_tx!(tx, c => sqlx::query(sql).bind(id).bind(ws).execute(&mut **c).await.map(|r| r.rows_affected()))?;
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
    on_tx!(tx, c => sqlx::query(
        "insert into claim_attempts (id, user_id, ip_hash, token_hash, instance_id, workspace_id, outcome, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(Uuid::new_v4())
        .bind(a.user)
        .bind(a.ip_hash)
        .bind(a.token_hash)
        .bind(a.instance)
        .bind(a.workspace)
        .bind(a.outcome)
        .bind(a.now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
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
            Err(user) => on_tx!(tx, c => sqlx::query_as(sql).bind(user).bind(since).fetch_one(&mut **c).await)?,
            Ok(ip) => on_tx!(tx, c => sqlx::query_as(sql).bind(ip).bind(since).fetch_one(&mut **c).await)?,
        };
        if row.0 > worst.0 {
            worst = row;
        }
    }
    Ok(worst)
}

/// The caller's first workspace where it is an Owner (the default claim target).
pub(crate) async fn first_owned_workspace(
    tx: &mut Tx,
    user: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_scalar::<_, Uuid>(
        "select workspace_id from workspace_members where user_id = $1 and role = 'owner' \
         order by created_at, workspace_id limit 1")
        .bind(user)
        .fetch_optional(&mut **c)
        .await)
}

/// Deletes drafts unclaimed past their expiry (tokens and counters cascade).
pub(crate) async fn delete_expired_drafts(tx: &mut Tx, now: Ts) -> Result<u64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query(
        "delete from widget_instances where status = 'draft' and workspace_id is null and draft_expires_at <= $1")
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))
}

// ---------------------------------------------------------------- usage

/// Upserts one aggregated key.
pub(crate) async fn upsert_usage(
    tx: &mut Tx,
    key: &UsageKey,
    n: &Counts,
    now: Ts,
) -> Result<(), sqlx::Error> {
    let sql = match tx.dialect() {
        Dialect::Postgres => {
            "insert into usage_counters_daily as u (day, workspace_id, instance_id, token_id, loads, views, \
             interactions, errors, updated_at) values ($1::date, $2, $3, $4, $5, $6, $7, $8, $9) \
             on conflict (day, token_id, instance_id) do update set loads = u.loads + excluded.loads, \
             views = u.views + excluded.views, interactions = u.interactions + excluded.interactions, \
             errors = u.errors + excluded.errors, workspace_id = excluded.workspace_id, updated_at = excluded.updated_at"
        }
        Dialect::Sqlite => {
            "insert into usage_counters_daily as u (day, workspace_id, instance_id, token_id, loads, views, \
             interactions, errors, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             on conflict (day, token_id, ifnull(instance_id, x'')) do update set loads = u.loads + excluded.loads, \
             views = u.views + excluded.views, interactions = u.interactions + excluded.interactions, \
             errors = u.errors + excluded.errors, workspace_id = excluded.workspace_id, updated_at = excluded.updated_at"
        }
    };
    on_tx!(tx, c => sqlx::query(sql)
        .bind(&key.day)
        .bind(key.workspace_id)
        .bind(key.instance_id)
        .bind(key.token_id)
        .bind(n.loads)
        .bind(n.views)
        .bind(n.interactions)
        .bind(n.errors)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Daily usage of an instance, as its workspace's members see it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub(crate) struct UsageRow {
    pub(crate) day: String,
    pub(crate) token_id: Uuid,
    pub(crate) loads: i64,
    pub(crate) views: i64,
    pub(crate) interactions: i64,
    pub(crate) errors: i64,
}

/// Usage rows of workspace `ws` (optionally one instance), newest day first.
pub(crate) async fn usage(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    instance: Option<Uuid>,
) -> Result<Vec<UsageRow>, sqlx::Error> {
    let day = match tx.dialect() {
        Dialect::Postgres => "to_char(u.day, 'YYYY-MM-DD')",
        Dialect::Sqlite => "u.day",
    };
    let sql = format!(
        "select {day} as day, u.token_id, u.loads, u.views, u.interactions, u.errors from usage_counters_daily u \
         join workspace_members m on m.workspace_id = u.workspace_id and m.user_id = $1 \
         where u.workspace_id = $2 and ($3 is null or u.instance_id = $3) order by u.day desc, u.token_id"
    );
    on_tx!(tx, c => sqlx::query_as::<_, UsageRow>(&sql)
        .bind(user)
        .bind(ws)
        .bind(instance)
        .fetch_all(&mut **c)
        .await)
}

// ---------------------------------------------------------------- submissions

/// Stores a submission.
pub(crate) async fn insert_submission(
    tx: &mut Tx,
    id: Uuid,
    ws: Option<Uuid>,
    instance: Uuid,
    token: Uuid,
    data: &serde_json::Value,
    now: Ts,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => sqlx::query(
        "insert into submissions (id, workspace_id, instance_id, token_id, data, created_at) values ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(ws)
        .bind(instance)
        .bind(token)
        .bind(Json(data))
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A stored submission.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub(crate) struct SubmissionRow {
    pub(crate) id: Uuid,
    pub(crate) instance_id: Uuid,
    #[schema(value_type = Object)]
    pub(crate) data: Json<serde_json::Value>,
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: Ts,
}

/// Submissions of an instance in a workspace `user` is a member of, newest first.
pub(crate) async fn submissions(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    instance: Uuid,
    limit: i64,
) -> Result<Vec<SubmissionRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, SubmissionRow>(
        "select s.id, s.instance_id, s.data, s.created_at from submissions s \
         join workspace_members m on m.workspace_id = s.workspace_id and m.user_id = $1 \
         where s.workspace_id = $2 and s.instance_id = $3 order by s.created_at desc, s.id limit $4")
        .bind(user)
        .bind(ws)
        .bind(instance)
        .bind(limit)
        .fetch_all(&mut **c)
        .await)
}

/// The config of an instance in a workspace `user` is a member of.
pub(crate) async fn member_instance_config(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    instance: Uuid,
) -> Result<Option<Json<serde_json::Value>>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_scalar::<_, Json<serde_json::Value>>(
        "select i.config from widget_instances i \
         join workspace_members m on m.workspace_id = i.workspace_id and m.user_id = $1 \
         where i.workspace_id = $2 and i.id = $3")
        .bind(user)
        .bind(ws)
        .bind(instance)
        .fetch_optional(&mut **c)
        .await)
}

// ---------------------------------------------------------------- rate limits (shared GCRA)

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
    let allowed: Option<i64> = on_tx!(tx, c => sqlx::query_scalar(&sql)
        .bind(key)
        .bind(now_ms)
        .bind(interval_ms)
        .bind(window)
        .fetch_optional(&mut **c)
        .await)?;
    if allowed.is_some() {
        return Ok(Ok(()));
    }
    let tat: i64 = on_tx!(tx, c => sqlx::query_scalar("select tat_ms from rate_limits where key = $1")
        .bind(key)
        .fetch_one(&mut **c)
        .await)?;
    Ok(Err((tat.max(now_ms) + interval_ms - window - now_ms).max(1)))
}

/// Forgets rate-limit rows that have fully recovered.
pub(crate) async fn prune_rate_limits(tx: &mut Tx, now_ms: i64) -> Result<u64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("delete from rate_limits where tat_ms < $1")
        .bind(now_ms)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))
}
