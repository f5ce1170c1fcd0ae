//! The allowlist of crates that may be compiled into the embed's wasm.
//!
//! Every crate in the wasm costs the publisher's visitors bytes, so a new one must be a decision,
//! not an accident of a transitive dependency. The graph comes from
//! `cargo tree -e normal,no-proc-macro --target wasm32-unknown-unknown` with the
//! features that ship (defaults plus the widget features): only code that is linked
//! into the wasm (proc-macros and build scripts run on the host and ship nothing).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Crate names allowed into the wasm; an entry ending in `*` allows a prefix.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    exact: BTreeSet<String>,
    prefixes: Vec<String>,
}

impl Allowlist {
    /// Parses one crate name (or `prefix*`) per line; `#` starts a comment.
    pub fn parse(text: &str) -> Result<Allowlist> {
        let mut list = Allowlist::default();
        for (i, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            if entry.contains(char::is_whitespace) {
                bail!(
                    "allowlist line {}: one crate name per line, got {entry:?}",
                    i + 1
                );
            }
            match entry.strip_suffix('*') {
                Some(prefix) => list.prefixes.push(prefix.to_string()),
                None => {
                    list.exact.insert(entry.to_string());
                }
            }
        }
        Ok(list)
    }

    /// Reads and parses an allowlist file.
    pub fn load(path: &Path) -> Result<Allowlist> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading allowlist {}", path.display()))?;
        Allowlist::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// True when `name` is listed or matches a listed prefix.
    pub fn allows(&self, name: &str) -> bool {
        self.exact.contains(name) || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    /// The crates of `graph` that are not allowed, sorted.
    pub fn violations<'a>(&self, graph: &'a BTreeSet<String>) -> Vec<&'a str> {
        graph
            .iter()
            .filter(|c| !self.allows(c))
            .map(String::as_str)
            .collect()
    }
}

/// Crate names in the output of `cargo tree --prefix none --format {p}`
/// (lines like `wasm-bindgen v0.2.130` or `ck-runtime v0.1.0 (/repo/runtime)`).
pub fn crates_from_cargo_tree(output: &str) -> BTreeSet<String> {
    output
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| !name.is_empty())
        .map(String::from)
        .collect()
}

/// Runs `cargo tree` for `package` as built for wasm32 with its default features plus
/// `features`, in the workspace of `manifest_path`, and returns the crates linked into the wasm.
pub fn wasm_graph(
    manifest_path: &Path,
    package: &str,
    features: &[&str],
) -> Result<BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut c = Command::new(cargo);
    c.args(["tree", "--quiet", "--manifest-path"])
        .arg(manifest_path)
        .args(["-p", package]);
    if !features.is_empty() {
        c.args(["--features", &features.join(",")]);
    }
    let out = c
        .args([
            "--target",
            "wasm32-unknown-unknown",
            "-e",
            "normal,no-proc-macro",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .context("running cargo tree")?;
    if !out.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(crates_from_cargo_tree(&String::from_utf8_lossy(
        &out.stdout,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "\
ck-bindings v0.1.0 (/repo/bindings)
ck-runtime v0.1.0 (/repo/runtime)
js-sys v0.3.77
wasm-bindgen v0.2.130
once_cell v1.21.3
wasm-bindgen v0.2.130 (*)
web-sys v0.3.77
js-sys v0.3.77 (*)
";

    #[test]
    fn reads_each_crate_once() {
        let g = crates_from_cargo_tree(TREE);
        assert_eq!(
            g.into_iter().collect::<Vec<_>>(),
            [
                "ck-bindings",
                "ck-runtime",
                "js-sys",
                "once_cell",
                "wasm-bindgen",
                "web-sys"
            ]
        );
    }

    #[test]
    fn flags_crates_not_listed() {
        let allow = Allowlist::parse("# the embed\nck-*\nwasm-bindgen # glue\njs-sys\nweb-sys\n\n")
            .unwrap();
        let g = crates_from_cargo_tree(TREE);
        assert_eq!(allow.violations(&g), ["once_cell"]);
        assert!(allow.allows("ck-form"));
        assert!(!allow.allows("serde"));
    }

    #[test]
    fn rejects_two_names_on_a_line() {
        assert!(Allowlist::parse("serde serde_json").is_err());
    }
}
