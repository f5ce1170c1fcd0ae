//! The form's DOM: rendering, client validation display, submit and its outcomes.
//!
//! Accessibility: every control has a `<label>` (radio groups a `<fieldset>`/`<legend>`), errors
//! sit in an element linked by `aria-describedby` with `aria-invalid` on the control, focus goes
//! to the first invalid control, and a persistent `role="status"` region announces errors,
//! sending and success. Text only ever goes through `textContent` and attributes.
//!
//! Size: checking the config and building the DOM are one walk over the JSON
//! ([`schema::walk`]), which keeps no copy of it (`parse_config` returns the built, still
//! detached DOM; `mount` attaches it). What the browser can do is left to it: constraint
//! validation through the controls' own attributes, and the visitor's values go from the DOM
//! into the request body as JS values without a round trip through Rust strings.

use std::cell::Cell;
use std::rc::{Rc, Weak};
use std::string::String;
use std::vec::Vec;

use ck_runtime::dom::{self, add, add_text, make, put, Listener};
use ck_runtime::js::{prop, set_prop, set_str};
use ck_runtime::{ConfigError, HttpError, Instance, MountCtx, Timer, Value, Widget};
use js_sys::{Date, Object};
use wasm_bindgen::{JsValue, UnwrapThrowExt};
use web_sys::{Element, Event, Node};

use crate::schema::{
    self, choice, options, push_number, text, FieldKind, Visit, DEFAULT_MIN_FILL_MS,
    DEFAULT_SUBMIT_LABEL, DEFAULT_SUCCESS_MESSAGE,
};

/// The honeypot input's attributes (see [`make`]); its name is [`HONEYPOT_FIELD`].
const HONEYPOT: &str = "id=ck-hp name=ck_website tabindex=-1 autocomplete=off";

/// API path the form posts to.
const SUBMISSIONS_PATH: &str = "/api/v1/submissions";

const MSG_FIX: &str = "Please correct the highlighted fields.";
const MSG_SENDING: &str = "Sending…";
const MSG_FAILED: &str = "Sending failed. Your entries are kept; please try again.";
const MSG_REJECTED: &str = "Your message could not be sent.";
const MSG_CHOOSE: &str = "Choose…";
const MSG_SHORT: &str = "Please use more characters.";

/// Our message for each `validity` flag, in the order they are reported (one message per
/// field): a row applies to every kind (`None`) or to one. A table rather than `match`es:
/// data costs fewer bytes than code.
const FLAGS: [(&str, Option<FieldKind>, &str); 12] = [
    (
        "valueMissing",
        Some(FieldKind::Checkbox),
        "Please tick this box.",
    ),
    ("valueMissing", Some(FieldKind::Select), MSG_CHOOSE_ONE),
    ("valueMissing", Some(FieldKind::Radio), MSG_CHOOSE_ONE),
    ("valueMissing", None, "Please fill in this field."),
    (
        "typeMismatch",
        Some(FieldKind::Url),
        "Please enter a web address starting with http:// or https://.",
    ),
    ("typeMismatch", None, "Please enter a valid email address."),
    ("badInput", None, "Please enter a number."),
    ("rangeUnderflow", None, "Please enter a larger number."),
    ("rangeOverflow", None, "Please enter a smaller number."),
    (
        "patternMismatch",
        None,
        "Please match the requested format.",
    ),
    ("tooLong", None, "Please use fewer characters."),
    ("tooShort", None, MSG_SHORT),
];
const MSG_CHOOSE_ONE: &str = "Please choose an option.";

/// Config keys copied onto every control of a field as DOM properties (which set the
/// attributes of the same name). A key that does not apply to a control is harmless there:
/// the server refuses such configs anyway.
const PROPS: [(&str, &str); 7] = [
    ("placeholder", "placeholder"),
    ("autocomplete", "autocomplete"),
    ("pattern", "pattern"),
    ("min_length", "minLength"),
    ("max_length", "maxLength"),
    ("min", "min"),
    ("max", "max"),
];

/// The stylesheet (`src/form.css`, one rule per line, joined by `build.rs`): only dieter-tokens
/// custom properties, logical properties for RTL. Text colour, font and the regular weight come
/// from the runtime's `:host` rules.
const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/form.css"));
/// The dieter tokens `form.css` reads and no others (light, dark, `data-ck-theme`), cut from
/// the full theme by `build.rs`.
const THEME: &str = include_str!(concat!(env!("OUT_DIR"), "/form_theme.css"));

/// The Form widget (`data-ck-widget="form"`).
pub struct Form;

