//! The browser end-to-end harness: what the tests in `tests/e2e/` and the `embed-bench` bin share.
//!
//! - [`Server`]: the real server (`ck_server::spawn` on port 0, a fresh SQLite database) serving
//!   `dist/` (or a widget variant of it, [`dist_dir`]) and `examples/pages/`.
//! - [`Browser`]: chromedriver + headless Chromium over plain WebDriver HTTP. Dropping it ends the
//!   WebDriver session and kills whatever is left of that browser, so no test (failing,
//!   panicking or timing out) leaves Chromium running.
//! - [`Page`]: a server and a browser on one of its pages; [`FormPage`]: the Form widget mounted
//!   from a real draft.
//!
//! Run `cargo xtask dist` first; the harness fails with that advice when `dist/` is missing.

mod axe;
mod browser;
mod form;
mod page;
mod server;
mod shots;

pub use browser::{keys, Browser};
pub use form::{contact_config, FormPage, HOST};
pub use page::Page;
pub use server::{dist_dir, repo_root, Server};
pub use shots::screenshot_dir;
