//! `POST /api/v1/drafts` (anonymous, rate-limited per IP), `GET`/`PUT /api/v1/draft` (the draft
//! its `Authorization: Bearer ck_draft_…` token names: the builder's edits after publishing and
//! the claim page's preview; rate-limited per IP) and `POST /api/v1/claims` (signed in, backoff on
//! repeated failures).

use std::time::Duration;

use axum::{
    extract::{FromRequestParts, State},
    http::{header, request::Parts, StatusCode},
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::db::{self, Attempt, NewDraft};
use crate::{
    error::{Error, Json},
    http::client_ip::ClientIp,
    ratelimit,
    state::AppState,
    store::{Actor, Ts},
    tokens::{self, db::NewTokenRow},
    users::AuthUser,
    widgets,
};

/// The anonymous draft route, merged by `http::router` into the embed API (CORS for any origin).
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/drafts", post(create))
}

/// The claim route and the draft-token routes, merged by `http::router` with the signed-in API (no
/// embed CORS: only our own builder and claim pages call them).
pub(crate) fn claims_router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/claims", post(claim))
        .route("/api/v1/draft", get(read).put(update))
}

/// A new draft.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateDraft {
    /// Widget type, e.g. `form`.
    #[serde(rename = "type")]
    widget: String,
    /// The widget's config (validated against the widget's schema).
    #[schema(value_type = Object)]
    config: serde_json::Value,
    /// Optional display name.
    #[serde(default)]
    name: Option<String>,
}

/// The created draft. `draft_token` is shown once: keep it to claim the widget.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedDraft {
    instance_id: Uuid,
    embed_token: String,
    draft_token: String,
    #[schema(value_type = String, format = DateTime)]
    expires_at: Ts,
    /// HTML to paste into a page.
    snippet: String,
}

/// A draft as its creator sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Draft {
    instance_id: Uuid,
    /// Widget type, e.g. `form`.
    #[serde(rename = "type")]
    widget: String,
    name: String,
    #[schema(value_type = Object)]
    config: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    expires_at: Ts,
}

/// A draft's new config (replacing the old one whole) and name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateDraft {
    /// The widget's config (validated against the widget's schema).
    #[schema(value_type = Object)]
    config: serde_json::Value,
    /// Display name; unchanged when absent.
    #[serde(default)]
    name: Option<String>,
}

/// The hash of the `ck_draft_…` token in `Authorization: Bearer`; 401 without a well-formed one.
pub(crate) struct DraftToken(Vec<u8>);

impl FromRequestParts<AppState> for DraftToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Error> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| tokens::parse_kind(t, tokens::TokenKind::Draft).is_ok())
            .ok_or_else(|| {
                Error::client(
                    StatusCode::UNAUTHORIZED,
                    "invalid_draft_token",
                    "expected Authorization: Bearer ck_draft_…",
                )
            })?;
        Ok(DraftToken(tokens::hash(token)))
    }
}

impl From<db::DraftDetail> for Draft {
    fn from(d: db::DraftDetail) -> Draft {
        Draft {
            instance_id: d.id,
            widget: d.widget_id,
            name: d.name,
            config: d.config.0,
            expires_at: d.draft_expires_at.unwrap_or(Ts::from_millis(0)),
        }
    }
}

/// Per-IP limit of the draft-token routes.
async fn limit_edits(state: &AppState, client: std::net::IpAddr) -> Result<(), Error> {
    ratelimit::shared(
        state,
        &state.limiters().draft_edits_ip,
        "draft_edits_ip",
        &ratelimit::ip_hash(state.config(), client),
    )
    .await
}

/// The draft this draft token names (for the claim page's preview and the builder).
#[utoipa::path(get, path = "/api/v1/draft", tag = "drafts",
    responses((status = 200, body = Draft), (status = 401), (status = 404), (status = 409), (status = 410), (status = 429)),
    security(("draft_token" = [])))]
pub(crate) async fn read(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    DraftToken(hash): DraftToken,
) -> Result<Json<Draft>, Error> {
    limit_edits(&state, client).await?;
    let mut tx = state.db().begin(&Actor::System).await?;
    let draft = super::open(&mut tx, &hash, Ts::now()).await?;
    tx.commit().await?;
    Ok(Json(draft.into()))
}

/// Replaces the config (and name) of the draft this draft token names: the builder's edits after
/// publishing update the same draft, never a new one. The snippet and the embed token stay.
#[utoipa::path(put, path = "/api/v1/draft", tag = "drafts", request_body = UpdateDraft,
    responses((status = 200, body = Draft), (status = 401), (status = 404), (status = 409), (status = 410),
        (status = 422), (status = 429)),
    security(("draft_token" = [])))]
