//! The builder's config check: the Form widget's own parser (`ck_form::schema::FormConfig::parse`,
//! the code the server runs before it stores a config) compiled to wasm, so the public builder
//! refuses exactly what `POST /api/v1/drafts` would refuse, without a JavaScript copy of the rules.
//!
//! `cargo xtask dist` builds it into `dist/builder/` (wasm-bindgen `--target web`); the server
//! serves it at `/assets/builder/ck_form_check.js` for the builder's `editor.js`. It is a separate
//! module from the embed: a publisher's visitors never download it.

use ck_form::schema::{ConfigError, FormConfig};
use ck_runtime::Value;
use wasm_bindgen::prelude::*;

/// The first problem of a config, as the server would name it: `path` (`fields[2].label`,
/// `redirect_url`, empty for the whole config) and `reason`. `None` when the config is valid.
pub fn check(config: &Value) -> Option<ConfigError> {
    FormConfig::parse(config).err()
}

/// `validate(config)` for JavaScript: takes the config object (as `JSON.parse` makes it) and
/// returns `null` when the server would accept it, else `{path, reason}`.
#[wasm_bindgen]
pub fn validate(config: &JsValue) -> JsValue {
    match check(&ck_runtime::from_js(config)) {
        None => JsValue::NULL,
        Some(e) => ck_runtime::js::js_object(&[
            ("path", JsValue::from_str(&e.path)),
            ("reason", JsValue::from_str(&e.reason)),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: &str, name: &str, extra: &[(&str, Value)]) -> Value {
        let mut members = vec![
            ("type".to_owned(), Value::Str(kind.into())),
            ("name".to_owned(), Value::Str(name.into())),
            ("label".to_owned(), Value::Str(name.into())),
        ];
        members.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        Value::Obj(members)
    }

    fn config(fields: Vec<Value>) -> Value {
        Value::Obj(vec![("fields".into(), Value::Arr(fields))])
    }

    #[test]
    fn names_the_path_the_server_names() {
        for (value, path) in [
            (config(vec![field("text", "a", &[])]), None),
            (config(vec![]), Some("fields")),
            (
                config(vec![field("text", "a", &[]), field("text", "a", &[])]),
                Some("fields[1].name"),
            ),
            (
                config(vec![field(
                    "number",
                    "n",
                    &[("min", Value::Num(5.0)), ("max", Value::Num(1.0))],
                )]),
                Some("fields[0].min"),
            ),
        ] {
            assert_eq!(check(&value).map(|e| e.path), path.map(String::from));
        }
    }
}
