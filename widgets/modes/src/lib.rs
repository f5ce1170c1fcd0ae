//! Popup and slide-in: a mounted widget shown on demand instead of in place.
//!
//! ```html
//! <button type="button" data-ck-open="w1">Contact us</button>
//! <div data-ck-widget="form" data-ck-id="w1" data-ck-mode="popup"></div>
//! ```
//!
//! - `data-ck-mode="popup"`: a centred modal `<dialog>` (`showModal`: top layer, the rest of the
//!   page inert) over a backdrop. Focus moves to its first control and Tab / Shift+Tab cycle
//!   inside it; the page behind does not scroll (a stylesheet the document adopts while it is
//!   open: nothing is written to the page's `<html>` or `<body>`, so closing leaves it exactly
//!   as it was).
//! - `data-ck-mode="slide"`: a non-modal panel in the inline-end bottom corner (a manual popover:
//!   top layer, the page stays usable, no focus trap, no scroll lock).
//!
//! Both are `role="dialog"`, named by the widget's first heading, and close with Esc (focus
//! inside), a labelled close button (and, for the popup, a click on the backdrop); focus goes
//! back to what opened them. They open by `ck('open', id)`, a click on any element with
//! `data-ck-open="id"`, or by themselves when the widget's config says
//! `"open": {"delay_ms": 5000, "exit_intent": true}`: after the delay, or when the pointer
//! leaves the viewport through its top edge. Exit intent is read only on devices with a
//! hovering fine pointer (a mouse): touch devices have no pointer to leave with, and the
//! gestures that could stand in (a fast scroll up, the back button) are ordinary browsing, so
//! there it is skipped. Each opens by itself at most once per page view, and not after the
//! visitor opened it. The first open counts the instance's view. Events: `widget:open` and
//! `widget:close` (`{element, type, id, mode}`). Motion only when the visitor does not prefer
//! reduced motion.
//!
//! Register with `Registry::new().with::<Form>().present::<Modes>()`; the runtime hands over
//! every mounted widget whose mount point has a `data-ck-mode`.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use ck_runtime::dom::{self, Listener};
use ck_runtime::js::{js_object, prop};
use ck_runtime::web_sys::{Element, Event, EventTarget};
use ck_runtime::{Instance, Mode, Presenter, Timer, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};

/// The dieter tokens `modes.css` reads, then `modes.css` itself (both made by `build.rs`).
const CSS: &str = concat!(
    include_str!(concat!(env!("OUT_DIR"), "/modes_theme.css")),
    include_str!(concat!(env!("OUT_DIR"), "/modes.css"))
);

/// Longest `open.delay_ms` honoured (ten minutes); a longer or negative one opens nothing.
pub const MAX_DELAY_MS: f64 = 600_000.0;

/// Devices with a hovering, fine pointer (a mouse): the only ones exit intent is read on.
const MOUSE: &str = "(hover:hover) and (pointer:fine)";

/// How far below the viewport's top edge (CSS px) a pointer leaving the page still counts as
/// exit intent: a fast pointer's last event inside lands a few pixels short of the edge.
const EXIT_EDGE_PX: f64 = 8.0;

#[wasm_bindgen(module = "/js/modes.js")]
extern "C" {
    #[wasm_bindgen(js_name = ckPresent)]
    fn present_js(root: &JsValue, panel: &Element, css: &str);
    #[wasm_bindgen(js_name = ckShow)]
    fn show_js(panel: &Element, on: bool, modal: bool, focus: bool) -> bool;
    #[wasm_bindgen(js_name = ckKey)]
    fn key_js(root: &JsValue, panel: &Element, event: &Event, modal: bool) -> bool;
    #[wasm_bindgen(js_name = ckTrigger)]
    fn trigger_js(event: &Event, id: &str) -> JsValue;
    #[wasm_bindgen(js_name = ckMatches)]
    fn matches_js(query: &str) -> bool;
}

/// The presenter of `data-ck-mode` mount points: register it with `Registry::present::<Modes>()`.
pub struct Modes;

/// A presented widget as the runtime keeps it (with the widget's handle, dropped first on
/// unmount): dropping it closes the popup or slide-in and removes its listeners.
pub struct Shown {
    _shell: Rc<Shell>,
}

thread_local! {
    /// The page's presented widgets by `data-ck-id`, for `ck('open' | 'close', id)`. Weak: the
    /// runtime's [`Shown`] owns each; a dropped one leaves a dead entry, swept on the next drop.
    static SHOWN: RefCell<Vec<(String, Weak<Shell>)>> = const { RefCell::new(Vec::new()) };
}

