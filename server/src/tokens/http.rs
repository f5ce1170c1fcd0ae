//! Routes of embed tokens: issue, list, rotate (optional grace period), revoke.
//! Owners only; every statement runs as the signed-in user, so RLS applies on Postgres.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    db::{self, NewTokenRow, TokenView},
    origin, TokenKind,
};
use crate::{
    error::{Error, Json},
    state::AppState,
    store::{Ts, Tx},
    users::AuthUser,
    workspaces,
};

/// Longest grace period a rotation may give the old token.
const MAX_GRACE_SECS: u32 = 7 * 24 * 3600;
/// Most allowed origins on one token.
const MAX_ORIGINS: usize = 50;

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/workspaces/{ws}/tokens", get(list).post(issue))
        .route(
            "/api/v1/workspaces/{ws}/tokens/{id}",
            get(show).patch(update),
        )
        .route("/api/v1/workspaces/{ws}/tokens/{id}/rotate", post(rotate))
        .route("/api/v1/workspaces/{ws}/tokens/{id}/revoke", post(revoke))
}

/// A new embed token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IssueToken {
    /// `workspace` (any widget of the workspace) or `widget` (one instance).
    pub(crate) scope: String,
    /// Required for `widget` scope.
    #[serde(default)]
    pub(crate) instance_id: Option<Uuid>,
    /// Page origins allowed to use the token (`https://shop.example.com`, `https://*.example.com`);
    /// empty allows any.
    #[serde(default)]
    pub(crate) allowed_origins: Vec<String>,
}

/// Rotation options.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RotateToken {
    /// How long the old secret keeps working (seconds, default 0: it stops at once).
    #[serde(default)]
    grace_secs: u32,
}

/// A token with its secret, returned exactly once (on issue and rotate).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct IssuedToken {
    /// The secret: put it in the snippet's `data-ck-token`. Not retrievable later.
    pub(crate) token: String,
    #[serde(flatten)]
    pub(crate) info: TokenView,
}

async fn owner_or_404(state: &AppState, user: &AuthUser, ws: Uuid) -> Result<Tx, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    if !workspaces::db::is_owner(&mut tx, user.id, ws).await? {
        return Err(Error::not_found("workspace"));
    }
    Ok(tx)
}

/// Tokens of a workspace (members).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenView>), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path(ws): Path<Uuid>,
) -> Result<Json<Vec<TokenView>>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    if !workspaces::db::is_member(&mut tx, user.id, ws).await? {
        return Err(Error::not_found("workspace"));
    }
    let tokens = db::list(&mut tx, user.id, ws).await?;
    tx.commit().await?;
    Ok(Json(tokens))
}

/// One token (members).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/tokens/{id}", tag = "tokens",
    responses((status = 200, body = TokenView), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Result<Json<TokenView>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let found = token_or_404(&mut tx, &user, ws, id).await?;
    tx.commit().await?;
    Ok(Json(found))
}

