//! Token compiler: DTCG JSON in, Rust source and CSS out, for `dieter-tokens/build.rs`.
//!
//! [`parse`] reads a token file (document order kept, aliases and inherited `$type`s resolved,
//! every error naming the token path), [`rust`] writes the `dieter-tokens` crate's constants and
//! [`css`] the custom properties of any set of tokens.

use std::fmt::{self, Write as _};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A token file problem, naming the token (or JSON position) it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// Dotted token path (`color.light.surface`), or `line:col` for JSON syntax errors.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.contains(':') {
            write!(f, "line:column {}: {}", self.path, self.message)
        } else {
            write!(f, "token `{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for Error {}

fn err(path: &[String], message: impl Into<String>) -> Error {
    Error {
        path: path.join("."),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------------------

/// A JSON value that keeps object members in document order (the CSS follows the order the
/// designer wrote the tokens in) and refuses duplicate keys (where "the last one wins" would hide
/// a typo). serde_json reads the text; this is only the shape it reads into.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => b.to_string(),
            Json::Num(n) => n.to_string(),
            Json::Str(s) => format!("{s:?}"),
            Json::Arr(_) => "an array".into(),
            Json::Obj(_) => "an object".into(),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Num(n as f64))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Num(n as f64))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
        Ok(Json::Num(n))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::Str(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::Str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members: Vec<(String, Json)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            let value = map.next_value()?;
            members.push((key, value));
        }
        Ok(Json::Obj(members))
    }
}

/// Parses JSON; a syntax error is named by its `line:column`.
fn parse_json(src: &str) -> Result<Json, Error> {
    serde_json::from_str(src).map_err(|e| {
        let message = e.to_string();
        // serde_json appends the position; the error's path carries it instead.
        let position = format!(" at line {} column {}", e.line(), e.column());
        Error {
            path: format!("{}:{}", e.line(), e.column()),
            message: format!(
                "invalid JSON: {}",
                message.strip_suffix(&position).unwrap_or(&message)
            ),
        }
    })
}

// ---------------------------------------------------------------------------------------------------------
// Token model
// ---------------------------------------------------------------------------------------------------------

/// An sRGB colour with 8-bit channels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgba {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Alpha (255 = opaque).
    pub a: u8,
}

impl Rgba {
    /// Shortest CSS hex form (`#fff`, `#16181d`, `#00000014`).
    pub fn css(&self) -> String {
        let channels: Vec<u8> = if self.a == 255 {
            vec![self.r, self.g, self.b]
        } else {
            vec![self.r, self.g, self.b, self.a]
        };
        if channels.iter().all(|c| c >> 4 == c & 15) {
            channels
                .iter()
                .fold("#".to_string(), |s, c| s + &format!("{:x}", c & 15))
        } else {
            channels
                .iter()
                .fold("#".to_string(), |s, c| s + &format!("{c:02x}"))
        }
    }
}

/// One box-shadow layer.
#[derive(Debug, Clone, PartialEq)]
pub struct ShadowValue {
    /// Shadow colour.
    pub color: Rgba,
    /// Horizontal offset (px).
    pub offset_x: i16,
    /// Vertical offset (px).
    pub offset_y: i16,
    /// Blur radius (px).
    pub blur: u16,
    /// Spread (px).
    pub spread: i16,
}

/// A token's value, by its `$type`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `color`.
    Color(Rgba),
    /// `dimension`, in whole pixels.
    Dimension(u16),
    /// `number`.
    Number(f64),
    /// `fontWeight`, 1..=1000.
    FontWeight(u16),
    /// `fontFamily`: family names, most wanted first.
    FontFamily(Vec<String>),
    /// `duration`, in milliseconds.
    Duration(u16),
    /// `shadow`.
    Shadow(ShadowValue),
}

/// One design token.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Path segments as written, e.g. `["color", "light", "surface"]`.
    pub path: Vec<String>,
    /// The value, aliases resolved.
    pub value: Value,
    /// `$description`, if any.
    pub description: Option<String>,
}

