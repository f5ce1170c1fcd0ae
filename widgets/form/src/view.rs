//! The form's DOM: rendering, client validation display, submit and its outcomes.
//!
//! Accessibility: every control has a `<label>` (radio groups a `<fieldset>`/`<legend>`), errors
//! sit in an element linked by `aria-describedby` with `aria-invalid` on the control, focus goes
//! to the first invalid control, and a persistent `role="status"` region announces errors,
//! sending and success. Text only ever goes through `textContent` and attributes.

use std::cell::Cell;
use std::rc::Rc;
use std::string::String;
use std::vec::Vec;

use ck_runtime::dom::{self, Listener};
use ck_runtime::{ConfigError, HttpError, Instance, MountCtx, Value, Widget};
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use web_sys::{Element, Event, HtmlElement};

use crate::schema::{FieldKind, FormConfig, HONEYPOT_FIELD};
use crate::submit;

const MSG_FIX: &str = "Please correct the highlighted fields.";
const MSG_SENDING: &str = "Sending…";
const MSG_FAILED: &str = "Sending failed. Your entries are kept; please try again.";
const MSG_REJECTED: &str = "Your message could not be sent.";
const MSG_CHOOSE: &str = "Choose…";

/// The stylesheet: only dieter-tokens custom properties, logical properties for RTL.
const CSS: &str = "\
.w{background:var(--ck-color-surface);color:var(--ck-color-text);padding:var(--ck-space-5);\
border:1px solid var(--ck-color-border);border-radius:var(--ck-radius-lg)}\
h2{margin:0 0 var(--ck-space-2);font-size:var(--ck-font-size-xl);\
line-height:var(--ck-line-height-tight);font-weight:var(--ck-font-weight-bold)}\
.d{margin:0 0 var(--ck-space-4);color:var(--ck-color-muted)}\
.f{margin:0 0 var(--ck-space-4);border:0;padding:0;min-inline-size:0}\
label,legend{display:block;padding:0;margin-block-end:var(--ck-space-1);\
font-weight:var(--ck-font-weight-medium)}\
input,select,textarea,button{font:inherit;color:inherit;margin:0}\
.i{display:block;inline-size:100%;padding:var(--ck-space-2) var(--ck-space-3);\
background:var(--ck-color-surface);border:1px solid var(--ck-color-border);\
border-radius:var(--ck-radius-md)}\
textarea{min-block-size:120px;resize:vertical}\
::placeholder{color:var(--ck-color-muted);opacity:1}\
[aria-invalid=true]{border-color:var(--ck-color-danger)}\
.c{display:flex;gap:var(--ck-space-2);align-items:baseline;margin-block-end:var(--ck-space-1)}\
.c label{margin:0;font-weight:var(--ck-font-weight-regular)}\
.c input{accent-color:var(--ck-color-accent);flex:none}\
.e{margin:var(--ck-space-1) 0 0;color:var(--ck-color-danger);font-size:var(--ck-font-size-sm)}\
.r{color:var(--ck-color-danger)}\
button{padding:var(--ck-space-2) var(--ck-space-5);border:0;border-radius:var(--ck-radius-md);\
background:var(--ck-color-accent);color:var(--ck-color-accent-text);\
font-weight:var(--ck-font-weight-bold);cursor:pointer}\
button:disabled{opacity:.6;cursor:progress}\
:focus-visible{outline:2px solid var(--ck-color-focus);outline-offset:2px}\
.h{position:absolute;inline-size:1px;block-size:1px;overflow:hidden;clip-path:inset(50%)}\
.s:not(:empty){margin:var(--ck-space-3) 0 0}\
.x{color:var(--ck-color-danger)}\
.ok{margin:0;color:var(--ck-color-success);font-size:var(--ck-font-size-lg);\
font-weight:var(--ck-font-weight-medium)}";

/// The Form widget (`data-ck-widget="form"`).
pub struct Form;

/// A mounted form; dropping it removes every listener.
pub struct Mounted {
    state: Rc<State>,
    _listeners: [Listener; 3],
}

impl Drop for Mounted {
    fn drop(&mut self) {
        // A request still in flight finishes against detached nodes and emits nothing.
        self.state.alive.set(false);
    }
}

