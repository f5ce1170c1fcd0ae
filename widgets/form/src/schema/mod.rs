//! The form's config: its shape, the check every mount runs, and (feature `validate`, which the
//! server enables) the typed config with the full rules plus the validation of submissions. No
//! DOM code: the server links this module (`ck-form` with `default-features = false`).
//!
//! # Config (JSON, snake_case keys)
//! ```json
//! {
//!   "title": "Contact us",
//!   "description": "We answer within a day.",
//!   "fields": [
//!     {"type": "text", "name": "name", "label": "Your name", "required": true, "max_length": 80},
//!     {"type": "email", "name": "email", "label": "Email", "required": true,
//!      "autocomplete": "email"},
//!     {"type": "select", "name": "topic", "label": "Topic",
//!      "options": ["Sales", {"value": "support", "label": "Support"}]},
//!     {"type": "number", "name": "seats", "label": "Seats", "min": 1, "max": 500},
//!     {"type": "text", "name": "zip", "label": "Postcode", "pattern": "\\d{5}"},
//!     {"type": "checkbox", "name": "agree", "label": "I agree to the terms", "required": true},
//!     {"type": "hidden", "name": "source", "value": "pricing-page"}
//!   ],
//!   "submit_label": "Send",
//!   "success_message": "Thanks! We'll be in touch.",
//!   "redirect_url": "https://example.com/thanks",
//!   "min_fill_ms": 1500
//! }
//! ```
//! Unknown keys inside a field are an error (a typo such as `requried` must not silently make a
//! field optional); unknown top-level keys are ignored so other tools may annotate a config.
//!
//! Two checks, one a subset of the other:
//! - [`check`] runs in the browser on every mount. It rejects what the widget cannot render
//!   correctly or safely: wrong JSON types, unknown field keys, unknown `type`, bad or duplicate
//!   `name`, a visible field without `label`, options that are not options, a `redirect_url`
//!   that is not `http(s)`. Anything it rejects, the server rejects too.
//! - `FormConfig::parse` (feature `validate`) adds every limit and consistency rule (lengths,
//!   control characters, `min` ≤ `max`, where each key applies, unique option values,
//!   `autocomplete` tokens) and compiles `pattern` (a small linear-time subset of regular
//!   expressions, `Pattern`). The server runs it when a config is saved and before it checks a
//!   submission. The browser checks `pattern` through the input's own `pattern` attribute.

#[cfg(feature = "validate")]
mod config;
#[cfg(feature = "validate")]
mod pattern;
#[cfg(feature = "validate")]
mod validate;

use std::string::String;

pub use ck_runtime::ConfigError;
use ck_runtime::Value;

#[cfg(feature = "validate")]
pub(crate) use config::char_len;
#[cfg(feature = "validate")]
pub use config::{Choice, Field, FieldError, FormConfig};
#[cfg(feature = "validate")]
pub use pattern::Pattern;

/// Name of the honeypot input: visually hidden, skipped by keyboard and assistive technology,
/// and left empty by people. Its value is sent as the submission's `hp`; the server rejects the
/// submission when it is not empty. Field names starting with `ck_` are reserved for this.
pub const HONEYPOT_FIELD: &str = "ck_website";

/// Maximum number of fields in one form.
pub const MAX_FIELDS: usize = 50;
/// Default minimum time between render and submit; faster submissions are treated as bots.
pub const DEFAULT_MIN_FILL_MS: u32 = 1500;
/// Longest value any field accepts; `max_length` may not exceed it.
pub const MAX_VALUE_LENGTH: u32 = 10_000;

/// The submit button's text when the config has no `submit_label`.
pub const DEFAULT_SUBMIT_LABEL: &str = "Send";
/// What replaces the form after a successful submit when the config has no `success_message`.
pub const DEFAULT_SUCCESS_MESSAGE: &str = "Thank you! Your message has been sent.";
const MAX_TEXT: usize = 2000;

/// The kind of a field; the `type` key of a field in the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Single-line text.
    Text,
    /// An email address.
    Email,
    /// A phone number (digits, spaces and `+-().`).
    Tel,
    /// An `http`/`https` URL.
    Url,
    /// A number, optionally bounded by `min`/`max`.
    Number,
    /// Multi-line text.
    Textarea,
    /// One choice from a drop-down list of `options`.
    Select,
    /// A single yes/no box; `required` means it must be ticked.
    Checkbox,
    /// One choice from a group of radio buttons (`options`).
    Radio,
    /// A value set by the config (`value`), not shown to the visitor.
    Hidden,
}

