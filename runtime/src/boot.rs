//! The bootstrapper: finds mount points (now and later), mounts each exactly once, unmounts
//! removed ones, and runs the page's `ck(…)` commands.
//!
//! Re-entrancy rule: the runtime state is never borrowed while foreign code runs (a widget's
//! `mount`, a handle's `Drop`, bus handlers), because that code may call back into `ck(…)`.
//!
//! Size rules (this module was the largest in the wasm): the state is one const-initialised
//! `RefCell` (no lazy init, no `Option` around it), every access goes through the one
//! non-generic-in-practice [`with_rt`], and the mount path is split into plain functions that
//! take owned values instead of closures that capture them.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, MutationObserver};

use crate::attrs::{parse_mount, AttrError, Mode, MountSpec, RawAttrs};
use crate::http::{request, HttpError, HttpResult};
use crate::metrics::{self, Kind};
use crate::present::PresenterFns;
use crate::util::{js_closure, js_object, JsClosure};
use crate::widget::{Entry, Instance, InstanceInner, MountError, Registry};
use crate::{bindings, json, mount, Bus, Value};

/// What the loader tells the runtime at boot.
#[derive(Clone, Debug, Default)]
pub struct BootOptions {
    /// API origin (`data-ck-api`, else the loader's origin), without a trailing slash.
    pub api: String,
    /// Default embed token (`data-ck-token` on the loader script).
    pub token: Option<String>,
    /// `performance.now()` when the loader started (load and time-to-mount metrics).
    pub t0: f64,
    /// Config manifest requests the loader already started: a plain object from the exact URL
    /// the runtime would fetch to the `fetch` promise (`undefined`: none). Each is used once,
    /// by the first mount point that asks for that URL.
    pub prefetched: JsValue,
    /// The loader's `need(chunk, element)`, called for a mount point whose widget type (or
    /// whose `data-ck-mode`'s presenter, chunk `modes`) is not registered: `1` when it is a
    /// lazy chunk on its way (the loader mounts the element again with `ck('mount', element, 1)`
    /// once the chunk has called [`register`], or has failed), `2` when that chunk failed to load, `0`
    /// when there is no such chunk. `undefined`: no lazy chunks.
    pub need: JsValue,
}

enum State {
    /// Parsed; waiting for the config manifest (or about to mount).
    Pending(MountSpec),
    /// A popup's or slide-in's presentation, the widget's handle and its `set` (for
    /// `ck('set')`). The presentation is dropped first, so an unmount closes it (scroll
    /// unlocked, focus returned) before the widget goes.
    Mounted(Option<Box<dyn Any>>, Rc<dyn Any>, fn(&dyn Any, &Value)),
    /// Rejected (bad attributes or config): not retried until removed or `ck('mount')`.
    Failed,
    /// Its widget's (or presenter's) lazy chunk is on its way: `ck('set')` values collect, and
    /// the loader mounts it again with `ck('mount', element, 1)` once the chunk is in.
    Waiting,
}

struct Slot {
    key: u32,
    element: Element,
    state: State,
    /// `ck('set')` values that arrived before the widget mounted (`Null`: none).
    values: Value,
}

struct Runtime {
    booted: bool,
    ready: bool,
    token: Option<String>,
    t0: f64,
    entries: Vec<Entry>,
    presenter: Option<PresenterFns>,
    slots: Vec<Slot>,
    /// Elements unmounted with `ck('unmount')`: the observer leaves them alone.
    held: Vec<Element>,
    next_key: u32,
    /// Tokens that already reported their `load` metric.
    loaded: Vec<String>,
    /// The document observer and the closure it calls (the closure must outlive it).
    _observer: Option<(MutationObserver, JsClosure)>,
}

