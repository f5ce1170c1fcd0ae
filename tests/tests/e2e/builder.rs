//! The public builder at `/`: keyboard-only building (remove, reorder, edit), the live preview
//! (the real embed, re-rendered on every change), validation by the form's own parser compiled to
//! wasm (an invalid config never reaches the server), publish, copy, and edits after publishing
//! updating the same draft.

use anyhow::{Context, Result};
use ck_e2e::keys::ENTER;
use ck_e2e::{Browser, Server};
use serde_json::{json, Value};

/// WebDriver keys: a focused text input has its text selected (as after Tab); End keeps it.
const END: &str = "\u{E010}";
const BACKSPACE: &str = "\u{E003}";

/// The preview's mount point.
pub(crate) const PREVIEW: &str = "#preview [data-ck-widget]";

/// A published draft as the builder keeps it in `localStorage`.
pub(crate) struct Published {
    pub(crate) id: String,
    pub(crate) embed_token: String,
    pub(crate) draft_token: String,
}

/// Opens the builder and waits for the preview to render the form.
pub(crate) async fn open_builder(server: &Server, browser: &Browser) -> Result<()> {
    browser.goto(&format!("{}/", server.base)).await?;
    wait_preview(browser).await
}

async fn wait_preview(browser: &Browser) -> Result<()> {
    browser
        .wait_for(
            &format!(
                "(() => {{ const h = document.querySelector({}); return h && h.shadowRoot && h.shadowRoot.querySelector('form'); }})()",
                json!(PREVIEW)
            ),
            "the preview's form",
        )
        .await
}

/// The labels the preview shows, in order.
async fn preview_labels(browser: &Browser) -> Result<Value> {
    browser
        .eval(
            "return [...document.querySelector(arguments[0]).shadowRoot.querySelectorAll('label')]\
               .filter(l => !l.control || l.control.name !== 'ck_website')\
               .map(l => l.textContent.replace('*', '').trim()).filter(Boolean);",
            json!([PREVIEW]),
        )
        .await
}

/// Clicks Publish (or Update draft) and waits for the outcome; returns the current draft.
pub(crate) async fn publish(browser: &Browser) -> Result<Published> {
    browser
        .click("document.getElementById('publish-button')")
        .await?;
    wait_published(browser).await
}

