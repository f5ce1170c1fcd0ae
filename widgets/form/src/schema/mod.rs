//! The form's config and the validation of what a visitor submits. No DOM code: the server links
//! this module (`ck-form` with `default-features = false`) and checks every submission with the
//! same rules the widget applied in the browser.
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
//! `pattern` is a small, linear-time subset of regular expressions ([`Pattern`]), allowed on
//! `text`, `email`, `tel` and `url` fields and checked by this same code in the browser and on the
//! server (the browser's own `pattern` attribute is not used: it would disagree with the server).

mod pattern;
#[cfg(feature = "validate")]
mod validate;

use std::string::String;
use std::vec::Vec;

pub use ck_runtime::ConfigError;
use ck_runtime::Value;

pub use pattern::Pattern;

/// Name of the honeypot input: visually hidden, skipped by keyboard and assistive technology,
/// and left empty by people. Its value is sent as the submission's `hp`; the server rejects the
/// submission when it is not empty. Field names starting with `ck_` are reserved for this.
pub const HONEYPOT_FIELD: &str = "ck_website";

/// Maximum number of fields in one form.
pub const MAX_FIELDS: usize = 50;
/// Default minimum time between render and submit; faster submissions are treated as bots.
pub const DEFAULT_MIN_FILL_MS: u32 = 1500;

const DEFAULT_SUBMIT_LABEL: &str = "Send";
const DEFAULT_SUCCESS_MESSAGE: &str = "Thank you! Your message has been sent.";
const MAX_LABEL: usize = 200;
const MAX_TEXT: usize = 2000;
const MAX_OPTIONS: usize = 100;
/// Longest value any field accepts; `max_length` may not exceed it.
pub const MAX_VALUE_LENGTH: u32 = 10_000;

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
        match self {
            FieldKind::Text => "text",
            FieldKind::Email => "email",
            FieldKind::Tel => "tel",
            FieldKind::Url => "url",
            FieldKind::Number => "number",
            FieldKind::Textarea => "textarea",
            FieldKind::Select => "select",
            FieldKind::Checkbox => "checkbox",
            FieldKind::Radio => "radio",
            FieldKind::Hidden => "hidden",
        }
    }

    fn parse(name: &str) -> Option<FieldKind> {
        Some(match name {
            "text" => FieldKind::Text,
            "email" => FieldKind::Email,
            "tel" => FieldKind::Tel,
            "url" => FieldKind::Url,
            "number" => FieldKind::Number,
            "textarea" => FieldKind::Textarea,
            "select" => FieldKind::Select,
            "checkbox" => FieldKind::Checkbox,
            "radio" => FieldKind::Radio,
            "hidden" => FieldKind::Hidden,
            _ => return None,
        })
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

/// One option of a `select` or `radio` field.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The submitted value.
    pub value: String,
    /// What the visitor sees.
    pub label: String,
}

/// One field of the form.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// What kind of input it is.
    pub kind: FieldKind,
    /// The key of its value in a submission: `[A-Za-z0-9_-]{1,64}`, unique, not starting with `ck_`.
    pub name: String,
    /// The visible label (empty only for hidden fields).
    pub label: String,
    /// Placeholder text; never a substitute for the label.
    pub placeholder: Option<String>,
    /// Must be filled (for a checkbox: ticked).
    pub required: bool,
    /// Minimum length in characters (text kinds).
    pub min_length: Option<u32>,
    /// Maximum length in characters (text kinds); always set for text kinds (a default applies).
    pub max_length: Option<u32>,
    /// Lower bound (number fields).
    pub min: Option<f64>,
    /// Upper bound (number fields).
    pub max: Option<f64>,
    /// Whole-value pattern (text, email, tel, url); see [`Pattern`].
    pub pattern: Option<Pattern>,
    /// Choices (select, radio), at least one.
    pub options: Vec<Choice>,
    /// The HTML `autocomplete` token(s), e.g. `email`, `given-name`.
    pub autocomplete: Option<String>,
    /// The value of a hidden field.
    pub value: Option<String>,
}

/// One field's problem with a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's `name` (for a value that is not an object: empty).
    pub name: String,
    /// Stable machine-readable code: `required`, `too_short`, `too_long`, `invalid_email`,
    /// `invalid_url`, `invalid_tel`, `not_a_number`, `too_small`, `too_large`, `pattern`,
    /// `invalid_option`, `invalid_type`, `unknown_field`.
    pub code: &'static str,
    /// A sentence for the visitor (English).
    pub message: String,
}