/// The theme a token belongs to: tokens under a `light` / `dark` group switch with the colour scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Under a `light` group.
    Light,
    /// Under a `dark` group.
    Dark,
}

impl Token {
    /// The theme group the token sits in, if any.
    pub fn theme(&self) -> Option<Theme> {
        self.path.iter().find_map(|s| match s.as_str() {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        })
    }

    /// Path without the theme segment: the same name in both themes.
    fn role(&self) -> Vec<&str> {
        self.path
            .iter()
            .map(String::as_str)
            .filter(|s| !matches!(*s, "light" | "dark"))
            .collect()
    }

    /// `--ck-color-surface`, `--ck-space-1`, `--ck-line-height-tight`.
    pub fn css_var(&self) -> String {
        format!("--ck-{}", self.role().join("-"))
    }

    /// The value in its shortest CSS form.
    pub fn css_value(&self) -> String {
        match &self.value {
            Value::Color(c) => c.css(),
            Value::Dimension(px) => px_css(i32::from(*px)),
            Value::Number(n) => num_css(*n),
            Value::FontWeight(w) => w.to_string(),
            Value::FontFamily(names) => names
                .iter()
                .map(|n| {
                    if is_css_ident_list(n) {
                        n.clone()
                    } else {
                        format!("\"{n}\"")
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
            Value::Duration(ms) => format!("{ms}ms"),
            Value::Shadow(s) => format!(
                "{} {} {} {} {}",
                px_css(s.offset_x.into()),
                px_css(s.offset_y.into()),
                px_css(s.blur.into()),
                px_css(s.spread.into()),
                s.color.css()
            ),
        }
    }
}

fn px_css(px: i32) -> String {
    if px == 0 {
        "0".into()
    } else {
        format!("{px}px")
    }
}

/// `1.5`, `.75`, `2`: the shortest CSS number.
fn num_css(n: f64) -> String {
    let s = format!("{}", (n * 1000.0).round() / 1000.0);
    match s.strip_prefix("0.") {
        Some(rest) => format!(".{rest}"),
        None => s,
    }
}

/// Family names that are valid unquoted: one identifier, or a generic keyword.
fn is_css_ident_list(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(' ')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

// ---------------------------------------------------------------------------------------------------------
// Reading tokens
// ---------------------------------------------------------------------------------------------------------

/// Reads a DTCG document into tokens (document order), resolving `{alias.paths}` and inherited `$type`s.
pub fn parse(src: &str) -> Result<Vec<Token>, Error> {
    let doc = parse_json(src)?;
    let mut raw = Vec::new();
    collect(&doc, &mut Vec::new(), None, &mut raw)?;
    let mut tokens = Vec::with_capacity(raw.len());
    for (path, ty, value, description) in &raw {
        let resolved = resolve_alias(path, value, &raw, 0)?;
        tokens.push(Token {
            path: path.clone(),
            value: convert(path, ty, resolved)?,
            description: description.clone(),
        });
    }
    check_themes(&tokens)?;
    Ok(tokens)
}

type RawToken = (Vec<String>, String, Json, Option<String>);

fn collect(
    node: &Json,
    path: &mut Vec<String>,
    inherited: Option<&str>,
    out: &mut Vec<RawToken>,
) -> Result<(), Error> {
    let Json::Obj(members) = node else {
        return Err(err(
            path,
            format!(
                "expected a group object or a token with \"$value\", got {}",
                node.describe()
            ),
        ));
    };
    let ty = match node.get("$type") {
        Some(Json::Str(t)) => Some(t.as_str()),
        Some(other) => {
            return Err(err(
                path,
                format!("\"$type\" must be a string, got {}", other.describe()),
            ))
        }
        None => inherited,
    };
    if let Some(value) = node.get("$value") {
        let ty = ty.ok_or_else(|| err(path, "no \"$type\" on the token or any enclosing group"))?;
        let description = match node.get("$description") {
            Some(Json::Str(d)) => Some(d.clone()),
            _ => None,
        };
        out.push((path.clone(), ty.to_string(), value.clone(), description));
        return Ok(());
    }
    for (key, child) in members {
        if key.starts_with('$') {
            continue;
        }
        if key.is_empty()
            || key.contains(['.', '{', '}'])
            || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            path.push(key.clone());
            let e = err(
                path,
                "token and group names may only use ASCII letters, digits and '-'",
            );
            return Err(e);
        }
        path.push(key.clone());
        collect(child, path, ty, out)?;
        path.pop();
    }
    if path.is_empty() && out.is_empty() {
        return Err(err(&["(root)".to_string()], "the file holds no tokens"));
    }
    Ok(())
}

fn resolve_alias<'a>(
    path: &[String],
    value: &'a Json,
    raw: &'a [RawToken],
    depth: usize,
) -> Result<&'a Json, Error> {
    let Json::Str(s) = value else {
        return Ok(value);
    };
    let Some(target) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
        return Ok(value);
    };
    if depth > 16 {
        return Err(err(path, format!("alias {s} is circular")));
    }
    let found = raw
        .iter()
        .find(|(p, ..)| p.join(".") == target)
        .ok_or_else(|| err(path, format!("alias {s} points at no token")))?;
    resolve_alias(path, &found.2, raw, depth + 1)
}

