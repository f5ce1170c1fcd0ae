//! Account security (issue 11): brute-force limits and backoff on every auth endpoint, the argon2
//! slots, proof of email before password sign-in, sessions an owner can end, concurrent refreshes,
//! no sign-in secrets in logs, the development mail page, and what production refuses.

use std::{
    io::Write,
    net::{IpAddr, Ipv4Addr},
    sync::{Arc, Mutex},
};

use ck_server::{spawn, Config, Limit, Running};
use reqwest::{header, Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{
    assert_error, both_stores, client, follow_mailed_link, get, login, mailed_token, post,
    request_magic_link, send, signup_full, verify_link, write, Res, Store, PASSWORD,
};

fn tight(per_minute: u32, burst: u32) -> Limit {
    Limit { per_minute, burst }
}

/// A client whose requests come from another loopback address (another "IP" for the limits).
fn client_from(ip: Ipv4Addr) -> Client {
    Client::builder()
        .local_address(IpAddr::V4(ip))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn login_as(c: &Client, server: &Running, email: &str, password: &str) -> Res {
    send(
        c.post(format!("{}/api/v1/auth/login", server.url()))
            .json(&json!({"email": email, "password": password})),
    )
    .await
}

fn access(pair: &Value) -> String {
    pair["access_token"].as_str().expect("access").to_owned()
}

fn assert_429(res: &Res, what: &str) {
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry: u64 = res.headers[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry >= 1, "{what}: Retry-After {retry}");
}

both_stores!(every_auth_endpoint_is_limited_per_ip);

/// Burst 2 per IP and endpoint: on every auth endpoint a third quick request is refused with 429,
/// `Retry-After` and the JSON error.
async fn every_auth_endpoint_is_limited_per_ip(store: &Store) {
    let mut config = store.config();
    config.product.limit_auth_ip = tight(1, 2);
    let server = spawn(config).await.expect("server");
    // Uses one request of the signup, verify and login buckets.
    let pair = signup_full(&server, "lim@example.com").await;
    let bearer = access(&pair);
    let refresh = pair["refresh_token"].as_str().expect("refresh").to_owned();
    let endpoints: [(&str, Value, bool); 8] = [
        (
            "/api/v1/auth/login",
            json!({"email": "lim@example.com", "password": "wrong password"}),
            false,
        ),
        (
            "/api/v1/auth/signup",
            json!({"email": "other@example.com", "password": PASSWORD}),
            false,
        ),
        (
            "/api/v1/auth/refresh",
            json!({"refresh_token": refresh}),
            false,
        ),
        (
            "/api/v1/auth/magic-link",
            json!({"email": "lim@example.com"}),
            false,
        ),
        (
            "/api/v1/auth/magic-link/verify",
            json!({"token": "forged"}),
            false,
        ),
        (
            "/api/v1/auth/password",
            json!({"current_password": "wrong password", "new_password": "a new password"}),
            true,
        ),
        (
            "/api/v1/auth/email",
            json!({"email": "new-lim@example.com"}),
            true,
        ),
        ("/api/v1/auth/logout?scope=others", json!({}), true),
    ];
    for (path, body, signed_in) in endpoints {
        let mut refused = None;
        for _ in 0..3 {
            let res = post(&server, path, &body, signed_in.then_some(bearer.as_str())).await;
            if res.status == StatusCode::TOO_MANY_REQUESTS {
                refused = Some(res);
                break;
            }
        }
        let res = refused.unwrap_or_else(|| panic!("{path}: no 429 after 3 requests"));
        assert_429(&res, path);
    }
    server.shutdown().await.expect("shutdown");
}

both_stores!(login_is_limited_per_account_and_ip);

/// Burst 2 per (account, IP): a third sign-in to one account is refused, another account from the
/// same IP and the same account from another IP are not.
async fn login_is_limited_per_account_and_ip(store: &Store) {
    let mut config = store.config();
    config.product.limit_auth_account_ip = tight(1, 2);
    config.product.auth_free_failures = 100;
    let server = spawn(config).await.expect("server");
    let here = client();
    for _ in 0..2 {
        let res = login_as(&here, &server, "acct@example.com", "wrong password").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    }
    assert_429(
        &login_as(&here, &server, "acct@example.com", "wrong password").await,
        "same account, same IP",
    );
    let res = login_as(&here, &server, "someone-else@example.com", "wrong password").await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "other account: {}",
        res.text
    );
    let elsewhere = client_from(Ipv4Addr::new(127, 0, 0, 2));
    let res = login_as(&elsewhere, &server, "acct@example.com", "wrong password").await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "other IP: {}",
        res.text
    );
    server.shutdown().await.expect("shutdown");
}

