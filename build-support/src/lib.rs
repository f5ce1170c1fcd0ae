//! Build-time code generators shared by the crates' `build.rs` scripts. Host only: nothing here
//! reaches the wasm, only the text it generates does.
//!
//! - [`tokens`]: the Dieter design tokens (`dieter-tokens/tokens.json`, DTCG format) to Rust
//!   constants and CSS custom properties, for `dieter-tokens/build.rs`.
//! - [`icons`]: a directory of SVG files to one Rust `const` per icon, for `icons/build.rs` and
//!   the `icons-bench` binary.
//! - [`author`]: a widget crate's `build.rs`: its own icon folder from `[package.metadata.ck]`.
//!
//! ```
//! let tokens = ck_build::tokens::parse(r#"{"space": {"$type": "dimension", "1": {"$value": "4px"}}}"#)
//!     .expect("valid tokens");
//! assert_eq!(ck_build::tokens::css(&tokens.iter().collect::<Vec<_>>(), ck_build::tokens::Scope::Host),
//!            ":host{--ck-space-1:4px}");
//! ```

pub mod author;
pub mod icons;
pub mod tokens;
