//! `Stripe-Signature` verification: `t=<unix>,v1=<hex>,v1=<hex>,…`.
//!
//! Stripe signs `"{t}.{raw body}"` with HMAC-SHA256 per endpoint secret. During a secret roll
//! Stripe sends one `v1` per active secret, and we may hold several secrets ourselves
//! (comma-separated `STRIPE_WEBHOOK_SECRET`), so every (secret, v1) pair is checked and all
//! comparisons are constant-time. The timestamp must be within the tolerance either side of
//! now, which bounds replay of a captured request to that window (event-id dedupe covers the rest).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's recommended replay window.
pub(crate) const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a webhook signature was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignatureError {
    /// No `t=` or no `v1=` entry, or unparsable values.
    Malformed,
    /// Timestamp outside the tolerance window.
    Stale,
    /// No `v1` matched any configured secret.
    Mismatch,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SignatureError::Malformed => "Stripe-Signature header is malformed",
            SignatureError::Stale => "Stripe-Signature timestamp is outside the tolerance",
            SignatureError::Mismatch => "no Stripe-Signature v1 value matches",
        })
    }
}

/// Parses a comma-separated secret list (rotation), ignoring blanks.
pub(crate) fn parse_secrets(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Verifies `header` for `body` at `now` (unix seconds) against any of `secrets`.
pub(crate) fn verify(
    header: &str,
    body: &[u8],
    secrets: &[String],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp: Option<i64> = None;
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => timestamp = Some(value.parse().map_err(|_| SignatureError::Malformed)?),
            // A malformed v1 is skipped, not fatal: other v1 values may still be valid.
            "v1" => {
                if let Ok(sig) = hex::decode(value) {
                    candidates.push(sig);
                }
            }
            // v0 and unknown schemes are ignored, as Stripe's own libraries do.
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() || secrets.is_empty() {
        return Err(SignatureError::Malformed);
    }
    // `abs_diff`: a timestamp far from now (`t=-9223372036854775808`) must not overflow.
    if now.abs_diff(t) > tolerance_secs.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let mut matched = false;
    for secret in secrets {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        let expected = mac.finalize().into_bytes();
        for candidate in &candidates {
            // No early exit: every pair is compared so timing says nothing about which matched.
            matched |= crate::tokens::ct_eq(&expected, candidate);
        }
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Builds a header value as Stripe would: `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The
/// outbound webhooks sign with it (`Clickeen-Signature`), so receivers verify them like Stripe's.
pub(crate) fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"customer.created"}"#;

    fn secrets(s: &str) -> Vec<String> {
        parse_secrets(s)
    }

    #[test]
    fn accepts_a_valid_signature() {
        let h = sign("whsec_a", 1000, BODY);
        assert_eq!(verify(&h, BODY, &secrets("whsec_a"), 1000, 300), Ok(()));
    }

    /// Regression: `now - t` overflowed for
    /// timestamps at the ends of `i64`, a panic (500) in debug builds.
    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        for t in [i64::MIN, i64::MIN + 1, i64::MAX] {
            let h = format!("t={t},v1=00");
            assert_eq!(
                verify(&h, BODY, &secrets("whsec_a"), 1000, 300),
                Err(SignatureError::Stale),
                "{h}"
            );
        }
    }

    #[test]
    fn rejects_tampered_body() {
        let h = sign("whsec_a", 1000, BODY);
        let tampered = br#"{"id":"evt_1","type":"customer.deleted"}"#;
        assert_eq!(
            verify(&h, tampered, &secrets("whsec_a"), 1000, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn rejects_stale_and_future_timestamps() {
        let h = sign("whsec_a", 1000, BODY);
        assert_eq!(
            verify(&h, BODY, &secrets("whsec_a"), 1301, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(&h, BODY, &secrets("whsec_a"), 699, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(verify(&h, BODY, &secrets("whsec_a"), 1300, 300), Ok(()));
    }

    #[test]
    fn checks_every_v1_and_every_secret() {
        let good = sign("whsec_new", 1000, BODY);
        let good_v1 = good.split_once(",v1=").unwrap().1;
        // The matching signature is the *last* v1, after a bogus and a non-hex one.
        let header = format!("t=1000,v0=dead,v1={},v1=zz,v1={good_v1}", "ab".repeat(32));
        assert_eq!(
            verify(&header, BODY, &secrets("whsec_old, whsec_new"), 1000, 300),
            Ok(())
        );
        assert_eq!(
            verify(&header, BODY, &secrets("whsec_old"), 1000, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn rejects_malformed_headers() {
        for h in ["", "t=abc,v1=00", "v1=00", "t=1000", "t=1000,v0=00"] {
            assert_eq!(
                verify(h, BODY, &secrets("whsec_a"), 1000, 300),
                Err(SignatureError::Malformed),
                "{h}"
            );
        }
    }
}
