//! The typed parse of a mount element's `data-ck-*` attributes.
//!
//! Pure Rust (no DOM): the caller reads the attributes and supplies a JSON parser, so the same
//! code is unit-tested on the host, fuzzed with cargo-fuzz and runs in the browser with
//! `JSON.parse`.

use crate::Value;

/// Largest accepted `data-ck-config`, in bytes. Inline config is for small overrides; the full
/// config comes from the manifest.
pub const MAX_INLINE_CONFIG: usize = 16 * 1024;
/// Most flags accepted in `data-ck-flags`.
pub const MAX_FLAGS: usize = 32;

/// The raw attribute values of one mount element (`None` = attribute absent).
#[derive(Clone, Copy, Debug, Default)]
pub struct RawAttrs<'a> {
    /// `data-ck-widget`.
    pub widget: Option<&'a str>,
    /// `data-ck-id`.
    pub id: Option<&'a str>,
    /// `data-ck-token`.
    pub token: Option<&'a str>,
    /// `data-ck-config`.
    pub config: Option<&'a str>,
    /// `data-ck-theme`.
    pub theme: Option<&'a str>,
    /// `data-ck-flags`.
    pub flags: Option<&'a str>,
    /// `data-ck-mode`.
    pub mode: Option<&'a str>,
}

/// Colour scheme requested by `data-ck-theme`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Theme {
    /// Follow `prefers-color-scheme` (the default).
    #[default]
    Auto,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    /// The attribute spelling: `auto`, `light` or `dark`.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// How a widget is shown, from `data-ck-mode`: in place, or presented (by the presenter the
/// embed build registered, see [`crate::Presenter`]) as a popup or a slide-in until opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Rendered where the mount point is (no `data-ck-mode`, the default).
    #[default]
    Inline,
    /// `popup`: a centred modal dialog.
    Popup,
    /// `slide`: a non-modal panel in the inline-end bottom corner.
    Slide,
}

/// A successfully parsed mount element.
#[derive(Clone, Debug, PartialEq)]
pub struct MountSpec {
    /// Widget type (`data-ck-widget`), as the registry spells it.
    pub widget: &'static str,
    /// Instance id (`data-ck-id`); with it the config manifest is fetched.
    pub id: Option<String>,
    /// Embed token: the element's, else the loader script's default.
    pub token: Option<String>,
    /// Inline config (`data-ck-config`), always an object when present.
    pub config: Option<Value>,
    /// Colour scheme.
    pub theme: Theme,
    /// Feature flags from `data-ck-flags`, normalised to `a,b,c` (no spaces); see
    /// [`has_flag`].
    pub flags: String,
    /// How it is shown (`data-ck-mode`).
    pub mode: Mode,
}

/// Why a mount element was rejected. [`AttrError::attribute`] and [`AttrError::reason`] give the
/// words of the console warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrError {
    /// `data-ck-widget` absent or empty.
    MissingWidget,
    /// `data-ck-widget` names no widget compiled into this embed.
    UnknownWidget,
    /// `data-ck-id` has characters outside `[A-Za-z0-9_-]` or is longer than 64.
    BadId,
    /// `data-ck-token` is not a public embed token (`ck_pub_…`).
    BadToken,
    /// `data-ck-id` given but no token on the element nor on the script.
    MissingToken,
    /// `data-ck-config` longer than [`MAX_INLINE_CONFIG`].
    ConfigTooLarge,
    /// `data-ck-config` is not valid JSON.
    ConfigInvalidJson,
    /// `data-ck-config` is JSON but not an object.
    ConfigNotObject,
    /// `data-ck-theme` is not `light`, `dark` or `auto`.
    BadTheme,
    /// A flag in `data-ck-flags` is empty, too long or has characters outside `[a-z0-9_.:-]`,
    /// or there are more than [`MAX_FLAGS`].
    BadFlags,
    /// `data-ck-mode` is not `popup` or `slide`, or the mount point has no `data-ck-id` to
    /// open it by.
    BadMode,
}

/// Attribute, code and reason of each [`AttrError`], in variant order: one table lookup instead
/// of three `match`es of string pairs in the wasm.
const ERRORS: [(&str, &str, &str); 11] = [
    (
        "data-ck-widget",
        "missing_widget",
        "required, names the widget type",
    ),
    (
        "data-ck-widget",
        "unknown_widget",
        "unknown widget type (not in this embed build)",
    ),
    (
        "data-ck-id",
        "bad_id",
        "must be 1-64 characters of A-Z a-z 0-9 _ -",
    ),
    (
        "data-ck-token",
        "bad_token",
        "must be a public embed token (ck_pub_...)",
    ),
    (
        "data-ck-token",
        "missing_token",
        "required with data-ck-id (on the element or the script)",
    ),
    ("data-ck-config", "config_too_large", "larger than 16 KB"),
    ("data-ck-config", "config_invalid_json", "invalid JSON"),
    (
        "data-ck-config",
        "config_not_object",
        "must be a JSON object",
    ),
    ("data-ck-theme", "bad_theme", "must be light, dark or auto"),
    (
        "data-ck-flags",
        "bad_flags",
        "comma list of up to 32 names of a-z 0-9 _ . : -",
    ),
    (
        "data-ck-mode",
        "bad_mode",
        "popup or slide, with a data-ck-id",
    ),
];

