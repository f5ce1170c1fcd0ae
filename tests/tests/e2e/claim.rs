//! Draft → workspace: publish in the builder, open the claim link (the draft token only in the
//! fragment), sign up, confirm through the local mail page, come back to the claim page, claim.
//! The workspace owns the widget, the attempt is in `widget_claim_audit`, and a second claim of
//! the same draft is refused with a clear message.

use anyhow::{ensure, Context, Result};
use ck_e2e::{Browser, Server};
use serde_json::json;

use crate::builder::{open_builder, publish};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_confirm_and_claim_then_a_second_claim_is_refused() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    open_builder(&server, &browser).await?;
    let draft = publish(&browser).await?;

    browser
        .click("document.getElementById('claim-link')")
        .await?;
    browser
        .wait_for(
            "location.pathname === '/claim' && document.getElementById('claim-status').textContent.includes('a draft until')",
            "the claim page to find the draft",
        )
        .await?;
    browser
        .wait_for(
            "!document.getElementById('sign-in').hidden",
            "the sign-in offer",
        )
        .await?;
    browser
        .click("document.querySelector('#sign-in a[href=\"/signup\"]')")
        .await?;
    browser
        .wait_for("location.pathname === '/signup'", "the sign-up page")
        .await?;
    let form = "document.querySelector('form[action=\"/signup\"]')";
    browser
        .type_into(
            &format!("{form}.querySelector('[name=email]')"),
            "pat@example.com",
        )
        .await?;
    browser
        .type_into(
            &format!("{form}.querySelector('[name=password]')"),
            "correct horse battery",
        )
        .await?;
    browser
        .click(&format!("{form}.querySelector('button')"))
        .await?;
    browser
        .wait_for(
            "document.body.textContent.includes('Check your email')",
            "check your email",
        )
        .await?;

    // The confirmation mail, from the local mail page; its link signs in and returns to /claim.
    browser.goto(&format!("{}/dev/mail", server.base)).await?;
    browser
        .click("document.querySelector('a[href^=\"/dev/mail/\"]')")
        .await?;
    browser
        .wait_for(
            "document.querySelector('a[href*=\"/auth/magic\"]')",
            "the confirmation link",
        )
        .await?;
    let link = browser
        .eval(
            "return document.querySelector('a[href*=\"/auth/magic\"]').href;",
            json!([]),
        )
        .await?;
    browser.goto(link.as_str().context("link")?).await?;
    browser
        .click("document.querySelector('form[action=\"/auth/magic\"] button')")
        .await?;
    browser
        .wait_for(
            "location.pathname === '/claim' && document.getElementById('claim-form') && !document.getElementById('claim-form').hidden",
            "the claim form after signing up",
        )
        .await?;
    browser
        .click("document.querySelector('#claim-form button')")
        .await?;
    browser
        .wait_for("document.getElementById('dashboard-link')", "the claim")
        .await?;
    let outcome = browser
        .eval(
            "return document.getElementById('claim-outcome').textContent;",
            json!([]),
        )
        .await?;
    ensure!(
        outcome.as_str().is_some_and(|o| o.starts_with("Claimed")),
        "{outcome}"
    );

    // The workspace owns it; the attempt is audited; the token left the browser.
    let owned = server
        .scalar(&format!(
            "select count(*) from widget_instances where workspace_id is not null and status = 'active' \
             and lower(hex(id)) = '{}'",
            draft.id.replace('-', "")
        ))
        .await?;
    ensure!(owned == 1, "instance not in a workspace");
    ensure!(
        server
            .scalar("select count(*) from widget_claim_audit where outcome = 'claimed'")
            .await?
            == 1
    );
    let kept = browser
        .eval("return localStorage.getItem('ck-drafts');", json!([]))
        .await?;
    ensure!(
        !kept
            .as_str()
            .unwrap_or_default()
            .contains(&draft.draft_token),
        "the draft token stayed in localStorage: {kept}"
    );

    // A second claim of the same draft: refused by the API (and audited), and the page says so.
    let second = browser
        .eval_async(
            "const done = arguments[arguments.length - 1];\
             fetch('/api/v1/claims', {method: 'POST', headers: {'content-type': 'application/json'},\
               body: JSON.stringify({draft_token: arguments[0]})}).then(r => r.json().then(b => done([r.status, b.error.code])));",
            json!([draft.draft_token]),
        )
        .await?;
    ensure!(second == json!([409, "already_claimed"]), "{second}");
    ensure!(
        server
            .scalar("select count(*) from widget_claim_audit where outcome = 'already_claimed'")
            .await?
            == 1
    );
    browser
        .goto(&format!("{}/claim#{}", server.base, draft.draft_token))
        .await?;
    browser
        .wait_for(
            "document.getElementById('claim-status').textContent.includes('already claimed')",
            "the already-claimed message",
        )
        .await?;
    Ok(())
}
