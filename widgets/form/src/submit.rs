//! The submission request and the server's answer, without DOM code (host-testable).

use std::string::String;
use std::vec::Vec;

use ck_runtime::Value;

use crate::schema::FieldError;

/// API path the form posts to.
pub const SUBMISSIONS_PATH: &str = "/api/v1/submissions";

/// The JSON body of `POST /api/v1/submissions` (the runtime's HTTP helper adds `token`):
/// `{"id": …, "values": {…}, "hp": …, "elapsed_ms": …}`.
pub fn request_body(instance_id: &str, values: Value, honeypot: String, elapsed_ms: f64) -> Value {
    Value::Obj(std::vec![
        ("id".into(), Value::Str(instance_id.into())),
        ("values".into(), values),
        ("hp".into(), Value::Str(honeypot)),
        ("elapsed_ms".into(), Value::Num(elapsed_ms.max(0.0).floor())),
    ])
}

/// Per-field messages from a 4xx error body `{"error":{"fields":{"email":"…"}}}`, as
/// [`FieldError`]s with code `server`.
pub fn server_field_errors(body: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Value::Obj(members) = body.get("error").get("fields") {
        for (name, message) in members {
            if let Some(message) = message.as_str() {
                errors.push(FieldError {
                    name: name.clone(),
                    code: "server",
                    message: message.into(),
                });
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_contract_shape() {
        let values = Value::Obj(vec![("a".into(), Value::Bool(true))]);
        let body = request_body("w1", values.clone(), String::new(), 4200.7);
        assert_eq!(body.get("id").as_str(), Some("w1"));
        assert_eq!(body.get("values"), &values);
        assert_eq!(body.get("hp").as_str(), Some(""));
        assert_eq!(body.get("elapsed_ms").as_f64(), Some(4200.0));
        assert!(
            body.get("token").is_null(),
            "the HTTP helper adds the token"
        );
    }

    #[test]
    fn reads_server_field_errors() {
        let body = Value::Obj(vec![(
            "error".into(),
            Value::Obj(vec![
                ("code".into(), Value::Str("validation".into())),
                (
                    "fields".into(),
                    Value::Obj(vec![
                        ("email".into(), Value::Str("Bad email".into())),
                        ("x".into(), Value::Num(1.0)),
                    ]),
                ),
            ]),
        )]);
        let errors = server_field_errors(&body);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].name.as_str(), errors[0].code),
            ("email", "server")
        );
        assert_eq!(errors[0].message, "Bad email");
        assert!(server_field_errors(&Value::Null).is_empty());
    }
}
