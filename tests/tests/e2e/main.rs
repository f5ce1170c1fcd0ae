//! The browser end-to-end tests, one binary (one link step) with a module per subject: the
//! real server (`ck_server::spawn`, serving `dist/` built by `cargo xtask dist` and
//! `examples/pages/`) and real headless Chromium, through the harness in the `ck_e2e` library.
//! Needs chromedriver and chromium (`CHROMEDRIVER`, `CHROME` to override), and npm for axe-core on
//! first run. One subject: `cargo test -p ck-e2e --test e2e form::`.

mod announcement;
mod blocked_api;
mod builder;
mod chunks;
mod claim;
mod dashboard;
mod embed;
mod form;
mod form_data;
mod modes;
mod rating;
mod screens;
mod sites;
mod wave;
