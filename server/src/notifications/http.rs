//! Routes of notifications: an owner's mode per widget (API), and the signed one-click unsubscribe
//! (`GET` shows a confirmation button so link scanners cannot unsubscribe anyone; `POST` is what
//! mail clients send for `List-Unsubscribe-Post`).

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
    routing::get,
    Router,
};
use ck_icons::icons;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{db, unsubscribe_sig, Mode};
use crate::{
    dashboard::{esc, html, icon},
    error::{Error, Json},
    state::AppState,
    store::Actor,
    tokens::ct_eq,
    users::AuthUser,
    workspaces,
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/workspaces/{ws}/instances/{id}/notifications",
            get(show).put(update),
        )
        .route(
            "/notifications/unsubscribe",
            get(unsubscribe_page).post(unsubscribe),
        )
}

/// The caller's notification setting for a widget.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Setting {
    /// `each` (a mail per submission), `digest` (one a day) or `none`.
    mode: Mode,
}

/// The caller's notification setting for a widget (owners).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/instances/{id}/notifications", tag = "webhooks",
    responses((status = 200, body = Setting), (status = 403), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Result<Json<Setting>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    owned_instance(&mut tx, &user, ws, id).await?;
    let mode = db::settings(&mut tx, user.id, ws)
        .await?
        .into_iter()
        .find(|s| s.instance_id == id)
        .and_then(|s| s.mode.as_deref().and_then(Mode::parse))
        .unwrap_or(Mode::None);
    tx.commit().await?;
    Ok(Json(Setting { mode }))
}

/// Sets the caller's notification setting for a widget (owners).
#[utoipa::path(put, path = "/api/v1/workspaces/{ws}/instances/{id}/notifications", tag = "webhooks",
    request_body = Setting, responses((status = 200, body = Setting), (status = 403), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    Json(req): Json<Setting>,
) -> Result<Json<Setting>, Error> {
    set_as(&state, &user, ws, id, req.mode).await?;
    Ok(Json(req))
}

/// The change shared by the API and the dashboard.
pub(crate) async fn set_as(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
    mode: Mode,
) -> Result<(), Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    owned_instance(&mut tx, user, ws, id).await?;
    db::set(&mut tx, user.id, ws, id, mode).await?;
    tx.commit().await?;
    Ok(())
}

/// 404 unless `id` is a widget of `ws` and `user` a member; 403 unless an owner.
async fn owned_instance(
    tx: &mut crate::store::Tx,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
) -> Result<(), Error> {
    workspaces::db::instance(tx, id, Some(user.id))
        .await?
        .filter(|i| i.workspace_id == Some(ws))
        .ok_or_else(|| Error::not_found("widget instance"))?;
    if !workspaces::db::is_owner(tx, user.id, ws).await? {
        return Err(Error::forbidden(
            "only the workspace's owners get submission mail",
        ));
    }
    Ok(())
}

/// The signed link's query.
#[derive(Deserialize)]
struct UnsubscribeQuery {
    u: Uuid,
    i: Uuid,
    s: String,
}

fn signed(state: &AppState, q: &UnsubscribeQuery) -> bool {
    ct_eq(unsubscribe_sig(state, q.u, q.i).as_bytes(), q.s.as_bytes())
}

fn invalid(state: &AppState) -> Response {
    let body = format!(
        "<main><h1>Link not valid</h1><div class=\"card\"><p class=\"error\">{}This unsubscribe \
         link is incomplete or was changed. Use the link from the mail, or change notifications in \
         the dashboard.</p></div></main>",
        icon(&icons::ALERT)
    );
    html(state, StatusCode::BAD_REQUEST, "Unsubscribe", &body, &[])
}

async fn unsubscribe_page(
    State(state): State<AppState>,
    Query(q): Query<UnsubscribeQuery>,
) -> Response {
    if !signed(&state, &q) {
        return invalid(&state);
    }
    // The form posts back to this same signed URL; no session or CSRF token is needed because
    // the signature is the credential, and it can only turn mail off.
    let body = format!(
        "<main><h1>{mail}Stop submission mail?</h1><div class=\"card\">\
         <p>You will no longer get mail about this widget's submissions. You can turn it on again \
         in the dashboard.</p>\
         <form method=\"post\" action=\"/notifications/unsubscribe?u={u}&amp;i={i}&amp;s={s}\">\
         <button type=\"submit\">Unsubscribe</button></form></div></main>",
        mail = icon(&icons::MAIL),
        u = q.u,
        i = q.i,
        s = esc(&q.s),
    );
    html(&state, StatusCode::OK, "Unsubscribe", &body, &[])
}

async fn unsubscribe(
    State(state): State<AppState>,
    Query(q): Query<UnsubscribeQuery>,
) -> Result<Response, Error> {
    if !signed(&state, &q) {
        return Ok(invalid(&state));
    }
    let mut tx = state.db().begin(&Actor::System).await?;
    db::unsubscribe(&mut tx, q.u, q.i).await?;
    tx.commit().await?;
    let body = format!(
        "<main><h1>Unsubscribed</h1><div class=\"card\"><p class=\"ok\">{}You will no longer get \
         mail about this widget's submissions.</p></div></main>",
        icon(&icons::CHECK)
    );
    Ok(html(&state, StatusCode::OK, "Unsubscribed", &body, &[]))
}
