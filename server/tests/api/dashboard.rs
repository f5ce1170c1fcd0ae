//! The API behind the owner's dashboard: config edits, allowed-origin edits, paged submissions and
//! deleting one, deleting a workspace or an account (each with its submissions, after a
//! confirmation), and the last 7 days of usage with zero days. Every case runs on SQLite and on
//! Postgres (as the `authenticated` role under RLS), and checks that a second account gets 404.

use std::time::{Duration, Instant};

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::common::{
    assert_error, both_stores, client, form_config, get, login, manifest_path, owned_widget, post,
    send, signup, Res, Store, PASSWORD,
};

/// A request with a JSON body and a bearer token.
async fn call(
    server: &ck_server::Running,
    method: reqwest::Method,
    path: &str,
    body: &Value,
    bearer: &str,
) -> Res {
    send(
        client()
            .request(method, format!("{}{path}", server.url()))
            .bearer_auth(bearer)
            .json(body),
    )
    .await
}

/// Stores a valid submission for `id` with `token` from `https://site.test`; returns its id.
async fn submit(server: &ck_server::Running, token: &str, id: &str, name: &str) -> String {
    let res = send(
        client()
            .post(format!("{}/api/v1/submissions", server.url()))
            .header(header::ORIGIN, "https://site.test")
            .json(&json!({"token": token, "id": id, "values": {"name": name, "email": "a@b.co"}, "elapsed_ms": 4200})),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()["id"].as_str().expect("id").to_owned()
}

both_stores!(config_and_origins);

async fn config_and_origins(store: &Store) {
    let server = store.start().await;
    let (id, embed, owner, ws) = owned_widget(&server, "cfg@example.com").await;
    let (stranger, _) = signup(&server, "stranger-cfg@example.com").await;
    let path = format!("/api/v1/instances/{id}/config");
    let mut config = form_config();
    config["title"] = json!("Edited title");

    // Refused: (body, bearer, status, code).
    let mut broken = form_config();
    broken["fields"] = json!("not a list");
    let cases = [
        (
            json!({"config": broken}),
            owner.as_str(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"config": config}),
            stranger.as_str(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (body, bearer, status, code) in cases {
        let res = call(&server, reqwest::Method::PUT, &path, &body, bearer).await;
        assert_error(&res, status, code);
    }
    let res = call(
        &server,
        reqwest::Method::PUT,
        &path,
        &json!({"config": config}),
        &owner,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["config"]["title"], "Edited title");
    // The embed serves the new config at once (this process forgot its cached copy).
    let manifest = get(&server, &manifest_path(&id, &embed), None).await;
    assert_eq!(
        manifest.json()["config"]["title"],
        "Edited title",
        "{}",
        manifest.text
    );

    // Allowed origins: the draft's widget token, restricted to one site.
    let tokens = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/tokens"),
        Some(&owner),
    )
    .await;
    let token_id = tokens.json()[0]["id"]
        .as_str()
        .expect("token id")
        .to_owned();
    let tpath = format!("/api/v1/workspaces/{ws}/tokens/{token_id}");
    let bad = call(
        &server,
        reqwest::Method::PATCH,
        &tpath,
        &json!({"allowed_origins": ["ftp://x"]}),
        &owner,
    )
    .await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "invalid_origin");
    let other = call(
        &server,
        reqwest::Method::PATCH,
        &tpath,
        &json!({"allowed_origins": []}),
        &stranger,
    )
    .await;
    assert_error(&other, StatusCode::NOT_FOUND, "not_found");
    let res = call(
        &server,
        reqwest::Method::PATCH,
        &tpath,
        &json!({"allowed_origins": ["https://site.test/", "https://site.test"]}),
        &owner,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["allowed_origins"], json!(["https://site.test"]));
    let from = |origin: &'static str| {
        send(
            client()
                .get(format!("{}{}", server.url(), manifest_path(&id, &embed)))
                .header(header::ORIGIN, origin),
        )
    };
    assert_eq!(from("https://site.test").await.status, StatusCode::OK);
    assert_error(
        &from("https://evil.test").await,
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
    );
    server.shutdown().await.expect("shutdown");
}

both_stores!(submissions_paged_and_deleted);

