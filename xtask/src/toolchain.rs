//! `cargo xtask setup`: everything a fresh machine needs for the embed, installed only when
//! missing, so a second run is quiet and takes well under a second.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::sh::{cmd, env_nonempty, on_path, output, run, succeeds};

pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Which Rust toolchain builds the wasm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wasm {
    /// rustup's active toolchain with the wasm32 target and rust-src (a laptop, or a machine that
    /// reaches rustup's servers). build-std works through RUSTC_BOOTSTRAP; clippy works for wasm.
    Stable,
    /// Debian's rustc-web/cargo-web/rust-web-src linked as rustup toolchain `web` (machines where
    /// rustup cannot download the wasm32 std). build-std from the packaged sources; no clippy.
    Web,
}

impl Wasm {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Wasm::Stable => "stable (rustup target wasm32-unknown-unknown + rust-src, build-std via RUSTC_BOOTSTRAP)",
            Wasm::Web => "web (Debian rustc-web + rust-web-src linked as `rustup toolchain link web /usr`, build-std via RUSTC_BOOTSTRAP)",
        }
    }

    /// `cargo` for wasm builds: `cargo +web` on the Debian path; build-std needs the nightly
    /// `-Z` flags, which RUSTC_BOOTSTRAP unlocks on these stable compilers.
    pub(crate) fn cargo(self) -> Command {
        let mut c = Command::new("cargo");
        if self == Wasm::Web {
            c.arg("+web");
        }
        c.env("RUSTC_BOOTSTRAP", "1");
        c
    }

    /// Clippy for wasm32 needs the target's std metadata next to clippy; rustc-web ships no
    /// clippy, so only the stable path has it.
    pub(crate) fn has_wasm_clippy(self) -> bool {
        self == Wasm::Stable
    }

    /// Whether a prebuilt wasm32 std exists (so tests and clippy can skip build-std).
    pub(crate) fn prebuilt_std(self) -> bool {
        self == Wasm::Stable
    }
}

fn rustup_has(list: &str, what: &str) -> bool {
    output(&mut cmd("rustup", &[list, "list", "--installed"]))
        .map(|o| o.lines().any(|l| l.trim().starts_with(what)))
        .unwrap_or(false)
}

fn stable_ready() -> bool {
    on_path("rustup") && rustup_has("target", WASM_TARGET) && rustup_has("component", "rust-src")
}

fn web_ready() -> bool {
    succeeds(&mut cmd("rustc", &["+web", "--version"]))
        && Path::new("/usr/lib/rustlib/src/rust/library/std").is_dir()
        && Path::new("/usr/bin/rust-lld").exists()
}

fn forced() -> Result<Option<Wasm>> {
    match env_nonempty("CK_WASM_TOOLCHAIN").as_deref() {
        None => Ok(None),
        Some("stable") => Ok(Some(Wasm::Stable)),
        Some("web") => Ok(Some(Wasm::Web)),
        Some(other) => bail!("CK_WASM_TOOLCHAIN={other:?}: use stable or web"),
    }
}

/// The wasm toolchain that is ready now, without installing anything.
pub(crate) fn detect() -> Result<Wasm> {
    let ready = match forced()? {
        Some(Wasm::Stable) => stable_ready().then_some(Wasm::Stable),
        Some(Wasm::Web) => web_ready().then_some(Wasm::Web),
        None if stable_ready() => Some(Wasm::Stable),
        None if web_ready() => Some(Wasm::Web),
        None => None,
    };
    ready.context("no wasm toolchain is ready: run `cargo xtask setup`")
}

fn is_root() -> bool {
    output(&mut cmd("id", &["-u"])).is_ok_and(|o| o.trim() == "0")
}

/// apt-get, updated once per setup run and only when something is actually missing.
struct Apt {
    updated: bool,
}

impl Apt {
    fn install(&mut self, packages: &[&str]) -> Result<()> {
        let sudo = !is_root();
        let base = |args: &[&str]| {
            let mut c = if sudo {
                cmd("sudo", &["apt-get"])
            } else {
                cmd("apt-get", &[])
            };
            c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            c
        };
        if !self.updated {
            run(&mut base(&["update", "-qq"]))?;
            self.updated = true;
        }
        let mut c = base(&["install", "-y", "-qq", "--no-install-recommends"]);
        c.args(packages);
        run(&mut c).with_context(|| format!("installing {}", packages.join(" ")))
    }
}

