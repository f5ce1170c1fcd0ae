//! A tiny DOM builder for widgets. No framework, no HTML parsing: text always goes through
//! `textContent` and attributes, so config and visitor text can never become markup.
//!
//! Two shapes: [`make`] / [`add`] / [`add_text`] / [`put`] take static attributes as one
//! `"name=value name=value"` string and return no `Result` (the cheapest wasm per call site;
//! the form builds its whole DOM with them); [`element_with`], [`set_attr`] and [`append`]
//! return `Result`s for code that wants to handle a refusal.
//!
//! ```no_run
//! use ck_runtime::dom;
//! # fn demo(root: &web_sys::ShadowRoot) -> Result<dom::Listener, wasm_bindgen::JsValue> {
//! let button = dom::element_with("button", &[("type", "button"), ("class", "primary")])?;
//! dom::set_text(&button, "Send");
//! dom::append(root, &button)?;
//! // Keep the Listener in your Mounted handle: dropping it removes the listener.
//! dom::listen(&button, "click", |_event| { /* … */ })
//! # }
//! ```

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Event, EventTarget, Node};

use crate::bindings;
use crate::util::{js_closure, JsClosure};

/// Creates an element (`document.createElement`).
///
/// ```no_run
/// let p = ck_runtime::dom::element("p").unwrap();
/// ```
pub fn element(tag: &str) -> Result<Element, JsValue> {
    bindings::create_element(tag)
}

/// Creates `tag` with the static attributes `attrs`, written `name=value` and separated by
/// single spaces (`"class=e hidden="`; a name without `=` gets an empty value). The cheap
/// builder: one string per element instead of a slice of pairs, no `Result` to handle, and one
/// import (js/dom.js `ckEl`) that creates, sets the attributes, the text and appends, where the
/// step-by-step calls cost an import, an exception check and a handle drop each in the wasm.
/// Values from config or visitor text do not belong in `attrs` (they may hold spaces): set them
/// with [`set_attr`] afterwards. A tag or name the DOM refuses throws the DOM's exception, so
/// keep both static.
///
/// ```no_run
/// use ck_runtime::dom;
/// # fn demo(root: &web_sys::ShadowRoot, label_text: &str) {
/// let input = dom::make("input", "type=email name=email required autocomplete=email");
/// let label = dom::add_text(root, "label", "for=email", label_text);
/// dom::put(root, &input);
/// # }
/// ```
#[inline(never)]
pub fn make(tag: &str, attrs: &str) -> Element {
    bindings::el(&JsValue::UNDEFINED, tag, attrs, "")
}

/// Appends a fresh `child` to `parent` without a `Result` ([`append`] for nodes that may be
/// refused, e.g. a node into its own descendant). A refusal throws the DOM's exception.
///
/// ```no_run
/// # let (list, item) = (ck_runtime::dom::make("ul", ""), ck_runtime::dom::make("li", ""));
/// ck_runtime::dom::put(&list, &item);
/// ```
pub fn put(parent: &Node, child: &impl AsRef<Node>) {
    bindings::put(parent, child.as_ref());
}

/// [`make`] and [`put`] into `parent`; returns the new element.
///
/// ```no_run
/// # let form = ck_runtime::dom::make("form", "novalidate");
/// let row = ck_runtime::dom::add(&form, "div", "class=row");
/// ```
#[inline(never)]
pub fn add(parent: &Node, tag: &str, attrs: &str) -> Element {
    bindings::el(parent, tag, attrs, "")
}

/// [`add`] with text content (through `textContent`: any string is safe).
///
/// ```no_run
/// # let form = ck_runtime::dom::make("form", "");
/// let hint = ck_runtime::dom::add_text(&form, "p", "class=hint", "We reply within a day.");
/// ```
pub fn add_text(parent: &Node, tag: &str, attrs: &str, text: &str) -> Element {
    bindings::el(parent, tag, attrs, text)
}

/// Creates an element and sets attributes on it.
///
/// ```no_run
/// let input = ck_runtime::dom::element_with("input", &[("type", "email"), ("required", "")]).unwrap();
/// ```
pub fn element_with(tag: &str, attrs: &[(&str, &str)]) -> Result<Element, JsValue> {
    let el = element(tag)?;
    for (name, value) in attrs {
        bindings::set_attribute(&el, name, value)?;
    }
    Ok(el)
}

/// Sets an attribute (values are never parsed as HTML).
///
/// ```no_run
/// # let el = ck_runtime::dom::element("input").unwrap();
/// ck_runtime::dom::set_attr(&el, "aria-invalid", "true").unwrap();
/// ```
pub fn set_attr(el: &Element, name: &str, value: &str) -> Result<(), JsValue> {
    bindings::set_attribute(el, name, value)
}

/// [`set_attr`] without a `Result`, for static attribute names (only a malformed name makes the
/// DOM refuse, and then this throws its exception): no exception check at the call site.
///
/// ```no_run
/// # let el = ck_runtime::dom::make("input", "");
/// ck_runtime::dom::set(&el, "aria-invalid", "true");
/// ```
pub fn set(el: &Element, name: &str, value: &str) {
    bindings::set_attr(el, name, value);
}

/// Moves focus to `el` (`el.focus()`).
///
/// ```no_run
/// # let el = ck_runtime::dom::make("button", "");
/// ck_runtime::dom::focus(&el);
/// ```
pub fn focus(el: &Element) {
    bindings::focus(el);
}

