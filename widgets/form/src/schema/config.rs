//! The typed config with every rule (feature `validate`): what the server stores and checks
//! submissions against. The embed runs only [`super::check`], a subset of these rules.

use std::string::String;
use std::vec::Vec;

use ck_runtime::Value;

use super::pattern::{self, Pattern};
use super::{
    check_brand, choice, fail, is_blank, is_http_url, is_name, top, Bad, ConfigError, FieldKind,
    DEFAULT_MIN_FILL_MS, DEFAULT_SUBMIT_LABEL, DEFAULT_SUCCESS_MESSAGE, FIELD_KEYS, MAX_FIELDS,
    MAX_TEXT, MAX_VALUE_LENGTH, STRING_KEYS,
};

const MAX_LABEL: usize = 200;
const MAX_OPTIONS: usize = 100;
/// Most query parameter names one field may be prefilled from.
pub(crate) const MAX_QUERY_NAMES: usize = 5;

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
    /// The value of a hidden field (the default; the page may set another).
    pub value: Option<String>,
    /// Query parameters of the page's URL that prefill the field, by name, first match wins.
    pub query: Vec<String>,
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
    /// The visitor-facing texts set in the config (`strings`), as `(key, text)`; the others
    /// follow the page's language.
    pub strings: Vec<(String, String)>,
    /// `brand.accent`: `#rgb` or `#rrggbb`.
    pub accent: Option<String>,
    /// `brand.radius`: corner radius of the controls in CSS pixels (0-32).
    pub radius: Option<u32>,
    /// `brand.font`: a font stack without quotes.
    pub font_stack: Option<String>,
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
            strings: Vec::new(),
            accent: None,
            radius: None,
            font_stack: None,
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
        form.strings = parse_strings(config.get("strings"))?;
        let brand = config.get("brand");
        if !matches!(brand, Value::Null | Value::Obj(_)) {
            return Err(fail(None, "brand", "must be an object"));
        }
        check_brand(brand).map_err(top)?;
        form.accent = brand.get("accent").as_str().map(String::from);
        form.radius = brand.get("radius").as_f64().map(|n| n as u32);
        form.font_stack = brand.get("font").as_str().map(String::from);
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

#[inline(never)]
fn parse_field(raw: &Value) -> Result<Field, Bad<'_>> {
    let Value::Obj(members) = raw else {
        return Err(Bad("", "each field must be an object"));
    };
    if let Some((key, _)) = members
        .iter()
        .find(|(key, _)| !FIELD_KEYS.iter().any(|(known, _)| known == key))
    {
        return Err(Bad(key, "unknown field key"));
    }
    let kind = raw.get("type").as_str().and_then(FieldKind::parse).ok_or(Bad(
        "type",
        "missing or unknown (text, email, tel, url, number, textarea, select, checkbox, radio, hidden)",
    ))?;
    let name = raw.get("name").as_str().unwrap_or_default();
    if !is_name(name) {
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
        query: Vec::new(),
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
    if let Some(default) = kind.default_max_length() {
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
    field.query = parse_query(raw.get("query"))?;
    Ok(field)
}

/// `query`: 1-5 parameter names (`[A-Za-z0-9_.-]{1,64}`, no duplicates).
fn parse_query(value: &Value) -> Result<Vec<String>, Bad<'static>> {
    const SHAPE: &str = "must be 1-5 distinct query parameter names (letters, digits, _ . -)";
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Arr(items) if (1..=MAX_QUERY_NAMES).contains(&items.len()) => items,
        _ => return Err(Bad("query", SHAPE)),
    };
    let mut names: Vec<String> = Vec::new();
    for item in items {
        match item.as_str() {
            Some(name)
                if (1..=64).contains(&name.len())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
                    && !names.iter().any(|n| n == name) =>
            {
                names.push(name.into())
            }
            _ => return Err(Bad("query", SHAPE)),
        }
    }
    Ok(names)
}

