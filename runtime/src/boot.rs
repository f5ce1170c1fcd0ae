//! The bootstrapper: finds mount points (now and later), mounts each exactly once, unmounts
//! removed ones, and runs the page's `ck(…)` commands.
//!
//! Re-entrancy rule: the runtime state is never borrowed while foreign code runs (a widget's
//! `mount`, a handle's `Drop`, bus handlers), because that code may call back into `ck(…)`.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, MutationObserver, MutationRecord};

use crate::attrs::{parse_mount, MountSpec, RawAttrs};
use crate::dom::{listen, Listener};
use crate::http::{request, HttpError};
use crate::metrics::{self, Kind};
use crate::util::{js_closure, js_object, JsClosure};
use crate::widget::{Instance, InstanceInner, MountError, Registry};
use crate::{bindings, json, mount, Bus, Value};

const SELECTOR: &str = "[data-ck-widget]";

/// What the loader tells the runtime at boot.
#[derive(Clone, Debug, Default)]
pub struct BootOptions {
    /// API origin (`data-ck-api`, else the loader's origin), without a trailing slash.
    pub api: String,
    /// Default embed token (`data-ck-token` on the loader script).
    pub token: Option<String>,
    /// `performance.now()` when the loader started (load and time-to-mount metrics).
    pub t0: f64,
}

enum State {
    /// Waiting for the config manifest.
    Pending,
    Mounted(Box<dyn Any>),
    /// Rejected (bad attributes or config): not retried until removed or `ck('mount')`.
    Failed,
}

struct Slot {
    key: u32,
    element: Element,
    state: State,
}

/// The document observer and the closure it calls (kept together: the closure must outlive it).
type Observer = (MutationObserver, JsClosure);

struct Runtime {
    registry: Rc<Registry>,
    api: Rc<str>,
    token: Option<String>,
    t0: f64,
    slots: Vec<Slot>,
    /// Elements unmounted with `ck('unmount')`: the observer leaves them alone.
    held: Vec<Element>,
    next_key: u32,
    ready: bool,
    /// Tokens that already reported their `load` metric.
    loaded: Vec<String>,
    _observer: Option<Observer>,
    _page: Vec<Listener>,
}

thread_local! {
    static RT: RefCell<Option<Runtime>> = const { RefCell::new(None) };
}

fn with_rt<R>(f: impl FnOnce(&mut Runtime) -> R) -> Option<R> {
    RT.with(|rt| rt.borrow_mut().as_mut().map(f))
}

/// Starts the runtime once per page: mounts what is there, watches for more, emits `ready`.
/// A second call does nothing.
pub fn boot(registry: Registry, options: BootOptions) {
    let booted = RT.with(|rt| rt.borrow().is_some());
    if booted {
        return;
    }
    // A byte scan: `trim_end_matches` pulls in the char pattern searcher.
    let api = &options.api[..options
        .api
        .bytes()
        .rposition(|b| b != b'/')
        .map_or(0, |i| i + 1)];
    metrics::set_api(api);
    let page = page_listeners();
    RT.with(|rt| {
        *rt.borrow_mut() = Some(Runtime {
            registry: Rc::new(registry),
            api: api.into(),
            token: options.token.filter(|t| !t.is_empty()),
            t0: options.t0,
            slots: Vec::new(),
            held: Vec::new(),
            next_key: 1,
            ready: false,
            loaded: Vec::new(),
            _observer: None,
            _page: page,
        })
    });
    let observer = observe();
    with_rt(|rt| rt._observer = observer);
    scan();
    with_rt(|rt| rt.ready = true);
    Bus::global().emit("ready", JsValue::UNDEFINED);
}

/// Flush the metrics when the page goes away or to the background: the last chance to send.
fn page_listeners() -> Vec<Listener> {
    let win: web_sys::EventTarget = bindings::window().into();
    let doc: web_sys::EventTarget = bindings::document().into();
    let mut out = Vec::new();
    if let Ok(l) = listen(&win, "pagehide", |_| metrics::flush()) {
        out.push(l);
    }
    if let Ok(l) = listen(&doc, "visibilitychange", |_| {
        if bindings::document_hidden() {
            metrics::flush();
        }
    }) {
        out.push(l);
    }
    out
}