thread_local! {
    static RT: RefCell<Runtime> = const {
        RefCell::new(Runtime {
            booted: false,
            ready: false,
            token: None,
            t0: 0.0,
            entries: Vec::new(),
            presenter: None,
            slots: Vec::new(),
            held: Vec::new(),
            next_key: 1,
            loaded: Vec::new(),
            _observer: None,
        })
    };
}

fn with_rt<R>(f: impl FnOnce(&mut Runtime) -> R) -> R {
    RT.with(|rt| f(&mut rt.borrow_mut()))
}

/// Starts the runtime once per page: mounts what is there, watches for more, emits `ready`.
/// A second call does nothing.
pub fn boot(registry: Registry, options: BootOptions) {
    // A byte scan: `trim_end_matches` pulls in the char pattern searcher.
    let api = &options.api[..options
        .api
        .bytes()
        .rposition(|b| b != b'/')
        .map_or(0, |i| i + 1)];
    let first = with_rt(|rt| {
        if rt.booted {
            return false;
        }
        rt.booted = true;
        crate::http::set_api(api, options.prefetched, options.need);
        rt.token = options.token.filter(|t| !t.is_empty());
        rt.t0 = options.t0;
        rt.entries.extend(registry.entries);
        rt.presenter = rt.presenter.or(registry.presenter);
        true
    });
    if !first {
        return;
    }
    let observer = observe();
    with_rt(|rt| rt._observer = observer);
    scan();
    with_rt(|rt| rt.ready = true);
    Bus::global().emit("ready", JsValue::UNDEFINED);
}

fn observe() -> Option<(MutationObserver, JsClosure)> {
    // Any child-list change re-checks both directions instead of reading the records: a
    // `querySelectorAll` per batch of mutations costs the page less than the record-walking
    // code costs every visitor in download.
    let closure = js_closure(|_| {
        unmount_disconnected();
        scan();
    });
    let observer = bindings::observe_document(closure.as_ref().unchecked_ref()).ok()?;
    Some((observer, closure))
}

fn scan() {
    let Ok(list) = bindings::query_all(&bindings::document(), "[data-ck-widget]") else {
        return;
    };
    for i in 0..list.length() {
        if let Some(el) = list.item(i) {
            mount_element(el.unchecked_ref(), Ask::Scan);
        }
    }
}

fn unmount_disconnected() {
    loop {
        let gone = with_rt(|rt| {
            rt.held.retain(|el| bindings::is_connected(el));
            rt.slots
                .iter()
                .find(|s| !bindings::is_connected(&s.element))
                .map(|s| s.element.clone())
        });
        match gone {
            Some(el) => unmount_element(&el),
            None => return,
        }
    }
}

/// The mount attributes, in [`RawAttrs`] order.
const ATTRIBUTES: [&str; 7] = [
    "data-ck-widget",
    "data-ck-id",
    "data-ck-token",
    "data-ck-config",
    "data-ck-theme",
    "data-ck-flags",
    "data-ck-mode",
];

/// Who asks [`mount_element`] to mount.
#[derive(Clone, Copy, PartialEq)]
enum Ask {
    /// A rescan of the page, or `ck('set')`: skips what is known or held.
    Scan,
    /// The page (`ck('mount')`): also mounts what `ck('unmount')` holds.
    Page,
    /// The loader, once the chunk a mount point waits for is in (`ck('mount', el, 1)`): only
    /// a mount point still waiting, so one unmounted or removed meanwhile stays so.
    Chunk,
}

