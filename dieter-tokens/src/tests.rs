//! The shipped `tokens.json` through the token compiler (`ck_build::tokens`, whose own tests cover
//! bad files and value forms), and the constants this crate was built with.

use ck_build::tokens::{self as codegen, Scope};

const TOKENS: &str = include_str!("../tokens.json");

#[test]
fn shipped_tokens_compile_and_generated_constants_match_them() {
    let tokens = codegen::parse(TOKENS).expect("tokens.json is valid");
    assert!(tokens.len() > 40, "only {} tokens", tokens.len());
    let surface = tokens
        .iter()
        .find(|t| t.path == ["color", "light", "surface"])
        .expect("surface");
    assert_eq!(surface.css_var(), "--ck-color-surface");
    // The crate was built from the same file, so the compiled CSS is what the compiler produces now.
    let all: Vec<_> = tokens.iter().collect();
    assert_eq!(codegen::css(&all, Scope::Host), crate::css::THEME);
    assert_eq!(codegen::css(&all, Scope::Root), crate::css::ROOT);
}

#[test]
fn themed_css_switches_by_preference_and_by_attribute() {
    let tokens = codegen::parse(TOKENS).expect("valid");
    let colors: Vec<_> = tokens.iter().filter(|t| t.path[0] == "color").collect();
    let css = codegen::css(&colors, Scope::Host);
    assert!(
        css.starts_with(":host{color-scheme:light;--ck-color-surface:#fff;"),
        "{css}"
    );
    assert!(css.contains("@media (prefers-color-scheme:dark){:host(:not([data-ck-theme=light])){color-scheme:dark;--ck-color-surface:#16181d;"));
    assert!(
        css.contains(":host([data-ck-theme=dark]){color-scheme:dark;--ck-color-surface:#16181d;")
    );
    let root = codegen::css(&colors, Scope::Root);
    assert!(root.contains(":root:not([data-theme=light])") && root.contains("[data-theme=dark]{"));
    let durations: Vec<_> = tokens.iter().filter(|t| t.path[0] == "duration").collect();
    assert!(codegen::css(&durations, Scope::Host).contains("@media (prefers-reduced-motion:reduce){:host{--ck-duration-fast:0ms;--ck-duration-normal:0ms}}"));
}

#[test]
fn generated_rust_has_a_documented_constant_per_token() {
    let tokens = codegen::parse(TOKENS).expect("valid");
    let rust = codegen::rust(&tokens);
    assert!(rust.contains("pub const SPACE_1: u16 = 4;"), "{rust}");
    assert!(rust.contains("pub mod line_height {"));
    assert_eq!(
        rust.matches("pub const ").count(),
        tokens.len() + 2 + 2 + codegen::groups(&tokens).len()
    );
    assert_eq!(crate::space::SPACE_4, 16);
    assert_eq!(
        crate::color::light::SURFACE,
        crate::Color {
            r: 255,
            g: 255,
            b: 255,
            a: 255
        }
    );
    assert_eq!(
        crate::color::dark::PALETTE.surface,
        crate::color::dark::SURFACE
    );
    assert_eq!(crate::duration::FAST, 120);
    assert!((crate::line_height::NORMAL - 1.5).abs() < f32::EPSILON);
}

#[test]
fn contrast_math_matches_wcag_reference_values() {
    let white = crate::Color {
        r: 255,
        g: 255,
        b: 255,
        a: 255,
    };
    let black = crate::Color {
        r: 0,
        g: 0,
        b: 0,
        a: 255,
    };
    assert!((white.contrast(black) - 21.0).abs() < 1e-9);
    assert!((white.contrast(white) - 1.0).abs() < 1e-9);
    // #767676 on white is the classic "just passes AA" grey: 4.54:1.
    let grey = crate::Color {
        r: 0x76,
        g: 0x76,
        b: 0x76,
        a: 255,
    };
    assert!(
        (grey.contrast(white) - 4.54).abs() < 0.01,
        "{}",
        grey.contrast(white)
    );
}
