//! Browser suites (headless Chromium via wasm-bindgen-test-runner): the attribute parser on
//! `JSON.parse`, the event bus rules, Shadow DOM mounting and isolation, unmount on removal.
//! One page per test binary, so the runtime boots once (see `booted`).
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ck_runtime::{
    dom, parse_mount, AttrError, Bus, ConfigError, MountCtx, RawAttrs, Value, Widget,
};
use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

fn json(text: &str) -> Option<Value> {
    js_sys::JSON::parse(text)
        .ok()
        .map(|v| ck_runtime::from_js(&v))
}

// ---------------------------------------------------------------- parser

#[wasm_bindgen_test]
fn parser_valid_and_invalid_with_json_parse() {
    let known = |t: &str| (t == "probe").then_some("probe");
    let ok = RawAttrs {
        widget: Some("probe"),
        config: Some(r#"{"title":"Hi","n":[1,2,{"x":null}]}"#),
        theme: Some("light"),
        flags: Some("a,b"),
        ..Default::default()
    };
    let spec = parse_mount(&ok, Some("ck_pub_default"), known, json).unwrap();
    let config = spec.config.unwrap();
    assert_eq!(config.get("title").as_str(), Some("Hi"));
    assert_eq!(config.get("n").as_array().map(<[Value]>::len), Some(3));
    assert_eq!(spec.token.as_deref(), Some("ck_pub_default"));

    for (config, want) in [
        ("{bad", AttrError::ConfigInvalidJson),
        ("[1]", AttrError::ConfigNotObject),
        ("42", AttrError::ConfigNotObject),
    ] {
        let attrs = RawAttrs {
            widget: Some("probe"),
            config: Some(config),
            ..Default::default()
        };
        assert_eq!(parse_mount(&attrs, None, known, json), Err(want));
    }
    let unknown = RawAttrs {
        widget: Some("nope"),
        ..Default::default()
    };
    assert_eq!(
        parse_mount(&unknown, None, known, json),
        Err(AttrError::UnknownWidget)
    );
}

// ---------------------------------------------------------------- bus

fn logger(log: &Rc<RefCell<Vec<String>>>, tag: &'static str) -> impl FnMut(&JsValue) + 'static {
    let log = log.clone();
    move |d: &JsValue| {
        let mut entry = String::from(tag);
        entry.push(':');
        entry.push_str(&d.as_string().unwrap_or_default());
        log.borrow_mut().push(entry);
    }
}

#[wasm_bindgen_test]
fn bus_delivers_in_subscription_order() {
    let bus = Bus::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let _a = bus.on("e", logger(&log, "a"));
    let _b = bus.on("e", logger(&log, "b"));
    bus.emit("e", "1".into());
    bus.emit("e", "2".into());
    assert_eq!(*log.borrow(), ["a:1", "b:1", "a:2", "b:2"]);
}

#[wasm_bindgen_test]
fn bus_emit_inside_handler_is_queued_not_recursed() {
    let bus = Bus::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let (inner_bus, inner_log) = (bus.clone(), log.clone());
    let _first = bus.on("e", move |d| {
        inner_log.borrow_mut().push(String::from("first-start"));
        if d.as_string().as_deref() == Some("outer") {
            inner_bus.emit("e", "nested".into());
        }
        inner_log.borrow_mut().push(String::from("first-end"));
    });
    let _second = bus.on("e", logger(&log, "second"));
    bus.emit("e", "outer".into());
    assert_eq!(
        *log.borrow(),
        [
            "first-start",
            "first-end",
            "second:outer",
            "first-start",
            "first-end",
            "second:nested"
        ]
    );
}

#[wasm_bindgen_test]
fn bus_throwing_js_handler_does_not_stop_others() {
    let bus = Bus::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    bus.on_js("e", Function::new_no_args("throw new Error('boom')"));
    let _after = bus.on("e", logger(&log, "after"));
    bus.emit("e", "x".into());
    bus.emit("e", "y".into());
    assert_eq!(*log.borrow(), ["after:x", "after:y"]);
}

#[wasm_bindgen_test]
fn bus_buffers_before_subscribe_bounded_and_in_order() {
    let bus = Bus::new();
    for i in 0..(ck_runtime::BUFFER_LIMIT + 5) {
        let mut s = String::new();
        s.push_str(&i.to_string());
        bus.emit("early", s.into());
    }
    bus.emit("other", "o".into());
    let log = Rc::new(RefCell::new(Vec::new()));
    let _sub = bus.on("early", logger(&log, "l"));
    let log = log.borrow();
    // The five oldest were dropped (with a console warning); "other" stays buffered.
    assert_eq!(log.len(), ck_runtime::BUFFER_LIMIT - 1);
    assert_eq!(log[0], "l:6");
    assert_eq!(log.last().map(String::as_str), Some("l:68"));
}

#[wasm_bindgen_test]
fn bus_unsubscribe_inside_handler_is_safe() {
    let bus = Bus::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let victim: Rc<RefCell<Option<ck_runtime::Subscription>>> = Rc::default();
    let v = victim.clone();
    let l = log.clone();
    let _killer = bus.on("e", move |_| {
        l.borrow_mut().push(String::from("killer"));
        // Drops the later subscriber during this very delivery: it must not be called.
        v.borrow_mut().take();
    });
    *victim.borrow_mut() = Some(bus.on("e", logger(&log, "victim")));
    bus.emit("e", "1".into());
    bus.emit("e", "2".into());
    assert_eq!(*log.borrow(), ["killer", "killer"]);
}

#[wasm_bindgen_test]
fn bus_js_off_removes_handler() {
    let bus = Bus::new();
    let counter = Rc::new(Cell::new(0));
    let c = counter.clone();
    let closure =
        wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |_| c.set(c.get() + 1));
    let f: Function = closure.as_ref().unchecked_ref::<Function>().clone();
    bus.on_js("e", f.clone());
    bus.emit("e", JsValue::NULL);
    bus.off_js("e", &f);
    bus.emit("e", JsValue::NULL);
    assert_eq!(counter.get(), 1);
}

// ---------------------------------------------------------------- mounting

thread_local! {
    static DROPPED: Cell<u32> = const { Cell::new(0) };
}

struct Probe;

struct ProbeHandle;

impl Drop for ProbeHandle {
    fn drop(&mut self) {
        DROPPED.with(|d| d.set(d.get() + 1));
    }
}

impl Widget for Probe {
    const TYPE: &'static str = "probe";
    type Config = String;
    type Mounted = ProbeHandle;

    fn styles() -> &'static [&'static str] {
        &["p{margin:0;color:var(--ck-color-text)}"]
    }

    fn parse_config(config: &Value) -> Result<String, ConfigError> {
        match config.get("text") {
            Value::Null => Ok(String::from("probe")),
            Value::Str(s) => Ok(s.clone()),
            _ => Err(ConfigError::new("text", "must be a string")),
        }
    }

    fn mount(ctx: MountCtx<String>) -> Result<ProbeHandle, JsValue> {
        let p = dom::element("p")?;
        dom::set_text(&p, ctx.config());
        dom::append(ctx.root(), &p)?;
        Ok(ProbeHandle)
    }
}

