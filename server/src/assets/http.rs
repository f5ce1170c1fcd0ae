//! `GET /embed/{version}/{*path}`.

use std::path::PathBuf;

use axum::{
    body::Body,
    extract::{Path as UrlPath, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use super::{
    accepted, content_type, etag_for, newest_version, safe_join, with_suffix, Version, IMMUTABLE,
    LATEST,
};
use crate::{error::Error, http::if_none_match, state::AppState};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/embed/{version}/{*path}", get(serve))
}

async fn serve(
    State(state): State<AppState>,
    UrlPath((version, rel)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let embed_dir = state.config().dist_dir.join("embed");
    let (folder, cache_control) = if version == "latest" {
        let newest = newest_version(&embed_dir).ok_or_else(|| Error::not_found("embed release"))?;
        (newest, LATEST)
    } else {
        let valid = version.strip_prefix('v').and_then(Version::parse).is_some();
        if !valid {
            return Err(Error::not_found("embed version"));
        }
        (version, IMMUTABLE)
    };
    let rel_path = rel.trim_start_matches('/');
    // Precompressed siblings are chosen by negotiation, not fetched by name.
    if rel_path.ends_with(".br") || rel_path.ends_with(".gz") {
        return Err(Error::not_found("file"));
    }
    let path =
        safe_join(&embed_dir.join(&folder), rel_path).ok_or_else(|| Error::not_found("file"))?;
    let (br, gzip) = accepted(&headers);
    let mut candidates: Vec<(Option<&'static str>, PathBuf)> = Vec::with_capacity(3);
    if br {
        candidates.push((Some("br"), with_suffix(&path, ".br")));
    }
    if gzip {
        candidates.push((Some("gzip"), with_suffix(&path, ".gz")));
    }
    candidates.push((None, path.clone()));
    // The identity file must exist even when a compressed variant is served: it is the source of truth.
    if !tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_file()) {
        return Err(Error::not_found("file"));
    }
    for (encoding, candidate) in candidates {
        let Ok(bytes) = tokio::fs::read(&candidate).await else {
            continue;
        };
        let etag = etag_for(&bytes);
        let mut response = if if_none_match(&headers, &etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            Response::new(Body::from(bytes))
        };
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(rel_path)),
        );
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("cross-origin"),
        );
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        if let Some(encoding) = encoding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        return Ok(response);
    }
    Err(Error::not_found("file"))
}
