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

use crate::lang::{self, CREDIT, SUBMIT, SUCCESS};
use crate::schema::{
    self, choice, options, push_number, text, FieldKind, Visit, DEFAULT_MIN_FILL_MS, STRING_KEYS,
};

/// The honeypot input's attributes (see [`make`]); its name is [`HONEYPOT_FIELD`].
const HONEYPOT: &str = "id=ck-hp name=ck_website tabindex=-1 autocomplete=off";

/// API path the form posts to.
const SUBMISSIONS_PATH: &str = "/api/v1/submissions";

// Indexes of the texts (`schema::STRING_KEYS` order, then `lang`'s submit, success, credit).
const MSG_FIX: usize = 0;
const MSG_SENDING: usize = 1;
const MSG_FAILED: usize = 2;
const MSG_REJECTED: usize = 3;
const MSG_CHOOSE: usize = 4;
const MSG_SHORT: usize = 15;

/// Our message for each `validity` flag, in the order they are reported (one message per
/// field): a row applies to every kind (`None`) or to one; the message is a text index. A
/// table rather than `match`es: data costs fewer bytes than code.
const FLAGS: [(&str, Option<FieldKind>, u8); 12] = [
    ("valueMissing", Some(FieldKind::Checkbox), 6),
    ("valueMissing", Some(FieldKind::Select), 7),
    ("valueMissing", Some(FieldKind::Radio), 7),
    ("valueMissing", None, 5),
    ("typeMismatch", Some(FieldKind::Url), 9),
    ("typeMismatch", None, 8),
    ("badInput", None, 10),
    ("rangeUnderflow", None, 11),
    ("rangeOverflow", None, 12),
    ("patternMismatch", None, 13),
    ("tooLong", None, 14),
    ("tooShort", None, MSG_SHORT as u8),
];