impl FieldKind {
    /// The config name of this kind (`"text"`, `"email"`, …), also the HTML input type where one exists.
    pub fn as_str(self) -> &'static str {
        KINDS[self as usize].0
    }

    /// The kind called `name` in a config.
    pub(crate) fn parse(name: &str) -> Option<FieldKind> {
        for &(known, kind) in &KINDS {
            if known == name {
                return Some(kind);
            }
        }
        None
    }

    /// The `max_length` of a text kind without one (`None`: no length limits apply).
    pub fn default_max_length(self) -> Option<u32> {
        match self {
            FieldKind::Textarea => Some(5000),
            _ if self.is_text() => Some(500),
            _ => None,
        }
    }

    /// True for kinds whose value is free text (length limits apply).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            FieldKind::Text
                | FieldKind::Email
                | FieldKind::Tel
                | FieldKind::Url
                | FieldKind::Textarea
                | FieldKind::Hidden
        )
    }
}

/// Every kind by name, in declaration order (`as_str` indexes it): one table serves both
/// directions, where two `match`es on strings would each compile to their own comparisons.
const KINDS: [(&str, FieldKind); 10] = [
    ("text", FieldKind::Text),
    ("email", FieldKind::Email),
    ("tel", FieldKind::Tel),
    ("url", FieldKind::Url),
    ("number", FieldKind::Number),
    ("textarea", FieldKind::Textarea),
    ("select", FieldKind::Select),
    ("checkbox", FieldKind::Checkbox),
    ("radio", FieldKind::Radio),
    ("hidden", FieldKind::Hidden),
];

/// The JSON type a config key must have (`null` always counts as absent).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Json {
    Bool,
    Num,
    Str,
    Arr,
    Obj,
}

impl Json {
    fn of(value: &Value) -> Option<Json> {
        Some(match value {
            Value::Bool(_) => Json::Bool,
            Value::Num(_) => Json::Num,
            Value::Str(_) => Json::Str,
            Value::Arr(_) => Json::Arr,
            Value::Obj(_) => Json::Obj,
            Value::Null => return None,
        })
    }

    fn expected(self) -> &'static str {
        [
            "must be true or false",
            "must be a number",
            "must be a string",
            "must be an array",
            "must be an object",
        ][self as usize]
    }
}

/// Every key a field may have, with its JSON type.
pub(crate) const FIELD_KEYS: [(&str, Json); 14] = [
    ("type", Json::Str),
    ("name", Json::Str),
    ("label", Json::Str),
    ("placeholder", Json::Str),
    ("required", Json::Bool),
    ("min_length", Json::Num),
    ("max_length", Json::Num),
    ("min", Json::Num),
    ("max", Json::Num),
    ("pattern", Json::Str),
    ("options", Json::Arr),
    ("autocomplete", Json::Str),
    ("value", Json::Str),
    // The page URL's query parameters that may prefill the field, by name (never all of them).
    ("query", Json::Arr),
];

/// The top-level keys this widget reads (others are ignored), with their JSON type.
const TOP_KEYS: [(&str, Json); 8] = [
    ("title", Json::Str),
    ("description", Json::Str),
    ("submit_label", Json::Str),
    ("success_message", Json::Str),
    ("redirect_url", Json::Str),
    ("min_fill_ms", Json::Num),
    ("strings", Json::Obj),
    ("brand", Json::Obj),
];

/// The keys of the config's `strings` object, in the order of the widget's string table: every
/// built-in text the visitor may see besides `submit_label` and `success_message`. Each defaults
/// to the page's language (`lang` of the mount point or its closest ancestor, else of the
/// document) where the widget has it (en, es, fr, de, pt, nl), else English.
pub const STRING_KEYS: [&str; 16] = [
    "invalid",
    "sending",
    "failed",
    "rejected",
    "choose",
    "required",
    "required_checkbox",
    "required_choice",
    "invalid_email",
    "invalid_url",
    "not_a_number",
    "too_small",
    "too_large",
    "pattern",
    "too_long",
    "too_short",
];

/// Largest `brand.radius`, in CSS pixels.
pub const MAX_RADIUS: f64 = 32.0;

