//! Workspaces API: the caller's workspaces, creating one, and a workspace's widget instances.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::IntoResponse,
    routing::{get, put},
    Router,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{db, valid_name, Instance, NewInstance, Workspace, MAX_NAME};
use crate::{
    error::{Error, Json},
    state::AppState,
    store::{Ts, Tx},
    users::AuthUser,
    widgets,
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/workspaces", get(list).post(create))
        .route(
            "/api/v1/workspaces/{id}",
            get(show).patch(rename).delete(delete_workspace),
        )
        .route(
            "/api/v1/workspaces/{id}/instances",
            get(instances).post(create_instance),
        )
        .route(
            "/api/v1/instances/{id}",
            get(show_instance)
                .patch(rename_instance)
                .delete(delete_instance),
        )
        .route("/api/v1/instances/{id}/config", put(update_config))
}

/// New workspace.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateWorkspace {
    name: String,
}

/// New name for a workspace or instance.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rename {
    name: String,
}

/// A widget instance's new config.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateConfig {
    /// The whole config, checked with the widget's own parser (the code the browser runs).
    #[schema(value_type = Object)]
    config: serde_json::Value,
}

/// Confirmation of a deletion.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfirmDelete {
    /// The workspace's name, typed again.
    confirm: String,
}

/// New widget instance.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateInstance {
    /// Widget type, e.g. `form`.
    widget: String,
    #[serde(default)]
    name: String,
    /// The widget's configuration (validated by the widget's schema when it is served).
    #[serde(default)]
    #[schema(value_type = Object)]
    config: serde_json::Value,
}

