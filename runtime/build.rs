//! The stylesheets the runtime adopts into every shadow root, made at build time:
//! `base.css` (the isolation reset, `src/base.css` joined into one line) and `base_theme.css`
//! (only the dieter tokens that reset reads). Widgets bring the tokens their own CSS reads.

fn main() {
    dieter_tokens::build_sheets("base");
}
