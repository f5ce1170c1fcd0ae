//! The owner's dashboard (`/app`) end to end: a real server, real headless Chromium, a publisher
//! page on another origin. Usage in the 7-day chart's table equals what the pixel accepted; an
//! issued token is shown once; rotating keeps the old token working through the grace period;
//! revoking stops the embed within the bound the server states; a visitor's submission appears in
//! the list and in the (formula-escaped) CSV; a second account sees none of it through any
//! dashboard URL; axe-core on every page; a keyboard-only pass; screenshots at 390 and 1280 px,
//! light and dark, in the folder the test prints.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ck_e2e::{keys, screenshot_dir, Browser, Server};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// A form whose submit is allowed quickly, with a text field visitors fill.
const FORM: &str = r#"{"title":"Contact us","min_fill_ms":300,"fields":[{"type":"text","name":"name","label":"Name","required":true}],"submit_label":"Send"}"#;

/// Records every beacon in sessionStorage (it survives the page, so the batch sent on `pagehide`
/// is counted too) and the widgets' events.
const RECORDER: &str = "<script>\
window.ckEvents = [];\
window.ck = window.ck || function () { (ck.q = ck.q || []).push(arguments); };\
['widget:mounted', 'widget:error', 'form:success'].forEach(function (name) {\
  ck('on', name, function (d) { ckEvents.push({ name: name }); });\
});\
var send = navigator.sendBeacon.bind(navigator);\
navigator.sendBeacon = function (url, body) {\
  var all = JSON.parse(sessionStorage.getItem('beacons') || '[]');\
  all.push({ url: String(url), body: String(body) });\
  sessionStorage.setItem('beacons', JSON.stringify(all));\
  return send(url, body); };\
</script>";

/// Signs up through the API, opens the confirmation link from `/dev/mail`, signs in; returns the
/// access token.
async fn account(http: &reqwest::Client, base: &str, email: &str) -> Result<String> {
    let res = http
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": PASSWORD, "workspace_name": format!("Shop of {email}")}))
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("signup: {}", res.text().await?);
    }
    let list = http
        .get(format!("{base}/dev/mail?to={email}"))
        .send()
        .await?
        .text()
        .await?;
    let id: String = list
        .split("href=\"/dev/mail/")
        .nth(1)
        .context("no mail")?
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let mail = http
        .get(format!("{base}/dev/mail/{id}"))
        .send()
        .await?
        .text()
        .await?;
    let token: String = mail
        .split("/auth/magic?token=")
        .nth(1)
        .context("no link")?
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let res = http
        .post(format!("{base}/api/v1/auth/magic-link/verify"))
        .json(&json!({ "token": token }))
        .send()
        .await?;
    let pair: Value = res.json().await?;
    pair["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("no access token")
}

/// Signs in through the dashboard's sign-in form, with the keyboard.
async fn sign_in(b: &Browser, base: &str, email: &str) -> Result<()> {
    b.goto(&format!("{base}/login")).await?;
    b.type_into(
        "document.querySelector('form[action=\"/login\"] input[name=email]')",
        email,
    )
    .await?;
    b.type_into(
        "document.querySelector('form[action=\"/login\"] input[name=password]')",
        PASSWORD,
    )
    .await?;
    b.keys(&[keys::ENTER]).await?;
    b.wait_for(
        "location.pathname.startsWith('/app/w/')",
        "the dashboard after sign-in",
    )
    .await
}

/// Sums the usage events of the beacons the publisher page sent, by kind.
async fn beacon_totals(b: &Browser) -> Result<HashMap<String, i64>> {
    let events = b
        .eval(
            "return JSON.parse(sessionStorage.getItem('beacons') || '[]')\
               .filter(x => x.url.endsWith('/api/v1/events'))\
               .flatMap(x => JSON.parse(x.body).events);",
            json!([]),
        )
        .await?;
    let mut totals = HashMap::new();
    for e in events.as_array().context("events")? {
        let kind = e["k"].as_str().context("k")?.to_owned();
        *totals.entry(kind).or_insert(0) += e["n"].as_i64().unwrap_or(1);
    }
    Ok(totals)
}