/// A form built from a checked config: its DOM, not yet attached, and the few config values
/// needed after rendering. The widget's `Config`.
pub struct Built {
    wrapper: Element,
    form: Element,
    button: Element,
    status: Element,
    honeypot: Element,
    /// One per config field, in order.
    controls: Vec<Control>,
    success: String,
    /// Empty for none.
    redirect: String,
    min_fill: f64,
}

/// A mounted form; dropping it removes every listener (a request still in flight keeps the
/// detached form until it ends).
pub struct Mounted(Rc<State>);

impl Drop for Mounted {
    fn drop(&mut self) {
        // A request still in flight finishes against detached nodes and emits nothing.
        self.0.alive.set(false);
        // A submit still waiting out the minimum fill time never goes out; this also frees the
        // timer's closure, which holds the state.
        drop(self.0.timer.take());
    }
}

impl Widget for Form {
    const TYPE: &'static str = "form";
    // Boxed: the runtime moves the config through a few frames, and a pointer is cheaper to
    // move than the struct.
    type Config = Box<Built>;
    type Mounted = Mounted;

    fn styles() -> &'static [&'static str] {
        &[THEME, CSS]
    }

    /// [`schema::check`]'s rules (the server applied the full ones when the config was saved),
    /// building the DOM as each part passes.
    fn parse_config(config: &Value) -> Result<Box<Built>, ConfigError> {
        let mut built = Box::new(Built {
            wrapper: make("div", "class=w"),
            form: make("form", "novalidate="),
            button: make("button", "type=submit"),
            // Present from the start and never removed, so screen readers announce every change.
            status: make("p", "class=s role=status"),
            honeypot: make("input", HONEYPOT),
            controls: Vec::new(),
            success: String::new(),
            redirect: String::new(),
            min_fill: 0.0,
        });
        schema::walk(config, &mut *built)?;
        // The honeypot: out of sight, out of the tab order and hidden from assistive
        // technology; bots that fill every input fill it too.
        let trap = add(&built.form, "div", "class=h aria-hidden=true");
        add_label(&trap, "label", "ck-hp", "Leave this field empty", false);
        put(&trap, &built.honeypot);
        put(&built.form, &built.button);
        put(&built.wrapper, &built.status);
        Ok(built)
    }

    fn mount(ctx: MountCtx<Box<Built>>) -> Result<Mounted, JsValue> {
        let (ui, instance) = ctx.into_parts();
        put(instance.root(), &ui.wrapper);
        // The state owns its listeners, which hold it only weakly: no cycle.
        Ok(Mounted(Rc::new_cyclic(|state| State {
            _listeners: [
                on(state, &ui.form, "submit", |state, event| {
                    event.prevent_default();
                    state.submit();
                }),
                on(state, &ui.form, "input", State::edited),
                on(state, &ui.form, "focusin", |state, _| {
                    if !state.focused.replace(true) {
                        state.instance.metric_interaction("form_focus");
                    }
                }),
            ],
            ui,
            instance,
            rendered_at: Date::now(),
            sending: Cell::new(false),
            focused: Cell::new(false),
            alive: Cell::new(true),
            timer: Cell::new(None),
        })))
    }
}

impl Visit for Built {
    /// An empty title or description is left out, an empty button label or success message
    /// falls back to the default: an empty heading or button would only confuse.
    fn start(&mut self, config: &Value) {
        let title = text(config, "title");
        if !title.is_empty() {
            add_text(&self.wrapper, "h2", "id=ck-t", title);
            set(&self.form, "aria-labelledby", "ck-t");
        }
        let description = text(config, "description");
        if !description.is_empty() {
            add_text(&self.wrapper, "p", "class=d", description);
        }
        put(&self.wrapper, &self.form);
        let label = or_default(text(config, "submit_label"), DEFAULT_SUBMIT_LABEL);
        dom::set_text(&self.button, label);
        let success = text(config, "success_message");
        self.success = or_default(success, DEFAULT_SUCCESS_MESSAGE).into();
        // `walk` allowed only http(s) URLs (or none: empty).
        self.redirect = text(config, "redirect_url").into();
        let min_fill = config.get("min_fill_ms").as_f64();
        self.min_fill = min_fill.unwrap_or(f64::from(DEFAULT_MIN_FILL_MS));
    }

    fn field(&mut self, kind: FieldKind, name: &str, field: &Value) {
        self.controls
            .push(render_field(&self.form, kind, name, field));
    }
}

