//! Dieter design tokens: one look for the embed's widgets and the server's dashboard.
//!
//! The single source is `tokens.json` (W3C Design Tokens format). `build.rs` turns it into typed constants
//! (`color::light::SURFACE`, `space::SPACE_4`, …) and CSS custom properties (`--ck-…`) in [`css`]. All sizes
//! are whole pixels: widgets live inside other people's pages, whose root font-size must not matter.
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

#[cfg(test)]
#[path = "../codegen.rs"]
#[allow(dead_code)]
mod codegen;

#[cfg(test)]
mod tests;
