//! The usage pixel and its event [`Kind`]: counts batched per token and sent fire-and-forget to `POST {api}/api/v1/events`.
//!
//! Sent (by js/net.js `ckMetric`, which batches) 3 s after the first event of a batch, and at once when the page is hidden or left
//! (`visibilitychange`/`pagehide`), or when a body holds the 100 events the server accepts, via `sendBeacon`
//! with a `fetch(keepalive)` fallback. No cookies, no visitor input: only the event kind, the
//! instance id (a public id), a count and a duration.

use crate::bindings;
use crate::util::push_u32;

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

/// Queues one event. Without a token there is nobody to count it for, so it is dropped.
/// Batching and sending are js/net.js `ckMetric`'s (a string, a counter and a timer cost fewer
/// bytes in JS than behind wasm imports); the event is rendered here.
pub(crate) fn record(token: Option<&str>, kind: Kind, id: Option<&str>, ms: Option<f64>) {
    let Some(token) = token else { return };
    let mut event = String::new();
    push_event(&mut event, kind, id, ms);
    bindings::metric("/api/v1/events", token, &event);
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

/// The pixel's body as js/net.js `ckMetric` assembles it from `events` (comma-separated
/// [`push_event`] objects); here for the contract test.
#[cfg(test)]
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
