//! SQL of `submissions`.

use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

use crate::store::{execute, fetch, Ts, Tx};

/// Stores a submission.
pub(crate) async fn insert(
    tx: &mut Tx,
    id: Uuid,
    ws: Option<Uuid>,
    instance: Uuid,
    token: Uuid,
    data: &serde_json::Value,
    now: Ts,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into submissions (id, workspace_id, instance_id, token_id, data, created_at) values ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(ws)
        .bind(instance)
        .bind(token)
        .bind(Json(data))
        .bind(now))?;
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
pub(crate) async fn list(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    instance: Uuid,
    limit: i64,
) -> Result<Vec<SubmissionRow>, sqlx::Error> {
    fetch!(tx, fetch_all, sqlx::query_as::<_, SubmissionRow>(
        "select s.id, s.instance_id, s.data, s.created_at from submissions s \
         join workspace_members m on m.workspace_id = s.workspace_id and m.user_id = $1 \
         where s.workspace_id = $2 and s.instance_id = $3 order by s.created_at desc, s.id limit $4")
        .bind(user)
        .bind(ws)
        .bind(instance)
        .bind(limit))
}
