//! What the public builder and the demo sites need besides the embed:
//!
//! - [`build_check`]: `ck-form-check` (the form's own config parser) for wasm32, through
//!   wasm-bindgen `--target web`, into `dist/builder/`. The server serves it to the builder page
//!   at `/assets/builder/`; it never ships to publishers' visitors.
//! - [`fetch_wordpress_css`]: the real `@wordpress/block-library` stylesheets for the WordPress demo
//!   site, from npm (`npm pack`, the tarball only: the package's dependency tree is not needed)
//!   into `target/js-tools/wordpress/`. GPL, so fetched by setup and never committed.

use std::path::Path;

use anyhow::{Context, Result};

use crate::sh::{cmd, output, run};
use crate::toolchain::{Wasm, WASM_TARGET};

const CHECK_PACKAGE: &str = "ck-form-check";
const CHECK_OUT: &str = "ck_form_check";

/// The pinned block library release whose stylesheets the WordPress site links.
const WP_BLOCK_LIBRARY: &str = "@wordpress/block-library@11.1.0";
/// The stylesheets a block theme loads on the front end.
const WP_STYLES: &[&str] = &["style.css", "theme.css", "common.css"];

/// Builds the builder's config check into `dist/builder/`.
pub(crate) fn build_check(root: &Path, target_dir: &Path, wasm: Wasm) -> Result<()> {
    let mut c = wasm.cargo();
    c.current_dir(root)
        .args(["build", "--quiet", "-p", CHECK_PACKAGE, "--profile", "wasm"])
        .args(["--target", WASM_TARGET, "-Zbuild-std=std,panic_abort"])
        .env("CARGO_TARGET_DIR", target_dir)
        // The embed's flags (dist.rs): the same std build serves both, nothing is rebuilt twice.
        .env("RUSTFLAGS", crate::dist::WASM_RUSTFLAGS);
    run(&mut c)?;
    let built = target_dir
        .join(WASM_TARGET)
        .join("wasm")
        .join(format!("{CHECK_OUT}.wasm"));
    let out = root.join("dist/builder");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    run(cmd(
        "wasm-bindgen",
        &[
            "--target",
            "web",
            "--no-typescript",
            "--remove-name-section",
            "--remove-producers-section",
            "--out-name",
            CHECK_OUT,
            "--out-dir",
        ],
    )
    .arg(&out)
    .arg(&built))?;
    // The form's parser reads JS values through the runtime's JS helpers (wasm-bindgen
    // `module = "/js/…"` snippets under `snippets/`): bundled into the module, so the page loads
    // one script and the server needs no nested asset paths.
    let module = out.join(format!("{CHECK_OUT}.js"));
    let bundled = output(
        cmd(
            &crate::npm::esbuild(root)?.to_string_lossy(),
            &["--bundle", "--format=esm", "--log-level=warning"],
        )
        .arg(&module),
    )
    .context("esbuild --bundle on the config check's module")?;
    std::fs::write(&module, bundled)?;
    let snippets = out.join("snippets");
    if snippets.exists() {
        std::fs::remove_dir_all(&snippets)?;
    }
    let size = std::fs::metadata(out.join(format!("{CHECK_OUT}_bg.wasm")))?.len();
    println!("dist: dist/builder/ (the builder's config check, {size} B wasm)");
    Ok(())
}

/// Fetches the WordPress block library's stylesheets when missing; quiet when present.
pub(crate) fn fetch_wordpress_css(root: &Path) -> Result<()> {
    let dir = root.join("target/js-tools/wordpress");
    if WP_STYLES.iter().all(|f| dir.join(f).is_file()) {
        return Ok(());
    }
    println!("setup: fetching {WP_BLOCK_LIBRARY} stylesheets (WordPress demo site) into target/js-tools/wordpress");
    let scratch = dir.join("pack");
    std::fs::create_dir_all(&scratch)?;
    let tarball = output(
        cmd(
            "npm",
            &["pack", "--silent", WP_BLOCK_LIBRARY, "--pack-destination"],
        )
        .arg(&scratch),
    )
    .with_context(|| format!("npm pack {WP_BLOCK_LIBRARY} (is npm installed?)"))?;
    let tarball = scratch.join(tarball.trim());
    let members: Vec<String> = WP_STYLES
        .iter()
        .map(|f| format!("package/build-style/{f}"))
        .collect();
    run(cmd("tar", &["-xzf"])
        .arg(&tarball)
        .arg("-C")
        .arg(&scratch)
        .args(&members))?;
    for f in WP_STYLES {
        std::fs::rename(scratch.join("package/build-style").join(f), dir.join(f))?;
    }
    std::fs::remove_dir_all(&scratch)?;
    Ok(())
}
