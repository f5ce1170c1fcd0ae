//! Routes of the outbox: owners list deliveries, read their attempts and redeliver.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
    Router,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::db::{self, Attempt, Delivery};
use crate::{
    error::{Error, Json},
    state::AppState,
    store::Ts,
    users::AuthUser,
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/workspaces/{ws}/deliveries", get(list))
        .route("/api/v1/workspaces/{ws}/deliveries/{id}", get(show))
        .route(
            "/api/v1/workspaces/{ws}/deliveries/{id}/redeliver",
            post(redeliver),
        )
}

/// Filters of the deliveries list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only this endpoint's deliveries.
    #[serde(default)]
    endpoint: Option<Uuid>,
    /// At most this many (default 100, max 500).
    #[serde(default)]
    limit: Option<i64>,
}

/// A delivery with its attempts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct DeliveryDetail {
    #[serde(flatten)]
    delivery: Delivery,
    /// Newest first.
    attempts_log: Vec<Attempt>,
}

/// The workspace's deliveries (owners), newest first.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/deliveries", tag = "webhooks", params(ListQuery),
    responses((status = 200, body = Vec<Delivery>), (status = 401)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path(ws): Path<Uuid>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Delivery>>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let rows = db::list(
        &mut tx,
        user.id,
        ws,
        q.endpoint,
        q.limit.unwrap_or(100).clamp(1, 500),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(rows))
}

/// One delivery and its attempts: outcome, response status, the first KiB of the response, timing.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/deliveries/{id}", tag = "webhooks",
    responses((status = 200, body = DeliveryDetail), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Result<Json<DeliveryDetail>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let delivery = db::get(&mut tx, user.id, ws, id)
        .await?
        .ok_or_else(|| Error::not_found("delivery"))?;
    let attempts_log = db::attempts(&mut tx, user.id, ws, id).await?;
    tx.commit().await?;
    Ok(Json(DeliveryDetail {
        delivery,
        attempts_log,
    }))
}

/// Queues a delivery again now (same delivery id, fresh retry budget). 409 while an attempt is
/// under way.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/deliveries/{id}/redeliver", tag = "webhooks",
    responses((status = 202, body = Delivery), (status = 404), (status = 409)), security(("bearer" = [])))]
pub(crate) async fn redeliver(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Result<(StatusCode, Json<Delivery>), Error> {
    let delivery = redeliver_as(&state, &user, ws, id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}

/// The redelivery shared by the API and the dashboard.
pub(crate) async fn redeliver_as(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
) -> Result<Delivery, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    db::get(&mut tx, user.id, ws, id)
        .await?
        .ok_or_else(|| Error::not_found("delivery"))?;
    if !db::redeliver(&mut tx, user.id, ws, id, Ts::now()).await? {
        return Err(Error::conflict(
            "delivery_in_flight",
            "this delivery is being attempted right now; try again in a moment",
        ));
    }
    let delivery = db::get(&mut tx, user.id, ws, id)
        .await?
        .ok_or_else(|| Error::not_found("delivery"))?;
    tx.commit().await?;
    state.outbox().wake();
    Ok(delivery)
}
