//! SQL of `embed_tokens`. Owner-path queries name the acting user and join `workspace_members`
//! (the SQLite tenant wall; on Postgres RLS guards the same rows as well).

use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

use super::NewToken;
use crate::store::{execute, fetch, Ts, Tx};

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
pub(crate) async fn find_active(
    tx: &mut Tx,
    hash: &[u8],
    now: Ts,
) -> Result<Option<TokenRow>, sqlx::Error> {
    fetch!(tx, fetch_optional, sqlx::query_as::<_, TokenRow>(
        "select t.id, t.workspace_id, t.instance_id, t.scope, t.allowed_origins from embed_tokens t \
         left join widget_instances i on i.id = t.instance_id \
         where (t.token_hash = $1 or (t.prev_token_hash = $1 and t.prev_valid_until > $2)) \
         and t.status = 'active' and (t.expires_at is null or t.expires_at > $2) \
         and (i.id is null or i.status <> 'draft' or i.draft_expires_at > $2)")
        .bind(hash)
        .bind(now))
}

/// Records use at most once a minute per token (a write per request would be a hot spot).
pub(crate) async fn touch(tx: &mut Tx, id: Uuid, now: Ts) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "update embed_tokens set last_used_at = $2 where id = $1 and (last_used_at is null or last_used_at < $3)")
        .bind(id)
        .bind(now)
        .bind(now.plus(time::Duration::minutes(-1))))?;
    Ok(())
}

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

/// Tokens of `ws` visible to `user`, newest first.
pub(crate) async fn list(tx: &mut Tx, user: Uuid, ws: Uuid) -> Result<Vec<TokenView>, sqlx::Error> {
    let sql = format!("{TOKEN_VIEW} where t.workspace_id = $2 order by t.created_at desc, t.id");
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, TokenView>(&sql).bind(user).bind(ws)
    )
}

/// One token of `ws` visible to `user`.
pub(crate) async fn get(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<TokenView>, sqlx::Error> {
    let sql = format!("{TOKEN_VIEW} where t.workspace_id = $2 and t.id = $3");
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as::<_, TokenView>(&sql)
            .bind(user)
            .bind(ws)
            .bind(id)
    )
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
pub(crate) async fn insert(tx: &mut Tx, t: &NewTokenRow<'_>) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
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
        .bind(t.now))?;
    Ok(())
}

/// Replaces the secret of an active token; the old one verifies until `grace_until` (if any).
pub(crate) async fn rotate(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
    secret: &NewToken,
    grace_until: Option<Ts>,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let n = execute!(tx, sqlx::query(
        "update embed_tokens set prev_token_hash = case when $6 is null then null else token_hash end, \
         prev_valid_until = $6, token_hash = $4, last4 = $5, last_rotated_at = $7 \
         where id = $3 and workspace_id = $2 and status = 'active' and workspace_id in \
         (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')")
        .bind(user)
        .bind(ws)
        .bind(id)
        .bind(&secret.hash)
        .bind(super::last4(&secret.plaintext))
        .bind(grace_until)
        .bind(now))?;
    Ok(n == 1)
}

/// Revokes a token (idempotent); false when not found or not the owner.
pub(crate) async fn revoke(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let n = execute!(tx, sqlx::query(
        "update embed_tokens set status = 'revoked', revoked_at = coalesce(revoked_at, $4), \
         prev_token_hash = null, prev_valid_until = null \
         where id = $3 and workspace_id = $2 and workspace_id in \
         (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')")
        .bind(user)
        .bind(ws)
        .bind(id)
        .bind(now))?;
    Ok(n == 1)
}

/// Replaces a token's allowed origins; false when not found or not the owner.
pub(crate) async fn set_origins(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
    origins: &[String],
) -> Result<bool, sqlx::Error> {
    let n = execute!(tx, sqlx::query(
        "update embed_tokens set allowed_origins = $4 where id = $3 and workspace_id = $2 and workspace_id in \
         (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')")
        .bind(user)
        .bind(ws)
        .bind(id)
        .bind(Json(origins)))?;
    Ok(n == 1)
}
