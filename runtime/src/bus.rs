//! The queue-safe event bus shared by the runtime, widgets (Rust) and the page (`ck('on', …)`).
//!
//! Rules, all tested:
//! - events emitted while nobody listens to that name are buffered (at most [`BUFFER_LIMIT`],
//!   oldest dropped with a counted console warning) and delivered in order to the first
//!   subscriber of that name;
//! - an emit inside a handler is queued and runs after the current delivery, never recursively;
//! - a JS handler that throws is reported and the other handlers still run;
//! - unsubscribing (also inside a handler) takes effect at once: a removed handler is not called.
//!
//! A Rust handler that panics aborts the wasm instance (the embed is built with `panic=abort`);
//! Rust handlers report failures through their own channels instead.
//!
//! Delivery order: each queued event goes to its subscribers in subscription order, one at a
//! time; a handler removed during a delivery is not called for it.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};

use crate::util::{js_closure, push_u32, JsClosure};

/// Most events kept for names nobody listens to yet.
pub const BUFFER_LIMIT: usize = 64;

struct Sub<H> {
    id: u32,
    event: String,
    handler: H,
}

struct Pending<D> {
    event: String,
    detail: D,
    /// Replayed buffered events go only to the subscriber that triggered the replay (0: all).
    only: u32,
}

/// The bus state, generic over the event detail and handler so its ordering rules are
/// unit-tested on the host. Names are `String`s: `Rc<str>` costs more code than it saves.
pub(crate) struct Core<D, H> {
    subs: Vec<Sub<H>>,
    queue: Vec<Pending<D>>,
    buffer: Vec<(String, D)>,
    dropped: u32,
    next_id: u32,
    draining: bool,
}

impl<D, H: Clone> Core<D, H> {
    pub(crate) const fn new() -> Self {
        Core {
            subs: Vec::new(),
            queue: Vec::new(),
            buffer: Vec::new(),
            dropped: 0,
            next_id: 1,
            draining: false,
        }
    }
}

/// Queues an event. Returns the running count of dropped events when the buffer overflowed.
pub(crate) fn emit<D, H: Clone>(core: &RefCell<Core<D, H>>, event: &str, detail: D) -> Option<u32> {
    let mut c = core.borrow_mut();
    if c.subs.iter().any(|s| s.event == event) {
        c.queue.push(Pending {
            event: event.into(),
            detail,
            only: 0,
        });
        return None;
    }
    c.buffer.push((event.into(), detail));
    if c.buffer.len() > BUFFER_LIMIT {
        c.buffer.remove(0);
        c.dropped += 1;
        return Some(c.dropped);
    }
    None
}

/// Adds a subscriber and queues the buffered events of that name for it.
pub(crate) fn subscribe<D, H: Clone>(core: &RefCell<Core<D, H>>, event: &str, handler: H) -> u32 {
    let mut c = core.borrow_mut();
    let id = c.next_id;
    c.next_id += 1;
    let mut i = 0;
    while i < c.buffer.len() {
        if c.buffer[i].0 == event {
            let (event, detail) = c.buffer.remove(i);
            c.queue.push(Pending {
                event,
                detail,
                only: id,
            });
        } else {
            i += 1;
        }
    }
    c.subs.push(Sub {
        id,
        event: event.into(),
        handler,
    });
    id
}

/// Removes the first subscriber `matches` accepts; returns whether one was removed.
pub(crate) fn unsubscribe_where<D, H: Clone>(
    core: &RefCell<Core<D, H>>,
    matches: impl Fn(u32, &str, &H) -> bool,
) -> bool {
    let mut c = core.borrow_mut();
    match c
        .subs
        .iter()
        .position(|s| matches(s.id, &s.event, &s.handler))
    {
        Some(pos) => {
            c.subs.remove(pos);
            true
        }
        None => false,
    }
}

