//! The delivery outbox: what a stored submission owes its workspace's owners (signed webhook calls,
//! notification mail, a day's digest), delivered at least once by workers in every server process.
//!
//! - **Durable**: [`enqueue_submission`] runs in the transaction that stores the submission, so a
//!   201 from `POST /api/v1/submissions` means its deliveries are stored too; delivery itself never
//!   happens on the submit path (the workers are woken after the commit).
//! - **Claimed with a lease**: a worker takes due rows by setting `lease_owner`/`lease_until`
//!   (Postgres `for update skip locked`; SQLite's write lock), so processes sharing a database
//!   never deliver one row at the same time. A process that dies mid-delivery leaves a lease that
//!   runs out, and the row is claimed again: at least once, deduped by receivers on the delivery id.
//! - **Retries**: exponential backoff from `CK_OUTBOX_RETRY_BASE_MS`, doubling up to
//!   `CK_OUTBOX_RETRY_CAP_MS`, for `CK_OUTBOX_MAX_ATTEMPTS` attempts (about a day by default), then
//!   the row is dead-lettered. An owner may redeliver any row that is not in flight.
//! - **Isolation**: each process runs up to `CK_OUTBOX_CONCURRENCY` deliveries at once, each with
//!   its own time limit, so a slow receiver holds one slot, not the queue.
//!
//! Tables: `delivery_outbox`, `delivery_attempts` (every attempt with its outcome, response status,
//! a bounded response snippet and timing).

pub(crate) mod db;
pub(crate) mod http;

use std::{sync::Arc, time::Duration};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::{sync::Notify, task::JoinSet};
use uuid::Uuid;

use crate::{
    config::{Config, Env},
    notifications,
    state::AppState,
    store::{Actor, Ts, Tx},
    webhooks,
};

/// What a row delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A signed `POST` to an endpoint.
    Webhook,
    /// A notification mail about one submission.
    Email,
    /// A day's submissions to one widget, in one mail.
    Digest,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Webhook => "webhook",
            Kind::Email => "email",
            Kind::Digest => "digest",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "webhook" => Some(Kind::Webhook),
            "email" => Some(Kind::Email),
            "digest" => Some(Kind::Digest),
            _ => None,
        }
    }
}

/// The result of one attempt.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Delivered (a 2xx, or the mail was handed over).
    pub(crate) ok: bool,
    /// Nothing left to deliver (endpoint gone or disabled, notifications turned off): the row is
    /// cancelled instead of retried.
    pub(crate) cancel: bool,
    /// The receiver's HTTP status.
    pub(crate) status: Option<u16>,
    /// The start of the receiver's response body (at most [`SNIPPET_BYTES`]).
    pub(crate) snippet: Option<String>,
    /// Why it failed (or was cancelled).
    pub(crate) error: Option<String>,
}

impl Outcome {
    pub(crate) fn failed(error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            ..Self::default()
        }
    }

    pub(crate) fn cancelled(why: impl Into<String>) -> Self {
        Self {
            cancel: true,
            error: Some(why.into()),
            ..Self::default()
        }
    }

    pub(crate) fn delivered() -> Self {
        Self {
            ok: true,
            ..Self::default()
        }
    }
}

/// How much of a response body the delivery log keeps.
pub(crate) const SNIPPET_BYTES: usize = 1024;

/// Per-process outbox state: the derived key, the guarded HTTP client, the workers' wake-up.
pub(crate) struct Outbox {
    key: [u8; 32],
    client: reqwest::Client,
    wake: Notify,
    /// This process's lease owner id.
    worker: Uuid,
}

