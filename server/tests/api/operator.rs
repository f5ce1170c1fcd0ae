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
    crate::common::wait_for_views(&store, sent).await;
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

both_stores!(secrets_are_never_cached);

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

fn production(store: &Store) -> ck_server::Config {
    crate::common::production_config(store)
}

/// Production refuses a weak `JWT_SECRET` (low entropy, however long) and a missing embed release,
/// each with a message that says what to do.
#[tokio::test]
async fn production_guardrails_refuse_to_start() {
    let store = Store::sqlite();
    let ok = spawn(production(&store))
        .await
        .expect("a sound production config starts");
    ok.shutdown().await.expect("shutdown");

    let weak_secrets = ["a".repeat(32), "abc".repeat(16), "test-secret-".repeat(4)];
    for secret in weak_secrets {
        let mut config = production(&store);
        config.jwt_secret = Some(secret.clone());
        let error = spawn(config).await.expect_err(&secret);
        let text = format!("{error:#}");
        assert!(text.contains("JWT_SECRET is too weak"), "{secret}: {text}");
        assert!(text.contains("openssl rand"), "{text}");
    }

    let mut config = production(&store);
    config.dist_dir = store.dir().join("elsewhere");
    let text = format!("{:#}", spawn(config).await.expect_err("no embed"));
    assert!(text.contains("no embed release in"), "{text}");
    assert!(text.contains("CK_DIST_DIR"), "{text}");
    assert!(text.contains("elsewhere"), "names the folder: {text}");

    // The same weak secret and missing embed are only warnings in development.
    let mut config = store.config();
    config.jwt_secret = Some("a".repeat(32));
    config.dist_dir = store.dir().join("elsewhere");
    spawn(config)
        .await
        .expect("development starts")
        .shutdown()
        .await
        .expect("shutdown");
}

/// Each response carries a request id: a sane incoming one is kept, anything else is replaced.
#[tokio::test]
async fn requests_get_an_id() {
    let store = Store::sqlite();
    let server = store.start().await;
    let url = format!("{}/api/healthz", server.url());
    let id_of = |res: &Res| {
        res.headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("x-request-id")
            .to_owned()
    };
    let kept = send(client().get(&url).header("x-request-id", "proxy-42.a_b")).await;
    assert_eq!(id_of(&kept), "proxy-42.a_b");
    let fresh = [
        send(client().get(&url)).await,
        send(client().get(&url).header("x-request-id", "bad id<script>")).await,
        send(client().get(&url).header("x-request-id", "x".repeat(65))).await,
        // Errors and unrouted paths too.
        send(client().get(format!("{}/api/nope", server.url()))).await,
    ];
    let ids: std::collections::HashSet<String> = fresh.iter().map(id_of).collect();
    assert_eq!(ids.len(), fresh.len(), "fresh ids are unique: {ids:?}");
    for id in &ids {
        assert!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
    }
    server.shutdown().await.expect("shutdown");
}

