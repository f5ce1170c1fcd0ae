//! The loader's first wave end to end: the glue `import()`, the wasm fetch and the config
//! manifest of every mount point already on the page start together when the loader runs, and
//! the runtime takes those responses instead of asking again. Real server, real headless
//! Chromium, a cross-origin publisher page (page on `127.0.0.1`, embed and API on `localhost`),
//! failures made real with DevTools request blocking.

use std::time::Duration;

use anyhow::{Context, Result};
use ck_e2e::{Browser, Server};
use serde_json::{json, Value};

pub(crate) const FORM: &str = r#"{"title":"Newsletter","fields":[{"type":"email","name":"email","label":"Email","required":true}],"submit_label":"Join"}"#;

/// Records the runtime's events and every beacon, through the publisher stub, before the loader.
pub(crate) const RECORDER: &str = "<script>\
window.ckEvents = []; window.ckBeacons = [];\
window.ck = window.ck || function () { (ck.q = ck.q || []).push(arguments); };\
['ready', 'widget:mounted', 'widget:error'].forEach(function (name) {\
  ck('on', name, function (d) { ckEvents.push({ name: name, id: (d && d.id) || null,\
    code: (d && d.code) || null, el: d && d.element && d.element.id }); });\
});\
var send = navigator.sendBeacon.bind(navigator);\
navigator.sendBeacon = function (url, body) { ckBeacons.push({ url: String(url), body: String(body) });\
  return send(url, body); };\
window.addEventListener('load', function () { document.body.setAttribute('data-page-ok', '1'); });\
</script>";

/// A real server whose demo pages are written by the test, and a browser.
pub(crate) struct Wave {
    pub(crate) server: Server,
    pub(crate) browser: Browser,
}

impl Wave {
    pub(crate) async fn start() -> Result<Wave> {
        let server = Server::publisher().await?;
        let browser = Browser::start().await?;
        browser.cdp("Network.enable", json!({})).await?;
        Ok(Wave { server, browser })
    }

    /// A draft form instance: (id, token).
    pub(crate) async fn draft(&self) -> Result<(String, String)> {
        self.server.draft(&serde_json::from_str(FORM)?).await
    }

    /// Writes a page with `body` (mount points) followed by `loaders` copies of the snippet's
    /// script tag, and opens it.
    pub(crate) async fn open(&self, body: &str, loaders: usize) -> Result<()> {
        let script = format!(
            "<script async src=\"{}/embed/latest/loader.js\"></script>",
            self.server.embed_origin()
        );
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>wave</title>\
             {RECORDER}</head><body><h1>A publisher page</h1>{body}{}</body></html>",
            script.repeat(loaders)
        );
        self.server.write_page("wave.html", &html)?;
        self.browser.goto(&self.server.page("wave.html")).await
    }

    pub(crate) async fn js(&self, expr: &str) -> Result<Value> {
        self.browser
            .eval(&format!("return ({expr});"), json!([]))
            .await
    }

    pub(crate) async fn wait(&self, cond: &str, what: &str) -> Result<()> {
        self.browser.wait_for(cond, what).await
    }

    /// Makes every request whose URL matches `pattern` fail at the network level (DevTools
    /// request blocking).
    pub(crate) async fn block(&self, pattern: &str) -> Result<()> {
        self.browser
            .cdp("Network.setBlockedURLs", json!({ "urls": [pattern] }))
            .await?;
        Ok(())
    }

    /// Opens a page with one form mount point `w1` of draft `(id, token)` and waits for it.
    pub(crate) async fn open_form(&self, id: &str, token: &str) -> Result<()> {
        self.open(&mount_point("w1", id, token, ""), 1).await?;
        self.wait(
            "ckEvents.some(e => e.name === 'widget:mounted')",
            "the form",
        )
        .await
    }

    /// Waits for `cond` (the reports a test expects) and the page's load handler, gives late
    /// duplicates half a second, then returns every `widget:error` as `element id/code`, sorted.
    pub(crate) async fn settled_errors(&self, cond: &str, what: &str) -> Result<Value> {
        self.wait(cond, what).await?;
        self.wait(
            "document.body.dataset.pageOk === '1'",
            "the page's load handler",
        )
        .await?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        self.js(
            "ckEvents.filter(e => e.name === 'widget:error').map(e => e.el + '/' + e.code).sort()",
        )
        .await
    }

    /// Whether `ck()` runs at once: a page subscription hears a page `ck('emit')` on the bus.
    pub(crate) async fn ck_runs(&self) -> Result<bool> {
        let heard = self
            .js("(ck('on', 'probe', d => window.ckProbe = d), ck('emit', 'probe', 7), window.ckProbe)")
            .await?;
        Ok(heard == json!(7))
    }

    pub(crate) async fn count(&self, event: &str) -> Result<u64> {
        Ok(self
            .js(&format!(
                "ckEvents.filter(e => e.name === '{event}').length"
            ))
            .await?
            .as_u64()
            .unwrap_or(0))
    }

    /// Resource Timing entries whose URL contains `part`: (start, end) in ms.
    pub(crate) async fn requests(&self, part: &str) -> Result<Vec<(f64, f64)>> {
        let list = self
            .browser
            .eval(
                "return performance.getEntriesByType('resource')\
                 .filter(r => r.name.includes(arguments[0])).map(r => [r.startTime, r.responseEnd]);",
                json!([part]),
            )
            .await?;
        Ok(list
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| (p[0].as_f64().unwrap_or(0.0), p[1].as_f64().unwrap_or(0.0)))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// When the loader had the glue and the wasm ready (`ck:load:end`), i.e. before boot.
    pub(crate) async fn load_end(&self) -> Result<f64> {
        self.js("performance.getEntriesByName('ck:load:end')[0].startTime")
            .await?
            .as_f64()
            .context("no ck:load:end mark")
    }

    /// Whether the element `#id` hosts a rendered form.
    pub(crate) async fn rendered(&self, id: &str) -> Result<bool> {
        Ok(self
            .js(&format!(
                "!!document.getElementById('{id}')?.shadowRoot?.querySelector('form input')"
            ))
            .await?
            == json!(true))
    }

    /// Beacons the loader sent to `POST /api/v1/errors`.
    pub(crate) async fn loader_errors(&self) -> Result<Vec<Value>> {
        let list = self
            .js("ckBeacons.filter(b => b.url.endsWith('/api/v1/errors')).map(b => JSON.parse(b.body))")
            .await?;
        Ok(list.as_array().cloned().unwrap_or_default())
    }
}

