//! `POST /api/v1/stripe/webhook`: mirrors Stripe customers and subscriptions (no Stripe API calls).
//! On only when `STRIPE_WEBHOOK_SECRET` is set (comma-separated for rotation). The signature is
//! checked before anything is parsed; each event id is processed once (the dedupe row is written
//! in the same transaction as the mirror, so a failure lets Stripe's retry try again).

use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post, Router};
use serde::Serialize;
use serde_json::Value;

use super::signature::{self as stripe_sig, SignatureError, DEFAULT_TOLERANCE_SECS};
use crate::{
    error::{Error, Json},
    state::AppState,
    store::Actor,
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
    if !super::db::first_delivery(&mut tx, id, kind).await? {
        tx.commit().await?;
        return Ok(Json(Ack {
            received: true,
            duplicate: true,
        }));
    }
    super::apply(&mut tx, kind, object, created).await?;
    tx.commit().await?;
    metrics::counter!("ck_stripe_events_total", "type" => kind.to_owned()).increment(1);
    Ok(Json(Ack {
        received: true,
        duplicate: false,
    }))
}
