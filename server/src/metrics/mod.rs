//! Prometheus metrics (served at `/metrics` by [`http`]) and the per-request counters ([`observe`]).
//! Labels are the matched route template, method and status: never raw paths, IPs, tokens or
//! anything else personal. Domains record their own counters with the `metrics` crate's macros
//! (`metrics::counter!`); this module only installs the recorder, so refer to it as
//! `crate::metrics` and never `use` it where those macros are called.

use std::{cell::RefCell, collections::HashMap, sync::OnceLock, time::Duration};

use axum::http::Method;

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
/// (`http::request_log`), which already holds the method, route, status and start time.
///
/// The counter and histogram handles are kept per tokio worker thread, keyed by route, method and
/// status: the `metrics!` macros build their label strings and look the series up in the
/// registry on every call, ~1.2% of a pixel request's CPU (docs/bench.md). A handle is the
/// registry's own series (an `Arc`), so counts through it are the same exact counts; the recorder
/// is installed when `AppState` is built, before any request, so no handle is a no-op one.
pub(crate) fn observe(method: &Method, route: &str, status: u16, elapsed: Duration) {
    /// One route's series: (method, status, requests, latency).
    type Series = Vec<(Method, u16, metrics::Counter, metrics::Histogram)>;
    thread_local! {
        static HANDLES: RefCell<HashMap<Box<str>, Series>> = RefCell::new(HashMap::new());
    }
    HANDLES.with_borrow_mut(|routes| {
        let series = match routes.get_mut(route) {
            Some(series) => series,
            None => routes.entry(route.into()).or_default(),
        };
        let at = series
            .iter()
            .position(|(m, s, ..)| m == method && *s == status)
            .unwrap_or_else(|| {
                let (m, r) = (method.as_str().to_owned(), route.to_owned());
                let counter = metrics::counter!("http_requests_total", "method" => m.clone(), "route" => r.clone(), "status" => status.to_string());
                let histogram =
                    metrics::histogram!("http_request_duration_seconds", "method" => m, "route" => r);
                series.push((method.clone(), status, counter, histogram));
                series.len() - 1
            });
        let (.., counter, histogram) = &series[at];
        counter.increment(1);
        histogram.record(elapsed.as_secs_f64());
    });
}
