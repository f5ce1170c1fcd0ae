//! The `Stripe-Signature` header: first 8 bytes are "now", then the header, a NUL, the body.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let Some((now, rest)) = input.split_first_chunk::<8>() else {
        return;
    };
    let (header, body) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    if let Ok(header) = std::str::from_utf8(header) {
        ck_server::fuzz::stripe_signature(header, body, i64::from_le_bytes(*now));
    }
});
