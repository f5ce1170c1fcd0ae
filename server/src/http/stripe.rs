//! `POST /api/v1/stripe/webhook`: mirrors Stripe customers and subscriptions (no Stripe API calls).
//! On only when `STRIPE_WEBHOOK_SECRET` is set (comma-separated for rotation). The signature is
//! checked before anything is parsed; each event id is processed once (the dedupe row is written
//! in the same transaction as the mirror, so a failure lets Stripe's retry try again).

use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post, Router};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    error::{Error, Json},
    product::stripe_sig::{self, SignatureError, DEFAULT_TOLERANCE_SECS},
    state::AppState,
    store::{on_tx, Actor, Ts, Tx},
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/stripe/webhook", post(webhook))
}

/// Acknowledgement.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Ack {
    received: bool,
    /// True when this event id was processed before (nothing changed).
    duplicate: bool,
}

/// Receives a Stripe event.
#[utoipa::path(post, path = "/api/v1/stripe/webhook", tag = "billing",
    responses((status = 200, body = Ack), (status = 400), (status = 404)))]
pub(crate) async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Ack>, Error> {
    let secrets: Vec<String> = state
        .config()
        .stripe_webhook_secrets
        .iter()
        .flat_map(|s| stripe_sig::parse_secrets(s))
        .collect();
    if secrets.is_empty() {
        return Err(Error::not_found("route"));
    }
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Error::bad_request("missing_signature", "Stripe-Signature header is required")
        })?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if let Err(e) = stripe_sig::verify(header, &body, &secrets, now, DEFAULT_TOLERANCE_SECS) {
        metrics::counter!("ck_stripe_webhook_rejected_total").increment(1);
        let code = match e {
            SignatureError::Malformed => "malformed_signature",
            SignatureError::Stale => "stale_signature",
            SignatureError::Mismatch => "invalid_signature",
        };
        tracing::warn!(reason = %e, "Stripe webhook refused");
        return Err(Error::bad_request(code, e.to_string()));
    }
    let event: Value = serde_json::from_slice(&body)
        .map_err(|e| Error::bad_request("invalid_json", format!("event is not JSON: {e}")))?;
    let id = event["id"]
        .as_str()
        .filter(|s| s.starts_with("evt_"))
        .ok_or_else(|| Error::bad_request("invalid_event", "event id missing"))?;
    let kind = event["type"]
        .as_str()
        .ok_or_else(|| Error::bad_request("invalid_event", "event type missing"))?;
    let created = event["created"].as_i64().unwrap_or(0);
    let object = &event["data"]["object"];

    let mut tx = state.db().begin(&Actor::System).await?;
    let fresh = on_tx!(&mut tx, c => sqlx::query(
        "insert into stripe_events (id, type, received_at) values ($1, $2, $3) on conflict (id) do nothing")
        .bind(id)
        .bind(kind)
        .bind(Ts::now())
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    if fresh == 0 {
        tx.commit().await?;
        return Ok(Json(Ack {
            received: true,
            duplicate: true,
        }));
    }
    match kind {
        "customer.created" | "customer.updated" | "customer.deleted" => {
            mirror_customer(&mut tx, object, kind == "customer.deleted", created).await?;
        }
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => {
            mirror_subscription(&mut tx, object, kind.ends_with("deleted"), created).await?;
        }
        "invoice.paid" | "invoice.payment_failed" => {
            let status = if kind == "invoice.paid" {
                "active"
            } else {
                "past_due"
            };
            if let Some(sub) = invoice_subscription(object) {
                on_tx!(&mut tx, c => sqlx::query(
                    "update stripe_subscriptions set status = $2, event_created = $3, updated_at = $4 \
                     where id = $1 and event_created <= $3 and status <> 'canceled'")
                    .bind(sub)
                    .bind(status)
                    .bind(created)
                    .bind(Ts::now())
                    .execute(&mut **c)
                    .await
                    .map(|r| r.rows_affected()))?;
            }
        }
        _ => tracing::debug!(kind, "Stripe event type ignored"),
    }
    tx.commit().await?;
    metrics::counter!("ck_stripe_events_total", "type" => kind.to_owned()).increment(1);
    Ok(Json(Ack {
        received: true,
        duplicate: false,
    }))
}