impl Outbox {
    /// The key comes from `CK_WEBHOOK_KEY`, else from `JWT_SECRET` (see [`Config`]); in development
    /// with neither, a per-process key (endpoint secrets then change on restart).
    pub(crate) fn new(config: &Config) -> anyhow::Result<Self> {
        let base = match (&config.outbox.webhook_key, &config.jwt_secret) {
            (Some(key), _) if key.len() < 32 => {
                anyhow::bail!("CK_WEBHOOK_KEY must be at least 32 characters")
            }
            (Some(key), _) => key.clone(),
            (None, Some(jwt)) => format!("jwt:{jwt}"),
            (None, None) if config.env == Env::Production => {
                anyhow::bail!("CK_WEBHOOK_KEY or JWT_SECRET is required in production")
            }
            (None, None) => {
                tracing::warn!(
                    "neither CK_WEBHOOK_KEY nor JWT_SECRET is set: webhook secrets and unsubscribe \
                     links change when this process restarts"
                );
                crate::users::random_secret()
            }
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(base.as_bytes()).expect("any key length");
        mac.update(b"ck-outbox-key-v1");
        let client = webhooks::guard::client(
            config.outbox.webhook_allow_private,
            Duration::from_millis(config.outbox.timeout_ms),
        )?;
        Ok(Self {
            key: mac.finalize().into_bytes().into(),
            client,
            wake: Notify::new(),
            worker: Uuid::new_v4(),
        })
    }

    /// HMAC-SHA256 of `data` under a key derived for `purpose`.
    pub(crate) fn derive(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Tells this process's workers that new rows are due now.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The wait before attempt `attempts + 1`, or `None` when `attempts` were the last allowed.
pub(crate) fn backoff(config: &crate::config::OutboxConfig, attempts: u32) -> Option<Duration> {
    if attempts >= config.max_attempts {
        return None;
    }
    let doublings = attempts.saturating_sub(1).min(32);
    let ms = config
        .retry_base_ms
        .saturating_mul(1u64 << doublings)
        .min(config.retry_cap_ms.max(config.retry_base_ms));
    // ±10 % jitter so rows that failed together do not all retry in the same instant.
    let spread = ms / 10;
    let jitter = if spread == 0 {
        0
    } else {
        rand::random::<u64>() % (2 * spread + 1)
    };
    Some(Duration::from_millis(ms - spread + jitter))
}

/// A stored submission, as the outbox needs it.
pub(crate) struct NewSubmission<'a> {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Uuid,
    pub(crate) instance_id: Uuid,
    pub(crate) instance_name: &'a str,
    pub(crate) values: &'a serde_json::Value,
    pub(crate) created_at: Ts,
}

/// Stores the deliveries a new submission owes, in the caller's transaction; returns how many.
pub(crate) async fn enqueue_submission(
    tx: &mut Tx,
    public_url: &str,
    s: &NewSubmission<'_>,
) -> Result<usize, sqlx::Error> {
    let mut rows = 0;
    for endpoint in webhooks::db::active_for(tx, s.workspace_id, s.instance_id).await? {
        let id = Uuid::new_v4();
        let payload = webhooks::payload(id, public_url, s);
        db::insert(
            tx,
            &db::NewRow {
                id,
                workspace_id: s.workspace_id,
                kind: Kind::Webhook,
                endpoint_id: Some(endpoint),
                user_id: None,
                instance_id: Some(s.instance_id),
                submission_id: Some(s.id),
                digest_day: None,
                payload: Some(payload),
                due: s.created_at,
            },
        )
        .await?;
        rows += 1;
    }
    for (user, mode) in notifications::db::subscribers(tx, s.instance_id).await? {
        let (kind, digest_day, due) = match mode {
            notifications::Mode::Each => (Kind::Email, None, s.created_at),
            notifications::Mode::Digest => {
                let (day, end) = notifications::day_of(s.created_at);
                (Kind::Digest, Some(day), end)
            }
            notifications::Mode::None => continue,
        };
        let row = db::NewRow {
            id: Uuid::new_v4(),
            workspace_id: s.workspace_id,
            kind,
            endpoint_id: None,
            user_id: Some(user),
            instance_id: Some(s.instance_id),
            submission_id: (kind == Kind::Email).then_some(s.id),
            digest_day,
            payload: None,
            due,
        };
        rows += usize::from(db::insert(tx, &row).await? > 0);
    }
    Ok(rows)
}

/// How long finished deliveries (and their attempts) stay visible.
const KEEP_DAYS: i64 = 30;

/// Starts this process's delivery loop (woken by new submissions, else every `CK_OUTBOX_POLL_MS`)
/// and the hourly sweep of deliveries finished more than [`KEEP_DAYS`] ago.
pub(crate) fn start_workers(state: &AppState) {
    state.every(Duration::from_secs(3600), |state| async move {
        let sweep = async {
            let mut tx = state.db().begin(&Actor::System).await?;
            let n = db::prune(&mut tx, Ts::now().plus(-time::Duration::days(KEEP_DAYS))).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        };
        match sweep.await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "old deliveries deleted"),
            Err(e) => tracing::warn!(error = %e, "sweeping old deliveries failed"),
        }
    });
    let state = state.clone();
    let st = state.clone();
    st.spawn_background(async move {
        let config = state.config().outbox.clone();
        let poll = Duration::from_millis(config.poll_ms.max(10));
        let slots = Arc::new(tokio::sync::Semaphore::new(config.concurrency.max(1)));
        let mut running = JoinSet::new();
        let stop = state.shutting_down();
        tokio::pin!(stop);
        loop {
            let free = slots.available_permits();
            if free > 0 {
                match claim(&state, free).await {
                    Ok(rows) => {
                        let full = rows.len() == free;
                        for row in rows {
                            let Ok(permit) = slots.clone().acquire_owned().await else {
                                break;
                            };
                            let state = state.clone();
                            running.spawn(async move {
                                run_one(&state, row).await;
                                drop(permit);
                            });
                        }
                        // More may be due right away: claim again once a slot frees up.
                        if full {
                            state.outbox().wake();
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming outbox rows failed"),
                }
            }
            tokio::select! {
                () = &mut stop => break,
                () = state.outbox().wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
        // Deliveries under way finish (each is bounded by its time limit); unclaimed rows wait.
        while running.join_next().await.is_some() {}
    });
}

async fn claim(state: &AppState, limit: usize) -> Result<Vec<db::Claimed>, sqlx::Error> {
    let now = Ts::now();
    let lease = now.plus(time::Duration::milliseconds(
        i64::try_from(state.config().outbox.lease_ms).unwrap_or(i64::MAX),
    ));
    let mut tx = state.db().begin(&Actor::System).await?;
    let rows = db::claim(&mut tx, state.outbox().worker, now, lease, limit).await?;
    tx.commit().await?;
    Ok(rows)
}

async fn run_one(state: &AppState, row: db::Claimed) {
    let started = Ts::now();
    let clock = std::time::Instant::now();
    let outcome = match Kind::parse(&row.kind) {
        Some(Kind::Webhook) => webhooks::deliver(state, &row).await,
        Some(Kind::Email) => notifications::deliver_one(state, &row).await,
        Some(Kind::Digest) => notifications::deliver_digest(state, &row).await,
        None => Outcome::cancelled(format!("unknown kind {}", row.kind)),
    };
    let elapsed = clock.elapsed();
    let attempts = u32::try_from(row.attempts).unwrap_or(0) + 1;
    let (next_state, next_at) = if outcome.ok {
        ("delivered", started)
    } else if outcome.cancel {
        ("cancelled", started)
    } else {
        match backoff(&state.config().outbox, attempts) {
            Some(wait) => (
                "pending",
                Ts::now().plus(time::Duration::try_from(wait).unwrap_or(time::Duration::HOUR)),
            ),
            None => ("dead", started),
        }
    };
    metrics::counter!("ck_outbox_attempts_total", "kind" => row.kind.clone(), "outcome" => next_state)
        .increment(1);
    let record = async {
        let mut tx = state.db().begin(&Actor::System).await?;
        let finished = db::finish(
            &mut tx,
            &db::Finish {
                id: row.id,
                worker: state.outbox().worker,
                workspace_id: row.workspace_id,
                attempt: attempts,
                state: next_state,
                next_attempt_at: next_at,
                outcome: &outcome,
                started,
                duration_ms: u32::try_from(elapsed.as_millis()).unwrap_or(u32::MAX),
            },
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(finished)
    };
    match record.await {
        Ok(true) => {}
        // The lease ran out while delivering and another process took the row over.
        Ok(false) => tracing::warn!(delivery = %row.id, "outbox lease lost before recording"),
        Err(e) => tracing::error!(delivery = %row.id, error = %e, "recording a delivery failed"),
    }
    if next_state == "dead" {
        tracing::warn!(delivery = %row.id, kind = %row.kind, attempts, "delivery dead-lettered");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OutboxConfig;

    #[test]
    fn backoff_doubles_to_the_cap_then_stops() {
        let config = OutboxConfig::default();
        let waits: Vec<u64> = (1..config.max_attempts)
            .map(|n| backoff(&config, n).expect("retry").as_millis() as u64)
            .collect();
        // Within the ±10 % jitter of 30 s, 60 s, 120 s, … capped at an hour.
        for (i, wait) in waits.iter().enumerate() {
            let nominal = (30_000u64 << i.min(32)).min(3_600_000);
            assert!(
                wait.abs_diff(nominal) <= nominal / 10,
                "attempt {}: {wait}",
                i + 1
            );
        }
        let total: u64 = waits.iter().sum();
        // The default schedule spans about a day.
        assert!((20 * 3_600_000..28 * 3_600_000).contains(&total), "{total}");
        assert_eq!(backoff(&config, config.max_attempts), None);
    }
}
