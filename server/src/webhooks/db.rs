//! SQL of `webhook_endpoints`. Owner-only: every owner query also checks the membership (SQLite has
//! no row-level security; on Postgres the policies check it again).

use sqlx::types::Json;
use uuid::Uuid;

use super::Endpoint;
use crate::store::{execute, fetch, Ts, Tx};

const COLUMNS: &str =
    "id, workspace_id, url, description, instance_ids, active, secret_hint, created_at";
const OWNER: &str = "workspace_id in (select m.workspace_id from workspace_members m \
    where m.user_id = $1 and m.role = 'owner')";

/// Endpoints of workspace `ws`, if `user` owns it.
pub(crate) async fn list(tx: &mut Tx, user: Uuid, ws: Uuid) -> Result<Vec<Endpoint>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS} from webhook_endpoints where workspace_id = $2 and {OWNER} \
         order by created_at, id"
    );
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, Endpoint>(&sql).bind(user).bind(ws)
    )
}

/// One endpoint of workspace `ws`, if `user` owns it.
pub(crate) async fn get(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<Endpoint>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS} from webhook_endpoints where id = $3 and workspace_id = $2 and {OWNER}"
    );
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as::<_, Endpoint>(&sql)
            .bind(user)
            .bind(ws)
            .bind(id)
    )
}

/// A new endpoint.
pub(crate) struct NewEndpoint<'a> {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Uuid,
    pub(crate) url: &'a str,
    pub(crate) description: &'a str,
    pub(crate) instance_ids: Option<Vec<Uuid>>,
    pub(crate) salt: &'a [u8],
    pub(crate) hint: &'a str,
    pub(crate) created_by: Uuid,
}

/// Stores an endpoint (the caller checked ownership and the limit).
pub(crate) async fn insert(tx: &mut Tx, e: &NewEndpoint<'_>) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into webhook_endpoints (id, workspace_id, url, description, instance_ids, active, \
         secret_salt, secret_hint, created_by, created_at) values ($1, $2, $3, $4, $5, true, $6, $7, $8, $9)")
        .bind(e.id)
        .bind(e.workspace_id)
        .bind(e.url)
        .bind(e.description)
        .bind(e.instance_ids.clone().map(Json))
        .bind(e.salt)
        .bind(e.hint)
        .bind(e.created_by)
        .bind(Ts::now()))?;
    Ok(())
}

/// How many endpoints workspace `ws` has.
pub(crate) async fn count(tx: &mut Tx, ws: Uuid) -> Result<i64, sqlx::Error> {
    fetch!(
        tx,
        fetch_one,
        sqlx::query_scalar::<_, i64>(
            "select count(*) from webhook_endpoints where workspace_id = $1"
        )
        .bind(ws)
    )
}

/// Which of `ids` are widget instances of workspace `ws`.
pub(crate) async fn instances_in(
    tx: &mut Tx,
    ws: Uuid,
    ids: &[Uuid],
) -> Result<usize, sqlx::Error> {
    let mut found = 0;
    for id in ids {
        let n = fetch!(
            tx,
            fetch_one,
            sqlx::query_scalar::<_, i64>(
                "select count(*) from widget_instances where id = $1 and workspace_id = $2"
            )
            .bind(id)
            .bind(ws)
        )?;
        found += usize::from(n > 0);
    }
    Ok(found)
}

/// Changes an endpoint of a workspace `user` owns; false when there is none.
pub(crate) async fn update(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    e: &Endpoint,
) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "update webhook_endpoints set url = $4, description = $5, instance_ids = $6, active = $7 \
         where id = $3 and workspace_id = $2 and {OWNER}"
    );
    Ok(execute!(
        tx,
        sqlx::query(&sql)
            .bind(user)
            .bind(ws)
            .bind(e.id)
            .bind(&e.url)
            .bind(&e.description)
            .bind(e.instance_ids.clone())
            .bind(e.active)
    )? > 0)
}

/// Deletes an endpoint (its pending deliveries go with it); false when there is none.
pub(crate) async fn delete(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let sql =
        format!("delete from webhook_endpoints where id = $3 and workspace_id = $2 and {OWNER}");
    Ok(execute!(tx, sqlx::query(&sql).bind(user).bind(ws).bind(id))? > 0)
}

/// Active endpoints of workspace `ws` that receive submissions to `instance` (ck_system).
pub(crate) async fn active_for(
    tx: &mut Tx,
    ws: Uuid,
    instance: Uuid,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS} from webhook_endpoints where workspace_id = $1 and active order by created_at, id"
    );
    let all = fetch!(tx, fetch_all, sqlx::query_as::<_, Endpoint>(&sql).bind(ws))?;
    Ok(all
        .into_iter()
        .filter(|e| e.covers(instance))
        .map(|e| e.id)
        .collect())
}

/// What a delivery needs of its endpoint (ck_system).
#[derive(sqlx::FromRow)]
pub(crate) struct Target {
    pub(crate) url: String,
    pub(crate) active: bool,
    pub(crate) secret_salt: Vec<u8>,
}

pub(crate) async fn target(tx: &mut Tx, id: Uuid) -> Result<Option<Target>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as::<_, Target>(
            "select url, active, secret_salt from webhook_endpoints where id = $1"
        )
        .bind(id)
    )
}
