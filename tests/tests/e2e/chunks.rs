//! Lazy widget chunks end to end: each widget type's code is its own `{type}.wasm` next to the
//! runtime core, fetched in the loader's first wave for the types on the page and on demand for
//! types that appear later; one runtime, one bus. Real server, real headless Chromium, a
//! cross-origin publisher page, what was downloaded read from Resource Timing, failures made
//! real with DevTools request blocking.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use crate::wave::{mount_point, Wave};

/// An announcement bar with inline config (no server instance needed).
fn announcement(el_id: &str) -> String {
    format!(
        "<div id=\"{el_id}\" data-ck-widget=\"announcement\" \
         data-ck-config='{{\"message\":\"Spring sale\",\"ends_at\":\"2030-04-01T00:00:00Z\"}}'></div>"
    )
}

/// A rating with inline config.
const RATING: &str =
    "<div id=\"stars\" data-ck-widget=\"rating\" data-ck-config='{\"label\":\"How was your visit?\"}'></div>";

/// Records widget events into `ckEvents` too (the wave recorder has the runtime's own).
const WIDGET_EVENTS: &str = "<script>\
['form:error', 'announcement:dismissed', 'rating:chosen'].forEach(function (name) {\
  ck('on', name, function (d) { ckEvents.push({ name: name, id: null, code: null,\
    el: d && d.element && d.element.id }); });\
});</script>";

