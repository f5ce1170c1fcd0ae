//! One log line per request (target `ck_server::access`): method, matched route template (never
//! the raw path or query, which can carry tokens), status, latency and a request id. The id is the
//! caller's `x-request-id` when it looks sane (a proxy's), else a fresh one; it is returned in the
//! same header and set on the request's span, so every log line of the request carries it.
//!
//! [`Start`] is taken before the request goes in and [`Start::finish`] after the answer came out;
//! both are called by the cross-cutting layer ([`super::edge`]).

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request},
    http::{HeaderName, HeaderValue, Method},
    response::Response,
};

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

/// 128 random bits from the thread-local generator as 32 hex digits, written straight into the
/// header value: a v4 UUID asked the OS for randomness (a getrandom syscall) on every request, and
/// a `String` first would be one more allocation and copy per request.
fn fresh_id() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bits = rand::random::<u128>();
    let mut text = [0u8; 32];
    for (i, c) in text.iter_mut().enumerate() {
        *c = HEX[((bits >> (124 - 4 * i)) & 0xf) as usize];
    }
    HeaderValue::from_bytes(&text).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// What the log line needs from the request, taken before it goes in.
pub(crate) struct Start {
    started: Instant,
    /// The id as it goes back out in `x-request-id` (always visible ASCII, see [`sane`]).
    id: HeaderValue,
    method: Method,
    /// The route template; `MatchedPath` is an `Arc<str>`, so keeping it costs no copy.
    route: Option<MatchedPath>,
}

impl Start {
    /// Reads the id, method and route of `request`.
    pub(crate) fn new(request: &Request) -> Start {
        let started = Instant::now();
        let id = request
            .headers()
            .get(&REQUEST_ID)
            .filter(|v| v.to_str().is_ok_and(sane))
            .cloned()
            .unwrap_or_else(fresh_id);
        Start {
            started,
            id,
            method: request.method().clone(),
            route: request.extensions().get::<MatchedPath>().cloned(),
        }
    }

    /// When the request's headers had been read.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    fn id(&self) -> &str {
        self.id.to_str().unwrap_or("")
    }

    fn route(&self) -> &str {
        self.route.as_ref().map_or("unmatched", MatchedPath::as_str)
    }

    /// The request's span: every line logged while it runs carries the id.
    pub(crate) fn span(&self) -> tracing::Span {
        tracing::info_span!("request", request_id = %self.id(), method = %self.method, route = %self.route())
    }

    /// Returns the id in the answer, counts the request in /metrics and writes the access line.
    pub(crate) fn finish(self, response: &mut Response) {
        let elapsed = self.started.elapsed();
        let status = response.status().as_u16();
        let (id, method, route) = (self.id(), self.method.as_str(), self.route());
        crate::metrics::observe(&self.method, route, status, elapsed);
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::warn!(target: "ck_server::access", request_id = %id, %method, %route, status, latency_ms, "request");
        } else if status < 400 && QUIET_WHEN_OK.contains(&route) {
            tracing::debug!(target: "ck_server::access", request_id = %id, %method, %route, status, latency_ms, "request");
        } else {
            tracing::info!(target: "ck_server::access", request_id = %id, %method, %route, status, latency_ms, "request");
        }
        response.headers_mut().insert(REQUEST_ID.clone(), self.id);
    }
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

    #[test]
    fn fresh_ids_are_32_hex_digits_and_differ() {
        let a = super::fresh_id();
        let b = super::fresh_id();
        for id in [&a, &b] {
            let s = id.to_str().expect("ascii");
            assert_eq!(s.len(), 32, "{s}");
            assert!(s.bytes().all(|c| c.is_ascii_hexdigit()), "{s}");
        }
        assert_ne!(a, b);
    }
}
