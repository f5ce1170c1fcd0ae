//! The form reaching into the page: hidden fields and prefill (mount-point attributes, the
//! page URL's allowed query parameters, `ck('set')` before and after mount), its texts in the
//! page's language (the server adds them to the manifest) and from the config, brand options as custom properties of its own
//! stylesheet, and the "Made with Clickeen" credit that the plan flag `remove_branding` hides.
//! Screenshots of a branded form with and without the credit go to
//! `target/screenshots/form-brand/`.

use anyhow::Result;
use ck_e2e::{screenshot_dir, FormPage, Server, HOST};
use serde_json::{json, Value};

/// A form with hidden fields, URL parameters and prefill, as a campaign landing page has.
fn campaign_config() -> Value {
    json!({
        "title": "Book a demo",
        "fields": [
            {"type": "text", "name": "name", "label": "Name", "required": true, "query": ["name"]},
            {"type": "email", "name": "email", "label": "Email", "required": true},
            {"type": "select", "name": "topic", "label": "Topic", "options": ["Sales", "Support"], "query": ["topic"]},
            {"type": "checkbox", "name": "news", "label": "Send me news"},
            {"type": "hidden", "name": "utm_source", "max_length": 20, "query": ["utm_source", "src"]},
            {"type": "hidden", "name": "campaign", "value": "default"},
            {"type": "hidden", "name": "ref"},
            {"type": "hidden", "name": "short", "max_length": 3}
        ],
        "min_fill_ms": 0
    })
}

/// Collects console warnings into `window.warns` from now on.
const CATCH_WARNINGS: &str = "window.warns = []; const w = console.warn;\
    console.warn = (...a) => { window.warns.push(a.map(String).join(' ')); w.apply(console, a); };";

async fn submit(page: &FormPage) -> Result<()> {
    let button = page.browser.shadow(HOST, "button[type=submit]").await?;
    page.browser.click(&button).await
}

