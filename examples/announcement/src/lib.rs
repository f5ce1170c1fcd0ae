//! An announcement bar with a live countdown: a Clickeen widget written the way an outside
//! author writes one, using only the public SDK (`ck_runtime`: `dom`, `fmt`, `Timer`, `Instance::emit`) and `ck-icons`.
//!
//! ```html
//! <div data-ck-widget="announcement"
//!      data-ck-config='{"message":"Spring sale: 20% off","ends_at":"2030-04-01T00:00:00Z",
//!                       "link":{"url":"https://example.com/sale","label":"Shop now"}}'></div>
//! ```
//!
//! Config keys: `message` (required), `ends_at` (UTC `YYYY-MM-DDTHH:MM[:SS]Z` or epoch
//! milliseconds), `countdown_label` (default "Ends in"), `ended_message` (replaces `message`
//! when the countdown is over), `link` (`{"url": "https://…", "label": "…"}`), `dismissible`
//! (default `true`). Events: `announcement:ended`, `announcement:dismissed`, detail
//! `{id, widget, element}` (`Instance::emit`).

use std::cell::Cell;
use std::rc::Rc;

use ck_runtime::dom::{self, Listener};
use ck_runtime::js_sys;
use ck_runtime::wasm_bindgen::JsValue;
use ck_runtime::{fmt, ConfigError, MountCtx, Timer, Value, Widget};

/// The widget type: register it with `Registry::new().with::<Announcement>()`.
pub struct Announcement;

/// The parsed config.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The announcement text.
    pub message: String,
    /// When the countdown reaches zero (ms since the Unix epoch, UTC).
    pub ends_at: Option<f64>,
    /// Text in front of the countdown.
    pub countdown_label: String,
    /// Shown instead of `message` once the countdown is over.
    pub ended_message: Option<String>,
    /// Optional call to action: (url, label).
    pub link: Option<(String, String)>,
    /// Whether the visitor may close the bar.
    pub dismissible: bool,
}

/// What a mounted bar keeps alive. Dropping it stops the timer and removes the listener.
pub struct Mounted {
    _tick: Option<Timer>,
    _dismiss: Option<Listener>,
}

/// The bar's stylesheet (`src/announcement.css`, one rule per line, joined by `build.rs`).
const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/announcement.css"));
/// The dieter tokens `announcement.css` reads and no others (light, dark, `data-ck-theme`), cut
/// from the full theme by `build.rs` with `dieter_tokens::subset`.
const THEME: &str = include_str!(concat!(env!("OUT_DIR"), "/announcement_theme.css"));

impl Widget for Announcement {
    const TYPE: &'static str = "announcement";
    type Config = Config;
    type Mounted = Mounted;

    fn styles() -> &'static [&'static str] {
        // Only the dieter tokens CSS reads (`build.rs`). The simplest choice for an author is
        // every token, `ck_runtime::dieter_tokens::css::THEME`, at ~0.4 KB gzip more.
        &[THEME, CSS]
    }

    fn parse_config(config: &Value) -> Result<Config, ConfigError> {
        parse(config)
    }

    fn mount(ctx: MountCtx<Config>) -> Result<Mounted, JsValue> {
        let (config, instance) = ctx.into_parts();
        // The SDK's cheap builders (`make`/`add`/`add_text`/`put`/`set`): static attributes as
        // one string, config text through `textContent` or `set`, no `Result` per step.
        let bar = dom::make("div", "class=bar role=region aria-label=Announcement");
        let message = dom::add_text(&bar, "p", "class=msg", &config.message);

        let mut tick = None;
        if let Some(ends_at) = config.ends_at {
            // role=timer is polite-off by default: the value changes every second and must not
            // be read out every second.
            let countdown = dom::add(&bar, "span", "class=cd role=timer");
            dom::put(&countdown, &dom::icon(&ck_icons::CLOCK, None)?);
            dom::add_text(&countdown, "span", "", &config.countdown_label);
            let time = dom::add(&countdown, "time", "");

            let ended = Rc::new(Cell::new(false));
            let update = {
                let (instance, ended) = (instance.clone(), ended.clone());
                let ended_message = config.ended_message.clone();
                move || {
                    if ended.get() {
                        return;
                    }
                    let left = ends_at - js_sys::Date::now();
                    dom::set_text(&time, &countdown_text(left));
                    if left <= 0.0 {
                        ended.set(true);
                        if let Some(text) = &ended_message {
                            dom::set_text(&message, text);
                        }
                        dom::set(&countdown, "hidden", "");
                        instance.emit("announcement:ended", &[]);
                    }
                }
            };
            update();
            if !ended.get() {
                tick = Some(Timer::every(1000, update));
            }
        }

        if let Some((url, label)) = &config.link {
            let link = dom::add_text(&bar, "a", "", label);
            dom::set(&link, "href", url);
        }

        let mut dismiss = None;
        if config.dismissible {
            let button = dom::add(&bar, "button", "type=button");
            dom::set(&button, "aria-label", "Dismiss announcement");
            dom::put(&button, &dom::icon(&ck_icons::CLOSE, None)?);
            let (instance, bar) = (instance.clone(), bar.clone());
            dismiss = Some(dom::listen(&button, "click", move |_| {
                dom::set(&bar, "hidden", "");
                instance.metric_interaction("dismiss");
                instance.emit("announcement:dismissed", &[]);
            })?);
        }

        dom::put(instance.root(), &bar);
        Ok(Mounted {
            _tick: tick,
            _dismiss: dismiss,
        })
    }
}

