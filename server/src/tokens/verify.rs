//! Embed token verification with a per-process cache.
//!
//! Every embed call (config manifest, pixel, submissions) verifies its token. A lookup is cached
//! for `token_cache_ttl_ms` (default 5 s), negative results included, so a hot token costs no
//! database work and a flood of made-up (but checksum-valid) tokens costs one query each per TTL.
//! Consequence, stated and tested: a revoked or rotated-out token keeps working on a process for at
//! most one TTL after the change commits. On Postgres the revoking process forgets it at once and
//! tells the others (`NOTIFY ck_token_revoked`, see [`listen_for_revocations`]), so in practice the
//! TTL is only the fallback bound.
//!
//! Database outages: see [`lookup`]. The embed paths wait on the database only briefly and fall
//! back to the last good lookup (bounded by `CK_TOKEN_STALE_IF_ERROR_SECS`), so the pixel and the
//! config manifest keep answering; the counts wait in memory until the flusher can write them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use uuid::Uuid;

use super::{db, origin, TokenFormatError, TokenKind};
use crate::error::Error;
use crate::state::AppState;
use crate::store::{Actor, Ts};
use crate::workspaces::{self, Instance};

/// A verified embed token.
#[derive(Clone, Debug)]
pub(crate) struct Verified {
    /// Token id (usage is counted per token id, never per secret).
    pub(crate) id: Uuid,
    /// Owning workspace; `None` while its draft is unclaimed.
    pub(crate) workspace_id: Option<Uuid>,
    /// Set for widget-scoped tokens.
    pub(crate) instance_id: Option<Uuid>,
    /// Allowed page origins; empty means any.
    pub(crate) allowed_origins: Vec<String>,
}

impl Verified {
    /// Whether this token may be used for `instance`.
    pub(crate) fn covers(&self, instance: &Instance) -> bool {
        match self.instance_id {
            Some(id) => id == instance.id,
            None => self.workspace_id.is_some() && self.workspace_id == instance.workspace_id,
        }
    }
}

const MAX_ENTRIES: usize = 100_000;

type Entry<T> = (Instant, Option<Arc<T>>);
type Map<K, T> = Mutex<HashMap<K, Entry<T>>>;

/// Per-process caches of token and instance lookups (a field of `AppState`).
#[derive(Default)]
pub(crate) struct TokenCache {
    tokens: Map<Vec<u8>, Verified>,
    instances: Map<Uuid, Instance>,
}

impl TokenCache {
    /// Forgets a token at once (revoked or rotated here, or announced by another process).
    pub(crate) fn forget_token(&self, id: Uuid) {
        let mut map = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (_, v)| v.as_ref().is_none_or(|v| v.id != id));
    }

    /// Forgets an instance at once (its config was edited here), so the next embed call reads it.
    pub(crate) fn forget_instance(&self, id: Uuid) {
        let mut map = self.instances.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&id);
    }

    /// Marks every cached token as due for a fresh lookup (notifications may have been missed while
    /// the listener was disconnected). The entries stay as the stale-if-error fallback: during an
    /// outage the fresh lookup fails anyway.
    pub(crate) fn expire_all_tokens(&self, ttl: Duration) {
        let mut map = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        for (at, _) in map.values_mut() {
            *at = at.checked_sub(ttl).unwrap_or(*at);
        }
    }
}

fn peek<K: std::hash::Hash + Eq, T>(
    map: &Map<K, T>,
    key: &K,
) -> Option<(Duration, Option<Arc<T>>)> {
    let map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.get(key).map(|(at, v)| (at.elapsed(), v.clone()))
}

fn store<K: std::hash::Hash + Eq, T>(map: &Map<K, T>, key: K, value: Option<Arc<T>>) {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= MAX_ENTRIES {
        // Crude but bounded: a full cache starts over rather than growing without limit.
        map.clear();
    }
    map.insert(key, (Instant::now(), value));
}

