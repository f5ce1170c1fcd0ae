//! SQL of `usage_counters_daily`: the flusher's upsert and the members' daily report.

use serde::Serialize;
use uuid::Uuid;

use super::{Counts, UsageKey};
use crate::store::{execute, fetch, Dialect, Ts, Tx};

/// Upserts one aggregated key. The row's workspace is looked up at write time, never taken from
/// the key: a key recorded with a token verified before a claim (cached with workspace NULL) must
/// not move the claimed widget's counters back out of its workspace. Usage follows the instance's
/// current workspace (page-level events without an instance: the token's). On Postgres the lookup
/// takes a share lock, so a concurrent claim either runs first (and the lookup sees its workspace)
/// or waits for this flush to commit (and then moves the rows written here).
pub(crate) async fn upsert(
    tx: &mut Tx,
    key: &UsageKey,
    n: &Counts,
    now: Ts,
) -> Result<(), sqlx::Error> {
    let (day, lock, conflict) = match tx.dialect() {
        Dialect::Postgres => ("$1::date", " for share", "(day, token_id, instance_id)"),
        Dialect::Sqlite => ("$1", "", "(day, token_id, ifnull(instance_id, x''))"),
    };
    let sql = format!(
        "insert into usage_counters_daily as u (day, workspace_id, instance_id, token_id, loads, views, \
         interactions, errors, updated_at) values ({day}, \
         case when $2 is null then (select t.workspace_id from embed_tokens t where t.id = $3{lock}) \
         else (select i.workspace_id from widget_instances i where i.id = $2{lock}) end, \
         $2, $3, $4, $5, $6, $7, $8) \
         on conflict {conflict} do update set loads = u.loads + excluded.loads, \
         views = u.views + excluded.views, interactions = u.interactions + excluded.interactions, \
         errors = u.errors + excluded.errors, workspace_id = excluded.workspace_id, updated_at = excluded.updated_at"
    );
    execute!(
        tx,
        sqlx::query(&sql)
            .bind(&key.day)
            .bind(key.instance_id)
            .bind(key.token_id)
            .bind(n.loads)
            .bind(n.views)
            .bind(n.interactions)
            .bind(n.errors)
            .bind(now)
    )?;
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
pub(crate) async fn daily(
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
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, UsageRow>(&sql)
            .bind(user)
            .bind(ws)
            .bind(instance)
    )
}

/// One day's (or one widget's) summed counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub(crate) struct DayTotals {
    /// UTC day, `YYYY-MM-DD`.
    pub(crate) day: String,
    pub(crate) loads: i64,
    pub(crate) views: i64,
    pub(crate) interactions: i64,
    pub(crate) errors: i64,
}

/// One widget's summed counters over a range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub(crate) struct WidgetTotals {
    pub(crate) instance_id: Uuid,
    pub(crate) loads: i64,
    pub(crate) views: i64,
    pub(crate) interactions: i64,
    pub(crate) errors: i64,
}

const SUMS: &str = "cast(sum(u.loads) as bigint) as loads, cast(sum(u.views) as bigint) as views, \
    cast(sum(u.interactions) as bigint) as interactions, cast(sum(u.errors) as bigint) as errors";

/// Per-day sums of workspace `ws` (optionally one instance) from day `from` on, as its members
/// see them; days without rows are absent.
pub(crate) async fn per_day(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    instance: Option<Uuid>,
    from: &str,
) -> Result<Vec<DayTotals>, sqlx::Error> {
    let (day, from_day) = match tx.dialect() {
        Dialect::Postgres => ("to_char(u.day, 'YYYY-MM-DD')", "$4::date"),
        Dialect::Sqlite => ("u.day", "$4"),
    };
    let sql = format!(
        "select {day} as day, {SUMS} from usage_counters_daily u \
         join workspace_members m on m.workspace_id = u.workspace_id and m.user_id = $1 \
         where u.workspace_id = $2 and ($3 is null or u.instance_id = $3) and u.day >= {from_day} \
         group by u.day order by u.day"
    );
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, DayTotals>(&sql)
            .bind(user)
            .bind(ws)
            .bind(instance)
            .bind(from)
    )
}

/// Per-widget sums of workspace `ws` from day `from` on, as its members see them.
pub(crate) async fn per_widget(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    from: &str,
) -> Result<Vec<WidgetTotals>, sqlx::Error> {
    let from_day = match tx.dialect() {
        Dialect::Postgres => "$3::date",
        Dialect::Sqlite => "$3",
    };
    let sql = format!(
        "select u.instance_id, {SUMS} from usage_counters_daily u \
         join workspace_members m on m.workspace_id = u.workspace_id and m.user_id = $1 \
         where u.workspace_id = $2 and u.instance_id is not null and u.day >= {from_day} \
         group by u.instance_id"
    );
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, WidgetTotals>(&sql)
            .bind(user)
            .bind(ws)
            .bind(from)
    )
}