fn install_wasm_toolchain(apt: &mut Apt) -> Result<Wasm> {
    let force = forced()?;
    if force != Some(Wasm::Web) && on_path("rustup") {
        println!("setup: trying rustup's wasm32 target and rust-src …");
        let ok = succeeds(&mut cmd("rustup", &["target", "add", WASM_TARGET]))
            && succeeds(&mut cmd("rustup", &["component", "add", "rust-src"]));
        if ok && stable_ready() {
            return Ok(Wasm::Stable);
        }
        if force == Some(Wasm::Stable) {
            bail!("CK_WASM_TOOLCHAIN=stable but `rustup target add {WASM_TARGET}` / `rustup component add rust-src` failed");
        }
        println!("setup: rustup cannot install the wasm32 target here; using Debian's rustc-web");
    }
    if !web_ready() {
        if !succeeds(&mut cmd("rustc", &["+web", "--version"]))
            || !Path::new("/usr/lib/rustlib/src/rust/library/std").is_dir()
        {
            apt.install(&["rustc-web", "cargo-web", "rust-web-src"])?;
        }
        if on_path("rustup") && !succeeds(&mut cmd("rustc", &["+web", "--version"])) {
            run(&mut cmd("rustup", &["toolchain", "link", "web", "/usr"]))?;
        }
    }
    ensure_rust_lld(apt)?;
    if !web_ready() {
        bail!("Debian's rustc-web is installed but `rustc +web` does not work: check `rustup toolchain list`");
    }
    Ok(Wasm::Web)
}

/// rustc-web links wasm with `/usr/bin/rust-lld` (package rust-web-llvm), a symlink to
/// `lld-NN` that Debian does not pull in as a dependency: install whatever it points at.
fn ensure_rust_lld(apt: &mut Apt) -> Result<()> {
    let link = Path::new("/usr/bin/rust-lld");
    if link.exists() {
        return Ok(());
    }
    if std::fs::symlink_metadata(link).is_err() {
        apt.install(&["rust-web-llvm"])?;
    }
    if let Ok(target) = std::fs::read_link(link) {
        if !link.exists() {
            if let Some(name) = target.file_name().and_then(|n| n.to_str()) {
                apt.install(&[name])?;
            }
        }
    }
    if !link.exists() {
        bail!("/usr/bin/rust-lld does not resolve: install the lld package it links to");
    }
    Ok(())
}

/// The exact wasm-bindgen version in Cargo.lock: the CLI must match it byte for byte.
pub(crate) fn locked_wasm_bindgen(root: &Path) -> Result<Option<String>> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|v| v.trim().strip_prefix("version = "))
            {
                return Ok(Some(v.trim_matches('"').to_string()));
            }
        }
    }
    Ok(None)
}

fn ensure_wasm_bindgen(root: &Path) -> Result<()> {
    let Some(want) = locked_wasm_bindgen(root)? else {
        println!("setup: Cargo.lock has no wasm-bindgen yet; skipping wasm-bindgen-cli");
        return Ok(());
    };
    let have = output(&mut cmd("wasm-bindgen", &["--version"])).unwrap_or_default();
    let runner = on_path("wasm-bindgen-test-runner");
    if have.split_whitespace().nth(1) == Some(want.as_str()) && runner {
        return Ok(());
    }
    println!(
        "setup: installing wasm-bindgen-cli {want} (have {:?}); this compiles for a few minutes",
        have.trim()
    );
    // Plain `cargo`: the CLI is a host tool, built by whatever toolchain runs xtask.
    run(&mut cmd(
        "cargo",
        &["install", "wasm-bindgen-cli", "--version", &want, "--force"],
    ))
}

/// Installs what is missing and returns the wasm toolchain to use.
pub(crate) fn setup(root: &Path, target_dir: &Path) -> Result<Wasm> {
    let mut apt = Apt { updated: false };
    let wasm = match detect() {
        Ok(w) => w,
        Err(_) => install_wasm_toolchain(&mut apt)?,
    };
    ensure_wasm_bindgen(root)?;
    if !(on_path("chromium") || Path::new("/usr/bin/chromium").is_file())
        || !(on_path("chromedriver") || Path::new("/usr/bin/chromedriver").is_file())
    {
        apt.install(&["chromium", "chromium-driver"])?;
    }
    // The server bench: its load generator, its ceiling (nginx `return 204`) and perf for profiles.
    let bench_tools: Vec<&str> = [
        ("wrk", "wrk"),
        ("/usr/sbin/nginx", "nginx-light"),
        ("perf", "linux-perf"),
    ]
    .into_iter()
    .filter(|(bin, _)| !on_path(bin))
    .map(|(_, package)| package)
    .collect();
    if !bench_tools.is_empty() {
        apt.install(&bench_tools)?;
    }
    crate::npm::setup(root)?;
    crate::builder::fetch_wordpress_css(root)?;
    crate::schema_fuzz::setup(root)?;
    std::fs::create_dir_all(target_dir)?;
    let record = target_dir.join("ck-toolchain.txt");
    let line = format!("{}\n", wasm.describe());
    if std::fs::read_to_string(&record).ok().as_deref() != Some(line.as_str()) {
        std::fs::write(&record, &line)?;
    }
    println!("setup: ok; wasm toolchain: {}", wasm.describe());
    Ok(wasm)
}

/// Path of the Chrome driver for wasm-bindgen-test and the e2e tests.
pub(crate) fn chromedriver() -> String {
    env_nonempty("CHROMEDRIVER").unwrap_or_else(|| "/usr/bin/chromedriver".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wasm_bindgen_version_from_lock() {
        let dir = std::env::temp_dir().join(format!("xtask-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Cargo.lock"),
            "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.2.1\"\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\nsource = \"registry\"\n",
        )
        .unwrap();
        let v = locked_wasm_bindgen(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(v.as_deref(), Some("0.2.130"));
    }
}