both_stores!(failed_logins_back_off_without_locking_the_owner_out);

/// Two free failures, then exponential backoff (429 even with the right password) for that
/// (account, IP); the owner still signs in from another IP, and by magic link from the same one.
async fn failed_logins_back_off_without_locking_the_owner_out(store: &Store) {
    let mut config = store.config();
    config.product.auth_free_failures = 2;
    let server = spawn(config).await.expect("server");
    signup_full(&server, "own@example.com").await;
    let attacker = client();
    for _ in 0..2 {
        let res = login_as(&attacker, &server, "own@example.com", "guess guess").await;
        assert_error(&res, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    assert_429(
        &login_as(&attacker, &server, "own@example.com", PASSWORD).await,
        "backoff after two failures",
    );
    let owner_elsewhere = client_from(Ipv4Addr::new(127, 0, 0, 3));
    let res = login_as(&owner_elsewhere, &server, "own@example.com", PASSWORD).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "no account-wide lock: {}",
        res.text
    );

    // Magic-link sign-in never backs off: request and follow a link from the throttled IP.
    request_magic_link(&server, "own@example.com").await;
    follow_mailed_link(&server, "own@example.com").await;
    server.shutdown().await.expect("shutdown");
}

/// Two processes on one Postgres share the per-IP burst and the failure counts.
#[tokio::test]
async fn postgres_auth_limits_and_backoff_are_shared() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    let mut config = store.config();
    config.product.limit_auth_ip = tight(1, 3);
    let a = spawn(config.clone()).await.expect("a");
    let b = spawn(config).await.expect("b");
    let c = client();
    for server in [&a, &b, &a] {
        let res = post(
            server,
            "/api/v1/auth/magic-link/verify",
            &json!({"token": "forged"}),
            None,
        )
        .await;
        assert_error(&res, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    assert_429(
        &post(
            &b,
            "/api/v1/auth/magic-link/verify",
            &json!({"token": "forged"}),
            None,
        )
        .await,
        "fourth request, on the other process",
    );

    let mut config = store.config();
    config.product.auth_free_failures = 2;
    let d = spawn(config.clone()).await.expect("d");
    let e = spawn(config).await.expect("e");
    assert_eq!(
        login_as(&c, &d, "pg@example.com", "guess guess")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_as(&c, &e, "pg@example.com", "guess guess")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_429(
        &login_as(&c, &d, "pg@example.com", "guess guess").await,
        "shared backoff",
    );
    for s in [a, b, d, e] {
        s.shutdown().await.expect("shutdown");
    }
    store.cleanup().await;
}

/// One argon2 slot and a 1 ms wait: of concurrent sign-ins some get 503 `busy` with `Retry-After`
/// instead of piling onto the blocking pool.
#[tokio::test]
async fn password_hashing_is_bounded() {
    let store = Store::sqlite();
    let mut config = store.config();
    config.product.argon2_max_concurrent = 1;
    config.product.argon2_wait_ms = 1;
    config.product.auth_free_failures = 100;
    let server = spawn(config).await.expect("server");
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let request = client()
                .post(format!("{}/api/v1/auth/login", server.url()))
                .json(&json!({"email": format!("h{i}@example.com"), "password": "whatever1"}));
            tokio::spawn(send(request))
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("request task"));
    }
    let busy: Vec<&Res> = results
        .iter()
        .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        !busy.is_empty(),
        "statuses: {:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for res in busy {
        assert_error(res, StatusCode::SERVICE_UNAVAILABLE, "busy");
        assert!(res.headers.contains_key(header::RETRY_AFTER));
    }
    assert!(results.iter().all(|r| matches!(
        r.status,
        StatusCode::UNAUTHORIZED | StatusCode::SERVICE_UNAVAILABLE
    )));
    server.shutdown().await.expect("shutdown");
    store.cleanup().await;
}

both_stores!(signup_needs_proof_of_email);

