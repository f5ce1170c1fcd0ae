//! Password hashing with argon2id (the crate's OWASP-recommended defaults: 19 MiB, 2 passes), off
//! the async runtime and behind a semaphore: each hash holds 19 MiB and a blocking thread, so a flood
//! of sign-ins must queue briefly and then be turned away (503) instead of growing the blocking pool.

use std::{sync::Arc, time::Duration};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use tokio::sync::Semaphore;

use crate::error::Error;

/// Shortest accepted password.
pub(crate) const MIN_LEN: usize = 8;
/// Longest accepted password: bounds hashing work per request.
pub(crate) const MAX_LEN: usize = 256;

/// The process's argon2 slots.
#[derive(Debug)]
pub(crate) struct Hasher {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl Hasher {
    /// At most `max_concurrent` hashes at once; a request waits up to `wait` for a slot.
    pub(crate) fn new(max_concurrent: usize, wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max_concurrent.max(1))),
            wait,
        }
    }

    /// Runs `work` on the blocking pool once a slot is free, or answers 503 after the wait.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, Error> {
        let permit = tokio::time::timeout(self.wait, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| {
                metrics::counter!("ck_password_hash_busy_total").increment(1);
                Error::Busy {
                    retry_after_secs: self.wait.as_secs().max(1),
                }
            })?
            .map_err(|e| Error::Internal(e.into()))?;
        let result = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| Error::Internal(e.into()))?;
        result.map_err(Error::Internal)
    }

    /// Hashes `password` into a PHC string.
    pub(crate) async fn hash(&self, password: String) -> Result<String, Error> {
        self.run(move || hash(&password)).await
    }

    /// Verifies `password` against a PHC string. Without a stored hash it still hashes once, so
    /// response time does not reveal whether the account (or its password) exists.
    pub(crate) async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, Error> {
        self.run(move || verify(&password, stored.as_deref())).await
    }
}

fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

fn verify(password: &str, stored: Option<&str>) -> anyhow::Result<bool> {
    let argon = Argon2::default();
    match stored.map(PasswordHash::new) {
        Some(Ok(parsed)) => Ok(argon.verify_password(password.as_bytes(), &parsed).is_ok()),
        Some(Err(e)) => Err(anyhow::anyhow!("stored hash unreadable: {e}")),
        None => {
            let salt = SaltString::generate(&mut OsRng);
            let _ = argon.hash_password(password.as_bytes(), &salt);
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let hasher = Hasher::new(2, Duration::from_secs(5));
        let h = hasher.hash("correct horse".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(hasher
            .verify("correct horse".into(), Some(h.clone()))
            .await
            .expect("verify"));
        assert!(!hasher
            .verify("wrong horse".into(), Some(h))
            .await
            .expect("verify"));
        assert!(!hasher.verify("x".into(), None).await.expect("verify"));
    }

    #[tokio::test]
    async fn a_full_hasher_turns_requests_away() {
        let hasher = Arc::new(Hasher::new(1, Duration::from_millis(1)));
        let busy = Arc::clone(&hasher.slots)
            .acquire_owned()
            .await
            .expect("slot");
        let err = hasher.hash("correct horse".into()).await.expect_err("busy");
        assert!(
            matches!(
                err,
                Error::Busy {
                    retry_after_secs: 1
                }
            ),
            "{err}"
        );
        drop(busy);
        assert!(hasher.hash("correct horse".into()).await.is_ok());
    }
}