/// Listens on the form. Every handler goes through this one closure type: each distinct
/// closure given to `dom::listen` would be its own copy of it in the wasm.
fn on(
    state: &Weak<State>,
    form: &Element,
    event: &'static str,
    handler: fn(&Rc<State>, &Event),
) -> Listener {
    let state = state.clone();
    dom::listen(form, event, move |event| {
        if let Some(state) = state.upgrade() {
            handler(&state, &event);
        }
    })
    .expect_throw("ck: dom")
}

/// One field's DOM: its control(s) (several for a radio group, none for hidden) and error slot.
struct Control {
    kind: FieldKind,
    name: String,
    /// A hidden field's value.
    value: String,
    inputs: Vec<Element>,
    error: Option<Element>,
}

struct State {
    _listeners: [Listener; 3],
    ui: Box<Built>,
    instance: Instance,
    rendered_at: f64,
    sending: Cell<bool>,
    focused: Cell<bool>,
    alive: Cell<bool>,
    /// The pending send while the minimum fill time runs out.
    timer: Cell<Option<Timer>>,
}

/// A label (or legend) with a visual required marker; assistive technology learns "required"
/// from the control's `required` attribute instead of hearing an asterisk.
#[inline(never)]
fn add_label(parent: &Node, tag: &str, for_id: &str, text: &str, required: bool) {
    let label = add_text(parent, tag, "", text);
    if !for_id.is_empty() {
        set(&label, "for", for_id);
    }
    if required {
        add_text(&label, "span", "class=r aria-hidden=true", " *");
    }
}

#[inline(never)]
fn render_field(form: &Node, kind: FieldKind, name: &str, field: &Value) -> Control {
    let mut control = Control {
        kind,
        name: name.into(),
        value: String::new(),
        inputs: Vec::new(),
        error: None,
    };
    if kind == FieldKind::Hidden {
        control.value = text(field, "value").into();
        return control;
    }
    let inputs = &mut control.inputs;
    let label = text(field, "label");
    let required = field.get("required").as_bool() == Some(true);
    let mut id = String::from("ck-f-");
    id.push_str(name);
    let group = add(
        form,
        if kind == FieldKind::Radio {
            "fieldset"
        } else {
            "div"
        },
        "class=f",
    );
    match kind {
        FieldKind::Radio => {
            add_label(&group, "legend", "", label, required);
            for (index, item) in options(field).iter().enumerate() {
                let (value, text) = choice(item).unwrap_or_default();
                let mut radio_id = id.clone() + "-";
                push_number(&mut radio_id, index as u64);
                let row = add(&group, "div", "class=c");
                let radio = add(&row, "input", "type=radio");
                set(&radio, "id", &radio_id);
                set(&radio, "name", name);
                set(&radio, "value", value);
                inputs.push(radio);
                add_label(&row, "label", &radio_id, text, false);
            }
        }
        FieldKind::Checkbox => {
            let row = add(&group, "div", "class=c");
            let checkbox = add(&row, "input", "type=checkbox");
            set(&checkbox, "id", &id);
            set(&checkbox, "name", name);
            inputs.push(checkbox);
            add_label(&row, "label", &id, label, required);
        }
        kind => {
            add_label(&group, "label", &id, label, required);
            let tag = match kind {
                FieldKind::Textarea => "textarea",
                FieldKind::Select => "select",
                _ => "input",
            };
            let input = add(&group, tag, "class=i");
            set(&input, "id", &id);
            set(&input, "name", name);
            if kind == FieldKind::Select {
                let prompt = field.get("placeholder").as_str();
                add_text(&input, "option", "value=", prompt.unwrap_or(MSG_CHOOSE));
                for item in options(field) {
                    let (value, text) = choice(item).unwrap_or_default();
                    let option = add_text(&input, "option", "", text);
                    set(&option, "value", value);
                }
            } else if tag == "input" {
                set(&input, "type", kind.as_str());
            }
            if kind == FieldKind::Number {
                // Any decimal is fine: the config's min/max are the only bounds.
                set(&input, "step", "any");
            }
            // The server's default limit, so the browser stops typing where the server would
            // refuse the value.
            if let (Some(max), Value::Null) = (kind.default_max_length(), field.get("max_length")) {
                set_prop(&input, "maxLength", &JsValue::from_f64(f64::from(max)));
            }
            inputs.push(input);
        }
    }
    // The browser's constraint validation checks these; the server re-checks them.
    for input in inputs.iter() {
        for &(key, name) in &PROPS {
            let value = match field.get(key) {
                Value::Str(s) => JsValue::from_str(s),
                Value::Num(n) => JsValue::from_f64(*n),
                _ => continue,
            };
            set_prop(input, name, &value);
        }
        if required {
            set(input, "required", "");
        }
    }
    id.clear();
    id.push_str("ck-e-");
    id.push_str(name);
    let error = add(&group, "p", "class=e hidden=");
    set(&error, "id", &id);
    control.error = Some(error);
    control
}