/// Delivers queued events until the queue is empty. A call while a delivery is running returns
/// at once: the running loop picks the new events up (that is what makes emit non-recursive).
/// No borrow is held while a handler runs, so handlers may emit, subscribe and unsubscribe.
pub(crate) fn drain<D, H: Clone>(core: &RefCell<Core<D, H>>, deliver: impl Fn(&H, &D)) {
    {
        let mut c = core.borrow_mut();
        if c.draining {
            return;
        }
        c.draining = true;
    }
    loop {
        let (pending, limit) = {
            let mut c = core.borrow_mut();
            if c.queue.is_empty() {
                c.draining = false;
                return;
            }
            // Queues stay short (a handful of events): Vec::remove(0) beats VecDeque's code size.
            (c.queue.remove(0), c.next_id)
        };
        // Subscribers are looked up one at a time, by position and id, so a handler that
        // unsubscribes another (or itself) takes effect at once, and one subscribed during
        // this delivery is not called for it.
        let mut next_id = 0;
        loop {
            let target = {
                let c = core.borrow();
                c.subs
                    .iter()
                    .find(|s| {
                        s.id > next_id
                            && s.id < limit
                            && s.event == pending.event
                            && (pending.only == 0 || pending.only == s.id)
                    })
                    .map(|s| (s.id, s.handler.clone()))
            };
            let Some((id, handler)) = target else { break };
            next_id = id;
            deliver(&handler, &pending.detail);
        }
    }
}

type Shared = Rc<RefCell<Core<JsValue, Function>>>;

/// A handle to an event bus. Cloning is cheap and clones share the bus.
///
/// Widgets get the page-wide bus from [`MountCtx::bus`](crate::MountCtx::bus); the page reaches
/// the same bus with `ck('on'|'off'|'emit', …)`.
///
/// ```no_run
/// use wasm_bindgen::JsValue;
/// let bus = ck_runtime::Bus::new();
/// let sub = bus.on("form:success", |detail| {
///     web_sys::console::log_1(detail);
/// });
/// bus.emit("form:success", JsValue::from_str("w1"));
/// drop(sub); // unsubscribes
/// ```
#[derive(Clone)]
pub struct Bus {
    core: Shared,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    static GLOBAL: Bus = Bus::new();
}

impl Bus {
    /// A new, empty bus (the runtime has one page-wide bus; see [`Bus::global`]).
    pub fn new() -> Self {
        Bus {
            core: Rc::new(RefCell::new(Core::new())),
        }
    }

    /// The page-wide bus behind `ck('on' | 'emit' | …)`.
    pub fn global() -> Bus {
        GLOBAL.with(Bus::clone)
    }

    /// Emits `event` with `detail`. Runs the handlers now, or after the current delivery when
    /// called from inside a handler; buffers the event if nobody listens to `event` yet.
    pub fn emit(&self, event: &str, detail: JsValue) {
        if let Some(dropped) = emit(&self.core, event, detail) {
            let mut msg = String::from("ck: event buffer full, dropped oldest; total dropped ");
            push_u32(&mut msg, dropped);
            crate::bindings::warn(&msg, &JsValue::from_str(event));
        }
        self.drain();
    }

    /// Subscribes a Rust handler; buffered events of that name are delivered first, in order.
    /// Dropping the returned [`Subscription`] unsubscribes.
    ///
    /// The handler is wrapped as a JS function, so the bus stores one kind of handler: Rust and
    /// page handlers share one delivery path.
    pub fn on(&self, event: &str, handler: impl FnMut(&JsValue) + 'static) -> Subscription {
        let mut handler = handler;
        let closure = js_closure(move |detail| handler(&detail));
        let id = subscribe(
            &self.core,
            event,
            closure.as_ref().unchecked_ref::<Function>().clone(),
        );
        self.drain();
        Subscription {
            core: Rc::downgrade(&self.core),
            id,
            _closure: closure,
        }
    }

    /// Subscribes a JS function (for `ck('on', …)`); it stays until [`Bus::off_js`].
    pub fn on_js(&self, event: &str, handler: Function) {
        subscribe(&self.core, event, handler);
        self.drain();
    }

