//! JSON auth API under `/api/v1/auth/…` (bearer tokens; the dashboard pages use cookies).

use axum::{
    extract::State,
    http::StatusCode,
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{flows, AuthUser, TokenPair};
use crate::{
    error::{Error, Json},
    state::AppState,
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/signup", post(signup))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/magic-link", post(magic_link))
        .route("/api/v1/auth/magic-link/verify", post(magic_link_verify))
        .route("/api/v1/auth/user", get(user))
}

/// Sign-up request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignupRequest {
    email: String,
    password: String,
    /// Name of the first workspace; defaults to "<name>'s workspace".
    #[serde(default)]
    workspace_name: Option<String>,
}

/// Password sign-in request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    email: String,
    password: String,
}

/// Refresh request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshRequest {
    refresh_token: String,
}

/// Magic link request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MagicLinkRequest {
    email: String,
}

/// Magic link verification.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MagicLinkVerify {
    token: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct UserInfo {
    id: Uuid,
    email: Option<String>,
    session_id: Option<Uuid>,
}

/// Creates an account and its first workspace (the user is its Owner) and signs in.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 201, body = TokenPair), (status = 400), (status = 409)))]
pub(crate) async fn signup(
    State(state): State<AppState>,
    Json(req): Json<SignupRequest>,
) -> Result<impl IntoResponse, Error> {
    let pair = flows::signup(
        &state,
        &req.email,
        &req.password,
        req.workspace_name.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(pair)))
}

/// Signs in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401)))]
pub(crate) async fn login(
    State(state): State<AppState>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<TokenPair>, Error> {
    Ok(Json(flows::login(&state, &req.email, &req.password).await?))
}

/// Trades a single-use refresh token for a new token pair.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401)))]
pub(crate) async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> Result<Json<TokenPair>, Error> {
    Ok(Json(
        super::refresh_session(&state, &req.refresh_token).await?,
    ))
}

/// Ends the caller's session: its refresh token and access tokens stop working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401)),
    security(("bearer" = [])))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<StatusCode, Error> {
    if let Some(session) = user.session_id {
        super::end_session(&state, session).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Mails a single-use sign-in link valid for one hour (one request per address per minute).
#[utoipa::path(post, path = "/api/v1/auth/magic-link", tag = "auth", request_body = MagicLinkRequest,
    responses((status = 202), (status = 400), (status = 429)))]
pub(crate) async fn magic_link(
    State(state): State<AppState>,
    Json(req): Json<MagicLinkRequest>,
) -> Result<StatusCode, Error> {
    flows::request_magic_link(&state, &req.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Redeems a magic link token and signs in (creating the account on first use).
#[utoipa::path(post, path = "/api/v1/auth/magic-link/verify", tag = "auth", request_body = MagicLinkVerify,
    responses((status = 200, body = TokenPair), (status = 401)))]
pub(crate) async fn magic_link_verify(
    State(state): State<AppState>,
    Json(req): Json<MagicLinkVerify>,
) -> Result<Json<TokenPair>, Error> {
    Ok(Json(flows::verify_magic_link(&state, &req.token).await?))
}

/// The caller as the access token describes it.
#[utoipa::path(get, path = "/api/v1/auth/user", tag = "auth", responses((status = 200, body = UserInfo), (status = 401)),
    security(("bearer" = [])))]
pub(crate) async fn user(user: AuthUser) -> Json<UserInfo> {
    Json(UserInfo {
        id: user.id,
        email: user.email,
        session_id: user.session_id,
    })
}
