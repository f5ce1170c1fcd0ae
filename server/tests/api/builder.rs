//! The public builder, the claim page and the demo sites: what each page is served with (CSP,
//! scripts), the builder's assets, the sign-in round trip back to the claim page, and the demo
//! sites on their own origin (never in production). The pages' behaviour is the browser suite's
//! (`tests/tests/e2e/builder.rs`, `claim.rs`, `sites.rs`).

use ck_server::spawn;
use reqwest::{header, StatusCode};

use crate::common::{client, get, production_config, write, Store};

#[tokio::test]
async fn builder_and_claim_pages_allow_the_embed_and_nothing_inline() {
    let store = Store::sqlite();
    write(
        &store.dir().join("dist/builder/ck_form_check_bg.wasm"),
        b"\0asm\x01\0\0\0",
    );
    let server = store.start().await;
    for (path, module, wasm) in [
        ("/", "/assets/builder/builder.js", true),
        ("/claim", "/assets/builder/claim.js", true),
        ("/login", "", false),
    ] {
        let page = get(&server, path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let csp = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii");
        assert_eq!(csp.contains("'wasm-unsafe-eval'"), wasm, "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(
            !page.text.contains("<script>") && !page.text.contains("style="),
            "{path}"
        );
        if !module.is_empty() {
            assert!(page.text.contains(module), "{path}");
        }
    }
    for (path, mime) in [
        ("/assets/builder/editor.js", "text/javascript"),
        ("/assets/builder/preview.js", "text/javascript"),
        ("/assets/builder/ck_form_check_bg.wasm", "application/wasm"),
        ("/assets/builder.css", "text/css"),
    ] {
        let res = get(&server, path, None).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        let ct = res.headers[header::CONTENT_TYPE].to_str().expect("ascii");
        assert!(ct.starts_with(mime), "{path}: {ct}");
    }
    assert_eq!(
        get(&server, "/assets/builder/nope.js", None).await.status,
        StatusCode::NOT_FOUND
    );

    // Signed out, the claim page asks the sign-in to come back (and only ever to /claim).
    let claim = get(&server, "/claim", None).await;
    let cookies: Vec<&str> = claim
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("ck_next=/claim;")),
        "{cookies:?}"
    );
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn demo_sites_run_on_their_own_origin_and_never_in_production() {
    let store = Store::sqlite();
    let sites = store.dir().join("sites");
    write(
        &sites.join("wordpress/index.html"),
        b"<!doctype html><main><!--ck:snippet--></main>",
    );
    write(
        &sites.join("strict-csp/index.html"),
        b"<!doctype html><a href=\"/spa/<!--ck:query-->\">x</a><!--ck:snippet-->",
    );
    let mut config = store.config();
    config.sites_port = Some(0);
    config.sites_dir = sites.clone();
    let server = spawn(config).await.expect("server");
    let base = format!("http://{}", server.sites_addr.expect("sites listen"));
    assert_ne!(base, server.url());
    let id = "8d0f4c52-0f55-4f1e-9d0e-0a4b1a2b3c4d";
    let page = client()
        .get(format!(
            "{base}/strict-csp/?id={id}&token=ck_pub_abc&theme=dark"
        ))
        .send()
        .await
        .expect("get");
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("'wasm-unsafe-eval'") && csp.contains(&server.url()),
        "{csp}"
    );
    let html = page.text().await.expect("text");
    assert!(
        html.contains(&format!(
            "data-ck-id=\"{id}\" data-ck-token=\"ck_pub_abc\" data-ck-theme=\"dark\""
        )) && html.contains(&format!("{}/embed/latest/loader.js", server.url()))
            && html.contains("/spa/?id="),
        "{html}"
    );
    // Without a draft: a sample config inline; a site that does not exist is a 404.
    let html = client()
        .get(format!("{base}/wordpress/"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(html.contains("data-ck-config="), "{html}");
    let res = client()
        .get(format!("{base}/nope/"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    server.shutdown().await.expect("shutdown");

    let mut config = production_config(&store);
    config.sites_port = Some(0);
    let server = spawn(config).await.expect("production starts");
    assert!(server.sites_addr.is_none());
    server.shutdown().await.expect("shutdown");
}
