//! Popup and slide-in (`data-ck-mode`, crate `ck-modes`) on a publisher's page (cross-origin
//! embed, real drafts): opening by `data-ck-open` and `ck('open')`, focus moved in, trapped
//! (popup) or not (slide-in), Esc, the close button and the backdrop, focus returned to the
//! opener, the page's scroll locked by a popup and left exactly as it was after, the view
//! counted at the first open, opening by delay and exit intent, a build without the presenter,
//! and the SPA and strict-CSP demo sites (with screenshots at 390 and 1280 px, light and dark,
//! into `target/screenshots/modes/`).

use std::time::Duration;

use anyhow::{ensure, Result};
use ck_e2e::keys::{ENTER, ESCAPE, SHIFT, TAB};
use ck_e2e::{contact_config, screenshot_dir, Browser, Server};
use serde_json::{json, Value};

const POPUP: &str = "[data-ck-mode=popup]";
const SLIDE: &str = "[data-ck-mode=slide]";

/// Records the mode events and the usage pixel's bodies (the page never navigates).
const RECORDER: &str = "<script>\
window.ckEvents = []; window.ckBeacons = [];\
window.ck = window.ck || function () { (ck.q = ck.q || []).push(arguments); };\
['widget:mounted', 'widget:error', 'widget:open', 'widget:close'].forEach(function (name) {\
  ck('on', name, function (d) { ckEvents.push({ name: name, id: d.id, mode: d.mode, code: d.code }); });\
});\
var send = navigator.sendBeacon.bind(navigator);\
navigator.sendBeacon = function (url, body) { ckBeacons.push(String(body)); return send(url, body); };\
</script>";

/// Facts about the page and the presented widget whose host matches `arguments[0]`.
const FACTS: &str = "const root = document.querySelector(arguments[0]).shadowRoot;\
  const panel = root.querySelector('.p,.s'); const html = document.documentElement, body = document.body;\
  const attrs = (e) => [...e.attributes].map(a => a.name + '=' + a.value).join(' ');\
  const a = root.activeElement, r = panel.getBoundingClientRect();\
  return { open: panel.localName == 'dialog' ? panel.open : !panel.hidden, modal: panel.matches(':modal'),\
    role: panel.getAttribute('role'), ariaModal: panel.getAttribute('aria-modal'),\
    label: root.getElementById(panel.getAttribute('aria-labelledby') || '')?.textContent ?? null,\
    closeLabel: root.querySelector('.x').getAttribute('aria-label'),\
    focus: a ? (a.name || a.className || a.localName) : null,\
    page: document.activeElement.id || document.activeElement.localName,\
    html: attrs(html), body: attrs(body), sheets: document.adoptedStyleSheets.length,\
    overflow: getComputedStyle(html).overflow + '/' + getComputedStyle(body).overflow,\
    scrollY: Math.round(scrollY), visible: panel.getClientRects().length > 0,\
    left: Math.round(r.left), right: Math.round(html.clientWidth - r.right), bottom: Math.round(html.clientHeight - r.bottom),\
    animation: getComputedStyle(panel).animationName };";

/// How many Tab stops the panel has (the rule `js/modes.js` traps focus with; a radio group
/// is one stop).
const TABBABLE: &str = "const root = document.querySelector(arguments[0]).shadowRoot;\
  const all = [...root.querySelector('.p,.s').querySelectorAll('a[href],button,input,select,textarea,[tabindex]')]\
    .filter(e => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length);\
  return all.filter((e, i) => e.type != 'radio' || all.findIndex(o => o.type == 'radio' && o.name == e.name) == i).length;";

async fn facts(b: &Browser, host: &str) -> Result<Value> {
    b.eval(FACTS, json!([host])).await
}

