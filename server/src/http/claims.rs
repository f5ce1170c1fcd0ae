//! `POST /api/v1/claims`: a signed-in user claims an anonymous draft into one of their workspaces
//! with the draft token. Every attempt, good or bad, is inserted into `claim_attempts`, whose
//! database trigger writes `widget_claim_audit`. Failed attempts (per user and per IP, last hour)
//! beyond a free allowance are slowed down exponentially: 429 with `Retry-After`.

use std::{net::SocketAddr, time::Duration};

use axum::{
    extract::{ConnectInfo, State},
    http::StatusCode,
    routing::post,
    Router,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::AuthUser,
    error::{Error, Json},
    product::{
        db::{self, Attempt},
        limits,
        ratelimit::{backoff, retry_after_secs},
        token,
    },
    state::AppState,
    store::{Actor, Ts},
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/claims", post(claim))
}

/// A claim.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClaimRequest {
    /// The `ck_draft_…` token returned when the draft was created.
    draft_token: String,
    /// Target workspace (must be an Owner); default: the caller's first owned workspace.
    #[serde(default)]
    workspace_id: Option<Uuid>,
}

/// A successful claim.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Claimed {
    instance_id: Uuid,
    workspace_id: Uuid,
}

/// Claims a draft into a workspace.
#[utoipa::path(post, path = "/api/v1/claims", tag = "drafts", request_body = ClaimRequest,
    responses((status = 200, body = Claimed), (status = 404), (status = 409), (status = 410), (status = 429)),
    security(("bearer" = [])))]
pub(crate) async fn claim(
    State(state): State<AppState>,
    user: AuthUser,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<ClaimRequest>,
) -> Result<Json<Claimed>, Error> {
    let product = &state.config().product;
    let ip_hash = limits::ip_hash(&state, peer.ip());
    let now = Ts::now();
    let hash = token::parse_kind(&req.draft_token, token::TokenKind::Draft)
        .ok()
        .map(|()| token::hash(&req.draft_token));
    let mut attempt = Attempt {
        user: user.id,
        ip_hash: &ip_hash,
        token_hash: hash.as_deref(),
        instance: None,
        workspace: None,
        outcome: "claimed",
        now,
    };

    let mut tx = state.db().begin(&Actor::System).await?;
    let (failures, last) = db::recent_failures(
        &mut tx,
        user.id,
        &ip_hash,
        now.plus(time::Duration::hours(-1)),
    )
    .await?;
    let since_last = last.map_or(Duration::MAX, |t| {
        Duration::from_millis(u64::try_from(now.millis() - t.millis()).unwrap_or(0))
    });
    let cap = Duration::from_secs(product.claim_max_backoff_secs);
    if let Some(wait) = backoff(
        u32::try_from(failures).unwrap_or(u32::MAX),
        since_last,
        product.claim_free_failures,
        cap,
    ) {
        attempt.outcome = "throttled";
        db::record_attempt(&mut tx, &attempt).await?;
        tx.commit().await?;
        metrics::counter!("ck_claims_total", "outcome" => "throttled").increment(1);
        return Err(Error::RateLimited {
            retry_after_secs: retry_after_secs(wait),
        });
    }

    let result = decide(&mut tx, &user, &req, hash.as_deref(), now, &mut attempt).await;
    if result.is_err() {
        // A failed attempt is recorded in a transaction of its own: nothing else was written.
        drop(tx);
        tx = state.db().begin(&Actor::System).await?;
    }
    db::record_attempt(&mut tx, &attempt).await?;
    tx.commit().await?;
    metrics::counter!("ck_claims_total", "outcome" => attempt.outcome).increment(1);
    result
}

async fn decide(
    tx: &mut crate::store::Tx,
    user: &AuthUser,
    req: &ClaimRequest,
    hash: Option<&[u8]>,
    now: Ts,
    attempt: &mut Attempt<'_>,
) -> Result<Json<Claimed>, Error> {
    let Some(hash) = hash else {
        attempt.outcome = "malformed";
        return Err(Error::bad_request(
            "invalid_draft_token",
            "not a draft token (expected ck_draft_…)",
        ));
    };
    let ws = match req.workspace_id {
        Some(ws) if db::is_owner(tx, user.id, ws).await? => Some(ws),
        Some(_) => None,
        None => db::first_owned_workspace(tx, user.id).await?,
    };
    let Some(ws) = ws else {
        attempt.outcome = "not_member";
        return Err(Error::forbidden(
            "you can only claim into a workspace you own",
        ));
    };
    let Some(draft) = db::find_draft(tx, hash).await? else {
        if db::was_claimed(tx, hash).await? {
            attempt.outcome = "already_claimed";
            return Err(Error::conflict(
                "already_claimed",
                "this draft was already claimed",
            ));
        }
        attempt.outcome = "unknown_token";
        return Err(Error::client(
            StatusCode::NOT_FOUND,
            "invalid_draft_token",
            "no draft matches this draft token",
        ));
    };
    attempt.instance = Some(draft.id);
    if draft.draft_expires_at.is_none_or(|t| t <= now) {
        attempt.outcome = "expired";
        return Err(Error::client(
            StatusCode::GONE,
            "draft_expired",
            "this draft has expired",
        ));
    }
    if !db::claim_draft(tx, draft.id, ws, user.id, now).await? {
        attempt.outcome = "already_claimed";
        return Err(Error::conflict(
            "already_claimed",
            "this draft was already claimed",
        ));
    }
    attempt.workspace = Some(ws);
    attempt.outcome = "claimed";
    Ok(Json(Claimed {
        instance_id: draft.id,
        workspace_id: ws,
    }))
}
