//! Embed token verification with a per-process cache.
//!
//! Every embed call (config manifest, pixel, submissions) verifies its token. A lookup is cached
//! for `token_cache_ttl_ms` (default 5 s), negative results included, so a hot token costs no
//! database work and a flood of made-up (but checksum-valid) tokens costs one query each per TTL.
//! Consequence, stated and tested: a revoked or rotated-out token keeps working on a process for at
//! most one TTL after the change commits, on every process alike.

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

/// Per-process caches of token and instance lookups (a field of `AppState`).
#[derive(Default)]
pub(crate) struct TokenCache {
    tokens: Mutex<HashMap<Vec<u8>, Entry<Verified>>>,
    instances: Mutex<HashMap<Uuid, Entry<Instance>>>,
}

fn cached<K: std::hash::Hash + Eq, T>(
    map: &Mutex<HashMap<K, Entry<T>>>,
    key: &K,
    ttl: Duration,
) -> Option<Option<Arc<T>>> {
    let map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.get(key)
        .filter(|(at, _)| at.elapsed() < ttl)
        .map(|(_, v)| v.clone())
}

fn store<K: std::hash::Hash + Eq, T>(
    map: &Mutex<HashMap<K, Entry<T>>>,
    key: K,
    value: Option<Arc<T>>,
) {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= MAX_ENTRIES {
        // Crude but bounded: a full cache starts over rather than growing without limit.
        map.clear();
    }
    map.insert(key, (Instant::now(), value));
}

fn ttl(state: &AppState) -> Duration {
    Duration::from_millis(state.config().product.token_cache_ttl_ms)
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
    let caches = state.token_cache();
    let found = match cached(&caches.tokens, &hash, ttl(state)) {
        Some(hit) => hit,
        None => {
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
            store(&caches.tokens, hash, verified.clone());
            verified
        }
    };
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
    let caches = state.token_cache();
    let found = match cached(&caches.instances, &id, ttl(state)) {
        Some(hit) => hit,
        None => {
            let mut tx = state.db().begin(&Actor::System).await?;
            let row = workspaces::db::instance(&mut tx, id, None)
                .await?
                .map(Arc::new);
            tx.commit().await?;
            store(&caches.instances, id, row.clone());
            row
        }
    };
    match found {
        Some(instance) if instance.live(Ts::now()) && token.covers(&instance) => Ok(instance),
        Some(instance) if instance.live(Ts::now()) => Err(Error::forbidden(
            "this embed token does not cover that widget",
        )),
        _ => Err(Error::not_found("widget instance")),
    }
}
