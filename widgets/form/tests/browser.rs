//! The Form view in headless Chromium (wasm-bindgen-test-runner), mounted by the real runtime
//! from an inline `data-ck-config` (no server: submits go to a closed port and fail, which is
//! exactly the "network failure keeps the values" case). Run with `cargo xtask test`, or:
//! `RUSTC_BOOTSTRAP=1 CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON=$PWD/webdriver.json
//!  cargo +web test -p ck-form --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort`
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;

use ck_runtime::js_sys::{Promise, Reflect};
use ck_runtime::wasm_bindgen::JsCast;
use ck_runtime::web_sys::{self, Element, HtmlElement, ShadowRoot};
use ck_runtime::{BootOptions, Registry};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

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

fn booted() {
    thread_local!(static ONCE: Cell<bool> = const { Cell::new(false) });
    if !ONCE.with(|o| o.replace(true)) {
        ck_runtime::boot(
            Registry::new().with::<ck_form::Form>(),
            BootOptions {
                // Nothing listens there: every submit fails at the network level.
                api: String::from("http://127.0.0.1:9"),
                token: None,
                t0: 0.0,
            },
        );
    }
}

const CONFIG: &str = r#"{"title":"Contact","fields":[
  {"type":"text","name":"name","label":"Name","required":true},
  {"type":"email","name":"email","label":"Email","required":true},
  {"type":"text","name":"zip","label":"Postcode","pattern":"\\d{5}"},
  {"type":"radio","name":"plan","label":"Plan","options":["Free","Pro"]},
  {"type":"checkbox","name":"agree","label":"I agree","required":true}],
  "min_fill_ms":0}"#;

async fn mount(config: &str) -> ShadowRoot {
    booted();
    let el = document().create_element("div").unwrap();
    el.set_attribute("data-ck-widget", "form").unwrap();
    el.set_attribute("data-ck-config", config).unwrap();
    document().body().unwrap().append_child(&el).unwrap();
    for _ in 0..100 {
        if let Some(root) = el.shadow_root() {
            if root.query_selector("form").unwrap().is_some() {
                return root;
            }
        }
        sleep(10).await;
    }
    panic!("the form did not mount");
}

fn q(root: &ShadowRoot, selector: &str) -> Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
}

fn set_value(el: &Element, value: &str) {
    Reflect::set(el, &"value".into(), &value.into()).unwrap();
}

fn click_submit(root: &ShadowRoot) {
    q(root, "button[type=submit]")
        .unchecked_into::<HtmlElement>()
        .click();
}

#[wasm_bindgen_test]
async fn renders_labelled_controls_from_inline_config() {
    let root = mount(CONFIG).await;
    assert_eq!(q(&root, "h2").text_content().unwrap(), "Contact");
    for name in ["name", "email", "zip", "agree"] {
        let input = q(&root, &format!("[name={name}]"));
        let id = input.id();
        let label = q(&root, &format!("label[for={id}]"));
        assert!(
            !label.text_content().unwrap().is_empty(),
            "{name} has a label"
        );
    }
    assert_eq!(q(&root, "fieldset legend").text_content().unwrap(), "Plan");
    assert_eq!(root.query_selector_all("[name=plan]").unwrap().length(), 2);
    let honeypot = q(&root, "[name=ck_website]");
    assert_eq!(honeypot.get_attribute("tabindex").as_deref(), Some("-1"));
    assert_eq!(
        honeypot
            .parent_element()
            .unwrap()
            .get_attribute("aria-hidden")
            .as_deref(),
        Some("true")
    );
}

#[wasm_bindgen_test]
async fn config_text_is_never_parsed_as_html() {
    let root = mount(
        r#"{"title":"<img src=x onerror=alert(1)>","fields":[{"type":"text","name":"a","label":"<b>bold</b>"}]}"#,
    )
    .await;
    assert_eq!(
        q(&root, "h2").text_content().unwrap(),
        "<img src=x onerror=alert(1)>"
    );
    assert!(root.query_selector("img").unwrap().is_none());
    assert!(root.query_selector("b").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn client_validation_marks_fields_and_focuses_the_first() {
    let root = mount(CONFIG).await;
    set_value(&q(&root, "[name=email]"), "nope");
    set_value(&q(&root, "[name=zip]"), "12ab");
    click_submit(&root);
    let name = q(&root, "[name=name]");
    assert_eq!(name.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(
        name.get_attribute("aria-describedby").as_deref(),
        Some("ck-e-name")
    );
    assert_eq!(
        q(&root, "#ck-e-email").text_content().unwrap(),
        "Please enter a valid email address."
    );
    assert_eq!(
        q(&root, "#ck-e-zip").text_content().unwrap(),
        "Please match the requested format."
    );
    assert_eq!(
        q(&root, "[role=status]").text_content().unwrap(),
        "Please correct the highlighted fields."
    );
    let active = root.active_element().expect("focus inside the widget");
    assert_eq!(active.get_attribute("name").as_deref(), Some("name"));
}

#[wasm_bindgen_test]
async fn network_failure_keeps_values_and_reenables_the_button() {
    let root = mount(CONFIG).await;
    set_value(&q(&root, "[name=name]"), "Ada");
    set_value(&q(&root, "[name=email]"), "ada@example.com");
    q(&root, "[name=agree]")
        .unchecked_into::<HtmlElement>()
        .click();
    click_submit(&root);
    let button = q(&root, "button[type=submit]");
    assert!(button.has_attribute("disabled"), "disabled while sending");
    for _ in 0..300 {
        if !button.has_attribute("disabled") {
            break;
        }
        sleep(20).await;
    }
    assert!(!button.has_attribute("disabled"), "retry possible");
    let value = |sel: &str| {
        Reflect::get(&q(&root, sel), &"value".into())
            .unwrap()
            .as_string()
            .unwrap()
    };
    assert_eq!(value("[name=name]"), "Ada");
    assert_eq!(value("[name=email]"), "ada@example.com");
    assert_eq!(
        q(&root, "[role=status]").text_content().unwrap(),
        "Sending failed. Your entries are kept; please try again."
    );
}