/// The keys of `brand` with their paths and reasons.
#[cfg(feature = "validate")]
const BRAND: [(&str, &str, &str); 3] = [
    ("accent", "brand.accent", "must be #rgb or #rrggbb"),
    (
        "radius",
        "brand.radius",
        "must be a whole number of pixels from 0 to 32",
    ),
    (
        "font",
        "brand.font",
        "must be font names separated by commas (letters, digits, spaces, - and _)",
    ),
];

/// `brand`: accent colour, corner radius, font stack, checked strictly when a config is saved
/// (the server, the builder). The embed does not repeat it: the widget sets the values through
/// the CSSOM (`dom::adopt_vars`), where no value can become another declaration, and skips any
/// with a character outside `[A-Za-z0-9_ #,-]` (no quotes, `;`, braces or `url(`), so an unsaved
/// inline config renders harmlessly.
#[cfg(feature = "validate")]
pub(crate) fn check_brand(brand: &Value) -> Result<(), Bad<'static>> {
    let Value::Obj(members) = brand else {
        return Ok(());
    };
    'members: for (key, value) in members {
        for (index, &(name, path, reason)) in BRAND.iter().enumerate() {
            if name == key {
                let text = value.as_str().unwrap_or_default();
                let ok = value.is_null()
                    || match index {
                        0 => is_hex_colour(text),
                        1 => value
                            .as_f64()
                            .is_some_and(|n| n.fract() == 0.0 && (0.0..=MAX_RADIUS).contains(&n)),
                        _ => is_font_stack(text),
                    };
                if !ok {
                    return Err(Bad(path, reason));
                }
                continue 'members;
            }
        }
        return Err(Bad("brand", "unknown key"));
    }
    Ok(())
}

/// `#rgb` or `#rrggbb`.
#[cfg(feature = "validate")]
pub(crate) fn is_hex_colour(text: &str) -> bool {
    let bytes = text.as_bytes();
    matches!(bytes.len(), 4 | 7) && bytes[0] == b'#' && bytes[1..].iter().all(u8::is_ascii_hexdigit)
}

#[cfg(feature = "validate")]
/// A CSS font stack without quotes: at most 200 bytes of letters, digits, spaces, `-`, `_` and
/// commas, every family starting with a letter (an identifier), so it can never leave its value.
pub(crate) fn is_font_stack(text: &str) -> bool {
    // `start`: waiting for the first letter of a family. One pass, no `split` (its searcher
    // costs the embed more than this loop).
    let mut start = true;
    for &b in text.as_bytes() {
        match b {
            b',' if start => return false,
            b',' => start = true,
            b' ' => {}
            _ if start && b.is_ascii_alphabetic() => start = false,
            _ if start || !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => return false,
            _ => {}
        }
    }
    !start && text.len() <= 200
}

/// The check the embed runs on every mount: what the widget relies on to render correctly and
/// safely (see the module docs). It is a subset of what the server's `FormConfig::parse`
/// enforces, so a config the server stored always mounts; its reasons are short, the path
/// always names the offending key.
///
/// ```
/// use ck_runtime::Value;
/// let field = Value::Obj(vec![
///     ("type".into(), Value::Str("email".into())),
///     ("name".into(), Value::Str("email".into())),
///     ("requried".into(), Value::Bool(true)),
/// ]);
/// let config = Value::Obj(vec![("fields".into(), Value::Arr(vec![field]))]);
/// assert_eq!(ck_form::schema::check(&config).unwrap_err().path, "fields[0].requried");
/// ```
pub fn check(config: &Value) -> Result<(), ConfigError> {
    walk(config, &mut ())
}

/// What [`walk`] hands on as it checks a config, in document order. The widget builds its DOM
/// from it in the same pass, so the browser reads the config JSON once and keeps no copy of it;
/// [`check`] ignores it.
pub(crate) trait Visit {
    /// The top-level keys are fine; the fields follow.
    fn start(&mut self, config: &Value);
    /// One field, fully checked (options included).
    fn field(&mut self, kind: FieldKind, name: &str, field: &Value);
}

impl Visit for () {
    fn start(&mut self, _: &Value) {}
    fn field(&mut self, _: FieldKind, _: &str, _: &Value) {}
}

