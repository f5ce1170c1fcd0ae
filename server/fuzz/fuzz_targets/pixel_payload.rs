//! The usage pixel's body (`POST /api/v1/events`).
#![no_main]

libfuzzer_sys::fuzz_target!(|body: &[u8]| ck_server::fuzz::pixel_payload(body));
