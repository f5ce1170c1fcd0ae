//! Icons as plain data: one `pub const` per SVG file, painted with `currentColor`.
//!
//! `build.rs` runs the pipeline (`ck_build::icons`, host only) over `icons/svg/` (and `CK_ICONS_DIR`, if set): every
//! file is parsed, checked for unsafe content, flattened to leaf shapes and minified. Each icon is a `const`,
//! so an icon no code names never reaches the wasm; `by_name` (feature `lookup`) keeps them all.
//!
//! Widgets render icons with `ck_runtime::dom::icon`; the server renders them with [`Icon::to_svg`].
//!
//! ```
//! let svg = ck_icons::CHECK.to_svg(None);
//! assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 24 24\""));
//! assert!(svg.contains("aria-hidden=\"true\""));
//! ```

/// One icon: a `viewBox` and the shapes drawn in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Icon {
    /// Runtime name, the SVG file's stem (`check`, `arrow-right`).
    pub name: &'static str,
    /// The SVG `viewBox` (`0 0 24 24`).
    pub view_box: &'static str,
    /// Shapes in paint order.
    pub nodes: &'static [Node],
}

/// One SVG shape element with its attributes (already safe: no scripts, no external references).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Node {
    /// Element name: `path`, `circle`, `ellipse`, `line`, `polyline`, `polygon` or `rect`.
    pub tag: &'static str,
    /// Attribute name/value pairs.
    pub attrs: &'static [(&'static str, &'static str)],
}

/// The SVG namespace, for `createElementNS`.
pub const SVG_NS: &str = "http://www.w3.org/2000/svg";

impl Icon {
    /// Markup for server-rendered pages, sized `1em` so it follows the surrounding text.
    ///
    /// Without a label the icon is decorative (`aria-hidden="true" focusable="false"`); with one it is an
    /// image with that accessible name (`role="img" aria-label="…"`). The label is escaped.
    pub fn to_svg(&self, label: Option<&str>) -> String {
        let mut out = String::with_capacity(
            160 + self
                .nodes
                .iter()
                .map(|n| {
                    n.attrs
                        .iter()
                        .map(|(k, v)| k.len() + v.len() + 4)
                        .sum::<usize>()
                        + 8
                })
                .sum::<usize>(),
        );
        out.push_str("<svg xmlns=\"");
        out.push_str(SVG_NS);
        out.push_str("\" viewBox=\"");
        escape_into(&mut out, self.view_box);
        out.push_str("\" width=\"1em\" height=\"1em\"");
        match label {
            Some(label) => {
                out.push_str(" role=\"img\" aria-label=\"");
                escape_into(&mut out, label);
                out.push('"');
            }
            None => out.push_str(" aria-hidden=\"true\" focusable=\"false\""),
        }
        out.push('>');
        for node in self.nodes {
            out.push('<');
            out.push_str(node.tag);
            for (name, value) in node.attrs {
                out.push(' ');
                out.push_str(name);
                out.push_str("=\"");
                escape_into(&mut out, value);
                out.push('"');
            }
            out.push_str("/>");
        }
        out.push_str("</svg>");
        out
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The generated icon constants (`CHECK`, `ARROW_RIGHT`, …), [`icons::NAMES`] and, with `lookup`, `ALL`.
pub mod icons {
    use super::{Icon, Node};

    include!(concat!(env!("OUT_DIR"), "/icons.rs"));
}

pub use icons::*;

/// In a widget crate whose `build.rs` calls `ck_build::author::icons()`: declares `mod icons`
/// with one `pub const` per SVG file of the folder named in `Cargo.toml`
/// (`[package.metadata.ck] icons = "icons"`; `star.svg` → `icons::STAR`), for
/// `ck_runtime::dom::icon(&icons::STAR, None)`. No environment variable, and the shared set
/// (`ck_icons::CHECK`, …) stays as it is.
#[macro_export]
macro_rules! include_icons {
    () => {
        /// This crate's own icons (`[package.metadata.ck] icons` in its `Cargo.toml`).
        #[allow(dead_code, unreachable_pub)]
        mod icons {
            #[allow(unused_imports)]
            use $crate::{Icon, Node};

            include!(concat!(env!("OUT_DIR"), "/ck_icons.rs"));
        }
    };
}

/// Looks an icon up by its runtime name (`"arrow-right"`). Needs the `lookup` feature, which keeps every
/// icon in the binary: prefer naming the constant.
#[cfg(feature = "lookup")]
pub fn by_name(name: &str) -> Option<&'static Icon> {
    icons::ALL
        .binary_search_by(|icon| icon.name.cmp(name))
        .ok()
        .map(|i| &icons::ALL[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_set_has_the_shared_icons() {
        for icon in [
            CHECK,
            ALERT,
            WARNING,
            INFO,
            CLOSE,
            CLOCK,
            ARROW_RIGHT,
            ARROW_LEFT,
            SPINNER,
        ] {
            assert_eq!(icon.view_box, "0 0 24 24", "{}", icon.name);
            assert!(!icon.nodes.is_empty());
            for node in icon.nodes {
                for (name, value) in node.attrs {
                    if matches!(*name, "fill" | "stroke") {
                        assert!(
                            matches!(*value, "none" | "currentColor"),
                            "{}: {name}={value}",
                            icon.name
                        );
                    }
                }
            }
        }
        assert!(
            NAMES.len() >= 15 && NAMES.windows(2).all(|w| w[0] < w[1]),
            "{NAMES:?}"
        );
        assert_eq!(CHECK.nodes[0].attrs[0], ("d", "M20 6 9 17l-5-5"));
    }

    #[test]
    fn to_svg_is_decorative_without_a_label() {
        let svg = CHECK.to_svg(None);
        assert_eq!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 24 24\" width=\"1em\" height=\"1em\" \
             aria-hidden=\"true\" focusable=\"false\"><path d=\"M20 6 9 17l-5-5\" fill=\"none\" stroke=\"currentColor\" \
             stroke-width=\"2\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/></svg>"
        );
    }

    #[test]
    fn to_svg_labels_and_escapes_meaningful_icons() {
        let svg = ALERT.to_svg(Some("Error: \"name\" <required> & 'short'"));
        assert!(svg.contains(" role=\"img\" aria-label=\"Error: &quot;name&quot; &lt;required&gt; &amp; &#39;short&#39;\">"), "{svg}");
        assert!(!svg.contains("aria-hidden"));
    }

    #[cfg(feature = "lookup")]
    #[test]
    fn by_name_finds_every_icon() {
        for name in NAMES {
            assert_eq!(by_name(name).map(|i| i.name), Some(*name));
        }
        assert_eq!(by_name("check"), Some(&CHECK));
        assert_eq!(by_name("no-such-icon"), None);
    }
}
