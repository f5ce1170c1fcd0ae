//! Widget types and their configs: which types exist (the `widgets` table), how a config is checked
//! (with the widget's own parser, the code the browser runs), and the config manifest the embed
//! fetches ([`http`]).

pub(crate) mod db;
pub(crate) mod http;

use crate::error::Error;

/// Whether `name` can be a widget type: 1 to 32 of `a-z`, `0-9` and `-`. Whether the type exists is
/// the `widgets` table's answer.
pub(crate) fn is_type_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Validates a widget config with the widget's own parser (the code the browser runs).
pub(crate) fn validate_config(widget: &str, config: &serde_json::Value) -> Result<(), Error> {
    if widget == "form" {
        if let Err(e) = form_config(config) {
            let mut fields = serde_json::Map::new();
            fields.insert(
                format!("config.{}", e.path),
                serde_json::Value::String(e.reason.to_string()),
            );
            return Err(Error::validation(
                format!("invalid form config at `{}`: {}", e.path, e.reason),
                fields,
            ));
        }
    } else if !config.is_object() {
        return Err(Error::bad_request(
            "invalid_config",
            "config must be a JSON object",
        ));
    }
    Ok(())
}

/// A config parsed as a form's, with the form widget's own parser.
pub(crate) fn form_config(
    config: &serde_json::Value,
) -> Result<ck_form::schema::FormConfig, ck_form::schema::ConfigError> {
    ck_form::schema::FormConfig::parse(&ck_runtime::Value::from(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        for good in ["form", "nps-2", "a"] {
            assert!(is_type_name(good), "{good}");
        }
        for bad in ["", "Form", "form!", "a b", &"x".repeat(33)] {
            assert!(!is_type_name(bad), "{bad}");
        }
    }
}
