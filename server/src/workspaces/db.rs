//! SQL of workspaces, memberships and widget instances.
//!
//! Every member query names the caller (`user`) and joins `workspace_members`: that is the tenant
//! boundary on SQLite, and on Postgres it sits on top of RLS as a second wall. The few system-path
//! queries (no `user`) say so.

use sqlx::types::Json;
use uuid::Uuid;

use super::{Instance, NewInstance, Workspace};
use crate::store::{execute, fetch, Ts, Tx};

/// [`Workspace`] rows of the workspaces `$1` is a member of.
const WORKSPACE: &str = "select w.id, w.name, m.role, w.created_at from workspaces w \
    join workspace_members m on m.workspace_id = w.id and m.user_id = $1";

/// The columns of [`Instance`], for `widget_instances i`.
const INSTANCE: &str =
    "select i.id, i.workspace_id, i.widget_id, i.name, i.status, i.config, i.created_at, \
     i.draft_expires_at from widget_instances i";

/// Creates a workspace with `owner` as its Owner. Runs as `Actor::Auth` at signup or as the user.
pub(crate) async fn create(
    tx: &mut Tx,
    id: Uuid,
    name: &str,
    owner: Uuid,
    now: Ts,
) -> Result<(), sqlx::Error> {
    execute!(
        tx,
        sqlx::query(
            "insert into workspaces (id, name, created_by, created_at) values ($1, $2, $3, $4)"
        )
        .bind(id)
        .bind(name)
        .bind(owner)
        .bind(now)
    )?;
    execute!(tx, sqlx::query(
        "insert into workspace_members (workspace_id, user_id, role, created_at) values ($1, $2, 'owner', $3)")
        .bind(id)
        .bind(owner)
        .bind(now))?;
    Ok(())
}

/// The workspaces `user` belongs to, oldest first.
pub(crate) async fn list(tx: &mut Tx, user: Uuid) -> Result<Vec<Workspace>, sqlx::Error> {
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, Workspace>(&format!("{WORKSPACE} order by w.created_at, w.id"))
            .bind(user)
    )
}

/// One workspace, if `user` is a member.
pub(crate) async fn get(
    tx: &mut Tx,
    user: Uuid,
    id: Uuid,
) -> Result<Option<Workspace>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as::<_, Workspace>(&format!("{WORKSPACE} where w.id = $2"))
            .bind(user)
            .bind(id)
    )
}

/// Renames a workspace `user` owns; false when not found or not the owner.
pub(crate) async fn rename(
    tx: &mut Tx,
    user: Uuid,
    id: Uuid,
    name: &str,
) -> Result<bool, sqlx::Error> {
    let n = execute!(tx, sqlx::query(
        "update workspaces set name = $3 where id = $2 and id in \
         (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')")
        .bind(user)
        .bind(id)
        .bind(name))?;
    Ok(n == 1)
}

/// Widget instances of workspace `ws`, if `user` is a member (empty otherwise).
pub(crate) async fn instances(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
) -> Result<Vec<Instance>, sqlx::Error> {
    let sql = format!(
        "{INSTANCE} join workspace_members m on m.workspace_id = i.workspace_id and m.user_id = $1 \
         where i.workspace_id = $2 order by i.created_at, i.id"
    );
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, Instance>(&sql).bind(user).bind(ws)
    )
}

/// One instance by id. With `member`, only if it is in one of that user's workspaces; without
/// (system paths: the embed, submissions), whatever its state, drafts included.
pub(crate) async fn instance(
    tx: &mut Tx,
    id: Uuid,
    member: Option<Uuid>,
) -> Result<Option<Instance>, sqlx::Error> {
    let sql = format!(
        "{INSTANCE} where i.id = $1 and ($2 is null or i.workspace_id in \
         (select m.workspace_id from workspace_members m where m.user_id = $2))"
    );
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as::<_, Instance>(&sql).bind(id).bind(member)
    )
}

/// Creates an instance in `ws`; false (nothing written) when `user` is not its Owner.
pub(crate) async fn create_instance(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    new: &NewInstance<'_>,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let n = execute!(tx, sqlx::query(
        "insert into widget_instances (id, workspace_id, widget_id, name, config, status, created_at, updated_at) \
         select $3, $2, $4, $5, $6, 'active', $7, $7 \
         where exists (select 1 from workspace_members m where m.workspace_id = $2 and m.user_id = $1 \
         and m.role = 'owner')")
        .bind(user)
        .bind(ws)
        .bind(new.id)
        .bind(new.widget)
        .bind(new.name)
        .bind(Json(new.config))
        .bind(now))?;
    Ok(n == 1)
}

