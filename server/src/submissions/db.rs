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
    /// The answers by field name, hidden fields included, as the visitor's page sent them.
    #[schema(value_type = Object, example = json!({"email": "ada@example.com", "utm_source": "newsletter"}))]
    pub(crate) data: Json<serde_json::Value>,
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: Ts,
}

/// Where a page of submissions starts: after the row with this `created_at` and `id` (newest
/// first), as the opaque cursor `<unix ms>.<id>` that the previous page handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) created_at: Ts,
    pub(crate) id: Uuid,
}

impl Cursor {
    /// The cursor that continues after `row`.
    pub(crate) fn after(row: &SubmissionRow) -> Self {
        Self {
            created_at: row.created_at,
            id: row.id,
        }
    }

    /// Parses `<unix ms>.<id>`; `None` for anything else.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        let (ms, id) = raw.split_once('.')?;
        Some(Self {
            created_at: Ts::from_millis(ms.parse().ok().filter(|ms: &i64| *ms >= 0)?),
            id: Uuid::try_parse(id).ok()?,
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.created_at.millis(), self.id.simple())
    }
}

/// Submissions of an instance in a workspace `user` is a member of, newest first, after `after`.
pub(crate) async fn list(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    instance: Uuid,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Vec<SubmissionRow>, sqlx::Error> {
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, SubmissionRow>(
            "select s.id, s.instance_id, s.data, s.created_at from submissions s \
         join workspace_members m on m.workspace_id = s.workspace_id and m.user_id = $1 \
         where s.workspace_id = $2 and s.instance_id = $3 \
         and ($5 is null or s.created_at < $5 or (s.created_at = $5 and s.id < $6)) \
         order by s.created_at desc, s.id desc limit $4"
        )
        .bind(user)
        .bind(ws)
        .bind(instance)
        .bind(limit)
        .bind(after.map(|c| c.created_at))
        .bind(after.map(|c| c.id))
    )
}

/// Deletes one submission of an instance in a workspace `user` owns; false when not found.
pub(crate) async fn delete(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    instance: Uuid,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let n = execute!(tx, sqlx::query(
        "delete from submissions where id = $4 and instance_id = $3 and workspace_id = $2 and workspace_id in \
         (select m.workspace_id from workspace_members m where m.user_id = $1 and m.role = 'owner')")
        .bind(user)
        .bind(ws)
        .bind(instance)
        .bind(id))?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor {
            created_at: Ts::from_millis(1_795_996_799_123),
            id: Uuid::from_u128(0xabc),
        };
        assert_eq!(Cursor::parse(&c.to_string()), Some(c));
        for bad in [
            "",
            "1",
            "x.y",
            "-5.00000000000000000000000000000abc",
            "12.nope",
            "12",
        ] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }
}