async fn wait_published(browser: &Browser) -> Result<Published> {
    browser
        .wait_for(
            "!document.getElementById('published').hidden && /Published|Updated/.test(document.getElementById('publish-status').textContent)",
            "publish",
        )
        .await?;
    let d = browser
        .eval(
            "const w = JSON.parse(localStorage.getItem('ck-builder-work'));\
             return JSON.parse(localStorage.getItem('ck-drafts')).find(d => d.id === w.draft);",
            json!([]),
        )
        .await?;
    let s = |k: &str| d[k].as_str().map(String::from).context(k.to_owned());
    Ok(Published {
        id: s("id")?,
        embed_token: s("embed_token")?,
        draft_token: s("draft_token")?,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_only_build_reorder_publish_copy_and_update() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    browser.allow_clipboard(&server.base).await?;
    open_builder(&server, &browser).await?;
    assert_eq!(
        preview_labels(&browser).await?,
        json!(["Your name", "Email", "Message"])
    );

    // Two fields: remove the third, with the keyboard only.
    browser
        .tab_to("button[aria-label='Remove Message']")
        .await?;
    browser.keys(&[ENTER]).await?;
    // Reorder: Email up. Focus follows the field (now first, so onto its "down" button).
    browser
        .tab_to("button[aria-label='Move up: Email']")
        .await?;
    browser.keys(&[ENTER]).await?;
    let focused = browser
        .eval(
            "return document.activeElement.getAttribute('aria-label');",
            json!([]),
        )
        .await?;
    assert_eq!(focused, "Move down: Email");
    // Edit a label by typing into it.
    browser
        .tab_to("fieldset.field-card:first-of-type input[id$='-label']")
        .await?;
    browser.keys(&[END, " address"]).await?;
    browser
        .wait_for(
            &format!("document.querySelector({}).shadowRoot.querySelector('label').textContent.includes('Email address')", json!(PREVIEW)),
            "the preview to follow the edit",
        )
        .await?;
    assert_eq!(
        preview_labels(&browser).await?,
        json!(["Email address", "Your name"])
    );

    // Publish and copy, by keyboard.
    browser.tab_to("#publish-button").await?;
    browser.keys(&[ENTER]).await?;
    let draft = wait_published(&browser).await?;
    let snippet = browser
        .eval(
            "return document.getElementById('snippet').value;",
            json!([]),
        )
        .await?;
    let snippet = snippet.as_str().context("snippet")?.to_owned();
    assert!(
        snippet.contains(&draft.id) && snippet.contains(&draft.embed_token),
        "{snippet}"
    );
    assert!(
        !snippet.contains(&draft.draft_token),
        "the snippet never carries the draft token"
    );
    browser.tab_to("#copy-button").await?;
    browser.keys(&[ENTER]).await?;
    browser
        .wait_for(
            "document.getElementById('copy-status').textContent === 'Copied.'",
            "copy",
        )
        .await?;
    let copied = browser
        .eval_async(
            "const done = arguments[arguments.length - 1]; navigator.clipboard.readText().then(done, e => done('' + e));",
            json!([]),
        )
        .await?;
    assert_eq!(copied.as_str(), Some(snippet.as_str()));
    let claim = browser
        .eval(
            "return document.getElementById('claim-link').getAttribute('href');",
            json!([]),
        )
        .await?;
    assert_eq!(claim, json!(format!("/claim#{}", draft.draft_token)));

    // An invalid edit is shown at its field and never sent: a name with a space.
    browser
        .tab_to("fieldset.field-card:first-of-type input[id$='-name']")
        .await?;
    browser.keys(&[END, " x"]).await?;
    browser
        .wait_for(
            "document.activeElement.getAttribute('aria-invalid') === 'true' && document.querySelector('.field-error[data-for=\"fields[0].name\"]')",
            "the error at the name input",
        )
        .await?;
    browser
        .click("document.getElementById('publish-button')")
        .await?;
    browser
        .wait_for(
            "document.getElementById('publish-status').textContent.startsWith('Fix') && document.activeElement.dataset.path === 'fields[0].name'",
            "publish refused, focus on the problem",
        )
        .await?;
    // Fixed, the update goes to the same draft: no second instance, the new config is served.
    browser.keys(&[BACKSPACE, BACKSPACE]).await?;
    browser
        .wait_for(
            "!document.querySelector('.field-error[data-for]')",
            "the error to clear",
        )
        .await?;
    browser
        .tab_to("fieldset.field-card:first-of-type input[id$='-label']")
        .await?;
    browser.keys(&[END, " (work)"]).await?;
    let updated = publish(&browser).await?;
    assert_eq!(updated.id, draft.id);
    assert_eq!(
        server
            .scalar("select count(*) from widget_instances")
            .await?,
        1
    );
    let manifest: Value = reqwest::get(format!(
        "{}/api/v1/widgets/{}/config?token={}",
        server.base, draft.id, draft.embed_token
    ))
    .await?
    .json()
    .await?;
    assert_eq!(
        manifest["config"]["fields"][0]["label"],
        "Email address (work)"
    );
    // The preview itself sent no usage events.
    assert_eq!(
        server
            .scalar("select count(*) from usage_counters_daily")
            .await?,
        0
    );
    Ok(())
}

/// The editor's config as the builder saved it.
async fn saved_config(browser: &Browser) -> Result<Value> {
    browser
        .eval(
            "return JSON.parse(localStorage.getItem('ck-builder-work')).config;",
            json!([]),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_declares_a_hidden_field_its_url_parameters_and_the_brand() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    open_builder(&server, &browser).await?;
    // The brand (at the top, with the form's own inputs): every input labelled.
    browser.tab_to("input[id$='-brand-accent']").await?;
    browser.keys(&["#0a7"]).await?;
    browser.tab_to("input[id$='-brand-radius']").await?;
    browser.keys(&["12"]).await?;
    // A hidden field, added with the keyboard: pick the type, then "Add field"; focus lands on
    // the new field.
    browser.tab_to("select[id$='-add-type']").await?;
    browser.keys(&["Hidden"]).await?;
    browser.tab_to("button.quiet:not([id])").await?;
    browser.keys(&[ENTER]).await?;
    browser
        .tab_to("fieldset.field-card:last-of-type input[id$='-max_length']")
        .await?;
    browser.keys(&["40"]).await?;
    browser
        .tab_to("fieldset.field-card:last-of-type input[id$='-query']")
        .await?;
    browser.keys(&["utm_source, src"]).await?;
    let config = saved_config(&browser).await?;
    let hidden = config["fields"]
        .as_array()
        .and_then(|f| f.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(hidden["type"], "hidden", "{config}");
    assert_eq!(hidden["query"], json!(["utm_source", "src"]), "{config}");
    assert_eq!(hidden["max_length"], 40, "{config}");
    assert_eq!(config["brand"], json!({"accent": "#0a7", "radius": 12}));
    let labelled = browser
        .eval(
            "return ['-brand-accent', '-brand-radius', '-brand-font'].every(s =>\
               document.querySelector(`input[id$='${s}']`).closest('label')?.textContent.trim().length > 0);",
            json!([]),
        )
        .await?;
    assert_eq!(labelled, true);
    // A bad value is named at its input by the form's own parser (wasm), as the server would.
    browser
        .eval(
            "document.querySelector(\"input[id$='-brand-accent']\").focus();",
            json!([]),
        )
        .await?;
    browser.keys(&[END, "x"]).await?;
    browser
        .wait_for(
            "document.querySelector(\"input[id$='-brand-accent']\").getAttribute('aria-invalid') === 'true'",
            "the accent error",
        )
        .await?;
    Ok(())
}