/// [`check`], telling `visit` about every part that passed.
pub(crate) fn walk(config: &Value, visit: &mut impl Visit) -> Result<(), ConfigError> {
    if !matches!(config, Value::Obj(_)) {
        return Err(fail(None, "", "must be an object"));
    }
    if let Err(bad) = check_keys(config, &TOP_KEYS, false) {
        return Err(top(bad));
    }
    if let Some(url) = config.get("redirect_url").as_str() {
        if !is_http_url(url) {
            return Err(fail(None, "redirect_url", "must be an http(s) URL"));
        }
    }
    let fields = fields(config);
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        return Err(fail(None, "fields", "must be an array of 1 to 50 fields"));
    }
    visit.start(config);
    for index in 0..fields.len() {
        let field = &fields[index];
        match check_field(field, &fields[..index]) {
            Ok((kind, name)) => visit.field(kind, name, field),
            Err(Bad(key, reason)) => return Err(fail(Some(index), key, reason)),
        }
    }
    Ok(())
}

/// One field's checks; its kind and name when it passes.
#[inline(never)]
fn check_field<'a>(field: &'a Value, before: &[Value]) -> Result<(FieldKind, &'a str), Bad<'a>> {
    if !matches!(field, Value::Obj(_)) {
        return Err(Bad("", "must be an object"));
    }
    check_keys(field, &FIELD_KEYS, true)?;
    let Some(kind) = FieldKind::parse(text(field, "type")) else {
        return Err(Bad("type", "unknown type"));
    };
    let name = text(field, "name");
    let mut ok = is_name(name);
    for other in before {
        ok &= text(other, "name") != name;
    }
    if !ok {
        return Err(Bad("name", "invalid or duplicate"));
    }
    if kind != FieldKind::Hidden && is_blank(text(field, "label")) {
        return Err(Bad("label", "required"));
    }
    if matches!(kind, FieldKind::Select | FieldKind::Radio) {
        let options = options(field);
        let mut ok = !options.is_empty();
        for item in options {
            ok &= choice(item).is_some();
        }
        if !ok {
            return Err(Bad("options", "must be strings or {value, label}"));
        }
    }
    Ok((kind, name))
}

/// Checks the JSON type of every key of `obj` found in `keys`; an unknown key is an error when
/// `strict`.
#[inline(never)]
fn check_keys<'a>(obj: &'a Value, keys: &[(&str, Json)], strict: bool) -> Result<(), Bad<'a>> {
    let Value::Obj(members) = obj else {
        return Ok(());
    };
    'members: for (key, value) in members {
        for &(known, json) in keys {
            if known == key {
                if !value.is_null() && Json::of(value) != Some(json) {
                    return Err(Bad(key, json.expected()));
                }
                continue 'members;
            }
        }
        if strict {
            return Err(Bad(key, "unknown key"));
        }
    }
    Ok(())
}

/// The `fields` array (empty when missing or not an array).
pub(crate) fn fields(config: &Value) -> &[Value] {
    config.get("fields").as_array().unwrap_or_default()
}

/// A field's `options` (empty when missing or not an array).
pub(crate) fn options(field: &Value) -> &[Value] {
    field.get("options").as_array().unwrap_or_default()
}

/// The string member `key`, or `""`.
#[inline(never)]
pub(crate) fn text<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.get(key).as_str().unwrap_or_default()
}

/// An option's `(value, label)`: a string is both; an object has a string `value` and a `label`
/// that defaults to it. `None` for anything else, an empty value or a blank label.
#[inline(never)]
pub(crate) fn choice(item: &Value) -> Option<(&str, &str)> {
    let (value, label) = match item {
        Value::Str(s) => (s.as_str(), s.as_str()),
        _ => {
            let value = item.get("value").as_str()?;
            (value, item.get("label").as_str().unwrap_or(value))
        }
    };
    if value.is_empty() || is_blank(label) {
        return None;
    }
    Some((value, label))
}

/// `[A-Za-z0-9_-]{1,64}`, not starting with the reserved `ck_`: safe inside element ids and
/// `aria-describedby` lists.
pub(crate) fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with("ck_")
        && all_bytes(name, |b| {
            b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
        })
}

/// `http://` or `https://`, a non-empty host, and nothing that could break out of an attribute
/// or be read as another scheme.
pub(crate) fn is_http_url(url: &str) -> bool {
    let bytes = url.as_bytes();
    let host = if starts_with_ignoring_case(bytes, b"https://") {
        8
    } else if starts_with_ignoring_case(bytes, b"http://") {
        7
    } else {
        return false;
    };
    // The host runs up to the first `/`, `?` or `#`: it must not be empty nor start with a
    // port or user info.
    !matches!(
        bytes.get(host),
        None | Some(b'/' | b'?' | b'#' | b':' | b'@')
    ) && url.len() <= MAX_TEXT
        && all_bytes(url, |b| b > b' ' && b != 0x7f)
}

