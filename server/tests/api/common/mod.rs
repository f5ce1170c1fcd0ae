//! The harness: a fresh database per test (SQLite in a temp dir, or a Postgres database created
//! here and dropped afterwards), the real server on port 0, real HTTP, and the helpers every domain
//! module uses (`signup`, `draft`, `claim`, `assert_error`, …).
//!
//! Postgres tests need `postgres://postgres@127.0.0.1:5432` (override with `CK_TEST_PG`). When it is
//! unreachable they are skipped with a note, except under `CI`, where that is a failure.

use std::path::Path;

use ck_server::{spawn, Config, Limit, Running};
use reqwest::{header, redirect::Policy, Client, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use sqlx::{postgres::PgPoolOptions, Connection, Executor, PgConnection, PgPool};
use tempfile::TempDir;
use uuid::Uuid;

/// The JWT secret every test server signs with.
pub(crate) const SECRET: &str = "test-secret-test-secret-test-secret-000";
/// The Stripe webhook secret every test server accepts (beside an unused older one).
pub(crate) const STRIPE_SECRET: &str = "whsec_test_product";
/// The password `signup` uses.
pub(crate) const PASSWORD: &str = "correct horse battery";

pub(crate) fn pg_base() -> String {
    std::env::var("CK_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database for one test: SQLite in a temp dir, or a fresh Postgres database dropped on `cleanup`.
pub(crate) enum Store {
    Sqlite(TempDir),
    Postgres { dir: TempDir, name: String },
}

impl Store {
    pub(crate) fn sqlite() -> Self {
        Store::Sqlite(TempDir::new().expect("temp dir"))
    }

    /// A fresh Postgres database, or `None` (skip) when Postgres is unreachable outside CI.
    pub(crate) async fn postgres() -> Option<Self> {
        let mut conn = match PgConnection::connect(&format!("{}/postgres", pg_base())).await {
            Ok(c) => c,
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("Postgres unreachable under CI: {e}")
            }
            Err(e) => {
                eprintln!("skipping Postgres test: {e}");
                return None;
            }
        };
        let name = format!("ck_api_{}", Uuid::new_v4().simple());
        conn.execute(format!("create database {name}").as_str())
            .await
            .expect("create database");
        conn.close().await.ok();
        Some(Store::Postgres {
            dir: TempDir::new().expect("temp dir"),
            name,
        })
    }

    pub(crate) fn dir(&self) -> &Path {
        match self {
            Store::Sqlite(dir) | Store::Postgres { dir, .. } => dir.path(),
        }
    }

    /// The test server's configuration: port 0, this store, pages and dist in the temp dir, short
    /// token cache, no timed usage flush (shutdown flushes), every client error logged.
    pub(crate) fn config(&self) -> Config {
        let mut config = Config::for_tests(self.dir());
        config.jwt_secret = Some(SECRET.into());
        config.examples_dir = self.dir().join("pages");
        config.dist_dir = self.dir().join("dist");
        config.stripe_webhook_secrets = vec![format!("whsec_old_unused,{STRIPE_SECRET}")];
        config.product.token_cache_ttl_ms = 300;
        config.product.plan_cache_ttl_ms = 300;
        config.product.usage_flush_ms = 60_000;
        config.product.error_sample_rate = 1.0;
        config.product.limit_submissions_ip = Limit {
            per_minute: 600,
            burst: 100,
        };
        // Every test signs up from 127.0.0.1; the auth limits get their own tests.
        let roomy = Limit {
            per_minute: 6000,
            burst: 1000,
        };
        config.product.limit_auth_ip = roomy;
        config.product.limit_auth_account_ip = roomy;
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

    /// A server with [`Store::config`].
    pub(crate) async fn start(&self) -> Running {
        spawn(self.config()).await.expect("server starts")
    }

    /// An owner connection for assertions straight on the tables (Postgres only).
    pub(crate) async fn owner_pool(&self) -> Option<PgPool> {
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

    fn sqlite_url(dir: &TempDir) -> String {
        format!("sqlite://{}", dir.path().join("test.sqlite").display())
    }

    /// One number straight from the database (as the owner, bypassing RLS).
    pub(crate) async fn scalar(&self, sql: &str) -> i64 {
        match self {
            Store::Sqlite(dir) => {
                let mut conn = sqlx::SqliteConnection::connect(&Self::sqlite_url(dir))
                    .await
                    .expect("sqlite");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut conn)
                    .await
                    .expect("scalar")
            }
            Store::Postgres { name, .. } => {
                let mut conn = PgConnection::connect(&format!("{}/{name}", pg_base()))
                    .await
                    .expect("pg");
                // sum() of bigint is numeric on Postgres.
                sqlx::query_scalar(&format!("select ({sql})::bigint"))
                    .fetch_one(&mut conn)
                    .await
                    .expect("scalar")
            }
        }
    }

    /// Runs one statement as the owner (bypassing RLS): `sqlite` or `postgres` by store.
    pub(crate) async fn execute(&self, sqlite: &str, postgres: &str) {
        match self {
            Store::Sqlite(dir) => {
                let mut conn = sqlx::SqliteConnection::connect(&Self::sqlite_url(dir))
                    .await
                    .expect("sqlite");
                conn.execute(sqlite).await.expect("execute");
            }
            Store::Postgres { name, .. } => {
                let mut conn = PgConnection::connect(&format!("{}/{name}", pg_base()))
                    .await
                    .expect("pg");
                conn.execute(postgres).await.expect("execute");
            }
        }
    }

    /// Latest mail body sent to `to`, from the development outbox.
    pub(crate) async fn outbox(&self, to: &str) -> String {
        const SQL: &str =
            "select body from outbox where to_email = $1 order by created_at desc limit 1";
        match self {
            Store::Sqlite(dir) => {
                let mut conn = sqlx::SqliteConnection::connect(&Self::sqlite_url(dir))
                    .await
                    .expect("sqlite");
                sqlx::query_scalar(SQL)
                    .bind(to)
                    .fetch_one(&mut conn)
                    .await
                    .expect("outbox row")
            }
            Store::Postgres { .. } => {
                let pool = self.owner_pool().await.expect("pool");
                sqlx::query_scalar(SQL)
                    .bind(to)
                    .fetch_one(&pool)
                    .await
                    .expect("outbox row")
            }
        }
    }

    /// Drops the Postgres database (SQLite's temp dir goes with the value).
    pub(crate) async fn cleanup(self) {
        if let Store::Postgres { name, .. } = self {
            drop_database(&name).await;
        }
    }
}

/// Waits (up to 15 s) until `usage_counters_daily` holds exactly `expected` views; more fails at once.
pub(crate) async fn wait_for_views(store: &Store, expected: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let counted = store
            .scalar("select coalesce(sum(views), 0) from usage_counters_daily")
            .await;
        if counted == expected {
            return;
        }
        assert!(counted < expected, "counted {counted} > sent {expected}");
        assert!(
            std::time::Instant::now() < deadline,
            "counted {counted} of {expected}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Drops a Postgres test database, whoever is still connected to it.
pub(crate) async fn drop_database(name: &str) {
    let mut conn = PgConnection::connect(&format!("{}/postgres", pg_base()))
        .await
        .expect("admin");
    conn.execute(format!("drop database if exists {name} with (force)").as_str())
        .await
        .expect("drop database");
}

/// Runs the async fn `$name(&Store)` against SQLite and against a fresh Postgres database, as the
/// tests `$name::sqlite` and `$name::postgres`.
macro_rules! both_stores {
    ($name:ident) => {
        mod $name {
            use $crate::common::Store;

            #[tokio::test]
            async fn sqlite() {
                let store = Store::sqlite();
                super::$name(&store).await;
                store.cleanup().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(store) = Store::postgres().await else {
                    return;
                };
                super::$name(&store).await;
                store.cleanup().await;
            }
        }
    };
}
pub(crate) use both_stores;

/// A client that does not follow redirects (the dashboard's 303s are asserted).
pub(crate) fn client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// A response, read whole.
pub(crate) struct Res {
    pub(crate) status: StatusCode,
    pub(crate) headers: header::HeaderMap,
    pub(crate) text: String,
}

impl Res {
    /// The body as JSON (`Null` when it is not JSON).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

pub(crate) async fn send(req: RequestBuilder) -> Res {
    let res = req.send().await.expect("request");
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    Res {
        status,
        headers,
        text,
    }
}

pub(crate) async fn post(server: &Running, path: &str, body: &Value, bearer: Option<&str>) -> Res {
    let mut req = client().post(format!("{}{path}", server.url())).json(body);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    send(req).await
}

pub(crate) async fn get(server: &Running, path: &str, bearer: Option<&str>) -> Res {
    let mut req = client().get(format!("{}{path}", server.url()));
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    send(req).await
}

/// Asserts the status and the JSON error body `{"error":{"code","message"}}` with a message.
pub(crate) fn assert_error(res: &Res, status: StatusCode, code: &str) {
    assert_eq!(res.status, status, "{}", res.text);
    let body = res.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// The token of the newest link mailed to `to`, read as a developer would: on the local mail page
/// `/dev/mail` (development, no SMTP).
pub(crate) async fn mailed_token(server: &Running, to: &str) -> String {
    let list = get(server, &format!("/dev/mail?to={to}"), None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let id: String = list
        .text
        .split("href=\"/dev/mail/")
        .nth(1)
        .unwrap_or_else(|| panic!("no mail to {to}: {}", list.text))
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let mail = get(server, &format!("/dev/mail/{id}"), None).await;
    assert_eq!(mail.status, StatusCode::OK, "{}", mail.text);
    mail.text
        .split("/auth/magic?token=")
        .nth(1)
        .expect("link in mail")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Signs up with [`PASSWORD`] and a workspace named `WS of {email}`, confirms the address with the
/// mailed link, and signs in with the password; returns the sign-in's token response.
pub(crate) async fn signup_full(server: &Running, email: &str) -> Value {
    let res = post(
        server,
        "/api/v1/auth/signup",
        &json!({"email": email, "password": PASSWORD, "workspace_name": format!("WS of {email}")}),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(
        res.json().get("access_token").is_none(),
        "no session before confirmation"
    );
    let address = email.trim().to_lowercase();
    follow_mailed_link(server, &address).await;
    login(server, &address).await
}

/// Asks for a sign-in link for `email` and asserts it was accepted.
pub(crate) async fn request_magic_link(server: &Running, email: &str) {
    let res = post(
        server,
        "/api/v1/auth/magic-link",
        &json!({ "email": email }),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);
}

/// Verifies a mailed link's token, asserts it signed in, and returns the token response.
pub(crate) async fn verify_link(server: &Running, token: &str) -> Value {
    let res = post(
        server,
        "/api/v1/auth/magic-link/verify",
        &json!({ "token": token }),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

/// Follows the newest link mailed to `to` ([`mailed_token`], then [`verify_link`]).
pub(crate) async fn follow_mailed_link(server: &Running, to: &str) -> Value {
    verify_link(server, &mailed_token(server, to).await).await
}

/// Signs in with [`PASSWORD`], asserts it worked, and returns the token response.
pub(crate) async fn login(server: &Running, email: &str) -> Value {
    let res = post(
        server,
        "/api/v1/auth/login",
        &json!({"email": email, "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

/// Asserts that one more draft is refused by the per-IP draft limit (429, `rate_limited`) and
/// returns the answer.
pub(crate) async fn assert_draft_limited(server: &Running) -> Res {
    let res = post_draft(server).await;
    assert_error(&res, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    res
}

/// The user id in a token response (`signup_full`, `login`).
pub(crate) fn user_id(pair: &Value) -> Uuid {
    pair["user"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid")
}

/// The workspace `user` is a member of, read as the owner (bypassing RLS).
pub(crate) async fn workspace_of(owner: &PgPool, user: Uuid) -> Uuid {
    sqlx::query_scalar("select workspace_id from workspace_members where user_id = $1")
        .bind(user)
        .fetch_one(owner)
        .await
        .expect("workspace")
}

/// Signs up; returns (access token, workspace id).
pub(crate) async fn signup(server: &Running, email: &str) -> (String, String) {
    let body = signup_full(server, email).await;
    let token = body["access_token"].as_str().expect("token").to_owned();
    let ws = get(server, "/api/v1/workspaces", Some(&token)).await.json()[0]["id"]
        .as_str()
        .expect("ws")
        .to_owned();
    (token, ws)
}

/// A form config with a required text field (at most 20 characters), an email and a checkbox.
pub(crate) fn form_config() -> Value {
    json!({
        "title": "Contact",
        "min_fill_ms": 1000,
        "fields": [
            {"type": "text", "name": "name", "label": "Name", "required": true, "max_length": 20},
            {"type": "email", "name": "email", "label": "Email", "required": true},
            {"type": "checkbox", "name": "agree", "label": "I agree"}
        ]
    })
}

/// `POST /api/v1/drafts` with [`form_config`], anonymously.
pub(crate) async fn post_draft(server: &Running) -> Res {
    post(
        server,
        "/api/v1/drafts",
        &json!({"type": "form", "config": form_config()}),
        None,
    )
    .await
}

/// A fresh draft: (instance id, embed token, draft token).
pub(crate) async fn draft(server: &Running) -> (String, String, String) {
    let res = post_draft(server).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let b = res.json();
    let s = |k: &str| b[k].as_str().expect(k).to_owned();
    assert!(
        s("snippet").contains(&s("embed_token"))
            && s("snippet").contains("/embed/latest/loader.js")
    );
    (s("instance_id"), s("embed_token"), s("draft_token"))
}

/// `POST /api/v1/claims` with a draft token (into the caller's first owned workspace).
pub(crate) async fn try_claim(server: &Running, draft_token: &str, bearer: Option<&str>) -> Res {
    post(
        server,
        "/api/v1/claims",
        &json!({ "draft_token": draft_token }),
        bearer,
    )
    .await
}

/// Claims a draft into the caller's first workspace and asserts it worked.
pub(crate) async fn claim(server: &Running, draft_token: &str, bearer: &str) {
    let res = try_claim(server, draft_token, Some(bearer)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

/// A signed-in owner with a claimed draft: (instance id, draft's embed token, access token, workspace).
pub(crate) async fn owned_widget(
    server: &Running,
    email: &str,
) -> (String, String, String, String) {
    let (id, embed, draft_token) = draft(server).await;
    let (user, ws) = signup(server, email).await;
    claim(server, &draft_token, &user).await;
    (id, embed, user, ws)
}

pub(crate) fn manifest_path(id: &str, token: &str) -> String {
    format!("/api/v1/widgets/{id}/config?token={token}")
}

/// Writes a file, creating its folders.
pub(crate) fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

/// A production configuration that starts on `store`: a strong `JWT_SECRET`, SMTP, an https
/// `PUBLIC_URL` and an embed release in the store's `dist/`.
pub(crate) fn production_config(store: &Store) -> Config {
    let mut config = store.config();
    config.env = ck_server::Env::Production;
    config.jwt_secret = Some("q3J9vX2mL8pT5rW1zK7cN4bY6hF0dS2gA9eU3iO5".into());
    config.smtp_url = Some("smtp://127.0.0.1:2525".into());
    config.public_url = Some("https://app.example.com".into());
    write(
        &config.dist_dir.join("embed/v1.2.3/loader.js"),
        b"/* loader */",
    );
    config
}