/// Removes an attribute.
///
/// ```no_run
/// # let el = ck_runtime::dom::element("input").unwrap();
/// ck_runtime::dom::remove_attr(&el, "aria-invalid").unwrap();
/// ```
pub fn remove_attr(el: &Element, name: &str) -> Result<(), JsValue> {
    bindings::remove_attribute(el, name);
    Ok(())
}

/// Reads an attribute.
///
/// ```no_run
/// # let el = ck_runtime::dom::element("input").unwrap();
/// let name = ck_runtime::dom::attr(&el, "name");
/// ```
pub fn attr(el: &Element, name: &str) -> Option<String> {
    bindings::get_attribute(el, name)
}

/// Sets custom properties for this shadow root only: `vars` is a plain object
/// `{"--ck-color-accent": "#0a7", "--ck-radius-md": 12}` (numbers are pixels), applied on
/// `:host` with `!important` (over the theme's light and dark values) in a constructable sheet
/// after the widget type's shared ones, through the CSSOM: a value can never become another
/// declaration, and no inline `style` is involved (a strict CSP allows it). For per-instance
/// values from a checked config, such as the form's brand.
///
/// ```no_run
/// # fn demo(root: &web_sys::ShadowRoot) {
/// let vars = ck_runtime::js::js_object(&[("--ck-color-accent", "#0a7".into())]);
/// ck_runtime::dom::adopt_vars(root, &vars);
/// # }
/// ```
pub fn adopt_vars(root: &web_sys::ShadowRoot, vars: &wasm_bindgen::JsValue) {
    bindings::adopt_vars(root, vars)
}

/// The host page's URL query parameter `name`, decoded (`URLSearchParams`); `None` without it.
/// Read only the parameters your config names: the page's URL may carry anything.
///
/// ```no_run
/// let source = ck_runtime::dom::query_param("utm_source");
/// ```
pub fn query_param(name: &str) -> Option<String> {
    bindings::query_param(name)
}

/// Replaces the node's content with `text` (`textContent`: safe for any string).
///
/// ```no_run
/// # let el = ck_runtime::dom::element("p").unwrap();
/// ck_runtime::dom::set_text(&el, "<b>stays literal</b>");
/// ```
pub fn set_text(node: &Node, text: &str) {
    bindings::set_text(node, text)
}

/// Appends `child` to `parent` (works for elements and shadow roots).
///
/// `child` is any node type (`&Element`, `&Node`, …) rather than `&Node`, so what
/// [`icon`] returns goes in directly: with a `&Node` parameter, `&dom::icon(..)?` made the
/// `?` convert to `Node` and did not type-check.
///
/// ```no_run
/// # fn demo(a: &web_sys::Element) -> Result<(), wasm_bindgen::JsValue> {
/// let b = ck_runtime::dom::element("p")?;
/// ck_runtime::dom::append(a, &b)?;
/// ck_runtime::dom::append(a, &ck_runtime::dom::icon(&ck_icons::CHECK, None)?)?;
/// # Ok(()) }
/// ```
pub fn append(parent: &Node, child: &impl AsRef<Node>) -> Result<(), JsValue> {
    bindings::append(parent, child.as_ref())
}

/// A registered event listener; dropping it removes the listener and frees its closure.
#[must_use = "dropping the Listener removes it at once"]
pub struct Listener {
    target: EventTarget,
    event: &'static str,
    closure: JsClosure,
}

impl Drop for Listener {
    fn drop(&mut self) {
        bindings::remove_listener(
            &self.target,
            self.event,
            self.closure.as_ref().unchecked_ref(),
        );
    }
}

/// Listens for `event` on `target` until the returned [`Listener`] is dropped.
///
/// ```no_run
/// # let input = ck_runtime::dom::element("input").unwrap();
/// let listener = ck_runtime::dom::listen(&input, "focus", |_| {}).unwrap();
/// drop(listener); // deregistered
/// ```
pub fn listen(
    target: &EventTarget,
    event: &'static str,
    handler: impl FnMut(Event) + 'static,
) -> Result<Listener, JsValue> {
    let mut handler = handler;
    let closure = js_closure(move |event| handler(event.unchecked_into()));
    bindings::add_listener(target, event, closure.as_ref().unchecked_ref())?;
    Ok(Listener {
        target: target.clone(),
        event,
        closure,
    })
}

/// Builds an inline SVG for an icon of the `ck-icons` set (via `createElementNS`, no markup
/// parsing). Paints with `currentColor`. With `label` it is `role="img"` with that
/// `aria-label`; without, it is decorative (`aria-hidden="true"`).
///
/// ```no_run
/// let svg = ck_runtime::dom::icon(&ck_icons::CHECK, Some("Sent")).unwrap();
/// ```
pub fn icon(icon: &ck_icons::Icon, label: Option<&str>) -> Result<Element, JsValue> {
    let svg = bindings::create_element_ns(ck_icons::SVG_NS, "svg")?;
    bindings::set_attr(&svg, "viewBox", icon.view_box);
    bindings::set_attr(&svg, "width", "1em");
    bindings::set_attr(&svg, "height", "1em");
    bindings::set_attr(&svg, "fill", "currentColor");
    bindings::set_attr(&svg, "focusable", "false");
    match label {
        Some(label) => {
            bindings::set_attr(&svg, "role", "img");
            bindings::set_attr(&svg, "aria-label", label);
        }
        None => bindings::set_attr(&svg, "aria-hidden", "true"),
    }
    for node in icon.nodes {
        let child = bindings::create_element_ns(ck_icons::SVG_NS, node.tag)?;
        for (name, value) in node.attrs {
            bindings::set_attr(&child, name, value);
        }
        bindings::put(&svg, &child);
    }
    Ok(svg)
}
