//! Build tools from the npm registry, pinned, installed into `target/js-tools` by `cargo xtask
//! setup` (and on first use by `dist`): esbuild minifies the glue, binaryen's wasm-opt optimises
//! the wasm. Pinned because their output is what ships: a new release may change the bytes.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};

use crate::sh::{cmd, output, run};

/// One pinned npm package and the executable of it the build runs.
struct Tool {
    /// Package name.
    package: &'static str,
    /// Exact version installed.
    version: &'static str,
    /// Executable under `node_modules/.bin`.
    bin: &'static str,
    /// What `<bin> --version` prints, trimmed, when the pinned version is installed.
    reports: &'static str,
    /// Why the build needs it (for the install line and errors).
    purpose: &'static str,
}

/// The glue minifier.
const ESBUILD: Tool = Tool {
    package: "esbuild",
    version: "0.24.2",
    bin: "esbuild",
    reports: "0.24.2",
    purpose: "glue minifier",
};

/// binaryen's wasm-opt, compiled to wasm and run by node. Debian's binaryen is 108 (2022); 132
/// makes the form build's wasm ~700 B gzip smaller (34,833 → 34,124 at the chosen level) and has
/// no externref-export bug (see shrink.rs). Under node it is ~5x slower than the native 108
/// (-Os: 4.6 s vs 0.8 s), which `dist` partly offsets by running trials in parallel.
const BINARYEN: Tool = Tool {
    package: "binaryen",
    version: "132.0.0",
    bin: "wasm-opt",
    reports: "wasm-opt version 132 (version_132)",
    purpose: "wasm optimiser",
};

fn prefix(root: &Path) -> PathBuf {
    root.join("target/js-tools")
}

fn bin_path(root: &Path, tool: &Tool) -> PathBuf {
    prefix(root).join("node_modules/.bin").join(tool.bin)
}

fn installed(root: &Path, tool: &Tool) -> bool {
    output(&mut cmd(
        &bin_path(root, tool).to_string_lossy(),
        &["--version"],
    ))
    .is_ok_and(|v| v.trim() == tool.reports)
}

/// Installs whichever of `tools` is missing or at another version, in one npm call; quiet when
/// all are present.
fn ensure(root: &Path, tools: &[&Tool]) -> Result<()> {
    let missing: Vec<&&Tool> = tools.iter().filter(|t| !installed(root, t)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let specs: Vec<String> = missing
        .iter()
        .map(|t| format!("{}@{}", t.package, t.version))
        .collect();
    let purposes: Vec<&str> = missing.iter().map(|t| t.purpose).collect();
    println!(
        "setup: installing {} ({}) into target/js-tools",
        specs.join(" "),
        purposes.join(", ")
    );
    let prefix = prefix(root);
    std::fs::create_dir_all(&prefix)?;
    run(cmd(
        "npm",
        &["install", "--no-audit", "--no-fund", "--silent", "--prefix"],
    )
    .arg(&prefix)
    .args(&specs))
    .with_context(|| format!("npm install {} (is npm installed?)", specs.join(" ")))?;
    for t in missing {
        let have = output(&mut cmd(
            &bin_path(root, t).to_string_lossy(),
            &["--version"],
        ))
        .with_context(|| format!("{} was installed but does not run", t.bin))?;
        ensure!(
            have.trim() == t.reports,
            "{} reports {have:?}, want {:?}",
            t.bin,
            t.reports
        );
    }
    Ok(())
}

/// Every npm tool the build uses (for `cargo xtask setup`).
pub(crate) fn setup(root: &Path) -> Result<()> {
    ensure(root, &[&ESBUILD, &BINARYEN])
}

/// The pinned esbuild, installed if missing.
pub(crate) fn esbuild(root: &Path) -> Result<PathBuf> {
    ensure(root, &[&ESBUILD])?;
    Ok(bin_path(root, &ESBUILD))
}

/// Installs the pinned wasm-opt if missing (once per `dist`, before the parallel trials).
pub(crate) fn ensure_wasm_opt(root: &Path) -> Result<()> {
    ensure(root, &[&BINARYEN])
}

/// Where the pinned wasm-opt is (after [`ensure_wasm_opt`]).
pub(crate) fn wasm_opt(root: &Path) -> PathBuf {
    bin_path(root, &BINARYEN)
}
