//! The flusher: writes the aggregate by interval, sooner when it is full, and once more on graceful
//! shutdown after the HTTP server has drained.

use std::time::Duration;

use super::db;
use crate::{
    state::AppState,
    store::{Actor, Ts},
};

/// Starts the flusher; the final flush runs as a shutdown hook after in-flight requests finished.
pub(crate) fn start_flusher(state: &AppState) {
    let interval = Duration::from_millis(state.config().product.usage_flush_ms.max(10));
    let bg_state = state.clone();
    state.spawn_background(async move {
        let stop = bg_state.shutting_down();
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = tick.tick() => {}
                () = bg_state.usage().wake.notified() => {}
            }
            flush(&bg_state).await;
        }
    });
    let final_state = state.clone();
    state.on_shutdown(move || async move {
        let written = flush(&final_state).await;
        let left = final_state.usage().agg.pending_keys();
        if left > 0 {
            tracing::error!(
                keys = left,
                events_written = written,
                "usage counters could not be written at shutdown"
            );
        } else {
            tracing::info!(events_written = written, "final usage flush done");
        }
    });
}

/// Writes everything pending in one transaction; on failure the batch goes back into the aggregate
/// (merged with newer counts) and is retried next time, so a database hiccup loses nothing.
/// Returns the number of events written.
async fn flush(state: &AppState) -> i64 {
    let agg = &state.usage().agg;
    let mut batch = agg.drain();
    if batch.is_empty() {
        return 0;
    }
    // One lock order for every writer: instance rows (the upsert share-locks them) before token
    // rows, each by id. A claim locks its instance, then its tokens, then their usage rows; a flush
    // that locked a token before the instance could deadlock with it, and two processes flushing
    // overlapping keys in different orders could deadlock on the counter rows.
    batch.sort_by(|(a, _), (b, _)| {
        (a.instance_id.is_none(), a.instance_id, a.token_id, &a.day).cmp(&(
            b.instance_id.is_none(),
            b.instance_id,
            b.token_id,
            &b.day,
        ))
    });
    let now = Ts::now();
    let write = async {
        let mut tx = state.db().begin(&Actor::System).await?;
        for (key, counts) in &batch {
            db::upsert(&mut tx, key, counts, now).await?;
        }
        tx.commit().await
    };
    match write.await {
        Ok(()) => {
            let total: i64 = batch.iter().map(|(_, c)| c.total()).sum();
            metrics::counter!("ck_usage_events_flushed_total")
                .increment(u64::try_from(total).unwrap_or(0));
            let failed_since = state
                .usage()
                .failing_since
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            if let Some(since) = failed_since {
                tracing::info!(
                    events = total,
                    keys = batch.len(),
                    failing_for_secs = since.elapsed().as_secs(),
                    "usage flush recovered: counts kept during the outage are written"
                );
            }
            total
        }
        Err(e) if crate::store::is_unavailable(&e) => {
            // Nothing can be written now: keep the whole batch for the next tick.
            state
                .usage()
                .failing_since
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert_with(std::time::Instant::now);
            let cause = state.db().diagnose(&e).await;
            tracing::warn!(
                database = %state.db().target(),
                cause = %cause,
                keys = batch.len(),
                "usage flush failed: database unavailable; counts are kept in memory and retried"
            );
            agg.restore(batch);
            0
        }
        Err(e) => {
            tracing::warn!(error = %e, keys = batch.len(), "usage flush failed; will retry");
            // A key whose token or instance was deleted meanwhile would fail every retry: write the
            // batch row by row and drop only rows the database refuses for integrity reasons.
            let mut retry = Vec::new();
            for (key, counts) in batch {
                let one = async {
                    let mut tx = state.db().begin(&Actor::System).await?;
                    db::upsert(&mut tx, &key, &counts, now).await?;
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
            0
        }
    }
}