/// A parsed, validated form config.
#[derive(Clone, Debug, PartialEq)]
pub struct FormConfig {
    /// Heading above the form.
    pub title: Option<String>,
    /// Text under the heading.
    pub description: Option<String>,
    /// The fields, in order.
    pub fields: Vec<Field>,
    /// Text of the submit button.
    pub submit_label: String,
    /// Shown (and announced) in place of the form after a successful submit.
    pub success_message: String,
    /// Where to send the visitor after a successful submit (`http`/`https` only).
    pub redirect_url: Option<String>,
    min_fill_ms: u32,
}

impl FormConfig {
    /// Parses and checks a config. Every error names the offending key.
    ///
    /// ```
    /// use ck_form::schema::FormConfig;
    /// use ck_runtime::Value;
    /// let field = Value::Obj(vec![
    ///     ("type".into(), Value::Str("email".into())),
    ///     ("name".into(), Value::Str("email".into())),
    ///     ("label".into(), Value::Str("Email".into())),
    /// ]);
    /// let config = Value::Obj(vec![("fields".into(), Value::Arr(vec![field]))]);
    /// let form = FormConfig::parse(&config).unwrap();
    /// assert_eq!(form.fields[0].name, "email");
    /// assert_eq!(form.submit_label, "Send");
    /// ```
    pub fn parse(config: &Value) -> Result<FormConfig, ConfigError> {
        if !matches!(config, Value::Obj(_)) {
            return Err(fail(None, "", "config must be an object"));
        }
        let fields = match config.get("fields") {
            Value::Arr(items) if !items.is_empty() && items.len() <= MAX_FIELDS => items,
            _ => return Err(fail(None, "fields", "must be an array of 1 to 50 fields")),
        };
        let mut parsed: Vec<Field> = Vec::with_capacity(fields.len());
        for (index, raw) in fields.iter().enumerate() {
            let field =
                parse_field(raw).map_err(|Bad(key, reason)| fail(Some(index), key, reason))?;
            if parsed.iter().any(|other| other.name == field.name) {
                return Err(fail(Some(index), "name", "duplicate field name"));
            }
            parsed.push(field);
        }
        let mut form = FormConfig {
            title: None,
            description: None,
            fields: parsed,
            submit_label: DEFAULT_SUBMIT_LABEL.into(),
            success_message: DEFAULT_SUCCESS_MESSAGE.into(),
            redirect_url: None,
            min_fill_ms: DEFAULT_MIN_FILL_MS,
        };
        form.title = get_str(config, "title", MAX_LABEL).map_err(top)?;
        form.description = get_str(config, "description", MAX_TEXT).map_err(top)?;
        if let Some(label) = get_str(config, "submit_label", MAX_LABEL).map_err(top)? {
            form.submit_label = label;
        }
        if let Some(message) = get_str(config, "success_message", MAX_TEXT).map_err(top)? {
            form.success_message = message;
        }
        form.redirect_url = get_str(config, "redirect_url", MAX_TEXT).map_err(top)?;
        if form
            .redirect_url
            .as_deref()
            .is_some_and(|url| !is_http_url(url))
        {
            return Err(fail(
                None,
                "redirect_url",
                "must be an absolute http:// or https:// URL",
            ));
        }
        if let Some(ms) = get_uint(config, "min_fill_ms", 60_000).map_err(top)? {
            form.min_fill_ms = ms;
        }
        Ok(form)
    }

    /// The minimum time from render to submit (ms). The widget waits before its first submit if
    /// the visitor was faster; the server rejects submissions whose `elapsed_ms` is below it.
    pub fn min_fill_ms(&self) -> u32 {
        self.min_fill_ms
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }
}

const FIELD_KEYS: &[&str] = &[
    "type",
    "name",
    "label",
    "placeholder",
    "required",
    "min_length",
    "max_length",
    "min",
    "max",
    "pattern",
    "options",
    "autocomplete",
    "value",
];

/// A problem inside one field (or a top-level key): which key and why. Two words instead of a
/// `ConfigError`, so every `?` in the parser stays small; the path is built once, in [`fail`].
struct Bad<'a>(&'a str, &'static str);

