//! Embed tokens: issue, list, rotate, revoke ([`http`], owners), verification with a per-process
//! cache for every embed call ([`verify`]), allowed origins ([`origin`]), and the token format shared
//! by embed tokens (`ck_pub_`) and draft claim tokens (`ck_draft_`), below.
//!
//! Table: `embed_tokens`.
//!
//! Layout, as GitHub's tokens: `<prefix><30 base62 chars of randomness><6 base62 chars CRC32>`.
//! 30 base62 characters carry 178 bits, well above the 128-bit floor. The CRC32 over prefix +
//! randomness lets a leaked token be recognised offline (secret scanners) and lets the server
//! reject typos and garbage before any database or cache work. Only the SHA-256 of the whole
//! token is stored.

pub(crate) mod db;
pub(crate) mod http;
pub(crate) mod origin;
pub(crate) mod verify;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LEN: usize = 30;
const CHECKSUM_LEN: usize = 6;

/// What a token is for; the prefix says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// Public embed token, sits in the publisher's HTML.
    Embed,
    /// Secret draft token the anonymous creator keeps to claim the widget later.
    Draft,
}

impl TokenKind {
    /// The human-visible type prefix.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            TokenKind::Embed => "ck_pub_",
            TokenKind::Draft => "ck_draft_",
        }
    }
}

/// Why a string is not a well-formed token (decided offline, no database involved).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenFormatError {
    /// Wrong or missing `ck_pub_` / `ck_draft_` prefix.
    Prefix,
    /// Wrong length or a character outside base62.
    Shape,
    /// The CRC32 suffix does not match: a typo or a made-up token.
    Checksum,
}

impl std::fmt::Display for TokenFormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenFormatError::Prefix => "token has an unknown prefix",
            TokenFormatError::Shape => "token is malformed",
            TokenFormatError::Checksum => "token checksum does not match",
        })
    }
}

/// A freshly generated token. The plaintext leaves the server exactly once.
#[derive(Clone)]
pub(crate) struct NewToken {
    /// The plaintext, shown once to the creator.
    pub(crate) plaintext: String,
    /// SHA-256 of the plaintext; the only form stored.
    pub(crate) hash: Vec<u8>,
    /// Safe-to-display hint, e.g. `ck_pub_…a1B2`.
    pub(crate) hint: String,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret, not even in debug logs.
        f.debug_struct("NewToken")
            .field("hint", &self.hint)
            .finish()
    }
}

/// Generates a token of `kind` from the OS CSPRNG.
pub(crate) fn generate(kind: TokenKind) -> NewToken {
    let mut body = String::with_capacity(kind.prefix().len() + RANDOM_LEN + CHECKSUM_LEN);
    body.push_str(kind.prefix());
    let mut filled = 0;
    let mut buf = [0u8; 64];
    while filled < RANDOM_LEN {
        getrandom::getrandom(&mut buf).expect("OS random source unavailable");
        for &b in &buf {
            // Rejection sampling: 248 = 4 * 62, so `b % 62` stays uniform.
            if b < 248 && filled < RANDOM_LEN {
                body.push(ALPHABET[usize::from(b % 62)] as char);
                filled += 1;
            }
        }
    }
    let checksum = base62_fixed(crc32fast::hash(body.as_bytes()));
    body.push_str(&checksum);
    NewToken {
        hash: hash(&body),
        hint: hint(&body),
        plaintext: body,
    }
}

/// Checks prefix, shape and checksum. Cheap; run it before any lookup.
pub(crate) fn parse(token: &str) -> Result<TokenKind, TokenFormatError> {
    let kind = if token.starts_with(TokenKind::Embed.prefix()) {
        TokenKind::Embed
    } else if token.starts_with(TokenKind::Draft.prefix()) {
        TokenKind::Draft
    } else {
        return Err(TokenFormatError::Prefix);
    };
    let rest = &token[kind.prefix().len()..];
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(TokenFormatError::Shape);
    }
    let (signed, checksum) = token.split_at(token.len() - CHECKSUM_LEN);
    let expected = base62_fixed(crc32fast::hash(signed.as_bytes()));
    if expected.as_bytes().ct_eq(checksum.as_bytes()).into() {
        Ok(kind)
    } else {
        Err(TokenFormatError::Checksum)
    }
}

/// Checks the token is well formed *and* of the expected kind.
pub(crate) fn parse_kind(token: &str, want: TokenKind) -> Result<(), TokenFormatError> {
    match parse(token)? {
        kind if kind == want => Ok(()),
        _ => Err(TokenFormatError::Prefix),
    }
}

/// SHA-256 of a token: the stored and looked-up form. A fast hash is right here: the input
/// already has 178 bits of entropy, so there is nothing to brute-force.
pub(crate) fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The last four characters, shown next to the prefix in the dashboard.
pub(crate) fn last4(token: &str) -> &str {
    token.get(token.len().saturating_sub(4)..).unwrap_or("")
}

/// Display hint: prefix plus the last four characters.
pub(crate) fn hint(token: &str) -> String {
    let prefix = if token.starts_with(TokenKind::Draft.prefix()) {
        TokenKind::Draft.prefix()
    } else {
        TokenKind::Embed.prefix()
    };
    format!("{prefix}…{}", last4(token))
}

/// Constant-time equality for secrets of possibly different lengths (length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

fn base62_fixed(mut n: u32) -> String {
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_differ() {
        let a = generate(TokenKind::Embed);
        let b = generate(TokenKind::Embed);
        assert_ne!(a.plaintext, b.plaintext);
        assert!(a.plaintext.starts_with("ck_pub_"));
        assert_eq!(a.plaintext.len(), 7 + 36);
        assert_eq!(parse(&a.plaintext), Ok(TokenKind::Embed));
        let d = generate(TokenKind::Draft);
        assert_eq!(parse(&d.plaintext), Ok(TokenKind::Draft));
        assert_eq!(
            parse_kind(&d.plaintext, TokenKind::Embed),
            Err(TokenFormatError::Prefix)
        );
    }

    #[test]
    fn typos_fail_the_checksum() {
        let t = generate(TokenKind::Embed).plaintext;
        let mut bytes = t.clone().into_bytes();
        let i = 10;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(bytes).unwrap();
        assert_eq!(parse(&typo), Err(TokenFormatError::Checksum));
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!(parse("ghp_abc"), Err(TokenFormatError::Prefix));
        assert_eq!(parse("ck_pub_short"), Err(TokenFormatError::Shape));
        let t = generate(TokenKind::Embed).plaintext;
        let weird = format!("{}-", &t[..t.len() - 1]);
        assert_eq!(parse(&weird), Err(TokenFormatError::Shape));
        assert_eq!(parse(""), Err(TokenFormatError::Prefix));
    }

    #[test]
    fn hash_and_hint_do_not_reveal_the_secret() {
        let t = generate(TokenKind::Embed);
        assert_eq!(t.hash.len(), 32);
        assert_eq!(t.hash, hash(&t.plaintext));
        assert!(t.hint.starts_with("ck_pub_…"));
        assert!(t.hint.ends_with(&t.plaintext[t.plaintext.len() - 4..]));
        assert!(!format!("{t:?}").contains(&t.plaintext));
    }

    #[test]
    fn randomness_uses_the_whole_alphabet() {
        let mut seen = [false; 128];
        for _ in 0..200 {
            for b in generate(TokenKind::Embed).plaintext.bytes().skip(7) {
                seen[usize::from(b)] = true;
            }
        }
        assert!(ALPHABET.iter().all(|&c| seen[usize::from(c)]));
    }
}