/// `strings`: known keys ([`STRING_KEYS`]) to non-blank texts of at most 300 characters.
fn parse_strings(value: &Value) -> Result<Vec<(String, String)>, ConfigError> {
    let members = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Obj(members) => members,
        _ => return Err(fail(None, "strings", "must be an object")),
    };
    let mut strings = Vec::new();
    for (key, text) in members {
        // Server side only (feature `validate`): `format!` costs the embed nothing here.
        let path = std::format!("strings.{key}");
        let Some(&known) = STRING_KEYS.iter().find(|k| **k == key) else {
            return Err(ConfigError::new(path, "unknown key"));
        };
        match text {
            Value::Null => {}
            Value::Str(t)
                if !is_blank(t)
                    && char_len(t) <= 300
                    && !t.bytes().any(|b| b < 0x20 || b == 0x7f) =>
            {
                strings.push((known.into(), t.clone()))
            }
            _ => {
                return Err(ConfigError::new(
                    path,
                    "must be a non-blank string of at most 300 characters",
                ))
            }
        }
    }
    Ok(strings)
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
        let Some((value, label)) = choice(item) else {
            return Err(Bad("options", SHAPE));
        };
        if char_len(value) > MAX_LABEL
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

/// Length in characters (what `maxlength` counts), without `chars().count()`'s wide loop.
pub(crate) fn char_len(text: &str) -> usize {
    text.bytes().filter(|b| b & 0xC0 != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{config, field, obj, s};
    use super::*;

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
    fn hidden_fields_prefill_strings_and_brand() {
        let form = FormConfig::parse(&obj(&[
            (
                "fields",
                Value::Arr(vec![
                    field(
                        "email",
                        "email",
                        &[("query", Value::Arr(vec![s("email"), s("e-mail.1")]))],
                    ),
                    obj(&[
                        ("type", s("hidden")),
                        ("name", s("utm_source")),
                        ("max_length", Value::Num(40.0)),
                        ("query", Value::Arr(vec![s("utm_source")])),
                    ]),
                ]),
            ),
            (
                "strings",
                obj(&[("required", s("Obligatoire.")), ("sending", Value::Null)]),
            ),
            (
                "brand",
                obj(&[
                    ("accent", s("#0a7")),
                    ("radius", Value::Num(12.0)),
                    ("font", s("Georgia, serif")),
                ]),
            ),
        ]))
        .expect("valid");
        assert_eq!(form.fields[0].query, ["email", "e-mail.1"]);
        assert_eq!(form.fields[1].query, ["utm_source"]);
        assert_eq!(form.fields[1].max_length, Some(40));
        assert_eq!(
            form.strings,
            [("required".to_string(), "Obligatoire.".to_string())]
        );
        assert_eq!(form.accent.as_deref(), Some("#0a7"));
        assert_eq!(form.radius, Some(12));
        assert_eq!(form.font_stack.as_deref(), Some("Georgia, serif"));
        // Every documented key is accepted.
        for key in STRING_KEYS {
            let config = obj(&[
                ("fields", Value::Arr(vec![field("text", "a", &[])])),
                ("strings", obj(&[(key, s("x"))])),
            ]);
            assert!(FormConfig::parse(&config).is_ok(), "{key}");
        }
        for (query, ok) in [
            (Value::Arr(vec![s("a"); 5]), false),
            (
                Value::Arr((0..6).map(|i| s(&i.to_string())).collect()),
                false,
            ),
            (
                Value::Arr((0..5).map(|i| s(&i.to_string())).collect()),
                true,
            ),
            (Value::Arr(vec![s(&"a".repeat(65))]), false),
            (Value::Arr(vec![s("a&b")]), false),
            (Value::Arr(vec![Value::Num(1.0)]), false),
        ] {
            let config = config(vec![field("text", "a", &[("query", query.clone())])]);
            assert_eq!(FormConfig::parse(&config).is_ok(), ok, "{query:?}");
        }
    }

    #[test]
    fn errors_name_the_offending_key() {
        // The server's own rules. The embed's `check` cases, and the limits it leaves to the
        // server, are run against this parser too, in `schema::tests` (`broken()` and
        // `check_is_a_subset_of_the_full_parse`).
        let cases: Vec<(Value, &str)> = vec![
            (
                config(vec![field(
                    "text",
                    "a",
                    &[("max_length", Value::Num(-1.0))],
                )]),
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
                config(vec![field("number", "a", &[("pattern", s("\\d"))])]),
                "fields[0].pattern",
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
        let long_path = config(
            (0..12)
                .map(|i| field("text", &i.to_string(), &[]))
                .chain([field("x", "y", &[])])
                .collect(),
        );
        assert_eq!(parse_err(&long_path).path, "fields[12].type");
    }
}