impl Widget for Form {
    const TYPE: &'static str = "form";
    type Config = FormConfig;
    type Mounted = Mounted;

    fn styles() -> &'static [&'static str] {
        &[CSS]
    }

    fn parse_config(config: &Value) -> Result<FormConfig, ConfigError> {
        FormConfig::parse(config)
    }

    fn mount(ctx: MountCtx<FormConfig>) -> Result<Mounted, JsValue> {
        let (config, instance) = ctx.into_parts();
        let state = Rc::new(render(config, instance)?);
        let on_submit = state.clone();
        let on_input = state.clone();
        let on_focus = state.clone();
        let listeners = [
            dom::listen(&state.form, "submit", move |event| {
                event.prevent_default();
                on_submit.clone().submit();
            })?,
            dom::listen(&state.form, "input", move |event| on_input.edited(&event))?,
            dom::listen(&state.form, "focusin", move |_| {
                if !on_focus.focused.replace(true) {
                    on_focus.instance.metric_interaction("form_focus");
                }
            })?,
        ];
        Ok(Mounted {
            state,
            _listeners: listeners,
        })
    }
}

/// One field's DOM: its control(s) (several for a radio group, none for hidden) and error slot.
struct Control {
    inputs: Vec<Element>,
    error: Option<Element>,
}

struct State {
    config: FormConfig,
    instance: Instance,
    form: Element,
    button: Element,
    status: Element,
    honeypot: Element,
    controls: Vec<Control>,
    rendered_at: f64,
    sending: Cell<bool>,
    focused: Cell<bool>,
    alive: Cell<bool>,
}

