//! Password hashing with argon2id (the crate's OWASP-recommended defaults), off the async runtime.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

/// Shortest accepted password.
pub(crate) const MIN_LEN: usize = 8;
/// Longest accepted password: bounds hashing work per request.
pub(crate) const MAX_LEN: usize = 256;

/// Hashes `password` on the blocking pool (argon2 takes tens of milliseconds of CPU).
pub(crate) async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await?
}

/// Verifies `password` against a PHC string on the blocking pool. Without a stored hash it still
/// hashes once, so response time does not reveal whether the account exists.
pub(crate) async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let argon = Argon2::default();
        match stored.as_deref().map(PasswordHash::new) {
            Some(Ok(parsed)) => Ok(argon.verify_password(password.as_bytes(), &parsed).is_ok()),
            Some(Err(e)) => Err(anyhow::anyhow!("stored hash unreadable: {e}")),
            None => {
                let salt = SaltString::generate(&mut OsRng);
                let _ = argon.hash_password(password.as_bytes(), &salt);
                Ok(false)
            }
        }
    })
    .await?
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hash_then_verify() {
        let h = super::hash("correct horse".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("correct horse".into(), Some(h.clone()))
            .await
            .expect("verify"));
        assert!(!super::verify("wrong horse".into(), Some(h))
            .await
            .expect("verify"));
        assert!(!super::verify("x".into(), None).await.expect("verify"));
    }
}