fn convert(path: &[String], ty: &str, value: &Json) -> Result<Value, Error> {
    match ty {
        "color" => color(path, value).map(Value::Color),
        "dimension" => {
            let px = dimension(path, value)?;
            u16::try_from(px)
                .map(Value::Dimension)
                .map_err(|_| err(path, format!("{px}px is out of range 0..=65535")))
        }
        "number" => match value {
            Json::Num(n) if n.is_finite() => Ok(Value::Number(*n)),
            other => Err(err(
                path,
                format!("expected a number, got {}", other.describe()),
            )),
        },
        "fontWeight" => font_weight(path, value).map(Value::FontWeight),
        "fontFamily" => match value {
            Json::Str(s) if !s.trim().is_empty() => Ok(Value::FontFamily(vec![s.clone()])),
            Json::Arr(items) if !items.is_empty() => items
                .iter()
                .map(|item| match item {
                    Json::Str(s)
                        if !s.trim().is_empty()
                            && !s.contains(['"', '\'', ';', '{', '}', '\\']) =>
                    {
                        Ok(s.clone())
                    }
                    other => Err(err(
                        path,
                        format!(
                            "font family names must be plain strings, got {}",
                            other.describe()
                        ),
                    )),
                })
                .collect::<Result<_, _>>()
                .map(Value::FontFamily),
            other => Err(err(
                path,
                format!(
                    "expected a font family or a list of them, got {}",
                    other.describe()
                ),
            )),
        },
        "duration" => duration(path, value).map(Value::Duration),
        "shadow" => shadow(path, value).map(Value::Shadow),
        other => Err(err(path, format!("unsupported $type {other:?}"))),
    }
}

fn color(path: &[String], value: &Json) -> Result<Rgba, Error> {
    match value {
        Json::Str(s) => parse_hex(s).ok_or_else(|| {
            err(
                path,
                format!("expected a hex colour like #1a2b3c, got {s:?}"),
            )
        }),
        // DTCG 2025 object form: {"colorSpace": "srgb", "components": [r, g, b], "alpha": a}.
        Json::Obj(_) => {
            if value.get("colorSpace") != Some(&Json::Str("srgb".into())) {
                return Err(err(
                    path,
                    "only \"colorSpace\": \"srgb\" colours are supported",
                ));
            }
            let Some(Json::Arr(components)) = value.get("components") else {
                return Err(err(path, "colour object needs \"components\": [r, g, b]"));
            };
            let unit = |v: Option<&Json>| match v {
                Some(Json::Num(n)) if (0.0..=1.0).contains(n) => Ok((n * 255.0).round() as u8),
                _ => Err(err(
                    path,
                    "colour components and alpha must be numbers in 0..=1",
                )),
            };
            if components.len() != 3 {
                return Err(err(path, "colour object needs exactly three components"));
            }
            Ok(Rgba {
                r: unit(components.first())?,
                g: unit(components.get(1))?,
                b: unit(components.get(2))?,
                a: match value.get("alpha") {
                    None => 255,
                    alpha => unit(alpha)?,
                },
            })
        }
        other => Err(err(
            path,
            format!("expected a colour, got {}", other.describe()),
        )),
    }
}

