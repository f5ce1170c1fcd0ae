//! `GET /api/v1/widgets/{id}/config?token=ck_pub_…`: the config manifest the runtime fetches:
//! `{"type","config","flags"}` with a strong `ETag` (304 on `If-None-Match`). Flags are the
//! workspace's plan flags mirrored from Stripe.

use axum::{
    extract::{Path, RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    error::Error,
    http::{client_ip::ClientIp, if_none_match},
    ratelimit,
    state::AppState,
    tokens::verify,
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/widgets/{id}/config", get(config))
}

/// The `token` query parameter. Tokens are base62 plus `_`, so they never need percent-decoding.
fn token_param(query: Option<&str>) -> Result<&str, Error> {
    query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::bad_request("missing_token", "the token query parameter is required"))
}

/// The `lang` query parameter (the mount point's language as the runtime spells it: a primary
/// subtag such as `fr`); empty without one.
fn lang_param(query: Option<&str>) -> &str {
    query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="))
        .unwrap_or("")
}

/// The config manifest.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Manifest<'a> {
    #[serde(rename = "type")]
    widget: &'a str,
    #[schema(value_type = Object)]
    config: &'a serde_json::Value,
    flags: &'a [String],
}

/// The config manifest of a widget instance.
#[utoipa::path(get, path = "/api/v1/widgets/{id}/config", tag = "embed",
    params(("id" = String, Path, description = "Widget instance id"),
           ("token" = String, Query, description = "Embed token from the snippet (ck_pub_…)"),
           ("lang" = Option<String>, Query, description = "The mount point's language (primary subtag, e.g. `fr`): a form's config then carries that language's texts in `strings`, `submit_label` and `success_message` where it sets none (en, es, fr, de, pt, nl)")),
    responses((status = 200, body = Manifest<'_>), (status = 304), (status = 401), (status = 403), (status = 404), (status = 429)))]
pub(crate) async fn config(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
) -> Result<Response, Error> {
    // Per IP before any database work: made-up tokens are new each time, so the negative token
    // cache cannot stop a flood of them; per token after verification (made-up ones never get
    // there), for one real token hammered from many addresses.
    let limiters = state.limiters();
    ratelimit::local(
        &limiters.config_ip,
        &ratelimit::ip_hash(state.config(), client),
    )?;
    let id = Uuid::parse_str(&id).map_err(|_| Error::not_found("widget instance"))?;
    let token = verify::embed_token(&state, token_param(query.as_deref())?, &headers).await?;
    ratelimit::local(&limiters.config_token, &token.id.to_string())?;
    let instance = verify::instance_for(&state, &token, id).await?;
    let flags = match instance.workspace_id {
        Some(ws) => state.plan_cache().flags(&state, ws).await?,
        None => Default::default(),
    };
    let localized = super::localize(
        &instance.widget_id,
        &instance.config.0,
        lang_param(query.as_deref()),
    );
    let body = serde_json::to_vec(&Manifest {
        widget: &instance.widget_id,
        config: localized.as_ref().unwrap_or(&instance.config.0),
        flags: &flags,
    })
    .map_err(|e| Error::Internal(e.into()))?;
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
    let mut response = if if_none_match(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // Always revalidate (cheap with the ETag) so config edits and plan changes show up at once.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    Ok(response)
}