fn booted() {
    thread_local!(static ONCE: Cell<bool> = const { Cell::new(false) });
    if !ONCE.with(|o| o.replace(true)) {
        // Host CSS trying hard to leak in; `mounting` checks it does not.
        let style = document().create_element("style").unwrap();
        style.set_text_content(Some(
            "* { color: rgb(255, 0, 0) !important; font-size: 40px !important; \
             font-family: serif !important; line-height: 90px } html { font-size: 64px }",
        ));
        document().body().unwrap().append_child(&style).unwrap();
        ck_runtime::boot(
            ck_runtime::Registry::new().with::<Probe>(),
            ck_runtime::BootOptions {
                api: String::from("http://127.0.0.1:9"),
                token: None,
                t0: 0.0,
                ..Default::default()
            },
        );
    }
}

fn mount_point(attrs: &[(&str, &str)]) -> Element {
    let el = document().create_element("div").unwrap();
    for (k, v) in attrs {
        el.set_attribute(k, v).unwrap();
    }
    document().body().unwrap().append_child(&el).unwrap();
    el
}

fn inner_p(el: &Element) -> Option<Element> {
    el.shadow_root()?.query_selector("p").ok().flatten()
}

fn computed(el: &Element, prop: &str) -> String {
    web_sys::window()
        .unwrap()
        .get_computed_style(el)
        .unwrap()
        .unwrap()
        .get_property_value(prop)
        .unwrap()
}

