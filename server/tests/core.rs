//! Server-core integration tests: the real server on port 0, real HTTP, a fresh SQLite file and a
//! fresh Postgres database per test (created here, dropped afterwards).
//!
//! Postgres tests need `postgres://postgres@127.0.0.1:5432` (override with `CK_TEST_PG`). When it is
//! unreachable they are skipped with a note, except under `CI`, where that is a failure.

use std::{path::Path, time::Duration};

use ck_server::{spawn, Config, Running};
use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::{header, redirect::Policy, Client, StatusCode};
use serde_json::{json, Value};
use sqlx::{postgres::PgPoolOptions, Connection, Executor, PgConnection, PgPool, Row};
use tempfile::TempDir;
use uuid::Uuid;

const SECRET: &str = "test-secret-test-secret-test-secret-000";

fn pg_base() -> String {
    std::env::var("CK_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database for one test: SQLite in a temp dir, or a fresh Postgres database dropped on `cleanup`.
enum Store {
    Sqlite(TempDir),
    Postgres { dir: TempDir, name: String },
}

impl Store {
    fn sqlite() -> Self {
        Store::Sqlite(TempDir::new().expect("temp dir"))
    }

    async fn postgres() -> Option<Self> {
        let admin = format!("{}/postgres", pg_base());
        let mut conn = match PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("Postgres unreachable under CI: {e}")
            }
            Err(e) => {
                eprintln!("skipping Postgres test: {e}");
                return None;
            }
        };
        let name = format!("ck_core_{}", Uuid::new_v4().simple());
        conn.execute(format!("create database {name}").as_str())
            .await
            .expect("create database");
        conn.close().await.ok();
        Some(Store::Postgres {
            dir: TempDir::new().expect("temp dir"),
            name,
        })
    }

    fn dir(&self) -> &Path {
        match self {
            Store::Sqlite(dir) | Store::Postgres { dir, .. } => dir.path(),
        }
    }

    fn config(&self) -> Config {
        let mut config = Config::for_tests(self.dir());
        config.jwt_secret = Some(SECRET.into());
        config.examples_dir = self.dir().join("pages");
        config.dist_dir = self.dir().join("dist");
        if let Store::Postgres { name, .. } = self {
            config.database_url = format!("{}/{name}", pg_base());
            config.database_app_url = Some(format!(
                "{}/{name}",
                pg_base().replace("postgres@", "ck_app@")
            ));
            config.database_max_connections = 4;
        }
        config
    }

    /// An owner connection for assertions straight on the tables.
    async fn owner_pool(&self) -> Option<PgPool> {
        match self {
            Store::Postgres { name, .. } => Some(
                PgPoolOptions::new()
                    .max_connections(2)
                    .connect(&format!("{}/{name}", pg_base()))
                    .await
                    .expect("owner pool"),
            ),
            Store::Sqlite(_) => None,
        }
    }

    async fn cleanup(self) {
        if let Store::Postgres { name, .. } = self {
            let mut conn = PgConnection::connect(&format!("{}/postgres", pg_base()))
                .await
                .expect("admin");
            conn.execute(format!("drop database if exists {name} with (force)").as_str())
                .await
                .expect("drop database");
        }
    }

    /// Latest mail body sent to `to`, from the development outbox.
    async fn outbox(&self, to: &str) -> String {
        match self {
            Store::Sqlite(dir) => {
                let url = format!("sqlite://{}", dir.path().join("test.sqlite").display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
                sqlx::query_scalar(
                    "select body from outbox where to_email = $1 order by created_at desc limit 1",
                )
                .bind(to)
                .fetch_one(&mut conn)
                .await
                .expect("outbox row")
            }
            Store::Postgres { .. } => {
                let pool = self.owner_pool().await.expect("pool");
                sqlx::query_scalar(
                    "select body from outbox where to_email = $1 order by created_at desc limit 1",
                )
                .bind(to)
                .fetch_one(&pool)
                .await
                .expect("outbox row")
            }
        }
    }
}

/// Runs the body against SQLite, then against a fresh Postgres database.
macro_rules! both_stores {
    ($name:ident, |$store:ident: &Store| async move $body:block) => {
        mod $name {
            use super::*;

            async fn run($store: &Store) $body

            #[tokio::test]
            async fn sqlite() {
                let store = Store::sqlite();
                run(&store).await;
                store.cleanup().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(store) = Store::postgres().await else { return };
                run(&store).await;
                store.cleanup().await;
            }
        }
    };
}

fn client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

async fn start(store: &Store) -> Running {
    spawn(store.config()).await.expect("server starts")
}

async fn post_json(
    server: &Running,
    path: &str,
    body: Value,
    bearer: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = client().post(format!("{}{path}", server.url())).json(&body);
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get_json(server: &Running, path: &str, bearer: Option<&str>) -> (StatusCode, Value) {
    let mut req = client().get(format!("{}{path}", server.url()));
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn signup(server: &Running, email: &str) -> Value {
    let (status, body) = post_json(
        server,
        "/api/v1/auth/signup",
        json!({"email": email, "password": "correct horse battery", "workspace_name": format!("WS of {email}")}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

both_stores!(signup_login_workspace, |store: &Store| async move {
    let server = start(store).await;
    let created = signup(&server, "Ann@Example.com").await;
    assert_eq!(created["user"]["email"], "ann@example.com");
    assert_eq!(created["token_type"], "bearer");
    let token = created["access_token"].as_str().expect("token");

    let (status, list) = get_json(&server, "/api/v1/workspaces", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["name"], "WS of Ann@Example.com");
    assert_eq!(list[0]["role"], "owner");

    let (status, login) = post_json(
        &server,
        "/api/v1/auth/login",
        json!({"email": "ann@example.com", "password": "correct horse battery"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token2 = login["access_token"].as_str().expect("token");
    let (_, list2) = get_json(&server, "/api/v1/workspaces", Some(token2)).await;
    assert_eq!(list2, list);

    let (status, body) = post_json(
        &server,
        "/api/v1/auth/login",
        json!({"email": "ann@example.com", "password": "wrong password"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "unauthorized");
    let (status, body) = post_json(
        &server,
        "/api/v1/auth/login",
        json!({"email": "nobody@example.com", "password": "whatever1"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "unauthorized");

    let (status, body) = post_json(
        &server,
        "/api/v1/auth/signup",
        json!({"email": "ann@example.com", "password": "another password"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "email_taken");
    let (status, body) = post_json(
        &server,
        "/api/v1/auth/signup",
        json!({"email": "bob@example.com", "password": "short"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "weak_password");

    let (status, body) = get_json(&server, "/api/v1/workspaces", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "unauthorized");
    server.shutdown().await.expect("shutdown");
});

both_stores!(tenant_isolation_over_http, |store: &Store| async move {
    let server = start(store).await;
    let a = signup(&server, "a@example.com").await;
    let b = signup(&server, "b@example.com").await;
    let (ta, tb) = (
        a["access_token"].as_str().expect("a"),
        b["access_token"].as_str().expect("b"),
    );
    let (_, list_a) = get_json(&server, "/api/v1/workspaces", Some(ta)).await;
    let ws_a = list_a[0]["id"].as_str().expect("id");
    let (status, body) = get_json(&server, &format!("/api/v1/workspaces/{ws_a}"), Some(tb)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = get_json(
        &server,
        &format!("/api/v1/workspaces/{ws_a}/instances"),
        Some(tb),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get_json(
        &server,
        &format!("/api/v1/workspaces/{ws_a}/instances"),
        Some(ta),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    server.shutdown().await.expect("shutdown");
});

both_stores!(magic_link_end_to_end, |store: &Store| async move {
    let server = start(store).await;
    let (status, _) = post_json(
        &server,
        "/api/v1/auth/magic-link",
        json!({"email": "Mia@Example.com"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let again = client()
        .post(format!("{}/api/v1/auth/magic-link", server.url()))
        .json(&json!({"email": "mia@example.com"}))
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = again.headers()[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");

    let mail = store.outbox("mia@example.com").await;
    let link = mail
        .lines()
        .find(|l| l.contains("/auth/magic?token="))
        .expect("link in mail");
    assert!(link.starts_with(&server.url()), "{link}");
    let token = link.split("token=").nth(1).expect("token").trim();

    // The landing page does not consume the token (mail scanners prefetch links).
    let landing = client().get(link.trim()).send().await.expect("landing");
    assert_eq!(landing.status(), StatusCode::OK);

    let (status, session) = post_json(
        &server,
        "/api/v1/auth/magic-link/verify",
        json!({"token": token}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["user"]["email"], "mia@example.com");
    let access = session["access_token"].as_str().expect("access");
    let (_, list) = get_json(&server, "/api/v1/workspaces", Some(access)).await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "first magic-link sign-in creates a workspace: {list}"
    );

    let (status, body) = post_json(
        &server,
        "/api/v1/auth/magic-link/verify",
        json!({"token": token}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "single use");
    assert_error(&body, "unauthorized");
    let (status, _) = post_json(
        &server,
        "/api/v1/auth/magic-link/verify",
        json!({"token": "forged"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.shutdown().await.expect("shutdown");
});

both_stores!(
    refresh_is_single_use_and_logout_revokes,
    |store: &Store| async move {
        let server = start(store).await;
        let first = signup(&server, "rae@example.com").await;
        let refresh = first["refresh_token"].as_str().expect("refresh");
        let (status, second) = post_json(
            &server,
            "/api/v1/auth/refresh",
            json!({"refresh_token": refresh}),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{second}");
        assert_ne!(second["refresh_token"], first["refresh_token"]);

        // Replaying the used token is treated as theft: refused, and the whole session is revoked.
        let (status, _) = post_json(
            &server,
            "/api/v1/auth/refresh",
            json!({"refresh_token": refresh}),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = post_json(
            &server,
            "/api/v1/auth/refresh",
            json!({"refresh_token": second["refresh_token"].as_str().expect("next")}),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        let (_, login) = post_json(
            &server,
            "/api/v1/auth/login",
            json!({"email": "rae@example.com", "password": "correct horse battery"}),
            None,
        )
        .await;
        let access = login["access_token"].as_str().expect("access");
        let (status, _) = get_json(&server, "/api/v1/auth/user", Some(access)).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = post_json(&server, "/api/v1/auth/logout", json!({}), Some(access)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = get_json(&server, "/api/v1/auth/user", Some(access)).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "access token of a revoked session: {body}"
        );
        let (status, _) = post_json(
            &server,
            "/api/v1/auth/refresh",
            json!({"refresh_token": login["refresh_token"].as_str().expect("refresh")}),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        server.shutdown().await.expect("shutdown");
    }
);

fn supabase_token(secret: &str, sub: Uuid, email: &str, exp_offset: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({
        "iss": "https://abcdefghijkl.supabase.co/auth/v1",
        "sub": sub,
        "aud": "authenticated",
        "exp": now + exp_offset,
        "iat": now,
        "email": email,
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {"email_verified": true},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": Uuid::new_v4(),
        "is_anonymous": false
    });
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

both_stores!(
    supabase_shaped_jwt_is_accepted,
    |store: &Store| async move {
        let server = start(store).await;
        let sub = Uuid::new_v4();
        let token = supabase_token(SECRET, sub, "sup@example.com", 600);
        let (status, me) = get_json(&server, "/api/v1/auth/user", Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["id"], sub.to_string());
        assert_eq!(me["email"], "sup@example.com");

        let (status, ws) = post_json(
            &server,
            "/api/v1/workspaces",
            json!({"name": "From Supabase"}),
            Some(&token),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{ws}");
        assert_eq!(ws["role"], "owner");
        let (_, list) = get_json(&server, "/api/v1/workspaces", Some(&token)).await;
        assert_eq!(list.as_array().map(Vec::len), Some(1));

        for bad in [
            supabase_token(
                "another-secret-another-secret-another",
                sub,
                "sup@example.com",
                600,
            ),
            supabase_token(SECRET, sub, "sup@example.com", -600),
            format!("{token}x"),
        ] {
            let (status, body) = get_json(&server, "/api/v1/auth/user", Some(&bad)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        }
        server.shutdown().await.expect("shutdown");
    }
);

both_stores!(healthz_reports_database_loss, |store: &Store| async move {
    let server = start(store).await;
    let (status, body) = get_json(&server, "/api/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
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
        Store::Postgres { name, .. } => {
            let mut conn = PgConnection::connect(&format!("{}/postgres", pg_base()))
                .await
                .expect("admin");
            conn.execute(format!("drop database {name} with (force)").as_str())
                .await
                .expect("drop");
        }
    }
    let (status, body) = get_json(&server, "/api/healthz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["up"], false);
    assert_eq!(body["deps"]["db"], false);
    server.shutdown().await.expect("shutdown");
});

both_stores!(bad_requests_get_json_errors, |store: &Store| async move {
    let server = start(store).await;
    let c = client();
    let url = format!("{}/api/v1/auth/login", server.url());
    let res = c
        .post(&url)
        .header(header::CONTENT_TYPE, "application/json")
        .body("{\"email\":")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_error(&res.json::<Value>().await.expect("json"), "invalid_json");

    let res = c
        .post(&url)
        .header(header::CONTENT_TYPE, "text/plain")
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_error(
        &res.json::<Value>().await.expect("json"),
        "unsupported_media_type",
    );

    let res = c
        .post(&url)
        .json(&json!({"email": 5}))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&res.json::<Value>().await.expect("json"), "invalid_body");

    let big = json!({"email": "a@example.com", "password": "x".repeat(200 * 1024)});
    let res = c.post(&url).json(&big).send().await.expect("send");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(
        &res.json::<Value>().await.expect("json"),
        "payload_too_large",
    );

    let (status, body) = get_json(&server, "/api/v1/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");

    // Extractor rejections outside our JSON extractor are JSON too.
    let signup = signup(&server, "err@example.com").await;
    let token = signup["access_token"].as_str().expect("token");
    let (status, body) = get_json(&server, "/api/v1/workspaces/not-a-uuid", Some(token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_request");
    let res = c
        .delete(format!("{}/api/healthz", server.url()))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_error(
        &res.json::<Value>().await.expect("json"),
        "method_not_allowed",
    );
    server.shutdown().await.expect("shutdown");
});

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

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
    write(&dist.join("v0.11.0-rc.1/loader.js"), b"pre-release loader");
    let server = start(&store).await;
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
    let server = start(&store).await;
    let res = client()
        .get(format!("{}/form-demo.html", server.url()))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(header::CONTENT_SECURITY_POLICY).is_none());
    let res = client()
        .get(format!("{}/form-csp.html", server.url()))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_SECURITY_POLICY],
        "script-src 'self' 'wasm-unsafe-eval'; style-src 'self'"
    );
    let index = client()
        .get(server.url())
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

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

fn cookie_value<'a>(cookies: &'a [String], name: &str) -> &'a str {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
}

#[tokio::test]
async fn dashboard_signup_with_cookies_and_csrf() {
    let store = Store::sqlite();
    let server = start(&store).await;
    let c = client();
    let page = c
        .get(format!("{}/signup", server.url()))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("script-src 'self'")
            && csp.contains("style-src 'self'")
            && !csp.contains("unsafe-inline")
    );
    let cookies = set_cookies(&page);
    let csrf = cookie_value(&cookies, "ck_csrf").to_owned();
    let html = page.text().await.expect("html");
    assert!(
        html.contains(&csrf)
            && html.contains("<svg")
            && !html.contains("style=")
            && !html.contains("<script")
    );

    let form = [
        ("email", "dora@example.com"),
        ("password", "correct horse battery"),
        ("workspace_name", "Dora Co"),
        ("csrf", csrf.as_str()),
    ];
    // Without the CSRF cookie the form post is refused.
    let refused = c
        .post(format!("{}/signup", server.url()))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // A cross-site origin is refused even with the cookie.
    let refused = c
        .post(format!("{}/signup", server.url()))
        .header(header::COOKIE, format!("ck_csrf={csrf}"))
        .header(header::ORIGIN, "https://evil.example")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let ok = c
        .post(format!("{}/signup", server.url()))
        .header(header::COOKIE, format!("ck_csrf={csrf}"))
        .header(header::ORIGIN, server.url())
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()[header::LOCATION], "/app");
    let session = set_cookies(&ok);
    for c in &session {
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        assert!(!c.contains("Secure"), "plain http test server: {c}");
    }
    let access = cookie_value(&session, "ck_access");
    let home = c
        .get(format!("{}/app", server.url()))
        .header(
            header::COOKIE,
            format!("ck_access={access}; ck_csrf={csrf}"),
        )
        .send()
        .await
        .expect("get");
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.expect("html");
    assert!(
        html.contains("Dora Co") && html.contains("dora@example.com"),
        "{html}"
    );

    let anonymous = c
        .get(format!("{}/app", server.url()))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);

    let css = c
        .get(format!("{}/assets/dashboard.css", server.url()))
        .send()
        .await
        .expect("css");
    assert!(css.headers()[header::CONTENT_TYPE]
        .to_str()
        .expect("ascii")
        .starts_with("text/css"));
    let css = css.text().await.expect("text");
    assert!(css.contains("--ck-color-accent") && css.contains("var(--ck-font-family)"));
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn openapi_and_metrics() {
    let store = Store::sqlite();
    let server = start(&store).await;
    let (status, doc) = get_json(&server, "/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')));
    for path in ["/api/healthz", "/api/v1/auth/signup", "/api/v1/workspaces"] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    let _ = get_json(&server, "/api/healthz", None).await;
    let metrics = client()
        .get(format!("{}/metrics", server.url()))
        .send()
        .await
        .expect("get");
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.expect("text");
    assert!(
        text.contains("http_requests_total") && text.contains("route=\"/api/healthz\""),
        "{text}"
    );
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn graceful_shutdown_releases_the_port() {
    let store = Store::sqlite();
    let server = start(&store).await;
    let addr = server.addr;
    let (status, _) = get_json(&server, "/api/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("in time")
        .expect("clean");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening after shutdown"
    );
}

/// Two server processes on one Postgres database behave as one service.
#[tokio::test]
async fn two_servers_share_one_postgres() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    let one = start(&store).await;
    let two = start(&store).await;
    assert_ne!(one.addr, two.addr);
    signup(&one, "shared@example.com").await;
    let (status, login) = post_json(
        &two,
        "/api/v1/auth/login",
        json!({"email": "shared@example.com", "password": "correct horse battery"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token = login["access_token"].as_str().expect("token");
    let (status, _) = post_json(
        &two,
        "/api/v1/workspaces",
        json!({"name": "Made on two"}),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = get_json(&one, "/api/v1/workspaces", Some(token)).await;
    let names: Vec<_> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|w| w["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["WS of shared@example.com", "Made on two"]);
    // Logout on one server is honoured by the other.
    let (status, _) = post_json(&one, "/api/v1/auth/logout", json!({}), Some(token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = get_json(&two, "/api/v1/workspaces", Some(token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    one.shutdown().await.expect("shutdown");
    two.shutdown().await.expect("shutdown");
    store.cleanup().await;
}

/// Runs `sql` as the server's login role, switched to `authenticated` with `user`'s claims, the way
/// every request transaction does, and returns the rows' first columns as text.
async fn as_member(app: &PgPool, user: Uuid, sql: &str) -> Result<Vec<String>, sqlx::Error> {
    let mut tx = app.begin().await?;
    let claims = json!({"sub": user, "role": "authenticated", "aud": "authenticated"}).to_string();
    sqlx::query("select set_config('request.jwt.claims', $1, true)")
        .bind(claims)
        .execute(&mut *tx)
        .await?;
    sqlx::query("set local role authenticated")
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query(sql).fetch_all(&mut *tx).await?;
    let out = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap_or_default())
        .collect();
    tx.commit().await?;
    Ok(out)
}

/// RLS at the SQL level: unscoped statements of a member of workspace A never see or touch B.
#[tokio::test]
async fn postgres_rls_isolates_workspaces() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    let server = start(&store).await;
    let a = signup(&server, "rls-a@example.com").await;
    let b = signup(&server, "rls-b@example.com").await;
    let user_a: Uuid = a["user"]["id"].as_str().expect("id").parse().expect("uuid");
    let user_b: Uuid = b["user"]["id"].as_str().expect("id").parse().expect("uuid");
    let owner = store.owner_pool().await.expect("owner");
    let ws = |u: Uuid| {
        let owner = owner.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>(
                "select workspace_id from workspace_members where user_id = $1",
            )
            .bind(u)
            .fetch_one(&owner)
            .await
            .expect("workspace")
        }
    };
    let (ws_a, ws_b) = (ws(user_a).await, ws(user_b).await);
    // Seed as the owner (bypassing RLS): two instances in A, one in B, one anonymous draft, a token each.
    for (id, w, name) in [
        (Uuid::new_v4(), Some(ws_a), "a1"),
        (Uuid::new_v4(), Some(ws_a), "a2"),
        (Uuid::new_v4(), Some(ws_b), "b1"),
        (Uuid::new_v4(), None, "draft"),
    ] {
        sqlx::query("insert into widget_instances (id, workspace_id, widget_id, name, status) values ($1, $2, 'form', $3, $4)")
            .bind(id)
            .bind(w)
            .bind(name)
            .bind(if w.is_some() { "active" } else { "draft" })
            .execute(&owner)
            .await
            .expect("seed instance");
        sqlx::query(
            "insert into embed_tokens (id, workspace_id, instance_id, token_hash, prefix, last4, scope) \
             values ($1, $2, $3, $4, 'ck_pub_', 'abcd', 'widget')",
        )
        .bind(Uuid::new_v4())
        .bind(w)
        .bind(id)
        .bind(Uuid::new_v4().as_bytes().to_vec())
        .execute(&owner)
        .await
        .expect("seed token");
    }
    let app = PgPoolOptions::new()
        .max_connections(2)
        .connect(store.config().database_app_url.as_deref().expect("app url"))
        .await
        .expect("app pool");

    let mut names = as_member(&app, user_a, "select name from widget_instances")
        .await
        .expect("select");
    names.sort();
    assert_eq!(
        names,
        ["a1", "a2"],
        "A sees only its instances: no B rows, no drafts"
    );
    assert_eq!(
        as_member(&app, user_b, "select name from widget_instances")
            .await
            .expect("select"),
        ["b1"]
    );
    assert_eq!(
        as_member(&app, user_a, "select id::text from workspaces")
            .await
            .expect("select"),
        [ws_a.to_string()]
    );
    assert_eq!(
        as_member(&app, user_a, "select prefix from embed_tokens")
            .await
            .expect("select")
            .len(),
        2,
        "tokens of A only"
    );
    assert_eq!(
        as_member(&app, user_a, "select email from users")
            .await
            .expect("select"),
        ["rls-a@example.com"]
    );
    assert!(
        as_member(&app, user_a, "select email from outbox")
            .await
            .is_err(),
        "no grant on auth tables"
    );
    assert!(as_member(&app, user_a, "select id::text from sessions")
        .await
        .is_err());

    let insert = format!(
        "insert into widget_instances (id, workspace_id, widget_id, name) values ('{}', '{ws_b}', 'form', 'intruder') returning name",
        Uuid::new_v4()
    );
    let err = as_member(&app, user_a, &insert)
        .await
        .expect_err("insert into B refused");
    assert!(err.to_string().contains("row-level security"), "{err}");
    let moved = as_member(
        &app,
        user_a,
        &format!(
            "update widget_instances set workspace_id = '{ws_b}' where name = 'a1' returning name"
        ),
    )
    .await;
    assert!(moved.is_err(), "moving a row into B violates WITH CHECK");
    assert!(as_member(
        &app,
        user_a,
        "update widget_instances set name = 'pwned' returning name"
    )
    .await
    .expect("update")
    .iter()
    .all(|n| n == "pwned"));
    assert!(as_member(
        &app,
        user_a,
        "delete from widget_instances where name = 'b1' returning name"
    )
    .await
    .expect("delete")
    .is_empty());
    let b_names: Vec<String> =
        sqlx::query_scalar("select name from widget_instances where workspace_id = $1")
            .bind(ws_b)
            .fetch_all(&owner)
            .await
            .expect("owner read");
    assert_eq!(b_names, ["b1"], "B untouched");
    let member_insert =
        format!("insert into workspace_members (workspace_id, user_id, role) values ('{ws_b}', '{user_a}', 'owner') returning role");
    assert!(
        as_member(&app, user_a, &member_insert).await.is_err(),
        "cannot join B"
    );

    // The login role itself (NOINHERIT) reads nothing without switching role.
    let direct = sqlx::query("select * from widget_instances")
        .fetch_all(&app)
        .await;
    assert!(
        direct.is_err(),
        "ck_app must not read tenant tables directly"
    );
    // Without claims, authenticated sees nothing (pooled connection after a transaction: '' not NULL).
    let mut tx = app.begin().await.expect("tx");
    sqlx::query("set local role authenticated")
        .execute(&mut *tx)
        .await
        .expect("role");
    let n: i64 = sqlx::query_scalar("select count(*) from widget_instances")
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    assert_eq!(n, 0);
    tx.rollback().await.expect("rollback");

    app.close().await;
    owner.close().await;
    server.shutdown().await.expect("shutdown");
    store.cleanup().await;
}
