//! The usage pixel and its event [`Kind`]: counts batched per token and sent fire-and-forget to `POST {api}/api/v1/events`.
//!
//! Sent [`FLUSH_MS`] after the first event of a batch, and at once when the page is hidden or left
//! (`visibilitychange`/`pagehide`), or when a body holds the 100 events the server accepts, via `sendBeacon`
//! with a `fetch(keepalive)` fallback. No cookies, no visitor input: only the event kind, the
//! instance id (a public id), a count and a duration.

use std::cell::RefCell;

use crate::bindings;
use crate::util::{push_u32, Timer};

/// Delay between the first queued event and the batch being sent.
pub(crate) const FLUSH_MS: i32 = 3_000;
/// The server accepts at most this many events per body.
const MAX_PER_BODY: usize = 100;

/// The kind of a usage event (`k` in the pixel's JSON). One definition for the runtime that
/// sends it and the server that counts it (`ck_runtime::metrics::Kind` compiles on the host).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The runtime loaded on a page (once per token and page; `ms` from the loader's start).
    Load,
    /// A widget instance mounted (`ms` from the loader's start).
    View,
    /// A visitor interacted (`Instance::metric_interaction`, e.g. a form submit).
    Interaction,
    /// A mount point or widget reported an error.
    Error,
}

impl Kind {
    /// Every kind, in wire order.
    pub const ALL: [Kind; 4] = [Kind::Load, Kind::View, Kind::Interaction, Kind::Error];

    /// The wire spelling: `load`, `view`, `interaction`, `error`.
    ///
    /// ```
    /// use ck_runtime::metrics::Kind;
    /// assert_eq!(Kind::Interaction.as_str(), "interaction");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Load => "load",
            Kind::View => "view",
            Kind::Interaction => "interaction",
            Kind::Error => "error",
        }
    }

    /// The kind spelled `s` on the wire, `None` for anything else.
    ///
    /// ```
    /// use ck_runtime::metrics::Kind;
    /// assert_eq!(Kind::parse("view"), Some(Kind::View));
    /// assert_eq!(Kind::parse("View"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The batch being collected: one token's events, the JSON objects of the `events` array
/// already rendered (a string grows with less code than a `Vec` of structs rendered later). A
/// page normally embeds with one token; an event for another token sends the batch first.
struct Batch {
    token: String,
    events: String,
    count: usize,
    timer: Option<Timer>,
}

thread_local! {
    // const: no lazy-init code in the wasm.
    static BATCH: RefCell<Batch> = const {
        RefCell::new(Batch {
            token: String::new(),
            events: String::new(),
            count: 0,
            timer: None,
        })
    };
}

/// Queues one event. Without a token there is nobody to count it for, so it is dropped.
pub(crate) fn record(token: Option<&str>, kind: Kind, id: Option<&str>, ms: Option<f64>) {
    let Some(token) = token else { return };
    if BATCH.with(|b| {
        let b = b.borrow();
        b.count > 0 && b.token != token
    }) {
        flush();
    }
    let (start_timer, full) = BATCH.with(|b| {
        let mut b = b.borrow_mut();
        if b.count == 0 {
            b.token.clear();
            b.token.push_str(token);
        }
        push_event(&mut b.events, kind, id, ms);
        b.count += 1;
        (b.timer.is_none(), b.count >= MAX_PER_BODY)
    });
    if full {
        flush();
    } else if start_timer {
        let timer = Timer::once(FLUSH_MS, flush);
        BATCH.with(|b| b.borrow_mut().timer = Some(timer));
    }
}

/// Appends `{"k":…,"id":…,"n":1,"ms":…}` (comma-separated). Token and ids are validated to
/// `[A-Za-z0-9_-]` by the attribute parser and kinds are constants, so nothing needs escaping
/// and no serializer ships.
fn push_event(out: &mut String, kind: Kind, id: Option<&str>, ms: Option<f64>) {
    if !out.is_empty() {
        out.push(',');
    }
    out.push_str("{\"k\":\"");
    out.push_str(kind.as_str());
    out.push('"');
    if let Some(id) = id {
        out.push_str(",\"id\":\"");
        out.push_str(id);
        out.push('"');
    }
    out.push_str(",\"n\":1");
    if let Some(ms) = ms {
        out.push_str(",\"ms\":");
        push_u32(out, ms.max(0.0).min(u32::MAX as f64) as u32);
    }
    out.push('}');
}

/// Sends everything queued. Called by the timer, on page hide, when a body is full and before
/// an event of another token.
pub(crate) fn flush() {
    let (token, events, timer) = BATCH.with(|b| {
        let mut b = b.borrow_mut();
        b.count = 0;
        (
            std::mem::take(&mut b.token),
            std::mem::take(&mut b.events),
            b.timer.take(),
        )
    });
    drop(timer);
    if !events.is_empty() {
        bindings::beacon(&crate::http::url("/api/v1/events"), &body(&token, &events));
    }
}

fn body(token: &str, events: &str) -> String {
    let mut out = String::from("{\"token\":\"");
    out.push_str(token);
    out.push_str("\",\"events\":[");
    out.push_str(events);
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_the_contract_json() {
        let mut events = String::new();
        push_event(&mut events, Kind::Load, None, Some(120.4));
        push_event(&mut events, Kind::View, Some("w1"), None);
        push_event(&mut events, Kind::Error, None, Some(-5.0));
        let text = body("ck_pub_x", &events);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["token"], "ck_pub_x");
        assert_eq!(parsed["events"][0]["k"], "load");
        assert_eq!(parsed["events"][0]["ms"], 120);
        assert!(parsed["events"][0].get("id").is_none());
        assert_eq!(parsed["events"][1]["id"], "w1");
        assert_eq!(parsed["events"][1]["n"], 1);
        assert!(parsed["events"][1].get("ms").is_none());
        assert_eq!(parsed["events"][2]["ms"], 0);
        assert_eq!(parsed["events"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn kinds_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse(""), None);
        assert_eq!(Kind::parse("loads"), None);
    }
}