/// The embed files the page downloaded (file names under `/embed/`), sorted.
async fn embed_files(w: &Wave) -> Result<Vec<String>> {
    let list = w
        .js("performance.getEntriesByType('resource').map(r => new URL(r.name))\
             .filter(u => u.pathname.startsWith('/embed/')).map(u => u.pathname.split('/').pop()).sort()")
        .await?;
    Ok(serde_json::from_value(list)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_page_downloads_one_wasm_with_the_form_linked_in() -> Result<()> {
    let w = Wave::start().await?;
    let (a, token) = w.draft().await?;
    w.open_form(&a, &token).await?;
    assert!(w.rendered("w1").await?);
    assert_eq!(
        embed_files(&w).await?,
        ["ck_bindings.js", "ck_bindings_bg.wasm", "loader.js"],
        "the core with the form linked in, nothing else"
    );
    assert_eq!(w.count("widget:error").await?, 0);
    assert!(w.loader_errors().await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_without_a_form_downloads_the_bare_core_and_its_chunk_in_one_wave() -> Result<()> {
    let w = Wave::start().await?;
    w.open(&[WIDGET_EVENTS, &announcement("bar")].concat(), 1)
        .await?;
    w.wait(
        "ckEvents.some(e => e.name === 'widget:mounted')",
        "the announcement",
    )
    .await?;
    assert_eq!(
        embed_files(&w).await?,
        [
            "announcement.wasm",
            "ck_bindings.js",
            "core.wasm",
            "loader.js"
        ],
        "the bare core and the announcement chunk, nothing else"
    );
    // The chunk joined the first wave: requested with the core, before boot.
    let load_end = w.load_end().await?;
    let (core, _) = w.requests("core.wasm").await?[0];
    let (chunk, _) = w.requests("announcement.wasm").await?[0];
    assert!(
        (chunk - core).abs() < 50.0,
        "chunk at {chunk}, core at {core}"
    );
    assert!(chunk < load_end);
    assert_eq!(w.count("widget:error").await?, 0);
    assert!(w.loader_errors().await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_added_to_a_page_without_one_loads_the_form_chunk() -> Result<()> {
    let w = Wave::start().await?;
    let (a, token) = w.draft().await?;
    w.open(&[WIDGET_EVENTS, &announcement("bar")].concat(), 1)
        .await?;
    w.wait(
        "ckEvents.some(e => e.name === 'widget:mounted')",
        "the announcement",
    )
    .await?;
    assert!(w.requests("form.wasm").await?.is_empty());
    w.browser
        .eval(
            "document.body.insertAdjacentHTML('beforeend', arguments[0]);",
            json!([mount_point("late", &a, &token, "")]),
        )
        .await?;
    w.wait(
        "ckEvents.filter(e => e.name === 'widget:mounted').length >= 2",
        "the late form",
    )
    .await?;
    assert!(w.rendered("late").await?);
    let late = w.requests("/form.wasm").await?;
    assert_eq!(late.len(), 1);
    assert!(late[0].0 > w.load_end().await?, "asked by the runtime");
    assert!(w.requests("ck_bindings_bg.wasm").await?.is_empty());
    // The form chunk runs against the bare core: its validation reaches the page's bus.
    w.browser
        .eval(
            "document.getElementById('late').shadowRoot.querySelector('button[type=submit]').click();",
            json!([]),
        )
        .await?;
    w.wait(
        "ckEvents.some(e => e.name === 'form:error')",
        "the late form's validation event",
    )
    .await?;
    assert_eq!(w.count("ready").await?, 1);
    assert_eq!(w.count("widget:error").await?, 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_widget_types_get_their_chunks_and_share_one_bus() -> Result<()> {
    let w = Wave::start().await?;
    let (a, token) = w.draft().await?;
    let body = [
        WIDGET_EVENTS.to_string(),
        mount_point("w1", &a, &token, ""),
        announcement("bar"),
        RATING.to_string(),
    ]
    .concat();
    w.open(&body, 1).await?;
    w.wait(
        "ckEvents.filter(e => e.name === 'widget:mounted').length >= 3",
        "the three widgets",
    )
    .await?;
    assert_eq!(
        embed_files(&w).await?,
        [
            "announcement.wasm",
            "ck_bindings.js",
            "ck_bindings_bg.wasm",
            "loader.js",
            "rating.wasm"
        ]
    );
    assert_eq!(w.count("ready").await?, 1, "one runtime");
    // One page subscription hears the widgets of the linked core and of two chunks: the
    // announcement's dismissal, the form's validation error (an empty required email) and the
    // rating's choice.
    w.browser
        .eval(
            "document.getElementById('bar').shadowRoot.querySelector('button').click();\
             document.getElementById('w1').shadowRoot.querySelector('button[type=submit]').click();\
             document.getElementById('stars').shadowRoot.querySelectorAll('[role=radio]')[3].click();",
            json!([]),
        )
        .await?;
    w.wait(
        "['announcement:dismissed', 'form:error', 'rating:chosen'].every(n => ckEvents.some(e => e.name === n))",
        "events from the three widgets",
    )
    .await?;
    // The page's own `ck('emit')` reaches the same bus.
    assert!(w.ck_runs().await?);
    assert_eq!(w.count("widget:error").await?, 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mount_point_of_a_new_type_added_later_loads_its_chunk() -> Result<()> {
    let w = Wave::start().await?;
    let (a, token) = w.draft().await?;
    w.open_form(&a, &token).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(w.requests("announcement.wasm").await?.is_empty());
    w.browser
        .eval(
            "document.body.insertAdjacentHTML('beforeend', arguments[0]);",
            json!([announcement("late")]),
        )
        .await?;
    w.wait(
        "ckEvents.filter(e => e.name === 'widget:mounted').length >= 2",
        "the late announcement",
    )
    .await?;
    assert!(
        w.js("!!document.getElementById('late').shadowRoot.querySelector('time')")
            .await?
            == json!(true)
    );
    let late = w.requests("announcement.wasm").await?;
    assert_eq!(late.len(), 1);
    assert!(late[0].0 > w.load_end().await?, "asked by the runtime");
    assert_eq!(w.count("ready").await?, 1);
    assert_eq!(w.count("widget:error").await?, 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_that_fails_to_load_reports_once_and_the_page_keeps_working() -> Result<()> {
    let w = Wave::start().await?;
    let (a, token) = w.draft().await?;
    w.block("*announcement.wasm*").await?;
    let body = [
        mount_point("w1", &a, &token, ""),
        announcement("bar1"),
        announcement("bar2"),
    ]
    .concat();
    w.open(&body, 1).await?;
    let errors = w
        .settled_errors(
            "ckEvents.filter(e => e.name === 'widget:error').length >= 2 && ckEvents.some(e => e.name === 'widget:mounted')",
            "two chunk errors and the form",
        )
        .await?;
    assert_eq!(
        errors,
        json!(["bar1/chunk_unavailable", "bar2/chunk_unavailable"]),
        "one report per mount point"
    );
    let beacons = w.loader_errors().await?;
    assert_eq!(beacons.len(), 1, "one error beacon: {beacons:?}");
    assert_eq!(beacons[0]["src"], "loader");
    // The announcement mount points stay empty; the form works; `ck` runs.
    assert_eq!(
        w.js("['bar1', 'bar2'].map(id => document.getElementById(id).shadowRoot)")
            .await?,
        json!([null, null])
    );
    assert!(w.rendered("w1").await?);
    assert!(w.ck_runs().await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mount_point_unmounted_while_its_chunk_loads_stays_unmounted() -> Result<()> {
    let w = Wave::start().await?;
    let (a, token) = w.draft().await?;
    w.open_form(&a, &token).await?;
    // From here every request takes 600 ms: the chunk is still on its way when the page
    // changes its mind.
    w.browser.cdp("Network.enable", json!({})).await?;
    w.browser
        .cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": false, "latency": 600, "downloadThroughput": -1, "uploadThroughput": -1}),
        )
        .await?;
    w.browser
        .eval(
            "document.body.insertAdjacentHTML('beforeend', arguments[0]);",
            json!([announcement("late")]),
        )
        .await?;
    // The observer has seen it and the runtime has asked for the chunk (a microtask later).
    tokio::time::sleep(Duration::from_millis(150)).await;
    w.js("ck('unmount', document.getElementById('late'))")
        .await?;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        w.js("document.getElementById('late').shadowRoot").await?,
        serde_json::Value::Null,
        "the loader's remount left the unmounted mount point alone"
    );
    assert_eq!(w.count("widget:mounted").await?, 1);
    // The page's own `ck('mount')` still mounts it, with the chunk already in.
    w.js("ck('mount', document.getElementById('late'))").await?;
    w.wait(
        "ckEvents.filter(e => e.name === 'widget:mounted').length >= 2",
        "the page's mount",
    )
    .await?;
    assert_eq!(w.count("widget:error").await?, 0);
    Ok(())
}