fn observe() -> Option<Observer> {
    let closure = js_closure(|records: JsValue| {
        let records: Array = records.unchecked_into();
        let (mut added, mut removed) = (false, false);
        for record in records.iter() {
            let record: MutationRecord = record.unchecked_into();
            added |= record.added_nodes().length() > 0;
            removed |= record.removed_nodes().length() > 0;
        }
        if removed {
            unmount_disconnected();
        }
        if added {
            scan();
        }
    });
    let observer = bindings::observe_document(closure.as_ref().unchecked_ref()).ok()?;
    Some((observer, closure))
}

fn scan() {
    let Ok(list) = bindings::query_all(&bindings::document(), SELECTOR) else {
        return;
    };
    for i in 0..list.length() {
        if let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            mount_element(&el, false);
        }
    }
}

fn unmount_disconnected() {
    let gone: Vec<Element> = with_rt(|rt| {
        rt.held.retain(|el| bindings::is_connected(el));
        let mut gone = Vec::new();
        for slot in &rt.slots {
            if !bindings::is_connected(&slot.element) {
                gone.push(slot.element.clone());
            }
        }
        gone
    })
    .unwrap_or_default();
    for el in gone {
        unmount_element(&el);
    }
}

/// Mounts `el` unless it already is (or is held by `ck('unmount')` and this is not explicit).
fn mount_element(el: &Element, explicit: bool) {
    let attrs = [
        "data-ck-widget",
        "data-ck-id",
        "data-ck-token",
        "data-ck-config",
        "data-ck-theme",
        "data-ck-flags",
    ]
    .map(|name| bindings::get_attribute(el, name));
    let prepared = with_rt(|rt| {
        if rt.slots.iter().any(|s| s.element == *el) {
            return None;
        }
        let held = rt.held.iter().position(|h| h == el);
        match (held, explicit) {
            (Some(_), false) => return None,
            (Some(pos), true) => {
                rt.held.swap_remove(pos);
            }
            _ => {}
        }
        let key = rt.next_key;
        rt.next_key += 1;
        let raw = RawAttrs {
            widget: attrs[0].as_deref(),
            id: attrs[1].as_deref(),
            token: attrs[2].as_deref(),
            config: attrs[3].as_deref(),
            theme: attrs[4].as_deref(),
            flags: attrs[5].as_deref(),
        };
        let registry = rt.registry.clone();
        let parsed = parse_mount(
            &raw,
            rt.token.as_deref(),
            |t| registry.contains(t),
            json::parse,
        );
        rt.slots.push(Slot {
            key,
            element: el.clone(),
            state: if parsed.is_ok() {
                State::Pending
            } else {
                State::Failed
            },
        });
        Some((key, parsed, rt.api.clone(), rt.token.clone()))
    })
    .flatten();
    let Some((key, parsed, api, default_token)) = prepared else {
        return;
    };
    let mut spec = match parsed {
        Ok(spec) => spec,
        Err(e) => {
            let token = attrs[2].clone().or(default_token);
            report(
                el,
                e.attribute(),
                e.code(),
                e.reason(),
                token.as_deref(),
                None,
            );
            return;
        }
    };
    match (&spec.id, &spec.token) {
        (Some(id), Some(token)) => {
            let mut url = String::from(&*api);
            url.push_str("/api/v1/widgets/");
            // Id and token are validated to [A-Za-z0-9_-]: nothing to percent-encode.
            url.push_str(id);
            url.push_str("/config?token=");
            url.push_str(token);
            request(
                url,
                None,
                Box::new(move |manifest| finish_with_manifest(key, spec, manifest)),
            );
        }
        _ => {
            let config = spec.config.take().unwrap_or(Value::Obj(Vec::new()));
            finish(key, &spec, config, Vec::new());
        }
    }
}

