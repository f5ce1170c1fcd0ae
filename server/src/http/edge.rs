//! The cross-cutting layer around every route, in one service: the request body's deadline (408),
//! JSON for every `/api` error, the security headers every answer carries unless its route set its
//! own, caught panics (500), and the access log with its metrics (outermost, so a caught panic is
//! logged as the 500 it became).
//!
//! Why one hand-written service and not six `tower` layers: axum clones a route's whole layer stack
//! for every request, and each `middleware::from_fn` layer clones the stack inside it once more
//! and boxes a future; the pixel's profile showed ~20% of its CPU in those clones, drops and
//! boxes (docs/bench.md). Here the inner service is called synchronously (nothing async comes
//! before it), so nothing is cloned, and the whole request is one boxed future.

use std::{
    convert::Infallible,
    future::Future,
    panic::AssertUnwindSafe,
    pin::{pin, Pin},
    sync::atomic::Ordering,
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    response::{IntoResponse as _, Response},
};
use tracing::Instrument as _;

use super::{json_error, needs_json_error, request_log::Start, serve};
use crate::error::Error;

/// What every answer carries unless its route chose otherwise.
const DEFAULT_HEADERS: [(header::HeaderName, HeaderValue); 3] = [
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    // Responses that carry secrets (session tokens, embed and draft tokens) must never sit in a
    // browser or proxy cache: everything is `no-store` unless the route chose its own policy
    // (embed assets, the config manifest, the dashboard stylesheet).
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    ),
];

/// The layer: the body deadline is its only setting.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EdgeLayer {
    body_timeout: Duration,
}

impl EdgeLayer {
    /// Request bodies get `body_timeout` from their headers to arrive in full.
    pub(crate) fn new(body_timeout: Duration) -> Self {
        Self { body_timeout }
    }
}

impl<S> tower::Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge {
            inner,
            body_timeout: self.body_timeout,
        }
    }
}

/// The service [`EdgeLayer`] wraps each route in.
#[derive(Clone, Debug)]
pub(crate) struct Edge<S> {
    inner: S,
    body_timeout: Duration,
}

impl<S> tower::Service<Request> for Edge<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let start = Start::new(&request);
        let span = start.span();
        let api = request.uri().path().starts_with("/api/");
        let limit = self.body_timeout;
        let (request, timed_out) = serve::deadline_body(request, start.started(), limit);
        // A panic in the route's synchronous part is caught like one in its future.
        let called = span
            .in_scope(|| std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request))));
        Box::pin(async move {
            // `Err` is the answer to a panic (JSON already): no body deadline applies to it, but it
            // gets the default headers like every answer.
            let answered = match called {
                Ok(future) => {
                    let mut future = pin!(future.instrument(span));
                    std::future::poll_fn(|cx| {
                        match std::panic::catch_unwind(AssertUnwindSafe(|| {
                            future.as_mut().poll(cx)
                        })) {
                            Ok(Poll::Ready(Ok(response))) => Poll::Ready(Ok(response)),
                            Ok(Poll::Pending) => Poll::Pending,
                            Err(_) => Poll::Ready(Err(future.span().in_scope(panicked))),
                        }
                    })
                    .await
                }
                Err(_) => Err(span.in_scope(panicked)),
            };
            let mut response = match answered {
                Ok(_) if timed_out.load(Ordering::Relaxed) => serve::body_timed_out(limit),
                Ok(response) if needs_json_error(api, &response) => json_error(response).await,
                Ok(response) | Err(response) => response,
            };
            let headers = response.headers_mut();
            for (name, value) in DEFAULT_HEADERS {
                if !headers.contains_key(&name) {
                    headers.insert(name, value);
                }
            }
            start.finish(&mut response);
            Ok(response)
        })
    }
}

/// The answer to a route that panicked (logged by `Error`'s conversion, inside the request's span).
fn panicked() -> Response {
    Error::Internal(anyhow::anyhow!("handler panicked")).into_response()
}
