//! The outside author's widget (examples/announcement), served from the release: its lazy chunk
//! `announcement.wasm` ships next to the runtime core (`cargo xtask dist`).

use anyhow::Result;
use ck_e2e::Page;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn author_widget_mounts_ticks_and_dismisses() -> Result<()> {
    let page = Page::start(None).await?;
    page.goto("announcement.html").await?;
    let browser = &page.browser;
    browser
        .wait_for(
            "document.querySelector('#bar')?.shadowRoot?.querySelector('time')?.textContent",
            "the announcement bar to render its countdown",
        )
        .await?;
    let read = "const r = document.querySelector('#bar').shadowRoot;\
        return {msg: r.querySelector('.msg').textContent, time: r.querySelector('time').textContent,\
                link: r.querySelector('a').getAttribute('href'), icons: r.querySelectorAll('svg').length,\
                role: r.querySelector('[role=timer]') !== null};";
    let first = browser.eval(read, json!([])).await?;
    assert_eq!(first["msg"], "Spring sale: 20% off everything");
    assert_eq!(first["link"], "https://example.com/sale");
    assert_eq!(first["icons"], 2, "clock and close icons");
    assert_eq!(first["role"], true);
    let time = first["time"].as_str().unwrap_or_default().to_owned();
    assert!(
        time.contains('d') && time.ends_with(|c: char| c.is_ascii_digit()),
        "{time}"
    );
    // It ticks: the text changes within ~2 seconds.
    browser
        .wait_for(
            &format!(
                "document.querySelector('#bar').shadowRoot.querySelector('time').textContent !== {}",
                json!(time)
            ),
            "the countdown to tick",
        )
        .await?;

    // The second bar's deadline has passed: ended message, no countdown, event emitted.
    let ended = browser
        .eval(
            "const r = document.querySelector('#ended').shadowRoot;\
             return {msg: r.querySelector('.msg').textContent, timerHidden: getComputedStyle(r.querySelector('[role=timer]')).display === 'none',\
                     button: r.querySelector('button')};",
            json!([]),
        )
        .await?;
    assert_eq!(ended["msg"], "Early-bird pricing has ended.");
    assert_eq!(ended["timerHidden"], true);
    assert!(ended["button"].is_null(), "dismissible: false");
    browser.wait_events("announcement:ended", 1).await?;

    // Dismiss by keyboard-reachable button.
    browser
        .eval(
            "document.querySelector('#bar').shadowRoot.querySelector('button').click();",
            json!([]),
        )
        .await?;
    browser
        .wait_for(
            "getComputedStyle(document.querySelector('#bar').shadowRoot.querySelector('.bar')).display === 'none'",
            "the bar to hide",
        )
        .await?;
    browser.wait_events("announcement:dismissed", 1).await?;

    // Removing the mount point unmounts it (timer and listener released with the handle).
    browser
        .eval("document.querySelector('#bar').remove();", json!([]))
        .await?;
    Ok(())
}