/// Mounts `el` unless it already is (or is held by `ck('unmount')` and the page did not ask).
///
/// One `with_rt` for the whole decision: each is a monomorphised `LocalKey::with` of its own
/// (docs/size.md). Nothing in it calls back into the runtime: attribute reads are plain DOM
/// calls, and the loader's `need` starts loads without running a chunk's entry in the same
/// task (glue.rs `chunk` awaits before calling a linked entry).
fn mount_element(el: &Element, ask: Ask) {
    let outcome = with_rt(|rt| {
        // Checked before any attribute is read: every mutation rescans the page. A waiting
        // slot gives its `ck('set')` values to the mount the loader asks for.
        let values = match rt.slots.iter().position(|s| s.element == *el) {
            Some(pos) if ask != Ask::Scan && matches!(rt.slots[pos].state, State::Waiting) => {
                rt.slots.swap_remove(pos).values
            }
            Some(_) => return None,
            None if ask == Ask::Chunk => return None,
            None => {
                if let Some(pos) = rt.held.iter().position(|h| h == el) {
                    if ask != Ask::Page {
                        return None;
                    }
                    rt.held.swap_remove(pos);
                }
                Value::Null
            }
        };
        // One array and one loop: the `Option<String>`s dropped in one place, not at every
        // exit. Filled by index: `array::map` and `each_ref` were monomorphised copies of their
        // own (~470 B of code before wasm-opt, docs/size.md).
        let mut attrs: [Option<String>; 7] = Default::default();
        for (i, name) in ATTRIBUTES.iter().enumerate() {
            attrs[i] = bindings::get_attribute(el, name);
        }
        let raw = RawAttrs {
            widget: attrs[0].as_deref(),
            id: attrs[1].as_deref(),
            token: attrs[2].as_deref(),
            config: attrs[3].as_deref(),
            theme: attrs[4].as_deref(),
            flags: attrs[5].as_deref(),
            mode: attrs[6].as_deref(),
        };
        let entries = &rt.entries;
        let parsed = parse_mount(
            &raw,
            rt.token.as_deref(),
            |t| entries.iter().find(|e| e.widget == t).map(|e| e.widget),
            json::parse,
        );
        // Code this wasm does not have yet: the widget's lazy chunk, or the presenter's for a
        // popup or slide-in. 1: the loader fetches it (or already is, in its first wave) and
        // mounts the element again once it has registered; 2: it failed.
        let wanted = match &parsed {
            Err(AttrError::UnknownWidget) => raw.widget.map(str::trim_ascii),
            Ok(spec) if spec.mode != Mode::Inline && rt.presenter.is_none() => Some("modes"),
            _ => None,
        };
        let need = wanted.map_or(0, |chunk| bindings::need(chunk, el));
        let key = rt.next_key;
        rt.next_key += 1;
        // With an instance id the config comes from the server (inline config merged over
        // it); without, the inline config is all there is.
        let (state, outcome) = match parsed {
            _ if need == 1 => (State::Waiting, None),
            Ok(spec) => {
                let url = match (&spec.id, &spec.token) {
                    (Some(id), Some(token)) => {
                        let mut url = String::from("/api/v1/widgets/");
                        // Validated to [A-Za-z0-9_-]: nothing to percent-encode.
                        url.push_str(id);
                        url.push_str("/config?token=");
                        url.push_str(token);
                        // The language of the mount point: the server adds its texts to the
                        // config (the embed carries English only). Spelled as the loader
                        // spells its prefetch URL, which must match byte for byte.
                        let lang = bindings::lang(el);
                        if !lang.is_empty() {
                            url.push_str("&lang=");
                            url.push_str(&lang);
                        }
                        Some(url)
                    }
                    _ => None,
                };
                (State::Pending(spec), Some(Ok((key, url))))
            }
            Err(e) => {
                let token = raw.token.map(String::from).or_else(|| rt.token.clone());
                (State::Failed, Some(Err((e, need, token))))
            }
        };
        rt.slots.push(Slot {
            key,
            element: el.clone(),
            state,
            values,
        });
        outcome
    });
    match outcome {
        None => {}
        Some(Ok((key, Some(url)))) => {
            request(url, None, Box::new(move |answer| finish(key, Some(answer))))
        }
        Some(Ok((key, None))) => finish(key, None),
        Some(Err((e, need, token))) => {
            // A popup whose presenter failed shows inline (`present` reports that); a widget
            // whose chunk failed stays empty.
            let (code, reason) = if need == 2 && e == AttrError::UnknownWidget {
                ("chunk_unavailable", "the widget's code failed to load")
            } else {
                (e.code(), e.reason())
            };
            report(el, e.attribute(), code, reason, token.as_deref(), None)
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

/// Mounts the pending slot `key`. `manifest`: the server's answer, `None` without an instance id.
///
/// The slot's spec is taken out and the slot marked failed first, so every early return below
/// leaves it failed; only a successful mount stores the handle.
fn finish(key: u32, manifest: Option<HttpResult>) {
    let taken = with_rt(|rt| {
        let slot = rt.slots.iter_mut().find(|s| s.key == key)?;
        let State::Pending(spec) = std::mem::replace(&mut slot.state, State::Failed) else {
            return None;
        };
        let entry = *rt.entries.iter().find(|e| e.widget == spec.widget)?;
        Some((slot.element.clone(), spec, entry, rt.t0, rt.presenter))
    });
    let Some((el, spec, entry, t0, presenter)) = taken else {
        return;
    };
    let MountSpec {
        id,
        token,
        config: inline,
        theme,
        flags: own_flags,
        mode,
        ..
    } = spec;
    let (token, id) = (token.as_deref(), id.as_deref());
    let mut flags = String::new();
    let config = match manifest {
        None => inline.unwrap_or(Value::Obj(Vec::new())),
        Some(Ok(mut manifest)) => {
            if manifest
                .get("type")
                .as_str()
                .is_some_and(|t| t != entry.widget)
            {
                return report(
                    &el,
                    "data-ck-widget",
                    "type_mismatch",
                    "differs from the widget's type on the server",
                    token,
                    id,
                );
            }
            // Flags from the server join the element's: one comma list, see `has_flag`.
            for flag in manifest.get("flags").as_array().unwrap_or_default() {
                if let Some(flag) = flag.as_str() {
                    flags.push_str(flag);
                    flags.push(',');
                }
            }
            // Moved out, not cloned: a deep `Value` clone is sizeable code.
            let mut config = match take_member(&mut manifest, "config") {
                config @ Value::Obj(_) => config,
                _ => Value::Obj(Vec::new()),
            };
            if let Some(inline) = inline {
                config.merge(inline);
            }
            config
        }
        // The server answered "no" (unknown instance, revoked token): show nothing.
        Some(Err(HttpError::Status { status, .. })) if status < 500 => {
            let reason = if status == 404 {
                "no such widget instance on the server"
            } else {
                "the server refused the embed token"
            };
            return report(&el, "data-ck-id", "manifest_refused", reason, token, id);
        }
        // The server is unreachable: inline config, if any, still gives the visitor a widget.
        Some(Err(_)) => {
            report(
                &el,
                "data-ck-id",
                "manifest_unavailable",
                "config manifest unavailable",
                token,
                id,
            );
            match inline {
                Some(inline) => inline,
                None => return,
            }
        }
    };
    let plan = flags.len();
    flags.push_str(&own_flags);
    let root = match mount::prepare(&el, entry.widget, (entry.styles)()) {
        Ok(root) => root,
        Err(e) => return report_js(&el, e, token, id),
    };
    let instance = Instance(Rc::new(InstanceInner {
        widget: entry.widget,
        id: id.map(str::to_owned),
        token: token.map(str::to_owned),
        theme,
        flags,
        plan,
        element: el.clone(),
        root,
        bus: Bus::global(),
    }));
    match (entry.mount)(&config, instance.clone()) {
        Ok(handle) => {
            let mut shown = present(&el, mode, presenter, &instance, &config, token, id);
            let presented = shown.is_some();
            // The slot may have gone while the widget mounted (a handler unmounted it). The
            // first mount of a token counts the embed's load. One `with_rt` for both.
            let (orphan, values, first_load) =
                with_rt(|rt| match rt.slots.iter_mut().find(|s| s.key == key) {
                    Some(slot) => {
                        slot.state = State::Mounted(shown.take(), handle.clone(), entry.set);
                        let values = std::mem::take(&mut slot.values);
                        let first = match token {
                            Some(t) if !rt.loaded.iter().any(|l| l == t) => {
                                rt.loaded.push(t.to_owned());
                                true
                            }
                            _ => false,
                        };
                        (false, values, first)
                    }
                    None => (true, Value::Null, false),
                });
            if !values.is_null() {
                (entry.set)(&*handle, &values);
            }
            if orphan {
                drop(shown);
                drop(handle);
                return mount::clear(&el);
            }
            let ms = bindings::now() - t0;
            if first_load {
                metrics::record(token, Kind::Load, None, Some(ms));
            }
            // A popup or slide-in counts its view when it opens (the presenter's call).
            if !presented {
                metrics::record(token, Kind::View, id, Some(ms));
            }
            Bus::global().emit("widget:mounted", detail(&el, entry.widget, id));
        }
        Err(MountError::Config(e)) => {
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
            mount::clear(&el);
            report_js(&el, e, token, id);
        }
    }
}

/// Called by a lazy chunk's entry: adds its widgets (a type already registered is kept) and
/// its presenter.
pub fn register(registry: Registry) {
    with_rt(|rt| {
        if registry.presenter.is_some() {
            rt.presenter = registry.presenter;
        }
        for entry in registry.entries {
            if !rt.entries.iter().any(|e| e.widget == entry.widget) {
                rt.entries.push(entry);
            }
        }
    });
}

/// Hands a mounted widget with a `data-ck-mode` to the registered presenter. `None`: shown
/// inline (no mode, no presenter in this build, or the presenter failed; the last two reported).
fn present(
    el: &Element,
    mode: Mode,
    presenter: Option<PresenterFns>,
    instance: &Instance,
    config: &Value,
    token: Option<&str>,
    id: Option<&str>,
) -> Option<Box<dyn Any>> {
    if mode == Mode::Inline {
        return None;
    }
    let Some(presenter) = presenter else {
        report(
            el,
            "data-ck-mode",
            "mode_unavailable",
            "not in this embed build: shown inline",
            token,
            id,
        );
        return None;
    };
    match (presenter.present)(mode, instance, config) {
        Ok(shown) => Some(shown),
        Err(e) => {
            report_js(el, e, token, id);
            None
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
    error_event(
        el,
        token,
        id,
        &[
            ("attribute", JsValue::from_str(attribute)),
            ("code", JsValue::from_str(code)),
            ("reason", JsValue::from_str(reason)),
        ],
    );
}

fn report_js(el: &Element, error: JsValue, token: Option<&str>, id: Option<&str>) {
    bindings::warn("ck: widget failed to mount", &error);
    error_event(
        el,
        token,
        id,
        &[
            ("code", JsValue::from_str("mount_failed")),
            ("reason", error),
        ],
    );
}

fn error_event(el: &Element, token: Option<&str>, id: Option<&str>, fields: &[(&str, JsValue)]) {
    metrics::record(token, Kind::Error, id, None);
    let detail = js_object(fields);
    crate::util::set_prop(&detail, "element", el);
    Bus::global().emit("widget:error", detail);
}

fn unmount_element(el: &Element) {
    let removed = with_rt(|rt| {
        let pos = rt.slots.iter().position(|s| s.element == *el)?;
        Some(rt.slots.swap_remove(pos))
    });
    if let Some(Slot {
        state: State::Mounted(shown, handle, _),
        ..
    }) = removed
    {
        drop(shown);
        // Dropping the handle releases the widget's listeners, timers and closures (and
        // closes a popup or slide-in first, see `finish`).
        drop(handle);
        mount::clear(el);
        let widget = bindings::get_attribute(el, "data-ck-widget").unwrap_or_default();
        let id = bindings::get_attribute(el, "data-ck-id");
        Bus::global().emit("widget:unmounted", detail(el, &widget, id.as_deref()));
    }
}

/// Runs one `ck(method, a, b)` call from the page. Unknown methods and wrong argument types
/// are reported with a console warning, never thrown.
///
/// - `ck('on', event, fn)` / `ck('off', event, fn)` / `ck('emit', event, detail)`
/// - `ck('mount', element)` / `ck('unmount', element)`
/// - `ck('ready', fn)`: `fn()` once the runtime is ready (at once if it is)
/// - `ck('set', element, values)`: hands `values` (an object) to the widget of `element`
/// - `ck('open', id)` / `ck('close', id)`: the popup or slide-in with that `data-ck-id`
pub fn command(method: &JsValue, a: &JsValue, b: &JsValue) {
    let bus = Bus::global();
    let name = method.as_string().unwrap_or_default();
    let event = a.as_string();
    let element = a.dyn_ref::<Element>();
    match (name.as_str(), event, b.dyn_ref::<Function>()) {
        ("on", Some(event), Some(f)) => bus.on_js(&event, f.clone()),
        ("off", Some(event), Some(_)) => bus.off_js(&event, b),
        ("emit", Some(event), _) => bus.emit(&event, b.clone()),
        ("mount", _, _) if element.is_some() => {
            let ask = if b.is_truthy() { Ask::Chunk } else { Ask::Page };
            mount_element(a.unchecked_ref(), ask)
        }
        ("unmount", _, _) if element.is_some() => {
            let el: &Element = a.unchecked_ref();
            with_rt(|rt| {
                if !rt.held.contains(el) {
                    rt.held.push(el.clone());
                }
            });
            unmount_element(el);
        }
        ("set", _, _) if element.is_some() && b.is_object() => set_values(a.unchecked_ref(), b),
        (verb @ ("open" | "close"), Some(id), _) => {
            // The presenter keeps its popups by id; the runtime state is not borrowed while
            // it runs (opening may call back into `ck(…)`).
            let set_open = with_rt(|rt| rt.presenter.map(|p| p.set_open));
            if !set_open.is_some_and(|set_open| set_open(&id, verb == "open")) {
                bindings::warn("ck: no popup or slide-in with this data-ck-id", a);
            }
        }
        ("ready", _, _) if a.is_function() => {
            if with_rt(|rt| rt.ready) {
                bindings::call(a, &JsValue::UNDEFINED, "ck: ready handler threw");
            } else {
                // Not booted yet: the buffered "ready" event reaches it on boot.
                bus.on_js("ready", a.clone().unchecked_into());
            }
        }
        _ => bindings::warn("ck: unknown command or bad arguments", method),
    }
}

/// `ck('set', el, values)`: to the mounted widget now, or kept for it until it mounts. A mount
/// point the observer has not seen yet (inserted in this same task) is taken in first, so
/// values set right after inserting it are not lost.
fn set_values(el: &Element, values: &JsValue) {
    mount_element(el, Ask::Scan);
    let mut values = crate::from_js(values);
    let mounted = with_rt(|rt| {
        let slot = rt.slots.iter_mut().find(|s| s.element == *el)?;
        match &slot.state {
            State::Pending(_) | State::Waiting => {
                slot.values.merge(std::mem::take(&mut values));
                None
            }
            State::Mounted(_, handle, set) => Some((handle.clone(), *set)),
            State::Failed => None,
        }
    });
    // Called with the state released: the widget may warn, and a page's console hook may
    // call `ck` again.
    if let Some((handle, set)) = mounted {
        set(&*handle, &values);
    }
}

/// Whether the element currently hosts a mounted widget (for tests and `ck` consumers).
pub fn is_mounted(el: &Element) -> bool {
    with_rt(|rt| {
        rt.slots
            .iter()
            .any(|s| s.element == *el && matches!(s.state, State::Mounted(..)))
    })
}
