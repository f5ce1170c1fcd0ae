//! `POST /api/v1/errors`: client error reports from the loader, runtime and widgets. Bounded
//! (4 KB), validated, rate-limited per IP, counted in metrics (all of them) and logged (a sample).
//! Nothing is stored; messages are truncated and never include visitor input by contract.

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode},
    routing::post,
    Router,
};
use serde::Deserialize;

use crate::{
    error::Error, http::client_ip::ClientIp, http::require_beacon_body, ratelimit, state::AppState,
    tokens,
};

/// Largest accepted body.
pub(crate) const MAX_BODY: usize = 4 * 1024;
const MAX_MESSAGE: usize = 1000;

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/errors",
        post(report).layer(DefaultBodyLimit::max(MAX_BODY)),
    )
}

/// A client error report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Report {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    id: Option<String>,
    /// `loader`, `runtime` or `widget`.
    src: String,
    msg: String,
}

/// Accepts a client error report.
#[utoipa::path(post, path = "/api/v1/errors", tag = "embed", request_body = Report,
    responses((status = 204), (status = 400), (status = 413), (status = 429)))]
pub(crate) async fn report(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, Error> {
    require_beacon_body(&headers, "send text/plain or application/json")?;
    ratelimit::local_key(&state.limiters().events_ip, &client)?;
    let report: Report = serde_json::from_slice(&body)
        .map_err(|e| Error::bad_request("invalid_report", format!("invalid error report: {e}")))?;
    let src: &'static str = match report.src.as_str() {
        "loader" => "loader",
        "runtime" => "runtime",
        "widget" => "widget",
        _ => {
            return Err(Error::bad_request(
                "invalid_report",
                "src must be loader, runtime or widget",
            ))
        }
    };
    if report.msg.is_empty() {
        return Err(Error::bad_request("invalid_report", "msg is required"));
    }
    // A token, when given, is only format-checked: error intake must never cost a database read.
    let token_hint = match report.token.as_deref() {
        Some(t) => Some(
            tokens::parse_kind(t, tokens::TokenKind::Embed)
                .map(|()| tokens::hint(t))
                .map_err(|_| Error::bad_request("invalid_report", "token is not an embed token"))?,
        ),
        None => None,
    };
    metrics::counter!("ck_client_errors_total", "src" => src).increment(1);
    let rate = state.config().product.error_sample_rate.clamp(0.0, 1.0);
    if rate > 0.0 && rand::random::<f64>() < rate {
        let msg: String = report
            .msg
            .chars()
            .take(MAX_MESSAGE)
            .filter(|c| !c.is_control())
            .collect();
        let id: Option<String> = report.id.map(|s| s.chars().take(64).collect());
        tracing::warn!(target: "ck::client_error", src, token = token_hint.as_deref(), instance = id.as_deref(), msg = %msg, "client error");
    }
    Ok(StatusCode::NO_CONTENT)
}
