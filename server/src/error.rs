//! The one error type of the HTTP layer: a stable JSON body for clients, full detail only in logs.

use std::borrow::Cow;

use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::{de::DeserializeOwned, Serialize};

/// Every way a request can fail. Client errors carry a machine-readable `code`; server errors keep
/// their cause for the log and answer only `internal`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// A 4xx the client can act on.
    #[error("{code}: {message}")]
    Client {
        /// HTTP status (4xx).
        status: StatusCode,
        /// Stable snake_case code, e.g. `invalid_json`.
        code: &'static str,
        /// Human-readable explanation, safe to show.
        message: Cow<'static, str>,
        /// Per-field messages for validation errors.
        fields: Option<serde_json::Map<String, serde_json::Value>>,
    },
    /// Too many requests; the client should retry after this many seconds.
    #[error("rate limited, retry after {retry_after_secs}s")]
    RateLimited {
        /// Seconds until a retry can succeed.
        retry_after_secs: u64,
    },
    /// The server is at capacity (e.g. every password-hashing slot is busy); retry after this many
    /// seconds. 503 with `Retry-After`.
    #[error("busy, retry after {retry_after_secs}s")]
    Busy {
        /// Seconds after which a retry is likely to get a slot.
        retry_after_secs: u64,
    },
    /// Database failure; details are logged, never sent.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Any other internal failure; details are logged, never sent.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// Result alias for handlers.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A client error with a code and message.
    pub(crate) fn client(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Error::Client {
            status,
            code,
            message: message.into(),
            fields: None,
        }
    }

    /// 400 with a code.
    pub(crate) fn bad_request(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, code, message)
    }

    /// 422 with per-field messages.
    pub(crate) fn validation(
        message: impl Into<Cow<'static, str>>,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        Error::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: message.into(),
            fields: Some(fields),
        }
    }

    /// 401: no or invalid credentials.
    pub(crate) fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::client(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403.
    pub(crate) fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::client(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404 naming what was not found.
    pub(crate) fn not_found(what: &'static str) -> Self {
        Self::client(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 409.
    pub(crate) fn conflict(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::client(StatusCode::CONFLICT, code, message)
    }

    /// The HTTP status this error answers with.
    pub(crate) fn status_code(&self) -> StatusCode {
        match self {
            Error::Client { status, .. } => *status,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Db(e) if crate::store::is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Db(e) if crate::store::is_unstorable_text(e) => StatusCode::BAD_REQUEST,
            Error::Db(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code sent to clients.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Error::Client { code, .. } => code,
            Error::RateLimited { .. } => "rate_limited",
            Error::Busy { .. } => "busy",
            Error::Db(e) if crate::store::is_unstorable_text(e) => "invalid_text",
            _ if self.status_code() == StatusCode::SERVICE_UNAVAILABLE => "unavailable",
            _ => "internal",
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: BodyInner<'a>,
}

#[derive(Serialize)]
struct BodyInner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let (message, fields): (Cow<'_, str>, _) = match &self {
            Error::Client {
                message, fields, ..
            } => (Cow::Borrowed(message.as_ref()), fields.as_ref()),
            Error::RateLimited { .. } => ("too many requests, slow down".into(), None),
            Error::Busy { .. } => ("server busy, retry shortly".into(), None),
            _ if status == StatusCode::BAD_REQUEST => (
                "a text value contains a character that cannot be stored (NUL)".into(),
                None,
            ),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => {
                tracing::warn!(error = %self, "dependency unavailable");
                ("service temporarily unavailable".into(), None)
            }
            _ => {
                tracing::error!(error = %self, "internal error");
                crate::observability::report(&self);
                ("internal server error".into(), None)
            }
        };
        let body = Body {
            error: BodyInner {
                code: self.code(),
                message: &message,
                fields,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Error::RateLimited { retry_after_secs } | Error::Busy { retry_after_secs } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        response
    }
}

/// JSON body extractor whose rejections are [`Error`]s: malformed or oversized bodies become 4xx
/// JSON errors before any handler work.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Json<T>(pub(crate) T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn json_rejection(rejection: JsonRejection) -> Error {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Error::client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(e) => Error::bad_request("invalid_json", e.body_text()),
        JsonRejection::JsonDataError(e) => Error::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            e.body_text(),
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Error::client(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body too large",
            )
        }
        other => Error::client(other.status(), "invalid_body", other.body_text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = Error::Internal(anyhow::anyhow!("password=hunter2 connection refused"));
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(err.code(), "internal");
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn rate_limit_sets_retry_after() {
        let response = Error::RateLimited {
            retry_after_secs: 7,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }
}
