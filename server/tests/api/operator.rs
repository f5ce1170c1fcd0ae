//! Operator experience: the embed through a database outage, immediate revocation across
//! processes, production guardrails, request ids and logs, `no-store` on secrets.

use std::time::{Duration, Instant};

use ck_server::spawn;
use reqwest::{header, StatusCode};
use serde_json::json;
use sqlx::{Connection as _, Executor as _, PgConnection};

use crate::common::{
    both_stores, client, form_config, get, mailed_token, manifest_path, owned_widget, pg_base,
    post, send, Res, Store, PASSWORD,
};

/// Makes a Postgres test database unreachable for the server for real: no new connections
/// (`CONNECTION LIMIT 0` binds every role but superusers; the server logs in as `ck_app`) and every
/// open one terminated. `false` lifts it.
async fn outage(name: &str, on: bool) {
    let mut admin = PgConnection::connect(&format!("{}/postgres", pg_base()))
        .await
        .expect("admin");
    let limit = if on { 0 } else { -1 };
    admin
        .execute(format!("alter database {name} connection limit {limit}").as_str())
        .await
        .expect("connection limit");
    if on {
        admin
            .execute(
                format!(
                    "select pg_terminate_backend(pid) from pg_stat_activity \
                     where datname = '{name}' and pid <> pg_backend_pid()"
                )
                .as_str(),
            )
            .await
            .expect("terminate");
    }
}

async fn beacon(server: &ck_server::Running, token: &str, id: &str, n: u32) -> Res {
    send(
        client()
            .post(format!("{}/api/v1/events", server.url()))
            .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(json!({"token": token, "events": [{"k": "view", "id": id, "n": n}]}).to_string()),
    )
    .await
}

/// The pixel and the config manifest keep answering while Postgres refuses every connection (the
/// last good lookups are used, each check waits on the pool only briefly), and the counts accepted
/// meanwhile are written once the database is back.
#[tokio::test]
async fn embed_keeps_serving_through_a_database_outage() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    let Store::Postgres { name, .. } = &store else {
        unreachable!()
    };
    let mut config = store.config();
    config.product.token_cache_ttl_ms = 200;
    config.product.usage_flush_ms = 200;
    let server = spawn(config).await.expect("server");
    // A claimed widget: the manifest also looks up the workspace's plan flags.
    let (id, token, _, _) = owned_widget(&server, "outage@example.com").await;
    assert_eq!(
        beacon(&server, &token, &id, 1).await.status,
        StatusCode::NO_CONTENT
    );
    let manifest = get(&server, &manifest_path(&id, &token), None).await;
    assert_eq!(manifest.status, StatusCode::OK, "{}", manifest.text);

    outage(name, true).await;
    // Every cache entry is past its TTL: each check below goes to the (unreachable) database.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let health = get(&server, "/api/healthz", None).await;
    assert_eq!(
        health.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "the outage is real"
    );
    let mut sent = 1;
    for n in 1..=5 {
        let started = Instant::now();
        let res = beacon(&server, &token, &id, n).await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        sent += i64::from(n);
        let res = get(&server, &manifest_path(&id, &token), None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.json()["config"], manifest.json()["config"]);
    }
    // Let the flusher fail a few times against the outage.
    tokio::time::sleep(Duration::from_millis(600)).await;

    outage(name, false).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let counted = store
            .scalar("select coalesce(sum(views), 0) from usage_counters_daily")
            .await;
        if counted == sent {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "counted {counted} of {sent} after recovery"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        get(&server, "/api/healthz", None).await.status,
        StatusCode::OK
    );
    server.shutdown().await.expect("shutdown");
    store.cleanup().await;
}