impl AttrError {
    /// The attribute at fault.
    pub fn attribute(self) -> &'static str {
        ERRORS[self as usize].0
    }

    /// A short machine-readable code (used in the `widget:error` event detail).
    pub fn code(self) -> &'static str {
        ERRORS[self as usize].1
    }

    /// Human-readable reason.
    pub fn reason(self) -> &'static str {
        ERRORS[self as usize].2
    }
}

fn is_ident(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Parses the attributes of one mount element.
///
/// `default_token` is the loader script's `data-ck-token`; `known` returns the registered
/// spelling of a widget type compiled in (`None` otherwise); `parse_json` turns JSON text into a [`Value`] (`None` if invalid).
///
/// ```
/// use ck_runtime::{parse_mount, RawAttrs, Theme, AttrError};
/// let json = |_: &str| Some(ck_runtime::Value::Obj(vec![]));
/// let attrs = RawAttrs { widget: Some("form"), theme: Some("dark"), ..Default::default() };
/// let known = |t: &str| (t == "form").then_some("form");
/// let spec = parse_mount(&attrs, None, known, json).unwrap();
/// assert_eq!(spec.theme, Theme::Dark);
///
/// let bad = RawAttrs { widget: Some("form"), theme: Some("blue"), ..Default::default() };
/// assert_eq!(parse_mount(&bad, None, known, json), Err(AttrError::BadTheme));
/// ```
pub fn parse_mount(
    attrs: &RawAttrs<'_>,
    default_token: Option<&str>,
    known: impl Fn(&str) -> Option<&'static str>,
    parse_json: impl FnOnce(&str) -> Option<Value>,
) -> Result<MountSpec, AttrError> {
    let widget = attrs.widget.map(str::trim_ascii).unwrap_or_default();
    if widget.is_empty() {
        return Err(AttrError::MissingWidget);
    }
    let widget = known(widget).ok_or(AttrError::UnknownWidget)?;

    let id = match attrs.id.map(str::trim_ascii) {
        None | Some("") => None,
        Some(id) if is_ident(id, 64) => Some(id.to_owned()),
        Some(_) => return Err(AttrError::BadId),
    };

    let token = match attrs.token.map(str::trim_ascii).filter(|t| !t.is_empty()) {
        Some(token) => Some(token),
        None => default_token.map(str::trim_ascii).filter(|t| !t.is_empty()),
    };
    let token = match token {
        None => None,
        Some(t) if t.starts_with("ck_pub_") && is_ident(t, 128) => Some(t.to_owned()),
        Some(_) => return Err(AttrError::BadToken),
    };
    if id.is_some() && token.is_none() {
        return Err(AttrError::MissingToken);
    }

    let config = match attrs.config {
        None => None,
        Some(text) if text.trim_ascii().is_empty() => None,
        Some(text) if text.len() > MAX_INLINE_CONFIG => return Err(AttrError::ConfigTooLarge),
        Some(text) => match parse_json(text) {
            None => return Err(AttrError::ConfigInvalidJson),
            Some(value @ Value::Obj(_)) => Some(value),
            Some(_) => return Err(AttrError::ConfigNotObject),
        },
    };

    let theme = match attrs.theme.map(str::trim_ascii) {
        None | Some("") | Some("auto") => Theme::Auto,
        Some("light") => Theme::Light,
        Some("dark") => Theme::Dark,
        Some(_) => return Err(AttrError::BadTheme),
    };

    let flags = match attrs.flags {
        None => String::new(),
        Some(list) => parse_flags(list).ok_or(AttrError::BadFlags)?,
    };

    let mode = match attrs.mode.map(str::trim_ascii) {
        None | Some("") => Mode::Inline,
        Some("popup") if id.is_some() => Mode::Popup,
        Some("slide") if id.is_some() => Mode::Slide,
        Some(_) => return Err(AttrError::BadMode),
    };

    Ok(MountSpec {
        widget,
        id,
        token,
        config,
        theme,
        flags,
        mode,
    })
}

/// `"a, b,c"` → `"a,b,c"`; an empty list is fine, an empty item is not. One `String` instead
/// of a `Vec<String>`, and a byte split instead of `str::split` (whose char searcher ships
/// memchr): both measurably smaller in the wasm.
fn parse_flags(list: &str) -> Option<String> {
    let mut flags = String::new();
    if list.trim_ascii().is_empty() {
        return Some(flags);
    }
    for (count, item) in list.as_bytes().split(|&b| b == b',').enumerate() {
        let flag = item.trim_ascii();
        let valid = !flag.is_empty()
            && flag.len() <= 40
            && flag.iter().all(|&b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'_' | b'.' | b':' | b'-')
            });
        if !valid || count == MAX_FLAGS {
            return None;
        }
        if !flags.is_empty() {
            flags.push(',');
        }
        // Only ASCII passed the check above, so each byte is its char. Pushed one by one:
        // `str::from_utf8` would bring UTF-8 validation and its table (−376 B gzip).
        for &b in flag {
            flags.push(b as char);
        }
    }
    Some(flags)
}

