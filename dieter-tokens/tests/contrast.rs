//! WCAG 2.x AA contrast of every text/background pair, in both themes, computed from the token values.

use dieter_tokens::{color, Color, Palette};

/// 4.5:1 for normal text (1.4.3); 3:1 for large text, UI boundaries and focus indicators (1.4.11).
const TEXT: f64 = 4.5;
const NON_TEXT: f64 = 3.0;

fn pairs(p: &Palette) -> Vec<(&'static str, Color, &'static str, Color, f64)> {
    let mut pairs = Vec::new();
    for (bg_name, bg) in [("surface", p.surface), ("surface-raised", p.surface_raised)] {
        for (fg_name, fg) in [
            ("text", p.text),
            ("muted", p.muted),
            ("accent", p.accent),
            ("danger", p.danger),
            ("success", p.success),
        ] {
            pairs.push((fg_name, fg, bg_name, bg, TEXT));
        }
        pairs.push(("focus", p.focus, bg_name, bg, NON_TEXT));
        pairs.push(("border", p.border, bg_name, bg, NON_TEXT));
    }
    pairs.push(("accent-text", p.accent_text, "accent", p.accent, TEXT));
    pairs
}

#[test]
fn every_pair_meets_wcag_aa_in_both_themes() {
    let mut failures = Vec::new();
    for (theme, palette) in [
        ("light", color::light::PALETTE),
        ("dark", color::dark::PALETTE),
    ] {
        for (fg_name, fg, bg_name, bg, min) in pairs(&palette) {
            let ratio = fg.contrast(bg);
            // `cargo test -p dieter-tokens --test contrast -- --nocapture` shows the margins to designers.
            println!("{theme:5} {fg_name:>12} on {bg_name:<14} {ratio:5.2}:1 (needs {min}:1)");
            if ratio < min {
                failures.push(format!(
                    "{theme}: {fg_name} on {bg_name} is {ratio:.2}:1, needs {min}:1"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "contrast failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_check_catches_a_failing_pair() {
    // Guards the test above against passing vacuously: a light grey on white must fail.
    let mut palette = color::light::PALETTE;
    palette.muted = Color {
        r: 0xaa,
        g: 0xaa,
        b: 0xaa,
        a: 255,
    };
    let failing: Vec<_> = pairs(&palette)
        .into_iter()
        .filter(|(.., fg, _, bg, min)| fg.contrast(*bg) < *min)
        .collect();
    assert_eq!(failing.len(), 2, "muted on both surfaces should fail");
}

#[test]
fn colour_roles_are_opaque() {
    // Contrast of a translucent colour depends on what is behind it; roles must not be translucent.
    for palette in [color::light::PALETTE, color::dark::PALETTE] {
        for (name, c, ..) in pairs(&palette) {
            assert_eq!(c.a, 255, "{name} is translucent");
        }
    }
}