pub(crate) async fn update(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    DraftToken(hash): DraftToken,
    Json(req): Json<UpdateDraft>,
) -> Result<Json<Draft>, Error> {
    limit_edits(&state, client).await?;
    let now = Ts::now();
    let mut tx = state.db().begin(&Actor::System).await?;
    let mut draft = super::open(&mut tx, &hash, now).await?;
    widgets::validate_config(&draft.widget_id, &req.config)?;
    if req.name.is_some() {
        draft.name = super::name(req.name.as_deref())?;
    }
    if !db::update(&mut tx, draft.id, &draft.name, &req.config, now).await? {
        // Claimed or expired between the read and the write: answer as a fresh read would.
        drop(tx);
        let mut tx = state.db().begin(&Actor::System).await?;
        super::open(&mut tx, &hash, now).await?;
        return Err(Error::conflict(
            "already_claimed",
            "this draft was already claimed",
        ));
    }
    tx.commit().await?;
    draft.config = sqlx::types::Json(req.config);
    metrics::counter!("ck_drafts_updated_total").increment(1);
    Ok(Json(draft.into()))
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

/// Creates an anonymous draft (rate-limited per IP).
#[utoipa::path(post, path = "/api/v1/drafts", tag = "drafts", request_body = CreateDraft,
    responses((status = 201, body = CreatedDraft), (status = 422), (status = 429)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(req): Json<CreateDraft>,
) -> Result<impl IntoResponse, Error> {
    ratelimit::shared(
        &state,
        &state.limiters().drafts_ip,
        "drafts_ip",
        &ratelimit::ip_hash(state.config(), client),
    )
    .await?;
    let name = super::name(req.name.as_deref())?;
    if !widgets::is_type_name(&req.widget) {
        return Err(Error::bad_request("unknown_widget", "unknown widget type"));
    }
    widgets::validate_config(&req.widget, &req.config)?;
    let now = Ts::now();
    let expires = now.plus(time::Duration::seconds(
        state.config().product.draft_ttl_secs,
    ));
    let id = Uuid::new_v4();
    let draft = tokens::generate(tokens::TokenKind::Draft);
    let embed = tokens::generate(tokens::TokenKind::Embed);
    let mut tx = state.db().begin(&Actor::System).await?;
    if !widgets::db::exists(&mut tx, &req.widget).await? {
        return Err(Error::bad_request(
            "unknown_widget",
            format!("unknown widget type {:?}", req.widget),
        ));
    }
    db::insert(
        &mut tx,
        &NewDraft {
            id,
            widget: &req.widget,
            name: &name,
            config: &req.config,
            draft_hash: &draft.hash,
            expires,
            now,
        },
    )
    .await?;
    tokens::db::insert(
        &mut tx,
        &NewTokenRow {
            id: Uuid::new_v4(),
            workspace_id: None,
            instance_id: Some(id),
            hash: &embed.hash,
            prefix: tokens::TokenKind::Embed.prefix(),
            last4: tokens::last4(&embed.plaintext),
            scope: "widget",
            allowed_origins: &[],
            now,
        },
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("ck_drafts_created_total").increment(1);
    let snippet = super::snippet(&state.public_url(), &req.widget, id, &embed.plaintext);
    Ok((
        StatusCode::CREATED,
        Json(CreatedDraft {
            instance_id: id,
            embed_token: embed.plaintext,
            draft_token: draft.plaintext,
            expires_at: expires,
            snippet,
        }),
    ))
}

/// Claims a draft into a workspace.
#[utoipa::path(post, path = "/api/v1/claims", tag = "drafts", request_body = ClaimRequest,
    responses((status = 200, body = Claimed), (status = 403), (status = 404), (status = 409), (status = 410), (status = 429)),
    security(("bearer" = [])))]
pub(crate) async fn claim(
    State(state): State<AppState>,
    user: AuthUser,
    ClientIp(client): ClientIp,
    Json(req): Json<ClaimRequest>,
) -> Result<Json<Claimed>, Error> {
    // The attempt row refers to the user (found by schemathesis: a Supabase-style token for a
    // user without a row made the audit insert fail, a 500).
    user.ensure_row(&state).await?;
    let product = &state.config().product;
    let ip_hash = ratelimit::ip_hash(state.config(), client);
    let now = Ts::now();
    let hash = tokens::parse_kind(&req.draft_token, tokens::TokenKind::Draft)
        .ok()
        .map(|()| tokens::hash(&req.draft_token));
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
    if let Some(wait) = ratelimit::backoff(
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
            retry_after_secs: ratelimit::retry_after_secs(wait),
        });
    }

    let result = super::claim(
        &mut tx,
        &user,
        req.workspace_id,
        hash.as_deref(),
        now,
        &mut attempt,
    )
    .await;
    if result.is_err() {
        // A failed attempt is recorded in a transaction of its own: nothing else was written.
        drop(tx);
        tx = state.db().begin(&Actor::System).await?;
    }
    db::record_attempt(&mut tx, &attempt).await?;
    tx.commit().await?;
    metrics::counter!("ck_claims_total", "outcome" => attempt.outcome).increment(1);
    let (instance_id, workspace_id) = result?;
    Ok(Json(Claimed {
        instance_id,
        workspace_id,
    }))
}