/// Sends what the usage pixel holds (as on `visibilitychange`) and counts the `view`s of `id`.
async fn views(b: &Browser, id: &str) -> Result<u64> {
    b.eval(
        "document.dispatchEvent(new Event('visibilitychange'));\
         return ckBeacons.flatMap(x => JSON.parse(x).events).filter(e => e.k == 'view' && e.id == arguments[0]).length;",
        json!([id]),
    )
    .await
    .map(|n| n.as_u64().unwrap_or(0))
}

async fn count(b: &Browser, event: &str) -> Result<u64> {
    Ok(b.eval(
        "return ckEvents.filter(e => e.name == arguments[0]).length;",
        json!([event]),
    )
    .await?
    .as_u64()
    .unwrap_or(0))
}

async fn wait_count(b: &Browser, event: &str, n: u64) -> Result<()> {
    b.wait_events(event, n).await
}

/// A real wheel turn over the middle of the viewport; the page's scroll position after it.
async fn wheel(b: &Browser) -> Result<i64> {
    b.cdp(
        "Input.dispatchMouseEvent",
        json!({"type": "mouseWheel", "x": 300, "y": 400, "deltaX": 0, "deltaY": 600}),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    Ok(b.eval("return Math.round(scrollY);", json!([]))
        .await?
        .as_i64()
        .unwrap_or(-1))
}

/// Focuses the page element `#id` (without scrolling to it) and presses Enter on it: a
/// keyboard visitor's click.
async fn press(b: &Browser, id: &str) -> Result<()> {
    b.eval(
        "document.getElementById(arguments[0]).focus({preventScroll: true});",
        json!([id]),
    )
    .await?;
    b.keys(&[ENTER]).await
}

/// A publisher's page with a popup and a slide-in (two drafts), their trigger buttons, an
/// inline style and classes on `<html>` and `<body>` (which must survive untouched) and enough
/// content to scroll.
async fn modes_page(server: &Server, extra: &str, head: &str) -> Result<(String, String)> {
    let popup = server.draft(&contact_config()).await?;
    let slide = server.draft(&contact_config()).await?;
    rewrite_page(server, "modes.html", &popup, &slide, extra, head)?;
    Ok((popup.0, slide.0))
}

/// [`modes_page`] again with the same drafts (the API limits how fast drafts are made).
fn rewrite_page(
    server: &Server,
    name: &str,
    (popup, token): &(String, String),
    (slide, slide_token): &(String, String),
    extra: &str,
    head: &str,
) -> Result<()> {
    let page = format!(
        "<!doctype html><html lang=\"en\" class=\"js\" style=\"scroll-behavior: auto\"><head><meta charset=\"utf-8\">\
         <title>Shop</title>{RECORDER}{head}</head><body class=\"article\" style=\"margin: 8px\">\
         <button id=\"before\">Before</button> <button id=\"opener\" data-ck-open=\"{popup}\">Contact us</button>\
         <a id=\"opener-slide\" href=\"#nowhere\" data-ck-open=\"{slide}\"><span>Feedback</span></a>\
         <div style=\"height: 3000px\">Long article.</div>\
         <div data-ck-widget=\"form\" data-ck-id=\"{popup}\" data-ck-token=\"{token}\" data-ck-mode=\"popup\"{extra}></div>\
         <div data-ck-widget=\"form\" data-ck-id=\"{slide}\" data-ck-token=\"{slide_token}\" data-ck-mode=\"slide\"{extra}></div>\
         <script async src=\"{}/embed/latest/loader.js\"></script></body></html>",
        server.embed_origin()
    );
    server.write_page(name, &page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn popup_opens_traps_focus_closes_and_leaves_the_page_as_it_was() -> Result<()> {
    let server = Server::publisher().await?;
    let (id, _) = modes_page(&server, "", "").await?;
    let b = Browser::start().await?;
    b.goto(&server.page("modes.html")).await?;
    wait_count(&b, "widget:mounted", 2).await?;
    b.eval("scrollTo(0, 300);", json!([])).await?;
    let before = facts(&b, POPUP).await?;
    assert_eq!(before["open"], false, "{before}");
    assert_eq!(before["visible"], false, "{before}");
    assert_eq!(before["scrollY"], 300, "{before}");
    // Mounted is not viewed: the view waits for the first open.
    assert_eq!(views(&b, &id).await?, 0);

    press(&b, "opener").await?;
    wait_count(&b, "widget:open", 1).await?;
    let open = facts(&b, POPUP).await?;
    for (key, want) in [
        ("open", json!(true)),
        ("modal", json!(true)),
        ("role", json!("dialog")),
        ("ariaModal", json!("true")),
        ("label", json!("Contact us")),
        ("closeLabel", json!("Close")),
        // Focus moved to the first control.
        ("focus", json!("name")),
        ("overflow", json!("hidden/visible")),
        ("scrollY", json!(300)),
        // Nothing written to the page's own elements.
        ("html", before["html"].clone()),
        ("body", before["body"].clone()),
    ] {
        assert_eq!(open[key], want, "{key} in {open}");
    }
    // The page behind does not scroll.
    assert_eq!(wheel(&b).await?, 300);

    // Tab cycles inside: never out of the shadow root, back to the first control after the
    // last; Shift+Tab from the first goes to the last (the close button).
    let n = b
        .eval(TABBABLE, json!([POPUP]))
        .await?
        .as_u64()
        .unwrap_or(0);
    ensure!(n > 5, "{n} tabbable controls");
    for i in 0..n {
        b.keys(&[TAB]).await?;
        let f = facts(&b, POPUP).await?;
        ensure!(!f["focus"].is_null(), "Tab {i} left the popup: {f}");
    }
    assert_eq!(facts(&b, POPUP).await?["focus"], "name");
    b.chord(&[SHIFT, TAB]).await?;
    assert_eq!(facts(&b, POPUP).await?["focus"], "x");
    b.keys(&[TAB]).await?;
    assert_eq!(facts(&b, POPUP).await?["focus"], "name");

    // Esc closes; focus back on the opener; the page exactly as before.
    b.keys(&[ESCAPE]).await?;
    wait_count(&b, "widget:close", 1).await?;
    let closed = facts(&b, POPUP).await?;
    for key in ["html", "body", "overflow", "sheets", "scrollY"] {
        assert_eq!(closed[key], before[key], "{key}: {closed} vs {before}");
    }
    assert_eq!(closed["open"], false);
    assert_eq!(closed["page"], "opener");
    ensure!(wheel(&b).await? > 300, "the page scrolls again");
    b.eval("scrollTo(0, 300);", json!([])).await?;

    // ck('open'): focus returns to what had it; the close button closes.
    b.eval(
        "document.getElementById('before').focus({preventScroll: true}); ck('open', arguments[0]);",
        json!([id]),
    )
    .await?;
    wait_count(&b, "widget:open", 2).await?;
    assert_eq!(facts(&b, POPUP).await?["focus"], "name");
    b.eval(
        "document.querySelector(arguments[0]).shadowRoot.querySelector('.x').click();",
        json!([POPUP]),
    )
    .await?;
    wait_count(&b, "widget:close", 2).await?;
    let closed = facts(&b, POPUP).await?;
    assert_eq!(closed["page"], "before", "{closed}");
    assert_eq!(closed["overflow"], before["overflow"]);

    // A click on the backdrop (the <dialog> itself, outside its content) closes; ck('close')
    // closes too.
    b.eval("ck('open', arguments[0]);", json!([id])).await?;
    wait_count(&b, "widget:open", 3).await?;
    b.eval(
        "document.querySelector(arguments[0]).shadowRoot.querySelector('dialog').click();",
        json!([POPUP]),
    )
    .await?;
    wait_count(&b, "widget:close", 3).await?;
    b.eval(
        "ck('open', arguments[0]); ck('close', arguments[0]);",
        json!([id]),
    )
    .await?;
    wait_count(&b, "widget:close", 4).await?;
    let after = facts(&b, POPUP).await?;
    for key in ["html", "body", "overflow", "sheets", "scrollY"] {
        assert_eq!(after[key], before[key], "{key}: {after} vs {before}");
    }

    // Four opens, one view; the events name the instance and the mode.
    assert_eq!(views(&b, &id).await?, 1);
    let opened = b
        .eval(
            "return ckEvents.filter(e => e.name == 'widget:open').map(e => [e.id, e.mode]);",
            json!([]),
        )
        .await?;
    assert_eq!(opened[0], json!([id, "popup"]), "{opened}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slide_in_is_non_modal_and_sits_in_the_inline_end_corner() -> Result<()> {
    let server = Server::publisher().await?;
    let (_, id) = modes_page(&server, "", "").await?;
    let b = Browser::start().await?;
    b.goto(&server.page("modes.html")).await?;
    wait_count(&b, "widget:mounted", 2).await?;
    let before = facts(&b, SLIDE).await?;
    assert_eq!(before["visible"], false, "{before}");

    // The trigger is a link: opening cancels its navigation.
    press(&b, "opener-slide").await?;
    wait_count(&b, "widget:open", 1).await?;
    // Where it sits once its slide-up animation has ended (mid-way it is lower).
    b.wait_for(
        "document.querySelector('[data-ck-mode=slide]').shadowRoot.querySelector('.s')\
           .getAnimations().every(a => a.playState == 'finished')",
        "the slide-in's animation",
    )
    .await?;
    let open = facts(&b, SLIDE).await?;
    for (key, want) in [
        ("visible", json!(true)),
        ("modal", json!(false)),
        ("role", json!("dialog")),
        ("ariaModal", Value::Null),
        ("label", json!("Contact us")),
        ("focus", json!("name")),
        // No scroll lock, nothing on the page touched.
        ("overflow", before["overflow"].clone()),
        ("sheets", before["sheets"].clone()),
        ("html", before["html"].clone()),
        ("body", before["body"].clone()),
        ("right", json!(16)),
    ] {
        assert_eq!(open[key], want, "{key} in {open}");
    }
    let bottom = open["bottom"].as_i64().unwrap_or(-1);
    ensure!((8..=24).contains(&bottom), "bottom {bottom}: {open}");
    let location = b.eval("return location.hash;", json!([])).await?;
    assert_eq!(location, "", "the link did not navigate");

    // Not trapped: Tab goes on past the last control into the page; the page stays usable.
    let n = b
        .eval(TABBABLE, json!([SLIDE]))
        .await?
        .as_u64()
        .unwrap_or(0);
    for _ in 0..n {
        b.keys(&[TAB]).await?;
    }
    let out = facts(&b, SLIDE).await?;
    assert_eq!(out["focus"], Value::Null, "{out}");
    assert_eq!(out["open"], true);
    // Esc in the page leaves it open; ck('close') then closes it without moving the
    // visitor's focus.
    press(&b, "before").await?;
    b.keys(&[ESCAPE]).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(facts(&b, SLIDE).await?["open"], true);
    b.eval("ck('close', arguments[0]);", json!([id])).await?;
    wait_count(&b, "widget:close", 1).await?;
    assert_eq!(facts(&b, SLIDE).await?["page"], "before");

    // Esc inside closes and focus returns to the opener.
    press(&b, "opener-slide").await?;
    wait_count(&b, "widget:open", 2).await?;
    b.keys(&[ESCAPE]).await?;
    wait_count(&b, "widget:close", 2).await?;
    let closed = facts(&b, SLIDE).await?;
    assert_eq!(closed["page"], "opener-slide", "{closed}");
    assert_eq!(closed["visible"], false);

    // Right-to-left pages get it in their inline-end (left) corner.
    b.eval(
        "document.documentElement.dir = 'rtl'; ck('open', arguments[0]);",
        json!([id]),
    )
    .await?;
    wait_count(&b, "widget:open", 3).await?;
    let rtl = facts(&b, SLIDE).await?;
    let left = rtl["left"].as_i64().unwrap_or(-1);
    ensure!((8..=40).contains(&left), "left {left}: {rtl}");
    b.eval(
        "document.querySelector(arguments[0]).shadowRoot.querySelector('.x').click();",
        json!([SLIDE]),
    )
    .await?;
    wait_count(&b, "widget:close", 3).await?;
    assert_eq!(views(&b, &id).await?, 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_opens_after_a_delay_and_on_exit_intent_once() -> Result<()> {
    let server = Server::publisher().await?;
    let extra = " data-ck-config='{\"open\":{\"delay_ms\":400,\"exit_intent\":true}}'";
    let drafts = (
        server.draft(&contact_config()).await?,
        server.draft(&contact_config()).await?,
    );
    rewrite_page(&server, "modes.html", &drafts.0, &drafts.1, extra, "")?;
    let (popup, slide) = (drafts.0 .0.clone(), drafts.1 .0.clone());
    let b = Browser::start().await?;
    b.goto(&server.page("modes.html")).await?;
    wait_count(&b, "widget:mounted", 2).await?;
    // The delay opens both; the slide-in leaves focus in the page, the popup takes it.
    b.eval(
        "document.getElementById('before').focus({preventScroll: true});",
        json!([]),
    )
    .await?;
    wait_count(&b, "widget:open", 2).await?;
    let slide_facts = facts(&b, SLIDE).await?;
    assert_eq!(slide_facts["visible"], true);
    let popup_facts = facts(&b, POPUP).await?;
    assert_eq!(popup_facts["focus"], "name", "{popup_facts}");
    b.keys(&[ESCAPE]).await?;
    wait_count(&b, "widget:close", 1).await?;
    assert_eq!(facts(&b, POPUP).await?["page"], "before");
    b.eval("ck('close', arguments[0]);", json!([slide])).await?;
    wait_count(&b, "widget:close", 2).await?;

    assert_eq!(views(&b, &popup).await?, 1);

    // Exit intent is read only on devices with a mouse. Headless Chromium reports none (no
    // hover, no fine pointer), as a phone does: leaving through the top edge opens nothing.
    let exit_only = " data-ck-config='{\"open\":{\"exit_intent\":true}}'";
    let top_exit =
        "document.dispatchEvent(new MouseEvent('mouseout', {clientY: 0, bubbles: true}));";
    let mouse = b
        .eval(
            "return matchMedia('(hover:hover) and (pointer:fine)').matches;",
            json!([]),
        )
        .await?;
    assert_eq!(mouse, false, "headless Chromium reports no mouse");
    rewrite_page(&server, "touch.html", &drafts.0, &drafts.1, exit_only, "")?;
    b.goto(&server.page("touch.html")).await?;
    wait_count(&b, "widget:mounted", 2).await?;
    b.eval(top_exit, json!([])).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(&b, "widget:open").await?, 0);

    // A mouse device (its media query answered as a desktop browser answers it): leaving
    // through a side opens nothing, through the top edge opens, once.
    let desktop = "<script>var mm = window.matchMedia.bind(window);\
        window.matchMedia = function (q) { return q == '(hover:hover) and (pointer:fine)' ? { matches: true } : mm(q); };</script>";
    rewrite_page(
        &server,
        "mouse.html",
        &drafts.0,
        &drafts.1,
        exit_only,
        desktop,
    )?;
    b.goto(&server.page("mouse.html")).await?;
    wait_count(&b, "widget:mounted", 2).await?;
    b.eval(
        "document.dispatchEvent(new MouseEvent('mouseout', {clientX: 0, clientY: 400, bubbles: true}));",
        json!([]),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(&b, "widget:open").await?, 0);
    b.eval(top_exit, json!([])).await?;
    // Both presentations listen: the page has one of each.
    wait_count(&b, "widget:open", 2).await?;
    assert_eq!(facts(&b, POPUP).await?["open"], true);
    b.keys(&[ESCAPE]).await?;
    wait_count(&b, "widget:close", 1).await?;
    b.eval(top_exit, json!([])).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(&b, "widget:open").await?, 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_presenter_a_mode_mounts_inline_with_one_warning() -> Result<()> {
    // The `form` build: runtime + form, no ck-modes.
    let server = Server::start(Some("form")).await?;
    let (id, token) = server.draft(&contact_config()).await?;
    let b = Browser::start().await?;
    b.goto(&server.page("form-e2e.html")).await?;
    b.eval(
        "for (const mode of ['popup', 'modal']) { const el = document.createElement('div');\
           el.id = 'm-' + mode; el.dataset.ckWidget = 'form'; el.dataset.ckId = arguments[0];\
           el.dataset.ckToken = arguments[1]; el.dataset.ckMode = mode;\
           document.getElementById('slot').appendChild(el); }",
        json!([id, token]),
    )
    .await?;
    b.wait_for(
        "document.querySelector('#m-popup').shadowRoot?.querySelector('form button')",
        "the popup's form, inline",
    )
    .await?;
    let state = b
        .eval(
            "const root = document.querySelector('#m-popup').shadowRoot;\
             return { dialog: !!root.querySelector('dialog'), shown: root.querySelector('form').getClientRects().length > 0,\
                      errors: ckEvents.filter(e => e.name == 'widget:error').map(e => [e.detail.attribute, e.detail.code]),\
                      bad: !!document.querySelector('#m-modal').shadowRoot };",
            json!([]),
        )
        .await?;
    assert_eq!(state["dialog"], false, "{state}");
    assert_eq!(state["shown"], true, "{state}");
    // A mode this build cannot present: reported once, shown inline. A mode that does not
    // exist: rejected, nothing shown.
    let errors = state["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 2, "{state}");
    assert!(
        errors.contains(&json!(["data-ck-mode", "mode_unavailable"])),
        "{state}"
    );
    assert!(
        errors.contains(&json!(["data-ck-mode", "bad_mode"])),
        "{state}"
    );
    assert_eq!(state["bad"], false, "{state}");
    Ok(())
}

/// The SPA's slide-in and the strict-CSP page's popup, from the builder's links to them;
/// screenshots of both, 390 and 1280 px wide, light and dark.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_sites_spa_slide_in_and_strict_csp_popup() -> Result<()> {
    let server = Server::start(None).await?;
    let (id, token) = server.draft(&contact_config()).await?;
    let b = Browser::start().await?;
    let query = format!("?id={id}&token={token}");
    let shots = screenshot_dir("modes")?;
    // Strict CSP: the popup opens from the page's button under
    // `script-src 'self' <embed> 'wasm-unsafe-eval'; style-src 'self'`, with no violation.
    b.goto(&format!("{}/strict-csp/{query}", server.sites))
        .await?;
    let mounted = |host: &str| {
        format!("document.querySelector('{host}')?.shadowRoot?.querySelector('.p,.s form')")
    };
    b.wait_for(&mounted(POPUP), "the strict-CSP page's popup")
        .await?;
    b.eval(
        "window.violations = []; document.addEventListener('securitypolicyviolation', e => violations.push(e.violatedDirective));\
         document.querySelector('.ck-open').id = 'trigger';",
        json!([]),
    )
    .await?;
    let before = facts(&b, POPUP).await?;
    press(&b, "trigger").await?;
    b.wait_for(
        &format!("document.querySelector('{POPUP}').shadowRoot.querySelector('dialog').open"),
        "the popup to open",
    )
    .await?;
    let open = facts(&b, POPUP).await?;
    assert_eq!(open["overflow"], "hidden/visible", "{open}");
    assert_eq!(open["focus"], "name", "{open}");
    b.keys(&[ESCAPE]).await?;
    let closed = facts(&b, POPUP).await?;
    for key in ["html", "body", "overflow", "sheets"] {
        assert_eq!(closed[key], before[key], "{key}: {closed} vs {before}");
    }
    assert_eq!(closed["page"], "trigger");
    let violations = b.eval("return violations;", json!([])).await?;
    assert_eq!(violations, json!([]));

    // The SPA: the slide-in lives in the app's shell, so route changes keep it.
    b.goto(&format!("{}/spa/{query}#/pricing", server.sites))
        .await?;
    b.wait_for(&mounted(SLIDE), "the SPA's slide-in").await?;
    b.eval(
        "document.querySelector('.ck-open').id = 'trigger';",
        json!([]),
    )
    .await?;
    press(&b, "trigger").await?;
    b.wait_for(
        &format!("!document.querySelector('{SLIDE}').shadowRoot.querySelector('.s').hidden"),
        "the slide-in to open",
    )
    .await?;
    b.eval("location.hash = '#/contact';", json!([])).await?;
    b.wait_for(
        "document.querySelector('[data-ck-widget=form]:not([data-ck-mode])')?.shadowRoot?.querySelector('form')",
        "the contact route's inline form",
    )
    .await?;
    let open = facts(&b, SLIDE).await?;
    assert_eq!(open["visible"], true, "{open}");
    assert_eq!(open["overflow"], "visible/visible", "{open}");
    b.eval(
        "document.querySelector(arguments[0]).shadowRoot.querySelector('.x').click();",
        json!([SLIDE]),
    )
    .await?;
    assert_eq!(facts(&b, SLIDE).await?["visible"], false);

    // Screenshots: each opened on a fresh page, reduced motion (no animation mid-frame; also
    // checks that reduced motion means none).
    for (name, site, host) in [("popup", "strict-csp", POPUP), ("slide", "spa", SLIDE)] {
        for width in [390, 1280] {
            for dark in [false, true] {
                b.cdp(
                    "Emulation.setDeviceMetricsOverride",
                    json!({"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600}),
                )
                .await?;
                b.cdp(
                    "Emulation.setEmulatedMedia",
                    json!({"features": [{"name": "prefers-color-scheme", "value": if dark { "dark" } else { "light" }},
                                        {"name": "prefers-reduced-motion", "value": "reduce"}]}),
                )
                .await?;
                b.goto(&format!("{}/{site}/{query}", server.sites)).await?;
                b.wait_for(&mounted(host), "the presented form").await?;
                b.eval("ck('open', arguments[0]);", json!([id])).await?;
                b.wait_for(
                    &format!("document.querySelector('{host}').shadowRoot.querySelector('.p,.s').getClientRects().length"),
                    "it to open",
                )
                .await?;
                assert_eq!(facts(&b, host).await?["animation"], "none");
                let shot = b
                    .cdp("Page.captureScreenshot", json!({"format": "png"}))
                    .await?;
                let scheme = if dark { "dark" } else { "light" };
                let png = shot["data"].as_str().unwrap_or_default();
                use base64::Engine as _;
                std::fs::write(
                    shots.join(format!("{name}-{width}-{scheme}.png")),
                    base64::engine::general_purpose::STANDARD.decode(png)?,
                )?;
            }
        }
    }
    // With motion allowed, it animates in.
    b.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-reduced-motion", "value": "no-preference"}]}),
    )
    .await?;
    b.eval(
        "ck('close', arguments[0]); ck('open', arguments[0]);",
        json!([id]),
    )
    .await?;
    assert_eq!(facts(&b, SLIDE).await?["animation"], "ck-up");
    println!("screenshots: {}", shots.display());
    Ok(())
}
