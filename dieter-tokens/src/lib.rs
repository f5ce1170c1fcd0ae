//! Dieter design tokens: one look for the embed's widgets and the server's dashboard.
//!
//! The single source is `tokens.json` (W3C Design Tokens format). `build.rs` turns it, with the token
//! compiler of the `ck-build` crate, into typed constants (`color::light::SURFACE`, `space::SPACE_4`, …)
//! and CSS custom properties (`--ck-…`) in [`css`]. All sizes are whole pixels: widgets live inside other
//! people's pages, whose root font-size must not matter.
//!
//! ```
//! use dieter_tokens::{color, css, space};
//! assert!(css::THEME.starts_with(":host{"));
//! assert!(color::light::PALETTE.text.contrast(color::light::PALETTE.surface) >= 4.5);
//! assert_eq!(space::SPACE_4, 16);
//! ```

include!(concat!(env!("OUT_DIR"), "/tokens.rs"));

/// An sRGB colour with 8-bit channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color {
    /// Red, 0..=255.
    pub r: u8,
    /// Green, 0..=255.
    pub g: u8,
    /// Blue, 0..=255.
    pub b: u8,
    /// Alpha, 0 (transparent) ..= 255 (opaque).
    pub a: u8,
}

impl Color {
    /// WCAG 2.x relative luminance (0 = black, 1 = white) of the colour's RGB channels.
    pub fn relative_luminance(self) -> f64 {
        fn linear(channel: u8) -> f64 {
            let c = f64::from(channel) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        }
        0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b)
    }

    /// WCAG 2.x contrast ratio against `other`, from 1.0 (same) to 21.0 (black on white).
    pub fn contrast(self, other: Color) -> f64 {
        let (a, b) = (self.relative_luminance(), other.relative_luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}

/// One box-shadow layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shadow {
    /// Horizontal offset (px).
    pub offset_x: i16,
    /// Vertical offset (px).
    pub offset_y: i16,
    /// Blur radius (px).
    pub blur: u16,
    /// Spread (px).
    pub spread: i16,
    /// Shadow colour, usually translucent.
    pub color: Color,
}

/// Keeps only the custom properties of a generated `sheet` ([`css::THEME`], [`css::ROOT`], …) that `used_css`
/// refers to (`var(--ck-…)`), dropping rules left empty. `color-scheme` stays wherever a colour stays.
///
/// For a widget's (or the runtime's) `build.rs`: reads `src/{name}.css` (one rule per line),
/// writes it joined into one line to `$OUT_DIR/{name}.css` and the dieter tokens it reads
/// ([`subset`] of [`css::THEME`]) to `$OUT_DIR/{name}_theme.css`, and tells cargo to rerun when
/// the file changes. Include both with `include_str!(concat!(env!("OUT_DIR"), "/…"))`.
///
/// Panics with the file name when a file cannot be read or written: a build script has no
/// better way to fail.
pub fn build_sheets(name: &str) {
    let source = format!("src/{name}.css");
    println!("cargo::rerun-if-changed={source}");
    let css =
        std::fs::read_to_string(&source).unwrap_or_else(|e| panic!("cannot read {source}: {e}"));
    let css = join_lines(&css);
    let theme = subset(css::THEME, &css);
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (file, text) in [
        (format!("{name}.css"), &css),
        (format!("{name}_theme.css"), &theme),
    ] {
        std::fs::write(out.join(&file), text)
            .unwrap_or_else(|e| panic!("cannot write {file}: {e}"));
    }
}

/// Joins a stylesheet written one rule per line into one line (leading and trailing blanks of
/// each line dropped, blank lines skipped), for build scripts that ship a readable `.css` file.
///
/// ```
/// assert_eq!(dieter_tokens::join_lines("a{color:red}\n  b{margin:0}\n\n"), "a{color:red}b{margin:0}");
/// ```
pub fn join_lines(css: &str) -> String {
    css.lines().map(str::trim).collect()
}

/// Meant for build scripts: a widget crate with its CSS in a file can write
/// `subset(css::THEME, include_str!("widget.css"))` into `OUT_DIR`, so the embed carries only the tokens
/// that widget uses.
///
/// ```
/// let sheet = dieter_tokens::subset(dieter_tokens::css::THEME, "a{color:var(--ck-color-accent)}");
/// assert!(sheet.starts_with(":host{color-scheme:light;--ck-color-accent:"));
/// assert!(!sheet.contains("--ck-space-1"));
/// ```
pub fn subset(sheet: &str, used_css: &str) -> String {
    let is_used = |name: &str| {
        used_css.match_indices(name).any(|(at, _)| {
            // `var(--ck-space-10)` is not a use of `--ck-space-1`.
            !used_css[at + name.len()..]
                .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
    };
    let keep_rule = |selector: &str, body: &str| -> Option<String> {
        let kept: Vec<&str> = body
            .split(';')
            .filter(|d| {
                d.split(':')
                    .next()
                    .is_some_and(|n| n.starts_with("--ck-") && is_used(n))
            })
            .collect();
        if kept.is_empty() {
            return None;
        }
        let scheme = body.split(';').find(|d| {
            d.starts_with("color-scheme:") && kept.iter().any(|k| k.starts_with("--ck-color-"))
        });
        Some(format!(
            "{selector}{{{}}}",
            scheme.into_iter().chain(kept).collect::<Vec<_>>().join(";")
        ))
    };
    let mut out = String::new();
    let mut rest = sheet;
    while let Some(open) = rest.find('{') {
        let prelude = &rest[..open];
        if prelude.starts_with("@media") {
            // One nested rule, as the generator writes it: `@media (…){selector{…}}`.
            let inner = &rest[open + 1..];
            let (Some(inner_open), Some(inner_close)) = (inner.find('{'), inner.find('}')) else {
                break;
            };
            if let Some(rule) = keep_rule(&inner[..inner_open], &inner[inner_open + 1..inner_close])
            {
                out.push_str(prelude);
                out.push('{');
                out.push_str(&rule);
                out.push('}');
            }
            rest = inner[inner_close + 1..]
                .strip_prefix('}')
                .unwrap_or(&inner[inner_close + 1..]);
        } else {
            let Some(close) = rest.find('}') else { break };
            if let Some(rule) = keep_rule(prelude, &rest[open + 1..close]) {
                out.push_str(&rule);
            }
            rest = &rest[close + 1..];
        }
    }
    out
}

#[cfg(test)]
mod tests;