/// `text` starts with the lowercase ASCII `prefix`, in any case.
fn starts_with_ignoring_case(text: &[u8], prefix: &[u8]) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// A problem inside one field (or a top-level key): which key and why. Two words instead of a
/// `ConfigError`, so every `?` in the checks stays small; the path is built once, in [`fail`].
pub(crate) struct Bad<'a>(pub(crate) &'a str, pub(crate) &'static str);

/// [`fail`] for a top-level key.
pub(crate) fn top(Bad(key, reason): Bad<'_>) -> ConfigError {
    fail(None, key, reason)
}

/// The error at `key` (of field `field`, else top level), e.g. path `fields[3].label`. The
/// path is built by hand (no `format!` in the wasm), and only on the error path.
#[cold]
#[inline(never)]
pub(crate) fn fail(field: Option<usize>, key: &str, reason: &'static str) -> ConfigError {
    let mut path = String::new();
    if let Some(index) = field {
        path.push_str("fields[");
        push_number(&mut path, index as u64);
        path.push_str(if key.is_empty() { "]" } else { "]." });
    }
    path.push_str(key);
    ConfigError::new(path, reason)
}

/// Appends the decimal digits of `n` (no `core::fmt` in the wasm).
pub(crate) fn push_number(out: &mut String, n: u64) {
    const DIGITS: &str = "0123456789";
    if n >= 10 {
        push_number(out, n / 10);
    }
    let digit = (n % 10) as usize;
    out.push_str(&DIGITS[digit..digit + 1]);
}

/// Empty or only ASCII whitespace.
pub(crate) fn is_blank(text: &str) -> bool {
    all_bytes(text, |b| b.is_ascii_whitespace())
}

