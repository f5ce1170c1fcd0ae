//! `src/widget.css` joined into one line plus the dieter tokens it reads (`$OUT_DIR/widget.css`,
//! `$OUT_DIR/widget_theme.css`), and this crate's icons from the folder named in Cargo.toml
//! (`$OUT_DIR/ck_icons.rs`, included by `ck_icons::include_icons!`).

fn main() {
    dieter_tokens::build_sheets("widget");
    ck_build::author::icons();
}