fn parse_hex(s: &str) -> Option<Rgba> {
    let hex = s.strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let digits: Vec<u8> = hex
        .chars()
        .map(|c| c.to_digit(16).unwrap_or(0) as u8)
        .collect();
    let channels: Vec<u8> = match digits.len() {
        3 | 4 => digits.iter().map(|d| d * 17).collect(),
        6 | 8 => digits.chunks(2).map(|p| p[0] * 16 + p[1]).collect(),
        _ => return None,
    };
    Some(Rgba {
        r: channels[0],
        g: channels[1],
        b: channels[2],
        a: channels.get(3).copied().unwrap_or(255),
    })
}

/// Whole pixels. `rem`/`em` are refused: they would follow the host page's root font-size.
fn dimension(path: &[String], value: &Json) -> Result<i64, Error> {
    let (number, unit) = match value {
        Json::Str(s) => {
            let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
            let number = s[..split].trim().parse::<f64>().map_err(|_| {
                err(
                    path,
                    format!("expected a dimension like \"8px\", got {s:?}"),
                )
            })?;
            (number, s[split..].to_string())
        }
        Json::Obj(_) => match (value.get("value"), value.get("unit")) {
            (Some(Json::Num(n)), Some(Json::Str(u))) => (*n, u.clone()),
            _ => {
                return Err(err(
                    path,
                    "dimension object needs \"value\" (number) and \"unit\"",
                ))
            }
        },
        Json::Num(n) if *n == 0.0 => (0.0, "px".into()),
        other => {
            return Err(err(
                path,
                format!(
                    "expected a dimension like \"8px\", got {}",
                    other.describe()
                ),
            ))
        }
    };
    match unit.as_str() {
        "px" if number.fract() == 0.0 => Ok(number as i64),
        "px" => Err(err(path, format!("{number}px: use whole pixels"))),
        "rem" | "em" => Err(err(
            path,
            format!("unit {unit:?} depends on the host page's font-size; use px"),
        )),
        other => Err(err(path, format!("unsupported unit {other:?}; use px"))),
    }
}

fn duration(path: &[String], value: &Json) -> Result<u16, Error> {
    let (number, unit) = match value {
        Json::Str(s) => {
            let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
            let number = s[..split].trim().parse::<f64>().map_err(|_| {
                err(
                    path,
                    format!("expected a duration like \"120ms\", got {s:?}"),
                )
            })?;
            (number, s[split..].to_string())
        }
        Json::Obj(_) => match (value.get("value"), value.get("unit")) {
            (Some(Json::Num(n)), Some(Json::Str(u))) => (*n, u.clone()),
            _ => {
                return Err(err(
                    path,
                    "duration object needs \"value\" (number) and \"unit\"",
                ))
            }
        },
        other => {
            return Err(err(
                path,
                format!(
                    "expected a duration like \"120ms\", got {}",
                    other.describe()
                ),
            ))
        }
    };
    let ms = match unit.as_str() {
        "ms" => number,
        "s" => number * 1000.0,
        other => {
            return Err(err(
                path,
                format!("unsupported duration unit {other:?}; use ms or s"),
            ))
        }
    };
    if !(0.0..=60_000.0).contains(&ms) || ms.fract() != 0.0 {
        return Err(err(
            path,
            format!("{ms}ms must be whole milliseconds in 0..=60000"),
        ));
    }
    Ok(ms as u16)
}

