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
use web_sys::{Element, Event, HtmlElement, Node};

use crate::schema::{push_number, FieldError, FieldKind, FormConfig, HONEYPOT_FIELD};
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
        let state = Rc::new(render(config, instance));
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

/// Creates `tag` with `attrs` and appends it to `parent`. Tags and attribute names are static
/// and valid and the element is fresh, so these DOM calls cannot fail; one helper instead of a
/// `?` at every step keeps the error paths (and their drop code) out of the wasm.
#[inline(never)]
fn add(parent: &Node, tag: &str, attrs: &[(&str, &str)]) -> Element {
    let el = dom::element_with(tag, attrs).expect_throw("ck: dom");
    dom::append(parent, &el).expect_throw("ck: dom");
    el
}

/// [`add`] with text content.
#[inline(never)]
fn add_text(parent: &Node, tag: &str, attrs: &[(&str, &str)], text: &str) -> Element {
    let el = add(parent, tag, attrs);
    dom::set_text(&el, text);
    el
}

/// A label (or legend) with a visual required marker; assistive technology learns "required"
/// from the control's `required` attribute instead of hearing an asterisk.
fn add_label(parent: &Node, tag: &str, for_id: &str, text: &str, required: bool) {
    let label = add_text(parent, tag, &[], text);
    if !for_id.is_empty() {
        set(&label, "for", for_id);
    }
    if required {
        add_text(
            &label,
            "span",
            &[("class", "r"), ("aria-hidden", "true")],
            " *",
        );
    }
}

fn set(el: &Element, name: &str, value: &str) {
    let _ = dom::set_attr(el, name, value);
}

#[inline(never)]
fn render(config: FormConfig, instance: Instance) -> State {
    let wrapper = add(instance.root(), "div", &[("class", "w")]);
    if let Some(title) = &config.title {
        add_text(&wrapper, "h2", &[("id", "ck-t")], title);
    }
    if let Some(description) = &config.description {
        add_text(&wrapper, "p", &[("class", "d")], description);
    }
    let form = add(&wrapper, "form", &[("novalidate", "")]);
    if config.title.is_some() {
        set(&form, "aria-labelledby", "ck-t");
    }
    let mut controls = Vec::with_capacity(config.fields.len());
    let mut id = String::new();
    for field in &config.fields {
        let mut inputs = Vec::new();
        if field.kind == FieldKind::Hidden {
            controls.push(Control {
                inputs,
                error: None,
            });
            continue;
        }
        id.clear();
        id.push_str("ck-f-");
        id.push_str(&field.name);
        let required = field.required;
        let group = add(
            &form,
            if field.kind == FieldKind::Radio {
                "fieldset"
            } else {
                "div"
            },
            &[("class", "f")],
        );
        match field.kind {
            FieldKind::Radio => {
                add_label(&group, "legend", "", &field.label, required);
                for (index, choice) in field.options.iter().enumerate() {
                    let mut radio_id = id.clone();
                    radio_id.push('-');
                    push_number(&mut radio_id, index as u64);
                    let row = add(&group, "div", &[("class", "c")]);
                    inputs.push(add(
                        &row,
                        "input",
                        &[
                            ("type", "radio"),
                            ("id", &radio_id),
                            ("name", &field.name),
                            ("value", &choice.value),
                        ],
                    ));
                    add_label(&row, "label", &radio_id, &choice.label, false);
                }
            }
            FieldKind::Checkbox => {
                let row = add(&group, "div", &[("class", "c")]);
                inputs.push(add(
                    &row,
                    "input",
                    &[("type", "checkbox"), ("id", &id), ("name", &field.name)],
                ));
                add_label(&row, "label", &id, &field.label, required);
            }
            kind => {
                add_label(&group, "label", &id, &field.label, required);
                let attrs = [("id", id.as_str()), ("name", &field.name), ("class", "i")];
                let input = match kind {
                    FieldKind::Textarea => add(&group, "textarea", &attrs),
                    FieldKind::Select => {
                        let select = add(&group, "select", &attrs);
                        let prompt = field.placeholder.as_deref().unwrap_or(MSG_CHOOSE);
                        add_text(&select, "option", &[("value", "")], prompt);
                        for choice in &field.options {
                            add_text(
                                &select,
                                "option",
                                &[("value", &choice.value)],
                                &choice.label,
                            );
                        }
                        select
                    }
                    FieldKind::Number => {
                        let input = add(&group, "input", &attrs);
                        // Any decimal is fine: the config's min/max are the only bounds.
                        set(&input, "type", "number");
                        set(&input, "step", "any");
                        input
                    }
                    kind => {
                        let input = add(&group, "input", &attrs);
                        set(&input, "type", kind.as_str());
                        input
                    }
                };
                if let (Some(placeholder), false) = (&field.placeholder, kind == FieldKind::Select)
                {
                    set(&input, "placeholder", placeholder);
                }
                if let Some(token) = &field.autocomplete {
                    set(&input, "autocomplete", token);
                }
                // The browser's constraint validation checks these; the server re-checks them.
                if let Some(max) = field.max_length {
                    set_prop(&input, "maxLength", max.into());
                }
                if let Some(min) = field.min_length {
                    set_prop(&input, "minLength", min.into());
                }
                if let Some(min) = field.min {
                    set_prop(&input, "min", min.into());
                }
                if let Some(max) = field.max {
                    set_prop(&input, "max", max.into());
                }
                if let Some(pattern) = &field.pattern {
                    set(&input, "pattern", pattern.source());
                }
                inputs.push(input);
            }
        }
        for input in &inputs {
            if required {
                set(input, "required", "");
            }
        }
        id.clear();
        id.push_str("ck-e-");
        id.push_str(&field.name);
        let error = add(&group, "p", &[("class", "e"), ("id", &id), ("hidden", "")]);
        controls.push(Control {
            inputs,
            error: Some(error),
        });
    }

    // The honeypot: out of sight, out of the tab order and hidden from assistive technology;
    // bots that fill every input fill it too.
    let trap = add(&form, "div", &[("class", "h"), ("aria-hidden", "true")]);
    add_label(&trap, "label", "ck-hp", "Leave this field empty", false);
    let honeypot = add(
        &trap,
        "input",
        &[
            ("id", "ck-hp"),
            ("name", HONEYPOT_FIELD),
            ("tabindex", "-1"),
            ("autocomplete", "off"),
        ],
    );
    let button = add_text(&form, "button", &[("type", "submit")], &config.submit_label);
    // Present from the start and never removed, so screen readers announce every change.
    let status = add(&wrapper, "p", &[("class", "s"), ("role", "status")]);

    State {
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
    }
}