/// Today's row (the table's last day) of the usage table `table`: its numbers, in column order.
async fn today_row(b: &Browser, table: &str) -> Result<Vec<i64>> {
    let row = b
        .eval(
            "return [...document.querySelectorAll(arguments[0] + ' tbody tr:last-child td')].map(td => +td.textContent);",
            json!([table]),
        )
        .await?;
    Ok(row
        .as_array()
        .context("row")?
        .iter()
        .filter_map(Value::as_i64)
        .collect())
}

/// Reloads `url` until today's row of `table` is `want` (the flush interval is the bound).
async fn wait_for_row(
    b: &Browser,
    url: &str,
    table: &str,
    want: &[i64],
    within: Duration,
) -> Result<()> {
    let deadline = Instant::now() + within;
    loop {
        b.goto(url).await?;
        let row = today_row(b, table).await?;
        if row == want {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{table}: today's row is {row:?}, the pixel accepted {want:?}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// axe-core (no serious or critical violations) and screenshots at 390 and 1280 px, light and
/// dark, of the page at `url`, saved as `name-{width}-{scheme}.png`.
async fn check_page(b: &Browser, url: &str, name: &str, dir: &std::path::Path) -> Result<()> {
    b.goto(url).await?;
    check_shown(b, name, dir).await
}

/// [`check_page`] for the page the browser shows (e.g. the answer to a form post).
async fn check_shown(b: &Browser, name: &str, dir: &std::path::Path) -> Result<()> {
    let violations = b.axe_serious("html").await?;
    if !violations.is_empty() {
        bail!("axe on {name}:\n{}", violations.join("\n"));
    }
    for width in [390, 1280] {
        for dark in [false, true] {
            let scheme = if dark { "dark" } else { "light" };
            b.set_width(width).await?;
            b.color_scheme(dark).await?;
            b.screenshot(&dir.join(format!("{name}-{width}-{scheme}.png")))
                .await?;
            // Readable at 390 px: nothing wider than the viewport.
            let overflow = b
                .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", json!([]))
                .await?;
            if overflow.as_i64().unwrap_or(0) > 0 {
                bail!("{name} scrolls sideways at {width} px ({overflow} px)");
            }
        }
    }
    b.set_width(1280).await?;
    b.cdp("Emulation.setEmulatedMedia", json!({"features": []}))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_dashboard_end_to_end() -> Result<()> {
    let server = Server::publisher().await?;
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let owner_email = "owner@example.com";
    let owner = account(&http, &base, owner_email).await?;

    // A draft form, claimed into the owner's workspace.
    let res: Value = http
        .post(format!("{base}/api/v1/drafts"))
        .json(&json!({"type": "form", "config": serde_json::from_str::<Value>(FORM)?}))
        .send()
        .await?
        .json()
        .await?;
    let id = res["instance_id"].as_str().context("instance")?.to_owned();
    let draft = res["draft_token"].as_str().context("draft token")?;
    let claimed = http
        .post(format!("{base}/api/v1/claims"))
        .bearer_auth(&owner)
        .json(&json!({ "draft_token": draft }))
        .send()
        .await?;
    assert!(claimed.status().is_success(), "{}", claimed.text().await?);

    let b = Browser::start().await?;
    sign_in(&b, &base, owner_email).await?;
    let ws_url = b
        .eval("return location.origin + location.pathname;", json!([]))
        .await?;
    let ws_url = ws_url.as_str().context("url")?.to_owned();
    let widget_url = format!("{ws_url}/widgets/{id}");

    // Issue a widget token on the tokens page: shown once.
    b.goto(&format!("{ws_url}/tokens")).await?;
    b.eval(
        "document.querySelector('select[name=instance_id]').value = arguments[0];\
         document.querySelector('form[action$=\"/tokens\"] button[type=submit]').click();",
        json!([id]),
    )
    .await?;
    b.wait_for("document.getElementById('new-token')", "the new token")
        .await?;
    let token = b
        .eval(
            "return document.getElementById('new-token').value;",
            json!([]),
        )
        .await?;
    let token = token.as_str().context("token")?.to_owned();
    assert!(token.starts_with("ck_pub_"), "{token}");
    b.goto(&format!("{ws_url}/tokens")).await?;
    let again = b
        .eval(
            "return document.documentElement.outerHTML.includes(arguments[0]);",
            json!([token]),
        )
        .await?;
    assert_eq!(again, json!(false), "the token is shown only once");

    // The publisher's page, loaded twice; the visitor submits the form the second time.
    let site = |token: &str| {
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shop</title>{RECORDER}</head>\
             <body><h1>Contact</h1><div data-ck-widget=\"form\" data-ck-id=\"{id}\" data-ck-token=\"{token}\"></div>\
             <script async src=\"{}/embed/latest/loader.js\"></script></body></html>",
            server.embed_origin()
        )
    };
    server.write_page("site.html", &site(&token))?;
    server.write_page(
        "left.html",
        "<!doctype html><html lang=\"en\"><title>left</title><p>left</p></html>",
    )?;
    let host = "[data-ck-widget=form]";
    let rendered =
        format!("document.querySelector('{host}')?.shadowRoot?.querySelector('form button')");
    for _ in 0..2 {
        b.goto(&server.page("site.html")).await?;
        b.wait_for(&rendered, "the form on the publisher's page")
            .await?;
    }
    let name = b.shadow(host, "[name=\"name\"]").await?;
    b.type_into(&name, "=HYPERLINK(\"http://x.test\")").await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    b.click(&b.shadow(host, "button[type=submit]").await?)
        .await?;
    b.wait_for(
        "ckEvents.some(e => e.name === 'form:success')",
        "the submission",
    )
    .await?;
    // Leaving the page sends what the pixel still held.
    b.goto(&server.page("left.html")).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = beacon_totals(&b).await?;
    let n = |k: &str| sent.get(k).copied().unwrap_or(0);
    assert_eq!((n("load"), n("view")), (2, 2), "{sent:?}");

    // The 7-day chart's table equals what the pixel accepted (interactions: the pixel's plus the
    // stored submission, which the server counts), within one flush interval (5 s).
    let flush = Duration::from_secs(5 + 5);
    wait_for_row(
        &b,
        &ws_url,
        "#ws-usage-table",
        &[n("load"), n("view"), n("interaction") + 1],
        flush,
    )
    .await?;
    wait_for_row(
        &b,
        &widget_url,
        "#widget-usage-table",
        &[n("view"), n("interaction") + 1, n("error")],
        flush,
    )
    .await?;

    // The submission in the list and in the CSV, formula-escaped.
    b.goto(&format!("{widget_url}/submissions")).await?;
    let listed = b
        .eval(
            "return document.querySelector('table.submissions tbody').textContent;",
            json!([]),
        )
        .await?;
    assert!(
        listed
            .as_str()
            .unwrap_or_default()
            .contains("=HYPERLINK(\"http://x.test\")"),
        "{listed}"
    );
    let cookie = format!("ck_access={owner}");
    let csv = http
        .get(format!("{widget_url}/submissions.csv"))
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x.test\"\")\""),
        "{csv}"
    );

    // The config in the builder's editor beside the live preview (the real embed): an edit shows in
    // the preview, saves through the plain form, and the embed serves it.
    b.goto(&widget_url).await?;
    let preview = "document.querySelector('#config-preview [data-ck-widget]')?.shadowRoot";
    b.wait_for(
        &format!(
            "!document.getElementById('config-editor').hidden && {preview}?.querySelector('form')"
        ),
        "the editor and its live preview",
    )
    .await?;
    b.type_into(
        "document.querySelector('#config-fields [data-path=title]')",
        " today",
    )
    .await?;
    b.wait_for(
        &format!("{preview}.textContent.includes('Contact us today')"),
        "the preview to follow the edit",
    )
    .await?;
    b.click("document.querySelector('form.config-form button[type=submit]')")
        .await?;
    b.wait_for("location.search.includes('done=saved')", "the saved config")
        .await?;
    let manifest: Value = http
        .get(format!(
            "{}/api/v1/widgets/{id}/config?token={token}",
            server.embed_origin()
        ))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        manifest["config"]["title"], "Contact us today",
        "{manifest}"
    );

    // A second account sees nothing of it through any dashboard URL: 404, none of the data.
    let stranger = account(&http, &base, "stranger@example.com").await?;
    let token_id: String = http
        .get(format!(
            "{base}/api/v1/workspaces/{}/tokens",
            ws_url.rsplit('/').next().unwrap_or_default()
        ))
        .bearer_auth(&owner)
        .send()
        .await?
        .json::<Value>()
        .await?
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|t| t["scope"] == "widget" && t["last4"] == token[token.len() - 4..])
        })
        .and_then(|t| t["id"].as_str())
        .context("token id")?
        .to_owned();
    let sid = csv
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .context("submission id")?
        .to_owned();
    let owner_pages = [
        ws_url.clone(),
        format!("{ws_url}/tokens"),
        format!("{ws_url}/billing"),
        format!("{ws_url}/settings"),
        widget_url.clone(),
        format!("{widget_url}/delete"),
        format!("{widget_url}/submissions"),
        format!("{widget_url}/submissions.csv"),
        format!("{widget_url}/submissions/{sid}/delete"),
        format!("{ws_url}/tokens/{token_id}/revoke"),
    ];
    for url in &owner_pages {
        let res = http
            .get(url)
            .header("cookie", format!("ck_access={stranger}"))
            .send()
            .await?;
        let status = res.status();
        let body = res.text().await?;
        assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{url}: {body}");
        for secret in ["HYPERLINK", "Contact us", "Shop of owner"] {
            assert!(!body.contains(secret), "{url} shows {secret}");
        }
    }
    let stranger_writes = [
        (format!("{widget_url}/delete"), ""),
        (format!("{ws_url}/tokens/{token_id}/revoke"), ""),
        (format!("{widget_url}/config"), "&config=%7B%7D"),
    ];
    for (url, extra) in &stranger_writes {
        let res = http
            .post(url)
            .header(
                "cookie",
                format!("ck_access={stranger}; ck_csrf={}", "c".repeat(40)),
            )
            .header("origin", &base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={}{extra}", "c".repeat(40)))
            .send()
            .await?;
        assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND, "{url}");
    }

    // Every page: axe-core and screenshots; the stranger's empty workspace shows its empty state.
    let dir = screenshot_dir("dashboard")?;
    println!("dashboard screenshots: {}", dir.display());
    let pages = [
        (ws_url.clone(), "overview"),
        (widget_url.clone(), "widget"),
        (format!("{widget_url}/submissions"), "submissions"),
        (format!("{widget_url}/delete"), "widget-delete"),
        (
            format!("{widget_url}/submissions/{sid}/delete"),
            "submission-delete",
        ),
        (format!("{ws_url}/tokens"), "tokens"),
        (format!("{ws_url}/tokens/{token_id}/revoke"), "token-revoke"),
        (format!("{ws_url}/billing"), "billing"),
        (format!("{ws_url}/settings"), "settings"),
        (format!("{base}/app/account"), "account"),
    ];
    for (url, name) in &pages {
        check_page(&b, url, name, &dir).await?;
    }

    // Keyboard only: from the top of the overview, Tab to the widget's link and open it.
    b.goto(&ws_url).await?;
    let mut reached = false;
    for _ in 0..30 {
        b.keys(&[keys::TAB]).await?;
        let href = b
            .eval(
                "return document.activeElement.getAttribute('href') || '';",
                json!([]),
            )
            .await?;
        if href
            .as_str()
            .is_some_and(|h| h.ends_with(&format!("/widgets/{id}")))
        {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached the widget's link");
    b.keys(&[keys::ENTER]).await?;
    b.wait_for(
        &format!("location.pathname.endsWith('/widgets/{id}')"),
        "the widget page by keyboard",
    )
    .await?;
    // The first Tab on every page lands on the skip link.
    b.goto(&format!("{ws_url}/tokens")).await?;
    b.keys(&[keys::TAB]).await?;
    let first = b
        .eval("return document.activeElement.textContent;", json!([]))
        .await?;
    assert_eq!(first, json!("Skip to content"));

    // Rotate with a 1-hour grace: the page shows the new token once; the old one keeps working.
    b.eval(
        "const f = document.querySelector(`form[action$='/${arguments[0]}/rotate']`);\
         f.querySelector('select').value = '3600'; f.querySelector('button').click();",
        json!([token_id]),
    )
    .await?;
    b.wait_for("document.getElementById('new-token')", "the rotated token")
        .await?;
    let rotated = b
        .eval(
            "return document.getElementById('new-token').value;",
            json!([]),
        )
        .await?;
    assert_ne!(rotated.as_str(), Some(token.as_str()));
    check_shown(&b, "token-shown-once", &dir).await?;
    b.goto(&server.page("site.html")).await?;
    b.wait_for(&rendered, "the form with the old token in its grace period")
        .await?;

    // Revoke through the confirmation page, by keyboard: the embed stops within the stated bound.
    b.goto(&format!("{ws_url}/tokens/{token_id}/revoke"))
        .await?;
    let stated = b
        .eval(
            "return document.querySelector('.danger-zone p').textContent;",
            json!([]),
        )
        .await?;
    let secs: u64 = stated
        .as_str()
        .and_then(|s| s.split(" within ").nth(1))
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .context("the stated bound")?;
    b.eval(
        "document.querySelector('.danger-zone button').focus();",
        json!([]),
    )
    .await?;
    b.keys(&[keys::ENTER]).await?;
    b.wait_for("location.search.includes('done=revoked')", "the revocation")
        .await?;
    let revoked_at = Instant::now();
    let manifest = format!(
        "{}/api/v1/widgets/{id}/config?token={token}",
        server.embed_origin()
    );
    loop {
        let status = http.get(&manifest).send().await?.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            break;
        }
        if revoked_at.elapsed() > Duration::from_secs(secs) {
            bail!("the revoked token still works after {secs} s ({status})");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.goto(&server.page("site.html")).await?;
    b.wait_for(
        "ckEvents.some(e => e.name === 'widget:error')",
        "the embed to stop",
    )
    .await?;
    assert_eq!(
        b.eval(&format!("return !!({rendered});"), json!([]))
            .await?,
        json!(false)
    );

    // The second account's dashboard: its empty workspace says what to do next.
    b.goto(&format!("{base}/app/account")).await?;
    b.eval(
        "document.querySelector('header form[action=\"/logout\"] button').click();",
        json!([]),
    )
    .await?;
    b.wait_for(
        "location.pathname === '/login'",
        "the sign-in page after signing out",
    )
    .await?;
    sign_in(&b, &base, "stranger@example.com").await?;
    let empty = b
        .eval(
            "return document.querySelector('.empty a').getAttribute('href');",
            json!([]),
        )
        .await?;
    assert_eq!(empty, json!("/"), "the empty state links to the builder");
    check_shown(&b, "overview-empty", &dir).await?;
    Ok(())
}
