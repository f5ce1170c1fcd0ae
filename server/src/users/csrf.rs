//! CSRF protection for cookie-authenticated requests: a double-submit token on HTML form posts, and
//! an Origin check on every state-changing request that a cookie authenticates.

use axum::http::{header, HeaderMap};
use subtle::ConstantTimeEq as _;

use crate::{config::Config, error::Error};

/// Cookie carrying the CSRF token; forms repeat it in a hidden `csrf` field.
pub(crate) const CSRF_COOKIE: &str = "ck_csrf";

/// Rejects a request whose `Origin` (or, failing that, `Referer`) is another site. Browsers send
/// `Origin` on every cross-site POST, so a missing header means a non-browser client.
pub(crate) fn check_same_origin(headers: &HeaderMap, config: &Config) -> Result<(), Error> {
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else { return Ok(()) };
    if source == "null" {
        return Err(Error::forbidden("cross-site request refused"));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let source_host = source
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
        .unwrap_or_default();
    let public_host = config
        .public_url
        .as_deref()
        .and_then(|u| u.split_once("://"))
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default());
    if !source_host.is_empty() && (source_host == host || Some(source_host) == public_host) {
        Ok(())
    } else {
        Err(Error::forbidden("cross-site request refused"))
    }
}

/// Checks the double-submitted token of an HTML form post against its cookie, in constant time.
pub(crate) fn check_form_token(headers: &HeaderMap, form_token: &str) -> Result<(), Error> {
    let cookie = super::cookie(headers, CSRF_COOKIE).unwrap_or_default();
    if !cookie.is_empty() && bool::from(cookie.as_bytes().ct_eq(form_token.as_bytes())) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "form expired, reload the page and try again",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    #[test]
    fn origin_must_match_host() {
        let config = Config::default();
        let same = headers(&[
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
        ]);
        assert!(check_same_origin(&same, &config).is_ok());
        let cross = headers(&[
            ("host", "localhost:8080"),
            ("origin", "https://evil.example"),
        ]);
        assert!(check_same_origin(&cross, &config).is_err());
        let null = headers(&[("host", "localhost:8080"), ("origin", "null")]);
        assert!(check_same_origin(&null, &config).is_err());
    }

    #[test]
    fn form_token_must_match_cookie() {
        let h = headers(&[("cookie", "ck_csrf=abc123")]);
        assert!(check_form_token(&h, "abc123").is_ok());
        assert!(check_form_token(&h, "abc124").is_err());
        assert!(check_form_token(&HeaderMap::new(), "").is_err());
    }
}
