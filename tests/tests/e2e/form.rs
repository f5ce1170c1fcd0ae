//! The Form widget against the real server (drafts for config and token, submissions stored in
//! SQLite).

use anyhow::Result;
use ck_e2e::keys::{ARROW_DOWN, ENTER, SPACE, TAB};
use ck_e2e::{contact_config, FormPage, HOST};
use serde_json::{json, Value};

/// Asserts `facts[key] == want` for every row, naming the row that differs.
fn assert_facts(facts: &Value, rows: &[(&str, Value)]) {
    for (key, want) in rows {
        assert_eq!(&facts[*key], want, "{key} in {facts}");
    }
}

async fn fill_valid(page: &FormPage) -> Result<()> {
    let b = &page.browser;
    b.type_into(&page.field("name").await?, "Ada Lovelace")
        .await?;
    b.type_into(&page.field("email").await?, "ada@example.com")
        .await?;
    b.type_into(&page.field("message").await?, "Hello there")
        .await?;
    b.type_into(&page.field("seats").await?, "12").await?;
    b.click(&page.field("agree").await?).await?;
    Ok(())
}

async fn submit(page: &FormPage) -> Result<()> {
    let button = page.browser.shadow(HOST, "button[type=submit]").await?;
    page.browser.click(&button).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_renders_from_config_with_labels() -> Result<()> {
    let page = FormPage::open(&contact_config(), &[]).await?;
    let facts = page
        .in_root(
            "({\
              title: root.querySelector('h2').textContent,\
              labelledby: root.querySelector('form').getAttribute('aria-labelledby'),\
              button: root.querySelector('button').textContent,\
              controls: [...root.querySelectorAll('input:not([name=ck_website]),select,textarea')].map(c => ({\
                 name: c.name, type: c.type,\
                 label: c.id ? (root.querySelector('label[for=\"' + c.id + '\"]')?.textContent || '') : '',\
                 required: c.required })),\
              legend: root.querySelector('fieldset legend').textContent,\
              hidden: root.querySelector('[name=source]'),\
              status: root.querySelector('[role=status]') !== null\
            })",
        )
        .await?;
    assert_facts(
        &facts,
        &[
            ("title", json!("Contact us")),
            ("labelledby", json!("ck-t")),
            ("button", json!("Send")),
            ("legend", json!("Team size")),
            // Hidden fields render no input.
            ("hidden", Value::Null),
            ("status", json!(true)),
        ],
    );
    let controls = facts["controls"].as_array().expect("controls");
    let names: Vec<&str> = controls
        .iter()
        .map(|c| c["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        ["name", "email", "topic", "size", "size", "seats", "message", "agree"]
    );
    for control in controls {
        assert!(
            !control["label"].as_str().unwrap_or("").is_empty(),
            "every control has a label: {control}"
        );
    }
    assert_eq!(controls[1]["type"], "email");
    assert_eq!(controls[0]["required"], true);
    assert_eq!(controls[0]["label"], "Your name *");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_fields_block_submit_and_are_announced() -> Result<()> {
    let page = FormPage::open(&contact_config(), &[]).await?;
    let b = &page.browser;
    b.type_into(&page.field("email").await?, "not-an-email")
        .await?;
    submit(&page).await?;
    let state = page
        .in_root(
            "({\
              status: root.querySelector('[role=status]').textContent,\
              nameInvalid: root.querySelector('[name=name]').getAttribute('aria-invalid'),\
              nameDescribed: root.querySelector('[name=name]').getAttribute('aria-describedby'),\
              nameError: root.getElementById('ck-e-name').textContent,\
              nameErrorHidden: root.getElementById('ck-e-name').hidden,\
              emailError: root.getElementById('ck-e-email').textContent,\
              agreeError: root.getElementById('ck-e-agree').textContent,\
              topicInvalid: root.querySelector('[name=topic]').getAttribute('aria-invalid'),\
              focused: root.activeElement && root.activeElement.name\
            })",
        )
        .await?;
    assert_facts(
        &state,
        &[
            ("status", json!("Please correct the highlighted fields.")),
            ("nameInvalid", json!("true")),
            ("nameDescribed", json!("ck-e-name")),
            ("nameError", json!("Please fill in this field.")),
            ("nameErrorHidden", json!(false)),
            ("emailError", json!("Please enter a valid email address.")),
            ("agreeError", json!("Please tick this box.")),
            // An optional untouched field stays valid.
            ("topicInvalid", Value::Null),
            // Focus moves to the first invalid field.
            ("focused", json!("name")),
        ],
    );
    assert!(
        page.browser.events("form:submit").await?.is_empty(),
        "nothing was sent"
    );
    let errors = page.browser.events("form:error").await?;
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["detail"]["reason"], "validation");
    assert!(
        !errors[0].to_string().contains("not-an-email"),
        "event details carry no visitor values"
    );
    // Editing a field clears its error.
    b.type_into(&page.field("name").await?, "A").await?;
    let cleared = page
        .in_root("root.querySelector('[name=name]').getAttribute('aria-invalid')")
        .await?;
    assert!(cleared.is_null());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn successful_submit_shows_success_and_emits_event() -> Result<()> {
    let page = FormPage::open(&contact_config(), &[]).await?;
    fill_valid(&page).await?;
    submit(&page).await?;
    page.browser.wait_events("form:success", 1).await?;
    let state = page
        .in_root(
            "({form: root.querySelector('form'), status: root.querySelector('[role=status]').textContent,\
              focused: root.activeElement && root.activeElement.getAttribute('role')})",
        )
        .await?;
    assert_facts(
        &state,
        &[
            // The success message replaces the form.
            ("form", Value::Null),
            ("status", json!("Thanks, we got it!")),
            ("focused", json!("status")),
        ],
    );
    let success = &page.browser.events("form:success").await?[0]["detail"];
    assert_eq!(success["id"], Value::String(page.id.clone()));
    assert!(success["submission"]
        .as_str()
        .is_some_and(|s| s.len() >= 32));
    assert_eq!(page.browser.events("form:submit").await?.len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_only_fill_and_submit() -> Result<()> {
    let config = json!({
        "fields": [
            {"type": "text", "name": "name", "label": "Name", "required": true},
            {"type": "email", "name": "email", "label": "Email", "required": true},
            {"type": "radio", "name": "plan", "label": "Plan", "options": ["Free", "Pro"], "required": true},
            {"type": "checkbox", "name": "agree", "label": "I agree", "required": true}
        ],
        "success_message": "Sent by keyboard.",
        "min_fill_ms": 0
    });
    let page = FormPage::open(&config, &[]).await?;
    let b = &page.browser;
    // Start from the page: focus something before the widget, then only keys.
    b.eval(
        "const a = document.createElement('button'); a.id = 'before'; a.textContent = 'before';\
         document.body.prepend(a); a.focus();",
        json!([]),
    )
    .await?;
    b.keys(&[
        TAB,
        "Grace",
        TAB,
        "grace@example.com",
        TAB,
        ARROW_DOWN,
        TAB,
        SPACE,
    ])
    .await?;
    // Tab order: name → email → radio group (arrow down selects "Pro") → checkbox; Space ticks.
    let state = page
        .in_root(
            "({name: root.querySelector('[name=name]').value, email: root.querySelector('[name=email]').value,\
              plan: (root.querySelector('[name=plan]:checked') || {}).value,\
              agree: root.querySelector('[name=agree]').checked,\
              focusVisible: root.activeElement && getComputedStyle(root.activeElement).outlineStyle})",
        )
        .await?;
    assert_facts(
        &state,
        &[
            ("name", json!("Grace")),
            ("email", json!("grace@example.com")),
            ("plan", json!("Pro")),
            ("agree", json!(true)),
            // Keyboard focus is visible.
            ("focusVisible", json!("solid")),
        ],
    );
    // The honeypot is skipped: the next Tab reaches the submit button.
    b.keys(&[TAB]).await?;
    let focused = page
        .in_root("root.activeElement && root.activeElement.tagName")
        .await?;
    assert_eq!(focused, "BUTTON");
    b.keys(&[ENTER]).await?;
    // The keyboard submit succeeds.
    b.wait_events("form:success", 1).await?;
    Ok(())
}

/// What a failed submit announces.
const KEPT: &str = "Sending failed. Your entries are kept; please try again.";

/// Submits, waits for `form:error`, and reads what the visitor sees: the entered values, the
/// button, whether the form is still there, and the live region.
async fn submit_until_error(page: &FormPage) -> Result<Value> {
    submit(page).await?;
    page.browser.wait_events("form:error", 1).await?;
    page.in_root(
        "({name: root.querySelector('[name=name]').value, email: root.querySelector('[name=email]').value,\
          message: root.querySelector('[name=message]').value, agree: root.querySelector('[name=agree]').checked,\
          disabled: root.querySelector('button').disabled, form: !!root.querySelector('form'),\
          status: root.querySelector('[role=status]').textContent})",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_submit_keeps_values_and_allows_retry() -> Result<()> {
    let mut page = FormPage::open(&contact_config(), &[]).await?;
    fill_valid(&page).await?;
    // The server goes away: the request fails at the network level (after one retry).
    page.server.stop().await?;
    let state = submit_until_error(&page).await?;
    assert_facts(
        &state,
        &[
            ("name", json!("Ada Lovelace")),
            ("email", json!("ada@example.com")),
            ("message", json!("Hello there")),
            ("agree", json!(true)),
            // Retry is possible.
            ("disabled", json!(false)),
            ("status", json!(KEPT)),
        ],
    );
    let error = &page.browser.events("form:error").await?[0]["detail"];
    assert_eq!(error["reason"], "network");
    Ok(())
}

/// Runs one SQL statement on the server's own SQLite database.
async fn sql(page: &FormPage, statement: &str) -> Result<()> {
    use sqlx::Connection;
    let mut db = sqlx::SqliteConnection::connect(&page.server.database_url).await?;
    sqlx::raw_sql(statement).execute(&mut db).await?;
    db.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_keeps_values_and_retry_succeeds() -> Result<()> {
    let page = FormPage::open(&contact_config(), &[]).await?;
    fill_valid(&page).await?;
    // A real failure inside the server: the store refuses the insert, the API answers 500.
    sql(
        &page,
        "CREATE TRIGGER ck_test_fail BEFORE INSERT ON submissions \
         BEGIN SELECT RAISE(ABORT, 'store unavailable (test)'); END;",
    )
    .await?;
    let state = submit_until_error(&page).await?;
    assert_facts(
        &state,
        &[
            ("email", json!("ada@example.com")),
            ("agree", json!(true)),
            // The form stays, and retry is possible.
            ("form", json!(true)),
            ("disabled", json!(false)),
            ("status", json!(KEPT)),
        ],
    );
    assert_eq!(
        page.browser.events("form:error").await?[0]["detail"]["reason"],
        "server"
    );
    // The store recovers; the same entries go through on the visitor's retry.
    sql(&page, "DROP TRIGGER ck_test_fail;").await?;
    submit(&page).await?;
    // The retry succeeds.
    page.browser.wait_events("form:success", 1).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn button_is_disabled_while_sending() -> Result<()> {
    let mut config = contact_config();
    // The widget holds the request until the minimum fill time has passed.
    config["min_fill_ms"] = json!(3000);
    let page = FormPage::open(&config, &[]).await?;
    fill_valid(&page).await?;
    submit(&page).await?;
    let state = page
        .in_root(
            "({disabled: root.querySelector('button').disabled, status: root.querySelector('[role=status]').textContent})",
        )
        .await?;
    assert_facts(
        &state,
        &[("disabled", json!(true)), ("status", json!("Sending…"))],
    );
    // The delayed submit succeeds: the server accepted its elapsed_ms.
    page.browser.wait_events("form:success", 1).await?;
    Ok(())
}

async fn colours(page: &FormPage) -> Result<Value> {
    page.in_root(
        "(() => { const w = getComputedStyle(root.querySelector('.w')); const i = getComputedStyle(root.querySelector('[name=name]'));\
          return [w.backgroundColor, w.color, i.backgroundColor, i.borderColor].join(' | '); })()",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dark_theme_changes_computed_colours() -> Result<()> {
    let page = FormPage::open(&contact_config(), &[("data-ck-theme", "light")]).await?;
    let light = colours(&page).await?;
    page.browser
        .eval(
            &format!("document.querySelector('{HOST}').setAttribute('data-ck-theme', 'dark');"),
            json!([]),
        )
        .await?;
    let dark = colours(&page).await?;
    assert_ne!(light, dark, "forced dark differs from light");
    // auto follows the visitor's preference.
    page.browser
        .eval(
            &format!("document.querySelector('{HOST}').setAttribute('data-ck-theme', 'auto');"),
            json!([]),
        )
        .await?;
    page.browser
        .cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
        )
        .await?;
    assert_eq!(colours(&page).await?, dark, "auto + dark preference = dark");
    page.browser
        .cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": "light"}]}),
        )
        .await?;
    assert_eq!(
        colours(&page).await?,
        light,
        "auto + light preference = light"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtl_mirrors_the_layout() -> Result<()> {
    let page = FormPage::open(&contact_config(), &[]).await?;
    let geometry = "(() => { const w = root.querySelector('.w').getBoundingClientRect();\
        const box = root.querySelector('[name=agree]').getBoundingClientRect();\
        const label = root.querySelector('label[for=ck-f-agree]').getBoundingClientRect();\
        const title = root.querySelector('h2'); const t = document.createRange(); t.selectNodeContents(title);\
        const tr = t.getBoundingClientRect();\
        return {boxLeftOfLabel: box.left < label.left, titleNearLeft: tr.left - w.left < w.right - tr.right}; })()";
    let ltr = page.in_root(geometry).await?;
    assert_eq!(ltr["boxLeftOfLabel"], true);
    assert_eq!(ltr["titleNearLeft"], true);
    page.browser
        .eval(
            &format!("document.querySelector('{HOST}').setAttribute('dir', 'rtl');"),
            json!([]),
        )
        .await?;
    let rtl = page.in_root(geometry).await?;
    assert_eq!(rtl["boxLeftOfLabel"], false, "checkbox moves to the right");
    assert_eq!(rtl["titleNearLeft"], false, "heading starts at the right");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_layout_breakage_from_320_to_1280() -> Result<()> {
    let page = FormPage::open(&contact_config(), &[]).await?;
    for width in [320, 480, 768, 1024, 1280] {
        page.browser.set_width(width).await?;
        let overflow = page
            .in_root(
                "(() => { const w = root.querySelector('.w').getBoundingClientRect();\
                  const bad = [...root.querySelectorAll('input,select,textarea,button,label,h2,p')]\
                    .filter(e => e.getClientRects().length && (e.getBoundingClientRect().right > w.right + 0.5 || e.getBoundingClientRect().left < w.left - 0.5))\
                    .map(e => e.tagName + '.' + (e.name || e.className));\
                  return {bad, pageOverflow: document.documentElement.scrollWidth > window.innerWidth + 1}; })()",
            )
            .await?;
        assert_eq!(overflow["bad"], json!([]), "at {width}px");
        assert_eq!(overflow["pageOverflow"], false, "at {width}px");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_serious_violations() -> Result<()> {
    let page = FormPage::open(&contact_config(), &[]).await?;
    let fresh = page.browser.axe_serious(HOST).await?;
    assert!(fresh.is_empty(), "fresh form: {fresh:#?}");
    // With errors showing (aria-invalid, aria-describedby, live region text).
    submit(&page).await?;
    let with_errors = page.browser.axe_serious(HOST).await?;
    assert!(with_errors.is_empty(), "form with errors: {with_errors:#?}");
    // Dark theme: contrast must hold too.
    page.browser
        .eval(
            &format!("document.querySelector('{HOST}').setAttribute('data-ck-theme', 'dark');"),
            json!([]),
        )
        .await?;
    let dark = page.browser.axe_serious(HOST).await?;
    assert!(dark.is_empty(), "dark form: {dark:#?}");
    Ok(())
}
