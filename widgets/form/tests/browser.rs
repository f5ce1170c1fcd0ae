//! The Form view in headless Chromium (wasm-bindgen-test-runner), mounted by the real runtime
//! from an inline `data-ck-config`. No server: submits go to a closed port and fail (the
//! "network failure keeps the values" case), except for forms with a hidden field `reply`, whose
//! submissions a stand-in `fetch` answers (see `fake_server`) so the request body and the
//! server's answers can be checked in the page. Run with `cargo xtask test`, or:
//! `RUSTC_BOOTSTRAP=1 CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON=$PWD/webdriver.json
//!  cargo +web test -p ck-form --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort`
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;

use ck_runtime::js_sys::{Function, Promise, Reflect, JSON};
use ck_runtime::wasm_bindgen::{JsCast, JsValue};
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
                ..Default::default()
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
    mount_element(config).await.1
}

async fn mount_element(config: &str) -> (Element, ShadowRoot) {
    booted();
    fake_server();
    let el = document().create_element("div").unwrap();
    el.set_attribute("data-ck-widget", "form").unwrap();
    el.set_attribute("data-ck-config", config).unwrap();
    document().body().unwrap().append_child(&el).unwrap();
    for _ in 0..100 {
        if let Some(root) = el.shadow_root() {
            if root.query_selector("form").unwrap().is_some() {
                return (el, root);
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

/// Runs a snippet of JavaScript in the page and returns its value.
fn js(code: &str) -> JsValue {
    Function::new_no_args(code).call0(&JsValue::NULL).unwrap()
}

/// A stand-in for the server: `fetch` of a submission whose values have `reply` answers with a
/// real `Response` (`ok…`: 201 with an id; `fields`: 422 with a field error) and records the
/// request in `window.ckSent`; everything else goes to the real `fetch`. Page events are
/// recorded in `window.ckEvents`.
fn fake_server() {
    if js("return !!window.ckSent").is_truthy() {
        return;
    }
    js(r#"
      window.ckSent = [];
      window.ckEvents = [];
      const real = window.fetch.bind(window);
      window.fetch = (url, init) => {
        const body = init && init.body ? JSON.parse(init.body) : null;
        const reply = body && body.values && body.values.reply;
        if (!reply) return real(url, init);
        window.ckSent.push({url: String(url), method: init.method, body});
        const [status, json] = reply.startsWith('ok')
          ? [201, {id: 'sub_' + reply}]
          : [422, {error: {code: 'validation', message: 'Invalid values',
                           fields: {email: 'The server says no.'}}}];
        return Promise.resolve(new Response(JSON.stringify(json), {status}));
      };
    "#);
    for event in ["form:submit", "form:success", "form:error", "widget:error"] {
        let record = Function::new_with_args(
            "detail",
            &format!(
                "window.ckEvents.push({{name: '{event}', detail: JSON.stringify(detail), \
                 element: detail.element}})"
            ),
        );
        ck_runtime::command(&"on".into(), &event.into(), &record);
    }
}

/// The requests the stand-in server got for forms whose `reply` is `reply`.
fn sent(reply: &str) -> Vec<JsValue> {
    let all: ck_runtime::js_sys::Array = js("return window.ckSent").unchecked_into();
    all.iter()
        .filter(|r| {
            let values = Reflect::get(&Reflect::get(r, &"body".into()).unwrap(), &"values".into());
            Reflect::get(&values.unwrap(), &"reply".into())
                .unwrap()
                .as_string()
                .as_deref()
                == Some(reply)
        })
        .collect()
}

async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..300 {
        if cond() {
            return;
        }
        sleep(20).await;
    }
    panic!("timed out waiting for {what}");
}

fn text(root: &ShadowRoot, selector: &str) -> String {
    q(root, selector).text_content().unwrap()
}

fn stringify(value: &JsValue) -> String {
    JSON::stringify(value).unwrap().as_string().unwrap()
}

#[wasm_bindgen_test]
async fn submit_posts_the_contract_body_and_success_replaces_the_form() {
    let root = mount(
        r#"{"fields":[
          {"type":"text","name":"name","label":"Name","required":true},
          {"type":"number","name":"seats","label":"Seats"},
          {"type":"number","name":"empty","label":"Empty"},
          {"type":"checkbox","name":"agree","label":"Agree"},
          {"type":"radio","name":"plan","label":"Plan","options":["Free","Pro"]},
          {"type":"select","name":"topic","label":"Topic","options":[{"value":"s","label":"Sales"}]},
          {"type":"hidden","name":"reply","value":"ok-body"}],
          "success_message":"Got it.","min_fill_ms":0}"#,
    )
    .await;
    set_value(&q(&root, "[name=name]"), "Ada");
    set_value(&q(&root, "[name=seats]"), "12.5");
    set_value(&q(&root, "[name=topic]"), "s");
    q(&root, "[name=plan][value=Pro]")
        .unchecked_into::<HtmlElement>()
        .click();
    click_submit(&root);
    until("the success message", || {
        root.query_selector("form").unwrap().is_none()
    })
    .await;
    assert_eq!(text(&root, "[role=status]"), "Got it.");
    let active = root.active_element().expect("focus on the message");
    assert_eq!(active.get_attribute("role").as_deref(), Some("status"));

    let requests = sent("ok-body");
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let url = Reflect::get(request, &"url".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(url, "http://127.0.0.1:9/api/v1/submissions");
    assert_eq!(
        Reflect::get(request, &"method".into())
            .unwrap()
            .as_string()
            .as_deref(),
        Some("POST")
    );
    let body = Reflect::get(request, &"body".into()).unwrap();
    let get = |key: &str| Reflect::get(&body, &key.into()).unwrap();
    // No data-ck-id and no token on this mount: the id is empty and no token is sent.
    assert_eq!(get("id").as_string().as_deref(), Some(""));
    assert!(get("token").is_undefined());
    assert_eq!(get("hp").as_string().as_deref(), Some(""));
    let elapsed = get("elapsed_ms").as_f64().expect("elapsed_ms is a number");
    assert!(elapsed >= 0.0 && elapsed.fract() == 0.0, "{elapsed}");
    // Numbers as numbers, checkboxes as booleans, no key for an empty number, the chosen
    // radio's value, hidden values from the config.
    assert_eq!(
        stringify(&get("values")),
        r#"{"name":"Ada","seats":12.5,"agree":false,"plan":"Pro","topic":"s","reply":"ok-body"}"#
    );
    let events = stringify(&js("return window.ckEvents"));
    assert!(
        events.contains(r#"\"submission\":\"sub_ok-body\""#),
        "{events}"
    );
    assert!(
        !events.contains("Ada"),
        "event details carry no visitor values: {events}"
    );
}

#[wasm_bindgen_test]
async fn server_field_errors_show_at_the_fields() {
    let root = mount(
        r#"{"fields":[
          {"type":"text","name":"name","label":"Name"},
          {"type":"email","name":"email","label":"Email","required":true},
          {"type":"hidden","name":"reply","value":"fields"}],"min_fill_ms":0}"#,
    )
    .await;
    set_value(&q(&root, "[name=name]"), "Ada");
    set_value(&q(&root, "[name=email]"), "ada@example.com");
    click_submit(&root);
    let email = q(&root, "[name=email]");
    until("the server's field error", || {
        email.get_attribute("aria-invalid").as_deref() == Some("true")
    })
    .await;
    assert_eq!(text(&root, "#ck-e-email"), "The server says no.");
    assert_eq!(
        email.get_attribute("aria-describedby").as_deref(),
        Some("ck-e-email")
    );
    assert!(q(&root, "[name=name]")
        .get_attribute("aria-invalid")
        .is_none());
    assert_eq!(
        text(&root, "[role=status]"),
        "Please correct the highlighted fields."
    );
    let active = root.active_element().expect("focus inside the widget");
    assert_eq!(active.get_attribute("name").as_deref(), Some("email"));
    assert!(!q(&root, "button[type=submit]").has_attribute("disabled"));
    let value = Reflect::get(&email, &"value".into()).unwrap().as_string();
    assert_eq!(value.as_deref(), Some("ada@example.com"), "values stay");
}

#[wasm_bindgen_test]
async fn a_fast_submit_waits_for_the_minimum_fill_time() {
    // An unchosen radio group is left out of the values.
    let config = r#"{"fields":[{"type":"text","name":"name","label":"Name"},
          {"type":"radio","name":"plan","label":"Plan","options":["Free","Pro"]},
          {"type":"hidden","name":"reply","value":"ok-slow"}],"min_fill_ms":700}"#;
    let root = mount(config).await;
    click_submit(&root);
    assert!(q(&root, "button[type=submit]").has_attribute("disabled"));
    assert_eq!(text(&root, "[role=status]"), "Sending…");
    sleep(300).await;
    assert!(sent("ok-slow").is_empty(), "held back while too fast");
    until("the delayed submit", || !sent("ok-slow").is_empty()).await;
    let body = Reflect::get(&sent("ok-slow")[0], &"body".into()).unwrap();
    let elapsed = Reflect::get(&body, &"elapsed_ms".into()).unwrap();
    assert!(elapsed.as_f64().unwrap() >= 700.0, "{elapsed:?}");
    let values = Reflect::get(&body, &"values".into()).unwrap();
    assert_eq!(stringify(&values), r#"{"name":"","reply":"ok-slow"}"#);

    // Unmounted while waiting: the request never goes out.
    let (el, root) = mount_element(&config.replace("ok-slow", "ok-gone")).await;
    click_submit(&root);
    el.remove();
    sleep(1200).await;
    assert!(
        sent("ok-gone").is_empty(),
        "an unmounted form sends nothing"
    );
}

#[wasm_bindgen_test]
async fn a_broken_config_mounts_nothing_and_names_the_path() {
    booted();
    fake_server();
    let el = document().create_element("div").unwrap();
    el.set_attribute("data-ck-widget", "form").unwrap();
    el.set_attribute(
        "data-ck-config",
        r#"{"fields":[{"type":"text","name":"a","label":"A"},
            {"type":"text","name":"b","label":"B","requried":true}]}"#,
    )
    .unwrap();
    document().body().unwrap().append_child(&el).unwrap();
    let reported = || {
        let events: ck_runtime::js_sys::Array = js("return window.ckEvents").unchecked_into();
        events.iter().find(|e| {
            let target = Reflect::get(e, &"element".into()).unwrap();
            target == JsValue::from(el.clone())
        })
    };
    until("widget:error", || reported().is_some()).await;
    let detail = Reflect::get(&reported().unwrap(), &"detail".into()).unwrap();
    let detail = detail.as_string().unwrap();
    assert!(
        detail.contains(r#""attribute":"data-ck-config""#),
        "{detail}"
    );
    assert!(detail.contains("fields[1].requried"), "{detail}");
    let rendered = el
        .shadow_root()
        .and_then(|root| root.query_selector("form").unwrap());
    assert!(rendered.is_none(), "nothing is mounted");
}
