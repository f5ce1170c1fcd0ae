//! JSON auth API under `/api/v1/auth/…` (bearer tokens; the dashboard pages use cookies).

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{flows, guard::Client, AuthUser, SessionUser, SignOutScope, TokenPair};
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
        .route("/api/v1/auth/user", get(user).delete(delete_account))
        .route("/api/v1/auth/password", post(change_password))
        .route("/api/v1/auth/email", post(change_email))
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

/// A new account waiting for its address to be confirmed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SignedUp {
    user: SessionUser,
    /// Always true: a confirmation link went to the address; open it to sign in.
    confirmation_sent: bool,
}

/// Sign-out scope (`?scope=`).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LogoutQuery {
    /// `local` (default): this session; `global`: every session of the account ("sign out
    /// everywhere"); `others`: every other session.
    #[serde(default)]
    #[param(value_type = Option<String>)]
    scope: SignOutScope,
}

/// Password change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    /// Required when the account has a password (not for accounts made by sign-in link).
    #[serde(default)]
    current_password: Option<String>,
    new_password: String,
}

/// Email change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmailChange {
    /// The new address; it takes effect when the link mailed there is opened.
    email: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct UserInfo {
    id: Uuid,
    email: Option<String>,
    session_id: Option<Uuid>,
}

/// Creates an account and its first workspace (the user is its Owner) and mails a confirmation
/// link to the address. No session until the link is opened (then password sign-in works too).
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 201, body = SignedUp), (status = 400), (status = 409), (status = 429), (status = 503)))]
pub(crate) async fn signup(
    State(state): State<AppState>,
    client: Client,
    Json(req): Json<SignupRequest>,
) -> Result<impl IntoResponse, Error> {
    let user = flows::signup(
        &state,
        &client,
        &req.email,
        &req.password,
        req.workspace_name.as_deref(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(SignedUp {
            user,
            confirmation_sent: true,
        }),
    ))
}

/// Signs in with email and password; the address must be confirmed (`403 email_not_confirmed`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401), (status = 403), (status = 429), (status = 503)))]
pub(crate) async fn login(
    State(state): State<AppState>,
    client: Client,
    Json(req): Json<LoginRequest>,
) -> Result<Json<TokenPair>, Error> {
    Ok(Json(
        flows::login(&state, &client, &req.email, &req.password).await?,
    ))
}

/// Trades a refresh token for a new token pair. Presenting it again within a few seconds (two tabs
/// at once) returns the same new refresh token; later reuse revokes the session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401), (status = 429)))]
pub(crate) async fn refresh(
    State(state): State<AppState>,
    client: Client,
    Json(req): Json<RefreshRequest>,
) -> Result<Json<TokenPair>, Error> {
    Ok(Json(
        super::refresh_session(&state, &client, &req.refresh_token).await?,
    ))
}

/// Ends sessions: this one (default), every session of the account (`scope=global`, "sign out
/// everywhere") or every other one (`scope=others`). Their refresh and access tokens stop working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", params(LogoutQuery),
    responses((status = 204), (status = 401), (status = 429)),
    security(("bearer" = [])))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    Query(q): Query<LogoutQuery>,
) -> Result<StatusCode, Error> {
    super::guard::limit(&state, super::guard::Endpoint::Logout, &client, None).await?;
    super::sign_out(&state, &user, q.scope).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mails a single-use sign-in link valid for one hour. A second request from the same client within
/// a minute gets 429; requests from elsewhere never stop the owner from getting a link.
#[utoipa::path(post, path = "/api/v1/auth/magic-link", tag = "auth", request_body = MagicLinkRequest,
    responses((status = 202), (status = 400), (status = 429)))]
pub(crate) async fn magic_link(
    State(state): State<AppState>,
    client: Client,
    Json(req): Json<MagicLinkRequest>,
) -> Result<StatusCode, Error> {
    flows::request_magic_link(&state, &client, &req.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Redeems a link from a mail (sign-in, sign-up confirmation or email change) and signs in,
/// creating the account on first sign-in.
#[utoipa::path(post, path = "/api/v1/auth/magic-link/verify", tag = "auth", request_body = MagicLinkVerify,
    responses((status = 200, body = TokenPair), (status = 401), (status = 409), (status = 429)))]
pub(crate) async fn magic_link_verify(
    State(state): State<AppState>,
    client: Client,
    Json(req): Json<MagicLinkVerify>,
) -> Result<Json<TokenPair>, Error> {
    Ok(Json(
        flows::verify_magic_link(&state, &client, &req.token).await?,
    ))
}

/// Changes the password and signs out every other session.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 400), (status = 401), (status = 403), (status = 404), (status = 429), (status = 503)),
    security(("bearer" = [])))]
pub(crate) async fn change_password(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    Json(req): Json<PasswordChange>,
) -> Result<StatusCode, Error> {
    flows::change_password(
        &state,
        &client,
        &user,
        req.current_password.as_deref(),
        &req.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts an email change: a link goes to the new address; opening it moves the account there and
/// signs out every other session.
#[utoipa::path(post, path = "/api/v1/auth/email", tag = "auth", request_body = EmailChange,
    responses((status = 202), (status = 400), (status = 401), (status = 404), (status = 409), (status = 429)),
    security(("bearer" = [])))]
pub(crate) async fn change_email(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    Json(req): Json<EmailChange>,
) -> Result<StatusCode, Error> {
    flows::request_email_change(&state, &client, &user, &req.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Confirmation of an account deletion.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteAccount {
    /// The account's email address, typed again.
    confirm: String,
    /// Required when the account has a password.
    #[serde(default)]
    current_password: Option<String>,
}

/// Deletes the caller's account and every workspace it owns, with their widgets, embed tokens
/// (refused from then on), usage and visitors' submissions. Every session ends.
#[utoipa::path(delete, path = "/api/v1/auth/user", tag = "auth", request_body = DeleteAccount,
    responses((status = 204), (status = 400), (status = 401), (status = 403),
        (status = 404, description = "A valid token (e.g. Supabase-issued) with no account here"), (status = 429)),
    security(("bearer" = [])))]
pub(crate) async fn delete_account(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    Json(req): Json<DeleteAccount>,
) -> Result<StatusCode, Error> {
    flows::delete_account(
        &state,
        &client,
        &user,
        &req.confirm,
        req.current_password.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
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
