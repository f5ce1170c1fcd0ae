//! Builder → publish → the snippet on each demo site (`examples/sites/`, served on a second
//! origin): the form renders in its shadow root and looks the same everywhere (computed styles of
//! title, label, input and button), submits, and the server stored every submission. The SPA
//! mounts and unmounts it with its routes; the strict-CSP page runs it under
//! `script-src 'self' <embed> 'wasm-unsafe-eval'; style-src 'self'`. axe-core on every site.

use anyhow::{ensure, Result};
use ck_e2e::{Browser, Server};
use serde_json::{json, Value};

use crate::builder::{open_builder, publish};

/// The demo sites (path, what opens the form there).
const SITES: &[(&str, &str)] = &[
    ("wordpress", ""),
    ("shop", ""),
    ("landing", ""),
    ("spa", "#/contact"),
    ("strict-csp", ""),
];

/// The site's inline mount point (the SPA and strict-CSP pages also carry the form as a
/// slide-in or popup: `modes::` tests those).
const HOST: &str = "[data-ck-widget=form]:not([data-ck-mode])";

/// Computed styles that must not depend on the host page.
const STYLE: &str = "const root = document.querySelector(arguments[0]).shadowRoot;\
    const props = ['font-family','font-size','font-weight','line-height','letter-spacing','text-transform',\
                   'color','background-color','border-top-width','border-radius','padding-top','height'];\
    const pick = (sel) => { const e = root.querySelector(sel); if (!e) return null; const s = getComputedStyle(e);\
                            return Object.fromEntries(props.map(p => [p, s.getPropertyValue(p)])); };\
    return {title: pick('h2'), label: pick('label'), input: pick('input:not([type=hidden]):not([tabindex=\"-1\"])'),\
            button: pick('button[type=submit]')};";

async fn wait_form(browser: &Browser, what: &str) -> Result<()> {
    browser
        .wait_for(
            &format!(
                "(() => {{ const h = document.querySelector({}); return h && h.shadowRoot && h.shadowRoot.querySelector('form'); }})()",
                json!(HOST)
            ),
            what,
        )
        .await
}

async fn fill_and_submit(browser: &Browser, site: &str) -> Result<()> {
    for (name, value) in [
        ("name", "Ada Lovelace"),
        ("email", "ada@example.com"),
        ("message", site),
    ] {
        let field = browser.shadow(HOST, &format!("[name={name}]")).await?;
        browser.type_into(&field, value).await?;
    }
    let button = browser.shadow(HOST, "button[type=submit]").await?;
    browser.click(&button).await?;
    browser
        .wait_for(
            &format!(
                "document.querySelector({}).shadowRoot.textContent.includes('Thank you')",
                json!(HOST)
            ),
            &format!("the success message on {site}"),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_form_renders_alike_and_submits_on_every_demo_site() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    open_builder(&server, &browser).await?;
    let draft = publish(&browser).await?;
    let links: Value = browser
        .eval(
            "return [...document.querySelectorAll('#site-links a')].map(a => [a.dataset.site, a.href]);",
            json!([]),
        )
        .await?;
    let mut styles: Vec<(String, Value)> = Vec::new();
    for &(site, route) in SITES {
        let href = links
            .as_array()
            .and_then(|l| l.iter().find(|l| l[0] == site))
            .and_then(|l| l[1].as_str())
            .map(String::from)
            .unwrap_or_default();
        ensure!(href.starts_with(&server.sites), "{site}: {href}");
        ensure!(
            href.contains(&draft.id) && href.contains(&draft.embed_token),
            "{href}"
        );
        browser.goto(&format!("{href}{route}")).await?;
        wait_form(&browser, &format!("the form on {site}")).await?;
        // The embed runs cross-origin: page from the sites' origin, loader and API from the server's.
        let loader = browser
            .eval(
                "return document.querySelector('script[src$=\"loader.js\"]').src;",
                json!([]),
            )
            .await?;
        ensure!(
            loader.as_str().is_some_and(|l| l.starts_with(&server.base)),
            "{site}: {loader}"
        );
        styles.push((site.to_owned(), browser.eval(STYLE, json!([HOST])).await?));
        let axe = browser.axe_serious("html").await?;
        ensure!(axe.is_empty(), "{site}: axe: {axe:#?}");
        fill_and_submit(&browser, site).await?;
    }
    let (first, want) = &styles[0];
    ensure!(
        !want["title"].is_null() && !want["input"].is_null(),
        "{want}"
    );
    for (site, got) in &styles[1..] {
        ensure!(
            got == want,
            "{site} differs from {first}:\n{got:#}\n{want:#}"
        );
    }
    let stored = server.scalar("select count(*) from submissions").await?;
    ensure!(stored == SITES.len() as i64, "{stored} submissions stored");

    // The SPA: leaving the contact route removes the mount point (the form unmounts), coming
    // back mounts it again.
    let spa = format!(
        "{}/spa/?id={}&token={}",
        server.sites, draft.id, draft.embed_token
    );
    browser.goto(&format!("{spa}#/contact")).await?;
    wait_form(&browser, "the SPA's form").await?;
    browser
        .eval("location.hash = '#/pricing';", json!([]))
        .await?;
    browser
        .wait_for(
            &format!("!document.querySelector({})", json!(HOST)),
            "the route change",
        )
        .await?;
    browser
        .eval("location.hash = '#/contact';", json!([]))
        .await?;
    wait_form(&browser, "the SPA's form after coming back").await?;
    Ok(())
}
