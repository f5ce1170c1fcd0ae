//! `POST /api/v1/events`: the usage pixel. The runtime sends batches by `navigator.sendBeacon`
//! (`text/plain`, so no CORS preflight) or `fetch` (`application/json`). Validation is strict and
//! all-or-nothing; accepted events go into the in-memory aggregate and the answer (204) does not
//! wait for the database. The aggregate is flushed by interval, by size and on graceful shutdown.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    routing::{get, post},
    Router,
};
use serde::Deserialize;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{
    auth::AuthUser,
    error::{Error, Json},
    product::{
        db, limits,
        usage::{utc_day_now, Aggregator, Kind, UsageKey},
        verify,
    },
    state::AppState,
    store::{Actor, Ts},
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
}

/// Filter of the usage report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
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
    if !db::is_member(&mut tx, user.id, ws).await? {
        return Err(Error::not_found("workspace"));
    }
    let rows = db::usage(&mut tx, user.id, ws, q.instance_id).await?;
    tx.commit().await?;
    Ok(Json(rows))
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

/// The aggregate plus the flusher's wake-up.
pub(crate) struct Usage {
    pub(crate) agg: Aggregator,
    wake: Notify,
}

fn usage(state: &AppState) -> Arc<Usage> {
    state.extension_or_insert_with(|| Usage {
        agg: Aggregator::new(state.config().product.usage_flush_keys),
        wake: Notify::new(),
    })
}

/// Counts `n` events for an instance from another route (a stored submission is an interaction).
pub(crate) fn count(
    state: &AppState,
    token: &verify::Verified,
    instance: Uuid,
    kind: Kind,
    n: i64,
) {
    let usage = usage(state);
    let key = UsageKey {
        day: utc_day_now(),
        workspace_id: token.workspace_id,
        instance_id: Some(instance),
        token_id: token.id,
    };
    if usage.agg.record(key, kind, n) {
        usage.wake.notify_one();
    }
}

/// Starts the flusher; the final flush runs as a shutdown hook after in-flight requests finished.
pub(crate) fn start(state: &AppState) {
    let usage = usage(state);
    let interval = Duration::from_millis(state.config().product.usage_flush_ms.max(10));
    let (bg_state, bg_usage) = (state.clone(), usage.clone());
    state.spawn_background(async move {
        let stop = bg_state.shutting_down();
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = tick.tick() => {}
                () = bg_usage.wake.notified() => {}
            }
            flush(&bg_state, &bg_usage.agg).await;
        }
    });
    let final_state = state.clone();
    state.on_shutdown(move || async move {
        flush(&final_state, &usage.agg).await;
        let left = usage.agg.pending_keys();
        if left > 0 {
            tracing::error!(
                keys = left,
                "usage counters could not be written at shutdown"
            );
        }
    });
}

/// Writes everything pending in one transaction; on failure the batch goes back into the aggregate
/// (merged with newer counts) and is retried next time, so a database hiccup loses nothing.
pub(crate) async fn flush(state: &AppState, agg: &Aggregator) {
    let batch = agg.drain();
    if batch.is_empty() {
        return;
    }
    let now = Ts::now();
    let write = async {
        let mut tx = state.db().begin(&Actor::System).await?;
        for (key, counts) in &batch {
            db::upsert_usage(&mut tx, key, counts, now).await?;
        }
        tx.commit().await
    };
    match write.await {
        Ok(()) => {
            let total: i64 = batch.iter().map(|(_, c)| c.total()).sum();
            metrics::counter!("ck_usage_events_flushed_total")
                .increment(u64::try_from(total).unwrap_or(0));
        }
        Err(e) => {
            tracing::warn!(error = %e, keys = batch.len(), "usage flush failed; will retry");
            // A key whose token or instance was deleted meanwhile would fail every retry: write the
            // batch row by row and drop only rows the database refuses for integrity reasons.
            let mut retry = Vec::new();
            for (key, counts) in batch {
                let one = async {
                    let mut tx = state.db().begin(&Actor::System).await?;
                    db::upsert_usage(&mut tx, &key, &counts, now).await?;
                    tx.commit().await
                };
                match one.await {
                    Ok(()) => {}
                    Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                        tracing::warn!(token = %key.token_id, "dropping usage of a deleted token/instance");
                    }
                    Err(_) => retry.push((key, counts)),
                }
            }
            agg.restore(retry);
        }
    }
}

/// Accepts a batch of usage events.
#[utoipa::path(post, path = "/api/v1/events", tag = "embed", request_body = Batch,
    responses((status = 204), (status = 400), (status = 401), (status = 413), (status = 415), (status = 429)))]
pub(crate) async fn ingest(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, Error> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "text/plain" && mime != "application/json" {
        return Err(Error::client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send text/plain (sendBeacon) or application/json",
        ));
    }
    let limiters = limits::limiters(&state);
    limits::local(&limiters.events_ip, &limits::ip_hash(&state, peer.ip()))?;
    let batch: Batch = serde_json::from_slice(&body)
        .map_err(|e| Error::bad_request("invalid_events", format!("invalid batch: {e}")))?;
    if batch.events.is_empty() || batch.events.len() > MAX_EVENTS {
        return Err(Error::bad_request(
            "invalid_events",
            "a batch has 1 to 100 events",
        ));
    }
    let mut parsed = Vec::with_capacity(batch.events.len());
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
        parsed.push((kind, id, i64::from(n), e.ms));
    }
    let token = verify::embed_token(&state, &batch.token, &headers).await?;
    limits::local(&limiters.events_token, &token.id.to_string())?;
    let day = utc_day_now();
    let mut items = Vec::with_capacity(parsed.len());
    for (kind, id, n, ms) in parsed {
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
                workspace_id: token.workspace_id,
                instance_id,
                token_id: token.id,
            },
            kind,
            n,
        ));
    }
    let usage = usage(&state);
    if usage.agg.record_all(items) {
        usage.wake.notify_one();
    }
    Ok(StatusCode::NO_CONTENT)
}