/// Renames an instance; false unless it is in a workspace `user` owns.
pub(crate) async fn rename_instance(
    tx: &mut Tx,
    user: Uuid,
    id: Uuid,
    name: &str,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let n = execute!(tx, sqlx::query(
        "update widget_instances set name = $3, updated_at = $4 where id = $2 and workspace_id in \
         (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')")
        .bind(user)
        .bind(id)
        .bind(name)
        .bind(now))?;
    Ok(n == 1)
}

/// Deletes an instance; false unless it is in a workspace `user` owns.
pub(crate) async fn delete_instance(
    tx: &mut Tx,
    user: Uuid,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let n = execute!(
        tx,
        sqlx::query(
            "delete from widget_instances where id = $2 and workspace_id in \
             (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')"
        )
        .bind(user)
        .bind(id)
    )?;
    Ok(n == 1)
}

/// True when `user` is an Owner of `ws`.
pub(crate) async fn is_owner(tx: &mut Tx, user: Uuid, ws: Uuid) -> Result<bool, sqlx::Error> {
    fetch!(tx, fetch_one, sqlx::query_scalar::<_, i64>(
        "select count(*) from workspace_members where user_id = $1 and workspace_id = $2 and role = 'owner'")
        .bind(user)
        .bind(ws))
    .map(|n| n > 0)
}

/// True when `user` is a member of `ws`.
pub(crate) async fn is_member(tx: &mut Tx, user: Uuid, ws: Uuid) -> Result<bool, sqlx::Error> {
    fetch!(
        tx,
        fetch_one,
        sqlx::query_scalar::<_, i64>(
            "select count(*) from workspace_members where user_id = $1 and workspace_id = $2"
        )
        .bind(user)
        .bind(ws)
    )
    .map(|n| n > 0)
}

/// The caller's first workspace where it is an Owner (the default claim target).
pub(crate) async fn first_owned(tx: &mut Tx, user: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_scalar::<_, Uuid>(
            "select workspace_id from workspace_members where user_id = $1 and role = 'owner' \
             order by created_at, workspace_id limit 1"
        )
        .bind(user)
    )
}

/// True when workspace `id` exists (system path: the Stripe mirror checks metadata with it).
pub(crate) async fn exists(tx: &mut Tx, id: Uuid) -> Result<bool, sqlx::Error> {
    fetch!(
        tx,
        fetch_one,
        sqlx::query_scalar::<_, i64>("select count(*) from workspaces where id = $1").bind(id)
    )
    .map(|n| n > 0)
}

/// Replaces an instance's config; false unless it is in a workspace `user` owns.
pub(crate) async fn update_instance_config(
    tx: &mut Tx,
    user: Uuid,
    id: Uuid,
    config: &serde_json::Value,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let n = execute!(tx, sqlx::query(
        "update widget_instances set config = $3, updated_at = $4 where id = $2 and workspace_id in \
         (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')")
        .bind(user)
        .bind(id)
        .bind(Json(config))
        .bind(now))?;
    Ok(n == 1)
}

/// Ids of the embed tokens of workspace `ws` (or only of instance `instance`), as `user` sees
/// them: announced as revoked when a deletion takes them away.
pub(crate) async fn token_ids(
    tx: &mut Tx,
    user: Uuid,
    ws: Option<Uuid>,
    instance: Option<Uuid>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    fetch!(
        tx,
        fetch_all,
        sqlx::query_scalar::<_, Uuid>(
            "select t.id from embed_tokens t join workspace_members m \
             on m.workspace_id = t.workspace_id and m.user_id = $1 \
             where ($2 is null or t.workspace_id = $2) and ($3 is null or t.instance_id = $3)"
        )
        .bind(user)
        .bind(ws)
        .bind(instance)
    )
}

/// Deletes a workspace `user` owns, with (by cascade) its instances, tokens, usage and
/// submissions; false when not found or not the owner.
pub(crate) async fn delete(tx: &mut Tx, user: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let n = execute!(
        tx,
        sqlx::query(
            "delete from workspaces where id = $2 and id in \
             (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')"
        )
        .bind(user)
        .bind(id)
    )?;
    Ok(n == 1)
}

/// Ids of the workspaces `user` owns or created (account deletion removes them all).
pub(crate) async fn owned_or_created(tx: &mut Tx, user: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    fetch!(
        tx,
        fetch_all,
        sqlx::query_scalar::<_, Uuid>(
            "select w.id from workspaces w where w.created_by = $1 or w.id in \
             (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')"
        )
        .bind(user)
    )
}
