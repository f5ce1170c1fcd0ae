//! JSON over HTTP to the API origin: timeout, one retry on network failure, typed errors.
//!
//! Callback-based on purpose: an `async fn` embeds its whole state machine in every caller's
//! future (the manifest fetch and the form's submit would each carry a copy); one
//! [`request`] with a boxed callback ships once.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};

use wasm_bindgen::JsValue;

use crate::util::{js_closure, prop, set_prop, JsClosure};
use crate::{bindings, json, Value};

/// Sets the API origin (without a trailing slash) and the loader's in-flight config requests
/// (URL → `fetch` promise), once at boot. Both live in js/net.js, which joins every request path
/// to the origin and hands each prefetched response out once.
pub(crate) fn set_api(api: &str, prefetched: JsValue, need: JsValue) {
    bindings::set_api(api, &prefetched, &need);
}

/// Milliseconds before a request is aborted (by the browser: `AbortSignal.timeout`).
pub const TIMEOUT_MS: u32 = 10_000;

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
        self.error_member("code")
    }

    /// The server's `error.message`, if it sent one.
    pub fn message(&self) -> Option<&str> {
        self.error_member("message")
    }

    fn error_member(&self, key: &str) -> Option<&str> {
        match self {
            HttpError::Status { body, .. } => body.get("error").get(key).as_str(),
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

/// What a request ends with.
pub type HttpResult = Result<Value, HttpError>;

/// The HTTP helper a widget gets from [`MountCtx::http`](crate::MountCtx::http).
///
/// ```no_run
/// # fn demo(http: ck_runtime::Http) {
/// let body = js_sys::Object::new();
/// http.send("/api/v1/submissions", &body, |outcome| match outcome {
///     Ok(reply) => { let _id = reply.get("id").as_str(); }
///     Err(e) if e.is_transient() => { /* keep the values, offer a retry */ }
///     Err(e) => { let _code = e.code(); }
/// });
/// # }
/// ```
#[derive(Clone)]
pub struct Http {
    token: Option<String>,
}

impl Http {
    pub(crate) fn new(token: Option<String>) -> Self {
        Http { token }
    }

    /// POSTs the JS object `body` as JSON to `{api}{path}` and calls `done` with the parsed
    /// JSON reply (`Null` for an empty one, e.g. 204). The instance's embed token is set as
    /// `body.token` unless the object has one (the token never travels in a header, so no
    /// credentials are involved). `done` runs once, from a later task.
    pub fn send(&self, path: &str, body: &JsValue, done: impl FnOnce(HttpResult) + 'static) {
        self.send_boxed(path, body, Box::new(done));
    }

    /// The one copy of [`Http::send`]: every caller's callback arrives boxed.
    fn send_boxed(&self, path: &str, body: &JsValue, done: Done) {
        if let Some(token) = &self.token {
            if prop(body, "token").is_undefined() {
                set_prop(body, "token", &JsValue::from_str(token));
            }
        }
        request(path.into(), Some(json::stringify_js(body)), done);
    }

    /// [`Http::send`] as a future, with a [`Value`] body. Costs its own bytes in the embed
    /// only when a widget uses it.
    ///
    /// ```no_run
    /// # async fn demo(http: ck_runtime::Http) {
    /// use ck_runtime::Value;
    /// let body = Value::Obj(vec![("values".into(), Value::Obj(vec![]))]);
    /// let _reply = http.post_json("/api/v1/submissions", &body).await;
    /// # }
    /// ```
    pub fn post_json(&self, path: &str, body: &Value) -> impl Future<Output = HttpResult> {
        type Slot = (Option<HttpResult>, Option<Waker>);
        let slot: Rc<RefCell<Slot>> = Rc::default();
        let filled = slot.clone();
        self.send(path, &json::to_js(body), move |outcome| {
            let waker = {
                let mut s = filled.borrow_mut();
                s.0 = Some(outcome);
                s.1.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        });
        poll_fn(move |cx| {
            let mut s = slot.borrow_mut();
            match s.0.take() {
                Some(outcome) => Poll::Ready(outcome),
                None => {
                    s.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }
}

pub(crate) type Done = Box<dyn FnOnce(HttpResult)>;

/// One request in flight. The closure receives the outcome of each try as one string (js/net.js
/// `ckFetch`, parsed by [`parse_reply`]): one closure and one import instead of a closure per
/// promise step and an import per `Response` accessor.
struct Flight {
    /// Joined to the API origin by js/net.js.
    path: String,
    /// Empty for a GET.
    body: String,
    done: Option<Done>,
    tries: u8,
    step: Option<JsClosure>,
}

type Shared = Rc<RefCell<Flight>>;

/// GET (no body) or JSON POST with timeout and one retry when no response arrived; `done`
/// gets the parsed JSON reply or the typed error.
pub(crate) fn request(path: String, body: Option<String>, done: Done) {
    let flight: Shared = Rc::new(RefCell::new(Flight {
        path,
        body: body.unwrap_or_default(),
        done: Some(done),
        tries: 0,
        step: None,
    }));
    // The closure owns the flight (a cycle, on purpose): nothing else keeps it alive while
    // the browser works. `finish` breaks the cycle by taking the closure out.
    let owner = flight.clone();
    let step = js_closure(move |value| step(&owner, value));
    flight.borrow_mut().step = Some(step);
    attempt(&flight);
}

fn attempt(flight: &Shared) {
    let mut f = flight.borrow_mut();
    f.tries += 1;
    // The loader's request counts as the first try (js/net.js hands it out once): a retry after
    // it failed asks anew.
    if let Some(step) = &f.step {
        bindings::fetch(&f.path, &f.body, TIMEOUT_MS, step);
    }
}

/// What one try ended with, as `ckFetch` reports it: `"<status> <text>"` when a response and its
/// body arrived, `"<status>!<error name>"` otherwise (status 0: no response at all).
#[derive(Debug, PartialEq)]
enum Reply<'a> {
    Body(u16, &'a str),
    Failed(u16, &'a str),
}

fn parse_reply(s: &str) -> Reply<'_> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let mut status: u16 = 0;
    for b in s.bytes().take(digits) {
        status = status
            .saturating_mul(10)
            .saturating_add(u16::from(b - b'0'));
    }
    // `get` rather than slicing: no panic path, whatever the string.
    match (s.as_bytes().get(digits), s.get(digits + 1..)) {
        (Some(b' '), Some(text)) => Reply::Body(status, text),
        (_, rest) => Reply::Failed(status, rest.unwrap_or("")),
    }
}

fn step(flight: &Shared, value: JsValue) {
    let reply = value.as_string().unwrap_or_default();
    let outcome = match parse_reply(&reply) {
        Reply::Body(status, text) => {
            let parsed = if text.is_empty() {
                Some(Value::Null)
            } else {
                json::parse(text)
            };
            if (200..300).contains(&status) {
                parsed.ok_or(HttpError::BadBody)
            } else {
                Err(HttpError::Status {
                    status,
                    body: parsed.unwrap_or_default(),
                })
            }
        }
        Reply::Failed(_, "TimeoutError") => Err(HttpError::Timeout),
        // No response at all: one more try. A failure while reading a body is not retried.
        Reply::Failed(0, _) if flight.borrow().tries < 2 => return attempt(flight),
        Reply::Failed(..) => Err(HttpError::Network),
    };
    finish(flight, outcome);
}

/// Releases the flight (timer, closure) and hands the outcome over, with nothing borrowed:
/// `done` may start new requests.
fn finish(flight: &Shared, outcome: HttpResult) {
    let (done, step) = {
        let mut f = flight.borrow_mut();
        (f.done.take(), f.step.take())
    };
    if let Some(done) = done {
        done(outcome);
    }
    // Dropped last: this closure may be the one running (wasm-bindgen frees it afterwards).
    drop(step);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_parse() {
        let cases = [
            ("200 {\"a\":1}", Reply::Body(200, "{\"a\":1}")),
            ("204 ", Reply::Body(204, "")),
            ("422 x y", Reply::Body(422, "x y")),
            ("0!TypeError", Reply::Failed(0, "TypeError")),
            ("0!TimeoutError", Reply::Failed(0, "TimeoutError")),
            ("200!AbortError", Reply::Failed(200, "AbortError")),
            ("0!undefined", Reply::Failed(0, "undefined")),
            ("", Reply::Failed(0, "")),
            ("99999999 x", Reply::Body(u16::MAX, "x")),
        ];
        for (input, want) in cases {
            assert_eq!(parse_reply(input), want, "{input:?}");
        }
    }
}