impl State {
    /// Collects the values the visitor entered (hidden fields from the config).
    #[inline(never)]
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
                // Empty is NaN; garbage (`validity.badInput`) was already refused by `check`.
                (FieldKind::Number, Some(input)) => {
                    match prop(input, "valueAsNumber")
                        .as_f64()
                        .filter(|n| n.is_finite())
                    {
                        Some(n) => Value::Num(n),
                        None => continue,
                    }
                }
                (_, Some(input)) => Value::Str(prop_string(input, "value")),
            };
            members.push((field.name.clone(), value));
        }
        Value::Obj(members)
    }

    /// Client-side checks through the browser's constraint validation (`validity` of each
    /// control, the form has `novalidate` so no browser bubbles show), with our own messages so
    /// they match the rest of the widget. `tooShort` only fires on typed values, so the minimum
    /// length is also counted here. The server runs the full rules again on every submission.
    #[inline(never)]
    fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (field, control) in self.config.fields.iter().zip(&self.controls) {
            let Some(input) = control.inputs.first() else {
                continue;
            };
            let validity = prop(input, "validity");
            let flag = |name| prop_bool(&validity, name);
            let message = if flag("valueMissing") {
                match field.kind {
                    FieldKind::Checkbox => "Please tick this box.",
                    FieldKind::Select | FieldKind::Radio => "Please choose an option.",
                    _ => "Please fill in this field.",
                }
            } else if flag("badInput") {
                "Please enter a number."
            } else if flag("typeMismatch") {
                if field.kind == FieldKind::Url {
                    "Please enter a web address starting with http:// or https://."
                } else {
                    "Please enter a valid email address."
                }
            } else if flag("rangeUnderflow") {
                "Please enter a larger number."
            } else if flag("rangeOverflow") {
                "Please enter a smaller number."
            } else if flag("patternMismatch") {
                "Please match the requested format."
            } else if flag("tooLong") {
                "Please use fewer characters."
            } else if flag("tooShort") || self.too_short(field.min_length, input) {
                "Please use more characters."
            } else {
                continue;
            };
            errors.push(FieldError {
                name: field.name.clone(),
                code: "invalid",
                message: message.into(),
            });
        }
        errors
    }

    fn too_short(&self, min_length: Option<u32>, input: &Element) -> bool {
        let length = prop(&prop(input, "value"), "length")
            .as_f64()
            .unwrap_or(0.0);
        min_length.is_some_and(|min| length > 0.0 && length < f64::from(min))
    }

    fn submit(self: Rc<Self>) {
        self.instance.metric_interaction("form_submit");
        if self.sending.get() {
            return;
        }
        self.clear_errors();
        let errors = self.check();
        if !errors.is_empty() {
            self.show_errors(&errors, "validation");
            return;
        }
        let values = self.values();
        self.sending.set(true);
        let _ = dom::set_attr(&self.button, "disabled", "");
        dom::set_attr(&self.status, "class", "s").ok();
        announce(&self.status, MSG_SENDING);
        self.emit("form:submit", None);
        ck_runtime::spawn(async move {
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

    fn show_errors(&self, errors: &[FieldError], reason: &'static str) {
        let mut first: Option<&Element> = None;
        for FieldError { name, message, .. } in errors {
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

/// Sets the text after clearing it, so a repeated message is announced again.
fn announce(status: &Element, text: &str) {
    dom::set_text(status, "");
    dom::set_text(status, text);
}

fn focus(el: &Element) {
    let _ = el.unchecked_ref::<HtmlElement>().focus();
}

fn set_prop(target: &JsValue, name: &str, value: JsValue) {
    let _ = Reflect::set(target, &name.into(), &value);
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
    let _ = ck_runtime::wait(promise).await;
}
