//! Small helpers that keep `core::fmt` out of the wasm.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::bindings;

/// Appends the decimal digits of `n` (what `format!("{n}")` would do, without the formatter).
pub(crate) fn push_u32(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits[..len].iter().rev() {
        out.push(d as char);
    }
}

/// A plain JS object from key/value pairs (event details, init dictionaries).
pub(crate) fn js_object(pairs: &[(&str, JsValue)]) -> JsValue {
    let obj: JsValue = Object::new().into();
    for (key, value) in pairs {
        set_prop(&obj, key, value);
    }
    obj
}

/// `target[key]`; `undefined` when absent or when the getter throws.
pub(crate) fn get_prop(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `target[key] = value`; a frozen or exotic target that refuses is ignored.
pub(crate) fn set_prop(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// The one closure type the runtime hands to JS. Every distinct `Closure<dyn FnMut(…)>`
/// signature costs its own invoke export, JS adapter and import in the glue, so listeners,
/// timers and the mutation observer all take one `JsValue` (timers ignore it).
pub(crate) type JsClosure = Closure<dyn FnMut(JsValue)>;

/// Wraps a Rust callback for JS.
pub(crate) fn js_closure(f: impl FnMut(JsValue) + 'static) -> JsClosure {
    Closure::new(f)
}

/// A one-shot `setTimeout`; dropping it before it fires cancels it and frees the closure.
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
}

impl Drop for Timer {
    fn drop(&mut self) {
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
}