/// A cached lookup for the embed paths (pixel, config manifest, submissions):
/// - a result younger than `CK_TOKEN_CACHE_TTL_MS` is used as is (revocation bound while the
///   database is up);
/// - otherwise the database is asked, waiting at most `CK_EMBED_DB_WAIT_MS` (pool included);
/// - when the database is unavailable (error or that wait exceeded), the last good result is used
///   if it is younger than `CK_TOKEN_STALE_IF_ERROR_SECS` (stale-if-error), so the embed keeps
///   working through an outage; without one the request gets 503.
async fn lookup<K, T, F, Fut>(
    state: &AppState,
    map: &Map<K, T>,
    key: K,
    load: F,
) -> Result<Option<Arc<T>>, Error>
where
    K: std::hash::Hash + Eq,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<Arc<T>>, sqlx::Error>>,
{
    let product = &state.config().product;
    let previous = peek(map, &key);
    if let Some((age, value)) = &previous {
        if *age < Duration::from_millis(product.token_cache_ttl_ms) {
            return Ok(value.clone());
        }
    }
    let wait = Duration::from_millis(product.embed_db_wait_ms);
    let error = match tokio::time::timeout(wait, load()).await {
        Ok(Ok(value)) => {
            store(map, key, value.clone());
            return Ok(value);
        }
        Ok(Err(e)) if !crate::store::is_unavailable(&e) => return Err(e.into()),
        Ok(Err(e)) => e,
        Err(_) => sqlx::Error::PoolTimedOut,
    };
    let stale_bound = Duration::from_secs(product.token_stale_if_error_secs);
    match previous {
        Some((age, value)) if age < stale_bound => {
            metrics::counter!("ck_embed_stale_if_error_total").increment(1);
            tracing::debug!(error = %error, age_ms = age.as_millis() as u64, "database unavailable: serving the last good lookup");
            Ok(value)
        }
        _ => Err(error.into()),
    }
}

/// 401 with a stable code for any unusable embed token.
pub(crate) fn bad_token(message: &'static str) -> Error {
    Error::client(StatusCode::UNAUTHORIZED, "invalid_token", message)
}

/// Verifies an embed token: format and checksum offline, then the (cached) database lookup, then
/// the page origin against the token's allowed origins.
pub(crate) async fn embed_token(
    state: &AppState,
    raw: &str,
    headers: &HeaderMap,
) -> Result<Arc<Verified>, Error> {
    super::parse_kind(raw, TokenKind::Embed).map_err(|e| match e {
        TokenFormatError::Checksum => bad_token("embed token checksum does not match (typo?)"),
        _ => bad_token("not an embed token (expected ck_pub_…)"),
    })?;
    let hash = super::hash(raw);
    let found = lookup(state, &state.token_cache().tokens, hash.clone(), || async {
        let now = Ts::now();
        let mut tx = state.db().begin(&Actor::System).await?;
        let row = db::find_active(&mut tx, &hash, now).await?;
        tx.commit().await?;
        let verified = row.map(|r| {
            Arc::new(Verified {
                id: r.id,
                workspace_id: r.workspace_id,
                instance_id: if r.scope == "widget" {
                    r.instance_id
                } else {
                    None
                },
                allowed_origins: r.allowed_origins.0,
            })
        });
        if let Some(v) = &verified {
            let (state, id) = (state.clone(), v.id);
            // last_used_at is informational: never make the caller wait for it.
            tokio::spawn(async move {
                let result = async {
                    let mut tx = state.db().begin(&Actor::System).await?;
                    db::touch(&mut tx, id, Ts::now()).await?;
                    tx.commit().await
                };
                if let Err(e) = result.await {
                    tracing::debug!(error = %e, "updating last_used_at failed");
                }
            });
        }
        Ok(verified)
    })
    .await?;
    let verified = found.ok_or_else(|| bad_token("embed token is unknown, revoked or expired"))?;
    let page = origin::request_origin(headers);
    if !origin::allowed(&verified.allowed_origins, page.as_deref()) {
        return Err(Error::client(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "this embed token is not allowed on this site (check the token's allowed origins)",
        ));
    }
    Ok(verified)
}

