//! Allowed-origin checks for embed calls (`Origin`, else the origin part of `Referer`).

use axum::http::{header, HeaderMap};

/// The calling page's origin (`scheme://host[:port]`, lower-case), if the request names one.
pub(crate) fn request_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        if origin != "null" {
            return Some(origin.trim_end_matches('/').to_ascii_lowercase());
        }
    }
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let (scheme, rest) = referer.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{host}").to_ascii_lowercase())
}

/// Normalises an owner-entered origin; `None` if it is not `http(s)://host[:port]`, optionally
/// with a leading `*.` wildcard label.
pub(crate) fn normalize_allowed(raw: &str) -> Option<String> {
    let s = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, host) = s.split_once("://")?;
    if !matches!(scheme, "http" | "https")
        || host.is_empty()
        || host.contains(['/', '?', '#', '@', ' '])
    {
        return None;
    }
    let bare = host.strip_prefix("*.").unwrap_or(host);
    if bare.is_empty() || bare.contains('*') {
        return None;
    }
    Some(s)
}

/// True when `allowed` is empty (no restriction) or `origin` matches one entry.
pub(crate) fn allowed(allowed: &[String], origin: Option<&str>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some(origin) = origin else {
        return false;
    };
    allowed.iter().any(|entry| match entry.split_once("://*.") {
        Some((scheme, suffix)) => origin
            .strip_prefix(scheme)
            .and_then(|o| o.strip_prefix("://"))
            .is_some_and(|host| host.ends_with(&format!(".{suffix}"))),
        None => entry == origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn origin_from_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(request_origin(&h), None);
        h.insert(
            header::REFERER,
            HeaderValue::from_static("https://Shop.example.com/p?q=1"),
        );
        assert_eq!(
            request_origin(&h).as_deref(),
            Some("https://shop.example.com")
        );
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://a.test:8443"),
        );
        assert_eq!(request_origin(&h).as_deref(), Some("https://a.test:8443"));
    }

    #[test]
    fn matching_rules() {
        let list = vec!["https://a.test".to_owned(), "https://*.b.test".to_owned()];
        assert!(allowed(&[], None));
        assert!(allowed(&list, Some("https://a.test")));
        assert!(!allowed(&list, Some("http://a.test")));
        assert!(allowed(&list, Some("https://x.b.test")));
        assert!(!allowed(&list, Some("https://b.test")));
        assert!(!allowed(&list, Some("https://evilb.test")));
        assert!(!allowed(&list, None));
    }

    #[test]
    fn normalizes_owner_input() {
        assert_eq!(
            normalize_allowed("HTTPS://A.test/").as_deref(),
            Some("https://a.test")
        );
        assert_eq!(
            normalize_allowed("https://*.b.test").as_deref(),
            Some("https://*.b.test")
        );
        assert_eq!(normalize_allowed("ftp://a.test"), None);
        assert_eq!(normalize_allowed("https://a.test/path"), None);
        assert_eq!(normalize_allowed("https://*"), None);
    }
}
