//! A small JSON value tree shared by the runtime, widget config parsers and the server.
//!
//! In the browser it is built from `JSON.parse` output (no Rust JSON parser in the wasm); on the
//! server it is built from `serde_json::Value`. Widget config parsers take `&Value`, so the same
//! validation code runs on both sides.

use std::string::String;
use std::vec::Vec;

/// A JSON value. Objects keep insertion order in a `Vec` (small, no hashing code in the wasm).
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// `null` (also the value of a missing key).
    #[default]
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Any JSON number.
    Num(f64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Value>),
    /// An object, keys in source order.
    Obj(Vec<(String, Value)>),
}

static NULL: Value = Value::Null;

impl Value {
    /// The member `key` of an object, or `Null` when absent or not an object.
    pub fn get(&self, key: &str) -> &Value {
        match self {
            Value::Obj(members) => members
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&NULL, |(_, v)| v),
            _ => &NULL,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Arr(items) => Some(items),
            _ => None,
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Deep-merges `over` onto `self`: objects merge key by key, anything else is replaced.
    /// Used for inline `data-ck-config` over the fetched config manifest.
    pub fn merge(&mut self, over: Value) {
        match (self, over) {
            (Value::Obj(base), Value::Obj(over)) => {
                for (key, value) in over {
                    match base.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, slot)) => slot.merge(value),
                        None => base.push((key, value)),
                    }
                }
            }
            (slot, over) => *slot = over,
        }
    }
}

/// The server's side of "one JSON → `Value` conversion" (feature `serde_json`, host only):
/// numbers become `f64` as `JSON.parse` makes them in the browser; members come in
/// `serde_json`'s map order.
///
/// ```
/// # #[cfg(feature = "serde_json")] {
/// use ck_runtime::Value;
/// let json = serde_json::json!({"title": "Hi", "fields": [1, true, null]});
/// let value = Value::from(&json);
/// assert_eq!(value.get("title").as_str(), Some("Hi"));
/// # }
/// ```
#[cfg(feature = "serde_json")]
impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Num(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(items) => Value::Arr(items.iter().map(Value::from).collect()),
            serde_json::Value::Object(map) => Value::Obj(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from(v)))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(members: &[(&str, Value)]) -> Value {
        Value::Obj(
            members
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn get_missing_is_null() {
        let v = obj(&[("a", Value::Num(1.0))]);
        assert_eq!(v.get("a").as_f64(), Some(1.0));
        assert!(v.get("b").is_null());
        assert!(Value::Num(2.0).get("a").is_null());
    }

    #[test]
    fn merge_is_deep_and_replaces_leaves() {
        let mut base = obj(&[
            ("title", Value::Str("A".into())),
            (
                "nested",
                obj(&[("x", Value::Num(1.0)), ("y", Value::Num(2.0))]),
            ),
        ]);
        base.merge(obj(&[
            ("title", Value::Str("B".into())),
            ("nested", obj(&[("y", Value::Num(3.0))])),
            ("new", Value::Bool(true)),
        ]));
        assert_eq!(base.get("title").as_str(), Some("B"));
        assert_eq!(base.get("nested").get("x").as_f64(), Some(1.0));
        assert_eq!(base.get("nested").get("y").as_f64(), Some(3.0));
        assert_eq!(base.get("new").as_bool(), Some(true));
    }
}
