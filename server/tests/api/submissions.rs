//! Submissions: origin and token checks, validation, spam defences, storage, the members' list and
//! the formula-safe CSV export; each stored submission counts as an interaction.

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::common::{
    assert_error, both_stores, client, get, owned_widget, post, send, signup, Store,
};

both_stores!(submissions_and_csv);

async fn submissions_and_csv(store: &Store) {
    let server = store.start().await;
    let (id, draft_embed, user, ws) = owned_widget(&server, "forms@example.com").await;
    let res = post(
        &server,
        &format!("/api/v1/workspaces/{ws}/tokens"),
        &json!({"scope": "widget", "instance_id": id, "allowed_origins": ["https://site.test"]}),
        Some(&user),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let token = res.json()["token"].as_str().expect("token").to_owned();
    let url = format!("{}/api/v1/submissions", server.url());
    let submit = |origin: &'static str, body: Value| {
        send(
            client()
                .post(&url)
                .header(header::ORIGIN, origin)
                .json(&body),
        )
    };
    let good = |t: &str, name: &str| json!({"token": t, "id": id, "values": {"name": name, "email": "a@b.co", "agree": true}, "hp": "", "elapsed_ms": 4200});

    let mut spam = good(&token, "Bot");
    spam["hp"] = json!("http://spam");
    let mut fast = good(&token, "Bot");
    fast["elapsed_ms"] = json!(10);
    // Refused before anything is stored: (page origin, body, status, code).
    let refused = [
        (
            "https://evil.test",
            good(&token, "Ann"),
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
        ),
        (
            "https://site.test",
            good("ck_pub_bogus", "Ann"),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            "https://site.test",
            spam,
            StatusCode::BAD_REQUEST,
            "spam_detected",
        ),
        (
            "https://site.test",
            fast,
            StatusCode::BAD_REQUEST,
            "too_fast",
        ),
    ];
    for (origin, body, status, code) in refused {
        assert_error(&submit(origin, body).await, status, code);
    }
    let res = submit("https://site.test", json!({"token": token, "id": id, "values": {"name": "", "email": "nope"}, "elapsed_ms": 4200})).await;
    assert_error(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields = &res.json()["error"]["fields"];
    assert!(
        fields["name"].is_string() && fields["email"].is_string(),
        "{fields}"
    );
    let res = submit("https://site.test", json!({"token": token, "id": id, "values": {"name": "x".repeat(21), "email": "a@b.co"}, "elapsed_ms": 4200})).await;
    assert!(
        res.json()["error"]["fields"]["name"].is_string(),
        "{}",
        res.text
    );
    assert_eq!(store.scalar("select count(*) from submissions").await, 0);

    for name in ["=1+1", "+SUM(A1)", "-2", "@cmd", "Plain, \"quoted\""] {
        let res = submit("https://site.test", good(&token, name)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert!(res.json()["id"].is_string());
    }
    // The draft's own widget token works too (no origin restriction).
    let res = send(client().post(&url).json(&good(&draft_embed, "Draft"))).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(store.scalar("select count(*) from submissions").await, 6);

    let list = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/instances/{id}/submissions"),
        Some(&user),
    )
    .await;
    assert_eq!(
        list.json().as_array().map(Vec::len),
        Some(6),
        "{}",
        list.text
    );
    let csv = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/instances/{id}/submissions.csv"),
        Some(&user),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap_or("")
        .starts_with("text/csv"));
    assert!(
        csv.text.starts_with("id,submitted_at,name,email,agree\r\n"),
        "{}",
        csv.text
    );
    for escaped in [
        "\"'=1+1\"",
        "\"'+SUM(A1)\"",
        "\"'-2\"",
        "\"'@cmd\"",
        "\"Plain, \"\"quoted\"\"\"",
    ] {
        assert!(
            csv.text.contains(escaped),
            "{escaped} missing in {}",
            csv.text
        );
    }
    assert!(!csv.text.contains(",=1+1"), "{}", csv.text);
    let (other, _) = signup(&server, "other@example.com").await;
    assert_eq!(
        get(
            &server,
            &format!("/api/v1/workspaces/{ws}/instances/{id}/submissions.csv"),
            Some(&other)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // Each stored submission is an interaction.
    server.shutdown().await.expect("shutdown");
    assert_eq!(
        store
            .scalar("select coalesce(sum(interactions), 0) from usage_counters_daily")
            .await,
        6
    );
}
