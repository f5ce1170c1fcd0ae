//! The embed when its API origin is blocked (as ad blockers do: the request fails at once) or
//! never answers (a black hole: the runtime's request timeout ends it). The widget's assets load
//! from the embed origin; only the API is gone. What must hold: the mount point keeps the
//! publisher's fallback content, the page's own script keeps working, the embed reports the
//! failure on its bus (`widget:error`, `manifest_unavailable`) and nothing throws into the page.

use anyhow::Result;
use ck_e2e::{contact_config, Browser, Server};
use serde_json::json;

/// Records the page's uncaught errors and unhandled rejections, the embed's events, and gives the
/// page a button of its own.
const PAGE_SCRIPT: &str = r#"<script>
window.pageErrors = [];
addEventListener('error', function (e) { pageErrors.push('error: ' + e.message); });
addEventListener('unhandledrejection', function (e) { pageErrors.push('rejection: ' + e.reason); });
window.ckEvents = [];
window.ck = window.ck || function () { (ck.q = ck.q || []).push(arguments); };
['ready', 'widget:mounted', 'widget:error'].forEach(function (name) {
  ck('on', name, function (d) { ckEvents.push({ name: name, code: (d && d.code) || null }); });
});
window.clicks = 0;
</script>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_or_silent_api_keeps_the_fallback_and_the_page_working() -> Result<()> {
    let server = Server::publisher().await?;
    let (id, token) = server.draft(&contact_config()).await?;
    // Blocked: a port nobody listens on (connection refused at once). Silent: a listener that never
    // accepts, so the request hangs until the runtime's timeout.
    let refused = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let silent = std::net::TcpListener::bind("127.0.0.1:0")?;
    let silent_port = silent.local_addr()?.port();
    let browser = Browser::start().await?;
    for (what, port) in [("blocked", refused), ("silent", silent_port)] {
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{what}</title>\
             {PAGE_SCRIPT}</head><body><h1>A publisher page</h1>\
             <div data-ck-widget=\"form\" data-ck-id=\"{id}\" data-ck-token=\"{token}\">\
             <p id=\"fallback\">Write to us at <a href=\"mailto:hi@example.com\">hi@example.com</a></p></div>\
             <button id=\"own\" onclick=\"clicks++\">The page's own button</button>\
             <script async src=\"{}/embed/latest/loader.js\" data-ck-api=\"http://127.0.0.1:{port}\"></script>\
             </body></html>",
            server.embed_origin()
        );
        server.write_page(&format!("{what}.html"), &html)?;
        browser.goto(&server.page(&format!("{what}.html"))).await?;
        browser
            .wait_for(
                "window.ckEvents.some(e => e.name === 'widget:error')",
                &format!("{what}: the embed reports the unreachable API"),
            )
            .await?;
        let state = browser
            .eval(
                "const el = document.querySelector('[data-ck-widget]');
                 const fb = document.getElementById('fallback');
                 document.getElementById('own').click();
                 return {
                   errors: ckEvents.filter(e => e.name === 'widget:error').map(e => e.code),
                   mounted: ckEvents.filter(e => e.name === 'widget:mounted').length,
                   ready: ckEvents.filter(e => e.name === 'ready').length,
                   fallbackShown: !!fb && fb.isConnected && fb.getClientRects().length > 0
                     && !el.shadowRoot,
                   pageErrors: pageErrors,
                   clicks: clicks,
                 };",
                json!([]),
            )
            .await?;
        assert_eq!(
            state["errors"],
            json!(["manifest_unavailable"]),
            "{what}: {state}"
        );
        assert_eq!(state["mounted"], 0, "{what}: {state}");
        assert_eq!(state["ready"], 1, "{what}: the runtime booted: {state}");
        assert_eq!(state["fallbackShown"], true, "{what}: {state}");
        assert_eq!(state["pageErrors"], json!([]), "{what}: {state}");
        assert_eq!(state["clicks"], 1, "{what}: the page still works: {state}");
    }
    drop(silent);
    Ok(())
}
