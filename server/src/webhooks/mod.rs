//! Signed webhooks: per workspace, endpoints (URL, which widgets, active) that receive each stored
//! submission as a JSON `POST`, delivered through the [`crate::outbox`].
//!
//! Every request carries `Clickeen-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
//! "<t>.<raw body>")>` (the scheme the server verifies for Stripe, [`crate::billing::signature`])
//! and `Clickeen-Delivery: <uuid>`, stable across retries and redeliveries, for receivers to dedupe
//! by. `docs/server-product.md` documents the format and a verification recipe.
//!
//! An endpoint's secret (`whsec_…`, 256 bits) is shown once, when it is created. It is not stored:
//! the row keeps a random salt, and the secret is HMAC(server key, endpoint id ‖ salt), so signing
//! needs both the database and `CK_WEBHOOK_KEY` (or `JWT_SECRET`).
//!
//! Outbound requests pass the SSRF guard in [`guard`]. Table: `webhook_endpoints`.

pub(crate) mod db;
pub(crate) mod guard;
pub(crate) mod http;

use base64::Engine as _;
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{
    billing::signature,
    error::Error,
    outbox::{db::Claimed, NewSubmission, Outcome, SNIPPET_BYTES},
    state::AppState,
    store::{Actor, Ts},
};

/// Endpoints per workspace.
pub(crate) const MAX_ENDPOINTS: i64 = 20;
/// The event every delivery carries today.
pub(crate) const EVENT: &str = "submission.created";

/// An endpoint as owners see it (never its secret).
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub(crate) struct Endpoint {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Uuid,
    pub(crate) url: String,
    pub(crate) description: String,
    /// The widgets it receives submissions of; `null`: every widget of the workspace.
    #[schema(value_type = Option<Vec<Uuid>>)]
    pub(crate) instance_ids: Option<Json<Vec<Uuid>>>,
    pub(crate) active: bool,
    /// `whsec_…` and the secret's last four characters.
    pub(crate) secret_hint: String,
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: Ts,
}

impl Endpoint {
    /// Whether submissions to `instance` go to this endpoint.
    pub(crate) fn covers(&self, instance: Uuid) -> bool {
        self.instance_ids
            .as_ref()
            .is_none_or(|ids| ids.0.contains(&instance))
    }
}

/// A checked endpoint URL.
pub(crate) fn valid_url(state: &AppState, url: &str) -> Result<String, Error> {
    let url = url.trim();
    if url.len() > 2048 {
        return Err(Error::bad_request("invalid_url", "the URL is too long"));
    }
    guard::check_url(url, state.config().outbox.webhook_allow_private)
        .map(|u| u.to_string())
        .map_err(|refused| {
            let code = match refused {
                guard::Refused::NotPublic(_) => "url_not_public",
                guard::Refused::NotHttps => "url_not_https",
                guard::Refused::Malformed => "invalid_url",
            };
            Error::bad_request(code, refused.to_string())
        })
}

/// A checked description (at most 200 characters).
pub(crate) fn valid_description(text: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.chars().count() > 200 || text.chars().any(char::is_control) {
        return Err(Error::bad_request(
            "invalid_description",
            "the description must be at most 200 characters on one line",
        ));
    }
    Ok(text.to_owned())
}

/// The signing secret of endpoint `id` with `salt`.
pub(crate) fn secret(state: &AppState, id: Uuid, salt: &[u8]) -> String {
    let mut data = id.as_bytes().to_vec();
    data.extend_from_slice(salt);
    let mac = state.outbox().derive("webhook-secret", &data);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
    )
}

/// A fresh salt (256 bits) and the hint of the secret it gives endpoint `id`.
pub(crate) fn new_secret(state: &AppState, id: Uuid) -> (Vec<u8>, String, String) {
    let mut salt = vec![0u8; 32];
    getrandom::getrandom(&mut salt).expect("OS random source unavailable");
    let secret = secret(state, id, &salt);
    let hint = format!("whsec_…{}", &secret[secret.len() - 4..]);
    (salt, secret, hint)
}

/// The JSON body of a submission's webhook (built once, at enqueue, and sent as is every time).
pub(crate) fn payload(delivery: Uuid, public_url: &str, s: &NewSubmission<'_>) -> String {
    let at = s
        .created_at
        .0
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    serde_json::json!({
        "id": delivery,
        "type": EVENT,
        "created_at": at,
        "workspace_id": s.workspace_id,
        "data": {
            "submission": {
                "id": s.id,
                "instance_id": s.instance_id,
                "widget_name": s.instance_name,
                "values": s.values,
                "submitted_at": at,
                "url": format!("{public_url}/app/submissions/{}", s.id),
            }
        }
    })
    .to_string()
}

/// One attempt at a webhook row.
pub(crate) async fn deliver(state: &AppState, row: &Claimed) -> Outcome {
    let Some(endpoint_id) = row.endpoint_id else {
        return Outcome::cancelled("no endpoint");
    };
    let target = async {
        let mut tx = state.db().begin(&Actor::System).await?;
        let target = db::target(&mut tx, endpoint_id).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(target)
    };
    let target = match target.await {
        Ok(Some(t)) => t,
        Ok(None) => return Outcome::cancelled("the endpoint was deleted"),
        Err(e) => return Outcome::failed(format!("database: {e}")),
    };
    if !target.active {
        return Outcome::cancelled("the endpoint is disabled");
    }
    // Checked again at send time: an IP-literal host never reaches the guarded resolver.
    let url = match guard::check_url(&target.url, state.config().outbox.webhook_allow_private) {
        Ok(url) => url,
        Err(refused) => return Outcome::failed(format!("refused: {refused}")),
    };
    let body = row.payload.clone().unwrap_or_default();
    let secret = secret(state, endpoint_id, &target.secret_salt);
    let t = Ts::now().unix();
    let request = state
        .outbox()
        .client()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            "Clickeen-Signature",
            signature::sign(&secret, t, body.as_bytes()),
        )
        .header("Clickeen-Delivery", row.id.to_string())
        .header("Clickeen-Event", EVENT)
        .header("Clickeen-Attempt", (row.attempts + 1).to_string())
        .body(body);
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Outcome::failed(describe(&e)),
    };
    let status = response.status();
    let mut snippet = Vec::new();
    // Only the start of the body is kept; the rest is never read.
    while snippet.len() < SNIPPET_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => snippet.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    snippet.truncate(SNIPPET_BYTES);
    let text = String::from_utf8_lossy(&snippet).into_owned();
    Outcome {
        ok: status.is_success(),
        cancel: false,
        status: Some(status.as_u16()),
        snippet: (!text.is_empty()).then_some(text),
        error: (!status.is_success()).then(|| {
            if status.is_redirection() {
                format!("HTTP {status}: redirects are not followed")
            } else {
                format!("HTTP {status}")
            }
        }),
    }
}

/// A request error with its causes ("error sending request: … 127.0.0.1 is not a public address").
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else {
        crate::store::cause_of(e)
    }
}
