//! Routes of webhooks: owners list, create (secret shown once), change and delete endpoints.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::get,
    Router,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{db, valid_description, valid_url, Endpoint, MAX_ENDPOINTS};
use crate::{
    error::{Error, Json},
    state::AppState,
    users::AuthUser,
    workspaces,
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/workspaces/{ws}/webhooks", get(list).post(create))
        .route(
            "/api/v1/workspaces/{ws}/webhooks/{id}",
            get(show).patch(update).delete(delete),
        )
}

/// A new endpoint.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateEndpoint {
    /// `https://` on a public address.
    url: String,
    #[serde(default)]
    description: String,
    /// Only these widgets' submissions; omitted or empty: every widget of the workspace.
    #[serde(default)]
    instance_ids: Vec<Uuid>,
}

/// Changes to an endpoint; omitted fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateEndpoint {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// Replaces the widget filter; empty: every widget.
    #[serde(default)]
    instance_ids: Option<Vec<Uuid>>,
    #[serde(default)]
    active: Option<bool>,
}

/// A created endpoint and its signing secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Created {
    pub(crate) endpoint: Endpoint,
    /// `whsec_…`: verify `Clickeen-Signature` with it. Not retrievable later.
    pub(crate) secret: String,
}

/// The workspace's endpoints (owners).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<Endpoint>), (status = 401)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path(ws): Path<Uuid>,
) -> Result<Json<Vec<Endpoint>>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let rows = db::list(&mut tx, user.id, ws).await?;
    tx.commit().await?;
    Ok(Json(rows))
}

/// One endpoint (owners).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/webhooks/{id}", tag = "webhooks",
    responses((status = 200, body = Endpoint), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Result<Json<Endpoint>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let row = db::get(&mut tx, user.id, ws, id)
        .await?
        .ok_or_else(|| Error::not_found("webhook endpoint"))?;
    tx.commit().await?;
    Ok(Json(row))
}

/// Creates an endpoint (owners). The response holds its secret, which is never shown again.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/webhooks", tag = "webhooks", request_body = CreateEndpoint,
    responses((status = 201, body = Created), (status = 400), (status = 403), (status = 409)), security(("bearer" = [])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Path(ws): Path<Uuid>,
    Json(req): Json<CreateEndpoint>,
) -> Result<(StatusCode, Json<Created>), Error> {
    let created = create_as(
        &state,
        &user,
        ws,
        &req.url,
        &req.description,
        req.instance_ids,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The creation shared by the API and the dashboard.
pub(crate) async fn create_as(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    url: &str,
    description: &str,
    instance_ids: Vec<Uuid>,
) -> Result<Created, Error> {
    let url = valid_url(state, url)?;
    let description = valid_description(description)?;
    let mut tx = state.db().begin(&user.actor()).await?;
    owner(&mut tx, user, ws).await?;
    let filter = filter(&mut tx, ws, instance_ids).await?;
    if db::count(&mut tx, ws).await? >= MAX_ENDPOINTS {
        return Err(Error::conflict(
            "too_many_endpoints",
            format!("a workspace has at most {MAX_ENDPOINTS} webhook endpoints"),
        ));
    }
    let id = Uuid::new_v4();
    let (salt, secret, hint) = super::new_secret(state, id);
    db::insert(
        &mut tx,
        &db::NewEndpoint {
            id,
            workspace_id: ws,
            url: &url,
            description: &description,
            instance_ids: filter,
            salt: &salt,
            hint: &hint,
            created_by: user.id,
        },
    )
    .await?;
    let endpoint = db::get(&mut tx, user.id, ws, id)
        .await?
        .ok_or_else(|| Error::not_found("webhook endpoint"))?;
    tx.commit().await?;
    Ok(Created { endpoint, secret })
}

/// Changes an endpoint (owners): URL, description, widgets, active.
#[utoipa::path(patch, path = "/api/v1/workspaces/{ws}/webhooks/{id}", tag = "webhooks", request_body = UpdateEndpoint,
    responses((status = 200, body = Endpoint), (status = 400), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    Json(req): Json<UpdateEndpoint>,
) -> Result<Json<Endpoint>, Error> {
    Ok(Json(update_as(&state, &user, ws, id, req).await?))
}

/// Turns an endpoint on or off (the dashboard's toggle).
pub(crate) async fn set_active(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
    active: bool,
) -> Result<Endpoint, Error> {
    let req = UpdateEndpoint {
        active: Some(active),
        ..UpdateEndpoint::default()
    };
    update_as(state, user, ws, id, req).await
}

async fn update_as(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
    req: UpdateEndpoint,
) -> Result<Endpoint, Error> {
    let url = req
        .url
        .as_deref()
        .map(|u| valid_url(state, u))
        .transpose()?;
    let description = req
        .description
        .as_deref()
        .map(valid_description)
        .transpose()?;
    let mut tx = state.db().begin(&user.actor()).await?;
    let mut endpoint = db::get(&mut tx, user.id, ws, id)
        .await?
        .ok_or_else(|| Error::not_found("webhook endpoint"))?;
    if let Some(url) = url {
        endpoint.url = url;
    }
    if let Some(description) = description {
        endpoint.description = description;
    }
    if let Some(ids) = req.instance_ids {
        endpoint.instance_ids = filter(&mut tx, ws, ids).await?.map(sqlx::types::Json);
    }
    if let Some(active) = req.active {
        endpoint.active = active;
    }
    if !db::update(&mut tx, user.id, ws, &endpoint).await? {
        return Err(Error::not_found("webhook endpoint"));
    }
    tx.commit().await?;
    Ok(endpoint)
}

/// Deletes an endpoint and its pending deliveries (owners).
#[utoipa::path(delete, path = "/api/v1/workspaces/{ws}/webhooks/{id}", tag = "webhooks",
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, Error> {
    delete_as(&state, &user, ws, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The deletion shared by the API and the dashboard.
pub(crate) async fn delete_as(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
) -> Result<(), Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    if !db::delete(&mut tx, user.id, ws, id).await? {
        return Err(Error::not_found("webhook endpoint"));
    }
    tx.commit().await?;
    Ok(())
}

/// 404 unless `user` is a member of `ws`, 403 unless an owner.
async fn owner(tx: &mut crate::store::Tx, user: &AuthUser, ws: Uuid) -> Result<(), Error> {
    if !workspaces::db::is_member(tx, user.id, ws).await? {
        return Err(Error::not_found("workspace"));
    }
    if !workspaces::db::is_owner(tx, user.id, ws).await? {
        return Err(Error::forbidden(
            "only the workspace's owners manage webhooks",
        ));
    }
    Ok(())
}

/// The widget filter: `None` (every widget) for an empty list, else the ids, each an instance of
/// `ws`.
async fn filter(
    tx: &mut crate::store::Tx,
    ws: Uuid,
    mut ids: Vec<Uuid>,
) -> Result<Option<Vec<Uuid>>, Error> {
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(None);
    }
    if ids.len() > 100 || db::instances_in(tx, ws, &ids).await? != ids.len() {
        return Err(Error::bad_request(
            "unknown_instance",
            "every widget must be one of this workspace's",
        ));
    }
    Ok(Some(ids))
}