/// What the browser's constraint validation says about a control, as our own message (the
/// form has `novalidate`, so no browser bubbles show). `tooShort` only fires on typed values,
/// so the minimum length is also counted here. The server checks everything again.
#[inline(never)]
fn problem(control: &Control) -> Option<&'static str> {
    let input = control.inputs.first()?;
    let validity = prop(input, "validity");
    for &(flag, kind, message) in &FLAGS {
        if kind.is_none_or(|kind| kind == control.kind) && prop(&validity, flag).is_truthy() {
            return Some(message);
        }
    }
    // `minLength` is -1 without a limit, undefined on controls without one.
    let length = prop(&prop(input, "value"), "length")
        .as_f64()
        .unwrap_or(0.0);
    let min = prop(input, "minLength").as_f64().unwrap_or(0.0);
    (length > 0.0 && length < min).then_some(MSG_SHORT)
}

impl State {
    /// The visitor's values as a JS object keyed by field name: numbers as numbers (empty ones
    /// left out), checkboxes as booleans, an unselected radio group left out, hidden fields from
    /// the config.
    #[inline(never)]
    fn values(&self) -> Object {
        let values = Object::new();
        for control in &self.ui.controls {
            let value = match (control.kind, control.inputs.first()) {
                (_, None) => JsValue::from_str(&control.value),
                (FieldKind::Checkbox, Some(input)) => prop(input, "checked"),
                (FieldKind::Radio, _) => {
                    let mut chosen = JsValue::UNDEFINED;
                    for radio in &control.inputs {
                        if prop(radio, "checked").is_truthy() {
                            chosen = prop(radio, "value");
                        }
                    }
                    if chosen.is_undefined() {
                        continue;
                    }
                    chosen
                }
                // Empty is NaN; garbage (`validity.badInput`) was already refused by `problem`.
                (FieldKind::Number, Some(input)) => {
                    let number = prop(input, "valueAsNumber");
                    if !number.as_f64().is_some_and(f64::is_finite) {
                        continue;
                    }
                    number
                }
                (_, Some(input)) => prop(input, "value"),
            };
            set_prop(&values, &control.name, &value);
        }
        values
    }

    fn submit(self: &Rc<Self>) {
        self.instance.metric_interaction("form_submit");
        if self.sending.get() {
            return;
        }
        let mut first = None;
        for (index, control) in self.ui.controls.iter().enumerate() {
            self.clear_error(index);
            if let Some(message) = problem(control) {
                first = first.or(self.mark(index, message));
            }
        }
        if let Some(input) = first {
            return self.invalid(input);
        }
        let body = Object::new();
        let id = self.instance.instance_id().unwrap_or_default();
        set_str(&body, "id", id);
        set_prop(&body, "values", &self.values());
        set_prop(&body, "hp", &prop(&self.ui.honeypot, "value"));
        self.sending.set(true);
        set(&self.ui.button, "disabled", "");
        self.say("s", MSG_SENDING);
        self.emit("form:submit", None);
        // A quick human (or autofill) must not look like a bot to the server: the request waits
        // until the minimum fill time has passed.
        let wait = self.ui.min_fill - self.elapsed();
        let delay = if wait > 0.0 { (wait + 50.0) as i32 } else { 0 };
        let state = self.clone();
        self.timer
            .set(Some(Timer::once(delay, move || state.send(body))));
    }

    fn elapsed(&self) -> f64 {
        Date::now() - self.rendered_at
    }

    fn send(self: Rc<Self>, body: Object) {
        let elapsed = self.elapsed().max(0.0).floor();
        set_prop(&body, "elapsed_ms", &JsValue::from_f64(elapsed));
        let http = self.instance.http();
        http.send(SUBMISSIONS_PATH, &body, move |outcome| {
            self.sending.set(false);
            if self.alive.get() {
                self.finish(outcome);
            }
        });
    }