/// When a widget opens by itself, from its config's `open` object.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AutoOpen {
    /// `delay_ms`: open this long after mounting (at most [`MAX_DELAY_MS`]).
    pub delay_ms: Option<f64>,
    /// `exit_intent`: open when the pointer leaves the viewport through its top edge.
    pub exit_intent: bool,
}

impl AutoOpen {
    /// Reads `config.open`; anything missing, mistyped or out of range opens nothing.
    ///
    /// ```
    /// use ck_runtime::Value;
    /// let num = |n| Value::Num(n);
    /// let config = Value::Obj(vec![("open".into(), Value::Obj(vec![
    ///     ("delay_ms".into(), num(3000.0)), ("exit_intent".into(), Value::Bool(true))]))]);
    /// let auto = ck_modes::AutoOpen::from_config(&config);
    /// assert_eq!((auto.delay_ms, auto.exit_intent), (Some(3000.0), true));
    /// ```
    pub fn from_config(config: &Value) -> AutoOpen {
        let open = config.get("open");
        AutoOpen {
            delay_ms: open
                .get("delay_ms")
                .as_f64()
                .filter(|ms| (0.0..=MAX_DELAY_MS).contains(ms)),
            exit_intent: open.get("exit_intent").as_bool() == Some(true),
        }
    }
}

/// A presented widget. Owned by its [`Shown`]; its listeners and [`SHOWN`] hold it weakly.
struct Shell {
    instance: Instance,
    /// The `<dialog>` (popup) or popover `<div>` (slide-in) holding the widget's DOM.
    panel: Element,
    close: Element,
    modal: bool,
    open: Cell<bool>,
    /// Set at the first open, whoever opened it: the view is counted once, and neither the
    /// delay nor exit intent opens it again.
    opened: Cell<bool>,
    /// What had focus (or the trigger clicked) when it opened: focus goes back there.
    opener: RefCell<JsValue>,
    _listeners: [Listener; 4],
    _exit: Option<Listener>,
    _timer: Option<Timer>,
}

impl Presenter for Modes {
    type Shown = Shown;

    fn present(mode: Mode, instance: &Instance, config: &Value) -> Result<Shown, JsValue> {
        let modal = mode == Mode::Popup;
        let panel = if modal {
            // role and aria-modal are the <dialog>'s own under showModal; spelled out for
            // assistive technology that predates it.
            dom::make("dialog", "class=p role=dialog aria-modal=true")
        } else {
            dom::make("div", "class=s role=dialog popover=manual hidden")
        };
        present_js(instance.root(), &panel, CSS);
        // After the widget's DOM: the tab order runs through the widget first, and the first
        // control (which takes focus on open) is the widget's.
        let close = dom::add(&panel, "button", "type=button class=x aria-label=Close");
        let icon = dom::icon(&ck_icons::CLOSE, None)?;
        dom::put(&close, &icon);
        let page: EventTarget = prop(instance.element(), "ownerDocument").unchecked_into();
        let auto = AutoOpen::from_config(config);
        let shell: Rc<Shell> = Rc::new_cyclic(|me| Shell {
            _listeners: [
                on(me, &panel, "keydown", Shell::key),
                on(me, &panel, "click", Shell::click),
                // A modal <dialog> the browser closed by itself (its close request).
                on(me, &panel, "close", |shell, _| {
                    shell.set(false, JsValue::UNDEFINED, false)
                }),
                on(me, &page, "click", Shell::trigger),
            ],
            _exit: (auto.exit_intent && matches_js(MOUSE))
                .then(|| on(me, &page, "mouseout", Shell::exit)),
            _timer: auto.delay_ms.map(|ms| {
                let me = me.clone();
                Timer::once(ms as i32, move || {
                    if let Some(shell) = me.upgrade() {
                        shell.auto();
                    }
                })
            }),
            instance: instance.clone(),
            panel,
            close,
            modal,
            open: Cell::new(false),
            opened: Cell::new(false),
            opener: RefCell::new(JsValue::UNDEFINED),
        });
        let id = instance.instance_id().unwrap_or_default().to_owned();
        SHOWN.with(|all| all.borrow_mut().push((id, Rc::downgrade(&shell))));
        Ok(Shown { _shell: shell })
    }