fn font_weight(path: &[String], value: &Json) -> Result<u16, Error> {
    let weight = match value {
        Json::Num(n) if n.fract() == 0.0 => *n as i64,
        Json::Str(name) => match name.as_str() {
            "thin" | "hairline" => 100,
            "extra-light" | "ultra-light" => 200,
            "light" => 300,
            "normal" | "regular" | "book" => 400,
            "medium" => 500,
            "semi-bold" | "demi-bold" => 600,
            "bold" => 700,
            "extra-bold" | "ultra-bold" => 800,
            "black" | "heavy" => 900,
            _ => return Err(err(path, format!("unknown font weight {name:?}"))),
        },
        other => {
            return Err(err(
                path,
                format!("expected a font weight, got {}", other.describe()),
            ))
        }
    };
    if (1..=1000).contains(&weight) {
        Ok(weight as u16)
    } else {
        Err(err(
            path,
            format!("font weight {weight} is outside 1..=1000"),
        ))
    }
}

fn shadow(path: &[String], value: &Json) -> Result<ShadowValue, Error> {
    if !matches!(value, Json::Obj(_)) {
        return Err(err(
            path,
            format!("expected a shadow object, got {}", value.describe()),
        ));
    }
    let field = |name: &str| -> Result<&Json, Error> {
        value
            .get(name)
            .ok_or_else(|| err(path, format!("shadow needs \"{name}\"")))
    };
    let px = |name: &str| -> Result<i16, Error> {
        let mut sub = path.to_vec();
        sub.push(name.to_string());
        let v = dimension(&sub, field(name)?)?;
        i16::try_from(v).map_err(|_| err(&sub, "out of range"))
    };
    let mut color_path = path.to_vec();
    color_path.push("color".into());
    let blur = px("blur")?;
    Ok(ShadowValue {
        color: color(&color_path, field("color")?)?,
        offset_x: px("offsetX")?,
        offset_y: px("offsetY")?,
        blur: u16::try_from(blur).map_err(|_| err(path, "blur must not be negative"))?,
        spread: px("spread")?,
    })
}

