//! The rating widget (widgets/rating, made with `cargo xtask new-widget rating`), served from
//! its increment build `dist/sizes/rating/` (made by `cargo xtask dist`): a keyboard user's way
//! through the radio group, the `rating:chosen` events, and screenshots (light and dark, 390 and
//! 1280 px) in `target/screenshots/rating/`.

use anyhow::Result;
use ck_e2e::keys::{ENTER, SPACE, TAB};
use ck_e2e::{screenshot_dir, Browser, Page};
use serde_json::{json, Value};

// WebDriver key codes the harness's `keys` does not name.
const ARROW_LEFT: &str = "\u{E012}";
const ARROW_RIGHT: &str = "\u{E014}";
const HOME: &str = "\u{E011}";
const END: &str = "\u{E010}";

/// The radio group of mount point `host`: tabindex and aria-checked of each star (as strings
/// like `0----` and `..x..`), the focused star, the label and the live region's text.
async fn state(browser: &Browser, host: &str) -> Result<Value> {
    browser
        .eval(
            "const r = document.querySelector(arguments[0]).shadowRoot;\
             const s = [...r.querySelectorAll('[role=radio]')];\
             const g = r.querySelector('[role=radiogroup]');\
             return {tabs: s.map(e => e.getAttribute('tabindex') === '0' ? '0' : '-').join(''),\
                     checked: s.map(e => e.getAttribute('aria-checked') === 'true' ? 'x' : '.').join(''),\
                     filled: s.map(e => e.classList.contains('on') ? '*' : '.').join(''),\
                     focused: s.indexOf(r.activeElement),\
                     names: s.map(e => e.getAttribute('aria-label')),\
                     label: r.getElementById(g.getAttribute('aria-labelledby')).textContent,\
                     status: r.querySelector('[role=status]').textContent,\
                     icons: r.querySelectorAll('[role=radio] svg[aria-hidden=true]').length};",
            json!([host]),
        )
        .await
}

/// The `value`s of the `rating:chosen` events so far, in order.
async fn chosen(browser: &Browser) -> Result<Vec<u64>> {
    let events = browser.events("rating:chosen").await?;
    for e in &events {
        assert_eq!(e["detail"]["widget"], "rating", "{e}");
        assert!(
            e["detail"].get("id").is_some(),
            "the detail names the instance: {e}"
        );
    }
    Ok(events
        .iter()
        .filter_map(|e| e["detail"]["value"].as_u64())
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rating_by_keyboard_and_pointer_emits_chosen() -> Result<()> {
    let page = Page::start(Some("rating")).await?;
    page.goto("rating.html").await?;
    let browser = &page.browser;
    browser
        .wait_for(
            "document.querySelector('#preset')?.shadowRoot?.querySelectorAll('[role=radio]').length === 5",
            "the ratings to render",
        )
        .await?;

    let first = state(browser, "#rating").await?;
    assert_eq!(first["label"], "How was your visit?");
    assert_eq!(first["names"][0], "1 star");
    assert_eq!(first["names"][4], "5 stars");
    assert_eq!(first["icons"], 5, "one decorative star icon each");
    assert_eq!(first["tabs"], "0----", "one tab stop: the first star");
    assert_eq!(first["checked"], ".....");
    assert_eq!(first["status"], "");
    let preset = state(browser, "#preset").await?;
    assert_eq!(preset["checked"], "...x.", "config value 4");
    assert_eq!(preset["filled"], "****.");
    assert_eq!(preset["tabs"], "---0-", "the tab stop is the checked star");

    // Tab into the group lands on its one tab stop; Space chooses it.
    browser.tab_to("#rating").await?;
    assert_eq!(state(browser, "#rating").await?["focused"], 0);
    browser.keys(&[SPACE]).await?;
    browser.wait_events("rating:chosen", 1).await?;
    // Arrows move focus and choose, wrapping; Home and End jump.
    for (key, focused, checked) in [
        (ARROW_RIGHT, 1, ".x..."),
        (ARROW_RIGHT, 2, "..x.."),
        (END, 4, "....x"),
        (HOME, 0, "x...."),
        (ARROW_LEFT, 4, "....x"),
    ] {
        browser.keys(&[key]).await?;
        let now = state(browser, "#rating").await?;
        assert_eq!(now["focused"], focused, "{now}");
        assert_eq!(now["checked"], checked, "{now}");
        assert_eq!(
            now["tabs"].as_str().unwrap_or_default().find('0'),
            Some(focused),
            "the tab stop follows: {now}"
        );
    }
    let now = state(browser, "#rating").await?;
    assert_eq!(now["filled"], "*****");
    assert_eq!(now["status"], "Thanks! You chose 5 of 5 stars.");
    // Enter on the star already chosen changes nothing and sends nothing.
    browser.keys(&[ENTER]).await?;
    browser.wait_events("rating:chosen", 6).await?;
    assert_eq!(chosen(browser).await?, [1, 2, 3, 5, 1, 5]);

    // Tab leaves the group (one stop) for the next rating; Enter chooses there.
    browser.keys(&[TAB]).await?;
    let on_dark = browser
        .eval("return document.activeElement.id;", json!([]))
        .await?;
    assert_eq!(on_dark, "dark", "one Tab leaves the first group");
    browser.keys(&[ENTER]).await?;
    browser.wait_events("rating:chosen", 7).await?;
    assert_eq!(state(browser, "#dark").await?["checked"], "x....");
    assert_eq!(
        state(browser, "#dark").await?["status"],
        "Merci ! Thank you for rating."
    );

    // A click chooses too.
    browser
        .click("document.querySelector('#dark').shadowRoot.querySelectorAll('[role=radio]')[2]")
        .await?;
    browser.wait_events("rating:chosen", 8).await?;
    assert_eq!(chosen(browser).await?, [1, 2, 3, 5, 1, 5, 1, 3]);
    assert_eq!(state(browser, "#dark").await?["filled"], "***..");
    // Arrow keys inside the group never scroll the page.
    assert_eq!(browser.eval("return window.scrollY;", json!([])).await?, 0);

    // Screenshots for a person to look at: light and dark, phone and desktop.
    let dir = screenshot_dir("rating")?;
    for dark in [false, true] {
        browser.color_scheme(dark).await?;
        for width in [390, 1280] {
            browser.set_width(width).await?;
            let scheme = if dark { "dark" } else { "light" };
            browser
                .screenshot(&dir.join(format!("rating-{scheme}-{width}.png")))
                .await?;
        }
    }
    Ok(())
}