#[inline(never)]
fn parse_field(raw: &Value) -> Result<Field, Bad<'_>> {
    let Value::Obj(members) = raw else {
        return Err(Bad("", "each field must be an object"));
    };
    if let Some((key, _)) = members
        .iter()
        .find(|(key, _)| !FIELD_KEYS.contains(&key.as_str()))
    {
        return Err(Bad(key, "unknown field key"));
    }
    let kind = raw.get("type").as_str().and_then(FieldKind::parse).ok_or(Bad(
        "type",
        "missing or unknown (text, email, tel, url, number, textarea, select, checkbox, radio, hidden)",
    ))?;
    let name = raw.get("name").as_str().unwrap_or_default();
    if name.is_empty()
        || name.len() > 64
        || name.starts_with("ck_")
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(Bad(
            "name",
            "must be 1-64 letters, digits, _ or - (not starting with ck_, which is reserved)",
        ));
    }
    // One value filled step by step: every early return drops it with one call.
    let mut field = Field {
        kind,
        name: name.into(),
        label: String::new(),
        placeholder: None,
        required: false,
        min_length: None,
        max_length: None,
        min: None,
        max: None,
        pattern: None,
        options: Vec::new(),
        autocomplete: None,
        value: None,
    };
    field.label = get_str(raw, "label", MAX_LABEL)?.unwrap_or_default();
    if is_blank(&field.label) && kind != FieldKind::Hidden {
        return Err(Bad(
            "label",
            "every visible field needs a label (placeholders are not labels)",
        ));
    }
    field.placeholder = get_str(raw, "placeholder", MAX_LABEL)?;
    field.required = match raw.get("required") {
        Value::Null => false,
        Value::Bool(b) => *b,
        _ => return Err(Bad("required", "must be true or false")),
    };

    field.min_length = get_uint(raw, "min_length", MAX_VALUE_LENGTH)?.filter(|&n| n > 0);
    field.max_length = get_uint(raw, "max_length", MAX_VALUE_LENGTH)?;
    if kind.is_text() {
        let default = if kind == FieldKind::Textarea {
            5000
        } else {
            500
        };
        let max = *field.max_length.get_or_insert(default);
        if field.min_length.is_some_and(|min| min > max) {
            return Err(Bad("min_length", "is greater than max_length"));
        }
    } else if field.min_length.is_some() || field.max_length.is_some() {
        let key = if field.max_length.is_some() {
            "max_length"
        } else {
            "min_length"
        };
        return Err(Bad(key, "length limits apply only to text fields"));
    }

    field.min = get_num(raw, "min")?;
    field.max = get_num(raw, "max")?;
    if let (Some(min), Some(max)) = (field.min, field.max) {
        if min > max {
            return Err(Bad("min", "is greater than max"));
        }
    }
    if kind != FieldKind::Number && (field.min.is_some() || field.max.is_some()) {
        let key = if field.min.is_some() { "min" } else { "max" };
        return Err(Bad(key, "min and max apply only to number fields"));
    }

    if let Some(source) = get_str(raw, "pattern", pattern::MAX_SOURCE)? {
        if !matches!(
            kind,
            FieldKind::Text | FieldKind::Email | FieldKind::Tel | FieldKind::Url
        ) {
            return Err(Bad(
                "pattern",
                "pattern applies only to text, email, tel and url fields",
            ));
        }
        field.pattern = Some(Pattern::compile(&source).map_err(|reason| Bad("pattern", reason))?);
    }

    let wants_options = matches!(kind, FieldKind::Select | FieldKind::Radio);
    match raw.get("options") {
        Value::Null if !wants_options => {}
        Value::Arr(items) if wants_options && !items.is_empty() => {
            field.options = parse_options(items)?;
        }
        _ if wants_options => {
            return Err(Bad(
                "options",
                "select and radio fields need an array of options",
            ))
        }
        _ => {
            return Err(Bad(
                "options",
                "options apply only to select and radio fields",
            ))
        }
    }

    field.autocomplete = get_str(raw, "autocomplete", 100)?;
    if field.autocomplete.as_deref().is_some_and(|token| {
        !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b' ')
    }) {
        return Err(Bad(
            "autocomplete",
            "must be autocomplete tokens (letters, digits, -)",
        ));
    }

    let max = field.max_length.unwrap_or(MAX_VALUE_LENGTH) as usize;
    field.value = get_str(raw, "value", max)?;
    if field.value.is_some() && kind != FieldKind::Hidden {
        return Err(Bad("value", "value applies only to hidden fields"));
    }
    Ok(field)
}

#[inline(never)]
fn parse_options(items: &[Value]) -> Result<Vec<Choice>, Bad<'static>> {
    const SHAPE: &str =
        "each option is a string or {\"value\": …, \"label\": …} (1-200 characters, unique)";
    if items.len() > MAX_OPTIONS {
        return Err(Bad("options", "too many options (at most 100)"));
    }
    let mut options: Vec<Choice> = Vec::with_capacity(items.len());
    for item in items {
        let (value, label) = match item {
            Value::Str(s) => (Some(s.as_str()), Some(s.as_str())),
            _ => {
                let value = item.get("value").as_str();
                (value, item.get("label").as_str().or(value))
            }
        };
        let (Some(value), Some(label)) = (value, label) else {
            return Err(Bad("options", SHAPE));
        };
        if value.is_empty()
            || is_blank(label)
            || char_len(value) > MAX_LABEL
            || char_len(label) > MAX_LABEL
            || options.iter().any(|o| o.value == value)
        {
            return Err(Bad("options", SHAPE));
        }
        options.push(Choice {
            value: value.into(),
            label: label.into(),
        });
    }
    Ok(options)
}