/// `metadata.workspace_id`, if it names an existing workspace (a bad value must not fail the event).
async fn workspace_from_metadata(tx: &mut Tx, object: &Value) -> Result<Option<Uuid>, Error> {
    let Some(ws) = object["metadata"]["workspace_id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
    else {
        return Ok(None);
    };
    let exists: i64 = on_tx!(tx, c => sqlx::query_scalar("select count(*) from workspaces where id = $1")
        .bind(ws)
        .fetch_one(&mut **c)
        .await)?;
    Ok((exists > 0).then_some(ws))
}

async fn mirror_customer(
    tx: &mut Tx,
    object: &Value,
    deleted: bool,
    created: i64,
) -> Result<(), Error> {
    let id = object["id"]
        .as_str()
        .filter(|s| s.starts_with("cus_"))
        .ok_or_else(|| Error::bad_request("invalid_event", "customer id missing"))?;
    let ws = workspace_from_metadata(tx, object).await?;
    on_tx!(tx, c => sqlx::query(
        "insert into stripe_customers as s (id, workspace_id, deleted, event_created, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $5) on conflict (id) do update set \
         workspace_id = coalesce(excluded.workspace_id, s.workspace_id), deleted = excluded.deleted, \
         event_created = excluded.event_created, updated_at = excluded.updated_at \
         where s.event_created <= excluded.event_created")
        .bind(id)
        .bind(ws)
        .bind(deleted)
        .bind(created)
        .bind(Ts::now())
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

async fn mirror_subscription(
    tx: &mut Tx,
    object: &Value,
    deleted: bool,
    created: i64,
) -> Result<(), Error> {
    let id = object["id"]
        .as_str()
        .filter(|s| s.starts_with("sub_"))
        .ok_or_else(|| Error::bad_request("invalid_event", "subscription id missing"))?;
    let customer = match &object["customer"] {
        Value::String(s) => s.clone(),
        other => other["id"].as_str().unwrap_or_default().to_owned(),
    };
    let mut ws = workspace_from_metadata(tx, object).await?;
    if ws.is_none() {
        ws = on_tx!(tx, c => sqlx::query_scalar::<_, Option<Uuid>>(
            "select workspace_id from stripe_customers where id = $1")
            .bind(&customer)
            .fetch_optional(&mut **c)
            .await)?
        .flatten();
    }
    let status = if deleted {
        "canceled"
    } else {
        object["status"].as_str().unwrap_or("incomplete")
    };
    let item = &object["items"]["data"][0];
    let price = &item["price"];
    let price_id = price["id"].as_str();
    // The plan name: the price's lookup_key, else its metadata.plan, else the subscription's.
    let plan = price["lookup_key"]
        .as_str()
        .or_else(|| price["metadata"]["plan"].as_str())
        .or_else(|| object["metadata"]["plan"].as_str())
        .map(str::to_ascii_lowercase);
    let period_end = item["current_period_end"]
        .as_i64()
        .or_else(|| object["current_period_end"].as_i64());
    let period_end = period_end.map(|s| Ts::from_millis(s.saturating_mul(1000)));
    let cancel_at_end = object["cancel_at_period_end"].as_bool().unwrap_or(false);
    on_tx!(tx, c => sqlx::query(
        "insert into stripe_subscriptions as s (id, customer_id, workspace_id, status, price_id, plan, \
         current_period_end, cancel_at_period_end, event_created, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) on conflict (id) do update set \
         customer_id = excluded.customer_id, workspace_id = coalesce(excluded.workspace_id, s.workspace_id), \
         status = excluded.status, price_id = excluded.price_id, plan = excluded.plan, \
         current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end, \
         event_created = excluded.event_created, updated_at = excluded.updated_at \
         where s.event_created <= excluded.event_created")
        .bind(id)
        .bind(&customer)
        .bind(ws)
        .bind(status)
        .bind(price_id)
        .bind(plan)
        .bind(period_end)
        .bind(cancel_at_end)
        .bind(created)
        .bind(Ts::now())
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The subscription an invoice belongs to (old and new API shapes).
fn invoice_subscription(invoice: &Value) -> Option<&str> {
    invoice["subscription"]
        .as_str()
        .or_else(|| invoice["subscription"]["id"].as_str())
        .or_else(|| invoice["parent"]["subscription_details"]["subscription"].as_str())
}
