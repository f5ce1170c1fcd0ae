//! What the builder, claim and demo-site tests add to the browser: keyboard navigation by Tab,
//! colour-scheme emulation, clipboard permission and PNG screenshots.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use serde_json::json;

use crate::{keys, repo_root, Browser};

impl Browser {
    /// Presses Tab (at most 400 times) until the focused element matches the CSS `selector`: a
    /// keyboard user's way to a control.
    pub async fn tab_to(&self, selector: &str) -> Result<()> {
        for _ in 0..400 {
            let there = self
                .eval(
                    "const a = document.activeElement; return !!a && a.matches(arguments[0]);",
                    json!([selector]),
                )
                .await?;
            if there.as_bool() == Some(true) {
                return Ok(());
            }
            self.keys(&[keys::TAB]).await?;
        }
        bail!("Tab never reached {selector}")
    }

    /// Emulates `prefers-color-scheme: dark` (or light).
    pub async fn color_scheme(&self, dark: bool) -> Result<()> {
        let value = if dark { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": value}]}),
        )
        .await
        .map(drop)
    }

    /// Lets pages of `origin` write to the clipboard (headless Chromium asks nobody).
    pub async fn allow_clipboard(&self, origin: &str) -> Result<()> {
        self.cdp(
            "Browser.grantPermissions",
            json!({"origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]}),
        )
        .await
        .map(drop)
    }

    /// Saves the whole page (not only the viewport) as a PNG at `path`.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await?;
        let data = shot["data"].as_str().context("no screenshot data")?;
        let png = base64::engine::general_purpose::STANDARD.decode(data)?;
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }
}

/// The folder screenshots go to: `target/screenshots/<suite>/` (created).
pub fn screenshot_dir(suite: &str) -> Result<PathBuf> {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"));
    let dir = target.join("screenshots").join(suite);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