/// An optional string member of at most `max` characters.
#[inline(never)]
fn get_str(obj: &Value, key: &'static str, max: usize) -> Result<Option<String>, Bad<'static>> {
    match obj.get(key) {
        Value::Null => Ok(None),
        Value::Str(s) if char_len(s) > max => Err(Bad(key, "is too long")),
        Value::Str(s) if s.bytes().any(|b| (b < 0x20 && b != b'\n') || b == 0x7f) => {
            Err(Bad(key, "contains control characters"))
        }
        Value::Str(s) => Ok(Some(s.clone())),
        _ => Err(Bad(key, "must be a string")),
    }
}

/// An optional whole number from 0 to `max`.
#[inline(never)]
fn get_uint(obj: &Value, key: &'static str, max: u32) -> Result<Option<u32>, Bad<'static>> {
    match obj.get(key) {
        Value::Null => Ok(None),
        Value::Num(n) if n.fract() == 0.0 && (0.0..=f64::from(max)).contains(n) => {
            Ok(Some(*n as u32))
        }
        _ => Err(Bad(key, "must be a whole number in the allowed range")),
    }
}

#[inline(never)]
fn get_num(obj: &Value, key: &'static str) -> Result<Option<f64>, Bad<'static>> {
    match obj.get(key) {
        Value::Null => Ok(None),
        Value::Num(n) if n.is_finite() => Ok(Some(*n)),
        _ => Err(Bad(key, "must be a number")),
    }
}

/// `http://` or `https://`, a non-empty host, and nothing that could break out of an attribute
/// or be read as another scheme.
pub(crate) fn is_http_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return false;
    };
    let host_end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let host = &rest[..host_end];
    !host.is_empty()
        && !host.starts_with(':')
        && !host.starts_with('@')
        && url.len() <= MAX_TEXT
        && !url.bytes().any(|b| b <= b' ' || b == 0x7f)
}

/// The error at `key` (of field `field`, else top level), e.g. path `fields[3].label`. The
/// path is built by hand (no `format!` in the wasm), and only on the error path.
fn top(Bad(key, reason): Bad<'_>) -> ConfigError {
    fail(None, key, reason)
}

#[cold]
#[inline(never)]
fn fail(field: Option<usize>, key: &str, reason: &'static str) -> ConfigError {
    let mut path = String::new();
    if let Some(index) = field {
        path.push_str("fields[");
        push_number(&mut path, index as u64);
        path.push(']');
        if !key.is_empty() {
            path.push('.');
        }
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

/// Length in characters (what `maxlength` counts), without `chars().count()`'s wide loop.
pub(crate) fn char_len(text: &str) -> usize {
    text.bytes().filter(|b| b & 0xC0 != 0x80).count()
}

/// Empty or only ASCII whitespace.
pub(crate) fn is_blank(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_whitespace())
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

    fn config(fields: Vec<Value>) -> Value {
        obj(&[("fields", Value::Arr(fields))])
    }

    fn parse_err(value: &Value) -> ConfigError {
        FormConfig::parse(value).expect_err("config should be rejected")
    }

    #[test]
    fn parses_every_field_kind_with_defaults() {
        let form = FormConfig::parse(&obj(&[
            ("title", s("Contact")),
            ("description", s("Say hi")),
            (
                "fields",
                Value::Arr(vec![
                    field("text", "name", &[("required", Value::Bool(true))]),
                    field("email", "email", &[("autocomplete", s("email"))]),
                    field("tel", "phone", &[("pattern", s("\\+?[\\d ]+"))]),
                    field("url", "site", &[]),
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
            ("unrelated_tool_key", Value::Bool(true)),
        ]))
        .expect("valid config");
        assert_eq!(form.title.as_deref(), Some("Contact"));
        assert_eq!(form.fields.len(), 10);
        assert_eq!(form.submit_label, "Send");
        assert_eq!(form.success_message, DEFAULT_SUCCESS_MESSAGE);
        assert_eq!(form.min_fill_ms(), DEFAULT_MIN_FILL_MS);
        assert_eq!(form.fields[0].max_length, Some(500));
        assert_eq!(form.fields[5].max_length, Some(5000));
        assert_eq!(form.fields[5].min_length, Some(10));
        assert_eq!(form.fields[4].min, Some(1.0));
        assert_eq!(form.fields[6].options[1].label, "B");
        assert_eq!(form.fields[8].options[0].label, "Small");
        assert_eq!(form.fields[9].value.as_deref(), Some("ad"));
        assert!(form.fields[2].pattern.is_some());
        assert_eq!(
            form.field("agree").map(|f| f.kind),
            Some(FieldKind::Checkbox)
        );
    }

    #[test]
    fn top_level_options() {
        let form = FormConfig::parse(&obj(&[
            ("fields", Value::Arr(vec![field("text", "a", &[])])),
            ("submit_label", s("Go")),
            ("success_message", s("Done")),
            ("redirect_url", s("https://example.com/thanks?x=1")),
            ("min_fill_ms", Value::Num(0.0)),
        ]))
        .expect("valid");
        assert_eq!(form.submit_label, "Go");
        assert_eq!(form.success_message, "Done");
        assert_eq!(
            form.redirect_url.as_deref(),
            Some("https://example.com/thanks?x=1")
        );
        assert_eq!(form.min_fill_ms(), 0);
    }

    #[test]
    fn errors_name_the_offending_key() {
        let cases: Vec<(Value, &str)> = vec![
            (s("nope"), ""),
            (obj(&[]), "fields"),
            (config(vec![]), "fields"),
            (obj(&[("fields", s("x"))]), "fields"),
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
                config(vec![field(
                    "text",
                    "a",
                    &[("max_length", Value::Num(-1.0))],
                )]),
                "fields[0].max_length",
            ),
            (
                config(vec![field("text", "a", &[("max_length", Value::Num(2.5))])]),
                "fields[0].max_length",
            ),
            (
                config(vec![field(
                    "text",
                    "a",
                    &[("max_length", Value::Num(20000.0))],
                )]),
                "fields[0].max_length",
            ),
            (
                config(vec![field(
                    "text",
                    "a",
                    &[
                        ("min_length", Value::Num(9.0)),
                        ("max_length", Value::Num(3.0)),
                    ],
                )]),
                "fields[0].min_length",
            ),
            (
                config(vec![field(
                    "checkbox",
                    "a",
                    &[("max_length", Value::Num(3.0))],
                )]),
                "fields[0].max_length",
            ),
            (
                config(vec![field("text", "a", &[("min", Value::Num(3.0))])]),
                "fields[0].min",
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
                config(vec![field("number", "a", &[("max", s("9"))])]),
                "fields[0].max",
            ),
            (
                config(vec![field("text", "a", &[("pattern", s("(a|b)"))])]),
                "fields[0].pattern",
            ),
            (
                config(vec![field("number", "a", &[("pattern", s("\\d"))])]),
                "fields[0].pattern",
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
                    &[("options", Value::Arr(vec![s("x"), s("x")]))],
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
                    "text",
                    "a",
                    &[("options", Value::Arr(vec![s("x")]))],
                )]),
                "fields[0].options",
            ),
            (
                config(vec![field("text", "a", &[("value", s("x"))])]),
                "fields[0].value",
            ),
            (
                config(vec![field("text", "a", &[("autocomplete", s("\"><x"))])]),
                "fields[0].autocomplete",
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
                obj(&[
                    ("fields", Value::Arr(vec![field("text", "a", &[])])),
                    ("title", Value::Num(1.0)),
                ]),
                "title",
            ),
            (
                obj(&[
                    ("fields", Value::Arr(vec![field("text", "a", &[])])),
                    ("min_fill_ms", Value::Num(-5.0)),
                ]),
                "min_fill_ms",
            ),
        ];
        for (value, path) in cases {
            assert_eq!(parse_err(&value).path, path, "{value:?}");
        }
        let too_many = config(
            (0..51)
                .map(|i| field("text", &i.to_string(), &[]))
                .collect(),
        );
        assert_eq!(parse_err(&too_many).path, "fields");
        let long_path = config(
            (0..12)
                .map(|i| field("text", &i.to_string(), &[]))
                .chain([field("x", "y", &[])])
                .collect(),
        );
        assert_eq!(parse_err(&long_path).path, "fields[12].type");
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
        ] {
            let value = obj(&[
                ("fields", Value::Arr(vec![field("text", "a", &[])])),
                ("redirect_url", s(bad)),
            ]);
            assert_eq!(parse_err(&value).path, "redirect_url", "{bad}");
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
    fn push_number_writes_decimal() {
        for n in [0u64, 7, 10, 12345, u64::MAX] {
            let mut out = String::new();
            push_number(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
