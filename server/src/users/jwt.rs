//! Session JWTs with Supabase's claim shape (HS256). A token a Supabase project signed with the same
//! secret verifies here unchanged.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::store::Ts;

/// The `iss` of the tokens this server issues (each has a session row here).
pub(crate) const ISSUER: &str = "clickeen";

/// The claims we issue and require. Other claims (Supabase's `app_metadata`, `aal`, …) are kept in
/// the raw claim set passed to Postgres but not needed here.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct Claims {
    /// User id.
    pub(crate) sub: Uuid,
    /// Always `authenticated` for a signed-in user.
    pub(crate) role: String,
    /// Audience, `authenticated` by default.
    pub(crate) aud: String,
    /// Expiry, unix seconds.
    pub(crate) exp: i64,
    /// Issued at, unix seconds.
    pub(crate) iat: i64,
    /// The user's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<String>,
    /// Session the token belongs to; logout revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session_id: Option<Uuid>,
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) iss: Option<String>,
}

/// HS256 keys plus the validation rules.
pub(crate) struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    audience: String,
    /// Key for secrets derived from other secrets (the refresh token a rotation mints).
    derive_key: Vec<u8>,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    pub(crate) fn new(secret: &[u8], audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        validation.leeway = 30;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            audience: audience.to_owned(),
            derive_key: secret.to_vec(),
        }
    }

    /// A secret derived from `input` under the server secret (HMAC-SHA256, 256 bits, base64url):
    /// the same input always derives the same secret, which nobody without the key can compute.
    pub(crate) fn derive(&self, label: &str, input: &str) -> String {
        use base64::Engine as _;
        use hmac::{Hmac, Mac as _};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.derive_key)
            .expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        mac.update(b"\0");
        mac.update(input.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Signs an access token for `user` in `session`, valid for `ttl_secs`.
    pub(crate) fn issue(
        &self,
        user: Uuid,
        email: &str,
        session: Uuid,
        ttl_secs: i64,
    ) -> anyhow::Result<(String, Claims)> {
        let now = Ts::now().unix();
        let claims = Claims {
            sub: user,
            role: "authenticated".into(),
            aud: self.audience.clone(),
            exp: now + ttl_secs,
            iat: now,
            email: Some(email.to_owned()),
            session_id: Some(session),
            iss: Some(ISSUER.into()),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, claims))
    }

    /// Verifies signature, algorithm, audience and expiry; returns typed and raw claims.
    pub(crate) fn verify(
        &self,
        token: &str,
    ) -> Result<(Claims, serde_json::Value), jsonwebtoken::errors::Error> {
        let raw = decode::<serde_json::Value>(token, &self.decoding, &self.validation)?.claims;
        let claims: Claims = serde_json::from_value(raw.clone()).map_err(|e| {
            jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::Json(e.into()))
        })?;
        if claims.role != "authenticated" {
            return Err(jsonwebtoken::errors::ErrorKind::InvalidToken.into());
        }
        Ok((claims, raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_tampering_fails() {
        let keys = JwtKeys::new(b"secret-secret-secret-secret-secret", "authenticated");
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let (token, claims) = keys
            .issue(user, "a@example.com", session, 60)
            .expect("sign");
        let (verified, raw) = keys.verify(&token).expect("verify");
        assert_eq!(verified, claims);
        assert_eq!(raw["role"], "authenticated");
        let other = JwtKeys::new(b"another-secret-another-secret-xx", "authenticated");
        assert!(other.verify(&token).is_err());
        let wrong_aud = JwtKeys::new(b"secret-secret-secret-secret-secret", "other");
        assert!(wrong_aud.verify(&token).is_err());
    }

    #[test]
    fn expired_tokens_fail() {
        let keys = JwtKeys::new(b"secret-secret-secret-secret-secret", "authenticated");
        let (token, _) = keys
            .issue(Uuid::new_v4(), "a@example.com", Uuid::new_v4(), -3600)
            .expect("sign");
        assert!(keys.verify(&token).is_err());
    }
}
