//! `cargo +nightly fuzz run parse_mount` (from runtime/): the attribute parser must never panic,
//! and whatever it accepts must satisfy its documented invariants.
#![no_main]

use ck_runtime::{parse_mount, RawAttrs, Value, MAX_FLAGS, MAX_INLINE_CONFIG};
use libfuzzer_sys::fuzz_target;

fn from_serde(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Num(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => Value::Arr(a.iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => {
            Value::Obj(o.iter().map(|(k, v)| (k.clone(), from_serde(v))).collect())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // Seven attributes and a default token, separated by 0xFF bytes; absent when missing.
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\u{FFFD}');
    let mut next = || parts.next().filter(|p| !p.starts_with('\u{1}'));
    let (widget, id, token, config, theme, flags, mode, default) = (
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
    );
    let attrs = RawAttrs {
        widget,
        id,
        token,
        config,
        theme,
        flags,
        mode,
    };
    let json = |t: &str| {
        serde_json::from_str::<serde_json::Value>(t)
            .ok()
            .map(|v| from_serde(&v))
    };
    if let Ok(spec) = parse_mount(
        &attrs,
        default,
        |t| ["form", "announcement"].into_iter().find(|k| *k == t),
        json,
    ) {
        assert!(spec.widget == "form" || spec.widget == "announcement");
        assert!(spec.flags.split(',').count() <= MAX_FLAGS);
        if let Some(config) = &spec.config {
            assert!(matches!(config, Value::Obj(_)));
            assert!(attrs.config.is_some_and(|c| c.len() <= MAX_INLINE_CONFIG));
        }
        if spec.id.is_some() {
            assert!(spec.token.is_some());
        }
        if spec.mode != ck_runtime::Mode::Inline {
            assert!(spec.id.is_some());
        }
        if let Some(token) = &spec.token {
            assert!(token.starts_with("ck_pub_"));
        }
    }
});
