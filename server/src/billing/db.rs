//! SQL of the Stripe mirror: `stripe_events` (dedupe), `stripe_customers`, `stripe_subscriptions`.
//! Every upsert keeps the newest event's state: an older event arriving late changes nothing.

use uuid::Uuid;

use crate::store::{execute, fetch, Ts, Tx};

/// Records an event id; false when it was processed before.
pub(crate) async fn first_delivery(tx: &mut Tx, id: &str, kind: &str) -> Result<bool, sqlx::Error> {
    let fresh = execute!(tx, sqlx::query(
        "insert into stripe_events (id, type, received_at) values ($1, $2, $3) on conflict (id) do nothing")
        .bind(id)
        .bind(kind)
        .bind(Ts::now()))?;
    Ok(fresh > 0)
}

/// Upserts a customer.
pub(crate) async fn upsert_customer(
    tx: &mut Tx,
    id: &str,
    ws: Option<Uuid>,
    deleted: bool,
    created: i64,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into stripe_customers as s (id, workspace_id, deleted, event_created, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $5) on conflict (id) do update set \
         workspace_id = coalesce(excluded.workspace_id, s.workspace_id), deleted = excluded.deleted, \
         event_created = excluded.event_created, updated_at = excluded.updated_at \
         where s.event_created <= excluded.event_created")
        .bind(id)
        .bind(ws)
        .bind(deleted)
        .bind(created)
        .bind(Ts::now()))?;
    Ok(())
}

/// The workspace a customer was mirrored with.
pub(crate) async fn customer_workspace(
    tx: &mut Tx,
    customer: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    Ok(fetch!(
        tx,
        fetch_optional,
        sqlx::query_scalar::<_, Option<Uuid>>(
            "select workspace_id from stripe_customers where id = $1"
        )
        .bind(customer)
    )?
    .flatten())
}

/// A subscription as the mirror keeps it.
pub(crate) struct Subscription<'a> {
    pub(crate) id: &'a str,
    pub(crate) customer: &'a str,
    pub(crate) workspace_id: Option<Uuid>,
    pub(crate) status: &'a str,
    pub(crate) price_id: Option<&'a str>,
    pub(crate) plan: Option<String>,
    pub(crate) current_period_end: Option<Ts>,
    pub(crate) cancel_at_period_end: bool,
    pub(crate) event_created: i64,
}

/// Upserts a subscription.
pub(crate) async fn upsert_subscription(
    tx: &mut Tx,
    s: &Subscription<'_>,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into stripe_subscriptions as s (id, customer_id, workspace_id, status, price_id, plan, \
         current_period_end, cancel_at_period_end, event_created, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) on conflict (id) do update set \
         customer_id = excluded.customer_id, workspace_id = coalesce(excluded.workspace_id, s.workspace_id), \
         status = excluded.status, price_id = excluded.price_id, plan = excluded.plan, \
         current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end, \
         event_created = excluded.event_created, updated_at = excluded.updated_at \
         where s.event_created <= excluded.event_created")
        .bind(s.id)
        .bind(s.customer)
        .bind(s.workspace_id)
        .bind(s.status)
        .bind(s.price_id)
        .bind(&s.plan)
        .bind(s.current_period_end)
        .bind(s.cancel_at_period_end)
        .bind(s.event_created)
        .bind(Ts::now()))?;
    Ok(())
}

/// Sets a subscription's status from an invoice event (a canceled one stays canceled).
pub(crate) async fn set_subscription_status(
    tx: &mut Tx,
    id: &str,
    status: &str,
    created: i64,
) -> Result<(), sqlx::Error> {
    execute!(
        tx,
        sqlx::query(
            "update stripe_subscriptions set status = $2, event_created = $3, updated_at = $4 \
             where id = $1 and event_created <= $3 and status <> 'canceled'"
        )
        .bind(id)
        .bind(status)
        .bind(created)
        .bind(Ts::now())
    )?;
    Ok(())
}

/// Plans of the workspace's subscriptions that grant flags.
pub(crate) async fn workspace_plans(tx: &mut Tx, ws: Uuid) -> Result<Vec<String>, sqlx::Error> {
    fetch!(
        tx,
        fetch_all,
        sqlx::query_scalar::<_, String>(
            "select plan from stripe_subscriptions where workspace_id = $1 and plan is not null \
             and status in ('active', 'trialing', 'past_due') order by plan"
        )
        .bind(ws)
    )
}

/// A subscription as a member of its workspace sees it on the billing page.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct MemberSubscription {
    pub(crate) status: String,
    pub(crate) plan: Option<String>,
    pub(crate) current_period_end: Option<Ts>,
    pub(crate) cancel_at_period_end: bool,
}

/// The subscriptions mirrored for workspace `ws`, if `user` is a member; newest first.
pub(crate) async fn member_subscriptions(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
) -> Result<Vec<MemberSubscription>, sqlx::Error> {
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, MemberSubscription>(
            "select s.status, s.plan, s.current_period_end, s.cancel_at_period_end \
             from stripe_subscriptions s join workspace_members m \
             on m.workspace_id = s.workspace_id and m.user_id = $1 \
             where s.workspace_id = $2 order by s.updated_at desc, s.id"
        )
        .bind(user)
        .bind(ws)
    )
}
