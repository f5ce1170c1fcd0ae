//! One log line per request (target `ck_server::access`): method, matched route template (never
//! the raw path or query, which can carry tokens), status, latency and a request id. The id is the
//! caller's `x-request-id` when it looks sane (a proxy's), else a fresh one; it is returned in the
//! same header and set on the request's span, so every log line of the request carries it.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request},
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use tracing::Instrument as _;

/// The request id header, read and written.
pub(crate) static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Routes whose successful answers are logged at debug, not info: the pixel takes tens of thousands
/// of beacons a second and its 204 line says nothing `http_requests_total` in /metrics does not,
/// while formatting and writing it was ~8% of a pixel request's CPU (docs/bench.md). Its 4xx and
/// 5xx are logged like every other route's.
const QUIET_WHEN_OK: &[&str] = &["/api/v1/events"];

/// Whether an incoming request id can be trusted into logs: 1 to 64 of `A-Z a-z 0-9 . _ -`.
fn sane(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The middleware (outermost but one: panics are caught inside it, so they are logged as 500s).
pub(crate) async fn request_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        // 128 random bits from the thread-local generator, as 32 hex digits: a v4 UUID asked the OS
        // for randomness (a getrandom syscall) on every request.
        .map_or_else(|| format!("{:032x}", rand::random::<u128>()), str::to_owned);
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let mut response = next.run(request).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    crate::metrics::observe(method.as_str(), &route, status, elapsed);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(target: "ck_server::access", request_id = %id, %method, %route, status, latency_ms, "request");
    } else if status < 400 && QUIET_WHEN_OK.contains(&route.as_str()) {
        tracing::debug!(target: "ck_server::access", request_id = %id, %method, %route, status, latency_ms, "request");
    } else {
        tracing::info!(target: "ck_server::access", request_id = %id, %method, %route, status, latency_ms, "request");
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_sane_ids_are_kept() {
        for ok in ["abc", "0f9e-12.ab_c", &"a".repeat(64)] {
            assert!(super::sane(ok), "{ok}");
        }
        for bad in ["", "a b", "x\ny", "<script>", &"a".repeat(65), "é"] {
            assert!(!super::sane(bad), "{bad}");
        }
    }
}
