//! Every `web_sys` call of the runtime lives here.
//!
//! One place to audit what the embed touches in the host page, and one place to see which web-sys
//! features (glue and wasm bytes) we pay for. The document is looked up once and cached.

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    CssStyleSheet, Document, Element, EventTarget, MutationObserver, Node, NodeList, ShadowRoot,
};

use crate::util::{js_object, JsClosure};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask_js(callback: &JsValue);
    /// Any promise, seen only through `then`.
    type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    fn then_js(promise: &Thenable, on_fulfilled: &JsValue, on_rejected: &JsValue);
}

/// `queueMicrotask(callback)`: runs the executor's queue after the current JS task.
pub(crate) fn queue_microtask(callback: &JsValue) {
    queue_microtask_js(callback);
}

/// `promise.then(ok, err)`, result discarded: the callbacks carry the outcome.
pub(crate) fn then(promise: &Promise, ok: &JsClosure, err: &JsClosure) {
    promise
        .unchecked_ref::<Thenable>()
        .then_js(ok.as_ref(), err.as_ref());
}

#[wasm_bindgen]
extern "C" {
    // Read once, cached by wasm-bindgen: cheaper than `js_sys::global()`, which probes
    // globalThis/self/window/global through four imports. (No `window`: the runtime calls
    // globals such as `setTimeout` directly.)
    #[wasm_bindgen(thread_local_v2, js_name = document)]
    static DOCUMENT: Document;
}

pub(crate) fn document() -> Document {
    DOCUMENT.with(Document::clone)
}

/// `performance.now()` (every browser with WebAssembly has it; the loader calls it too).
pub(crate) fn now() -> f64 {
    performance_now()
}

// `DOCUMENT.with` instead of `document()`: no handle clone and drop per element.
pub(crate) fn create_element(tag: &str) -> Result<Element, JsValue> {
    DOCUMENT.with(|d| d.create_element(tag))
}

/// Only for the icons' static SVG tags, which cannot make `createElementNS` throw.
pub(crate) fn create_element_ns(ns: &str, tag: &str) -> Result<Element, JsValue> {
    Ok(DOCUMENT.with(|d| d.unchecked_ref::<Raw>().create_element_ns_js(ns, tag)))
}

pub(crate) fn set_attribute(el: &Element, name: &str, value: &str) -> Result<(), JsValue> {
    el.set_attribute(name, value)
}

/// `setAttribute` without `catch`: for static names, which cannot make it throw.
pub(crate) fn set_attr(el: &Element, name: &str, value: &str) {
    el.unchecked_ref::<Raw>().set_attr_js(name, value);
}

/// `removeAttribute` never throws (it validates no name), so no `catch`.
pub(crate) fn remove_attribute(el: &Element, name: &str) {
    el.unchecked_ref::<Raw>().remove_attr_js(name);
}

pub(crate) fn get_attribute(el: &Element, name: &str) -> Option<String> {
    el.get_attribute(name)
}

pub(crate) fn set_text(node: &Node, text: &str) {
    node.set_text_content(Some(text));
}

pub(crate) fn append(parent: &Node, child: &Node) -> Result<(), JsValue> {
    parent.append_child(child).map(drop)
}

/// `el.focus()`, declared without `catch` (focusing never throws).
pub(crate) fn focus(el: &Element) {
    el.unchecked_ref::<Raw>().focus_js();
}

/// `event.preventDefault()` (web-sys declares it without `catch`: it never throws).
pub(crate) fn prevent_default(event: &web_sys::Event) {
    event.prevent_default();
}

/// `parent.append(child)`, declared without `catch`: a refusal throws the DOM's exception.
pub(crate) fn put(parent: &Node, child: &Node) {
    parent.unchecked_ref::<Raw>().append_js(child);
}

pub(crate) fn is_connected(node: &Node) -> bool {
    node.is_connected()
}

/// Only called with the runtime's own constant selector, which cannot make it throw.
pub(crate) fn query_all(root: &Document, selector: &str) -> Result<NodeList, JsValue> {
    Ok(root.unchecked_ref::<Raw>().query_all_js(selector))
}

pub(crate) fn add_listener(target: &EventTarget, event: &str, f: &Function) -> Result<(), JsValue> {
    target.unchecked_ref::<Raw>().add_listener_js(event, f);
    Ok(())
}

pub(crate) fn remove_listener(target: &EventTarget, event: &str, f: &Function) {
    // Removing a listener that is not registered is a no-op in the DOM.
    target.unchecked_ref::<Raw>().remove_listener_js(event, f);
}

