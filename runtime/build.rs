//! The stylesheets the runtime adopts into every shadow root, made at build time:
//! `base.css` (the isolation reset, `src/base.css` joined into one line) and `base_theme.css`
//! (only the dieter tokens that reset reads). Widgets bring the tokens their own CSS reads.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=src/base.css");
    let base = std::fs::read_to_string("src/base.css")
        .unwrap_or_else(|e| panic!("cannot read src/base.css: {e}"));
    let base = dieter_tokens::join_lines(&base);
    let theme = dieter_tokens::subset(dieter_tokens::css::THEME, &base);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (name, text) in [("base.css", &base), ("base_theme.css", &theme)] {
        std::fs::write(out.join(name), text).unwrap_or_else(|e| panic!("cannot write {name}: {e}"));
    }
}