fn finish_with_manifest(key: u32, mut spec: MountSpec, manifest: Result<Value, HttpError>) {
    let Some(el) = pending_element(key) else {
        return;
    };
    let token = spec.token.as_deref();
    let id = spec.id.as_deref();
    match manifest {
        Ok(mut manifest) => {
            let declared = manifest.get("type").as_str();
            if declared.is_some_and(|t| t != spec.widget) {
                fail(key);
                report(
                    &el,
                    "data-ck-widget",
                    "type_mismatch",
                    "differs from the widget's type on the server",
                    token,
                    id,
                );
                return;
            }
            // Moved out, not cloned: a deep `Value` clone is sizeable code.
            let mut config = match take_member(&mut manifest, "config") {
                config @ Value::Obj(_) => config,
                _ => Value::Obj(Vec::new()),
            };
            if let Some(inline) = spec.config.take() {
                config.merge(inline);
            }
            let mut flags = Vec::new();
            for flag in manifest.get("flags").as_array().unwrap_or_default() {
                if let Some(flag) = flag.as_str() {
                    flags.push(flag.to_owned());
                }
            }
            finish(key, &spec, config, flags);
        }
        // The server answered "no" (unknown instance, revoked token): show nothing.
        Err(HttpError::Status { status, .. }) if (400..500).contains(&status) => {
            fail(key);
            let reason = if status == 404 {
                "no such widget instance on the server"
            } else {
                "the server refused the embed token"
            };
            report(&el, "data-ck-id", "manifest_refused", reason, token, id);
        }
        // The server is unreachable: inline config, if any, still gives the visitor a widget.
        Err(_) => {
            report(
                &el,
                "data-ck-id",
                "manifest_unavailable",
                "config manifest unavailable",
                token,
                id,
            );
            match spec.config.take() {
                Some(inline) => finish(key, &spec, inline, Vec::new()),
                None => fail(key),
            }
        }
    }
}

/// Moves member `key` out of an object (`Null` when absent).
fn take_member(value: &mut Value, key: &str) -> Value {
    if let Value::Obj(members) = value {
        for (k, v) in members.iter_mut() {
            if k == key {
                return std::mem::take(v);
            }
        }
    }
    Value::Null
}

fn pending_element(key: u32) -> Option<Element> {
    with_rt(|rt| {
        rt.slots
            .iter()
            .find(|s| s.key == key && matches!(s.state, State::Pending))
            .map(|s| s.element.clone())
    })
    .flatten()
}

fn fail(key: u32) {
    with_rt(|rt| {
        if let Some(slot) = rt.slots.iter_mut().find(|s| s.key == key) {
            slot.state = State::Failed;
        }
    });
}

fn finish(key: u32, spec: &MountSpec, config: Value, mut flags: Vec<String>) {
    let Some(el) = pending_element(key) else {
        return;
    };
    let found = with_rt(|rt| {
        let entry = rt.registry.find(&spec.widget)?;
        Some((
            entry.widget,
            entry.styles,
            entry.mount,
            rt.api.clone(),
            rt.t0,
        ))
    })
    .flatten();
    let Some((widget, styles, mount_fn, api, t0)) = found else {
        return;
    };
    for flag in &spec.flags {
        if !flags.contains(flag) {
            flags.push(flag.clone());
        }
    }
    let token = spec.token.as_deref();
    let id = spec.id.as_deref();
    let root = match mount::prepare(&el, widget, styles()) {
        Ok(root) => root,
        Err(e) => {
            fail(key);
            bindings::warn("ck: cannot attach a shadow root to this element", &el);
            report_js(&el, e, token, id);
            return;
        }
    };
    let instance = Instance(Rc::new(InstanceInner {
        widget,
        id: spec.id.clone(),
        token: spec.token.clone(),
        theme: spec.theme,
        flags,
        element: el.clone(),
        root,
        api,
        bus: Bus::global(),
    }));
    match mount_fn(&config, instance) {
        Ok(handle) => {
            // The slot may have gone while the widget mounted (a handler unmounted it).
            let orphan = with_rt(|rt| match rt.slots.iter_mut().find(|s| s.key == key) {
                Some(slot) => {
                    slot.state = State::Mounted(handle);
                    None
                }
                None => Some(handle),
            })
            .flatten();
            if let Some(orphan) = orphan {
                drop(orphan);
                mount::clear(&el);
                return;
            }
            let now = bindings::now();
            let first_load = with_rt(|rt| match token {
                Some(t) if !rt.loaded.iter().any(|l| l == t) => {
                    rt.loaded.push(t.to_owned());
                    true
                }
                _ => false,
            })
            .unwrap_or(false);
            if first_load {
                metrics::record(token, Kind::Load, None, Some(now - t0));
            }
            metrics::record(token, Kind::View, id, Some(now - t0));
            Bus::global().emit("widget:mounted", detail(&el, widget, id));
        }
        Err(MountError::Config(e)) => {
            fail(key);
            let mut reason = String::from("invalid config");
            if !e.path.is_empty() {
                reason.push_str(" at ");
                reason.push_str(&e.path);
            }
            reason.push_str(": ");
            reason.push_str(&e.reason);
            report(&el, "data-ck-config", "config_invalid", &reason, token, id);
        }
        Err(MountError::Js(e)) => {
            fail(key);
            mount::clear(&el);
            report_js(&el, e, token, id);
        }
    }
}

