//! Billing: a mirror of Stripe customers and subscriptions fed by the signed webhook ([`http`]; no
//! Stripe API calls), and the plan → feature flags the config manifest returns ([`plans`]).
//!
//! Tables: `stripe_events`, `stripe_customers`, `stripe_subscriptions`.

pub(crate) mod db;
pub(crate) mod http;
pub(crate) mod plans;
pub(crate) mod signature;

use serde_json::Value;
use uuid::Uuid;

use crate::{
    error::Error,
    store::{Ts, Tx},
    workspaces,
};

/// Applies one (verified, first-seen) event to the mirror.
pub(crate) async fn apply(
    tx: &mut Tx,
    kind: &str,
    object: &Value,
    created: i64,
) -> Result<(), Error> {
    match kind {
        "customer.created" | "customer.updated" | "customer.deleted" => {
            mirror_customer(tx, object, kind == "customer.deleted", created).await?;
        }
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => {
            mirror_subscription(tx, object, kind.ends_with("deleted"), created).await?;
        }
        "invoice.paid" | "invoice.payment_failed" => {
            let status = if kind == "invoice.paid" {
                "active"
            } else {
                "past_due"
            };
            if let Some(sub) = invoice_subscription(object) {
                db::set_subscription_status(tx, sub, status, created).await?;
            }
        }
        _ => tracing::debug!(kind, "Stripe event type ignored"),
    }
    Ok(())
}

/// The object's Stripe id, which must carry `prefix` (`cus_`, `sub_`).
fn object_id<'a>(object: &'a Value, prefix: &str, missing: &'static str) -> Result<&'a str, Error> {
    object["id"]
        .as_str()
        .filter(|s| s.starts_with(prefix))
        .ok_or_else(|| Error::bad_request("invalid_event", missing))
}

/// `metadata.workspace_id`, if it names an existing workspace (a bad value must not fail the event).
async fn workspace_from_metadata(tx: &mut Tx, object: &Value) -> Result<Option<Uuid>, Error> {
    let Some(ws) = object["metadata"]["workspace_id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
    else {
        return Ok(None);
    };
    Ok(workspaces::db::exists(tx, ws).await?.then_some(ws))
}

async fn mirror_customer(
    tx: &mut Tx,
    object: &Value,
    deleted: bool,
    created: i64,
) -> Result<(), Error> {
    let id = object_id(object, "cus_", "customer id missing")?;
    let ws = workspace_from_metadata(tx, object).await?;
    db::upsert_customer(tx, id, ws, deleted, created).await?;
    Ok(())
}

async fn mirror_subscription(
    tx: &mut Tx,
    object: &Value,
    deleted: bool,
    created: i64,
) -> Result<(), Error> {
    let id = object_id(object, "sub_", "subscription id missing")?;
    let customer = match &object["customer"] {
        Value::String(s) => s.clone(),
        other => other["id"].as_str().unwrap_or_default().to_owned(),
    };
    let mut ws = workspace_from_metadata(tx, object).await?;
    if ws.is_none() {
        ws = db::customer_workspace(tx, &customer).await?;
    }
    let status = if deleted {
        "canceled"
    } else {
        object["status"].as_str().unwrap_or("incomplete")
    };
    let item = &object["items"]["data"][0];
    let price = &item["price"];
    // The plan name: the price's lookup_key, else its metadata.plan, else the subscription's.
    let plan = price["lookup_key"]
        .as_str()
        .or_else(|| price["metadata"]["plan"].as_str())
        .or_else(|| object["metadata"]["plan"].as_str())
        .map(str::to_ascii_lowercase);
    let period_end = item["current_period_end"]
        .as_i64()
        .or_else(|| object["current_period_end"].as_i64());
    db::upsert_subscription(
        tx,
        &db::Subscription {
            id,
            customer: &customer,
            workspace_id: ws,
            status,
            price_id: price["id"].as_str(),
            plan,
            current_period_end: period_end.map(|s| Ts::from_millis(s.saturating_mul(1000))),
            cancel_at_period_end: object["cancel_at_period_end"].as_bool().unwrap_or(false),
            event_created: created,
        },
    )
    .await?;
    Ok(())
}

/// The subscription an invoice belongs to (old and new API shapes).
fn invoice_subscription(invoice: &Value) -> Option<&str> {
    invoice["subscription"]
        .as_str()
        .or_else(|| invoice["subscription"]["id"].as_str())
        .or_else(|| invoice["parent"]["subscription_details"]["subscription"].as_str())
}