/// Whether the normalised flag list `flags` (see [`MountSpec::flags`]) contains `name`.
///
/// ```
/// assert!(ck_runtime::has_flag("beta,new-ui", "new-ui"));
/// assert!(!ck_runtime::has_flag("beta,new-ui", "new"));
/// ```
pub fn has_flag(flags: &str, name: &str) -> bool {
    !name.is_empty()
        && flags
            .as_bytes()
            .split(|&b| b == b',')
            .any(|f| f == name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Option<Value> {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .map(|v| from_serde(&v))
    }

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

    fn parse(attrs: RawAttrs<'_>) -> Result<MountSpec, AttrError> {
        parse_mount(&attrs, None, known, json)
    }

    fn known(t: &str) -> Option<&'static str> {
        ["form", "announcement"].into_iter().find(|k| *k == t)
    }

    fn form() -> RawAttrs<'static> {
        RawAttrs {
            widget: Some("form"),
            ..Default::default()
        }
    }

    #[test]
    fn minimal_valid() {
        let spec = parse(form()).unwrap();
        assert_eq!(spec.widget, "form");
        assert_eq!(spec.theme, Theme::Auto);
        assert!(spec.id.is_none() && spec.token.is_none() && spec.config.is_none());
        assert!(spec.flags.is_empty());
    }

    #[test]
    fn full_valid() {
        let spec = parse(RawAttrs {
            widget: Some(" form "),
            id: Some("wi_123-abc"),
            token: Some("ck_pub_AbC123"),
            config: Some(r#"{"title":"Hello","fields":[{"name":"email"}]}"#),
            theme: Some("dark"),
            flags: Some("beta, new-ui,x.y:z"),
            mode: Some(" popup "),
        })
        .unwrap();
        assert_eq!(spec.mode, Mode::Popup);
        assert_eq!(spec.id.as_deref(), Some("wi_123-abc"));
        assert_eq!(spec.token.as_deref(), Some("ck_pub_AbC123"));
        assert_eq!(spec.theme, Theme::Dark);
        assert_eq!(spec.flags, "beta,new-ui,x.y:z");
        assert!(has_flag(&spec.flags, "x.y:z") && !has_flag(&spec.flags, "beta,new-ui"));
        let config = spec.config.unwrap();
        assert_eq!(config.get("title").as_str(), Some("Hello"));
    }

    #[test]
    fn default_token_from_script_and_element_wins() {
        let with_id = RawAttrs {
            id: Some("w1"),
            ..form()
        };
        let spec = parse_mount(&with_id, Some("ck_pub_script"), known, json).unwrap();
        assert_eq!(spec.token.as_deref(), Some("ck_pub_script"));
        let own = RawAttrs {
            token: Some("ck_pub_own"),
            ..with_id
        };
        let spec = parse_mount(&own, Some("ck_pub_script"), known, json).unwrap();
        assert_eq!(spec.token.as_deref(), Some("ck_pub_own"));
    }

    #[test]
    fn widget_type_errors() {
        assert_eq!(parse(RawAttrs::default()), Err(AttrError::MissingWidget));
        assert_eq!(
            parse(RawAttrs {
                widget: Some("  "),
                ..form()
            }),
            Err(AttrError::MissingWidget)
        );
        assert_eq!(
            parse(RawAttrs {
                widget: Some("carousel"),
                ..form()
            }),
            Err(AttrError::UnknownWidget)
        );
    }

    #[test]
    fn id_and_token_errors() {
        for id in ["a b", "<script>", &"x".repeat(65)] {
            let attrs = RawAttrs {
                id: Some(id),
                token: Some("ck_pub_x"),
                ..form()
            };
            assert_eq!(parse(attrs), Err(AttrError::BadId), "{id}");
        }
        for token in ["secret", "ck_sec_abc", "ck_pub_a b"] {
            let attrs = RawAttrs {
                token: Some(token),
                ..form()
            };
            assert_eq!(parse(attrs), Err(AttrError::BadToken), "{token}");
        }
        let attrs = RawAttrs {
            id: Some("w1"),
            ..form()
        };
        assert_eq!(parse(attrs), Err(AttrError::MissingToken));
    }

    #[test]
    fn config_errors() {
        let cases = [
            ("{oops", AttrError::ConfigInvalidJson),
            ("{\"a\":1,}", AttrError::ConfigInvalidJson),
            ("[1,2]", AttrError::ConfigNotObject),
            ("\"str\"", AttrError::ConfigNotObject),
            ("null", AttrError::ConfigNotObject),
        ];
        for (text, want) in cases {
            let attrs = RawAttrs {
                config: Some(text),
                ..form()
            };
            assert_eq!(parse(attrs), Err(want), "{text}");
            assert_eq!(want.attribute(), "data-ck-config");
        }
        let huge = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_INLINE_CONFIG));
        let attrs = RawAttrs {
            config: Some(&huge),
            ..form()
        };
        assert_eq!(parse(attrs), Err(AttrError::ConfigTooLarge));
        let blank = RawAttrs {
            config: Some("  "),
            ..form()
        };
        assert_eq!(parse(blank).unwrap().config, None);
    }

    #[test]
    fn theme_values() {
        for (text, want) in [
            ("light", Theme::Light),
            ("dark", Theme::Dark),
            ("auto", Theme::Auto),
            ("", Theme::Auto),
        ] {
            let attrs = RawAttrs {
                theme: Some(text),
                ..form()
            };
            assert_eq!(parse(attrs).unwrap().theme, want);
        }
        for text in ["Dark", "blue", "light dark"] {
            let attrs = RawAttrs {
                theme: Some(text),
                ..form()
            };
            assert_eq!(parse(attrs), Err(AttrError::BadTheme));
        }
    }

    #[test]
    fn flag_errors() {
        let too_many = vec!["f"; MAX_FLAGS + 1].join(",");
        for list in ["a,,b", "UPPER", "sp ace", ",", &too_many, &"x".repeat(41)] {
            let attrs = RawAttrs {
                flags: Some(list),
                ..form()
            };
            assert_eq!(parse(attrs), Err(AttrError::BadFlags), "{list}");
        }
        let empty = RawAttrs {
            flags: Some(" "),
            ..form()
        };
        assert!(parse(empty).unwrap().flags.is_empty());
    }

    #[test]
    fn mode_values() {
        let with_id = |mode| RawAttrs {
            id: Some("w1"),
            token: Some("ck_pub_x"),
            mode: Some(mode),
            ..form()
        };
        for (text, want) in [
            ("popup", Ok(Mode::Popup)),
            ("slide", Ok(Mode::Slide)),
            ("", Ok(Mode::Inline)),
            ("Popup", Err(AttrError::BadMode)),
            ("modal", Err(AttrError::BadMode)),
            ("inline", Err(AttrError::BadMode)),
        ] {
            assert_eq!(parse(with_id(text)).map(|s| s.mode), want, "{text}");
        }
        assert_eq!(parse(form()).unwrap().mode, Mode::Inline);
        // Nothing to open it by without an instance id.
        let no_id = RawAttrs {
            mode: Some("popup"),
            ..form()
        };
        assert_eq!(parse(no_id), Err(AttrError::BadMode));
    }

    #[test]
    fn every_error_names_an_attribute_and_reason() {
        use AttrError::*;
        for e in [
            MissingWidget,
            UnknownWidget,
            BadId,
            BadToken,
            MissingToken,
            ConfigTooLarge,
            ConfigInvalidJson,
            ConfigNotObject,
            BadTheme,
            BadFlags,
            BadMode,
        ] {
            assert!(e.attribute().starts_with("data-ck-"));
            assert!(!e.reason().is_empty() && !e.code().is_empty());
        }
        // The table is indexed by variant: spot-check that the rows line up.
        assert_eq!(MissingWidget.code(), "missing_widget");
        assert_eq!(BadId.attribute(), "data-ck-id");
        assert_eq!(MissingToken.attribute(), "data-ck-token");
        assert_eq!(ConfigNotObject.code(), "config_not_object");
        assert_eq!(BadFlags.attribute(), "data-ck-flags");
        assert_eq!(BadTheme.reason(), "must be light, dark or auto");
        assert_eq!(BadMode.code(), "bad_mode");
    }
}
