//! What a widget author's `build.rs` calls: icons from the crate's own folder, declared in its
//! `Cargo.toml`, with nothing to set in the environment.
//!
//! ```toml
//! [package.metadata.ck]
//! icons = "icons"          # a folder of SVG files, relative to the crate's Cargo.toml
//!
//! [build-dependencies]
//! ck-build = { workspace = true }
//! ```
//!
//! ```no_run
//! // build.rs: `fn main() { … }` around this line
//! ck_build::author::icons();
//! ```
//!
//! and in `src/lib.rs` `ck_icons::include_icons!();`, which declares `mod icons` with one
//! `pub const` per file (`star.svg` → `icons::STAR`), made by the same pipeline as the shared set
//! (`crate::icons`: checked, flattened, `currentColor`). An icon no code names costs no bytes.

use std::path::{Path, PathBuf};

/// The file `icons` writes into `OUT_DIR` (what `ck_icons::include_icons!` includes).
pub const ICONS_FILE: &str = "ck_icons.rs";

/// For a widget crate's `build.rs`: runs the icon pipeline over the folder named by
/// `[package.metadata.ck] icons` of the crate's `Cargo.toml` into `$OUT_DIR/ck_icons.rs` (an
/// empty set when the key is absent), and tells cargo to rerun when the manifest or a file of
/// the folder changes.
///
/// Panics with the reason (a bad metadata value, a missing folder, every rejected SVG file): a
/// build script has no better way to fail.
pub fn icons() {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let manifest = manifest_dir.join("Cargo.toml");
    println!("cargo::rerun-if-changed={}", manifest.display());
    let text = std::fs::read_to_string(&manifest)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
    let icons = match icons_dir(&text) {
        Ok(Some(dir)) => {
            let dir = manifest_dir.join(dir);
            println!("cargo::rerun-if-changed={}", dir.display());
            crate::icons::load_dirs(&[dir.as_path()], crate::icons::Options::default())
                .unwrap_or_else(|errors| panic!("{}: {errors}", manifest.display()))
        }
        Ok(None) => Vec::new(),
        Err(reason) => panic!("{}: [package.metadata.ck] {reason}", manifest.display()),
    };
    let out = Path::new(&std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join(ICONS_FILE);
    std::fs::write(&out, crate::icons::generate_local(&icons))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

/// The `icons` value of the `[package.metadata.ck]` table of a `Cargo.toml`: `Ok(None)` without
/// the table or the key, `Err` for a value that is not a plain relative path in a basic
/// string. Reads the one table line by line (the workspace has no TOML parser, and a build
/// script should not compile one for a key): a key in an inline table or a dotted key
/// (`package.metadata.ck.icons = …`) is not seen, so the docs show the one form.
///
/// ```
/// let toml = "[package]\nname = \"ck-rating\"\n\n[package.metadata.ck]\nicons = \"icons\" # ours\n";
/// assert_eq!(ck_build::author::icons_dir(toml), Ok(Some("icons".to_string())));
/// assert_eq!(ck_build::author::icons_dir("[package]\nname = \"x\"\n"), Ok(None));
/// ```
pub fn icons_dir(cargo_toml: &str) -> Result<Option<String>, String> {
    let mut in_table = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_table = line.split('#').next().map(str::trim) == Some("[package.metadata.ck]");
            continue;
        }
        if !in_table {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != "icons" {
            continue;
        }
        let value = value.trim();
        let rest = value
            .strip_prefix('"')
            .ok_or("icons must be a string: icons = \"icons\"")?;
        let (dir, after) = rest
            .split_once('"')
            .ok_or("icons: the string is not closed")?;
        let after = after.trim();
        if !(after.is_empty() || after.starts_with('#')) {
            return Err(format!("icons: unexpected {after:?} after the string"));
        }
        if dir.is_empty() || dir.contains('\\') {
            return Err("icons must be a folder path without escapes".into());
        }
        if Path::new(dir).is_absolute() || dir.split('/').any(|part| part == "..") {
            return Err(format!(
                "icons = {dir:?} must be a folder inside the crate (relative, no `..`)"
            ));
        }
        return Ok(Some(dir.to_string()));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::icons_dir;

    #[test]
    fn reads_the_one_key_of_the_one_table() {
        for (toml, want) in [
            (
                "[package.metadata.ck]\nicons = \"icons\"\n",
                Ok(Some("icons")),
            ),
            (
                "[package.metadata.ck]  # ours\n  icons=\"assets/svg\"   # star\n",
                Ok(Some("assets/svg")),
            ),
            ("[package]\nicons = \"no\"\n", Ok(None)),
            (
                "[package.metadata.ck]\nother = 1\n[dependencies]\nicons = \"no\"\n",
                Ok(None),
            ),
            ("[package.metadata.ckx]\nicons = \"no\"\n", Ok(None)),
            ("", Ok(None)),
            ("[package.metadata.ck]\nicons = 3\n", Err("string")),
            ("[package.metadata.ck]\nicons = \"a\n", Err("not closed")),
            (
                "[package.metadata.ck]\nicons = \"a\" b\n",
                Err("unexpected"),
            ),
            ("[package.metadata.ck]\nicons = \"\"\n", Err("folder")),
            (
                "[package.metadata.ck]\nicons = \"/etc\"\n",
                Err("inside the crate"),
            ),
            (
                "[package.metadata.ck]\nicons = \"../x\"\n",
                Err("inside the crate"),
            ),
        ] {
            match (icons_dir(toml), want) {
                (Ok(got), Ok(want)) => assert_eq!(got.as_deref(), want, "{toml:?}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{toml:?}: {got}"),
                (got, want) => panic!("{toml:?}: got {got:?}, want {want:?}"),
            }
        }
    }
}
