//! The mode stylesheet, made at build time: `modes.css` (`src/modes.css` joined into one line)
//! and `modes_theme.css` (only the dieter tokens it reads), as the form widget does.

fn main() {
    dieter_tokens::build_sheets("modes");
}