/// Parses the config; every error names its key.
pub fn parse(config: &Value) -> Result<Config, ConfigError> {
    let message = match config.get("message") {
        Value::Str(s) if !s.trim().is_empty() && s.chars().count() <= 300 => s.clone(),
        _ => return Err(ConfigError::new("message", "required, 1-300 characters")),
    };
    let ends_at =
        match config.get("ends_at") {
            Value::Null => None,
            Value::Num(ms) if ms.is_finite() => Some(*ms),
            Value::Str(s) => Some(parse_utc(s).ok_or_else(|| {
                ConfigError::new("ends_at", "must be UTC like 2030-04-01T00:00:00Z")
            })?),
            _ => {
                return Err(ConfigError::new(
                    "ends_at",
                    "must be a date string or epoch ms",
                ))
            }
        };
    let text = |key: &'static str, default: Option<&str>| match config.get(key) {
        Value::Null => Ok(default.map(String::from)),
        Value::Str(s) if s.chars().count() <= 300 => Ok(Some(s.clone())),
        _ => Err(ConfigError::new(
            key,
            "must be a string of at most 300 characters",
        )),
    };
    let link = match config.get("link") {
        Value::Null => None,
        link => {
            let url = link.get("url").as_str().unwrap_or("");
            let label = link.get("label").as_str().unwrap_or("");
            let lower = url.to_ascii_lowercase();
            if !(lower.starts_with("https://") || lower.starts_with("http://"))
                || url.contains(char::is_whitespace)
            {
                return Err(ConfigError::new("link.url", "must be an http(s) URL"));
            }
            if label.trim().is_empty() {
                return Err(ConfigError::new("link.label", "required"));
            }
            Some((url.to_owned(), label.to_owned()))
        }
    };
    let dismissible = match config.get("dismissible") {
        Value::Null => true,
        Value::Bool(b) => *b,
        _ => return Err(ConfigError::new("dismissible", "must be true or false")),
    };
    Ok(Config {
        message,
        ends_at,
        countdown_label: text("countdown_label", Some("Ends in"))?.unwrap_or_default(),
        ended_message: text("ended_message", None)?,
        link,
        dismissible,
    })
}

/// `YYYY-MM-DDTHH:MM[:SS]Z` → epoch ms. Just enough date handling for a config value; no
/// date crate in the wasm.
fn parse_utc(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let seconds_len = match b.len() {
        17 => 0,
        20 => 3,
        _ => return None,
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[b.len() - 1] != b'Z' {
        return None;
    }
    if seconds_len == 3 && b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute) = (num(11, 2)?, num(14, 2)?);
    let second = if seconds_len == 3 { num(17, 2)? } else { 0 };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000) as f64)
}

/// `2d 03:04:05`, or `03:04:05` under a day; `00:00:00` once over.
pub fn countdown_text(ms_left: f64) -> String {
    let total = if ms_left > 0.0 {
        (ms_left / 1000.0).ceil() as u64
    } else {
        0
    };
    let (days, hours, minutes, seconds) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    let mut out = String::new();
    if days > 0 {
        fmt::push_u32(&mut out, days as u32);
        out.push_str("d ");
    }
    for (i, part) in [hours, minutes, seconds].into_iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        fmt::push_u32_padded(&mut out, part as u32, 2);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(members: &[(&str, Value)]) -> Value {
        Value::Obj(
            members
                .iter()
                .map(|(k, v)| ((*k).into(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn parses_a_full_config() {
        let config = parse(&obj(&[
            ("message", Value::Str("Sale".into())),
            ("ends_at", Value::Str("2030-04-01T12:30:15Z".into())),
            (
                "link",
                obj(&[
                    ("url", Value::Str("https://example.com".into())),
                    ("label", Value::Str("Shop".into())),
                ]),
            ),
            ("dismissible", Value::Bool(false)),
        ]))
        .expect("valid");
        assert_eq!(config.ends_at, Some(1_901_277_015_000.0));
        assert_eq!(config.countdown_label, "Ends in");
        assert_eq!(config.link.as_ref().map(|l| l.1.as_str()), Some("Shop"));
        assert!(!config.dismissible);
    }

    #[test]
    fn rejects_bad_configs_naming_the_key() {
        let cases = [
            (obj(&[]), "message"),
            (
                obj(&[
                    ("message", Value::Str("x".into())),
                    ("ends_at", Value::Str("tomorrow".into())),
                ]),
                "ends_at",
            ),
            (
                obj(&[
                    ("message", Value::Str("x".into())),
                    (
                        "link",
                        obj(&[("url", Value::Str("javascript:alert(1)".into()))]),
                    ),
                ]),
                "link.url",
            ),
            (
                obj(&[
                    ("message", Value::Str("x".into())),
                    ("dismissible", Value::Str("no".into())),
                ]),
                "dismissible",
            ),
        ];
        for (value, path) in cases {
            assert_eq!(parse(&value).expect_err("invalid").path, path);
        }
    }

    #[test]
    fn utc_dates() {
        assert_eq!(parse_utc("1970-01-01T00:00Z"), Some(0.0));
        assert_eq!(parse_utc("2000-03-01T00:00:00Z"), Some(951_868_800_000.0));
        assert_eq!(parse_utc("2024-02-29T23:59:59Z"), Some(1_709_251_199_000.0));
        for bad in [
            "2024-13-01T00:00Z",
            "2024-01-01 00:00Z",
            "2024-01-01T00:00",
            "24-01-01T00:00Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn countdown_formatting() {
        assert_eq!(countdown_text(0.0), "00:00:00");
        assert_eq!(countdown_text(-5.0), "00:00:00");
        assert_eq!(countdown_text(999.0), "00:00:01");
        assert_eq!(countdown_text(3_723_000.0), "01:02:03");
        assert_eq!(countdown_text(2.0 * 86_400_000.0 + 5_000.0), "2d 00:00:05");
    }
}