pub(crate) fn mount_point(el_id: &str, id: &str, token: &str, extra: &str) -> String {
    format!(
        "<div id=\"{el_id}\" data-ck-widget=\"form\" data-ck-id=\"{id}\" data-ck-token=\"{token}\" {extra}></div>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_wave_and_the_runtime_uses_it_even_when_included_twice() -> Result<()> {
    let w = Wave::start().await?;
    let (a, token_a) = w.draft().await?;
    let (b, token_b) = w.draft().await?;
    // Two instances with their own config (a draft's token is scoped to its instance), one of
    // them twice on the page.
    let body = [
        mount_point("w1", &a, &token_a, ""),
        mount_point("w2", &b, &token_b, ""),
        mount_point("w3", &a, &token_a, ""),
    ]
    .concat();
    w.open(&body, 2).await?;
    w.wait(
        "ckEvents.filter(e => e.name === 'widget:mounted').length >= 3",
        "three widgets",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.count("widget:mounted").await?, 3, "each mounts once");
    assert_eq!(w.count("ready").await?, 1, "one runtime");
    assert_eq!(w.count("widget:error").await?, 0);
    for el in ["w1", "w2", "w3"] {
        assert!(w.rendered(el).await?, "{el} renders its form");
    }
    // One glue, one wasm, whatever the number of loaders.
    assert_eq!(w.requests("ck_bindings.js").await?.len(), 1);
    assert_eq!(w.requests("ck_bindings_bg.wasm").await?.len(), 1);
    let load_end = w.load_end().await?;
    let (wasm_start, _) = w.requests("ck_bindings_bg.wasm").await?[0];
    let (glue_start, _) = w.requests("ck_bindings.js").await?[0];
    // The wasm fetch started with the glue import, not after the glue arrived.
    assert!(
        (wasm_start - glue_start).abs() < 50.0,
        "wasm at {wasm_start} ms, glue at {glue_start} ms"
    );
    // Instance b: one request, started by the loader before the runtime existed.
    let b_requests = w.requests(&format!("/widgets/{b}/config")).await?;
    assert_eq!(
        b_requests.len(),
        1,
        "the runtime reused the loader's request"
    );
    assert!(
        b_requests[0].0 < load_end,
        "{b_requests:?} vs boot at {load_end}"
    );
    // Instance a twice: the loader fetched it once (the first mount point took that response);
    // the second mount point asked on its own after boot.
    let mut a_requests = w.requests(&format!("/widgets/{a}/config")).await?;
    a_requests.sort_by(|x, y| x.0.total_cmp(&y.0));
    assert_eq!(a_requests.len(), 2, "{a_requests:?}");
    assert!(a_requests[0].0 < load_end && a_requests[1].0 >= load_end);
    assert!(w.loader_errors().await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_mount_points_fetch_their_own_config() -> Result<()> {
    let w = Wave::start().await?;
    let (a, token_a) = w.draft().await?;
    let (b, token_b) = w.draft().await?;
    w.open(&mount_point("w1", &a, &token_a, ""), 1).await?;
    w.wait(
        "ckEvents.some(e => e.name === 'widget:mounted')",
        "the first widget",
    )
    .await?;
    w.browser
        .eval(
            "const el = document.createElement('div'); el.id = 'late';\
             el.setAttribute('data-ck-widget', 'form'); el.setAttribute('data-ck-id', arguments[0]);\
             el.setAttribute('data-ck-token', arguments[1]); document.body.appendChild(el);",
            json!([b, token_b]),
        )
        .await?;
    w.wait(
        "ckEvents.filter(e => e.name === 'widget:mounted').length >= 2",
        "the late widget",
    )
    .await?;
    assert!(w.rendered("w1").await? && w.rendered("late").await?);
    let load_end = w.load_end().await?;
    let late = w.requests(&format!("/widgets/{b}/config")).await?;
    assert_eq!(late.len(), 1);
    assert!(late[0].0 > load_end, "asked by the runtime, after boot");
    assert_eq!(w.requests(&format!("/widgets/{a}/config")).await?.len(), 1);
    assert_eq!(w.count("widget:error").await?, 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_config_fetch_reports_once_and_the_page_keeps_working() -> Result<()> {
    let w = Wave::start().await?;
    let (a, token) = w.draft().await?;
    // Every config request fails at the network level: the loader's and the runtime's retry.
    w.block("*/config?token=*").await?;
    let inline = format!("data-ck-config='{FORM}'");
    let body = [
        // With inline config the visitor still gets a widget.
        mount_point("w1", &a, &token, &inline),
        // Without, nothing is shown.
        mount_point("w2", &a, &token, ""),
    ]
    .concat();
    // Included twice: the second loader must not add requests or reports.
    w.open(&body, 2).await?;
    let errors = w
        .settled_errors(
            "ckEvents.filter(e => e.name === 'widget:error').length >= 2",
            "two manifest errors",
        )
        .await?;
    assert_eq!(
        errors,
        json!(["w1/manifest_unavailable", "w2/manifest_unavailable"]),
        "one report per mount point"
    );
    assert!(w.rendered("w1").await?, "inline config still renders");
    assert!(!w.rendered("w2").await?);
    assert_eq!(w.count("widget:mounted").await?, 1);
    assert!(
        w.loader_errors().await?.is_empty(),
        "the loader itself did fine"
    );
    // The runtime is up: ck() runs at once.
    assert!(w.ck_runs().await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_wasm_or_glue_fetch_reports_once_and_the_page_keeps_working() -> Result<()> {
    // The two requests of the wave that only the loader makes (the config is the runtime's too):
    // either failing leaves one loader report, with the snippet included twice.
    for blocked in ["*ck_bindings_bg.wasm*", "*ck_bindings.js*"] {
        let w = Wave::start().await?;
        let (a, token) = w.draft().await?;
        w.block(blocked).await?;
        w.open(&mount_point("w1", &a, &token, ""), 2).await?;
        w.wait("ckBeacons.length >= 1", "the loader's error beacon")
            .await
            .with_context(|| format!("blocking {blocked}"))?;
        w.wait(
            "document.body.dataset.pageOk === '1'",
            "the page's load handler",
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let errors = w.loader_errors().await?;
        assert_eq!(errors.len(), 1, "{blocked}: one report: {errors:?}");
        assert_eq!(errors[0]["src"], "loader", "{blocked}");
        assert_eq!(errors[0]["token"], json!(null), "the script has no token");
        assert_eq!(w.count("widget:mounted").await?, 0, "{blocked}");
        assert!(!w.rendered("w1").await?, "{blocked}");
        // The page's scripts still run, and `ck` keeps queueing without throwing.
        assert_eq!(
            w.js("(ck('on', 'x', function () {}), typeof ck)").await?,
            json!("function"),
            "{blocked}"
        );
    }
    Ok(())
}
