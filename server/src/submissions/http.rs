//! Routes of submissions: the embed's `POST /api/v1/submissions` and the members' list and CSV.

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
    Router,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::db::{self, SubmissionRow};
use crate::{
    error::{Error, Json},
    http::client_ip::ClientIp,
    outbox, ratelimit,
    state::AppState,
    store::{Actor, Ts, Tx},
    tokens::verify,
    usage::{self, Kind},
    users::AuthUser,
    widgets,
    workspaces::{self, Instance},
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/submissions", post(submit))
        .route(
            "/api/v1/workspaces/{ws}/instances/{id}/submissions",
            get(list),
        )
        .route(
            "/api/v1/workspaces/{ws}/instances/{id}/submissions.csv",
            get(export_csv),
        )
        .route(
            "/api/v1/workspaces/{ws}/instances/{id}/submissions/{submission}",
            delete(remove),
        )
}

/// A visitor's submission.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Submission {
    token: String,
    id: String,
    /// The answers by field name: visible fields and hidden ones (a hidden field's value is the
    /// config's `value` or what the page set: `data-ck-hidden-*`, an allowed query parameter,
    /// `ck('set')`). Checked against the stored form config like any field: a name the form does
    /// not declare, a value of the wrong type or over its `max_length` is a 422 whose
    /// `error.fields` names the field.
    #[schema(value_type = Object, example = json!({"email": "ada@example.com", "utm_source": "newsletter"}))]
    values: serde_json::Value,
    /// The honeypot field's value; people leave it empty.
    #[serde(default)]
    hp: String,
    /// Time from render to submit.
    elapsed_ms: f64,
}

/// The stored submission's id.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Stored {
    id: Uuid,
}

/// Stores a form submission.
#[utoipa::path(post, path = "/api/v1/submissions", tag = "embed", request_body = Submission,
    responses((status = 201, body = Stored), (status = 400), (status = 401), (status = 403), (status = 422), (status = 429)))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Json(req): Json<Submission>,
) -> Result<impl IntoResponse, Error> {
    let limiters = state.limiters();
    ratelimit::local(
        &limiters.submissions_ip,
        &ratelimit::ip_hash(state.config(), client),
    )?;
    let token = verify::embed_token(&state, &req.token, &headers).await?;
    let id = Uuid::parse_str(&req.id).map_err(|_| Error::not_found("widget instance"))?;
    let instance = verify::instance_for(&state, &token, id).await?;
    ratelimit::shared(
        &state,
        &limiters.submissions_token,
        "submissions_token",
        &token.id.to_string(),
    )
    .await?;
    if instance.widget_id != "form" {
        return Err(Error::bad_request(
            "not_a_form",
            "this widget does not take submissions",
        ));
    }
    // The config is re-read here rather than trusted from the cache: validation must use what the
    // owner saved, and this request writes to the database anyway.
    let mut tx = state.db().begin(&Actor::System).await?;
    let stored = workspaces::db::instance(&mut tx, id, None)
        .await?
        .ok_or_else(|| Error::not_found("widget instance"))?;
    let form = widgets::form_config(&stored.config.0).map_err(|e| {
        tracing::error!(instance = %id, path = %e.path, "stored form config no longer parses");
        Error::client(
            StatusCode::CONFLICT,
            "form_misconfigured",
            "this form's configuration is invalid",
        )
    })?;
    if !req.hp.is_empty() {
        metrics::counter!("ck_submissions_rejected_total", "reason" => "honeypot").increment(1);
        return Err(Error::bad_request("spam_detected", "submission rejected"));
    }
    if !req.elapsed_ms.is_finite() || req.elapsed_ms < f64::from(form.min_fill_ms()) {
        metrics::counter!("ck_submissions_rejected_total", "reason" => "too_fast").increment(1);
        return Err(Error::bad_request(
            "too_fast",
            "the form was submitted too quickly; please try again",
        ));
    }
    let values = ck_runtime::Value::from(&req.values);
    if let Err(errors) = form.validate(&values) {
        let mut fields = serde_json::Map::new();
        for e in &errors {
            let name = if e.name.is_empty() {
                "values".to_owned()
            } else {
                e.name.clone()
            };
            fields
                .entry(name)
                .or_insert_with(|| serde_json::Value::String(e.message.clone()));
        }
        return Err(Error::validation("some fields are invalid", fields));
    }
    let submission = Uuid::new_v4();
    let now = Ts::now();
    db::insert(
        &mut tx,
        submission,
        stored.workspace_id,
        id,
        token.id,
        &req.values,
        now,
    )
    .await?;
    // Webhooks and notification mail are stored with the submission (one commit: a 201 means
    // both are durable) and delivered by the outbox workers, never on this path.
    let queued = match stored.workspace_id {
        Some(workspace_id) => {
            let new = outbox::NewSubmission {
                id: submission,
                workspace_id,
                instance_id: id,
                instance_name: &stored.name,
                values: &req.values,
                created_at: now,
            };
            outbox::enqueue_submission(&mut tx, &state.public_url(), &new).await?
        }
        None => 0,
    };
    tx.commit().await?;
    if queued > 0 {
        state.outbox().wake();
    }
    usage::count(&state, &token, id, Kind::Interaction, 1);
    metrics::counter!("ck_submissions_total").increment(1);
    Ok((StatusCode::CREATED, Json(Stored { id: submission })))
}