    /// The first live presented widget with that id (an id names one on a page).
    fn set_open(id: &str, open: bool) -> bool {
        // Upgraded out of the list, driven after: opening emits events whose handlers may call
        // `ck('open' | 'close')` again.
        let shell = SHOWN.with(|all| {
            all.borrow()
                .iter()
                .filter(|(i, _)| i == id)
                .find_map(|(_, shell)| shell.upgrade())
        });
        match shell {
            Some(shell) => {
                shell.set(open, JsValue::UNDEFINED, true);
                true
            }
            None => false,
        }
    }
}

/// Listens on `target` for as long as the shell lives (the listener holds it weakly).
fn on(
    me: &Weak<Shell>,
    target: &EventTarget,
    event: &'static str,
    handler: fn(&Shell, &Event),
) -> Listener {
    let me = me.clone();
    dom::listen(target, event, move |event| {
        if let Some(shell) = me.upgrade() {
            handler(&shell, &event);
        }
    })
    .expect_throw("ck: dom")
}

impl Shell {
    /// Opens or closes. `opener`: what gets focus back on close (`undefined`: what has focus
    /// now). `focus`: a slide-in takes focus (the visitor asked for it: a trigger,
    /// `ck('open')`); opening by itself leaves focus in the page. A popup always takes it.
    fn set(&self, open: bool, opener: JsValue, focus: bool) {
        if self.open.get() == open {
            return;
        }
        let root: &JsValue = self.instance.root();
        if open {
            let opener = match opener.is_undefined() {
                true => prop(
                    &prop(self.instance.element(), "ownerDocument"),
                    "activeElement",
                ),
                false => opener,
            };
            if !show_js(&self.panel, true, self.modal, focus) {
                return;
            }
            self.opener.replace(opener);
            self.open.set(true);
            if !self.opened.replace(true) {
                self.instance.metric_view();
            }
        } else {
            // Read before hiding: hiding the panel blurs what had focus inside it.
            let inside = !prop(root, "activeElement").is_null();
            show_js(&self.panel, false, self.modal, false);
            self.open.set(false);
            let opener = self.opener.take();
            // A slide-in closed while the visitor works in the page leaves their focus alone.
            if (self.modal || inside) && opener.is_object() {
                dom::focus(opener.unchecked_ref());
            }
        }
        let detail = js_object(&[
            ("element", self.instance.element().into()),
            ("type", JsValue::from_str(self.instance.widget_type())),
            (
                "id",
                JsValue::from_str(self.instance.instance_id().unwrap_or_default()),
            ),
            (
                "mode",
                JsValue::from_str(if self.modal { "popup" } else { "slide" }),
            ),
        ]);
        let event = if open { "widget:open" } else { "widget:close" };
        self.instance.bus().emit(event, detail);
    }

    /// The delay or exit intent: opens unless it was ever opened, without taking a slide-in's
    /// focus away from the page.
    fn auto(&self) {
        if !self.opened.get() {
            self.set(true, JsValue::UNDEFINED, false);
        }
    }

    fn key(&self, event: &Event) {
        if key_js(self.instance.root(), &self.panel, event, self.modal) {
            self.set(false, JsValue::UNDEFINED, false);
        }
    }

    /// The close button, and for the popup a click on the backdrop (the <dialog> itself: its
    /// content fills it, so only a click outside the content lands on it).
    fn click(&self, event: &Event) {
        let target = prop(event, "target");
        let (close, panel): (&JsValue, &JsValue) = (self.close.as_ref(), self.panel.as_ref());
        if target == *close || (self.modal && target == *panel) {
            self.set(false, JsValue::UNDEFINED, false);
        }
    }

    /// A click anywhere in the page: opens when it landed in a `data-ck-open="<id>"` element.
    fn trigger(&self, event: &Event) {
        let trigger = trigger_js(event, self.instance.instance_id().unwrap_or_default());
        if !trigger.is_undefined() {
            self.set(true, trigger, true);
        }
    }

    /// `mouseout` on the document: the pointer left the viewport (no element to go to) at its
    /// top edge.
    fn exit(&self, event: &Event) {
        if prop(event, "relatedTarget").is_null()
            && prop(event, "clientY")
                .as_f64()
                .is_some_and(|y| y < EXIT_EDGE_PX)
        {
            self.auto();
        }
    }
}

impl Drop for Shell {
    /// Unmounted while open (an SPA route change): the scroll lock goes and focus returns.
    fn drop(&mut self) {
        self.set(false, JsValue::UNDEFINED, false);
        SHOWN.with(|all| {
            all.borrow_mut()
                .retain(|(_, shell)| shell.strong_count() > 0)
        });
    }
}
