//! Browser end-to-end tests of the embed (in `tests/`) and the `embed-bench` bin.
//!
//! The shared harness lives in `tests/form_support/mod.rs`: the real server
//! (`ck_server::spawn` on port 0 with a fresh SQLite database, serving `dist/` and
//! `examples/pages/`) and chromedriver + headless Chromium over plain WebDriver HTTP.
//! Run `cargo xtask dist` first; the harness fails with that advice when `dist/` is missing.