/// Where the credit links to.
const CREDIT_URL: &str = "https://clickeen.com/?ref=form";

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
    /// Every visible text by index (see `MSG_*`, `lang`): the config's (the server adds the
    /// page language's to the manifest, see `lang`), else English.
    texts: Vec<String>,
    /// The `brand` custom properties (`undefined` for none).
    brand: JsValue,
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

    fn set(mounted: &Mounted, values: &Value) {
        set_values(&mounted.0, values);
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
            texts: Vec::new(),
            brand: JsValue::UNDEFINED,
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
        let host = instance.element();
        // Prefill: the config's value, then the mount point's attribute, then the allowed
        // query parameters of the page's URL (most specific last); `ck('set')` may follow.
        for control in &ui.controls {
            let mut attribute = String::from(if control.kind == FieldKind::Hidden {
                "data-ck-hidden-"
            } else {
                "data-ck-prefill-"
            });
            attribute.push_str(&control.name);
            let mut value = dom::attr(host, &attribute);
            for name in &control.query {
                if let Some(found) = dom::query_param(name) {
                    value = Some(found);
                    break;
                }
            }
            if value.is_some_and(|value| !fill(control, &value)) {
                too_long(&instance, &control.name);
            }
        }
        if !ui.brand.is_undefined() {
            dom::adopt_vars(instance.root(), &ui.brand);
        }
        // The credit, unless the workspace's plan removes it (the manifest's flags only: a
        // `data-ck-flags` attribute on the page cannot).
        if !instance.plan_flag("remove_branding") {
            let credit = add(&ui.wrapper, "p", "class=cr");
            let link = add_text(
                &credit,
                "a",
                "rel=noopener target=_blank",
                &ui.texts[CREDIT],
            );
            set(&link, "href", CREDIT_URL);
        }
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

/// `ck('set', element, {name: value})`: values are strings (booleans for checkboxes); one
/// warning names every field that is unknown, of another type or too long.
fn set_values(state: &State, values: &Value) {
    let mut ignored = String::new();
    if let Value::Obj(members) = values {
        for (name, value) in members {
            let text = match value {
                Value::Str(text) => Some(text.as_str()),
                Value::Bool(on) => Some(if *on { "true" } else { "" }),
                _ => None,
            };
            let index = state.index_of(name);
            match (index, text) {
                (Some(index), Some(text)) if fill(&state.ui.controls[index], text) => {
                    state.clear_error(index);
                }
                _ => {
                    // `push(' ')` would bring `char::encode_utf8` into the embed for one byte.
                    #[allow(clippy::single_char_add_str)]
                    ignored.push_str(" ");
                    ignored.push_str(name);
                }
            }
        }
    }
    if !ignored.is_empty() {
        let mut message = String::from("ck: set: unknown field, wrong type or too long, ignored:");
        message.push_str(&ignored);
        state.instance.warn(&message);
    }
}

/// The warning for a prefill value longer than its field allows.
#[cold]
fn too_long(instance: &Instance, name: &str) {
    let mut message = String::from("ck: form: prefill value too long, ignored: ");
    message.push_str(name);
    instance.warn(&message);
}

impl Visit for Built {
    /// An empty title or description is left out, an empty button label or success message
    /// falls back to the default: an empty heading or button would only confuse.
    fn start(&mut self, config: &Value) {
        // The config's texts (`strings`, with the page language's added by the server), else
        // English. An empty text falls back too: an empty button or message would only confuse.
        let strings = config.get("strings");
        let none = Value::Null;
        // A byte scan, not `split`: its searcher costs the embed more than this loop.
        let mut rest = lang::EN;
        for index in 0..lang::ENTRIES {
            let end = rest.bytes().position(|b| b == b'|').unwrap_or(rest.len());
            let default = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or_default();
            let own = match STRING_KEYS.get(index) {
                Some(key) => strings.get(key),
                None if index == SUBMIT => config.get("submit_label"),
                None if index == SUCCESS => config.get("success_message"),
                None => &none,
            };
            let own = own.as_str().unwrap_or_default();
            self.texts
                .push(if own.is_empty() { default } else { own }.into());
        }
        dom::set_text(&self.button, &self.texts[SUBMIT]);
        self.brand = brand_vars(config.get("brand"));
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
        // `walk` allowed only http(s) URLs (or none: empty).
        self.redirect = text(config, "redirect_url").into();
        let min_fill = config.get("min_fill_ms").as_f64();
        self.min_fill = min_fill.unwrap_or(f64::from(DEFAULT_MIN_FILL_MS));
    }

    fn field(&mut self, kind: FieldKind, name: &str, field: &Value) {
        self.controls.push(render_field(
            &self.form,
            kind,
            name,
            field,
            &self.texts[MSG_CHOOSE],
        ));
    }
}

/// The custom properties of `brand` (`undefined` without one): the accent (`adopt_vars` adds the
/// button text colour that contrasts with it), the controls' radius (the card's a half larger,
/// as in the default theme; numbers are pixels) and the font stack.
fn brand_vars(brand: &Value) -> JsValue {
    if !matches!(brand, Value::Obj(_)) {
        return JsValue::UNDEFINED;
    }
    let vars = Object::new();
    if let Some(accent) = brand.get("accent").as_str() {
        set_str(&vars, "--ck-color-accent", accent);
    }
    if let Some(radius) = brand.get("radius").as_f64() {
        set_prop(&vars, "--ck-radius-md", &JsValue::from_f64(radius));
        set_prop(
            &vars,
            "--ck-radius-lg",
            &JsValue::from_f64((radius * 1.5).floor()),
        );
    }
    if let Some(font) = brand.get("font").as_str() {
        set_str(&vars, "--ck-font-family", font);
    }
    vars.into()
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

/// One field's DOM: its control(s) (several for a radio group; for a hidden field a detached
/// `<input type=hidden>` that holds its value) and error slot.
struct Control {
    kind: FieldKind,
    name: String,
    inputs: Vec<Element>,
    error: Option<Element>,
    /// The query parameters that may prefill it.
    query: Vec<String>,
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
fn render_field(form: &Node, kind: FieldKind, name: &str, field: &Value, choose: &str) -> Control {
    let mut control = Control {
        kind,
        name: name.into(),
        inputs: Vec::new(),
        error: None,
        query: Vec::new(),
    };
    for item in field.get("query").as_array().unwrap_or_default() {
        if let Some(param) = item.as_str() {
            control.query.push(param.into());
        }
    }
    if kind == FieldKind::Hidden {
        // Never attached: it only holds the value (and its `maxLength`) for `values`.
        let input = make("input", "type=hidden");
        set_str(&input, "value", text(field, "value"));
        if let Some(max) = field.get("max_length").as_f64() {
            set_prop(&input, "maxLength", &JsValue::from_f64(max));
        } else if let Some(max) = kind.default_max_length() {
            set_prop(&input, "maxLength", &JsValue::from_f64(f64::from(max)));
        }
        control.inputs.push(input);
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
                add_text(&input, "option", "value=", prompt.unwrap_or(choose));
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
fn problem(control: &Control) -> Option<usize> {
    // Hidden fields have no error slot: only the server judges them.
    control.error.as_ref()?;
    let input = control.inputs.first()?;
    let validity = prop(input, "validity");
    for &(flag, kind, message) in &FLAGS {
        if kind.is_none_or(|kind| kind == control.kind) && prop(&validity, flag).is_truthy() {
            return Some(message.into());
        }
    }
    // `minLength` is -1 without a limit, undefined on controls without one.
    let length = length(input);
    let min = prop(input, "minLength").as_f64().unwrap_or(0.0);
    (length > 0.0 && length < min).then_some(MSG_SHORT)
}

/// Puts `value` into a field as if the visitor had chosen it: text into the control, a radio
/// group's option of that value, a checkbox ticked by `true`, `on` or `1`. A value longer than
/// the field's `maxLength` (UTF-16 units, as the browser counts) is refused (false) and the
/// field keeps its value: the server would refuse the submission, and for a hidden field the
/// visitor could not fix it.
#[inline(never)]
fn fill(control: &Control, value: &str) -> bool {
    let text = JsValue::from_str(value);
    for input in &control.inputs {
        let (key, new) = match control.kind {
            FieldKind::Checkbox => (
                "checked",
                JsValue::from_bool(matches!(value, "true" | "on" | "1")),
            ),
            FieldKind::Radio => ("checked", JsValue::from_bool(prop(input, "value") == text)),
            _ => ("value", text.clone()),
        };
        let before = prop(input, key);
        set_prop(input, key, &new);
        let max = prop(input, "maxLength").as_f64().unwrap_or(-1.0);
        if max >= 0.0 && length(input) > max {
            set_prop(input, key, &before);
            return false;
        }
    }
    true
}

/// The length of a control's value (UTF-16 units).
fn length(input: &Element) -> f64 {
    prop(&prop(input, "value"), "length")
        .as_f64()
        .unwrap_or(0.0)
}

impl State {
    /// Text `index` (see `Built::texts`).
    fn text(&self, index: usize) -> &str {
        &self.ui.texts[index]
    }

    /// The visitor's values as a JS object keyed by field name: numbers as numbers (empty ones
    /// left out), checkboxes as booleans, an unselected radio group left out, hidden fields as
    /// the config, the page or `ck('set')` last set them.
    #[inline(never)]
    fn values(&self) -> Object {
        let values = Object::new();
        for control in &self.ui.controls {
            let value = match (control.kind, control.inputs.first()) {
                (_, None) => continue,
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
                first = first.or(self.mark(index, self.text(message)));
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
        self.say("s", self.text(MSG_SENDING));
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
                self.say("ok", self.text(SUCCESS));
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
                        self.fail(message.unwrap_or(self.text(MSG_REJECTED)), "rejected");
                    }
                }
            }
            Err(error) => {
                let reason = if matches!(error, HttpError::Status { .. }) {
                    "server"
                } else {
                    "network"
                };
                self.fail(self.text(MSG_FAILED), reason);
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
        self.say("s x", self.text(MSG_FIX));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_honeypot_input_is_named_as_the_server_expects() {
        let name = String::from("name=") + crate::schema::HONEYPOT_FIELD + " ";
        assert!(HONEYPOT.contains(&name), "{HONEYPOT}");
    }
}
