//! Embed assets (versioned, precompressed, cached) and the demo publisher pages.

use reqwest::{header, StatusCode};

use crate::common::{client, write, Store};

#[tokio::test]
async fn embed_assets_are_versioned_compressed_and_cached() {
    let store = Store::sqlite();
    let dist = store.dir().join("dist/embed");
    write(&dist.join("v0.9.0/loader.js"), b"old loader");
    write(&dist.join("v0.10.0/loader.js"), b"new loader");
    write(&dist.join("v0.10.0/loader.js.gz"), b"GZIP BYTES");
    write(&dist.join("v0.10.0/loader.js.br"), b"BROTLI BYTES");
    write(
        &dist.join("v0.10.0/ck_bindings_bg.wasm"),
        b"\0asm\x01\0\0\0",
    );
    // A lazy widget chunk (`cargo xtask dist` writes one per widget type) is a release file
    // like the others.
    write(&dist.join("v0.10.0/form.wasm"), b"\0asm\x01\0\0\0");
    write(&dist.join("v0.10.0/form.wasm.gz"), b"GZIP CHUNK");
    write(&dist.join("v0.11.0-rc.1/loader.js"), b"pre-release loader");
    let server = store.start().await;
    let c = client();
    let get = |path: &str, enc: Option<&str>| {
        let mut req = c.get(format!("{}{path}", server.url()));
        if let Some(enc) = enc {
            req = req.header(header::ACCEPT_ENCODING, enc);
        }
        req.send()
    };

    let res = get("/embed/v0.10.0/loader.js", Some("gzip, deflate, br"))
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(
        h[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(h[header::CONTENT_ENCODING], "br");
    assert_eq!(h[header::VARY], "Accept-Encoding");
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(h[header::CONTENT_TYPE]
        .to_str()
        .expect("ascii")
        .starts_with("text/javascript"));
    let etag = h[header::ETAG].to_str().expect("ascii").to_owned();
    assert_eq!(res.bytes().await.expect("body").as_ref(), b"BROTLI BYTES");

    let res = get("/embed/v0.10.0/loader.js", Some("gzip"))
        .await
        .expect("get");
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    assert_ne!(
        res.headers()[header::ETAG].to_str().expect("ascii"),
        etag,
        "each encoding has its own ETag"
    );
    assert_eq!(res.bytes().await.expect("body").as_ref(), b"GZIP BYTES");

    let res = get("/embed/v0.10.0/loader.js", None).await.expect("get");
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(res.bytes().await.expect("body").as_ref(), b"new loader");

    let res = c
        .get(format!("{}/embed/v0.10.0/loader.js", server.url()))
        .header(header::ACCEPT_ENCODING, "br")
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    let res = get("/embed/latest/loader.js", None).await.expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    let cache = res.headers()[header::CACHE_CONTROL]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        cache.contains("max-age=300") && !cache.contains("immutable"),
        "{cache}"
    );
    assert_eq!(
        res.bytes().await.expect("body").as_ref(),
        b"new loader",
        "latest = newest release, not the rc"
    );

    let res = get("/embed/v0.10.0/ck_bindings_bg.wasm", Some("br"))
        .await
        .expect("get");
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/wasm");
    assert!(
        res.headers().get(header::CONTENT_ENCODING).is_none(),
        "no .br beside it: identity"
    );

    let res = get("/embed/v0.10.0/form.wasm", Some("gzip"))
        .await
        .expect("get");
    let h = res.headers().clone();
    assert_eq!(
        h[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(h[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    assert_eq!(res.bytes().await.expect("body").as_ref(), b"GZIP CHUNK");

    for missing in [
        "/embed/v0.10.0/nope.js",
        "/embed/v9.9.9/loader.js",
        "/embed/vX/loader.js",
        "/embed/v0.10.0/loader.js.gz",
        "/embed/v0.10.0/..%2F..%2Fsecret",
    ] {
        let res = get(missing, None).await.expect("get");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn demo_pages_and_strict_csp_pages() {
    let store = Store::sqlite();
    write(
        &store.dir().join("pages/form-demo.html"),
        b"<!doctype html><p>demo</p>",
    );
    write(
        &store.dir().join("pages/form-csp.html"),
        b"<!doctype html><p>strict</p>",
    );
    let server = store.start().await;
    let res = client()
        .get(format!("{}/dev/form-demo.html", server.url()))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(header::CONTENT_SECURITY_POLICY).is_none());
    let res = client()
        .get(format!("{}/dev/form-csp.html", server.url()))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_SECURITY_POLICY],
        "script-src 'self' 'wasm-unsafe-eval'; style-src 'self'"
    );
    let index = client()
        .get(format!("{}/dev/", server.url()))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(
        index.contains("form-csp.html") && index.contains("form-demo.html"),
        "{index}"
    );
    server.shutdown().await.expect("shutdown");
}
