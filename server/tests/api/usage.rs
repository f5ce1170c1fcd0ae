//! Usage: the pixel's validation and exact counting across flushes and restarts.

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::common::{assert_error, both_stores, client, draft, send, Store};

both_stores!(events_counted_exactly);

async fn events_counted_exactly(store: &Store) {
    let server = store.start().await;
    let (id, embed, _) = draft(&server).await;
    let url = format!("{}/api/v1/events", server.url());
    let beacon = |body: String| {
        send(
            client()
                .post(&url)
                .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
                .body(body),
        )
    };

    // Invalid batches are refused whole and store nothing.
    let bad = [
        json!({"token": embed, "events": [{"k": "view", "id": id}, {"k": "click", "id": id}]}),
        json!({"token": embed, "events": [{"k": "view", "id": id, "n": 0}]}),
        json!({"token": embed, "events": [{"k": "view", "id": id, "n": 1001}]}),
        json!({"token": embed, "events": [{"k": "view"}]}),
        json!({"token": embed, "events": []}),
        json!({"token": embed, "events": [{"k": "view", "id": id, "ua": "x"}]}),
    ];
    for body in bad {
        assert_error(
            &beacon(body.to_string()).await,
            StatusCode::BAD_REQUEST,
            "invalid_events",
        );
    }
    let many: Vec<Value> = (0..101).map(|_| json!({"k": "view", "id": id})).collect();
    assert_eq!(
        beacon(json!({"token": embed, "events": many}).to_string())
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let huge =
        json!({"token": embed, "events": [{"k": "error", "id": id, "x": "a".repeat(20_000)}]});
    assert_eq!(
        beacon(huge.to_string()).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let xml = send(
        client()
            .post(&url)
            .header(header::CONTENT_TYPE, "application/xml")
            .body("<a/>"),
    )
    .await;
    assert_error(
        &xml,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let other = format!("{}{}", &embed[..embed.len() - 6], "000000");
    assert_eq!(
        beacon(json!({"token": other, "events": [{"k": "load"}]}).to_string())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // N events in, by beacon and by fetch, in parallel.
    let mut expected = (0i64, 0i64, 0i64, 0i64);
    let mut tasks = Vec::new();
    for i in 0..40i64 {
        let n = i % 7 + 1;
        expected.0 += 1;
        expected.1 += n;
        expected.2 += 2;
        expected.3 += 1;
        let body = json!({"token": embed, "events": [
            {"k": "load", "ms": 120},
            {"k": "view", "id": id, "n": n},
            {"k": "interaction", "id": id, "n": 2},
            {"k": "error", "id": id}
        ]});
        let req = if i % 2 == 0 {
            client()
                .post(&url)
                .header(header::CONTENT_TYPE, "text/plain")
                .body(body.to_string())
        } else {
            client().post(&url).json(&body)
        };
        tasks.push(tokio::spawn(async move {
            req.send().await.expect("send").status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::NO_CONTENT);
    }
    // Nothing flushed yet (interval 60 s); a clean stop writes everything.
    server.shutdown().await.expect("shutdown");
    assert_eq!(
        store
            .scalar("select coalesce(sum(loads), 0) from usage_counters_daily")
            .await,
        expected.0
    );
    assert_eq!(
        store
            .scalar("select coalesce(sum(views), 0) from usage_counters_daily")
            .await,
        expected.1
    );
    assert_eq!(
        store
            .scalar("select coalesce(sum(interactions), 0) from usage_counters_daily")
            .await,
        expected.2
    );
    assert_eq!(
        store
            .scalar("select coalesce(sum(errors), 0) from usage_counters_daily")
            .await,
        expected.3
    );

    // A restarted server adds to the same rows (upsert), still exact.
    let server = store.start().await;
    let url = format!("{}/api/v1/events", server.url());
    let res = send(
        client()
            .post(&url)
            .json(&json!({"token": embed, "events": [{"k": "view", "id": id, "n": 5}]})),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    server.shutdown().await.expect("shutdown");
    assert_eq!(
        store
            .scalar("select coalesce(sum(views), 0) from usage_counters_daily")
            .await,
        expected.1 + 5
    );
    assert_eq!(
        store
            .scalar("select count(*) from usage_counters_daily")
            .await,
        1
    ); // one (day, token, instance) row: a widget token's page-level loads count for its widget
}
