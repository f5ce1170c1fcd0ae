//! Operations: health, JSON errors for every bad request, OpenAPI, metrics, client error intake and
//! graceful shutdown.

use std::time::Duration;

use reqwest::{header, StatusCode};
use serde_json::json;

use crate::common::{assert_error, both_stores, client, drop_database, get, send, signup, Store};

both_stores!(healthz_reports_database_loss);

async fn healthz_reports_database_loss(store: &Store) {
    let server = store.start().await;
    let res = get(&server, "/api/healthz", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let body = res.json();
    assert_eq!(
        body,
        json!({"sha": body["sha"].clone(), "env": "development", "up": true, "deps": {"db": true}})
    );
    assert!(body["sha"].as_str().is_some_and(|s| !s.is_empty()));

    match store {
        Store::Sqlite(dir) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(dir.path().join(format!("test.sqlite{suffix}")));
            }
        }
        Store::Postgres { name, .. } => drop_database(name).await,
    }
    let res = get(&server, "/api/healthz", None).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.text);
    let body = res.json();
    assert_eq!(body["up"], false);
    assert_eq!(body["deps"]["db"], false);
    server.shutdown().await.expect("shutdown");
}

both_stores!(bad_requests_get_json_errors);

async fn bad_requests_get_json_errors(store: &Store) {
    let server = store.start().await;
    let c = client();
    let login = format!("{}/api/v1/auth/login", server.url());
    let big = json!({"email": "a@example.com", "password": "x".repeat(200 * 1024)});
    // Body rejections of our JSON extractor: (content type, body, status, code).
    let cases = [
        (
            "application/json",
            "{\"email\":".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "text/plain",
            "{}".to_owned(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "application/json",
            json!({"email": 5}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "application/json",
            big.to_string(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let res = send(
            c.post(&login)
                .header(header::CONTENT_TYPE, content_type)
                .body(body),
        )
        .await;
        assert_error(&res, status, code);
    }

    assert_error(
        &get(&server, "/api/v1/nope", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Extractor rejections outside our JSON extractor are JSON too.
    let (token, _) = signup(&server, "err@example.com").await;
    assert_error(
        &get(&server, "/api/v1/workspaces/not-a-uuid", Some(&token)).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_error(
        &send(c.delete(format!("{}/api/healthz", server.url()))).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    server.shutdown().await.expect("shutdown");
}

both_stores!(client_errors_are_counted);

async fn client_errors_are_counted(store: &Store) {
    let server = store.start().await;
    let url = format!("{}/api/v1/errors", server.url());
    let res = send(
        client()
            .post(&url)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(json!({"src": "runtime", "msg": "boom"}).to_string()),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    let res = send(
        client()
            .post(&url)
            .json(&json!({"src": "nope", "msg": "boom"})),
    )
    .await;
    assert_error(&res, StatusCode::BAD_REQUEST, "invalid_report");
    let res = send(
        client()
            .post(&url)
            .json(&json!({"src": "widget", "msg": "x".repeat(5000)})),
    )
    .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    let metrics = get(&server, "/metrics", None).await.text;
    assert!(metrics.contains("ck_client_errors_total"), "{metrics}");
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn openapi_and_metrics() {
    let store = Store::sqlite();
    let server = store.start().await;
    let res = get(&server, "/api/openapi.json", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let doc = res.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')));
    for path in ["/api/healthz", "/api/v1/auth/signup", "/api/v1/workspaces"] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    let _ = get(&server, "/api/healthz", None).await;
    let metrics = get(&server, "/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.text.contains("http_requests_total")
            && metrics.text.contains("route=\"/api/healthz\""),
        "{}",
        metrics.text
    );
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn graceful_shutdown_releases_the_port() {
    let store = Store::sqlite();
    let server = store.start().await;
    let addr = server.addr;
    assert_eq!(
        get(&server, "/api/healthz", None).await.status,
        StatusCode::OK
    );
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("in time")
        .expect("clean");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening after shutdown"
    );
}

/// The OpenAPI document matches what the server does (schemathesis found each of these): every
/// `{path}` parameter is declared, query parameters are `in: query`, bearer routes document 401,
/// routes that read a body document 413/415/422, everything but healthz documents 503, and every
/// error answer has the JSON error body.
#[tokio::test]
async fn openapi_document_matches_the_server() {
    let store = Store::sqlite();
    let server = store.start().await;
    let doc = get(&server, "/api/openapi.json", None).await.json();
    let error_body = json!({"$ref": "#/components/schemas/ErrorBody"});
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            let at = format!("{method} {path}");
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let declared = |name: &str, place: &str| {
                params.iter().any(|p| p["name"] == name && p["in"] == place)
            };
            for name in path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
                assert!(declared(name, "path"), "{at}: {{{name}}} undeclared");
            }
            for name in ["limit", "instance_id", "scope"] {
                assert!(!declared(name, "path"), "{at}: {name} is a query parameter");
            }
            let responses = op["responses"].as_object().expect("responses");
            let has = |status: &str| responses.contains_key(status);
            if op.get("security").is_some() {
                assert!(has("401"), "{at}: 401");
            }
            if op.get("requestBody").is_some() {
                assert!(has("413") && has("415") && has("422"), "{at}: body errors");
            }
            if path != "/api/healthz" {
                assert!(has("503"), "{at}: 503");
            }
            for (status, response) in responses {
                if status.as_str() >= "400" && path != "/api/healthz" {
                    assert_eq!(
                        response["content"]["application/json"]["schema"], error_body,
                        "{at}: {status}"
                    );
                }
            }
        }
    }
    server.shutdown().await.expect("shutdown");
}