/// Sign-up answers 201 without a session and mails a link; the right password is refused with
/// `email_not_confirmed` (a wrong one with the usual 401) until the link is opened.
async fn signup_needs_proof_of_email(store: &Store) {
    let server = store.start().await;
    let res = post(
        &server,
        "/api/v1/auth/signup",
        &json!({"email": "new@example.com", "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let body = res.json();
    assert!(
        body.get("access_token").is_none() && body.get("refresh_token").is_none(),
        "{body}"
    );
    assert_eq!(body["user"]["email"], "new@example.com");
    assert_eq!(body["confirmation_sent"], true);

    assert_error(
        &post(
            &server,
            "/api/v1/auth/login",
            &json!({"email": "new@example.com", "password": PASSWORD}),
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
        "email_not_confirmed",
    );
    assert_error(
        &post(
            &server,
            "/api/v1/auth/login",
            &json!({"email": "new@example.com", "password": "wrong password"}),
            None,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    follow_mailed_link(&server, "new@example.com").await;
    let res = post(
        &server,
        "/api/v1/auth/login",
        &json!({"email": "new@example.com", "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "confirmed: {}", res.text);
    server.shutdown().await.expect("shutdown");
}

both_stores!(owner_takes_over_a_squatted_signup);

/// A squatter signs up with the owner's address. The owner's first sign-in link drops the
/// squatter's password and revokes every session on the account.
async fn owner_takes_over_a_squatted_signup(store: &Store) {
    let server = store.start().await;
    let res = post(
        &server,
        "/api/v1/auth/signup",
        &json!({"email": "victim@example.com", "password": "squatter password"}),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    // A session left from before confirmation was required (or any other way in).
    store
        .execute(
            "insert into sessions (id, user_id, created_at, expires_at) select randomblob(16), id, 0, 9999999999999 from users where email = 'victim@example.com'",
            "insert into sessions (id, user_id, expires_at) select gen_random_uuid(), id, now() + interval '1 day' from users where email = 'victim@example.com'",
        )
        .await;
    request_magic_link(&server, "victim@example.com").await;
    follow_mailed_link(&server, "victim@example.com").await;
    assert_error(
        &post(
            &server,
            "/api/v1/auth/login",
            &json!({"email": "victim@example.com", "password": "squatter password"}),
            None,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_eq!(
        store
            .scalar("select count(*) from sessions s join users u on u.id = s.user_id where u.email = 'victim@example.com' and s.revoked_at is null")
            .await,
        1,
        "only the owner's new session is live"
    );
    assert_eq!(
        store.scalar("select count(*) from users where email = 'victim@example.com' and password_hash is null").await,
        1
    );
    server.shutdown().await.expect("shutdown");
}

async fn status_of(server: &Running, bearer: &str) -> StatusCode {
    get(server, "/api/v1/auth/user", Some(bearer)).await.status
}

both_stores!(password_change_ends_other_sessions);

async fn password_change_ends_other_sessions(store: &Store) {
    let server = store.start().await;
    let me = signup_full(&server, "pw@example.com").await;
    let other = login(&server, "pw@example.com").await;
    let (mine, theirs) = (access(&me), access(&other));
    let change = |current: &str| json!({"current_password": current, "new_password": "a brand new password"});
    assert_error(
        &post(
            &server,
            "/api/v1/auth/password",
            &change("wrong password"),
            Some(&mine),
        )
        .await,
        StatusCode::FORBIDDEN,
        "wrong_password",
    );
    assert_error(
        &post(
            &server,
            "/api/v1/auth/password",
            &json!({"new_password": "a brand new password"}),
            Some(&mine),
        )
        .await,
        StatusCode::FORBIDDEN,
        "wrong_password",
    );
    let res = post(
        &server,
        "/api/v1/auth/password",
        &change(PASSWORD),
        Some(&mine),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert_eq!(
        status_of(&server, &mine).await,
        StatusCode::OK,
        "the caller's session stays"
    );
    assert_eq!(status_of(&server, &theirs).await, StatusCode::UNAUTHORIZED);
    let res = post(
        &server,
        "/api/v1/auth/refresh",
        &json!({"refresh_token": other["refresh_token"]}),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login_as(&client(), &server, "pw@example.com", PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_as(&client(), &server, "pw@example.com", "a brand new password")
            .await
            .status,
        StatusCode::OK
    );
    server.shutdown().await.expect("shutdown");
}

both_stores!(email_change_is_confirmed_at_the_new_address);

async fn email_change_is_confirmed_at_the_new_address(store: &Store) {
    let server = store.start().await;
    let me = signup_full(&server, "old@example.com").await;
    let other = login(&server, "old@example.com").await;
    signup_full(&server, "taken@example.com").await;
    let mine = access(&me);
    assert_error(
        &post(
            &server,
            "/api/v1/auth/email",
            &json!({"email": "taken@example.com"}),
            Some(&mine),
        )
        .await,
        StatusCode::CONFLICT,
        "email_taken",
    );
    let res = post(
        &server,
        "/api/v1/auth/email",
        &json!({"email": "New@Example.com"}),
        Some(&mine),
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);
    // Nothing changes until the new address proves itself.
    assert_eq!(
        get(&server, "/api/v1/auth/user", Some(&mine)).await.json()["email"],
        "old@example.com"
    );
    assert_eq!(
        login_as(&client(), &server, "old@example.com", PASSWORD)
            .await
            .status,
        StatusCode::OK
    );

    let fresh = follow_mailed_link(&server, "new@example.com").await;
    assert_eq!(fresh["user"]["email"], "new@example.com");
    assert_eq!(status_of(&server, &access(&fresh)).await, StatusCode::OK);
    for old in [&me, &other] {
        assert_eq!(
            status_of(&server, &access(old)).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_as(&client(), &server, "old@example.com", PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_as(&client(), &server, "new@example.com", PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    server.shutdown().await.expect("shutdown");
}

both_stores!(sign_out_everywhere);

async fn sign_out_everywhere(store: &Store) {
    let server = store.start().await;
    let a = access(&signup_full(&server, "out@example.com").await);
    let b = access(&login(&server, "out@example.com").await);
    let c = access(&login(&server, "out@example.com").await);
    let res = post(
        &server,
        "/api/v1/auth/logout?scope=others",
        &json!({}),
        Some(&a),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert_eq!(status_of(&server, &a).await, StatusCode::OK);
    assert_eq!(status_of(&server, &b).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&server, &c).await, StatusCode::UNAUTHORIZED);
    let d = access(&login(&server, "out@example.com").await);
    let res = post(
        &server,
        "/api/v1/auth/logout?scope=global",
        &json!({}),
        Some(&d),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert_eq!(status_of(&server, &a).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&server, &d).await, StatusCode::UNAUTHORIZED);
    let openapi = get(&server, "/api/openapi.json", None).await.json();
    for path in [
        "/api/v1/auth/password",
        "/api/v1/auth/email",
        "/api/v1/auth/logout",
    ] {
        assert!(
            openapi["paths"][path]["post"].is_object(),
            "{path} in OpenAPI"
        );
    }
    assert!(
        openapi["paths"]["/api/v1/auth/logout"]
            .to_string()
            .contains("scope"),
        "scope documented"
    );
    server.shutdown().await.expect("shutdown");
}

both_stores!(two_tabs_refreshing_at_once_stay_signed_in);

/// Two tabs refresh the same session at once: both get the same new refresh token, the session
/// lives on; a replay after that new token was used is still theft.
async fn two_tabs_refreshing_at_once_stay_signed_in(store: &Store) {
    let server = store.start().await;
    let pair = signup_full(&server, "tabs@example.com").await;
    let body = json!({"refresh_token": pair["refresh_token"]});
    let (one, two) = tokio::join!(
        post(&server, "/api/v1/auth/refresh", &body, None),
        post(&server, "/api/v1/auth/refresh", &body, None)
    );
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(two.status, StatusCode::OK, "{}", two.text);
    assert_eq!(one.json()["refresh_token"], two.json()["refresh_token"]);
    assert_eq!(
        status_of(&server, &access(&two.json())).await,
        StatusCode::OK
    );
    let next = post(
        &server,
        "/api/v1/auth/refresh",
        &json!({"refresh_token": one.json()["refresh_token"]}),
        None,
    )
    .await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.text);
    // The first token's child is used now: presenting the first token again is reuse.
    assert_eq!(
        post(&server, "/api/v1/auth/refresh", &body, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_of(&server, &access(&next.json())).await,
        StatusCode::UNAUTHORIZED
    );
    server.shutdown().await.expect("shutdown");
}

/// Collects formatted log lines of this thread (the test's current-thread runtime runs the server).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

both_stores!(sign_in_secrets_stay_out_of_logs);

/// At every level, no log line holds a link's token or a mail body; the outbox purges expired mail.
async fn sign_in_secrets_stay_out_of_logs(store: &Store) {
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = store.start().await;
    let res = post(
        &server,
        "/api/v1/auth/signup",
        &json!({"email": "log@example.com", "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let confirm = mailed_token(&server, "log@example.com").await;
    let landing = get(&server, &format!("/auth/magic?token={confirm}"), None).await;
    assert_eq!(landing.status, StatusCode::OK);
    verify_link(&server, &confirm).await;
    request_magic_link(&server, "log@example.com").await;
    let signin = mailed_token(&server, "log@example.com").await;
    assert_ne!(signin, confirm);

    // An outbox row past its expiry is purged on the next visit.
    store
        .execute(
            "insert into outbox (id, to_email, subject, body, created_at, expires_at) values (randomblob(16), 'old@example.com', 's', 'b', 0, 1)",
            "insert into outbox (id, to_email, subject, body, expires_at) values (gen_random_uuid(), 'old@example.com', 's', 'b', now() - interval '1 second')",
        )
        .await;
    let page = get(&server, "/dev/mail", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("old@example.com"));
    assert_eq!(
        store
            .scalar("select count(*) from outbox where to_email = 'old@example.com'")
            .await,
        0
    );
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii");
    assert!(
        csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        !page.text.contains("style=")
            && !page.text.contains("<script")
            && page.text.contains("/assets/dashboard.css")
    );
    server.shutdown().await.expect("shutdown");

    let text = String::from_utf8(logs.0.lock().expect("logs").clone()).expect("utf8");
    assert!(
        text.contains("development outbox"),
        "the mail is logged (without secrets): {text}"
    );
    for secret in [&confirm, &signin] {
        assert!(!text.contains(secret.as_str()), "a token reached the logs");
    }
    assert!(
        !text.contains("/auth/magic?token="),
        "a link reached the logs"
    );
    assert!(
        !text.contains("purging expired auth rows failed"),
        "the sweeper runs on this store: {text}"
    );
}

fn production(store: &Store) -> Config {
    crate::common::production_config(store)
}

/// Makes one production setting unsafe.
type Unsafe = fn(&mut Config);

/// Production refuses to start without SMTP or with a non-https (or no) `PUBLIC_URL`.
#[tokio::test]
async fn production_refuses_unsafe_settings() {
    let store = Store::sqlite();
    let cases: [(&str, Unsafe); 3] = [
        ("SMTP_URL", |c| c.smtp_url = None),
        ("PUBLIC_URL", |c| {
            c.public_url = Some("http://app.example.com".into())
        }),
        ("PUBLIC_URL", |c| c.public_url = None),
    ];
    for (named, unsafe_setting) in cases {
        let mut config = production(&store);
        unsafe_setting(&mut config);
        let err = spawn(config).await.expect_err("refused");
        assert!(err.to_string().contains(named), "{named}: {err:#}");
    }
}

/// In production the development pages are not served, and cookies are `Secure`.
#[tokio::test]
async fn production_serves_no_development_pages() {
    let store = Store::sqlite();
    write(
        &store.dir().join("pages/demo.html"),
        b"<!doctype html><p>demo</p>",
    );
    let dev = store.start().await;
    for path in ["/dev/mail", "/dev/", "/dev/demo.html", "/"] {
        assert_eq!(
            get(&dev, path, None).await.status,
            StatusCode::OK,
            "development serves {path}"
        );
    }
    dev.shutdown().await.expect("shutdown");

    let server = spawn(production(&store)).await.expect("production starts");
    for path in [
        "/dev/mail",
        "/dev/mail/00000000-0000-0000-0000-000000000000",
        "/dev/",
        "/dev/demo.html",
        "/demo.html",
    ] {
        assert_eq!(
            get(&server, path, None).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_error(
        &get(&server, "/api/nope", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let login = get(&server, "/login", None).await;
    assert_eq!(login.status, StatusCode::OK);
    let cookie = login.headers[header::SET_COOKIE].to_str().expect("ascii");
    assert!(cookie.contains("; Secure"), "{cookie}");
    server.shutdown().await.expect("shutdown");
}