    /// Removes a JS function subscribed with [`Bus::on_js`] (for `ck('off', …)`).
    pub fn off_js(&self, event: &str, handler: &JsValue) {
        unsubscribe_where(&self.core, |_, name, h| {
            name == event && AsRef::<JsValue>::as_ref(h) == handler
        });
    }

    fn drain(&self) {
        drain(&self.core, |handler, detail| {
            crate::bindings::call(handler, detail, "ck: event handler threw");
        });
    }
}

/// An active subscription; dropping it unsubscribes (also safe inside a handler).
#[must_use = "dropping the Subscription unsubscribes at once"]
pub struct Subscription {
    core: Weak<RefCell<Core<JsValue, Function>>>,
    id: u32,
    _closure: JsClosure,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(core) = self.core.upgrade() {
            let id = self.id;
            unsubscribe_where(&core, |sub, _, _| sub == id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Log = Rc<RefCell<Vec<String>>>;
    type H = Rc<dyn Fn(&u32)>;

    fn run(core: &RefCell<Core<u32, H>>) {
        drain(core, |h, d| h(d));
    }

    #[test]
    fn buffered_until_first_subscriber_in_order() {
        let core: RefCell<Core<u32, H>> = RefCell::new(Core::new());
        emit(&core, "a", 1);
        emit(&core, "b", 9);
        emit(&core, "a", 2);
        let log: Log = Rc::default();
        let l = log.clone();
        subscribe(
            &core,
            "a",
            Rc::new(move |d: &u32| l.borrow_mut().push(d.to_string())) as H,
        );
        run(&core);
        assert_eq!(*log.borrow(), ["1", "2"]);
        // "b" still buffered, "a" buffer consumed.
        assert_eq!(core.borrow().buffer.len(), 1);
    }

    #[test]
    fn buffer_is_bounded_and_counts_drops() {
        let core: RefCell<Core<u32, H>> = RefCell::new(Core::new());
        let mut last = None;
        for i in 0..(BUFFER_LIMIT as u32 + 3) {
            last = emit(&core, "x", i);
        }
        assert_eq!(last, Some(3));
        let log: Log = Rc::default();
        let l = log.clone();
        subscribe(
            &core,
            "x",
            Rc::new(move |d: &u32| l.borrow_mut().push(d.to_string())) as H,
        );
        run(&core);
        assert_eq!(log.borrow().len(), BUFFER_LIMIT);
        assert_eq!(log.borrow()[0], "3");
    }

    #[test]
    fn unsubscribe_removes_only_that_handler() {
        let core: RefCell<Core<u32, H>> = RefCell::new(Core::new());
        let log: Log = Rc::default();
        let (l1, l2) = (log.clone(), log.clone());
        let a = subscribe(
            &core,
            "e",
            Rc::new(move |_: &u32| l1.borrow_mut().push("a".into())) as H,
        );
        subscribe(
            &core,
            "e",
            Rc::new(move |_: &u32| l2.borrow_mut().push("b".into())) as H,
        );
        assert!(unsubscribe_where(&core, |id, _, _| id == a));
        emit(&core, "e", 0);
        run(&core);
        assert_eq!(*log.borrow(), ["b"]);
    }

    #[test]
    fn subscriber_added_during_delivery_waits_for_the_next_event() {
        type Shared = Rc<RefCell<Core<u32, H>>>;
        let core: Shared = Rc::new(RefCell::new(Core::new()));
        let log: Log = Rc::default();
        let (c, l) = (core.clone(), log.clone());
        subscribe(
            &core,
            "e",
            Rc::new(move |d: &u32| {
                l.borrow_mut().push(format!("first:{d}"));
                if *d == 1 {
                    let l2 = l.clone();
                    subscribe(
                        &c,
                        "e",
                        Rc::new(move |d: &u32| l2.borrow_mut().push(format!("late:{d}"))) as H,
                    );
                }
            }) as H,
        );
        emit(&core, "e", 1);
        run(&core);
        emit(&core, "e", 2);
        run(&core);
        assert_eq!(*log.borrow(), ["first:1", "first:2", "late:2"]);
    }
}