/// Issues a token (owners).
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/tokens", tag = "tokens", request_body = IssueToken,
    responses((status = 201, body = IssuedToken), (status = 400), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn issue(
    State(state): State<AppState>,
    user: AuthUser,
    Path(ws): Path<Uuid>,
    Json(req): Json<IssueToken>,
) -> Result<impl IntoResponse, Error> {
    let issued = issue_token(&state, &user, ws, &req).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Issues a token of `ws` for an owner (the API and the dashboard).
pub(crate) async fn issue_token(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    req: &IssueToken,
) -> Result<IssuedToken, Error> {
    let origins = normalize_origins(&req.allowed_origins)?;
    let instance_id = match (req.scope.as_str(), req.instance_id) {
        ("workspace", None) => None,
        ("widget", Some(id)) => Some(id),
        ("workspace", Some(_)) => {
            return Err(Error::bad_request(
                "invalid_scope",
                "a workspace-scoped token takes no instance_id",
            ))
        }
        ("widget", None) => {
            return Err(Error::bad_request(
                "invalid_scope",
                "a widget-scoped token needs instance_id",
            ))
        }
        _ => {
            return Err(Error::bad_request(
                "invalid_scope",
                "scope must be \"workspace\" or \"widget\"",
            ))
        }
    };
    let mut tx = owner_or_404(state, user, ws).await?;
    if let Some(instance) = instance_id {
        let in_ws = workspaces::db::instance(&mut tx, instance, Some(user.id))
            .await?
            .is_some_and(|i| i.workspace_id == Some(ws));
        if !in_ws {
            return Err(Error::not_found("widget instance"));
        }
    }
    let secret = super::generate(TokenKind::Embed);
    let id = Uuid::new_v4();
    db::insert(
        &mut tx,
        &NewTokenRow {
            id,
            workspace_id: Some(ws),
            instance_id,
            hash: &secret.hash,
            prefix: TokenKind::Embed.prefix(),
            last4: super::last4(&secret.plaintext),
            scope: &req.scope,
            allowed_origins: &origins,
            now: Ts::now(),
        },
    )
    .await?;
    let info = token_or_404(&mut tx, user, ws, id).await?;
    tx.commit().await?;
    Ok(IssuedToken {
        token: secret.plaintext,
        info,
    })
}

/// Rotates a token's secret (owners). The token keeps its id, scope and usage history.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/tokens/{id}/rotate", tag = "tokens", request_body = RotateToken,
    responses((status = 200, body = IssuedToken), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn rotate(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    body: axum::body::Bytes,
) -> Result<Json<IssuedToken>, Error> {
    // The body is optional: an empty POST rotates with no grace period.
    let req: RotateToken = if body.iter().all(u8::is_ascii_whitespace) {
        RotateToken::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| Error::bad_request("invalid_body", e.to_string()))?
    };
    Ok(Json(
        rotate_token(&state, &user, ws, id, req.grace_secs).await?,
    ))
}

/// Rotates a token of `ws` for an owner; the old secret keeps working for `grace_secs`.
pub(crate) async fn rotate_token(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
    grace_secs: u32,
) -> Result<IssuedToken, Error> {
    if grace_secs > MAX_GRACE_SECS {
        return Err(Error::bad_request(
            "invalid_grace",
            "grace_secs may be at most 604800 (7 days)",
        ));
    }
    let now = Ts::now();
    let grace_until =
        (grace_secs > 0).then(|| now.plus(time::Duration::seconds(i64::from(grace_secs))));
    let secret = super::generate(TokenKind::Embed);
    let mut tx = owner_or_404(state, user, ws).await?;
    let rotated = db::rotate(&mut tx, user.id, ws, id, &secret, grace_until, now).await?;
    if !rotated {
        return Err(Error::not_found("active token"));
    }
    let info = token_or_404(&mut tx, user, ws, id).await?;
    if grace_until.is_none() {
        super::verify::announce_revocation(&mut tx, id).await?;
    }
    tx.commit().await?;
    if grace_until.is_none() {
        state.token_cache().forget_token(id);
    }
    Ok(IssuedToken {
        token: secret.plaintext,
        info,
    })
}

/// Revokes a token (owners). This process refuses it at once; on Postgres the others do on the
/// notification, and every process within the token cache TTL at the latest.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/tokens/{id}/revoke", tag = "tokens",
    responses((status = 200, body = TokenView), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Result<Json<TokenView>, Error> {
    Ok(Json(revoke_token(&state, &user, ws, id).await?))
}

/// Revokes a token of `ws` for an owner.
pub(crate) async fn revoke_token(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
) -> Result<TokenView, Error> {
    let mut tx = owner_or_404(state, user, ws).await?;
    if !db::revoke(&mut tx, user.id, ws, id, Ts::now()).await? {
        return Err(Error::not_found("token"));
    }
    let info = token_or_404(&mut tx, user, ws, id).await?;
    super::verify::announce_revocation(&mut tx, id).await?;
    tx.commit().await?;
    state.token_cache().forget_token(id);
    Ok(info)
}

/// New allowed origins of a token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateToken {
    /// Page origins allowed to use the token; empty allows any. Replaces the current list.
    allowed_origins: Vec<String>,
}

/// Replaces a token's allowed origins (owners). This process applies them at once; on Postgres the
/// others do on the notification, and every process within the token cache TTL at the latest.
#[utoipa::path(patch, path = "/api/v1/workspaces/{ws}/tokens/{id}", tag = "tokens", request_body = UpdateToken,
    responses((status = 200, body = TokenView), (status = 400), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    Json(req): Json<UpdateToken>,
) -> Result<Json<TokenView>, Error> {
    Ok(Json(
        set_allowed_origins(&state, &user, ws, id, &req.allowed_origins).await?,
    ))
}

/// Replaces the allowed origins of a token of `ws` for an owner.
pub(crate) async fn set_allowed_origins(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
    raw: &[String],
) -> Result<TokenView, Error> {
    let origins = normalize_origins(raw)?;
    let mut tx = owner_or_404(state, user, ws).await?;
    if !db::set_origins(&mut tx, user.id, ws, id, &origins).await? {
        return Err(Error::not_found("token"));
    }
    let info = token_or_404(&mut tx, user, ws, id).await?;
    // The cached verification holds the old list: every process looks the token up again.
    super::verify::announce_revocation(&mut tx, id).await?;
    tx.commit().await?;
    state.token_cache().forget_token(id);
    Ok(info)
}

fn normalize_origins(raw: &[String]) -> Result<Vec<String>, Error> {
    if raw.len() > MAX_ORIGINS {
        return Err(Error::bad_request(
            "invalid_origin",
            "at most 50 allowed origins",
        ));
    }
    let mut out = Vec::with_capacity(raw.len());
    for entry in raw {
        let normalized = origin::normalize_allowed(entry).ok_or_else(|| {
            Error::bad_request(
                "invalid_origin",
                format!("allowed origin {entry:?} must look like https://example.com or https://*.example.com"),
            )
        })?;
        if !out.contains(&normalized) {
            out.push(normalized);
        }
    }
    Ok(out)
}

/// Token `id` of `ws` as the caller sees it; else 404.
async fn token_or_404(
    tx: &mut Tx,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
) -> Result<TokenView, Error> {
    db::get(tx, user.id, ws, id)
        .await?
        .ok_or_else(|| Error::not_found("token"))
}
