//! Conversion between JS values and [`Value`], so no Rust JSON parser ships in the wasm:
//! the browser's `JSON.parse`/`JSON.stringify` do the text work.

use crate::Value;
use js_sys::{Array, Object};
use wasm_bindgen::{JsCast, JsValue};

/// Nesting deeper than this is cut to `null`: a hostile config must not exhaust the stack.
const MAX_DEPTH: u32 = 32;

/// Converts a JS value (as produced by `JSON.parse`) into a [`Value`].
///
/// Functions, symbols and `undefined` become `Null`; so does anything nested deeper than 32.
///
/// ```no_run
/// let js = js_sys::JSON::parse(r#"{"title":"Hi"}"#).unwrap();
/// let value = ck_runtime::from_js(&js);
/// assert_eq!(value.get("title").as_str(), Some("Hi"));
/// ```
pub fn from_js(js: &JsValue) -> Value {
    convert(js, 0)
}

fn convert(js: &JsValue, depth: u32) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(b) = js.as_bool() {
        return Value::Bool(b);
    }
    if let Some(n) = js.as_f64() {
        return Value::Num(n);
    }
    if let Some(s) = js.as_string() {
        return Value::Str(s);
    }
    // Index loops rather than iterator adapters: each `collect` into a new Vec type is its own
    // monomorphised copy in the wasm.
    if let Some(arr) = js.dyn_ref::<Array>() {
        let mut items = Vec::new();
        for i in 0..arr.length() {
            items.push(convert(&arr.get(i), depth + 1));
        }
        return Value::Arr(items);
    }
    if js.is_object() && !js.is_function() {
        let keys = Object::keys(js.unchecked_ref::<Object>());
        let mut members = Vec::new();
        for i in 0..keys.length() {
            if let Some(name) = keys.get(i).as_string() {
                let item = crate::bindings::get(js, &name);
                members.push((name, convert(&item, depth + 1)));
            }
        }
        return Value::Obj(members);
    }
    Value::Null
}

/// Converts a [`Value`] into a plain JS value (object, array, string, number, boolean or null),
/// e.g. for an event detail.
///
/// ```no_run
/// use ck_runtime::Value;
/// let detail = ck_runtime::to_js(&Value::Obj(vec![("ok".into(), Value::Bool(true))]));
/// assert!(detail.is_object());
/// ```
pub fn to_js(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Num(n) => JsValue::from_f64(*n),
        Value::Str(s) => JsValue::from_str(s),
        Value::Arr(items) => {
            let arr = Array::new();
            for item in items {
                arr.push(&to_js(item));
            }
            arr.into()
        }
        Value::Obj(members) => {
            let obj = Object::new();
            for (key, item) in members {
                crate::util::set_prop(&obj, key, &to_js(item));
            }
            obj.into()
        }
    }
}

/// Parses JSON text with the browser's `JSON.parse`; `None` when it is not valid JSON.
pub(crate) fn parse(text: &str) -> Option<Value> {
    let js = crate::bindings::parse_json(text);
    (!js.is_undefined()).then(|| from_js(&js))
}

/// Serialises a JS value with `JSON.stringify` (empty when it refuses, e.g. a cycle).
pub(crate) fn stringify_js(value: &JsValue) -> String {
    crate::bindings::stringify(value)
}