/// Every themed token needs its twin in the other theme, or a widget would keep a light colour in dark mode.
fn check_themes(tokens: &[Token]) -> Result<(), Error> {
    for token in tokens {
        let Some(theme) = token.theme() else { continue };
        if token.path.first().map(String::as_str) != Some("color") {
            return Err(err(
                &token.path,
                "only colours may be themed (light/dark groups live under `color`)",
            ));
        }
        let twin = tokens
            .iter()
            .any(|t| t.theme().is_some_and(|th| th != theme) && t.role() == token.role());
        if !twin {
            let other = if theme == Theme::Light {
                "dark"
            } else {
                "light"
            };
            return Err(err(&token.path, format!("has no {other} counterpart")));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// CSS
// ---------------------------------------------------------------------------------------------------------

/// Which selectors a stylesheet targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Widgets: `:host`, theme forced by `data-ck-theme` on the mount element.
    Host,
    /// Dashboard pages: `:root`, theme forced by `data-theme`.
    Root,
}

fn declarations(tokens: &[&Token]) -> String {
    tokens.iter().fold(String::new(), |mut s, t| {
        let _ = write!(s, "{}:{};", t.css_var(), t.css_value());
        s
    })
}

fn block(selector: &str, body: &str) -> String {
    // The last `;` in a block is optional in CSS; dropping it saves a byte per block.
    format!("{selector}{{{}}}", body.strip_suffix(';').unwrap_or(body))
}

/// CSS for `tokens` (one top-level group or all of them): light and theme-independent values on the scope,
/// dark values under the OS preference unless forced light, and under the forcing attribute.
pub fn css(tokens: &[&Token], scope: Scope) -> String {
    let (base_sel, auto_dark_sel, forced_dark_sel) = match scope {
        Scope::Host => (
            ":host",
            ":host(:not([data-ck-theme=light]))",
            ":host([data-ck-theme=dark])",
        ),
        Scope::Root => (
            ":root",
            ":root:not([data-theme=light])",
            "[data-theme=dark]",
        ),
    };
    let base: Vec<&Token> = tokens
        .iter()
        .copied()
        .filter(|t| t.theme() != Some(Theme::Dark))
        .collect();
    let dark: Vec<&Token> = tokens
        .iter()
        .copied()
        .filter(|t| t.theme() == Some(Theme::Dark))
        .collect();
    let motion: Vec<&Token> = tokens
        .iter()
        .copied()
        .filter(|t| matches!(t.value, Value::Duration(_)))
        .collect();
    let mut out = String::new();
    if !base.is_empty() {
        // color-scheme makes native controls and scrollbars inside the widget follow the same theme.
        let scheme = if dark.is_empty() {
            ""
        } else {
            "color-scheme:light;"
        };
        out += &block(base_sel, &format!("{scheme}{}", declarations(&base)));
    }
    if !dark.is_empty() {
        let body = format!("color-scheme:dark;{}", declarations(&dark));
        out += &format!(
            "@media (prefers-color-scheme:dark){{{}}}",
            block(auto_dark_sel, &body)
        );
        out += &block(forced_dark_sel, &body);
    }
    if !motion.is_empty() {
        let body = motion
            .iter()
            .fold(String::new(), |s, t| s + &t.css_var() + ":0ms;");
        out += &format!(
            "@media (prefers-reduced-motion:reduce){{{}}}",
            block(base_sel, &body)
        );
    }
    out
}

/// Top-level groups in document order (`color`, `font`, …).
pub fn groups(tokens: &[Token]) -> Vec<&str> {
    let mut groups: Vec<&str> = Vec::new();
    for t in tokens {
        let g = t.path[0].as_str();
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    groups
}

// ---------------------------------------------------------------------------------------------------------
// Rust
// ---------------------------------------------------------------------------------------------------------

fn const_name(path: &[String]) -> String {
    let last = path.last().map(String::as_str).unwrap_or_default();
    let name = last.replace('-', "_").to_ascii_uppercase();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        // `space.1` → SPACE_1: identifiers cannot start with a digit.
        let parent = path.iter().rev().nth(1).map(String::as_str).unwrap_or("T");
        format!("{}_{name}", parent.replace('-', "_").to_ascii_uppercase())
    } else {
        name
    }
}

fn module_name(segment: &str) -> String {
    let name = segment.replace('-', "_");
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}

fn rust_value(token: &Token) -> (&'static str, String) {
    fn color(c: &Rgba) -> String {
        format!(
            "crate::Color {{ r: {}, g: {}, b: {}, a: {} }}",
            c.r, c.g, c.b, c.a
        )
    }
    match &token.value {
        Value::Color(c) => ("crate::Color", color(c)),
        Value::Dimension(px) => ("u16", px.to_string()),
        Value::Number(n) => ("f32", format!("{n:?}")),
        Value::FontWeight(w) => ("u16", w.to_string()),
        Value::FontFamily(_) => ("&str", format!("{:?}", token.css_value())),
        Value::Duration(ms) => ("u16", ms.to_string()),
        Value::Shadow(s) => (
            "crate::Shadow",
            format!(
                "crate::Shadow {{ offset_x: {}, offset_y: {}, blur: {}, spread: {}, color: {} }}",
                s.offset_x,
                s.offset_y,
                s.blur,
                s.spread,
                color(&s.color)
            ),
        ),
    }
}

fn unit_doc(value: &Value) -> &'static str {
    match value {
        Value::Dimension(_) => " (px)",
        Value::Duration(_) => " (ms)",
        _ => "",
    }
}

/// Generates the crate's token modules and `css` module.
pub fn rust(tokens: &[Token]) -> String {
    let mut out =
        String::from("// @generated by dieter-tokens/build.rs from tokens.json. Do not edit.\n\n");
    // Nested modules: walk tokens in order, opening/closing `pub mod` blocks as the path prefix changes.
    let mut open: Vec<String> = Vec::new();
    for token in tokens {
        let modules: Vec<String> = token.path[..token.path.len() - 1]
            .iter()
            .map(|s| module_name(s))
            .collect();
        let common = open
            .iter()
            .zip(&modules)
            .take_while(|(a, b)| a == b)
            .count();
        while open.len() > common {
            open.pop();
            out += "}\n";
        }
        for m in &modules[common..] {
            let _ = writeln!(
                out,
                "/// Tokens of the `{}` group.\npub mod {m} {{",
                token.path[..=open.len()].join(".")
            );
            open.push(m.clone());
        }
        let (ty, value) = rust_value(token);
        if let Some(d) = &token.description {
            let _ = writeln!(out, "/// {d}\n///");
        }
        let _ = writeln!(
            out,
            "/// `{}` = `{}`{}.\npub const {}: {ty} = {value};",
            token.css_var(),
            token.css_value(),
            unit_doc(&token.value),
            const_name(&token.path)
        );
        // Palettes: a struct per themed colour set so code and tests can walk roles.
        if token.theme().is_some()
            && tokens
                .iter()
                .rfind(|t| t.path[..t.path.len() - 1] == token.path[..token.path.len() - 1])
                == Some(token)
        {
            // Emitted once, after the last token of the theme group, inside that module.
            let siblings: Vec<&Token> = tokens
                .iter()
                .filter(|t| t.path[..t.path.len() - 1] == token.path[..token.path.len() - 1])
                .collect();
            out += "/// Every colour role of this theme, by name.\npub const PALETTE: crate::Palette = crate::Palette {\n";
            for s in siblings {
                let _ = writeln!(
                    out,
                    "    {}: {},",
                    module_name(s.path.last().map(String::as_str).unwrap_or_default()),
                    const_name(&s.path)
                );
            }
            out += "};\n";
        }
    }
    for _ in open.drain(..) {
        out += "}\n";
    }
    out += &palette_struct(tokens);
    out += &css_module(tokens);
    out
}

fn palette_struct(tokens: &[Token]) -> String {
    let light: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.theme() == Some(Theme::Light))
        .collect();
    if light.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "/// Colour roles of one theme; `color::light::PALETTE` and `color::dark::PALETTE`.\n\
         #[derive(Debug, Clone, Copy, PartialEq)]\npub struct Palette {\n",
    );
    for t in &light {
        let field = module_name(t.path.last().map(String::as_str).unwrap_or_default());
        let _ = writeln!(
            out,
            "    /// `{}`.\n    pub {field}: crate::Color,",
            t.css_var()
        );
    }
    out += "}\n";
    out
}

