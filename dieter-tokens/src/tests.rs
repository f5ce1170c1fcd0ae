//! Unit tests of the token compiler (`codegen.rs`), run against the shipped file and bad fixtures.

use crate::codegen::{self, Scope, Value};

const TOKENS: &str = include_str!("../tokens.json");

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bad")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn shipped_tokens_compile_and_generated_constants_match_them() {
    let tokens = codegen::parse_tokens(TOKENS).expect("tokens.json is valid");
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
    ];
    for (file, path, reason) in cases {
        let error = codegen::parse_tokens(&fixture(file)).expect_err(file);
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
    let tokens = codegen::parse_tokens(src).expect("valid");
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
    let tokens = codegen::parse_tokens(src).expect("valid");
    assert_eq!(tokens[1].css_value(), "#2452cc");
    assert_eq!(tokens[3].css_value(), "#7ea3ff");
}

#[test]
fn themed_css_switches_by_preference_and_by_attribute() {
    let tokens = codegen::parse_tokens(&fixture("../../../tokens.json")).expect("valid");
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
    let tokens = codegen::parse_tokens(TOKENS).expect("valid");
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