/// Paging of the owner's list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// At most this many (default 100, max 1000).
    #[serde(default)]
    limit: Option<i64>,
    /// Where to continue: the `cursor` of the previous page's `Link: <…>; rel="next"`.
    #[serde(default)]
    cursor: Option<String>,
}

/// Submissions of an instance (members), newest first, a page at a time. When more remain, the
/// `Link` header names the next page (`rel="next"`, with its `cursor`).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/instances/{id}/submissions", tag = "submissions", params(ListQuery),
    responses((status = 200, body = Vec<SubmissionRow>,
        headers(("Link" = String, description = "`<…?limit=N&cursor=…>; rel=\"next\"` while more remain"))),
        (status = 400), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    Query(q): Query<ListQuery>,
) -> Result<Response, Error> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let page = page(&state, &user, ws, id, q.cursor.as_deref(), limit).await?;
    let mut response = Json(page.rows).into_response();
    if let Some(next) = page.next {
        let link = format!(
            "</api/v1/workspaces/{ws}/instances/{id}/submissions?limit={limit}&cursor={next}>; rel=\"next\""
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(response)
}

/// One page of an instance's submissions.
pub(crate) struct Page {
    /// Newest first.
    pub(crate) rows: Vec<SubmissionRow>,
    /// The cursor of the next page, when more remain.
    pub(crate) next: Option<db::Cursor>,
}

/// A page of at most `limit` submissions of instance `id` in `ws` (members), after `cursor`.
pub(crate) async fn page(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page, Error> {
    let after = match cursor.filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Some(db::Cursor::parse(raw).ok_or_else(|| {
            Error::bad_request("invalid_cursor", "cursor is not one this API handed out")
        })?),
    };
    let mut tx = state.db().begin(&user.actor()).await?;
    member_instance(&mut tx, user, ws, id).await?;
    // One extra row says whether another page follows.
    let mut rows = db::list(&mut tx, user.id, ws, id, after, limit + 1).await?;
    tx.commit().await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = more.then(|| rows.last().map(db::Cursor::after)).flatten();
    Ok(Page { rows, next })
}

/// Deletes one submission (owners): the visitor's data is gone for good.
#[utoipa::path(delete, path = "/api/v1/workspaces/{ws}/instances/{id}/submissions/{submission}", tag = "submissions",
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id, submission)): Path<(Uuid, Uuid, Uuid)>,
) -> Result<StatusCode, Error> {
    delete_one(&state, &user, ws, id, submission).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes submission `submission` of instance `id` in `ws` (owners).
pub(crate) async fn delete_one(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
    submission: Uuid,
) -> Result<(), Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    if !db::delete(&mut tx, user.id, ws, id, submission).await? {
        return Err(Error::not_found("submission"));
    }
    tx.commit().await?;
    Ok(())
}

/// CSV export (members): one column per form field in form order, formula-injection escaped.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/instances/{id}/submissions.csv", tag = "submissions",
    responses((status = 200, content_type = "text/csv"), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn export_csv(
    State(state): State<AppState>,
    user: AuthUser,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Result<Response, Error> {
    let out = csv_export(&state, &user, ws, id).await?;
    Ok(csv_response(id, out))
}

/// The CSV download of instance `id`: a `text/csv` attachment, never cached.
pub(crate) fn csv_response(id: Uuid, out: String) -> Response {
    let disposition = format!("attachment; filename=\"submissions-{id}.csv\"");
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        )],
        out,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The CSV export of instance `id` in `ws` (members).
pub(crate) async fn csv_export(
    state: &AppState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
) -> Result<String, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let instance = member_instance(&mut tx, user, ws, id).await?;
    let rows = db::list(&mut tx, user.id, ws, id, None, 100_000).await?;
    tx.commit().await?;
    Ok(super::to_csv(&instance.config.0, &rows))
}

/// Instance `id` of workspace `ws`, if `user` is a member; else 404.
async fn member_instance(
    tx: &mut Tx,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
) -> Result<Instance, Error> {
    workspaces::db::instance(tx, id, Some(user.id))
        .await?
        .filter(|i| i.workspace_id == Some(ws))
        .ok_or_else(|| Error::not_found("widget instance"))
}
