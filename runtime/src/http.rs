//! JSON over HTTP to the API origin: timeout, one retry on network failure, typed errors.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::JsValue;

use crate::task::wait;
use crate::util::Timer;
use crate::{bindings, json, Value};

/// Milliseconds before a request is aborted.
pub const TIMEOUT_MS: i32 = 10_000;

/// Why a request failed.
#[derive(Clone, Debug, PartialEq)]
pub enum HttpError {
    /// No response (offline, DNS, CORS refusal), also after the one retry.
    Network,
    /// No response within [`TIMEOUT_MS`].
    Timeout,
    /// The server answered with a non-2xx status. `body` is its JSON error body
    /// (`{"error":{"code","message",…}}`), or `Null` if it sent none.
    Status {
        /// HTTP status code.
        status: u16,
        /// Parsed JSON body, `Null` when absent or not JSON.
        body: Value,
    },
    /// A 2xx response whose body is not JSON.
    BadBody,
}

impl HttpError {
    /// The server's `error.code` (e.g. `"validation"`), if it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            HttpError::Status { body, .. } => body.get("error").get("code").as_str(),
            _ => None,
        }
    }

    /// The server's `error.message`, if it sent one.
    pub fn message(&self) -> Option<&str> {
        match self {
            HttpError::Status { body, .. } => body.get("error").get("message").as_str(),
            _ => None,
        }
    }

    /// Worth trying again later (network, timeout, 5xx, 429): keep the visitor's input.
    pub fn is_transient(&self) -> bool {
        match self {
            HttpError::Network | HttpError::Timeout => true,
            HttpError::Status { status, .. } => *status >= 500 || *status == 429,
            HttpError::BadBody => false,
        }
    }
}

/// The HTTP helper a widget gets from [`MountCtx::http`](crate::MountCtx::http).
///
/// ```no_run
/// # async fn demo(http: ck_runtime::Http) {
/// use ck_runtime::Value;
/// let body = Value::Obj(vec![("values".into(), Value::Obj(vec![]))]);
/// match http.post_json("/api/v1/submissions", &body).await {
///     Ok(reply) => { let _id = reply.get("id").as_str(); }
///     Err(e) if e.is_transient() => { /* keep the values, offer a retry */ }
///     Err(e) => { let _field_errors = e.code(); }
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Http {
    api: Rc<str>,
    token: Option<String>,
}

impl Http {
    pub(crate) fn new(api: Rc<str>, token: Option<String>) -> Self {
        Http { api, token }
    }

    /// POSTs `body` as JSON to `{api}{path}` and parses the JSON reply (`Null` for an empty
    /// one, e.g. 204). When `body` is an object without a `token` member, the instance's embed
    /// token is added (the token never travels in a header, so no credentials are involved).
    pub async fn post_json(&self, path: &str, body: &Value) -> Result<Value, HttpError> {
        // The token goes onto the JS object: no deep clone of `body` in Rust.
        let js = json::to_js(body);
        if let (Value::Obj(_), Some(token)) = (body, &self.token) {
            if body.get("token").is_null() {
                crate::util::set_prop(&js, "token", &JsValue::from_str(token));
            }
        }
        let mut url = String::from(&*self.api);
        url.push_str(path);
        request(&url, Some(&json::stringify_js(&js))).await
    }
}

/// GET (no body) or JSON POST with timeout and one retry when no response arrived.
pub(crate) async fn request(url: &str, body: Option<&str>) -> Result<Value, HttpError> {
    // A loop rather than two calls: one copy of the `attempt` state machine in the wasm.
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt(url, body).await {
            Err(HttpError::Network) if tries < 2 => {}
            other => return other,
        }
    }
}

async fn attempt(url: &str, body: Option<&str>) -> Result<Value, HttpError> {
    let (promise, abort) = bindings::fetch(url, body);
    let timed_out = Rc::new(Cell::new(false));
    let flag = timed_out.clone();
    let _timer = Timer::once(TIMEOUT_MS, move || {
        flag.set(true);
        if let Some(abort) = &abort {
            bindings::abort(abort);
        }
    });
    let response = match wait(promise).await {
        Ok(response) => response,
        Err(_) if timed_out.get() => return Err(HttpError::Timeout),
        Err(_) => return Err(HttpError::Network),
    };
    let status = bindings::response_status(&response);
    let text = match bindings::response_text(&response) {
        Some(promise) => wait(promise).await.map_err(|_| {
            if timed_out.get() {
                HttpError::Timeout
            } else {
                HttpError::Network
            }
        })?,
        None => JsValue::from_str(""),
    };
    let text = text.as_string().unwrap_or_default();
    let value = if text.is_empty() {
        Some(Value::Null)
    } else {
        json::parse(&text)
    };
    if (200..300).contains(&status) {
        value.ok_or(HttpError::BadBody)
    } else {
        Err(HttpError::Status {
            status,
            body: value.unwrap_or_default(),
        })
    }
}
