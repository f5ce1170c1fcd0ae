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