/// `console.warn(msg, subject)`: passing the element lets devtools link straight to it.
pub(crate) fn warn(msg: &str, subject: &JsValue) {
    warn_js(msg, subject);
}

pub(crate) fn set_timeout(f: &Function, ms: i32) -> i32 {
    set_timeout_js(f, ms)
}

pub(crate) fn set_interval(f: &Function, ms: i32) -> i32 {
    set_interval_js(f, ms)
}

pub(crate) fn clear_timeout(handle: i32) {
    clear_timeout_js(handle);
}

/// The mount element's open shadow root, emptied: created on first mount and reused after an
/// unmount (a shadow root cannot be attached twice); `Err` with what `attachShadow` threw for
/// an element that cannot host one (js/dom.js `ckShadow`).
pub(crate) fn shadow_root(el: &Element) -> Result<ShadowRoot, JsValue> {
    let root = shadow_js(el);
    if Array::is_array(&root) {
        Ok(root.unchecked_ref::<Array>().get(0).unchecked_into())
    } else {
        Err(root)
    }
}

/// A constructable stylesheet, or `None` where the browser has none (then a `<style>` is used).
pub(crate) fn constructable_sheet(css: &str) -> Option<CssStyleSheet> {
    let sheet = sheet_js(css);
    (!sheet.is_undefined()).then(|| sheet.unchecked_into())
}

pub(crate) fn adopt_sheets(root: &ShadowRoot, sheets: &Array) {
    root.set_adopted_style_sheets(sheets);
}

pub(crate) fn observe_document(callback: &Function) -> Result<MutationObserver, JsValue> {
    let observer = Raw::new_observer(callback);
    let init = js_object(&[("childList", JsValue::TRUE), ("subtree", JsValue::TRUE)]);
    let root: Node = document()
        .document_element()
        .map_or_else(|| document().unchecked_into(), Element::unchecked_into);
    observer.observe_js(&root, &init);
    Ok(observer.unchecked_into())
}

// Calls that cannot throw with the arguments the runtime passes (function listeners and timer
// callbacks, constant selectors, tags and observer options), declared without web-sys's
// `catch`: each caught import costs an exception check at every call site and a wrapper in
// the glue. The timer functions are the globals, not `window.…` (no window handle per call).
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout_js(f: &Function, ms: i32) -> i32;
    #[wasm_bindgen(js_name = setInterval)]
    fn set_interval_js(f: &Function, ms: i32) -> i32;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout_js(handle: i32);
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn warn_js(msg: &str, subject: &JsValue);
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
    /// A DOM object seen only through these methods (web-sys's own declare `catch`).
    type Raw;
    #[wasm_bindgen(method, js_name = createElementNS)]
    fn create_element_ns_js(doc: &Raw, ns: &str, tag: &str) -> Element;
    #[wasm_bindgen(method, js_name = querySelectorAll)]
    fn query_all_js(doc: &Raw, selector: &str) -> NodeList;
    #[wasm_bindgen(method, js_name = addEventListener)]
    fn add_listener_js(target: &Raw, event: &str, f: &Function);
    #[wasm_bindgen(method, js_name = removeEventListener)]
    fn remove_listener_js(target: &Raw, event: &str, f: &Function);
    #[wasm_bindgen(method, js_name = setAttribute)]
    fn set_attr_js(el: &Raw, name: &str, value: &str);
    #[wasm_bindgen(method, js_name = removeAttribute)]
    fn remove_attr_js(el: &Raw, name: &str);
    #[wasm_bindgen(method, js_name = focus)]
    fn focus_js(el: &Raw);
    #[wasm_bindgen(method, js_name = append)]
    fn append_js(parent: &Raw, child: &Node);
    #[wasm_bindgen(method, js_name = observe)]
    fn observe_js(observer: &Raw, root: &Node, options: &JsValue);
    #[wasm_bindgen(constructor, js_class = MutationObserver)]
    fn new_observer(callback: &Function) -> Raw;
}

#[wasm_bindgen(module = "/js/dom.js")]
extern "C" {
    #[wasm_bindgen(js_name = ckEl)]
    fn el_js(parent: &JsValue, tag: &str, attrs: &str, text: &str) -> Element;
    #[wasm_bindgen(js_name = ckGet)]
    fn get_js(target: &JsValue, key: &str) -> JsValue;
    #[wasm_bindgen(js_name = ckSet)]
    fn set_js(target: &JsValue, key: &str, value: &JsValue);
    #[wasm_bindgen(js_name = ckCall)]
    fn call_js(f: &JsValue, arg: &JsValue, msg: &str);
    #[wasm_bindgen(js_name = ckShadow)]
    fn shadow_js(el: &Element) -> JsValue;
    #[wasm_bindgen(js_name = ckSheet)]
    fn sheet_js(css: &str) -> JsValue;
    #[wasm_bindgen(js_name = ckParse)]
    fn parse_js(text: &str) -> JsValue;
    #[wasm_bindgen(js_name = ckStringify)]
    fn stringify_js(value: &JsValue) -> String;
    #[wasm_bindgen(js_name = ckVars)]
    fn vars_js(root: &ShadowRoot, vars: &JsValue);
    #[wasm_bindgen(js_name = ckQuery)]
    fn query_js(name: &str) -> Option<String>;
    #[wasm_bindgen(js_name = ckLang)]
    fn lang_js(el: &Element) -> String;
}