async fn submissions_paged_and_deleted(store: &Store) {
    let server = store.start().await;
    let (id, embed, owner, ws) = owned_widget(&server, "pages@example.com").await;
    let (stranger, stranger_ws) = signup(&server, "stranger-pages@example.com").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(submit(&server, &embed, &id, &format!("n{i}")).await);
        // Distinct milliseconds on most runs; equal ones are ordered by id, which the cursor keeps.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let base = format!("/api/v1/workspaces/{ws}/instances/{id}/submissions");
    let mut seen = Vec::new();
    let mut next = Some(format!("{base}?limit=2"));
    let mut pages = 0;
    while let Some(path) = next.take() {
        let res = get(&server, &path, Some(&owner)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let rows = res.json();
        seen.extend(
            rows.as_array()
                .expect("array")
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned()),
        );
        next = res.headers.get(header::LINK).map(|l| {
            let l = l.to_str().unwrap();
            assert!(l.ends_with("; rel=\"next\""), "{l}");
            l[1..l.find('>').unwrap()].to_owned()
        });
        pages += 1;
    }
    assert_eq!(pages, 3);
    // Newest first, each once.
    let mut newest_first = ids.clone();
    newest_first.reverse();
    let mut sorted_seen = seen.clone();
    sorted_seen.sort();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort();
    assert_eq!(sorted_seen, sorted_ids, "every submission exactly once");
    let first = get(&server, &format!("{base}?limit=1"), Some(&owner))
        .await
        .json();
    assert_eq!(first[0]["id"], newest_first[0].as_str());

    assert_error(
        &get(&server, &format!("{base}?cursor=nope"), Some(&owner)).await,
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
    );
    // Hidden from other workspaces: the stranger gets 404 by either workspace id.
    for path in [
        base.clone(),
        format!("/api/v1/workspaces/{stranger_ws}/instances/{id}/submissions"),
    ] {
        assert_error(
            &get(&server, &path, Some(&stranger)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    let one = format!("{base}/{}", ids[0]);
    let res = call(
        &server,
        reqwest::Method::DELETE,
        &one,
        &json!(null),
        &stranger,
    )
    .await;
    assert_error(&res, StatusCode::NOT_FOUND, "not_found");
    let res = call(&server, reqwest::Method::DELETE, &one, &json!(null), &owner).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    let res = call(&server, reqwest::Method::DELETE, &one, &json!(null), &owner).await;
    assert_error(&res, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(store.scalar("select count(*) from submissions").await, 4);
    server.shutdown().await.expect("shutdown");
}

both_stores!(workspace_and_account_deletion);

async fn workspace_and_account_deletion(store: &Store) {
    let server = store.start().await;
    let (id, embed, owner, ws) = owned_widget(&server, "gone@example.com").await;
    submit(&server, &embed, &id, "Ann").await;
    let (stranger, _) = signup(&server, "stranger-gone@example.com").await;
    let path = format!("/api/v1/workspaces/{ws}");
    let name = "WS of gone@example.com";

    let res = call(
        &server,
        reqwest::Method::DELETE,
        &path,
        &json!({"confirm": "nope"}),
        &owner,
    )
    .await;
    assert_error(&res, StatusCode::BAD_REQUEST, "confirmation_mismatch");
    let res = call(
        &server,
        reqwest::Method::DELETE,
        &path,
        &json!({"confirm": name}),
        &stranger,
    )
    .await;
    assert_error(&res, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(store.scalar("select count(*) from submissions").await, 1);
    let res = call(
        &server,
        reqwest::Method::DELETE,
        &path,
        &json!({"confirm": name}),
        &owner,
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert_eq!(store.scalar("select count(*) from submissions").await, 0);
    assert_eq!(
        store.scalar("select count(*) from widget_instances").await,
        0
    );
    // Its tokens are refused at once, like a revocation.
    let manifest = get(&server, &manifest_path(&id, &embed), None).await;
    assert_eq!(
        manifest.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        manifest.text
    );

    // The account: a second workspace with a widget and a submission, deleted with it.
    let (id2, embed2, _, _) = owned_widget(&server, "acct@example.com").await;
    submit(&server, &embed2, &id2, "Bo").await;
    let me = login(&server, "acct@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let account = "/api/v1/auth/user";
    let cases = [
        (
            json!({"confirm": "acct@example.com", "current_password": "wrong password"}),
            StatusCode::FORBIDDEN,
            "wrong_password",
        ),
        (
            json!({"confirm": "other@example.com", "current_password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "confirmation_mismatch",
        ),
    ];
    for (body, status, code) in cases {
        assert_error(
            &call(&server, reqwest::Method::DELETE, account, &body, &me).await,
            status,
            code,
        );
    }
    let res = call(
        &server,
        reqwest::Method::DELETE,
        account,
        &json!({"confirm": " Acct@Example.com ", "current_password": PASSWORD}),
        &me,
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert_eq!(store.scalar("select count(*) from submissions").await, 0);
    assert_eq!(
        store
            .scalar("select count(*) from users where email = 'acct@example.com'")
            .await,
        0
    );
    // Its access token is refused, its password no longer signs in, the stranger is untouched.
    assert_eq!(
        get(&server, "/api/v1/auth/user", Some(&me)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let res = post(
        &server,
        "/api/v1/auth/login",
        &json!({"email": "acct@example.com", "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    assert_eq!(
        get(&server, "/api/v1/workspaces", Some(&stranger))
            .await
            .status,
        StatusCode::OK
    );
    server.shutdown().await.expect("shutdown");
}

both_stores!(usage_last_7_days);

async fn usage_last_7_days(store: &Store) {
    let mut config = store.config();
    config.product.usage_flush_ms = 100;
    let server = ck_server::spawn(config).await.expect("server starts");
    let (id, embed, owner, ws) = owned_widget(&server, "usage7@example.com").await;
    let (stranger, _) = signup(&server, "stranger-usage@example.com").await;
    let events = json!({"token": embed, "events": [
        {"k": "load"}, {"k": "load"}, {"k": "view", "id": id, "n": 3},
        {"k": "interaction", "id": id, "n": 2}, {"k": "error", "id": id}
    ]});
    let res = send(
        client()
            .post(format!("{}/api/v1/events", server.url()))
            .json(&events),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    // Three days ago, straight into the table (as an earlier flush would have written it).
    store
        .execute(
            "insert into usage_counters_daily (day, workspace_id, instance_id, token_id, loads, views, interactions, errors, updated_at) \
                      select date('now', '-3 day'), workspace_id, id, (select id from embed_tokens limit 1), 0, 10, 1, 0, 0 from widget_instances",
            "insert into usage_counters_daily (day, workspace_id, instance_id, token_id, loads, views, interactions, errors) \
                      select current_date - 3, workspace_id, id, (select id from embed_tokens limit 1), 0, 10, 1, 0 from widget_instances",
        )
        .await;
    let path = format!("/api/v1/workspaces/{ws}/usage/last-7-days");
    // Today's counts appear within one flush interval.
    let deadline = Instant::now() + Duration::from_secs(10);
    let report = loop {
        let report = get(&server, &path, Some(&owner)).await.json();
        if report["days"][6]["views"] == 3 || Instant::now() > deadline {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let days = report["days"].as_array().expect("days");
    assert_eq!(days.len(), 7, "{report}");
    let views: Vec<i64> = days.iter().map(|d| d["views"].as_i64().unwrap()).collect();
    assert_eq!(views, [0, 0, 0, 10, 0, 0, 3], "{report}");
    assert_eq!(days[6]["loads"], 2);
    assert_eq!(
        report["totals"],
        json!({"day": "", "loads": 2, "views": 13, "interactions": 3, "errors": 1})
    );
    assert_eq!(report["widgets"][0]["instance_id"], id.as_str());
    assert_eq!(report["widgets"][0]["views"], 13);
    let one = get(&server, &format!("{path}?instance_id={id}"), Some(&owner))
        .await
        .json();
    assert_eq!(one["totals"]["errors"], 1, "{one}");
    assert_eq!(one["widgets"], json!([]));
    assert_error(
        &get(&server, &path, Some(&stranger)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn posthog_only_when_keyed_and_only_on_dashboard_pages() {
    let store = Store::sqlite();
    for key in [None, Some("phc_test_key")] {
        let mut config = store.config();
        config.posthog_key = key.map(str::to_owned);
        let server = ck_server::spawn(config).await.expect("server starts");
        let email = format!("ph-{}@example.com", key.is_some());
        let (access, ws) = signup(&server, &email).await;
        let page = send(
            client()
                .get(format!("{}/app/w/{ws}", server.url()))
                .header(header::COOKIE, format!("ck_access={access}")),
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let csp = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            page.text.contains("data-posthog-key=\"phc_test_key\""),
            key.is_some()
        );
        assert_eq!(csp.contains("posthog.com"), key.is_some(), "{csp}");
        // Never on the sign-in pages.
        let login = get(&server, "/login", None).await;
        assert!(!login.text.contains("posthog"), "{}", login.text);
        server.shutdown().await.expect("shutdown");
    }
}
