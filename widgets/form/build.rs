//! The form's stylesheets, made at build time: `form.css` (`src/form.css` joined into one line)
//! and `form_theme.css` (only the dieter tokens it reads, light and dark), so the embed carries
//! no token the form does not use.

fn main() {
    dieter_tokens::build_sheets("form");
}
