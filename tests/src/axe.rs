//! Accessibility checks with axe-core, fetched from npm once (test-only: it never ships in the
//! embed).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::{repo_root, Browser};

impl Browser {
    /// Runs axe-core on `host` (its open shadow root included) and returns the serious and
    /// critical violations as "rule: target" lines.
    pub async fn axe_serious(&self, host: &str) -> Result<Vec<String>> {
        let source = axe_source()?;
        self.eval(
            "if (!window.axe) { (0, eval)(arguments[0]); } return !!window.axe;",
            json!([source]),
        )
        .await?;
        let result = self
            .eval_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document.querySelector(arguments[0]), {resultTypes: ['violations']})\
                   .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
                     .map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => JSON.stringify(n.target)).join(' '))))\
                   .catch(e => done(['axe failed: ' + e]));",
                json!([host]),
            )
            .await?;
        Ok(result
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// axe-core's `axe.min.js`: `CK_AXE_JS` if set, else the npm package unpacked once into
/// `target/axe-core/` (`npm pack axe-core@4`).
fn axe_source() -> Result<String> {
    if let Ok(path) = std::env::var("CK_AXE_JS") {
        return std::fs::read_to_string(&path).with_context(|| format!("reading {path}"));
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"));
    let dir = target.join("axe-core");
    let file = dir.join("package/axe.min.js");
    if !file.is_file() {
        std::fs::create_dir_all(&dir)?;
        let status = Command::new("npm")
            .args(["pack", "axe-core@4", "--silent"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .status()
            .context("running npm pack axe-core")?;
        if !status.success() {
            bail!("npm pack axe-core failed");
        }
        let tarball = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "tgz"))
            .context("axe-core tarball")?;
        let status = Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .current_dir(&dir)
            .status()?;
        if !status.success() {
            bail!("unpacking {} failed", tarball.display());
        }
    }
    std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))
}
