//! CORS for the endpoints the embed calls from publishers' pages: any origin, no credentials (the
//! embed token travels in the body or query, never in a cookie or custom header).
//!
//! The headers are the ones `tower_http`'s `CorsLayer` sent for this policy, byte for byte (a test
//! compares the two), from constants: axum clones every layer of a route for every request, and
//! `CorsLayer` carries its settings by value (a `Vec` and a set of header values) and builds a
//! header map per request, which was ~5% of a pixel request's CPU (docs/bench.md).

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{ready, Context, Poll},
};

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, Method},
    response::Response,
};

const VARY: HeaderValue = HeaderValue::from_static(
    "origin, access-control-request-method, access-control-request-headers",
);
const ANY_ORIGIN: HeaderValue = HeaderValue::from_static("*");
const METHODS: HeaderValue = HeaderValue::from_static("GET,POST,OPTIONS");
const HEADERS: HeaderValue = HeaderValue::from_static("content-type,if-none-match");
const EXPOSE: HeaderValue = HeaderValue::from_static("etag,retry-after");
/// One day: browsers cap it lower (Chromium at 2 hours), which is fine.
const MAX_AGE: HeaderValue = HeaderValue::from_static("86400");

/// The layer (a unit: nothing to clone).
#[derive(Clone, Copy, Debug)]
pub(crate) struct EmbedCors;

impl<S> tower::Layer<S> for EmbedCors {
    type Service = Cors<S>;

    fn layer(&self, inner: S) -> Cors<S> {
        Cors { inner }
    }
}

/// The service [`EmbedCors`] wraps a route in.
#[derive(Clone, Debug)]
pub(crate) struct Cors<S> {
    inner: S,
}

impl<S> tower::Service<Request> for Cors<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = CorsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // Every OPTIONS is answered here, preflight or not, as `CorsLayer` did.
        if request.method() == Method::OPTIONS {
            let mut response = Response::new(Body::empty());
            let h = response.headers_mut();
            h.insert(header::VARY, VARY);
            h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, METHODS);
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HEADERS);
            h.insert(header::ACCESS_CONTROL_MAX_AGE, MAX_AGE);
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, ANY_ORIGIN);
            return CorsFuture::Preflight {
                response: Some(response),
            };
        }
        CorsFuture::Call {
            future: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer: the route's with the CORS headers added, or the preflight's own.
    #[project = CorsProj]
    pub(crate) enum CorsFuture<F> {
        Call { #[pin] future: F },
        Preflight { response: Option<Response> },
    }
}

impl<F> Future for CorsFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            CorsProj::Call { future } => {
                let Ok(mut response) = ready!(future.poll(cx));
                let h = response.headers_mut();
                // A route's own `Vary` stays; the CORS one is added to it.
                h.append(header::VARY, VARY);
                h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, ANY_ORIGIN);
                h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE);
                Poll::Ready(Ok(response))
            }
            CorsProj::Preflight { response } => {
                Poll::Ready(Ok(response.take().unwrap_or_default()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::http::{HeaderMap, StatusCode};
    use tower::{Layer as _, ServiceExt as _};
    use tower_http::cors::{Any, CorsLayer};

    use super::*;

    /// The policy as `tower_http` spelled it before: the reference the constants must match.
    fn reference() -> CorsLayer {
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH])
            .expose_headers([header::ETAG, header::RETRY_AFTER])
            .max_age(Duration::from_secs(86_400))
    }

    /// A route that answers 200 with a `Vary` and an `ETag` of its own.
    async fn route(_: Request) -> Result<Response, Infallible> {
        let mut response = Response::new(Body::from("ok"));
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        response
            .headers_mut()
            .insert(header::ETAG, HeaderValue::from_static("\"1\""));
        Ok(response)
    }

    fn sorted(h: &HeaderMap) -> Vec<(String, String)> {
        let mut v: Vec<_> = h
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("?").to_owned()))
            .collect();
        v.sort();
        v
    }

    /// A case: its name, the method and the request headers.
    type Case<'a> = (&'a str, Method, &'a [(&'a str, &'a str)]);

    #[tokio::test]
    async fn same_headers_as_tower_http_cors() {
        let cases: &[Case<'_>] = &[
            (
                "preflight",
                Method::OPTIONS,
                &[
                    ("origin", "https://shop.example"),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", "content-type"),
                ],
            ),
            ("bare OPTIONS", Method::OPTIONS, &[]),
            (
                "cross-origin GET",
                Method::GET,
                &[("origin", "https://shop.example")],
            ),
            ("POST without Origin", Method::POST, &[]),
            ("HEAD", Method::HEAD, &[("origin", "null")]),
        ];
        for (name, method, headers) in cases {
            let request = || {
                let mut b = Request::builder()
                    .method(method.clone())
                    .uri("/api/v1/events");
                for (k, v) in *headers {
                    b = b.header(*k, *v);
                }
                b.body(Body::empty()).expect("request")
            };
            let ours = EmbedCors
                .layer(tower::service_fn(route))
                .oneshot(request())
                .await
                .expect("ours");
            let theirs = reference()
                .layer(tower::service_fn(route))
                .oneshot(request())
                .await
                .expect("reference");
            assert_eq!(ours.status(), theirs.status(), "{name}");
            let status = ours.status();
            assert_eq!(sorted(ours.headers()), sorted(theirs.headers()), "{name}");
            let body = |r: Response| axum::body::to_bytes(r.into_body(), 64);
            let (a, b) = (
                body(ours).await.expect("body"),
                body(theirs).await.expect("body"),
            );
            assert_eq!(a, b, "{name}");
            if *method == Method::OPTIONS {
                assert_eq!((status, a.len()), (StatusCode::OK, 0), "{name}");
            }
        }
    }
}