/// Two processes on one Postgres with a long token cache: a revocation on A is refused by A at once
/// and by B on the notification, far sooner than the (fallback) TTL.
#[tokio::test]
async fn revocation_is_immediate_across_processes() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    let mut config = store.config();
    config.product.token_cache_ttl_ms = 60_000;
    let a = spawn(config.clone()).await.expect("server a");
    let b = spawn(config).await.expect("server b");
    let (id, _, user, ws) = owned_widget(&a, "revoke@example.com").await;
    let issued = post(
        &a,
        &format!("/api/v1/workspaces/{ws}/tokens"),
        &json!({"scope": "workspace"}),
        Some(&user),
    )
    .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let token = issued.json()["token"].as_str().expect("token").to_owned();
    let token_id = issued.json()["id"].as_str().expect("id").to_owned();
    for server in [&a, &b] {
        let res = get(server, &manifest_path(&id, &token), None).await;
        assert_eq!(res.status, StatusCode::OK, "cache warmed: {}", res.text);
    }
    // The listener may still be connecting right after start: wait until B's is up.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let revoked = post(
        &a,
        &format!("/api/v1/workspaces/{ws}/tokens/{token_id}/revoke"),
        &json!({}),
        Some(&user),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    let res = get(&a, &manifest_path(&id, &token), None).await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "the revoking process: {}",
        res.text
    );
    let started = Instant::now();
    loop {
        let res = get(&b, &manifest_path(&id, &token), None).await;
        if res.status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "B still accepts the revoked token after {:?} (TTL is 60 s)",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.shutdown().await.expect("a");
    b.shutdown().await.expect("b");
    store.cleanup().await;
}

both_stores!(secrets_are_never_cached, secrets_are_never_cached);

/// Every response that carries a secret says `Cache-Control: no-store`; routes with their own
/// policy keep it.
async fn secrets_are_never_cached(store: &Store) {
    let server = store.start().await;
    let no_store = |what: &str, res: &Res| {
        assert!(
            res.status.is_success(),
            "{what}: {} {}",
            res.status,
            res.text
        );
        assert_eq!(
            res.headers
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{what}"
        );
    };
    let draft = post(
        &server,
        "/api/v1/drafts",
        &json!({"type": "form", "config": form_config()}),
        None,
    )
    .await;
    no_store("draft create", &draft);
    let signup = post(
        &server,
        "/api/v1/auth/signup",
        &json!({"email": "cache@example.com", "password": PASSWORD}),
        None,
    )
    .await;
    no_store("sign-up", &signup);
    let link = mailed_token(&server, "cache@example.com").await;
    let verified = post(
        &server,
        "/api/v1/auth/magic-link/verify",
        &json!({"token": link}),
        None,
    )
    .await;
    no_store("magic-link verify", &verified);
    let login = post(
        &server,
        "/api/v1/auth/login",
        &json!({"email": "cache@example.com", "password": PASSWORD}),
        None,
    )
    .await;
    no_store("login", &login);
    let refresh_token = login.json()["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let refreshed = post(
        &server,
        "/api/v1/auth/refresh",
        &json!({"refresh_token": refresh_token}),
        None,
    )
    .await;
    no_store("refresh", &refreshed);
    let access = refreshed.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let ws = get(&server, "/api/v1/workspaces", Some(&access))
        .await
        .json()[0]["id"]
        .as_str()
        .expect("ws")
        .to_owned();
    let issued = post(
        &server,
        &format!("/api/v1/workspaces/{ws}/tokens"),
        &json!({"scope": "workspace"}),
        Some(&access),
    )
    .await;
    no_store("token issue", &issued);
    let token_id = issued.json()["id"].as_str().expect("id").to_owned();
    let rotated = post(
        &server,
        &format!("/api/v1/workspaces/{ws}/tokens/{token_id}/rotate"),
        &json!({}),
        Some(&access),
    )
    .await;
    no_store("token rotate", &rotated);
    let (id, token) = (
        draft.json()["instance_id"].as_str().expect("id").to_owned(),
        draft.json()["embed_token"]
            .as_str()
            .expect("token")
            .to_owned(),
    );
    let manifest = get(&server, &manifest_path(&id, &token), None).await;
    assert_eq!(manifest.headers[header::CACHE_CONTROL], "no-cache");
    server.shutdown().await.expect("shutdown");
}
