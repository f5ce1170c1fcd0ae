//! The embed runtime end to end on the `examples/pages/embed-*.html` pages. Every page records
//! the runtime's standard events in `window.ckEvents` (`embed-test.js`).

use anyhow::Result;
use ck_e2e::Page;
use serde_json::{json, Value};

async fn mounts_all(page: &str, expected: u64) -> Result<Page> {
    let p = Page::open(page).await?;
    p.browser.wait_events("widget:mounted", expected).await?;
    // Settle, then make sure nothing mounted twice.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        p.count("widget:mounted").await?,
        expected,
        "{page}: each widget mounts once"
    );
    assert_eq!(
        p.rendered().await?,
        expected,
        "{page}: each widget rendered"
    );
    assert_eq!(p.count("ready").await?, 1, "{page}: one ready");
    assert_eq!(p.count("widget:error").await?, 0, "{page}: no errors");
    Ok(p)
}

/// Every way a publisher may place the snippet: script after the mount points, in the head
/// before them, `async`, `defer`, and ten widgets on one page. Each page in its own server and
/// browser, as a publisher's visitor would meet it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_script_placement_mounts_each_widget_once() -> Result<()> {
    for (page, widgets) in [
        ("embed-after.html", 2),
        ("embed-head.html", 2),
        ("embed-async.html", 2),
        ("embed-defer.html", 2),
        ("embed-ten.html", 10),
    ] {
        mounts_all(page, widgets).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loader_included_twice_keeps_the_first() -> Result<()> {
    let p = mounts_all("embed-twice.html", 2).await?;
    // One runtime: the glue module was imported once (one resource entry for the wasm).
    let wasm_loads = p
        .js("performance.getEntriesByType('resource').filter(r => r.name.endsWith('ck_bindings_bg.wasm')).length")
        .await?;
    assert_eq!(wasm_loads, 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_calls_replay_in_global_call_order() -> Result<()> {
    let p = mounts_all("embed-after.html", 2).await?;
    // embed-test.js queued: on(probe), emit(1), ready(fn), emit(2) before the loader ran.
    assert_eq!(p.js("ckOrder").await?, json!(["on:1", "ready", "on:2"]));
    // After boot, ck() runs at once.
    assert_eq!(
        p.js("(ck('emit', 'probe', 3), ckOrder[ckOrder.length - 1])")
            .await?,
        json!("on:3")
    );
    // Performance marks from the loader.
    assert_eq!(
        p.js("['ck:load:start','ck:load:end'].map(n => performance.getEntriesByName(n).length)")
            .await?,
        json!([1, 1])
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_mount_point_mounts_then_unmounts_on_removal() -> Result<()> {
    let p = Page::open("embed-late.html").await?;
    p.browser.wait_events("widget:mounted", 1).await?;
    p.browser
        .wait_for(
            "document.getElementById('late')?.shadowRoot?.querySelector('form')",
            "the late widget",
        )
        .await?;
    let added_at = p.js("ckLateAddedAt").await?.as_f64().unwrap_or(0.0);
    assert!(added_at > 0.0);
    assert_eq!(p.count("widget:mounted").await?, 2);
    p.js("(document.getElementById('late').remove(), 1)")
        .await?;
    p.browser.wait_events("widget:unmounted", 1).await?;
    assert_eq!(p.count("widget:unmounted").await?, 1);
    // The removed element's shadow root was emptied: its listeners and closures are gone.
    // The first widget is untouched.
    assert_eq!(p.rendered().await?, 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_config_next_to_a_valid_widget() -> Result<()> {
    let p = Page::open("embed-invalid.html").await?;
    p.browser.wait_events("widget:mounted", 1).await?;
    p.browser.wait_events("widget:error", 3).await?;
    assert_eq!(p.rendered().await?, 1, "the valid widget renders");
    let errors = p
        .js("ckEvents.filter(e => e.name === 'widget:error').map(e => e.attribute + '/' + e.code).sort()")
        .await?;
    assert_eq!(
        errors,
        json!([
            "data-ck-config/config_invalid_json",
            "data-ck-theme/bad_theme",
            "data-ck-widget/unknown_widget"
        ])
    );
    // The page's own scripts kept running, before and after the embed.
    assert_eq!(p.js("window.ckAfterEmbed").await?, json!("ran"));
    p.browser
        .wait_for(
            "document.body.dataset.pageOk === '1'",
            "the page's load handler",
        )
        .await?;
    // The broken mount points were left as they were.
    assert_eq!(
        p.js("document.getElementById('bad').shadowRoot").await?,
        Value::Null
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_csp_page() -> Result<()> {
    let p = mounts_all("embed-csp.html", 2).await?;
    // Styles arrived through adoptedStyleSheets (a <style> would be blocked by style-src 'self').
    let facts = p
        .js("(() => { const r = document.getElementById('w1').shadowRoot; \
             const b = r.querySelector('button'); const s = getComputedStyle(b); \
             return { sheets: r.adoptedStyleSheets.length, styles: r.querySelectorAll('style').length, \
                      radius: s.borderTopLeftRadius, dark: getComputedStyle(document.getElementById('w2').shadowRoot.querySelector('button')).backgroundColor !== s.backgroundColor }; })()")
        .await?;
    assert!(facts["sheets"].as_u64().unwrap_or(0) >= 3, "{facts}");
    assert_eq!(facts["styles"], 0, "{facts}");
    assert_eq!(
        facts["dark"], true,
        "dark theme changes the computed colours: {facts}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_css_cannot_restyle_the_widget() -> Result<()> {
    let p = mounts_all("embed-host-css.html", 1).await?;
    let facts = p
        .js("(() => { const h = getComputedStyle(document.querySelector('h1')); \
             const el = document.getElementById('w1').shadowRoot.querySelector('label'); const s = getComputedStyle(el); \
             return { hostColor: h.color, color: s.color, size: s.fontSize, family: s.fontFamily, transform: s.textTransform, spacing: s.letterSpacing }; })()")
        .await?;
    assert_eq!(
        facts["hostColor"], "rgb(255, 0, 0)",
        "the hostile CSS is active: {facts}"
    );
    assert_ne!(facts["color"], "rgb(255, 0, 0)", "{facts}");
    assert_ne!(facts["size"], "40px", "{facts}");
    assert!(
        !facts["family"].as_str().unwrap_or("").starts_with("serif"),
        "{facts}"
    );
    assert_eq!(facts["transform"], "none", "{facts}");
    assert_eq!(facts["spacing"], "normal", "{facts}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pixel_batches_reach_the_events_endpoint_with_expected_counts() -> Result<()> {
    let p = Page::start(None).await?;
    let config =
        json!({"title": "Hi", "fields": [{"type": "email", "name": "email", "label": "Email"}]});
    let (id_a, token) = p.server.draft(&config).await?;
    p.goto("embed-late.html").await?;
    // Two real instances (same token) mounted from their config manifests, one of them twice.
    p.browser
        .eval(
            "for (const id of arguments[0]) { const el = document.createElement('div'); \
               el.setAttribute('data-ck-widget', 'form'); el.setAttribute('data-ck-id', id); \
               el.setAttribute('data-ck-token', arguments[1]); el.className = 'px'; document.body.appendChild(el); }",
            json!([[id_a, id_a], token]),
        )
        .await?;
    // embed-late.html has its own inline widget (test token) and adds one more after 500 ms.
    p.browser.wait_events("widget:mounted", 4).await?;
    p.browser
        .wait_for("document.getElementById('late')?.shadowRoot", "late widget")
        .await?;
    // Page hide flushes at once (the interval would flush after 3 s anyway).
    p.js("(window.dispatchEvent(new Event('pagehide')), 1)")
        .await?;
    p.browser
        .wait_for(
            &format!("ckBeacons.some(b => b.body.includes('{token}'))"),
            "the beacon for the real token",
        )
        .await?;
    let beacons = p.js("ckBeacons").await?;
    let mut views = 0;
    let mut loads = 0;
    for beacon in beacons.as_array().cloned().unwrap_or_default() {
        assert!(beacon["url"]
            .as_str()
            .unwrap_or("")
            .ends_with("/api/v1/events"));
        let body: Value = serde_json::from_str(beacon["body"].as_str().unwrap_or("{}"))?;
        if body["token"] != json!(token) {
            continue;
        }
        for e in body["events"].as_array().cloned().unwrap_or_default() {
            match e["k"].as_str() {
                Some("view") => {
                    assert_eq!(e["id"], json!(id_a));
                    assert!(e["ms"].as_f64().is_some());
                    views += e["n"].as_u64().unwrap_or(0);
                }
                Some("load") => loads += e["n"].as_u64().unwrap_or(0),
                other => panic!("unexpected event {other:?} in {body}"),
            }
        }
        // The real server accepts exactly this body.
        let status = reqwest::Client::new()
            .post(format!("{}/api/v1/events", p.server.base))
            .header("content-type", "text/plain;charset=UTF-8")
            .body(beacon["body"].as_str().unwrap_or("").to_owned())
            .send()
            .await?
            .status();
        assert_eq!(status.as_u16(), 204, "server rejected {body}");
    }
    assert_eq!(
        (loads, views),
        (1, 2),
        "one load per token, one view per mounted instance"
    );
    Ok(())
}
