//! axe-core on the builder and the claim page, and screenshots of the builder, the claim page and
//! every demo site at 390 px and 1280 px, light and dark, into `target/screenshots/publisher/`
//! (printed). The demo sites' axe checks run in `sites.rs`, where the form is on them.

use anyhow::{ensure, Result};
use ck_e2e::{screenshot_dir, Browser, Server};
use serde_json::json;

use crate::builder::{open_builder, publish, PREVIEW};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builder_and_claim_pages_pass_axe_and_every_page_is_photographed() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    open_builder(&server, &browser).await?;
    let axe = browser.axe_serious("html").await?;
    ensure!(axe.is_empty(), "builder: axe: {axe:#?}");
    let draft = publish(&browser).await?;
    let axe = browser.axe_serious("html").await?;
    ensure!(axe.is_empty(), "builder after publishing: axe: {axe:#?}");

    let claim = format!("{}/claim#{}", server.base, draft.draft_token);
    let query = format!("?id={}&token={}", draft.id, draft.embed_token);
    let mut pages = vec![
        ("builder".to_owned(), format!("{}/", server.base), PREVIEW),
        ("claim".to_owned(), claim, "#preview [data-ck-widget]"),
    ];
    for (site, route) in [
        ("wordpress", ""),
        ("shop", ""),
        ("landing", ""),
        ("spa", "#/contact"),
        ("strict-csp", ""),
    ] {
        pages.push((
            format!("site-{site}"),
            format!("{}/{site}/{query}{route}", server.sites),
            "[data-ck-widget=form]",
        ));
    }
    let dir = screenshot_dir("publisher")?;
    for (name, url, host) in &pages {
        for width in [390, 1280] {
            for dark in [false, true] {
                // Phones as phones: overlay scrollbars and the viewport meta tag apply.
                browser
                    .cdp(
                        "Emulation.setDeviceMetricsOverride",
                        json!({"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600}),
                    )
                    .await?;
                browser.color_scheme(dark).await?;
                browser.goto("about:blank").await?;
                browser.goto(url).await?;
                browser
                    .wait_for(
                        &format!(
                            "(() => {{ const h = document.querySelector({}); return h && h.shadowRoot && h.shadowRoot.querySelector('form'); }})()",
                            json!(host)
                        ),
                        &format!("the form on {name}"),
                    )
                    .await?;
                if name == "claim" && width == 390 && !dark {
                    let axe = browser.axe_serious("html").await?;
                    ensure!(axe.is_empty(), "claim: axe: {axe:#?}");
                }
                let scheme = if dark { "dark" } else { "light" };
                browser
                    .screenshot(&dir.join(format!("{name}-{width}-{scheme}.png")))
                    .await?;
            }
        }
    }
    println!("screenshots: {}", dir.display());
    Ok(())
}
