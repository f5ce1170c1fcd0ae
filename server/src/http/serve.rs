//! Serving connections with limits a slow or hostile client cannot exhaust: at most
//! `CK_MAX_CONNECTIONS` open connections (the accept loop waits for a free slot, so extra clients
//! queue in the kernel's backlog instead of costing a task and buffers each), a request line and
//! headers within `CK_HEADER_TIMEOUT_SECS` (also how long an idle keep-alive connection is kept),
//! and a whole request body within `CK_BODY_TIMEOUT_SECS` of its headers (408, connection closed).
//!
//! `axum::serve` sets neither a header timeout (hyper needs a timer for that) nor a connection
//! limit, so a slowloris client could hold connections and tasks forever; hence this accept loop.

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Request},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse as _, Response},
    Router,
};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt as _;

use crate::error::Error;

/// What the accept loop enforces.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Request line and headers must arrive within this (and an idle keep-alive connection is
    /// closed after it).
    pub(crate) header_timeout: Duration,
    /// Connections served at once.
    pub(crate) max_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting, lets every open
/// connection finish its request (graceful shutdown of each), and returns once all are closed.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (closing_tx, closing) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    let mut at_limit = false;
    loop {
        // A free slot first, then accept: at the limit the loop stops accepting.
        let permit = if slots.available_permits() == 0 {
            if !at_limit {
                at_limit = true;
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection limit reached; new connections wait in the backlog"
                );
            }
            tokio::select! {
                () = &mut shutdown => break,
                permit = slots.clone().acquire_owned() => permit,
            }
        } else {
            at_limit = false;
            slots.clone().acquire_owned().await
        };
        let Ok(permit) = permit else { break };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(Body::new)
            });
        let mut closing = closing.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let conn = builder.serve_connection(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            );
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => log_connection_end(result, peer),
                // Changes once, to true (or the sender is gone): shutdown has begun.
                _ = closing.changed() => {
                    conn.as_mut().graceful_shutdown();
                    log_connection_end(conn.await, peer);
                }
            }
        });
    }
    drop(listener);
    let _ = closing_tx.send(true);
    // Every connection holds a slot until it is closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

fn log_connection_end(result: Result<(), hyper::Error>, peer: SocketAddr) {
    match result {
        Err(e) if e.is_timeout() => {
            tracing::debug!(%peer, "connection closed: headers not received in time");
        }
        Err(e) => tracing::debug!(%peer, error = %e, "connection ended with an error"),
        Ok(()) => {}
    }
}

/// Gives the request body `limit` (from `started`, when its headers were read) to arrive in full;
/// when it does not, the handler's read fails, the returned flag is set and the answer becomes
/// [`body_timed_out`]. Called by the cross-cutting layer (`super::edge`).
pub(crate) fn deadline_body(
    request: Request,
    started: std::time::Instant,
    limit: Duration,
) -> (Request, Arc<AtomicBool>) {
    let timed_out = Arc::new(AtomicBool::new(false));
    let flag = timed_out.clone();
    let deadline = tokio::time::Instant::from_std(started) + limit;
    let request = request.map(|body| {
        Body::new(Deadline {
            body,
            deadline,
            sleep: None,
            timed_out: flag,
        })
    });
    (request, timed_out)
}

/// 408 `request_timeout` with `Connection: close`, for a body that missed its deadline.
pub(crate) fn body_timed_out(limit: Duration) -> Response {
    let mut response = Error::client(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        format!(
            "the request body did not arrive within {} s",
            limit.as_secs()
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A request body that fails once its deadline passes.
struct Deadline {
    body: Body,
    deadline: tokio::time::Instant,
    /// Armed only when the body is not all there on the first read: a beacon's body arrives with
    /// its headers, and registering (then cancelling) a timer for each request was measurable in
    /// the pixel's profile (the timer wheel's lock and a boxed `Sleep`).
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    timed_out: Arc<AtomicBool>,
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.as_mut().poll(cx).is_ready() {
            this.timed_out.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new("request body timed out"))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
