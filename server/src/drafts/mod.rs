//! Anonymous drafts and their claims. A visitor of the builder creates a widget instance without an
//! account and gets the snippet (with a widget-scoped embed token) plus a draft token; after signing
//! up they claim the widget into a workspace they own with that draft token. Drafts unclaimed after
//! `draft_ttl_secs` expire (the sweeper deletes them).
//!
//! Every claim attempt, good or bad, is inserted into `claim_attempts`, whose database trigger
//! writes `widget_claim_audit`. Failed attempts (per user and per IP, last hour) beyond a free
//! allowance are slowed down exponentially (`ratelimit::backoff`).
//!
//! Tables: `widget_instances` (draft rows), `claim_attempts`, `widget_claim_audit`.

pub(crate) mod db;
pub(crate) mod http;

use axum::http::StatusCode;
use uuid::Uuid;

use self::db::Attempt;
use crate::{
    error::Error,
    ratelimit,
    state::AppState,
    store::{Actor, Ts, Tx},
    users::AuthUser,
    workspaces,
};

/// The HTML snippet for an instance.
pub(crate) fn snippet(base: &str, widget: &str, id: Uuid, embed_token: &str) -> String {
    format!(
        "<div data-ck-widget=\"{widget}\" data-ck-id=\"{id}\" data-ck-token=\"{embed_token}\"></div>\n\
         <script async src=\"{base}/embed/latest/loader.js\"></script>"
    )
}

/// Claims the draft whose token hashes to `hash` into `target` (default: the caller's first owned
/// workspace), filling in `attempt` (outcome, instance, workspace) for the audit whatever happens.
/// Returns `(instance, workspace)`.
pub(crate) async fn claim(
    tx: &mut Tx,
    user: &AuthUser,
    target: Option<Uuid>,
    hash: Option<&[u8]>,
    now: Ts,
    attempt: &mut Attempt<'_>,
) -> Result<(Uuid, Uuid), Error> {
    let Some(hash) = hash else {
        attempt.outcome = "malformed";
        return Err(Error::bad_request(
            "invalid_draft_token",
            "not a draft token (expected ck_draft_…)",
        ));
    };
    let ws = match target {
        Some(ws) if workspaces::db::is_owner(tx, user.id, ws).await? => Some(ws),
        Some(_) => None,
        None => workspaces::db::first_owned(tx, user.id).await?,
    };
    let Some(ws) = ws else {
        attempt.outcome = "not_member";
        return Err(Error::forbidden(
            "you can only claim into a workspace you own",
        ));
    };
    let Some(draft) = db::find_unclaimed(tx, hash).await? else {
        if db::was_claimed(tx, hash).await? {
            attempt.outcome = "already_claimed";
            return Err(already_claimed());
        }
        attempt.outcome = "unknown_token";
        return Err(unknown_token());
    };
    attempt.instance = Some(draft.id);
    if draft.draft_expires_at.is_none_or(|t| t <= now) {
        attempt.outcome = "expired";
        return Err(expired());
    }
    if !db::claim(tx, draft.id, ws, user.id, now).await? {
        attempt.outcome = "already_claimed";
        return Err(already_claimed());
    }
    attempt.workspace = Some(ws);
    attempt.outcome = "claimed";
    Ok((draft.id, ws))
}

/// The unclaimed, unexpired draft whose token hashes to `hash`; the clear refusal otherwise
/// (404 unknown token, 409 already claimed, 410 expired).
pub(crate) async fn open(tx: &mut Tx, hash: &[u8], now: Ts) -> Result<db::DraftDetail, Error> {
    let Some(draft) = db::detail(tx, hash).await? else {
        if db::was_claimed(tx, hash).await? {
            return Err(already_claimed());
        }
        return Err(unknown_token());
    };
    if draft.draft_expires_at.is_none_or(|t| t <= now) {
        return Err(expired());
    }
    Ok(draft)
}

/// A draft's display name: trimmed, at most 120 characters.
pub(crate) fn name(name: Option<&str>) -> Result<String, Error> {
    let name = name.unwrap_or("").trim().to_owned();
    if name.chars().count() > 120 {
        return Err(Error::bad_request(
            "invalid_name",
            "name may have at most 120 characters",
        ));
    }
    Ok(name)
}

fn unknown_token() -> Error {
    Error::client(
        StatusCode::NOT_FOUND,
        "invalid_draft_token",
        "no draft matches this draft token",
    )
}

fn expired() -> Error {
    Error::client(StatusCode::GONE, "draft_expired", "this draft has expired")
}

fn already_claimed() -> Error {
    Error::conflict("already_claimed", "this draft was already claimed")
}

/// Deletes expired drafts and recovered rate-limit rows every minute.
pub(crate) fn start_sweeper(state: &AppState) {
    state.every(std::time::Duration::from_secs(60), |state| async move {
        let sweep = async {
            let mut tx = state.db().begin(&Actor::System).await?;
            let drafts = db::delete_expired(&mut tx, Ts::now()).await?;
            let limits = ratelimit::db::prune(&mut tx, ratelimit::now_ms()).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>((drafts, limits))
        };
        match sweep.await {
            Ok((0, _)) => {}
            Ok((drafts, _)) => tracing::info!(drafts, "expired drafts deleted"),
            Err(e) => tracing::warn!(error = %e, "sweeping expired drafts failed"),
        }
    });
}