    fn finish(&self, outcome: Result<Value, HttpError>) {
        let _ = dom::remove_attr(&self.ui.button, "disabled");
        match outcome {
            Ok(reply) => {
                // The success message replaces the form; focus follows so keyboard and screen
                // reader users land on it.
                self.ui.form.remove();
                set(&self.ui.status, "tabindex", "-1");
                self.say("ok", &self.ui.success);
                focus(&self.ui.status);
                self.emit("form:success", reply.get("id").as_str());
                let url = &self.ui.redirect;
                if !url.is_empty() {
                    let page = prop(self.instance.element(), "ownerDocument");
                    set_str(&prop(&page, "location"), "href", url);
                }
            }
            Err(HttpError::Status { status, body }) if status < 500 && status != 429 => {
                // `{"error":{"fields":{"email":"…"}}}`: the server's messages at the fields.
                let mut first = None;
                if let Value::Obj(members) = body.get("error").get("fields") {
                    for (name, message) in members {
                        if let (Some(index), Some(message)) =
                            (self.index_of(name), message.as_str())
                        {
                            first = first.or(self.mark(index, message));
                        }
                    }
                }
                match first {
                    Some(input) => self.invalid(input),
                    None => {
                        let message = body.get("error").get("message").as_str();
                        self.fail(message.unwrap_or(MSG_REJECTED), "rejected");
                    }
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
        self.say("s x", message);
        focus(&self.ui.button);
        self.emit("form:error", Some(reason));
    }

    /// Shows `message` at control `index`; its first input, to move focus to (`None` for a
    /// field without controls).
    #[inline(never)]
    fn mark(&self, index: usize, message: &str) -> Option<&Element> {
        let control = &self.ui.controls[index];
        let error = control.error.as_ref()?;
        dom::set_text(error, message);
        let _ = dom::remove_attr(error, "hidden");
        let error_id = dom::attr(error, "id").unwrap_or_default();
        for input in &control.inputs {
            set(input, "aria-invalid", "true");
            set(input, "aria-describedby", &error_id);
        }
        control.inputs.first()
    }

    /// After [`State::mark`]: announce, focus the first invalid control.
    fn invalid(&self, first: &Element) {
        self.say("s x", MSG_FIX);
        focus(first);
        self.emit("form:error", Some("validation"));
    }

    #[inline(never)]
    fn clear_error(&self, index: usize) {
        let control = &self.ui.controls[index];
        if let Some(error) = &control.error {
            dom::set_text(error, "");
            set(error, "hidden", "");
        }
        for input in &control.inputs {
            let _ = dom::remove_attr(input, "aria-invalid");
            let _ = dom::remove_attr(input, "aria-describedby");
        }
    }

    /// The index of the field called `name`.
    #[inline(never)]
    fn index_of(&self, name: &str) -> Option<usize> {
        for (index, control) in self.ui.controls.iter().enumerate() {
            if control.name == name {
                return Some(index);
            }
        }
        None
    }

    /// Editing a field clears its error: the message described a value that is gone.
    fn edited(self: &Rc<Self>, event: &Event) {
        let name = prop(&prop(event, "target"), "name").as_string();
        if let Some(index) = self.index_of(&name.unwrap_or_default()) {
            self.clear_error(index);
        }
    }

    /// Puts `text` in the live region, styled by `class` (`s`, `s x` for errors, `ok`). The
    /// text is cleared first, so a repeated message is announced again.
    #[inline(never)]
    fn say(&self, class: &str, text: &str) {
        let status = &self.ui.status;
        set(status, "class", class);
        dom::set_text(status, "");
        dom::set_text(status, text);
    }

    /// Bus events carry the instance id and a reason code, never the visitor's values.
    fn emit(&self, event: &str, extra: Option<&str>) {
        let detail = Object::new();
        let id = self.instance.instance_id();
        set_prop(&detail, "id", &id.map_or(JsValue::NULL, JsValue::from_str));
        set_str(&detail, "widget", "form");
        if let Some(extra) = extra {
            let key = if event == "form:success" {
                "submission"
            } else {
                "reason"
            };
            set_str(&detail, key, extra);
        }
        set_prop(&detail, "element", self.instance.element());
        self.instance.bus().emit(event, detail.into());
    }
}

fn focus(el: &Element) {
    dom::focus(el);
}

fn set(el: &Element, name: &str, value: &str) {
    dom::set(el, name, value);
}

/// `text`, or `default` when it is empty.
fn or_default<'a>(text: &'a str, default: &'a str) -> &'a str {
    if text.is_empty() {
        default
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_honeypot_input_is_named_as_the_server_expects() {
        let name = String::from("name=") + crate::schema::HONEYPOT_FIELD + " ";
        assert!(HONEYPOT.contains(&name), "{HONEYPOT}");
    }
}
