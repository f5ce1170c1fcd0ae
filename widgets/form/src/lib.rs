//! The Form widget.
//!
//! - [`schema`]: the form's config types, the config parser and the submission validator. No DOM
//!   code: the server compiles this crate with `default-features = false` and runs the very same
//!   validation on every submission that the widget ran in the browser.
//! - [`submit`]: the submission request body and reading the server's error answer.
//! - [`Form`] (feature `dom`, on by default): the accessible form rendered into the widget's
//!   Shadow DOM, implementing the runtime's [`ck_runtime::Widget`] trait. Register it with
//!   `ck_runtime::Registry::new().with::<ck_form::Form>()`.

pub mod schema;
pub mod submit;
#[cfg(feature = "dom")]
mod view;

#[cfg(feature = "dom")]
pub use view::{Form, Mounted};
