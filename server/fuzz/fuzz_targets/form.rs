//! Form config (`POST /api/v1/drafts`) and submission values (`POST /api/v1/submissions`).
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| ck_server::fuzz::form(input));