fn css_module(tokens: &[Token]) -> String {
    let all: Vec<&Token> = tokens.iter().collect();
    let mut out = String::from(
        "/// Generated stylesheets. Each is a `&str` constant, so one a crate never names never reaches the wasm.\npub mod css {\n",
    );
    let _ = writeln!(
        out,
        "    /// Every token as custom properties on `:host`, dark theme by OS preference unless \
         `data-ck-theme=light`, forced by `data-ck-theme=dark`; durations drop to 0 under reduced motion.\n    \
         /// For widget shadow roots.\n    pub const THEME: &str = {:?};",
        css(&all, Scope::Host)
    );
    let _ = writeln!(
        out,
        "    /// The same tokens on `:root` for dashboard pages; dark by OS preference unless `data-theme=light`, \
         forced by `data-theme=dark`.\n    pub const ROOT: &str = {:?};",
        css(&all, Scope::Root)
    );
    for group in groups(tokens) {
        let members: Vec<&Token> = tokens.iter().filter(|t| t.path[0] == group).collect();
        let _ = writeln!(
            out,
            "    /// Only the `{group}` tokens on `:host`, for widgets that want less than [`THEME`]. Do not \
             combine with `THEME` (the bytes would be there twice).\n    pub const THEME_{}: &str = {:?};",
            group.replace('-', "_").to_ascii_uppercase(),
            css(&members, Scope::Host)
        );
    }
    out += "}\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tokens")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn bad_token_files_name_the_token_path() {
        let cases = [
            ("bad-color.json", "color.light.text", "hex colour"),
            ("rem-unit.json", "space.2", "host page"),
            (
                "missing-dark.json",
                "color.light.focus",
                "no dark counterpart",
            ),
            ("no-type.json", "size.big", "$type"),
            ("bad-alias.json", "color.light.accent", "points at no token"),
            ("bad-shadow.json", "shadow.sm", "blur"),
            ("bad-weight.json", "font.weight.bold", "font weight"),
            ("injection.json", "font.family", "plain strings"),
            ("syntax.json", "2:28", "invalid JSON"),
            ("duplicate-key.json", "3:", "duplicate key \"1\""),
        ];
        for (file, path, reason) in cases {
            let error = parse(&fixture(file)).expect_err(file);
            assert!(
                error.path.starts_with(path),
                "{file}: error names {:?}, want {path:?} ({error})",
                error.path
            );
            assert!(
                error.to_string().contains(reason),
                "{file}: {error} should mention {reason:?}"
            );
            assert!(
                error.to_string().contains(path),
                "{file}: message {error} should name {path}"
            );
        }
    }

    #[test]
    fn values_are_written_in_their_shortest_css_form() {
        let src = r##"{
          "c": { "$type": "color", "a": { "$value": "#FFFFFF" }, "b": { "$value": "#11223344" }, "c": { "$value": "#16181d" },
                 "d": { "$value": { "colorSpace": "srgb", "components": [1, 0, 0], "alpha": 0.5 } } },
          "n": { "$type": "number", "h": { "$value": 0.75 } },
          "d": { "$type": "dimension", "z": { "$value": "0px" }, "o": { "$value": { "value": 8, "unit": "px" } } },
          "t": { "$type": "duration", "s": { "$value": "0.2s" } },
          "f": { "$type": "fontFamily", "$value": ["system-ui", "Segoe UI", "sans-serif"] }
        }"##;
        let tokens = parse(src).expect("valid");
        let values: Vec<String> = tokens.iter().map(|t| t.css_value()).collect();
        assert_eq!(
            values,
            [
                "#fff",
                "#1234",
                "#16181d",
                "#ff000080",
                ".75",
                "0",
                "8px",
                "200ms",
                "system-ui,\"Segoe UI\",sans-serif"
            ]
        );
        assert!(matches!(tokens[5].value, Value::Dimension(0)));
    }

    #[test]
    fn aliases_resolve_to_their_target() {
        let src = r##"{ "color": { "$type": "color",
          "light": { "accent": { "$value": "#2452cc" }, "focus": { "$value": "{color.light.accent}" } },
          "dark": { "accent": { "$value": "#7ea3ff" }, "focus": { "$value": "{color.dark.accent}" } } } }"##;
        let tokens = parse(src).expect("valid");
        assert_eq!(tokens[1].css_value(), "#2452cc");
        assert_eq!(tokens[3].css_value(), "#7ea3ff");
    }

    #[test]
    fn tokens_keep_document_order_in_css_and_rust() {
        let src = r##"{ "space": { "$type": "dimension",
          "4": { "$value": "16px" }, "1": { "$value": "4px" }, "2": { "$value": "8px" } } }"##;
        let tokens = parse(src).expect("valid");
        let all: Vec<&Token> = tokens.iter().collect();
        assert_eq!(
            css(&all, Scope::Host),
            ":host{--ck-space-4:16px;--ck-space-1:4px;--ck-space-2:8px}"
        );
        let rust = rust(&tokens);
        let at = |name: &str| rust.find(name).expect(name);
        assert!(at("SPACE_4:") < at("SPACE_1:") && at("SPACE_1:") < at("SPACE_2:"));
    }
}