/// The `data` of the only stored submission.
async fn stored(page: &FormPage) -> Result<Value> {
    use sqlx::Connection as _;
    let mut db = sqlx::SqliteConnection::connect(&page.server.database_url).await?;
    let data: String = sqlx::query_scalar("select data from submissions")
        .fetch_one(&mut db)
        .await?;
    db.close().await?;
    Ok(serde_json::from_str(&data)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefill_from_attributes_query_and_set_reaches_the_server() -> Result<()> {
    let server = Server::start(None).await?;
    let (id, token) = server.draft(&campaign_config()).await?;
    // `ck('set')` in the same task as the insertion: before the widget has mounted.
    let page = FormPage::show(
        server,
        id,
        token,
        &[
            ("data-ck-hidden-ref", "partner-7"),
            ("data-ck-hidden-utm_source", "from-attribute"),
            ("data-ck-prefill-email", "ada@example.com"),
            ("data-ck-prefill-news", "on"),
        ],
        "form-e2e.html?utm_source=newsletter&topic=Support&name=Ada&evil=1",
        &format!("{CATCH_WARNINGS} ck('set', el, {{campaign: 'spring', nope: 'x'}});"),
    )
    .await?;
    let shown = page
        .in_root(
            "({name: root.querySelector('[name=name]').value, email: root.querySelector('[name=email]').value,\
              topic: root.querySelector('[name=topic]').value, news: root.querySelector('[name=news]').checked,\
              hiddenInputs: root.querySelectorAll('input[type=hidden]').length})",
        )
        .await?;
    assert_eq!(
        shown,
        json!({"name": "Ada", "email": "ada@example.com", "topic": "Support", "news": true,
               "hiddenInputs": 0}),
        "visible fields prefilled from the URL and the attributes; hidden ones never in the DOM"
    );
    // After mount, up to the moment of submit: the latest value wins; a value over the
    // field's max_length and unknown names are refused with one warning each call.
    page.browser
        .eval(
            &format!(
                "const el = document.querySelector('{HOST}');\
                 ck('set', el, {{ref: 'partner-8', short: 'toolong', bogus: 'x', other: 'y'}});"
            ),
            json!([]),
        )
        .await?;
    let warns = page.browser.eval("return window.warns;", json!([])).await?;
    let warns: Vec<&str> = warns
        .as_array()
        .map(|w| w.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(warns.len(), 2, "{warns:?}");
    assert!(
        warns[0].contains("ignored: nope"),
        "before mount: {warns:?}"
    );
    assert!(
        warns[1].contains("ignored: short bogus other"),
        "after mount: {warns:?}"
    );
    submit(&page).await?;
    page.browser.wait_events("form:success", 1).await?;
    let data = stored(&page).await?;
    assert_eq!(
        data,
        json!({"name": "Ada", "email": "ada@example.com", "topic": "Support", "news": true,
               // The URL parameter wins over the attribute (more specific: this visit).
               "utm_source": "newsletter", "campaign": "spring", "ref": "partner-8", "short": ""}),
        "only declared fields, each from its most recent source; `evil` never read"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn french_page_shows_french_texts_and_config_strings_win() -> Result<()> {
    let mut config = campaign_config();
    config["strings"] = json!({"required_choice": "Choisissez un sujet, s’il vous plaît."});
    config["fields"][2]["required"] = json!(true);
    let server = Server::start(None).await?;
    let (id, token) = server.draft(&config).await?;
    let page = FormPage::show(
        server,
        id,
        token,
        &[],
        "form-e2e.html",
        // The closest `lang` decides: the page says English, the form's container French.
        "document.getElementById('slot').setAttribute('lang', 'fr-CA');",
    )
    .await?;
    submit(&page).await?;
    let texts = page
        .in_root(
            "({button: root.querySelector('button').textContent,\
              prompt: root.querySelector('[name=topic] option').textContent,\
              status: root.querySelector('[role=status]').textContent,\
              name: root.getElementById('ck-e-name').textContent,\
              email: root.getElementById('ck-e-email').textContent,\
              topic: root.getElementById('ck-e-topic').textContent,\
              credit: root.querySelector('.cr a').textContent})",
        )
        .await?;
    assert_eq!(
        texts,
        json!({
            "button": "Envoyer",
            "prompt": "Choisir…",
            "status": "Veuillez corriger les champs signalés.",
            "name": "Veuillez remplir ce champ.",
            "email": "Veuillez remplir ce champ.",
            "topic": "Choisissez un sujet, s’il vous plaît.",
            // A brand name: the same in every language.
            "credit": "Made with Clickeen"
        })
    );
    Ok(())
}

/// A branded form: accent, radius and font from the config.
fn branded_config() -> Value {
    let mut config = campaign_config();
    config["brand"] = json!({"accent": "#0a7", "radius": 12, "font": "Georgia, serif"});
    config
}

/// What the brand options did: computed styles inside the shadow root, and the host untouched.
const BRAND_FACTS: &str =
    "({button: getComputedStyle(root.querySelector('button')).backgroundColor,\
    buttonText: getComputedStyle(root.querySelector('button')).color,\
    radius: getComputedStyle(root.querySelector('[name=name]')).borderTopLeftRadius,\
    card: getComputedStyle(root.querySelector('.w')).borderTopLeftRadius,\
    font: getComputedStyle(root.querySelector('h2')).fontFamily,\
    hostStyle: document.querySelector('#slot [data-ck-widget]').getAttribute('style'),\
    styleElements: root.querySelectorAll('style').length,\
    credit: root.querySelector('.cr a') && {text: root.querySelector('.cr a').textContent,\
      href: root.querySelector('.cr a').href, rel: root.querySelector('.cr a').rel}})";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brand_options_and_the_credit_of_a_free_plan() -> Result<()> {
    let page = FormPage::open(&branded_config(), &[("data-ck-theme", "dark")]).await?;
    let facts = page.in_root(BRAND_FACTS).await?;
    assert_eq!(
        facts,
        json!({
            "button": "rgb(0, 170, 119)",
            // Black on this light accent contrasts more than white.
            "buttonText": "rgb(0, 0, 0)",
            "radius": "12px",
            "card": "18px",
            "font": "Georgia, serif",
            // Custom properties of an adopted stylesheet: no inline style (strict CSP).
            "hostStyle": null,
            "styleElements": 0,
            "credit": {"text": "Made with Clickeen", "href": "https://clickeen.com/?ref=form",
                       "rel": "noopener"}
        })
    );
    // `data-ck-flags` on the page cannot remove the credit: only the plan can.
    page.browser
        .eval(
            &format!(
                "const el = document.querySelector('{HOST}'); ck('unmount', el);\
                 el.setAttribute('data-ck-flags', 'remove_branding'); ck('mount', el);"
            ),
            json!([]),
        )
        .await?;
    page.browser.wait_events("widget:mounted", 2).await?;
    let facts = page.in_root(BRAND_FACTS).await?;
    assert_eq!(facts["credit"]["text"], "Made with Clickeen", "{facts}");
    let axe = page.browser.axe_serious(HOST).await?;
    assert!(axe.is_empty(), "branded dark form with credit: {axe:#?}");
    shots(&page, "free").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_branding_plan_hides_the_credit() -> Result<()> {
    let server = Server::start(None).await?;
    let (id, token) = server.draft(&branded_config()).await?;
    server.give_pro_plan(&id).await?;
    let page = FormPage::show(server, id, token, &[], "form-e2e.html", "").await?;
    let facts = page.in_root(BRAND_FACTS).await?;
    assert_eq!(facts["credit"], Value::Null, "{facts}");
    assert_eq!(facts["button"], "rgb(0, 170, 119)");
    shots(&page, "pro").await
}

/// The form at 390 and 1280 px, light and dark.
async fn shots(page: &FormPage, plan: &str) -> Result<()> {
    let dir = screenshot_dir("form-brand")?;
    let host = format!("document.querySelector('{HOST}')");
    for width in [390, 1280] {
        page.browser.set_width(width).await?;
        for theme in ["light", "dark"] {
            page.browser
                .eval(
                    &format!("{host}.setAttribute('data-ck-theme', '{theme}');"),
                    json!([]),
                )
                .await?;
            let path = dir.join(format!("{plan}-{width}-{theme}.png"));
            page.browser.screenshot(&path).await?;
            println!("screenshot: {}", path.display());
        }
    }
    Ok(())
}
