//! The embed / draft token format (`ck_pub_…`, `ck_draft_…`).
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &str| ck_server::fuzz::token(input));
