//! A page of `examples/pages/` in its own browser, served by its own server.

use anyhow::Result;
use serde_json::{json, Value};

use crate::{Browser, Server};

/// A server and a browser looking at one of its pages.
pub struct Page {
    /// The server the page comes from.
    pub server: Server,
    /// The browser showing it.
    pub browser: Browser,
}

impl Page {
    /// A fresh server with the embed build `variant` (see [`crate::dist_dir`]) and a browser on
    /// no page yet.
    pub async fn start(variant: Option<&str>) -> Result<Page> {
        let server = Server::start(variant).await?;
        let browser = Browser::start().await?;
        Ok(Page { server, browser })
    }

    /// [`Page::start`] with the default build, then [`Page::goto`] `path`.
    pub async fn open(path: &str) -> Result<Page> {
        let page = Page::start(None).await?;
        page.goto(path).await?;
        Ok(page)
    }

    /// Navigates to `path` (`embed-after.html`, `embed-bench.html?run=3`) on the server.
    pub async fn goto(&self, path: &str) -> Result<()> {
        self.browser.goto(&self.server.page(path)).await
    }

    /// The value of the JavaScript expression `expr`.
    pub async fn js(&self, expr: &str) -> Result<Value> {
        self.browser
            .eval(&format!("return ({expr});"), json!([]))
            .await
    }

    /// How many `event`s the page recorded.
    pub async fn count(&self, event: &str) -> Result<u64> {
        Ok(self.browser.events(event).await?.len() as u64)
    }

    /// How many mount points host a rendered form.
    pub async fn rendered(&self) -> Result<u64> {
        let n = self
            .js("[...document.querySelectorAll('[data-ck-widget]')].filter(e => e.shadowRoot && e.shadowRoot.querySelector('form')).length")
            .await?;
        Ok(n.as_u64().unwrap_or(0))
    }
}
