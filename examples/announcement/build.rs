//! The bar's stylesheets, made at build time: `announcement.css` (`src/announcement.css` joined
//! into one line) and `announcement_theme.css` (only the dieter tokens it reads, light and dark),
//! so the embed carries no token the bar does not use (the full theme cost the increment ~0.4 KB
//! gzip, docs/size.md).

fn main() {
    dieter_tokens::build_sheets("announcement");
}
