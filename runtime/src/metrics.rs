//! The usage pixel: counts batched per token and sent fire-and-forget to `POST {api}/api/v1/events`.
//!
//! Sent [`FLUSH_MS`] after the first event of a batch, and at once when the page is hidden or left
//! (`visibilitychange`/`pagehide`), via `sendBeacon` with a `fetch(keepalive)` fallback. No cookies,
//! no visitor input: only the event kind, instance id (a public id), a count and a duration.

use std::cell::RefCell;

use crate::bindings;
use crate::util::{push_u32, Timer};

/// Delay between the first queued event and the batch being sent.
pub(crate) const FLUSH_MS: i32 = 3_000;
/// The server accepts at most this many events per body.
const MAX_PER_BODY: usize = 100;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Load,
    View,
    Interaction,
    Error,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Load => "load",
            Kind::View => "view",
            Kind::Interaction => "interaction",
            Kind::Error => "error",
        }
    }
}

struct Event {
    kind: Kind,
    id: Option<String>,
    n: u32,
    ms: Option<u32>,
}

#[derive(Default)]
struct Batch {
    /// Events grouped by token: one request body per token.
    groups: Vec<(String, Vec<Event>)>,
    timer: Option<Timer>,
}

thread_local! {
    static API: RefCell<String> = const { RefCell::new(String::new()) };
    // const: no lazy-init code in the wasm.
    static BATCH: RefCell<Batch> = const {
        RefCell::new(Batch {
            groups: Vec::new(),
            timer: None,
        })
    };
}

pub(crate) fn set_api(api: &str) {
    API.with(|a| *a.borrow_mut() = api.to_owned());
}

/// Queues one event. Without a token there is nobody to count it for, so it is dropped.
/// Events without a duration for the same kind and instance are merged into one count.
pub(crate) fn record(token: Option<&str>, kind: Kind, id: Option<&str>, ms: Option<f64>) {
    let Some(token) = token else { return };
    let start_timer = BATCH.with(|b| {
        let mut b = b.borrow_mut();
        let group = match b.groups.iter().position(|(t, _)| t == token) {
            Some(i) => &mut b.groups[i].1,
            None => {
                b.groups.push((token.to_owned(), Vec::new()));
                &mut b.groups.last_mut().expect("just pushed").1
            }
        };
        let ms = ms.map(|ms| ms.max(0.0).min(u32::MAX as f64) as u32);
        match group
            .iter_mut()
            .find(|e| ms.is_none() && e.ms.is_none() && e.kind == kind && e.id.as_deref() == id)
        {
            Some(e) if e.n < 1000 => e.n += 1,
            _ => group.push(Event {
                kind,
                id: id.map(str::to_owned),
                n: 1,
                ms,
            }),
        }
        b.timer.is_none()
    });
    if start_timer {
        let timer = Timer::once(FLUSH_MS, flush);
        BATCH.with(|b| b.borrow_mut().timer = Some(timer));
    }
}

/// Sends everything queued. Called by the timer and on page hide.
pub(crate) fn flush() {
    let (groups, timer) = BATCH.with(|b| {
        let mut b = b.borrow_mut();
        (std::mem::take(&mut b.groups), b.timer.take())
    });
    drop(timer);
    if groups.is_empty() {
        return;
    }
    let mut url = API.with(|a| a.borrow().clone());
    url.push_str("/api/v1/events");
    for (token, events) in groups {
        for chunk in events.chunks(MAX_PER_BODY) {
            bindings::beacon(&url, &body(&token, chunk));
        }
    }
}

/// Builds the JSON body by hand: token and ids are validated to `[A-Za-z0-9_-]` by the attribute
/// parser, kinds are constants, so nothing needs escaping and no serializer ships.
fn body(token: &str, events: &[Event]) -> String {
    let mut out = String::with_capacity(32 + events.len() * 40);
    out.push_str("{\"token\":\"");
    out.push_str(token);
    out.push_str("\",\"events\":[");
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"k\":\"");
        out.push_str(e.kind.as_str());
        out.push('"');
        if let Some(id) = &e.id {
            out.push_str(",\"id\":\"");
            out.push_str(id);
            out.push('"');
        }
        out.push_str(",\"n\":");
        push_u32(&mut out, e.n);
        if let Some(ms) = e.ms {
            out.push_str(",\"ms\":");
            push_u32(&mut out, ms);
        }
        out.push('}');
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_the_contract_json() {
        let events = [
            Event {
                kind: Kind::Load,
                id: None,
                n: 1,
                ms: Some(120),
            },
            Event {
                kind: Kind::View,
                id: Some("w1".into()),
                n: 3,
                ms: None,
            },
        ];
        let text = body("ck_pub_x", &events);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["token"], "ck_pub_x");
        assert_eq!(parsed["events"][0]["k"], "load");
        assert_eq!(parsed["events"][0]["ms"], 120);
        assert!(parsed["events"][0].get("id").is_none());
        assert_eq!(parsed["events"][1]["id"], "w1");
        assert_eq!(parsed["events"][1]["n"], 3);
    }
}
