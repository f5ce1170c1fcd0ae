//! Embed assets: `/embed/v{semver}/…` (immutable, cached a year) and `/embed/latest/…` (the newest
//! version's files, cached briefly), precompressed brotli/gzip chosen by `Accept-Encoding`, strong
//! ETags and CORS. Files come from `dist/embed/v{semver}/` as `cargo xtask dist` writes them: `X`,
//! `X.br`, `X.gz` side by side.

pub(crate) mod http;

use std::path::{Path, PathBuf};

use axum::http::{header, HeaderMap};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Versioned files never change: cache for a year.
pub(crate) const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `latest` moves on release: five minutes, then revalidate (ETag makes that cheap).
pub(crate) const LATEST: &str = "public, max-age=300, stale-while-revalidate=60";

/// A `MAJOR.MINOR.PATCH[-pre]` version, ordered as semver orders releases (pre-releases first).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version {
    core: (u64, u64, u64),
    /// `true` for a release, so a release sorts above its pre-releases.
    release: bool,
    pre: String,
}

impl Version {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) if !p.is_empty() => (c, p),
            Some(_) => return None,
            None => (s, ""),
        };
        let mut parts = core.split('.').map(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u64>().ok())
                .flatten()
        });
        let v = (parts.next()??, parts.next()??, parts.next()??);
        if parts.next().is_some() || !pre.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') {
            return None;
        }
        Some(Self {
            core: v,
            release: pre.is_empty(),
            pre: pre.to_owned(),
        })
    }
}

/// The newest `v{semver}` folder under `dist/embed`, releases preferred over pre-releases.
pub(crate) fn newest_version(embed_dir: &Path) -> Option<String> {
    let entries = std::fs::read_dir(embed_dir).ok()?;
    let versions: Vec<(Version, String)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|name| Version::parse(name.strip_prefix('v')?).map(|v| (v, name)))
        .collect();
    // `latest` is what publishers get unpinned: a release candidate must not reach them.
    let newest_release = versions.iter().filter(|(v, _)| v.release).max();
    newest_release
        .or_else(|| versions.iter().max())
        .map(|(_, name)| name.clone())
}

/// Joins a URL path below `root`, refusing anything that could leave it.
pub(crate) fn safe_join(root: &Path, rel: &str) -> Option<PathBuf> {
    let mut out = root.to_path_buf();
    for segment in rel.split('/') {
        let ok = !segment.is_empty()
            && segment != "."
            && segment != ".."
            && !segment.contains('\\')
            && !segment.contains('\0')
            && !segment.starts_with('.');
        if !ok {
            return None;
        }
        out.push(segment);
    }
    Some(out)
}

pub(crate) fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "txt" | "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Encodings the client accepts, by preference order of ours (brotli compresses best).
pub(crate) fn accepted(headers: &HeaderMap) -> (bool, bool) {
    let mut br = false;
    let mut gzip = false;
    for value in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            match coding.as_str() {
                "br" => br = true,
                "gzip" | "x-gzip" => gzip = true,
                "*" => {
                    br = true;
                    gzip = true;
                }
                _ => {}
            }
        }
    }
    (br, gzip)
}

pub(crate) fn etag_for(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
    )
}

pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_like_semver() {
        let v = |s| Version::parse(s).expect(s);
        assert!(v("0.10.0") > v("0.9.9"));
        assert!(v("1.0.0") > v("1.0.0-rc.1"));
        assert!(v("1.0.0-rc.2") > v("1.0.0-rc.1"));
        for bad in ["1.0", "1.0.0.0", "a.b.c", "1.0.0-", "01.x.0", "1..0"] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn traversal_is_refused() {
        let root = Path::new("/srv");
        assert!(safe_join(root, "loader.js").is_some());
        assert!(safe_join(root, "a/b.wasm").is_some());
        for bad in ["../etc/passwd", "a/../../x", "", "a//b", ".hidden", "a\\b"] {
            assert!(safe_join(root, bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn accept_encoding_respects_q_zero() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            "gzip, deflate, br;q=0".parse().expect("value"),
        );
        assert_eq!(accepted(&h), (false, true));
        h.insert(
            header::ACCEPT_ENCODING,
            "br;q=1.0, gzip;q=0.5".parse().expect("value"),
        );
        assert_eq!(accepted(&h), (true, true));
        assert_eq!(accepted(&HeaderMap::new()), (false, false));
    }
}