#[wasm_bindgen_test]
async fn mounting_shadow_root_and_host_css_isolation() {
    booted();
    let el = mount_point(&[
        ("data-ck-widget", "probe"),
        ("data-ck-config", r#"{"text":"<b>hi</b>"}"#),
    ]);
    sleep(50).await; // MutationObserver callbacks run as microtasks; leave room anyway.
    assert!(ck_runtime::is_mounted(&el));
    let root = el.shadow_root().expect("open shadow root");
    assert_eq!(root.mode(), web_sys::ShadowRootMode::Open);
    let p = inner_p(&el).expect("widget rendered");
    // Text went through textContent: no <b> element was created.
    assert_eq!(p.text_content().as_deref(), Some("<b>hi</b>"));
    assert!(p.query_selector("b").unwrap().is_none());
    // The host page's `* {… !important}` rules and 64px root font size stay outside.
    assert_ne!(computed(&p, "color"), "rgb(255, 0, 0)");
    assert_eq!(computed(&p, "font-size"), "16px");
    assert!(!computed(&p, "font-family").starts_with("serif"));
    assert_ne!(computed(&p, "line-height"), "90px");
    el.remove();
}

#[wasm_bindgen_test]
async fn theme_attribute_switches_token_colours() {
    booted();
    let light = mount_point(&[("data-ck-widget", "probe"), ("data-ck-theme", "light")]);
    let dark = mount_point(&[("data-ck-widget", "probe"), ("data-ck-theme", "dark")]);
    sleep(50).await;
    let (lp, dp) = (inner_p(&light).unwrap(), inner_p(&dark).unwrap());
    assert_ne!(computed(&lp, "color"), computed(&dp, "color"));
    light.remove();
    dark.remove();
}

#[wasm_bindgen_test]
async fn removal_unmounts_and_drops_the_handle() {
    booted();
    let el = mount_point(&[("data-ck-widget", "probe")]);
    sleep(50).await;
    assert!(ck_runtime::is_mounted(&el));
    let before = DROPPED.with(Cell::get);
    el.remove();
    sleep(50).await;
    assert!(!ck_runtime::is_mounted(&el));
    assert_eq!(DROPPED.with(Cell::get), before + 1);
    // Shadow root emptied of the widget's nodes.
    assert!(inner_p(&el).is_none());
}

#[wasm_bindgen_test]
async fn invalid_config_warns_emits_error_and_never_throws() {
    booted();
    let errors = Rc::new(RefCell::new(Vec::new()));
    let e = errors.clone();
    let _sub = Bus::global().on("widget:error", move |detail| {
        let code = js_sys::Reflect::get(detail, &"code".into()).unwrap();
        e.borrow_mut().push(code.as_string().unwrap_or_default());
    });
    let bad = mount_point(&[("data-ck-widget", "probe"), ("data-ck-config", "{oops")]);
    let wrong_type = mount_point(&[
        ("data-ck-widget", "probe"),
        ("data-ck-config", r#"{"text":5}"#),
    ]);
    let good = mount_point(&[("data-ck-widget", "probe")]);
    sleep(50).await;
    assert!(!ck_runtime::is_mounted(&bad));
    assert!(!ck_runtime::is_mounted(&wrong_type));
    assert!(ck_runtime::is_mounted(&good));
    let errors = errors.borrow();
    assert!(
        errors.iter().any(|c| c == "config_invalid_json"),
        "{errors:?}"
    );
    assert!(errors.iter().any(|c| c == "config_invalid"), "{errors:?}");
    for el in [bad, wrong_type, good] {
        el.remove();
    }
}

#[wasm_bindgen_test]
async fn explicit_unmount_holds_until_mount() {
    booted();
    let el = mount_point(&[("data-ck-widget", "probe")]);
    sleep(50).await;
    assert!(ck_runtime::is_mounted(&el));
    ck_runtime::command(&"unmount".into(), &el, &JsValue::UNDEFINED);
    assert!(!ck_runtime::is_mounted(&el));
    // A DOM change elsewhere must not remount a held element.
    let other = mount_point(&[("data-ck-widget", "probe")]);
    sleep(50).await;
    assert!(!ck_runtime::is_mounted(&el));
    ck_runtime::command(&"mount".into(), &el, &JsValue::UNDEFINED);
    assert!(ck_runtime::is_mounted(&el));
    let host: &HtmlElement = el.unchecked_ref();
    host.remove();
    other.remove();
}
