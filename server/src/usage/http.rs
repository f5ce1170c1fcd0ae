//! `POST /api/v1/events`: the usage pixel. The runtime sends batches by `navigator.sendBeacon`
//! (`text/plain`, so no CORS preflight) or `fetch` (`application/json`). Validation is strict and
//! all-or-nothing; accepted events go into the in-memory aggregate and the answer (204) does not
//! wait for the database. The aggregate is flushed by interval, by size and on graceful shutdown.

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
    Router,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{db, utc_day_now, Kind, UsageKey};
use crate::{
    error::{Error, Json},
    http::client_ip::ClientIp,
    http::require_beacon_body,
    ratelimit,
    state::AppState,
    tokens::verify,
    users::AuthUser,
    workspaces,
};

/// Largest accepted body.
pub(crate) const MAX_BODY: usize = 16 * 1024;
/// Most events in one batch.
pub(crate) const MAX_EVENTS: usize = 100;
/// Largest `n` of one event.
pub(crate) const MAX_COUNT: u32 = 1000;

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/events",
            post(ingest).layer(DefaultBodyLimit::max(MAX_BODY)),
        )
        .route("/api/v1/workspaces/{ws}/usage", get(daily))
        .route(
            "/api/v1/workspaces/{ws}/usage/last-7-days",
            get(last_7_days),
        )
}

/// Filter of the usage report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UsageQuery {
    /// Only this widget instance.
    #[serde(default)]
    instance_id: Option<Uuid>,
}

/// Daily usage counters of a workspace (members), newest day first. Counts still in the
/// in-memory aggregate appear after the next flush.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/usage", tag = "usage", params(UsageQuery),
    responses((status = 200, body = Vec<db::UsageRow>), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn daily(
    State(state): State<AppState>,
    user: AuthUser,
    Path(ws): Path<Uuid>,
    Query(q): Query<UsageQuery>,
) -> Result<Json<Vec<db::UsageRow>>, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    if !workspaces::db::is_member(&mut tx, user.id, ws).await? {
        return Err(Error::not_found("workspace"));
    }
    let rows = db::daily(&mut tx, user.id, ws, q.instance_id).await?;
    tx.commit().await?;
    Ok(Json(rows))
}

/// The last 7 UTC days of a workspace (or of one widget with `instance_id`), oldest first, days
/// without traffic as zero, with totals and (workspace-wide) per-widget totals. Today's counts
/// appear within one usage flush interval.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/usage/last-7-days", tag = "usage", params(UsageQuery),
    responses((status = 200, body = super::Report), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn last_7_days(
    State(state): State<AppState>,
    user: AuthUser,
    Path(ws): Path<Uuid>,
    Query(q): Query<UsageQuery>,
) -> Result<Json<super::Report>, Error> {
    Ok(Json(super::report(&state, &user, ws, q.instance_id).await?))
}

/// One batch from the runtime.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Batch {
    token: String,
    events: Vec<Event>,
}

/// One event.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Event {
    /// `load`, `view`, `interaction` or `error`.
    k: String,
    /// Widget instance (optional for `load`).
    #[serde(default)]
    id: Option<String>,
    /// How many (1..=1000, default 1).
    #[serde(default)]
    n: Option<u32>,
    /// Duration in ms (load timing); recorded as a metric only.
    #[serde(default)]
    ms: Option<f64>,
}

/// A batch that passed every check: the token still to verify, each event typed and in range.
#[derive(Debug)]
pub(crate) struct ParsedBatch {
    /// The embed token, as sent (format and database checks follow).
    pub(crate) token: String,
    /// 1 to [`MAX_EVENTS`] events.
    pub(crate) events: Vec<ParsedEvent>,
}

/// One checked event.
#[derive(Debug)]
pub(crate) struct ParsedEvent {
    /// The kind.
    pub(crate) kind: Kind,
    /// Widget instance; `None` only for `load`.
    pub(crate) id: Option<Uuid>,
    /// 1 to [`MAX_COUNT`].
    pub(crate) n: i64,
    /// Load timing in ms, 0 to one hour.
    pub(crate) ms: Option<f64>,
}

/// Parses and checks a pixel body, all or nothing: any bad event refuses the whole batch with
/// `400 invalid_events`. Pure (no state, no database), so it is fuzzed on its own.
pub(crate) fn parse_batch(body: &[u8]) -> Result<ParsedBatch, Error> {
    let batch: Batch = serde_json::from_slice(body)
        .map_err(|e| Error::bad_request("invalid_events", format!("invalid batch: {e}")))?;
    if batch.events.is_empty() || batch.events.len() > MAX_EVENTS {
        return Err(Error::bad_request(
            "invalid_events",
            "a batch has 1 to 100 events",
        ));
    }
    let mut events = Vec::with_capacity(batch.events.len());
    for (i, e) in batch.events.iter().enumerate() {
        let kind = Kind::parse(&e.k).ok_or_else(|| {
            Error::bad_request(
                "invalid_events",
                format!("events[{i}].k must be load, view, interaction or error"),
            )
        })?;
        let n = e.n.unwrap_or(1);
        if !(1..=MAX_COUNT).contains(&n) {
            return Err(Error::bad_request(
                "invalid_events",
                format!("events[{i}].n must be 1 to 1000"),
            ));
        }
        if e.ms.is_some_and(|ms| !(0.0..=3_600_000.0).contains(&ms)) {
            return Err(Error::bad_request(
                "invalid_events",
                format!("events[{i}].ms must be 0 to 3600000"),
            ));
        }
        let id = match &e.id {
            Some(id) => Some(Uuid::parse_str(id).map_err(|_| {
                Error::bad_request(
                    "invalid_events",
                    format!("events[{i}].id is not a widget id"),
                )
            })?),
            None if kind == Kind::Load => None,
            None => {
                return Err(Error::bad_request(
                    "invalid_events",
                    format!("events[{i}].id is required for {}", e.k),
                ))
            }
        };
        events.push(ParsedEvent {
            kind,
            id,
            n: i64::from(n),
            ms: e.ms,
        });
    }
    Ok(ParsedBatch {
        token: batch.token,
        events,
    })
}

/// Accepts a batch of usage events.
#[utoipa::path(post, path = "/api/v1/events", tag = "embed", request_body = Batch,
    responses((status = 204), (status = 400), (status = 401), (status = 413), (status = 415), (status = 429)))]
pub(crate) async fn ingest(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, Error> {
    require_beacon_body(&headers, "send text/plain (sendBeacon) or application/json")?;
    let limiters = state.limiters();
    ratelimit::local_key(&limiters.events_ip, &client)?;
    let batch = parse_batch(&body)?;
    let token = verify::embed_token(&state, &batch.token, &headers).await?;
    ratelimit::local_key(&limiters.events_token, &token.id)?;
    let day = utc_day_now();
    let mut items = Vec::with_capacity(batch.events.len());
    for ParsedEvent { kind, id, n, ms } in batch.events {
        let instance_id = match id {
            Some(id) => Some(verify::instance_for(&state, &token, id).await?.id),
            None => token.instance_id,
        };
        if let Some(ms) = ms {
            if kind == Kind::Load {
                metrics::histogram!("ck_embed_load_ms").record(ms);
            }
        }
        items.push((
            UsageKey {
                day: day.clone(),
                instance_id,
                token_id: token.id,
            },
            kind,
            n,
        ));
    }
    state.usage().record_all(items);
    Ok(StatusCode::NO_CONTENT)
}