fn render(config: FormConfig, instance: Instance) -> Result<State, JsValue> {
    let wrapper = dom::element_with("div", &[("class", "w")])?;
    let form = dom::element_with("form", &[("novalidate", "")])?;
    if let Some(title) = &config.title {
        let heading = dom::element_with("h2", &[("id", "ck-t")])?;
        dom::set_text(&heading, title);
        dom::append(&wrapper, &heading)?;
        dom::set_attr(&form, "aria-labelledby", "ck-t")?;
    }
    if let Some(description) = &config.description {
        let p = text_el("p", "d", description)?;
        dom::append(&wrapper, &p)?;
    }
    let mut controls = Vec::with_capacity(config.fields.len());
    for field in &config.fields {
        if field.kind == FieldKind::Hidden {
            controls.push(Control {
                inputs: Vec::new(),
                error: None,
            });
            continue;
        }
        let id = join("ck-f-", &field.name);
        let error_id = join("ck-e-", &field.name);
        let error = dom::element_with("p", &[("class", "e"), ("id", &error_id), ("hidden", "")])?;
        let mut inputs = Vec::new();
        let group = match field.kind {
            FieldKind::Radio => {
                let group = dom::element_with("fieldset", &[("class", "f")])?;
                let legend = label_el("legend", &field.label, field.required)?;
                dom::append(&group, &legend)?;
                for (index, choice) in field.options.iter().enumerate() {
                    let mut radio_id = id.clone();
                    radio_id.push('-');
                    crate::schema::push_number(&mut radio_id, index as u64);
                    let radio = dom::element_with(
                        "input",
                        &[
                            ("type", "radio"),
                            ("id", &radio_id),
                            ("name", &field.name),
                            ("value", &choice.value),
                        ],
                    )?;
                    if field.required {
                        dom::set_attr(&radio, "required", "")?;
                    }
                    let row = dom::element_with("div", &[("class", "c")])?;
                    let label = text_el("label", "", &choice.label)?;
                    dom::set_attr(&label, "for", &radio_id)?;
                    dom::append(&row, &radio)?;
                    dom::append(&row, &label)?;
                    dom::append(&group, &row)?;
                    inputs.push(radio);
                }
                group
            }
            FieldKind::Checkbox => {
                let group = dom::element_with("div", &[("class", "f")])?;
                let row = dom::element_with("div", &[("class", "c")])?;
                let input = dom::element_with(
                    "input",
                    &[("type", "checkbox"), ("id", &id), ("name", &field.name)],
                )?;
                if field.required {
                    dom::set_attr(&input, "required", "")?;
                }
                let label = label_el("label", &field.label, field.required)?;
                dom::set_attr(&label, "for", &id)?;
                dom::append(&row, &input)?;
                dom::append(&row, &label)?;
                dom::append(&group, &row)?;
                inputs.push(input);
                group
            }
            kind => {
                let group = dom::element_with("div", &[("class", "f")])?;
                let label = label_el("label", &field.label, field.required)?;
                dom::set_attr(&label, "for", &id)?;
                let input = match kind {
                    FieldKind::Textarea => dom::element("textarea")?,
                    FieldKind::Select => {
                        let select = dom::element("select")?;
                        let prompt = text_el(
                            "option",
                            "",
                            field.placeholder.as_deref().unwrap_or(MSG_CHOOSE),
                        )?;
                        dom::set_attr(&prompt, "value", "")?;
                        dom::append(&select, &prompt)?;
                        for choice in &field.options {
                            let option = text_el("option", "", &choice.label)?;
                            dom::set_attr(&option, "value", &choice.value)?;
                            dom::append(&select, &option)?;
                        }
                        select
                    }
                    kind => {
                        let input = dom::element_with("input", &[("type", kind.as_str())])?;
                        if kind == FieldKind::Number {
                            // Any decimal is fine; the config's min/max are the only bounds.
                            dom::set_attr(&input, "step", "any")?;
                            dom::set_attr(&input, "inputmode", "decimal")?;
                        }
                        input
                    }
                };
                dom::set_attr(&input, "id", &id)?;
                dom::set_attr(&input, "name", &field.name)?;
                dom::set_attr(&input, "class", "i")?;
                if field.required {
                    dom::set_attr(&input, "required", "")?;
                }
                if let (Some(placeholder), false) = (&field.placeholder, kind == FieldKind::Select)
                {
                    dom::set_attr(&input, "placeholder", placeholder)?;
                }
                if let Some(token) = &field.autocomplete {
                    dom::set_attr(&input, "autocomplete", token)?;
                }
                if let Some(max) = field.max_length {
                    set_number_attr(&input, "maxlength", max.into())?;
                }
                dom::append(&group, &label)?;
                dom::append(&group, &input)?;
                inputs.push(input);
                group
            }
        };
        dom::append(&group, &error)?;
        dom::append(&form, &group)?;
        controls.push(Control {
            inputs,
            error: Some(error),
        });
    }

    // The honeypot: out of sight, out of the tab order and hidden from assistive technology;
    // bots that fill every input fill it too.
    let trap = dom::element_with("div", &[("class", "h"), ("aria-hidden", "true")])?;
    let trap_label = text_el("label", "", "Leave this field empty")?;
    dom::set_attr(&trap_label, "for", "ck-hp")?;
    let honeypot = dom::element_with(
        "input",
        &[
            ("id", "ck-hp"),
            ("name", HONEYPOT_FIELD),
            ("tabindex", "-1"),
            ("autocomplete", "off"),
        ],
    )?;
    dom::append(&trap, &trap_label)?;
    dom::append(&trap, &honeypot)?;
    dom::append(&form, &trap)?;

    let button = dom::element_with("button", &[("type", "submit")])?;
    dom::set_text(&button, &config.submit_label);
    dom::append(&form, &button)?;
    dom::append(&wrapper, &form)?;
    // Present from the start and never removed, so screen readers announce every change.
    let status = dom::element_with("p", &[("class", "s"), ("role", "status")])?;
    dom::append(&wrapper, &status)?;
    dom::append(instance.root(), &wrapper)?;

    Ok(State {
        config,
        instance,
        form,
        button,
        status,
        honeypot,
        controls,
        rendered_at: js_sys::Date::now(),
        sending: Cell::new(false),
        focused: Cell::new(false),
        alive: Cell::new(true),
    })
}

