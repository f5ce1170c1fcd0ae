//! Prometheus metrics (served at `/metrics` by [`http`]) and the per-request counters ([`observe`]).
//! Labels are the matched route template, method and status: never raw paths, IPs, tokens or
//! anything else personal. Domains record their own counters with the `metrics` crate's macros
//! (`metrics::counter!`); this module only installs the recorder, so refer to it as
//! `crate::metrics` and never `use` it where those macros are called.

use std::{sync::OnceLock, time::Duration};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub(crate) mod http;

/// The process-wide recorder: `metrics` has one global recorder, while tests run several servers
/// in one process, so it is installed once and shared.
pub(crate) fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            const BUCKETS: [f64; 11] = [
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ];
            let builder = PrometheusBuilder::new();
            let recorder = match builder.set_buckets(&BUCKETS) {
                Ok(b) => b.build_recorder(),
                Err(_) => PrometheusBuilder::new().build_recorder(),
            };
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will be empty");
            }
            handle
        })
        .clone()
}

/// Counts a request and observes its latency under its route template. Called by the request log
/// middleware (`http::request_log`), which already holds the method, route, status and start time:
/// one middleware layer instead of two per request (each `from_fn` layer clones the inner service
/// stack and boxes a future on every request; the bench's profile showed it, docs/bench.md).
pub(crate) fn observe(method: &str, route: &str, status: u16, elapsed: Duration) {
    metrics::counter!("http_requests_total", "method" => method.to_owned(), "route" => route.to_owned(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method.to_owned(), "route" => route.to_owned())
        .record(elapsed.as_secs_f64());
}
