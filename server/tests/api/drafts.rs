//! Drafts and claims: anonymous drafts, claiming into a workspace, the audit trail, claim backoff
//! and the per-IP draft limit.

use std::time::Duration;

use ck_server::{spawn, Limit};
use reqwest::{header, StatusCode};
use serde_json::json;

use crate::common::{
    assert_draft_limited, assert_error, both_stores, client, draft, get, manifest_path, post, send,
    signup, try_claim, Store,
};

both_stores!(drafts_claims_and_audit);

async fn drafts_claims_and_audit(store: &Store) {
    let mut config = store.config();
    config.product.claim_free_failures = 3;
    let server = spawn(config).await.expect("server");

    // A broken form config is refused with the offending key named.
    let res = post(
        &server,
        "/api/v1/drafts",
        &json!({"type": "form", "config": {"fields": []}}),
        None,
    )
    .await;
    assert_error(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.text.contains("fields"), "{}", res.text);
    let res = post(
        &server,
        "/api/v1/drafts",
        &json!({"type": "nope", "config": {}}),
        None,
    )
    .await;
    assert_error(&res, StatusCode::BAD_REQUEST, "unknown_widget");

    let (id, embed, draft_token) = draft(&server).await;
    // The anonymous draft already works on a page: config manifest with ETag and 304.
    let res = get(&server, &manifest_path(&id, &embed), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["type"], "form");
    assert_eq!(res.json()["config"]["title"], "Contact");
    assert_eq!(res.json()["flags"], json!([]));
    let etag = res.headers[header::ETAG].to_str().expect("etag").to_owned();
    let res = send(
        client()
            .get(format!("{}{}", server.url(), manifest_path(&id, &embed)))
            .header(header::IF_NONE_MATCH, &etag),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_MODIFIED);
    assert!(res.text.is_empty());
    // A typo in the token is caught by the checksum, before any lookup.
    let typo = format!(
        "{}{}",
        &embed[..embed.len() - 1],
        if embed.ends_with('a') { "b" } else { "a" }
    );
    assert_error(
        &get(&server, &manifest_path(&id, &typo), None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );

    let (user, ws) = signup(&server, "bob@example.com").await;
    assert_error(
        &try_claim(&server, &draft_token, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    // Wrong tokens: malformed, then well-formed but unknown.
    let res = try_claim(&server, "ck_draft_nope", Some(&user)).await;
    assert_error(&res, StatusCode::BAD_REQUEST, "invalid_draft_token");
    let (_, _, other_draft) = draft(&server).await;
    let unknown = other_draft.replace("ck_draft_", "ck_pub_");
    let res = try_claim(&server, &unknown, Some(&user)).await;
    assert_error(&res, StatusCode::BAD_REQUEST, "invalid_draft_token");

    let res = try_claim(&server, &draft_token, Some(&user)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["workspace_id"], ws.as_str());
    assert_eq!(res.json()["instance_id"], id.as_str());
    // The draft is now in the workspace; claiming again fails.
    let instances = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/instances"),
        Some(&user),
    )
    .await
    .json();
    assert!(
        instances
            .as_array()
            .expect("list")
            .iter()
            .any(|i| i["id"] == id.as_str()),
        "{instances}"
    );
    let res = try_claim(&server, &draft_token, Some(&user)).await;
    assert_error(&res, StatusCode::CONFLICT, "already_claimed");
    // The snippet's token keeps working after the claim.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        get(&server, &manifest_path(&id, &embed), None).await.status,
        StatusCode::OK
    );

    // Every attempt so far is audited by the database trigger: 2 failures, 1 success, 1 failure.
    assert_eq!(
        store
            .scalar("select count(*) from widget_claim_audit")
            .await,
        4
    );
    assert_eq!(
        store
            .scalar("select count(*) from widget_claim_audit where outcome = 'claimed'")
            .await,
        1
    );

    // Brute force: the free allowance (3) is used up, so the next attempts are throttled.
    let res = try_claim(&server, &other_draft.replace('A', "B"), Some(&user)).await;
    assert_error(&res, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry: u64 = res.headers[header::RETRY_AFTER]
        .to_str()
        .expect("retry")
        .parse()
        .expect("secs");
    assert!(retry >= 1, "{retry}");
    // Even a correct token waits: the backoff is per user and per IP.
    let res = try_claim(&server, &other_draft, Some(&user)).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        store
            .scalar("select count(*) from widget_claim_audit where outcome = 'throttled'")
            .await,
        2
    );
    server.shutdown().await.expect("shutdown");
}

both_stores!(draft_limits);

async fn draft_limits(store: &Store) {
    let mut config = store.config();
    config.product.limit_drafts_ip = Limit {
        per_minute: 1,
        burst: 2,
    };
    let server = spawn(config).await.expect("server");
    draft(&server).await;
    draft(&server).await;
    let res = assert_draft_limited(&server).await;
    assert!(res.headers.contains_key(header::RETRY_AFTER));
    server.shutdown().await.expect("shutdown");
}

/// `GET`/`PUT /api/v1/draft` with `Authorization: Bearer ck_draft_…`.
async fn draft_call(
    server: &ck_server::Running,
    method: reqwest::Method,
    token: &str,
    body: Option<serde_json::Value>,
) -> crate::common::Res {
    let mut req = client()
        .request(method, format!("{}/api/v1/draft", server.url()))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    send(req).await
}

both_stores!(draft_token_reads_and_updates_its_draft);

async fn draft_token_reads_and_updates_its_draft(store: &Store) {
    use reqwest::Method;
    let server = spawn(store.config()).await.expect("server");
    let (id, embed, token) = draft(&server).await;

    // Only a draft token opens it: none, an embed token, a malformed one, a typo (checksum).
    let (_, _, other) = draft(&server).await;
    let typo = format!(
        "{}{}",
        &other[..other.len() - 1],
        if other.ends_with('a') { "b" } else { "a" }
    );
    for bad in ["", embed.as_str(), "ck_draft_nope", typo.as_str()] {
        let res = draft_call(&server, Method::GET, bad, None).await;
        assert_error(&res, StatusCode::UNAUTHORIZED, "invalid_draft_token");
    }
    // A real token whose draft is gone (the sweeper deleted it).
    let (_, _, gone) = draft(&server).await;
    let res = draft_call(
        &server,
        Method::PUT,
        &gone,
        Some(json!({"config": crate::common::form_config(), "name": "gone"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    store
        .execute(
            "delete from widget_instances where name = 'gone'",
            "delete from widget_instances where name = 'gone'",
        )
        .await;
    let res = draft_call(&server, Method::GET, &gone, None).await;
    assert_error(&res, StatusCode::NOT_FOUND, "invalid_draft_token");

    let res = draft_call(&server, Method::GET, &token, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    assert_eq!(body["instance_id"], id.as_str());
    assert_eq!(body["type"], "form");
    assert_eq!(body["config"]["title"], "Contact");
    assert!(body["expires_at"].is_string(), "{body}");

    // An invalid config is refused with the path the form's parser names; nothing changes.
    let broken = json!({"config": {"fields": [{"type": "number", "name": "n", "label": "N", "min": 5, "max": 1}]}});
    let res = draft_call(&server, Method::PUT, &token, Some(broken)).await;
    assert_error(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.text.contains("fields[0].min"), "{}", res.text);
    let res = draft_call(
        &server,
        Method::PUT,
        &token,
        Some(json!({"config": {}, "extra": 1})),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);

    // A good edit updates the same instance: same id, same snippet token, new config served.
    let mut config = crate::common::form_config();
    config["title"] = json!("Updated title");
    let res = draft_call(
        &server,
        Method::PUT,
        &token,
        Some(json!({"config": config, "name": "Renamed"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["instance_id"], id.as_str());
    assert_eq!(res.json()["name"], "Renamed");
    let manifest = get(&server, &manifest_path(&id, &embed), None).await;
    assert_eq!(manifest.json()["config"]["title"], "Updated title");
    assert_eq!(
        store.scalar("select count(*) from widget_instances").await,
        2
    );

    // Claimed: the token is burnt, reads and edits say so.
    let (user, _) = signup(&server, "carol@example.com").await;
    assert_eq!(
        try_claim(&server, &token, Some(&user)).await.status,
        StatusCode::OK
    );
    for method in [Method::GET, Method::PUT] {
        let body = (method == Method::PUT).then(|| json!({"config": config}));
        let res = draft_call(&server, method, &token, body).await;
        assert_error(&res, StatusCode::CONFLICT, "already_claimed");
    }

    // Expired: gone, with its own code.
    store
        .execute(
            "update widget_instances set draft_expires_at = 1 where status = 'draft'",
            "update widget_instances set draft_expires_at = now() - interval '1 hour' where status = 'draft'",
        )
        .await;
    for method in [Method::GET, Method::PUT] {
        let body = (method == Method::PUT).then(|| json!({"config": config}));
        let res = draft_call(&server, method, &other, body).await;
        assert_error(&res, StatusCode::GONE, "draft_expired");
    }
    server.shutdown().await.expect("shutdown");
}

both_stores!(draft_edits_are_rate_limited);

async fn draft_edits_are_rate_limited(store: &Store) {
    let mut config = store.config();
    config.product.limit_draft_edits_ip = Limit {
        per_minute: 1,
        burst: 2,
    };
    let server = spawn(config).await.expect("server");
    let (_, _, token) = draft(&server).await;
    for _ in 0..2 {
        let res = draft_call(&server, reqwest::Method::GET, &token, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
    let res = draft_call(&server, reqwest::Method::GET, &token, None).await;
    assert_error(&res, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(res.headers.contains_key(header::RETRY_AFTER));
    server.shutdown().await.expect("shutdown");
}