/// js/dom.js `ckVars`: custom properties on `:host` for `root` alone.
pub(crate) fn adopt_vars(root: &ShadowRoot, vars: &JsValue) {
    vars_js(root, vars);
}

/// js/dom.js `ckQuery`: the page URL's query parameter `name`.
pub(crate) fn query_param(name: &str) -> Option<String> {
    query_js(name)
}

/// js/dom.js `ckLang`: the primary language subtag of `el`'s closest `lang`, lower case (empty
/// for none or a malformed one).
pub(crate) fn lang(el: &Element) -> String {
    lang_js(el)
}

/// js/dom.js `ckCall`: `f(arg)`; if it throws, `console.warn(msg, error)`.
pub(crate) fn call(f: &JsValue, arg: &JsValue, msg: &str) {
    call_js(f, arg, msg);
}

/// js/dom.js `ckParse`: `JSON.parse(text)`, `undefined` when it is not JSON.
pub(crate) fn parse_json(text: &str) -> JsValue {
    parse_js(text)
}

/// js/dom.js `ckStringify`: `JSON.stringify(value)`, empty when refused.
pub(crate) fn stringify(value: &JsValue) -> String {
    stringify_js(value)
}

/// js/dom.js `ckEl`: creates `tag` with the static `attrs` (`name=value …`) and `text` (empty:
/// none), appended to `parent` unless it is `undefined`.
pub(crate) fn el(parent: &JsValue, tag: &str, attrs: &str, text: &str) -> Element {
    el_js(parent, tag, attrs, text)
}

/// js/dom.js `ckGet`: `target[key]`, `undefined` when that throws.
pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    get_js(target, key)
}

/// js/dom.js `ckSet`: `target[key] = value`, ignored when that throws.
pub(crate) fn set(target: &JsValue, key: &str, value: &JsValue) {
    set_js(target, key, value);
}

#[wasm_bindgen(module = "/js/net.js")]
extern "C" {
    #[wasm_bindgen(js_name = ckApi)]
    fn api_js(origin: &str, prefetched: &JsValue, need: &JsValue);
    #[wasm_bindgen(js_name = ckNeed)]
    fn need_js(chunk: &str, el: &Element) -> u32;
    #[wasm_bindgen(js_name = ckMetric)]
    fn metric_js(path: &str, token: &str, event: &str);
    #[wasm_bindgen(js_name = ckFetch)]
    fn fetch_js(path: &str, body: &str, timeout_ms: u32, done: &JsValue);
}

/// Sets the API origin the request paths below are joined to, the loader's in-flight config
/// requests (js/net.js `ckApi`; `prefetched`: URL → `fetch` promise, or `undefined`) and its
/// chunk loader `need`.
pub(crate) fn set_api(origin: &str, prefetched: &JsValue, need: &JsValue) {
    api_js(origin, prefetched, need);
}

/// Asks the loader for lazy chunk `chunk` on behalf of mount point `el` (js/net.js `ckNeed`,
/// see `BootOptions::need`): 1 on its way, 2 failed, 0 no such chunk.
pub(crate) fn need(chunk: &str, el: &Element) -> u32 {
    need_js(chunk, el)
}

/// Adds one rendered event for `{api}{path}` to the usage pixel's batch (js/net.js `ckMetric`
/// batches and sends it with `sendBeacon`, else `fetch(keepalive)`).
pub(crate) fn metric(path: &str, token: &str, event: &str) {
    metric_js(path, token, event);
}

/// One try of a request to `{api}{path}` (js/net.js `ckFetch`): for a GET, the loader's
/// in-flight response the first time, else a new `fetch` that the browser aborts after
/// `timeout_ms`; a non-empty `json_body` makes it a JSON POST. `done` gets one string, parsed
/// by `http::parse_reply`.
pub(crate) fn fetch(path: &str, json_body: &str, timeout_ms: u32, done: &JsClosure) {
    fetch_js(path, json_body, timeout_ms, done.as_ref());
}
