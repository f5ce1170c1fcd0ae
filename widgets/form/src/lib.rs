//! The Form widget.
//!
//! - [`schema`]: the form's config types, the config parser and the submission validator. No DOM
//!   code: the server compiles this crate with `default-features = false` and runs the very same
//!   validation on every submission that the widget ran in the browser.
//! - The view (feature `dom`, on by default): the accessible form rendered into the widget's
//!   Shadow DOM, implementing the runtime's `Widget` trait.

pub mod schema;