/// Whether every byte of `text` passes `ok`. One loop for every byte test: each
/// `bytes().all(closure)` would be its own copy in the wasm.
#[inline(never)]
pub(crate) fn all_bytes(text: &str, ok: fn(u8) -> bool) -> bool {
    for &b in text.as_bytes() {
        if !ok(b) {
            return false;
        }
    }
    true
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn s(text: &str) -> Value {
        Value::Str(text.into())
    }

    pub(crate) fn obj(members: &[(&str, Value)]) -> Value {
        Value::Obj(
            members
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
        )
    }

    pub(crate) fn field(kind: &str, name: &str, extra: &[(&str, Value)]) -> Value {
        let mut value = obj(&[("type", s(kind)), ("name", s(name)), ("label", s(name))]);
        value.merge(obj(extra));
        value
    }

    pub(crate) fn config(fields: Vec<Value>) -> Value {
        obj(&[("fields", Value::Arr(fields))])
    }

    fn check_err(value: &Value) -> ConfigError {
        check(value).expect_err("config should be rejected")
    }

    /// One of every field kind with every key it may have: the widget's test config.
    pub(crate) fn every_kind() -> Value {
        obj(&[
            ("title", s("Contact")),
            ("description", s("Say hi")),
            (
                "fields",
                Value::Arr(vec![
                    field("text", "name", &[("required", Value::Bool(true))]),
                    field("email", "email", &[("autocomplete", s("email"))]),
                    field("tel", "phone", &[("pattern", s("\\+?[\\d ]+"))]),
                    field("url", "site", &[("placeholder", s("https://"))]),
                    field(
                        "number",
                        "seats",
                        &[("min", Value::Num(1.0)), ("max", Value::Num(9.0))],
                    ),
                    field("textarea", "message", &[("min_length", Value::Num(10.0))]),
                    field(
                        "select",
                        "topic",
                        &[("options", Value::Arr(vec![s("A"), s("B")]))],
                    ),
                    field("checkbox", "agree", &[]),
                    field(
                        "radio",
                        "size",
                        &[(
                            "options",
                            Value::Arr(vec![obj(&[("value", s("s")), ("label", s("Small"))])]),
                        )],
                    ),
                    obj(&[
                        ("type", s("hidden")),
                        ("name", s("src")),
                        ("value", s("ad")),
                    ]),
                ]),
            ),
            ("submit_label", s("Go")),
            ("success_message", s("Done")),
            ("redirect_url", s("https://example.com/thanks?x=1")),
            ("min_fill_ms", Value::Num(0.0)),
            ("unrelated_tool_key", Value::Bool(true)),
        ])
    }

    #[test]
    fn check_accepts_every_field_kind() {
        assert_eq!(check(&every_kind()), Ok(()));
    }

    /// Configs `check` rejects, with the path it names. Everything here is also rejected by the
    /// server's full parser, at the same path (`check_is_a_subset_of_the_full_parse`).
    fn broken() -> Vec<(Value, &'static str)> {
        vec![
            (s("nope"), ""),
            (obj(&[]), "fields"),
            (config(vec![]), "fields"),
            (obj(&[("fields", s("x"))]), "fields"),
            (
                config(
                    (0..51)
                        .map(|i| field("text", &i.to_string(), &[]))
                        .collect(),
                ),
                "fields",
            ),
            (config(vec![s("x")]), "fields[0]"),
            (
                config(vec![field("text", "a", &[]), field("color", "b", &[])]),
                "fields[1].type",
            ),
            (
                config(vec![obj(&[("name", s("a")), ("label", s("A"))])]),
                "fields[0].type",
            ),
            (config(vec![field("text", "", &[])]), "fields[0].name"),
            (config(vec![field("text", "a b", &[])]), "fields[0].name"),
            (config(vec![field("text", "a\"", &[])]), "fields[0].name"),
            (
                config(vec![field("text", "ck_website", &[])]),
                "fields[0].name",
            ),
            (
                config(vec![field("text", "a", &[]), field("email", "a", &[])]),
                "fields[1].name",
            ),
            (
                config(vec![obj(&[("type", s("text")), ("name", s("a"))])]),
                "fields[0].label",
            ),
            (
                config(vec![field("text", "a", &[("label", s("  "))])]),
                "fields[0].label",
            ),
            (
                config(vec![field("text", "a", &[("requried", Value::Bool(true))])]),
                "fields[0].requried",
            ),
            (
                config(vec![field("text", "a", &[("required", s("yes"))])]),
                "fields[0].required",
            ),
            (
                config(vec![field("text", "a", &[("max_length", s("9"))])]),
                "fields[0].max_length",
            ),
            (
                config(vec![field("number", "a", &[("max", s("9"))])]),
                "fields[0].max",
            ),
            (
                config(vec![field("text", "a", &[("pattern", Value::Num(1.0))])]),
                "fields[0].pattern",
            ),
            (
                config(vec![field(
                    "text",
                    "a",
                    &[("placeholder", Value::Bool(true))],
                )]),
                "fields[0].placeholder",
            ),
            (
                config(vec![field("text", "a", &[("options", s("x"))])]),
                "fields[0].options",
            ),
            (config(vec![field("select", "a", &[])]), "fields[0].options"),
            (
                config(vec![field(
                    "radio",
                    "a",
                    &[("options", Value::Arr(vec![]))],
                )]),
                "fields[0].options",
            ),
            (
                config(vec![field(
                    "select",
                    "a",
                    &[("options", Value::Arr(vec![Value::Num(1.0)]))],
                )]),
                "fields[0].options",
            ),
            (
                config(vec![field(
                    "select",
                    "a",
                    &[("options", Value::Arr(vec![obj(&[("label", s("x"))])]))],
                )]),
                "fields[0].options",
            ),
            (
                config(vec![field(
                    "radio",
                    "a",
                    &[("options", Value::Arr(vec![s("")]))],
                )]),
                "fields[0].options",
            ),
            (
                obj(&[
                    ("fields", Value::Arr(vec![field("text", "a", &[])])),
                    ("title", Value::Num(1.0)),
                ]),
                "title",
            ),
            (
                obj(&[
                    ("fields", Value::Arr(vec![field("text", "a", &[])])),
                    ("min_fill_ms", s("5")),
                ]),
                "min_fill_ms",
            ),
            (
                obj(&[
                    ("fields", Value::Arr(vec![field("text", "a", &[])])),
                    ("redirect_url", s("javascript:alert(1)")),
                ]),
                "redirect_url",
            ),
            (with_brand(s("red")), "brand"),
            (
                config(vec![field("text", "a", &[("query", s("utm"))])]),
                "fields[0].query",
            ),
            (
                obj(&[
                    ("fields", Value::Arr(vec![field("text", "a", &[])])),
                    ("strings", s("x")),
                ]),
                "strings",
            ),
        ]
    }

    fn with_brand(brand: Value) -> Value {
        obj(&[
            ("fields", Value::Arr(vec![field("text", "a", &[])])),
            ("brand", brand),
        ])
    }

    /// Brand values the server refuses on save, with the path.
    #[cfg(feature = "validate")]
    fn bad_brands() -> Vec<(Value, &'static str)> {
        let accent = |v: Value| (obj(&[("accent", v)]), "brand.accent");
        let radius = |v: Value| (obj(&[("radius", v)]), "brand.radius");
        let font = |v: &str| (obj(&[("font", s(v))]), "brand.font");
        vec![
            accent(s("red")),
            accent(s("#12")),
            accent(s("#12345")),
            accent(s("#1234567")),
            accent(s("#ggg")),
            accent(s("#fff;x:y")),
            accent(s("rgb(0,0,0)")),
            accent(Value::Num(1.0)),
            radius(Value::Num(-1.0)),
            radius(Value::Num(33.0)),
            radius(Value::Num(2.5)),
            radius(s("4px")),
            font(""),
            font("Inter;color:red"),
            font("x}body{color:red"),
            font("url(https://evil.example/x)"),
            font("\"Comic Sans\""),
            font("'Comic Sans'"),
            font("Inter, "),
            font("3D, serif"),
            font("a\\62 c"),
            font("Inter\nx"),
            font(&"a".repeat(201)),
            (obj(&[("colour", s("#fff"))]), "brand"),
        ]
    }

    #[cfg(feature = "validate")]
    #[test]
    fn brands_are_checked_strictly_on_save() {
        for brand in [
            obj(&[("accent", s("#0a7"))]),
            obj(&[("accent", s("#1D4ED8")), ("radius", Value::Num(5.0))]),
            obj(&[
                ("radius", Value::Num(32.0)),
                ("font", s("Inter, system-ui, sans-serif")),
            ]),
            obj(&[("accent", Value::Null)]),
            obj(&[]),
        ] {
            assert_eq!(check(&with_brand(brand.clone())), Ok(()), "{brand:?}");
            assert!(
                FormConfig::parse(&with_brand(brand.clone())).is_ok(),
                "{brand:?}"
            );
        }
        // The embed lets these through (it sets only safe characters, through the CSSOM); the
        // server refuses them when they are saved, naming the path.
        for (brand, path) in bad_brands() {
            let config = with_brand(brand);
            assert_eq!(check(&config), Ok(()), "{config:?}");
            assert_eq!(
                FormConfig::parse(&config).expect_err("server rule").path,
                path,
                "{config:?}"
            );
        }
        for good in [
            "Georgia",
            "Helvetica Neue, Arial, sans-serif",
            "x_1-a,b",
            "a ,b",
        ] {
            assert!(is_font_stack(good), "{good}");
        }
        for (colour, ok) in [
            ("#abc", true),
            ("#A1b2C3", true),
            ("abc", false),
            ("#abcd", false),
            ("##abc", false),
        ] {
            assert_eq!(is_hex_colour(colour), ok, "{colour}");
        }
    }

    #[test]
    fn brand_and_strings_and_query_types_are_checked_in_the_embed() {
        let strings = obj(&[
            (
                "fields",
                Value::Arr(vec![field(
                    "text",
                    "a",
                    &[("query", Value::Arr(vec![s("utm")]))],
                )]),
            ),
            ("strings", obj(&[("required", s("Bitte ausfüllen."))])),
            ("brand", Value::Null),
        ]);
        assert_eq!(check(&strings), Ok(()));
    }

    #[test]
    fn check_names_the_offending_key() {
        for (value, path) in broken() {
            assert_eq!(check_err(&value).path, path, "{value:?}");
        }
        let late = config(
            (0..12)
                .map(|i| field("text", &i.to_string(), &[]))
                .chain([field("x", "y", &[])])
                .collect(),
        );
        assert_eq!(check_err(&late).path, "fields[12].type");
        assert_eq!(
            check_err(&config(vec![field(
                "text",
                "a",
                &[("requried", Value::Null)]
            )]))
            .reason,
            "unknown key"
        );
    }

    #[test]
    fn null_counts_as_absent() {
        let value = obj(&[
            (
                "fields",
                Value::Arr(vec![field("text", "a", &[("placeholder", Value::Null)])]),
            ),
            ("title", Value::Null),
        ]);
        assert_eq!(check(&value), Ok(()));
    }

    #[cfg(feature = "validate")]
    #[test]
    fn check_is_a_subset_of_the_full_parse() {
        for (value, path) in broken() {
            let full = FormConfig::parse(&value).expect_err("the server rejects it too");
            assert_eq!(full.path, path, "{value:?}");
        }
        assert!(FormConfig::parse(&every_kind()).is_ok());
        // Limits and consistency rules are the server's alone: `check` lets these through (the
        // browser renders them harmlessly), `FormConfig::parse` refuses them when they are saved.
        for (value, path) in [
            (
                config(vec![field("text", "a", &[("pattern", s("(a|b)"))])]),
                "fields[0].pattern",
            ),
            (
                config(vec![field(
                    "number",
                    "a",
                    &[("min", Value::Num(3.0)), ("max", Value::Num(1.0))],
                )]),
                "fields[0].min",
            ),
            (
                config(vec![field("text", "a", &[("max_length", Value::Num(2.5))])]),
                "fields[0].max_length",
            ),
            (
                config(vec![field("text", "a", &[("min", Value::Num(3.0))])]),
                "fields[0].min",
            ),
            (
                config(vec![field(
                    "select",
                    "a",
                    &[("options", Value::Arr(vec![s("x"), s("x")]))],
                )]),
                "fields[0].options",
            ),
            (
                config(vec![field(
                    "text",
                    "a",
                    &[("placeholder", s(&"x".repeat(201)))],
                )]),
                "fields[0].placeholder",
            ),
            (
                config(vec![field("text", "a", &[("autocomplete", s("\"><x"))])]),
                "fields[0].autocomplete",
            ),
            (
                config(vec![field(
                    "text",
                    "a",
                    &[("query", Value::Arr(vec![s("a b")]))],
                )]),
                "fields[0].query",
            ),
            (
                config(vec![field("text", "a", &[("query", Value::Arr(vec![]))])]),
                "fields[0].query",
            ),
            (
                obj(&[
                    ("fields", Value::Arr(vec![field("text", "a", &[])])),
                    ("strings", obj(&[("nope", s("x"))])),
                ]),
                "strings.nope",
            ),
            (
                obj(&[
                    ("fields", Value::Arr(vec![field("text", "a", &[])])),
                    ("strings", obj(&[("required", s(" "))])),
                ]),
                "strings.required",
            ),
        ] {
            assert_eq!(check(&value), Ok(()), "{value:?}");
            assert_eq!(
                FormConfig::parse(&value).expect_err("server rule").path,
                path
            );
        }
    }

    #[test]
    fn redirect_must_be_http() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "//evil.example",
            "/relative",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "ftp://example.com",
            "https://@evil",
            "h",
        ] {
            let value = obj(&[
                ("fields", Value::Arr(vec![field("text", "a", &[])])),
                ("redirect_url", s(bad)),
            ]);
            assert_eq!(check_err(&value).path, "redirect_url", "{bad}");
        }
        for good in [
            "http://example.com",
            "HTTPS://example.com/a?b#c",
            "https://x.io:8443",
        ] {
            assert!(is_http_url(good), "{good}");
        }
    }

    #[test]
    fn choices_default_their_label_to_the_value() {
        assert_eq!(choice(&s("A")), Some(("A", "A")));
        assert_eq!(choice(&obj(&[("value", s("a"))])), Some(("a", "a")));
        assert_eq!(
            choice(&obj(&[("value", s("a")), ("label", s("Aa"))])),
            Some(("a", "Aa"))
        );
        assert_eq!(choice(&obj(&[("value", s("a")), ("label", s(" "))])), None);
        assert_eq!(choice(&Value::Bool(true)), None);
    }

    #[test]
    fn kinds_round_trip_by_name() {
        for (name, kind) in KINDS {
            assert_eq!(kind.as_str(), name);
            assert_eq!(FieldKind::parse(name), Some(kind));
        }
        assert_eq!(FieldKind::parse("color"), None);
    }

    #[test]
    fn push_number_writes_decimal() {
        for n in [0u64, 7, 10, 12345, u64::MAX] {
            let mut out = String::new();
            push_number(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
