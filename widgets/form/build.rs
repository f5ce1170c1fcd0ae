//! The form's stylesheets, made at build time: `form.css` (`src/form.css` joined into one line)
//! and `form_theme.css` (only the dieter tokens it reads, light and dark), so the embed carries
//! no token the form does not use.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=src/form.css");
    let css = std::fs::read_to_string("src/form.css")
        .unwrap_or_else(|e| panic!("cannot read src/form.css: {e}"));
    let css = dieter_tokens::join_lines(&css);
    let theme = dieter_tokens::subset(dieter_tokens::css::THEME, &css);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (name, text) in [("form.css", &css), ("form_theme.css", &theme)] {
        std::fs::write(out.join(name), text).unwrap_or_else(|e| panic!("cannot write {name}: {e}"));
    }
}
