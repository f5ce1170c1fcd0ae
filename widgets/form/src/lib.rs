//! The Form widget.
//!
//! - [`schema`]: the form's config: the structural [`schema::check`] the widget runs on every
//!   mount, and (feature `validate`) the typed config with every rule and the submission
//!   validator the server runs. No DOM code: the server compiles this crate with
//!   `default-features = false, features = ["validate"]`.
//! - [`Form`] (feature `dom`, on by default): the accessible form rendered into the widget's
//!   Shadow DOM, implementing the runtime's [`ck_runtime::Widget`] trait. Register it with
//!   `ck_runtime::Registry::new().with::<ck_form::Form>()`.

pub mod lang;
pub mod schema;
#[cfg(feature = "dom")]
mod view;

#[cfg(feature = "dom")]
pub use view::{Built, Form, Mounted};
