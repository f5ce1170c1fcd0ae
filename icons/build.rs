//! Runs the icon pipeline (`ck_build::icons`) over `svg/` (plus `CK_ICONS_DIR`, if set) into
//! `$OUT_DIR/icons.rs`.

use std::path::{Path, PathBuf};

use ck_build::icons as pipeline;

fn main() {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let default_dir = manifest_dir.join("svg");
    println!("cargo::rerun-if-changed={}", default_dir.display());
    println!("cargo::rerun-if-env-changed=CK_ICONS_DIR");
    println!("cargo::rerun-if-env-changed=CK_ICONS_PRECISION");
    println!("cargo::rerun-if-env-changed=CK_ICONS_SF_VARIANT");

    let mut dirs = vec![default_dir];
    if let Some(extra) = std::env::var_os("CK_ICONS_DIR").filter(|d| !d.is_empty()) {
        // Relative paths are taken from the workspace root, where users run cargo.
        let extra = PathBuf::from(extra);
        let extra = if extra.is_absolute() {
            extra
        } else {
            manifest_dir.parent().unwrap_or(&manifest_dir).join(extra)
        };
        println!("cargo::rerun-if-changed={}", extra.display());
        dirs.push(extra);
    }
    let mut options = pipeline::Options::default();
    if let Ok(p) = std::env::var("CK_ICONS_PRECISION") {
        options.precision = p
            .parse()
            .unwrap_or_else(|_| panic!("CK_ICONS_PRECISION={p:?} is not a number of decimals"));
    }
    if let Ok(variant) = std::env::var("CK_ICONS_SF_VARIANT") {
        // Options is Copy with a 'static str; a build script runs once, so leaking one string is fine.
        options.sf_variant = Box::leak(variant.into_boxed_str());
    }

    let dir_refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let icons = match pipeline::load_dirs(&dir_refs, options) {
        Ok(icons) => icons,
        Err(errors) => panic!("ck-icons: {errors}"),
    };
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("icons.rs");
    std::fs::write(&out, pipeline::generate(&icons))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