/// The workspaces the caller is a member of.
#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces",
    responses((status = 200, body = Vec<Workspace>), (status = 401)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<Workspace>>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let list = db::list(&mut tx, user.id).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// Creates a workspace owned by the caller.
#[utoipa::path(post, path = "/api/v1/workspaces", tag = "workspaces", request_body = CreateWorkspace,
    responses((status = 201, body = Workspace), (status = 400), (status = 401)), security(("bearer" = [])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Json(req): Json<CreateWorkspace>,
) -> Result<impl IntoResponse, Error> {
    let name = valid_name(&req.name, "invalid_workspace_name")?;
    let now = Ts::now();
    user.ensure_row(&state).await?;
    let id = Uuid::new_v4();
    let mut tx = state.db().begin(&user.actor()).await?;
    db::create(&mut tx, id, name, user.id, now).await?;
    let created = member_workspace(&mut tx, &user, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One workspace (404 unless the caller is a member).
#[utoipa::path(get, path = "/api/v1/workspaces/{id}", tag = "workspaces",
    responses((status = 200, body = Workspace), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Workspace>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let ws = member_workspace(&mut tx, &user, id).await?;
    tx.commit().await?;
    Ok(Json(ws))
}

/// Widget instances of a workspace (404 unless the caller is a member).
#[utoipa::path(get, path = "/api/v1/workspaces/{id}/instances", tag = "workspaces",
    responses((status = 200, body = Vec<Instance>), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn instances(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<Instance>>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    member_workspace(&mut tx, &user, id).await?;
    let list = db::instances(&mut tx, user.id, id).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// Renames a workspace the caller owns.
#[utoipa::path(patch, path = "/api/v1/workspaces/{id}", tag = "workspaces", request_body = Rename,
    responses((status = 200, body = Workspace), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn rename(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<Rename>,
) -> Result<Json<Workspace>, Error> {
    let name = valid_name(&req.name, "invalid_workspace_name")?;
    let mut tx = state.db().begin(&user.actor()).await?;
    if !db::rename(&mut tx, user.id, id, name).await? {
        return Err(Error::not_found("workspace"));
    }
    let ws = member_workspace(&mut tx, &user, id).await?;
    tx.commit().await?;
    Ok(Json(ws))
}

/// Adds a widget instance to a workspace the caller is a member of.
#[utoipa::path(post, path = "/api/v1/workspaces/{id}/instances", tag = "workspaces", request_body = CreateInstance,
    responses((status = 201, body = Instance), (status = 400), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn create_instance(
    State(state): State<AppState>,
    user: AuthUser,
    Path(ws): Path<Uuid>,
    Json(req): Json<CreateInstance>,
) -> Result<impl IntoResponse, Error> {
    let widget = req.widget.trim();
    if !widgets::is_type_name(widget) {
        return Err(Error::bad_request(
            "invalid_widget",
            "widget must be a widget type such as `form`",
        ));
    }
    if req.name.chars().count() > MAX_NAME {
        return Err(Error::bad_request(
            "invalid_instance_name",
            "name is longer than 120 characters",
        ));
    }
    let config = if req.config.is_null() {
        serde_json::json!({})
    } else {
        req.config
    };
    if !config.is_object() {
        return Err(Error::bad_request(
            "invalid_config",
            "config must be a JSON object",
        ));
    }
    let id = Uuid::new_v4();
    let mut tx = state.db().begin(&user.actor()).await?;
    let created = db::create_instance(
        &mut tx,
        user.id,
        ws,
        &NewInstance {
            id,
            widget,
            name: req.name.trim(),
            config: &config,
        },
        Ts::now(),
    )
    .await;
    match created {
        Ok(true) => {}
        Ok(false) => return Err(Error::not_found("workspace")),
        // Foreign key on `widgets`: an unknown widget type.
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            return Err(Error::bad_request("unknown_widget", "no such widget type"))
        }
        Err(e) => return Err(e.into()),
    }
    let instance = member_instance(&mut tx, &user, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(instance)))
}

/// One widget instance (404 unless it is in one of the caller's workspaces).
#[utoipa::path(get, path = "/api/v1/instances/{id}", tag = "workspaces",
    responses((status = 200, body = Instance), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn show_instance(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Instance>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let instance = member_instance(&mut tx, &user, id).await?;
    tx.commit().await?;
    Ok(Json(instance))
}

/// Renames a widget instance.
#[utoipa::path(patch, path = "/api/v1/instances/{id}", tag = "workspaces", request_body = Rename,
    responses((status = 200, body = Instance), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn rename_instance(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<Rename>,
) -> Result<Json<Instance>, Error> {
    let name = valid_name(&req.name, "invalid_instance_name")?;
    let mut tx = state.db().begin(&user.actor()).await?;
    if !db::rename_instance(&mut tx, user.id, id, name, Ts::now()).await? {
        return Err(Error::not_found("instance"));
    }
    let instance = member_instance(&mut tx, &user, id).await?;
    tx.commit().await?;
    Ok(Json(instance))
}

/// Deletes a widget instance (and, by cascade, its tokens and counters).
#[utoipa::path(delete, path = "/api/v1/instances/{id}", tag = "workspaces",
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn delete_instance(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, Error> {
    super::delete_instance(&state, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces a widget instance's config (owners). 422 with the failing path when the widget's
/// parser refuses it; the embed serves it from the next manifest request.
#[utoipa::path(put, path = "/api/v1/instances/{id}/config", tag = "workspaces", request_body = UpdateConfig,
    responses((status = 200, body = Instance), (status = 400), (status = 404), (status = 422)), security(("bearer" = [])))]
pub(crate) async fn update_config(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateConfig>,
) -> Result<Json<Instance>, Error> {
    Ok(Json(
        super::update_config(&state, &user, id, &req.config).await?,
    ))
}

/// Deletes a workspace the caller owns, with its widgets, embed tokens (refused from then on),
/// usage and visitors' submissions. `confirm` must repeat the workspace's name.
#[utoipa::path(delete, path = "/api/v1/workspaces/{id}", tag = "workspaces", request_body = ConfirmDelete,
    responses((status = 204), (status = 400), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn delete_workspace(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<ConfirmDelete>,
) -> Result<StatusCode, Error> {
    super::delete_workspace(&state, &user, id, &req.confirm).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Workspace `id`, if the caller is a member; else 404.
async fn member_workspace(tx: &mut Tx, user: &AuthUser, id: Uuid) -> Result<Workspace, Error> {
    db::get(tx, user.id, id)
        .await?
        .ok_or_else(|| Error::not_found("workspace"))
}

/// Instance `id`, if it is in one of the caller's workspaces; else 404.
async fn member_instance(tx: &mut Tx, user: &AuthUser, id: Uuid) -> Result<Instance, Error> {
    db::instance(tx, id, Some(user.id))
        .await?
        .ok_or_else(|| Error::not_found("instance"))
}
