//! Checking a submission's values against the form config: the browser runs it before sending,
//! the server runs it again before storing.

use std::string::String;
use std::vec::Vec;

use ck_runtime::Value;

use super::{
    char_len, is_blank, is_http_url, push_number, Field, FieldError, FieldKind, FormConfig,
};

impl FormConfig {
    /// Checks submitted `values` (an object keyed by field name): every field's rules, and no
    /// keys the form does not have. Returns every problem, one per field, in field order.
    /// Empty strings and missing keys count as "not filled"; checkboxes are booleans; number
    /// fields take a number or a numeric string.
    ///
    /// ```
    /// use ck_form::schema::FormConfig;
    /// use ck_runtime::Value;
    /// let field = Value::Obj(vec![
    ///     ("type".into(), Value::Str("email".into())),
    ///     ("name".into(), Value::Str("email".into())),
    ///     ("label".into(), Value::Str("Email".into())),
    ///     ("required".into(), Value::Bool(true)),
    /// ]);
    /// let form = FormConfig::parse(&Value::Obj(vec![("fields".into(), Value::Arr(vec![field]))])).unwrap();
    /// let errors = form.validate(&Value::Obj(vec![("email".into(), Value::Str("nope".into()))])).unwrap_err();
    /// assert_eq!(errors[0].code, "invalid_email");
    /// assert!(form.validate(&Value::Obj(vec![("email".into(), Value::Str("a@b.co".into()))])).is_ok());
    /// ```
    pub fn validate(&self, values: &Value) -> Result<(), Vec<FieldError>> {
        let Value::Obj(members) = values else {
            return Err(std::vec![FieldError {
                name: String::new(),
                code: "invalid_type",
                message: "Values must be an object.".into(),
            }]);
        };
        let mut errors = Vec::new();
        for field in &self.fields {
            if let Err((code, message)) = check_field(field, values.get(&field.name)) {
                errors.push(FieldError {
                    name: field.name.clone(),
                    code,
                    message,
                });
            }
        }
        for (key, _) in members {
            if self.field(key).is_none() {
                errors.push(FieldError {
                    name: key.clone(),
                    code: "unknown_field",
                    message: "This field is not part of the form.".into(),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

type Problem = (&'static str, String);

fn problem(code: &'static str, message: &str) -> Result<(), Problem> {
    Err((code, message.into()))
}

/// `"{before}{n}{after}"` without `core::fmt`.
fn problem_with_number(
    code: &'static str,
    before: &str,
    n: u64,
    after: &str,
) -> Result<(), Problem> {
    let mut message = String::from(before);
    push_number(&mut message, n);
    message.push_str(after);
    Err((code, message))
}

fn check_field(field: &Field, value: &Value) -> Result<(), Problem> {
    match field.kind {
        FieldKind::Checkbox => match value {
            Value::Null | Value::Bool(false) if field.required => {
                problem("required", "Please tick this box.")
            }
            Value::Null | Value::Bool(_) => Ok(()),
            _ => problem("invalid_type", "This value has the wrong type."),
        },
        FieldKind::Number => {
            let number = match value {
                Value::Null => None,
                Value::Num(n) => Some(*n),
                Value::Str(s) if is_blank(s) => None,
                Value::Str(s) => match parse_decimal(s.trim_ascii()) {
                    Some(n) => Some(n),
                    None => return problem("not_a_number", "Please enter a number."),
                },
                _ => return problem("invalid_type", "This value has the wrong type."),
            };
            match number {
                None if field.required => problem("required", "Please fill in this field."),
                None => Ok(()),
                Some(n) if !n.is_finite() => problem("not_a_number", "Please enter a number."),
                Some(n) => check_bounds(field, n),
            }
        }
        _ => {
            let text = match value {
                Value::Null => "",
                Value::Str(s) => s.as_str(),
                _ => return problem("invalid_type", "This value has the wrong type."),
            };
            if is_blank(text) {
                return if field.required && field.kind != FieldKind::Hidden {
                    let message = match field.kind {
                        FieldKind::Select | FieldKind::Radio => "Please choose an option.",
                        _ => "Please fill in this field.",
                    };
                    problem("required", message)
                } else if text.is_empty() {
                    Ok(())
                } else {
                    check_text(field, text)
                };
            }
            check_text(field, text)
        }
    }
}

fn check_text(field: &Field, text: &str) -> Result<(), Problem> {
    if matches!(field.kind, FieldKind::Select | FieldKind::Radio) {
        return if field.options.iter().any(|o| o.value == text) {
            Ok(())
        } else {
            problem("invalid_option", "Please choose one of the options.")
        };
    }
    let length = char_len(text) as u64;
    if let Some(max) = field.max_length {
        if length > u64::from(max) {
            return problem_with_number(
                "too_long",
                "Please use at most ",
                max.into(),
                " characters.",
            );
        }
    }
    if let Some(min) = field.min_length {
        if length < u64::from(min) {
            return problem_with_number(
                "too_short",
                "Please use at least ",
                min.into(),
                " characters.",
            );
        }
    }
    match field.kind {
        FieldKind::Email if !is_email(text) => {
            return problem("invalid_email", "Please enter a valid email address.")
        }
        FieldKind::Url if !is_http_url(text) => {
            return problem(
                "invalid_url",
                "Please enter a web address starting with http:// or https://.",
            )
        }
        FieldKind::Tel if !is_tel(text) => {
            return problem("invalid_tel", "Please enter a valid phone number.")
        }
        _ => {}
    }
    match &field.pattern {
        Some(pattern) if !pattern.matches(text) => {
            problem("pattern", "Please match the requested format.")
        }
        _ => Ok(()),
    }
}

fn check_bounds(field: &Field, n: f64) -> Result<(), Problem> {
    if let Some(min) = field.min {
        if n < min {
            return bound_problem(
                "too_small",
                "Please enter a number of at least ",
                min,
                "Please enter a larger number.",
            );
        }
    }
    if let Some(max) = field.max {
        if n > max {
            return bound_problem(
                "too_large",
                "Please enter a number of at most ",
                max,
                "Please enter a smaller number.",
            );
        }
    }
    Ok(())
}

/// Names the bound when it is a whole number (the common case); formatting arbitrary floats
/// would pull `core::fmt` float printing into the wasm.
fn bound_problem(
    code: &'static str,
    before: &str,
    bound: f64,
    fallback: &str,
) -> Result<(), Problem> {
    if bound.fract() != 0.0 || bound.abs() >= 1e15 {
        return problem(code, fallback);
    }
    let mut message = String::from(before);
    if bound < 0.0 {
        message.push('-');
    }
    push_number(&mut message, bound.abs() as u64);
    message.push('.');
    Err((code, message))
}

/// `-?digits[.digits]` (or `.digits`). Hand-written instead of `str::parse::<f64>`, whose
/// exact-rounding machinery costs kilobytes of wasm; bounds checks do not need the last ulp.
fn parse_decimal(text: &str) -> Option<f64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = match digits.bytes().position(|b| b == b'.' || b == b',') {
        Some(at) => (&digits[..at], &digits[at + 1..]),
        None => (digits, ""),
    };
    if (whole.is_empty() && fraction.is_empty())
        || whole.len() + fraction.len() > 30
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut value = 0.0f64;
    for b in whole.bytes() {
        value = value * 10.0 + f64::from(b - b'0');
    }
    let mut scale = 1.0f64;
    for b in fraction.bytes() {
        scale /= 10.0;
        value += f64::from(b - b'0') * scale;
    }
    Some(if negative { -value } else { value })
}

/// A pragmatic address check (the browser's `type=email` rule, which the server repeats):
/// one `@`, a non-empty local part without spaces, a dotted domain of letters, digits and `-`.
fn is_email(text: &str) -> bool {
    let Some(at) = text.bytes().position(|b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&text[..at], &text[at + 1..]);
    const LOCAL_EXTRA: &[u8] = b".!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.len() <= 64
        && text.len() <= 254
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || LOCAL_EXTRA.contains(&b) || b >= 0x80)
        && domain.bytes().any(|b| b == b'.')
        && domain.as_bytes().split(|&b| b == b'.').all(|label| {
            matches!((label.first(), label.last()), (Some(&first), Some(&last)) if first != b'-' && last != b'-')
                && label.len() <= 63
                && label
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b >= 0x80)
        })
}

/// Digits with the usual separators, between 3 and 20 digits.
fn is_tel(text: &str) -> bool {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    (3..=20).contains(&digits)
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b" +-().".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{field, obj, s};
    use super::*;

    fn form(fields: Vec<Value>) -> FormConfig {
        FormConfig::parse(&obj(&[("fields", Value::Arr(fields))])).expect("valid config")
    }

    fn codes(form: &FormConfig, values: &[(&str, Value)]) -> Vec<(String, &'static str)> {
        match form.validate(&obj(values)) {
            Ok(()) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| (e.name, e.code)).collect(),
        }
    }

    fn one(form: &FormConfig, name: &str, value: Value) -> Option<&'static str> {
        codes(form, &[(name, value)]).first().map(|(_, code)| *code)
    }

    #[test]
    fn required_fields() {
        let f = form(vec![
            field("text", "name", &[("required", Value::Bool(true))]),
            field("checkbox", "agree", &[("required", Value::Bool(true))]),
            field(
                "select",
                "topic",
                &[
                    ("required", Value::Bool(true)),
                    ("options", Value::Arr(vec![s("a")])),
                ],
            ),
            field("number", "n", &[("required", Value::Bool(true))]),
            field("text", "optional", &[]),
        ]);
        let errors = f
            .validate(&obj(&[("name", s("   ")), ("agree", Value::Bool(false))]))
            .unwrap_err();
        let names: Vec<&str> = errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["name", "agree", "topic", "n"]);
        assert!(errors.iter().all(|e| e.code == "required"));
        assert_eq!(errors[1].message, "Please tick this box.");
        assert_eq!(errors[2].message, "Please choose an option.");
        assert!(f
            .validate(&obj(&[
                ("name", s("Ada")),
                ("agree", Value::Bool(true)),
                ("topic", s("a")),
                ("n", Value::Num(0.0)),
                ("optional", s("")),
            ]))
            .is_ok());
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let f = form(vec![field(
            "text",
            "t",
            &[
                ("min_length", Value::Num(2.0)),
                ("max_length", Value::Num(3.0)),
            ],
        )]);
        assert_eq!(one(&f, "t", s("a")), Some("too_short"));
        assert_eq!(one(&f, "t", s("äöü")), None);
        assert_eq!(one(&f, "t", s("abcd")), Some("too_long"));
        let errors = f.validate(&obj(&[("t", s("abcd"))])).unwrap_err();
        assert_eq!(errors[0].message, "Please use at most 3 characters.");
        // Optional and empty: no length complaint.
        assert_eq!(one(&f, "t", s("")), None);
        // Default cap applies even without max_length.
        let g = form(vec![field("text", "t", &[])]);
        assert_eq!(one(&g, "t", s(&"x".repeat(501))), Some("too_long"));
        let h = form(vec![field("textarea", "t", &[])]);
        assert_eq!(one(&h, "t", s(&"x".repeat(5000))), None);
    }

    #[test]
    fn email_url_tel() {
        let f = form(vec![
            field("email", "e", &[]),
            field("url", "u", &[]),
            field("tel", "p", &[]),
        ]);
        for good in ["a@b.co", "first.last+tag@sub.example.org", "ü@exämple.de"] {
            assert_eq!(one(&f, "e", s(good)), None, "{good}");
        }
        for bad in [
            "a", "a@b", "@b.co", "a@@b.co", "a b@c.de", "a@-b.co", "a@b..co", "a@b.co ",
        ] {
            assert_eq!(one(&f, "e", s(bad)), Some("invalid_email"), "{bad}");
        }
        assert_eq!(one(&f, "u", s("https://example.com/x")), None);
        assert_eq!(one(&f, "u", s("javascript:alert(1)")), Some("invalid_url"));
        assert_eq!(one(&f, "u", s("example.com")), Some("invalid_url"));
        assert_eq!(one(&f, "p", s("+49 (30) 123-456")), None);
        assert_eq!(one(&f, "p", s("12")), Some("invalid_tel"));
        assert_eq!(one(&f, "p", s("call me")), Some("invalid_tel"));
    }

    #[test]
    fn numbers() {
        let f = form(vec![field(
            "number",
            "n",
            &[("min", Value::Num(-5.0)), ("max", Value::Num(10.5))],
        )]);
        assert_eq!(one(&f, "n", Value::Num(3.0)), None);
        assert_eq!(one(&f, "n", s("3.25")), None);
        assert_eq!(one(&f, "n", s(" -5 ")), None);
        assert_eq!(one(&f, "n", s("")), None);
        assert_eq!(one(&f, "n", s("abc")), Some("not_a_number"));
        assert_eq!(one(&f, "n", s("1e3")), Some("not_a_number"));
        assert_eq!(one(&f, "n", s("-")), Some("not_a_number"));
        assert_eq!(one(&f, "n", Value::Num(-6.0)), Some("too_small"));
        assert_eq!(one(&f, "n", s("10.6")), Some("too_large"));
        assert_eq!(one(&f, "n", Value::Bool(true)), Some("invalid_type"));
        let errors = f.validate(&obj(&[("n", Value::Num(-9.0))])).unwrap_err();
        assert_eq!(errors[0].message, "Please enter a number of at least -5.");
        let errors = f.validate(&obj(&[("n", Value::Num(11.0))])).unwrap_err();
        assert_eq!(errors[0].message, "Please enter a smaller number.");
        assert_eq!(parse_decimal("0.5"), Some(0.5));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        assert_eq!(parse_decimal("12,5"), Some(12.5));
    }

    #[test]
    fn options_pattern_and_types() {
        let f = form(vec![
            field(
                "radio",
                "r",
                &[("options", Value::Arr(vec![s("x"), s("y")]))],
            ),
            field("text", "zip", &[("pattern", s("\\d{5}"))]),
            field("checkbox", "c", &[]),
        ]);
        assert_eq!(one(&f, "r", s("y")), None);
        assert_eq!(one(&f, "r", s("z")), Some("invalid_option"));
        assert_eq!(one(&f, "zip", s("12345")), None);
        assert_eq!(one(&f, "zip", s("1234a")), Some("pattern"));
        assert_eq!(one(&f, "zip", Value::Num(12345.0)), Some("invalid_type"));
        assert_eq!(one(&f, "c", s("on")), Some("invalid_type"));
        assert_eq!(one(&f, "c", Value::Bool(false)), None);
    }

    #[test]
    fn unknown_keys_and_non_objects() {
        let f = form(vec![field("text", "a", &[])]);
        assert_eq!(
            codes(
                &f,
                &[("a", s("x")), ("ck_website", s("")), ("evil", s("x"))]
            ),
            [
                ("ck_website".to_string(), "unknown_field"),
                ("evil".to_string(), "unknown_field")
            ]
        );
        let errors = f.validate(&s("x")).unwrap_err();
        assert_eq!(errors[0].code, "invalid_type");
    }

    #[test]
    fn hidden_fields_are_length_checked_but_never_required() {
        let f = form(vec![obj(&[
            ("type", s("hidden")),
            ("name", s("h")),
            ("value", s("v")),
            ("required", Value::Bool(true)),
            ("max_length", Value::Num(3.0)),
        ])]);
        assert_eq!(one(&f, "h", s("")), None);
        assert_eq!(one(&f, "h", s("abc")), None);
        assert_eq!(one(&f, "h", s("abcd")), Some("too_long"));
    }
}
