//! Shadow DOM mounting and the shared stylesheets.
//!
//! Every instance of a widget type adopts the same constructable stylesheets (parsed once per
//! page). Browsers without constructable stylesheets get `<style>` elements instead; under a
//! strict `style-src 'self'` CSP those are blocked while adopted sheets are not, which is why
//! adopted sheets come first.

use std::cell::RefCell;

use js_sys::Array;
use wasm_bindgen::JsValue;
use web_sys::ShadowRoot;

use crate::bindings;

/// The dieter tokens [`BASE_CSS`] uses (`:host{--ck-…}` light, dark by media query or
/// `data-ck-theme`), cut from the full theme by `build.rs`. Each widget brings the tokens its own
/// CSS uses (see `Widget::styles`), so the embed carries no token nobody reads.
pub(crate) const THEME_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/base_theme.css"));

/// Isolation of the widget from the host page.
///
/// Selectors of the page never match inside a shadow tree; only inheritance crosses the boundary,
/// through the shadow host. `all:initial` drops inherited values at normal priority, so the
/// publisher can still size and place the host (their normal rules win over ours at the host).
/// Inherited typography is re-declared `!important`: for important declarations the shadow
/// context beats the page, even a page's `* {color: red !important}` or a 40px root font size.
/// Custom properties are untouched by `all`, so the theme variables survive.
pub(crate) const BASE_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/base.css"));

enum Sheets {
    /// Adopted stylesheets: base + theme first, then the widget's own.
    Adopted(Array),
    /// No constructable stylesheets in this browser.
    Fallback,
}

thread_local! {
    /// Stylesheets per widget type, built on the type's first mount.
    static SHEETS: RefCell<Vec<(&'static str, Sheets)>> = const { RefCell::new(Vec::new()) };
}

fn build(styles: &[&str]) -> Sheets {
    let array = Array::new();
    for css in [BASE_CSS, THEME_CSS].iter().chain(styles) {
        match bindings::constructable_sheet(css) {
            Some(sheet) => {
                array.push(&sheet);
            }
            None => return Sheets::Fallback,
        }
    }
    Sheets::Adopted(array)
}

/// Opens (or reuses) the element's shadow root, emptied, with the widget type's styles applied.
pub(crate) fn prepare(
    element: &web_sys::Element,
    widget: &'static str,
    styles: &'static [&'static str],
) -> Result<ShadowRoot, JsValue> {
    let root = bindings::shadow_root(element)?;
    let adopted = SHEETS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let pos = match cache.iter().position(|(w, _)| *w == widget) {
            Some(pos) => pos,
            None => {
                cache.push((widget, build(styles)));
                cache.len() - 1
            }
        };
        match &cache[pos].1 {
            Sheets::Adopted(array) => Some(array.clone()),
            Sheets::Fallback => None,
        }
    });
    match adopted {
        // A fresh array per root: adoptedStyleSheets takes a copy anyway, sheets stay shared.
        Some(array) => bindings::adopt_sheets(&root, &array.slice(0, array.length())),
        None => {
            for css in [BASE_CSS, THEME_CSS].iter().chain(styles) {
                bindings::el(&root, "style", "", css);
            }
        }
    }
    Ok(root)
}

/// Empties the shadow root after the widget's handle was dropped.
pub(crate) fn clear(element: &web_sys::Element) {
    if let Ok(root) = bindings::shadow_root(element) {
        bindings::adopt_sheets(&root, &Array::new());
    }
}