/// Runs the real binary with stdout on a pipe: logs carry no ANSI codes; with `CK_LOG_JSON=YES` every
/// line is JSON, including the startup summary, the "server on" line, request lines (method,
/// route, status, latency, request id) and the shutdown flush total. The text run is a preview on
/// all interfaces on SQLite without a shared secret, and warns about each.
#[test]
fn binary_logs_are_plain_or_json() {
    for (json_flag, json) in [("YES", true), ("off", false)] {
        let dir = tempfile::TempDir::new().expect("dir");
        crate::common::write(&dir.path().join("dist/embed/v0.1.0/loader.js"), b"/**/");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ck-server"))
            .args(["--port", "0"])
            .env_remove("RUST_LOG")
            .env("CK_LOG_JSON", json_flag)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("db.sqlite").display()),
            )
            .env("CK_DIST_DIR", dir.path().join("dist"))
            // Text mode runs as a preview on all interfaces without a secret: three loud warnings.
            .envs(if json {
                vec![("JWT_SECRET", crate::common::SECRET)]
            } else {
                vec![("APP_ENV", "preview"), ("CK_HOST", "0.0.0.0")]
            })
            .env_remove(if json { "APP_ENV" } else { "JWT_SECRET" })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        let next_line = |lines: &mut Vec<String>| {
            let line = rx
                .recv_timeout(Duration::from_secs(20))
                .expect("a log line");
            lines.push(line.clone());
            line
        };
        let url = loop {
            let line = next_line(&mut lines);
            if let Some(rest) = line.split("Clickeen server on ").nth(1) {
                break rest
                    .split(|c: char| c.is_whitespace() || c == '"')
                    .next()
                    .expect("url")
                    .to_owned();
            }
        };
        let rt = tokio::runtime::Runtime::new().expect("rt");
        let res = rt.block_on(send(
            client()
                .get(format!("{url}/api/v1/widgets/x/config"))
                .header("x-request-id", "log-test-1"),
        ));
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        let request_line = loop {
            let line = next_line(&mut lines);
            if line.contains("log-test-1") && line.contains("ck_server::access") {
                break line;
            }
        };
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(child.wait().expect("exit").success());
        lines.extend(rx.try_iter());
        let all = lines.join("\n");
        assert!(!all.contains('\u{1b}'), "no ANSI codes on a pipe:\n{all}");
        for want in [
            "startup summary",
            "final usage flush done",
            "server stopped",
        ] {
            assert!(all.contains(want), "{want}:\n{all}");
        }
        if json {
            for line in &lines {
                serde_json::from_str::<serde_json::Value>(line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            }
            let parsed = |needle: &str| -> serde_json::Value {
                let line = lines.iter().find(|l| l.contains(needle)).expect(needle);
                serde_json::from_str(line).expect("json")
            };
            let summary = parsed("startup summary")["fields"].clone();
            assert_eq!(summary["env"], "development", "{summary}");
            assert_eq!(summary["embed_versions"], "v0.1.0", "{summary}");
            assert!(
                summary["store"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("sqlite ")),
                "{summary}"
            );
            assert!(
                summary["migrations"].as_u64().is_some_and(|n| n > 0),
                "{summary}"
            );
            for key in ["version", "sha", "listen", "integrations", "role"] {
                assert!(!summary[key].is_null(), "{key}: {summary}");
            }
            assert_eq!(parsed("Clickeen server on")["fields"]["url"], url);
            let request: serde_json::Value = serde_json::from_str(&request_line).expect("json");
            let f = &request["fields"];
            assert_eq!(f["request_id"], "log-test-1", "{request}");
            assert_eq!(f["method"], "GET");
            assert_eq!(f["route"], "/api/v1/widgets/{id}/config");
            assert_eq!(f["status"], 404);
            assert!(f["latency_ms"].as_f64().is_some(), "{request}");
        } else {
            for warning in [
                "SQLite store outside development: a single-node choice",
                "listening on all interfaces",
                "refuse each other's sessions",
            ] {
                assert!(all.contains(warning), "{warning}:\n{all}");
            }
            for want in [
                "method=GET",
                "route=/api/v1/widgets/{id}/config",
                "status=404",
                "latency_ms=",
            ] {
                assert!(request_line.contains(want), "{want}: {request_line}");
            }
        }
    }
}

/// A database on a wrong port: the error names host, port and database (never the password) and
/// the real cause, after the configured retries.
#[tokio::test]
async fn database_errors_name_the_target_and_cause() {
    let store = Store::sqlite();
    let mut config = store.config();
    config.database_url = "postgres://postgres:hunter2@127.0.0.1:1/clickeen".into();
    config.database_connect_retry_secs = 1;
    let started = Instant::now();
    let text = format!("{:#}", spawn(config).await.expect_err("no database there"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(text.contains("127.0.0.1:1/clickeen"), "{text}");
    assert!(text.to_lowercase().contains("refused"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}
