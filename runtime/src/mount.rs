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

/// The dieter-tokens theme block (`:host{--ck-…}` light, dark by media query or
/// `data-ck-theme`). Local copy until `dieter_tokens::css::THEME` lands.
pub(crate) const THEME_CSS: &str = ":host{--ck-color-surface:#fff;--ck-color-surface-raised:#f7f7f8;\
--ck-color-text:#1a1a1f;--ck-color-muted:#5f6170;--ck-color-border:#d4d5db;--ck-color-accent:#2f5bea;\
--ck-color-accent-text:#fff;--ck-color-danger:#c62828;--ck-color-success:#1b7f3b;--ck-color-focus:#2f5bea;\
--ck-font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;--ck-font-size-xs:12px;\
--ck-font-size-sm:14px;--ck-font-size-md:16px;--ck-font-size-lg:18px;--ck-font-size-xl:22px;\
--ck-line-height-tight:1.25;--ck-line-height-normal:1.5;--ck-font-weight-regular:400;\
--ck-font-weight-medium:500;--ck-font-weight-bold:700;--ck-space-1:4px;--ck-space-2:8px;--ck-space-3:12px;\
--ck-space-4:16px;--ck-space-5:20px;--ck-space-6:24px;--ck-space-7:32px;--ck-space-8:40px;\
--ck-radius-sm:4px;--ck-radius-md:8px;--ck-radius-lg:12px;--ck-radius-full:9999px;\
--ck-shadow-sm:0 1px 2px rgba(0,0,0,.08);--ck-shadow-md:0 4px 12px rgba(0,0,0,.12);\
--ck-duration-fast:120ms;--ck-duration-normal:200ms}\
@media (prefers-color-scheme:dark){:host(:not([data-ck-theme=light])){--ck-color-surface:#16171c;\
--ck-color-surface-raised:#1f2027;--ck-color-text:#ececf1;--ck-color-muted:#a3a5b3;--ck-color-border:#3a3c47;\
--ck-color-accent:#7c9bff;--ck-color-accent-text:#0b0c10;--ck-color-danger:#ff6b6b;--ck-color-success:#4cc27a;\
--ck-color-focus:#7c9bff}}\
:host([data-ck-theme=dark]){--ck-color-surface:#16171c;--ck-color-surface-raised:#1f2027;--ck-color-text:#ececf1;\
--ck-color-muted:#a3a5b3;--ck-color-border:#3a3c47;--ck-color-accent:#7c9bff;--ck-color-accent-text:#0b0c10;\
--ck-color-danger:#ff6b6b;--ck-color-success:#4cc27a;--ck-color-focus:#7c9bff}";

/// Isolation of the widget from the host page.
///
/// Selectors of the page never match inside a shadow tree; only inheritance crosses the boundary,
/// through the shadow host. `all:initial` drops inherited values at normal priority, so the
/// publisher can still size and place the host (their normal rules win over ours at the host).
/// Inherited typography is re-declared `!important`: for important declarations the shadow
/// context beats the page, even a page's `* {color: red !important}` or a 40px root font size.
/// Custom properties are untouched by `all`, so the theme variables survive.
pub(crate) const BASE_CSS: &str = ":host{all:initial;display:block}\
:host{color:var(--ck-color-text)!important;font-family:var(--ck-font-family)!important;\
font-size:var(--ck-font-size-md)!important;font-weight:var(--ck-font-weight-regular)!important;\
line-height:var(--ck-line-height-normal)!important;font-style:normal!important;\
font-variant:normal!important;letter-spacing:normal!important;word-spacing:normal!important;\
text-align:start!important;text-indent:0!important;text-transform:none!important;\
text-shadow:none!important;white-space:normal!important;visibility:visible!important;\
cursor:auto!important;-webkit-text-fill-color:currentColor!important}\
:host([hidden]){display:none!important}\
*,::before,::after{box-sizing:border-box}";

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
                let style = bindings::create_element("style")?;
                bindings::set_text(&style, css);
                bindings::append(&root, &style)?;
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