impl State {
    /// Collects the values the visitor entered (hidden fields from the config).
    fn values(&self) -> Value {
        let mut members = Vec::with_capacity(self.controls.len());
        for (field, control) in self.config.fields.iter().zip(&self.controls) {
            let value = match (field.kind, control.inputs.first()) {
                (FieldKind::Hidden, _) | (_, None) => {
                    Value::Str(field.value.clone().unwrap_or_default())
                }
                (FieldKind::Checkbox, Some(input)) => Value::Bool(prop_bool(input, "checked")),
                (FieldKind::Radio, _) => {
                    match control.inputs.iter().find(|r| prop_bool(r, "checked")) {
                        Some(radio) => Value::Str(prop_string(radio, "value")),
                        None => continue,
                    }
                }
                (FieldKind::Number, Some(input)) => {
                    let text = prop_string(input, "value");
                    let number = prop(input, "valueAsNumber")
                        .as_f64()
                        .filter(|n| n.is_finite());
                    match number {
                        Some(n) if !text.is_empty() => Value::Num(n),
                        // The browser empties a number input holding garbage; its
                        // `validity.badInput` still tells, so report "not a number".
                        _ if prop_bool(&prop(input, "validity"), "badInput") => {
                            Value::Str("?".into())
                        }
                        _ => continue,
                    }
                }
                (_, Some(input)) => Value::Str(prop_string(input, "value")),
            };
            members.push((field.name.clone(), value));
        }
        Value::Obj(members)
    }

    fn submit(self: Rc<Self>) {
        self.instance.metric_interaction("form_submit");
        if self.sending.get() {
            return;
        }
        self.clear_errors();
        let values = self.values();
        if let Err(errors) = self.config.validate(&values) {
            let errors: Vec<(String, String)> =
                errors.into_iter().map(|e| (e.name, e.message)).collect();
            self.show_errors(&errors, "validation");
            return;
        }
        self.sending.set(true);
        let _ = dom::set_attr(&self.button, "disabled", "");
        dom::set_attr(&self.status, "class", "s").ok();
        announce(&self.status, MSG_SENDING);
        self.emit("form:submit", None);
        wasm_bindgen_futures::spawn_local(async move {
            let elapsed = js_sys::Date::now() - self.rendered_at;
            let wait = f64::from(self.config.min_fill_ms()) - elapsed;
            if wait > 0.0 {
                // A quick human (or autofill) must not look like a bot to the server.
                sleep(wait as i32 + 50).await;
            }
            let body = submit::request_body(
                self.instance.instance_id().unwrap_or_default(),
                values,
                prop_string(&self.honeypot, "value"),
                js_sys::Date::now() - self.rendered_at,
            );
            let result = self
                .instance
                .http()
                .post_json(submit::SUBMISSIONS_PATH, &body)
                .await;
            self.sending.set(false);
            if self.alive.get() {
                self.finish(result);
            }
        });
    }

    fn finish(&self, result: Result<Value, HttpError>) {
        let _ = dom::remove_attr(&self.button, "disabled");
        match result {
            Ok(reply) => {
                // The success message replaces the form; focus follows so keyboard and screen
                // reader users land on it.
                self.form.remove();
                dom::set_attr(&self.status, "class", "ok").ok();
                dom::set_attr(&self.status, "tabindex", "-1").ok();
                announce(&self.status, &self.config.success_message);
                focus(&self.status);
                self.emit("form:success", reply.get("id").as_str());
                if let Some(url) = &self.config.redirect_url {
                    let location = prop(&js_sys::global(), "location");
                    let _ = Reflect::set(&location, &"href".into(), &url.as_str().into());
                }
            }
            Err(HttpError::Status { status, body }) if status < 500 && status != 429 => {
                let errors = submit::server_field_errors(&body);
                if errors.is_empty() {
                    let message = body.get("error").get("message").as_str();
                    self.fail(message.unwrap_or(MSG_REJECTED), "rejected");
                } else {
                    self.show_errors(&errors, "validation");
                }
            }
            Err(error) => {
                let reason = if matches!(error, HttpError::Status { .. }) {
                    "server"
                } else {
                    "network"
                };
                self.fail(MSG_FAILED, reason);
            }
        }
    }

    /// A failed send: the values stay where they are, the button works again.
    fn fail(&self, message: &str, reason: &'static str) {
        dom::set_attr(&self.status, "class", "s x").ok();
        announce(&self.status, message);
        focus(&self.button);
        self.emit("form:error", Some(reason));
    }

