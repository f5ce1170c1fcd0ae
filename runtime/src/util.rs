//! Small helpers that keep `core::fmt` and per-shape glue out of the wasm. Public through
//! [`crate::js`], [`crate::fmt`] and [`crate::Timer`]: widgets use the same cheap forms.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::Object;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::bindings;

/// Appends the decimal digits of `n`: what `format!("{n}")` does, without `core::fmt`, whose
/// formatter costs a widget kilobytes of wasm.
///
/// ```
/// let mut s = String::from("seats: ");
/// ck_runtime::fmt::push_u32(&mut s, 1204);
/// assert_eq!(s, "seats: 1204");
/// ```
pub fn push_u32(out: &mut String, n: u32) {
    push_u32_padded(out, n, 1);
}

/// [`push_u32`] with leading zeros up to `width` digits (`7` at width 2 is `07`), for clocks
/// and dates.
///
/// ```
/// let mut s = String::new();
/// ck_runtime::fmt::push_u32_padded(&mut s, 7, 2);
/// s.push(':');
/// ck_runtime::fmt::push_u32_padded(&mut s, 1234, 2);
/// assert_eq!(s, "07:1234");
/// ```
pub fn push_u32_padded(out: &mut String, mut n: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut len = 0;
    while n > 0 || len < width.clamp(1, 10) {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
    }
    for &d in digits[..len].iter().rev() {
        out.push(d as char);
    }
}

/// A plain JS object from key/value pairs (event details, init dictionaries): one property
/// import (js/dom.js `ckSet`) for any shape, where a web-sys dictionary costs an import and a glue function per
/// setter.
///
/// ```no_run
/// use ck_runtime::wasm_bindgen::JsValue;
/// let detail = ck_runtime::js::js_object(&[("id", JsValue::from_str("w1")), ("n", 3.into())]);
/// ```
pub fn js_object(pairs: &[(&str, JsValue)]) -> JsValue {
    let obj: JsValue = Object::new().into();
    for (key, value) in pairs {
        set_prop(&obj, key, value);
    }
    obj
}

/// `target[key]`; `undefined` when absent or when the getter throws. Reads what web-sys would
/// need a feature (and its glue) for: `input.value`, `event.target`, `valueAsNumber`, ….
///
/// ```no_run
/// # let input = ck_runtime::dom::make("input", "name=email");
/// let value = ck_runtime::js::prop(&input, "value").as_string().unwrap_or_default();
/// ```
pub fn prop(target: &JsValue, key: &str) -> JsValue {
    bindings::get(target, key)
}

/// `target[key] = value`; a frozen or exotic target that refuses is ignored.
///
/// ```no_run
/// # let detail = ck_runtime::js::js_object(&[]);
/// ck_runtime::js::set_prop(&detail, "count", &3.into());
/// ```
pub fn set_prop(target: &JsValue, key: &str, value: &JsValue) {
    bindings::set(target, key, value);
}

/// [`set_prop`] with a string value.
///
/// ```no_run
/// # let detail = ck_runtime::js::js_object(&[]);
/// ck_runtime::js::set_str(&detail, "reason", "network");
/// ```
#[inline(never)]
pub fn set_str(target: &JsValue, key: &str, value: &str) {
    set_prop(target, key, &JsValue::from_str(value));
}

/// The one closure type the runtime hands to JS. Every distinct `Closure<dyn FnMut(…)>`
/// signature costs its own invoke export, JS adapter and import in the glue, so listeners,
/// timers and the mutation observer all take one `JsValue` (timers ignore it).
pub(crate) type JsClosure = Closure<dyn FnMut(JsValue)>;

/// Wraps a Rust callback for JS.
pub(crate) fn js_closure(f: impl FnMut(JsValue) + 'static) -> JsClosure {
    Closure::new(f)
}

/// A `setTimeout` or `setInterval`; dropping it cancels it and frees the closure.
///
/// Keep it in the widget's `Mounted` handle, so an unmount cancels it.
///
/// ```no_run
/// let timer = ck_runtime::Timer::once(1_500, || { /* … */ });
/// drop(timer); // cancelled
/// ```
#[must_use = "dropping the Timer cancels it"]
pub struct Timer {
    handle: i32,
    /// Set when a one-shot timer ran: clearing it then could hit a newer timer's id.
    fired: Rc<Cell<bool>>,
    _closure: JsClosure,
}

impl Timer {
    /// Calls `f` once after `ms` milliseconds, unless the timer is dropped first.
    pub fn once(ms: i32, f: impl FnOnce() + 'static) -> Timer {
        Timer::once_boxed(ms, Box::new(f))
    }

    /// The one copy of the timer code: every caller's callback arrives boxed.
    fn once_boxed(ms: i32, f: Box<dyn FnOnce()>) -> Timer {
        let fired = Rc::new(Cell::new(false));
        let flag = fired.clone();
        let mut f = Some(f);
        let closure = js_closure(move |_| {
            flag.set(true);
            if let Some(f) = f.take() {
                f();
            }
        });
        let handle = bindings::set_timeout(closure.as_ref().unchecked_ref(), ms);
        Timer {
            handle,
            fired,
            _closure: closure,
        }
    }

    /// Calls `f` every `ms` milliseconds until the timer is dropped (a countdown, a poll).
    ///
    /// ```no_run
    /// let mut ticks = 0;
    /// let tick = ck_runtime::Timer::every(1_000, move || ticks += 1);
    /// // Keep `tick` in the Mounted handle; unmounting drops it and the ticking stops.
    /// drop(tick);
    /// ```
    pub fn every(ms: i32, f: impl FnMut() + 'static) -> Timer {
        Timer::every_boxed(ms, Box::new(f))
    }

    fn every_boxed(ms: i32, mut f: Box<dyn FnMut()>) -> Timer {
        let closure = js_closure(move |_| f());
        let handle = bindings::set_interval(closure.as_ref().unchecked_ref(), ms);
        Timer {
            handle,
            fired: Rc::default(),
            _closure: closure,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        // `clearTimeout` also clears an interval: both share one list of ids (HTML spec,
        // timers), so one import serves both kinds.
        if !self.fired.get() {
            bindings::clear_timeout(self.handle);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn push_u32_matches_display() {
        for n in [0, 7, 10, 99, 1234, u32::MAX] {
            let mut s = String::new();
            super::push_u32(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn push_u32_padded_matches_format_width() {
        for (n, width) in [
            (0, 2),
            (7, 2),
            (10, 2),
            (5, 3),
            (1234, 2),
            (u32::MAX, 12),
            (3, 0),
        ] {
            let mut s = String::new();
            super::push_u32_padded(&mut s, n, width);
            assert_eq!(s, format!("{n:0width$}", width = width.clamp(1, 10)));
        }
    }
}
