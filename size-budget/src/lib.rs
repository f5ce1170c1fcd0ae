//! Size budgets for the embed's build artefacts.
//!
//! The embed lives or dies by its transfer size, so every artefact is measured the way a browser
//! receives it: raw, gzip (made by zopfli, as the server's `.gz` files are) and brotli (quality
//! 11). A budgets file in the repo (like size-limit's config) names file globs, a compression and
//! a limit; [`check`] turns it into a [`Report`] that prints as a table and lists every overshoot.
//! Limits count 1 KB as 1,000 bytes, as size-limit does.
//!
//! Also here, because the build pipeline and CI share them: the largest functions of a wasm from
//! its name section ([`top_functions`]), the release manifest with SRI hashes ([`manifest`]) and
//! the allowlist of crates that may enter the wasm ([`deps`]).

mod budget;
pub mod deps;
pub mod manifest;
mod measure;
mod wasm;

pub use budget::{check, Budget, BudgetFile, Compression, Report, Row};
pub use measure::{brotli, gzip, gzip9, measure, Sizes};
pub use wasm::{by_crate, crate_of, function_names, top_functions, FunctionSize};
