//! Entry points of the cargo-fuzz targets in `server/fuzz/` (cargo feature `fuzzing`; see
//! `cargo xtask fuzz`). Each runs one parser of untrusted input the way the server does and
//! asserts what must hold whatever the input; a panic (or a libFuzzer timeout) is a finding, and
//! each finding becomes a regression test next to the parser.

use crate::{billing::signature, tokens, usage};

/// The pixel body (`POST /api/v1/events`): every accepted batch is in range; every refusal is
/// `400 invalid_events`.
pub fn pixel_payload(body: &[u8]) {
    match usage::http::parse_batch(body) {
        Ok(batch) => {
            assert!((1..=usage::http::MAX_EVENTS).contains(&batch.events.len()));
            for e in &batch.events {
                assert!((1..=i64::from(usage::http::MAX_COUNT)).contains(&e.n));
                assert!(e.id.is_some() || e.kind == usage::Kind::Load);
                assert!(e.ms.is_none_or(|ms| (0.0..=3_600_000.0).contains(&ms)));
            }
        }
        Err(e) => assert_eq!(e.status_code().as_u16(), 400, "{e}"),
    }
}

/// The embed and draft token format: what parses has the prefix, the length and a valid checksum
/// (re-checked by rebuilding it), and the display helpers never panic.
pub fn token(input: &str) {
    let _ = tokens::hint(input);
    let _ = tokens::last4(input);
    if let Ok(kind) = tokens::parse(input) {
        assert!(input.starts_with(kind.prefix()));
        assert_eq!(input.len(), kind.prefix().len() + 36);
        assert!(tokens::parse_kind(input, kind).is_ok());
    }
}

/// The `Stripe-Signature` header: any header and body are answered without a panic, and a header
/// signed for the body at `now` always verifies (with several secrets configured).
pub fn stripe_signature(header: &str, body: &[u8], now: i64) {
    let secrets = ["whsec_old".to_owned(), "whsec_fuzz".to_owned()];
    let _ = signature::verify(
        header,
        body,
        &secrets,
        now,
        signature::DEFAULT_TOLERANCE_SECS,
    );
    let signed = signature::sign("whsec_fuzz", now, body);
    assert_eq!(
        signature::verify(
            &signed,
            body,
            &secrets,
            now,
            signature::DEFAULT_TOLERANCE_SECS
        ),
        Ok(())
    );
}

/// A form config as `POST /api/v1/drafts` takes it (JSON → `FormConfig::parse`), and a submission's
/// values checked against it as `POST /api/v1/submissions` does. Input: config JSON, a NUL byte,
/// values JSON (without the NUL, a fixed config with every field kind checks the values).
pub fn form(input: &[u8]) {
    let (config, values) = match input.iter().position(|b| *b == 0) {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (FIXED_FORM.as_bytes(), input),
    };
    let Ok(config) = serde_json::from_slice::<serde_json::Value>(config) else {
        return;
    };
    let Ok(form) = crate::widgets::form_config(&config) else {
        return;
    };
    let Ok(values) = serde_json::from_slice::<serde_json::Value>(values) else {
        return;
    };
    if let Err(errors) = form.validate(&ck_runtime::Value::from(&values)) {
        assert!(!errors.is_empty());
        for e in errors {
            assert!(
                e.name.is_empty() || values.get(&e.name).is_some() || form.field(&e.name).is_some(),
                "{e:?}"
            );
            assert!(!e.message.is_empty());
        }
    }
}

/// Every field kind, with lengths, ranges, options and a pattern.
const FIXED_FORM: &str = r#"{"fields":[
 {"type":"text","name":"name","label":"Name","required":true,"max_length":20,"pattern":"[A-Za-z ]+"},
 {"type":"email","name":"email","label":"Email","required":true},
 {"type":"url","name":"site","label":"Site"},
 {"type":"tel","name":"tel","label":"Phone"},
 {"type":"number","name":"age","label":"Age","min":0,"max":150},
 {"type":"textarea","name":"msg","label":"Message","min_length":2},
 {"type":"select","name":"plan","label":"Plan","options":["a","b"]},
 {"type":"radio","name":"size","label":"Size","options":["s","m"]},
 {"type":"checkbox","name":"agree","label":"I agree","required":true}
]}"#;

#[cfg(test)]
mod tests {
    /// The fixed form of [`super::form`] parses, so the target checks values, not just configs.
    #[test]
    fn fixed_form_parses() {
        let config: serde_json::Value = serde_json::from_str(super::FIXED_FORM).expect("json");
        crate::widgets::form_config(&config).expect("valid");
        super::form(br#"{"name":"Ann","email":"a@b.co","agree":true}"#);
        super::pixel_payload(br#"{"token":"x","events":[{"k":"load"}]}"#);
        super::token("ck_pub_");
        super::stripe_signature("t=1,v1=00", b"{}", 1_000);
    }
}