    fn show_errors(&self, errors: &[(String, String)], reason: &'static str) {
        let mut first: Option<&Element> = None;
        for (name, message) in errors {
            let Some(index) = self.config.fields.iter().position(|f| &f.name == name) else {
                continue;
            };
            let control = &self.controls[index];
            let Some(error) = &control.error else {
                continue;
            };
            dom::set_text(error, message);
            let _ = dom::remove_attr(error, "hidden");
            let error_id = dom::attr(error, "id").unwrap_or_default();
            for input in &control.inputs {
                let _ = dom::set_attr(input, "aria-invalid", "true");
                let _ = dom::set_attr(input, "aria-describedby", &error_id);
            }
            if first.is_none() {
                first = control.inputs.first();
            }
        }
        dom::set_attr(&self.status, "class", "s x").ok();
        announce(&self.status, MSG_FIX);
        if let Some(input) = first {
            focus(input);
        }
        self.emit("form:error", Some(reason));
    }

    fn clear_errors(&self) {
        for index in 0..self.controls.len() {
            self.clear_error(index);
        }
    }

    fn clear_error(&self, index: usize) {
        let control = &self.controls[index];
        if let Some(error) = &control.error {
            dom::set_text(error, "");
            let _ = dom::set_attr(error, "hidden", "");
        }
        for input in &control.inputs {
            let _ = dom::remove_attr(input, "aria-invalid");
            let _ = dom::remove_attr(input, "aria-describedby");
        }
    }

    /// Editing a field clears its error: the message described a value that is gone.
    fn edited(&self, event: &Event) {
        let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
            return;
        };
        let name = dom::attr(&target, "name").unwrap_or_default();
        if let Some(index) = self.config.fields.iter().position(|f| f.name == name) {
            self.clear_error(index);
        }
    }

    /// Bus events carry the instance id and a reason code, never the visitor's values.
    fn emit(&self, event: &str, extra: Option<&str>) {
        let detail = Object::new();
        let id = self
            .instance
            .instance_id()
            .map_or(JsValue::NULL, JsValue::from_str);
        let _ = Reflect::set(&detail, &"id".into(), &id);
        let _ = Reflect::set(&detail, &"widget".into(), &"form".into());
        if let Some(extra) = extra {
            let key = if event == "form:success" {
                "submission"
            } else {
                "reason"
            };
            let _ = Reflect::set(&detail, &key.into(), &extra.into());
        }
        let _ = Reflect::set(&detail, &"element".into(), self.instance.element());
        self.instance.bus().emit(event, detail.into());
    }
}

fn text_el(tag: &str, class: &str, text: &str) -> Result<Element, JsValue> {
    let el = if class.is_empty() {
        dom::element(tag)?
    } else {
        dom::element_with(tag, &[("class", class)])?
    };
    dom::set_text(&el, text);
    Ok(el)
}

/// A label (or legend) with a visual required marker; assistive technology gets "required"
/// from the control's `required` attribute instead of reading an asterisk.
fn label_el(tag: &str, text: &str, required: bool) -> Result<Element, JsValue> {
    let label = text_el(tag, "", text)?;
    if required {
        let mark = dom::element_with("span", &[("class", "r"), ("aria-hidden", "true")])?;
        dom::set_text(&mark, " *");
        dom::append(&label, &mark)?;
    }
    Ok(label)
}

/// Sets the text after clearing it, so a repeated message is announced again.
fn announce(status: &Element, text: &str) {
    dom::set_text(status, "");
    dom::set_text(status, text);
}

fn focus(el: &Element) {
    let _ = el.unchecked_ref::<HtmlElement>().focus();
}

fn join(prefix: &str, name: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + name.len());
    out.push_str(prefix);
    out.push_str(name);
    out
}

fn set_number_attr(el: &Element, name: &str, n: u64) -> Result<(), JsValue> {
    let mut text = String::new();
    crate::schema::push_number(&mut text, n);
    dom::set_attr(el, name, &text)
}

fn prop(target: &JsValue, name: &str) -> JsValue {
    Reflect::get(target, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

fn prop_string(target: &JsValue, name: &str) -> String {
    prop(target, name).as_string().unwrap_or_default()
}

fn prop_bool(target: &JsValue, name: &str) -> bool {
    prop(target, name).is_truthy()
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let window: web_sys::Window = js_sys::global().unchecked_into();
        window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect_throw("setTimeout");
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
