//! Embed tokens: issue, allowed origins, rotation with and without grace, revocation, and
//! isolation from other workspaces.

use std::time::Duration;

use reqwest::{header, StatusCode};
use serde_json::json;

use crate::common::{
    assert_error, both_stores, client, get, manifest_path, owned_widget, post, send, signup, Res,
    Store,
};

/// What a config manifest request must answer: 200, or the error status and code.
#[derive(Clone, Copy)]
enum Answer {
    Ok,
    Refused(StatusCode, &'static str),
}

const FORBIDDEN_ORIGIN: Answer = Answer::Refused(StatusCode::FORBIDDEN, "origin_not_allowed");
const INVALID_TOKEN: Answer = Answer::Refused(StatusCode::UNAUTHORIZED, "invalid_token");

fn assert_answer(res: &Res, want: Answer, case: &str) {
    match want {
        Answer::Ok => assert_eq!(res.status, StatusCode::OK, "{case}: {}", res.text),
        Answer::Refused(status, code) => assert_error(res, status, code),
    }
}

both_stores!(tokens_origins_rotation);

async fn tokens_origins_rotation(store: &Store) {
    let server = store.start().await;
    let (id, _, user, ws) = owned_widget(&server, "owner@example.com").await;

    let base = format!("/api/v1/workspaces/{ws}/tokens");
    let res = post(
        &server,
        &base,
        &json!({"scope": "workspace", "allowed_origins": ["ftp://x"]}),
        Some(&user),
    )
    .await;
    assert_error(&res, StatusCode::BAD_REQUEST, "invalid_origin");
    let res = post(&server, &base, &json!({"scope": "workspace", "allowed_origins": ["https://shop.example.com", "https://*.example.org"]}), Some(&user)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let issued = res.json();
    let token = issued["token"].as_str().expect("token").to_owned();
    let token_id = issued["id"].as_str().expect("id").to_owned();
    assert!(token.starts_with("ck_pub_") && token.len() >= 40);
    assert_eq!(issued["last4"], &token[token.len() - 4..]);
    // The secret is never listed again.
    let list = get(&server, &base, Some(&user)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text.contains(&token));
    assert!(
        list.json().as_array().expect("list").len() >= 2,
        "{}",
        list.text
    ); // + the draft's widget token

    // The config manifest as pages of these origins (or a Referer only, or neither) ask for it.
    let manifest = |page: Option<(header::HeaderName, &'static str)>, t: &str| {
        let mut req = client().get(format!("{}{}", server.url(), manifest_path(&id, t)));
        if let Some((name, value)) = page {
            req = req.header(name, value);
        }
        send(req)
    };
    let shop = Some((header::ORIGIN, "https://shop.example.com"));
    for (page, want) in [
        (shop.clone(), Answer::Ok),
        (Some((header::ORIGIN, "https://a.example.org")), Answer::Ok),
        (
            Some((header::ORIGIN, "https://evil.test")),
            FORBIDDEN_ORIGIN,
        ),
        (None, FORBIDDEN_ORIGIN),
        (
            Some((header::REFERER, "https://shop.example.com/pricing")),
            Answer::Ok,
        ),
    ] {
        let case = format!("{page:?}");
        assert_answer(&manifest(page, &token).await, want, &case);
    }

    let rotate_path = format!("{base}/{token_id}/rotate");
    let rotate = |body: serde_json::Value| {
        let (server, path, user) = (&server, &rotate_path, &user);
        async move { post(server, path, &body, Some(user)).await }
    };
    // Rotation with a grace period: both work; without: the old one stops (after the cache TTL).
    let res = rotate(json!({"grace_secs": 60})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let second = res.json()["token"].as_str().expect("token").to_owned();
    assert!(res.json()["last_rotated_at"].is_string());
    tokio::time::sleep(Duration::from_millis(400)).await;
    for (t, want) in [(&token, Answer::Ok), (&second, Answer::Ok)] {
        assert_answer(
            &manifest(shop.clone(), t).await,
            want,
            "after grace rotation",
        );
    }
    let third = rotate(json!({})).await.json()["token"]
        .as_str()
        .expect("token")
        .to_owned();
    tokio::time::sleep(Duration::from_millis(400)).await;
    for (t, want) in [
        (&token, INVALID_TOKEN),
        (&second, INVALID_TOKEN),
        (&third, Answer::Ok),
    ] {
        assert_answer(&manifest(shop.clone(), t).await, want, "after rotation");
    }

    // Revocation.
    let res = post(
        &server,
        &format!("{base}/{token_id}/revoke"),
        &json!({}),
        Some(&user),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["status"], "revoked");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_answer(&manifest(shop, &third).await, INVALID_TOKEN, "revoked");
    let shown = get(&server, &format!("{base}/{token_id}"), Some(&user))
        .await
        .json();
    assert!(shown["last_used_at"].is_string(), "{shown}");

    // Another user cannot see or touch these tokens.
    let (mallory, _) = signup(&server, "mallory@example.com").await;
    assert_eq!(
        get(&server, &base, Some(&mallory)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(
            &server,
            &format!("{base}/{token_id}/rotate"),
            &json!({}),
            Some(&mallory)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    server.shutdown().await.expect("shutdown");
}