fn detail(el: &Element, widget: &str, id: Option<&str>) -> JsValue {
    js_object(&[
        ("element", el.clone().into()),
        ("type", JsValue::from_str(widget)),
        ("id", id.map_or(JsValue::NULL, JsValue::from_str)),
    ])
}

/// The one error path: console warning naming element, attribute and reason; `widget:error`
/// on the bus; an error metric. Never throws.
fn report(
    el: &Element,
    attribute: &str,
    code: &str,
    reason: &str,
    token: Option<&str>,
    id: Option<&str>,
) {
    let mut msg = String::from("ck: ");
    msg.push_str(attribute);
    msg.push_str(": ");
    msg.push_str(reason);
    bindings::warn(&msg, el);
    metrics::record(token, Kind::Error, id, None);
    Bus::global().emit(
        "widget:error",
        js_object(&[
            ("element", el.clone().into()),
            ("attribute", JsValue::from_str(attribute)),
            ("code", JsValue::from_str(code)),
            ("reason", JsValue::from_str(reason)),
        ]),
    );
}

fn report_js(el: &Element, error: JsValue, token: Option<&str>, id: Option<&str>) {
    bindings::warn("ck: widget failed to mount", &error);
    metrics::record(token, Kind::Error, id, None);
    Bus::global().emit(
        "widget:error",
        js_object(&[
            ("element", el.clone().into()),
            ("code", JsValue::from_str("mount_failed")),
            ("reason", error),
        ]),
    );
}

fn unmount_element(el: &Element) {
    let removed = with_rt(|rt| {
        let pos = rt.slots.iter().position(|s| s.element == *el)?;
        Some(rt.slots.swap_remove(pos))
    })
    .flatten();
    let Some(slot) = removed else { return };
    if let State::Mounted(handle) = slot.state {
        // Dropping the handle releases the widget's listeners, timers and closures.
        let widget = bindings::get_attribute(el, "data-ck-widget").unwrap_or_default();
        let id = bindings::get_attribute(el, "data-ck-id");
        drop(handle);
        mount::clear(el);
        Bus::global().emit("widget:unmounted", detail(el, &widget, id.as_deref()));
    }
}

/// Runs one `ck(method, a, b)` call from the page. Unknown methods and wrong argument types
/// are reported with a console warning, never thrown.
///
/// - `ck('on', event, fn)` / `ck('off', event, fn)` / `ck('emit', event, detail)`
/// - `ck('mount', element)` / `ck('unmount', element)`
/// - `ck('ready', fn)`: `fn()` once the runtime is ready (at once if it is)
pub fn command(method: &JsValue, a: &JsValue, b: &JsValue) {
    let bus = Bus::global();
    let name = method.as_string().unwrap_or_default();
    let event = a.as_string();
    match (name.as_str(), event, b.dyn_ref::<Function>()) {
        ("on", Some(event), Some(f)) => bus.on_js(&event, f.clone()),
        ("off", Some(event), Some(_)) => bus.off_js(&event, b),
        ("emit", Some(event), _) => bus.emit(&event, b.clone()),
        ("mount", _, _) if a.is_instance_of::<Element>() => mount_element(a.unchecked_ref(), true),
        ("unmount", _, _) if a.is_instance_of::<Element>() => {
            let el: &Element = a.unchecked_ref();
            with_rt(|rt| {
                if !rt.held.contains(el) {
                    rt.held.push(el.clone());
                }
            });
            unmount_element(el);
        }
        ("ready", _, _) if a.is_function() => {
            let ready = with_rt(|rt| rt.ready).unwrap_or(false);
            if ready {
                if let Err(e) = a.unchecked_ref::<Function>().call0(&JsValue::UNDEFINED) {
                    bindings::warn("ck: ready handler threw", &e);
                }
            } else {
                // Not booted yet: the buffered "ready" event reaches it on boot.
                bus.on_js("ready", a.clone().unchecked_into());
            }
        }
        _ => bindings::warn("ck: unknown command or bad arguments", method),
    }
}

/// Whether the element currently hosts a mounted widget (for tests and `ck` consumers).
pub fn is_mounted(el: &Element) -> bool {
    with_rt(|rt| {
        rt.slots
            .iter()
            .any(|s| s.element == *el && matches!(s.state, State::Mounted(_)))
    })
    .unwrap_or(false)
}