/// A live instance the token covers, from the per-process cache (same TTL as tokens).
pub(crate) async fn instance_for(
    state: &AppState,
    token: &Verified,
    id: Uuid,
) -> Result<Arc<Instance>, Error> {
    let found = lookup(state, &state.token_cache().instances, id, || async {
        let mut tx = state.db().begin(&Actor::System).await?;
        let row = workspaces::db::instance(&mut tx, id, None)
            .await?
            .map(Arc::new);
        tx.commit().await?;
        Ok(row)
    })
    .await?;
    match found {
        Some(instance) if instance.live(Ts::now()) && token.covers(&instance) => Ok(instance),
        Some(instance) if instance.live(Ts::now()) => Err(Error::forbidden(
            "this embed token does not cover that widget",
        )),
        _ => Err(Error::not_found("widget instance")),
    }
}

/// The channel on which processes announce revoked (or rotated-out) embed token ids.
const REVOKED_CHANNEL: &str = "ck_token_revoked";

/// Postgres: tells every process (this one included) that token `id` must be looked up again. Sent
/// inside the revoking transaction, so it is delivered only if the change commits.
pub(crate) async fn announce_revocation(
    tx: &mut crate::store::Tx,
    id: Uuid,
) -> Result<(), sqlx::Error> {
    if let crate::store::Tx::Postgres(c) = tx {
        sqlx::query("select pg_notify($1, $2)")
            .bind(REVOKED_CHANNEL)
            .bind(id.to_string())
            .execute(&mut **c)
            .await?;
    }
    Ok(())
}

/// Postgres: listens for revocations announced by any process and forgets those tokens at once.
/// When the listening connection drops, notifications may have been missed, so every cached token
/// is forgotten; the cache TTL stays the bound if the listener cannot reconnect.
pub(crate) fn listen_for_revocations(state: &AppState) {
    let crate::store::Db::Postgres(pool) = state.db() else {
        return;
    };
    let (pool, bg) = (pool.clone(), state.clone());
    let ttl = Duration::from_millis(state.config().product.token_cache_ttl_ms + 1);
    state.spawn_background(async move {
        let stop = bg.shutting_down();
        tokio::pin!(stop);
        let mut listener: Option<sqlx::postgres::PgListener> = None;
        loop {
            let Some(active) = listener.as_mut() else {
                let connect = async {
                    let mut l = sqlx::postgres::PgListener::connect_with(&pool).await?;
                    l.listen(REVOKED_CHANNEL).await?;
                    Ok::<_, sqlx::Error>(l)
                };
                tokio::select! {
                    () = &mut stop => break,
                    result = connect => match result {
                        Ok(l) => {
                            listener = Some(l);
                            bg.token_cache().expire_all_tokens(ttl);
                        }
                        Err(e) => {
                            tracing::warn!(database = %bg.db().target(), error = %e, "revocation listener cannot connect; retrying (cache TTL is the bound meanwhile)");
                            tokio::select! {
                                () = &mut stop => break,
                                () = tokio::time::sleep(Duration::from_secs(2)) => {}
                            }
                        }
                    },
                }
                continue;
            };
            tokio::select! {
                () = &mut stop => break,
                received = active.try_recv() => match received {
                    Ok(Some(note)) => match Uuid::parse_str(note.payload()) {
                        Ok(id) => bg.token_cache().forget_token(id),
                        Err(_) => bg.token_cache().expire_all_tokens(ttl),
                    },
                    Ok(None) | Err(_) => {
                        // Connection lost: whatever was announced meanwhile is unknown.
                        bg.token_cache().expire_all_tokens(ttl);
                        listener = None;
                    }
                },
            }
        }
    });
}
