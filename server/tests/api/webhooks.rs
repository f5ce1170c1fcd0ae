//! Webhooks and notification mail: a real receiver on loopback verifies the signature with the
//! documented recipe; retries after 500s; dead letter after the limit; redelivery; no duplicate
//! delivery with two server processes on one database; internal and plain-http URLs refused;
//! notification mail and a day's digest on the local mail page; one-click unsubscribe; RLS.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use axum::{body::Bytes, extract::State, http::HeaderMap, Router};
use ck_server::{spawn, Config, Running};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::common::{
    assert_error, both_stores, client, get, owned_widget, post, production_config, send, signup,
    Store,
};

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Hit {
    headers: HeaderMap,
    body: Bytes,
    answered: u16,
}

#[derive(Default)]
struct Receiving {
    hits: Mutex<Vec<Hit>>,
    /// Answer 500 to this many requests first.
    fail_first: AtomicUsize,
}

/// A webhook receiver on 127.0.0.1 that records every request.
struct Receiver {
    addr: SocketAddr,
    state: Arc<Receiving>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Self {
        let state = Arc::new(Receiving {
            fail_first: AtomicUsize::new(fail_first),
            ..Receiving::default()
        });
        let app = Router::new().fallback(record).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, state }
    }

    fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().expect("lock").clone()
    }

    /// Waits until `done(hits)` holds (15 s at most).
    async fn until(&self, what: &str, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let start = Instant::now();
        loop {
            let hits = self.hits();
            if done(&hits) {
                return hits;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "timed out waiting for {what}: {} hits",
                hits.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn record(
    State(state): State<Arc<Receiving>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let fail = state
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let status = if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    state.hits.lock().expect("lock").push(Hit {
        headers,
        body,
        answered: status.as_u16(),
    });
    (status, if fail { "receiver is down" } else { "thanks" })
}

/// The verification recipe of docs/server-product.md, as a receiver would write it.
fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v.to_owned()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now - t).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    // verify_slice compares in constant time; any v1 may match (secret rotation).
    sigs.iter()
        .any(|s| hex::decode(s).is_ok_and(|sig| mac.clone().verify_slice(&sig).is_ok()))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A test server that may call loopback receivers, retries fast and gives up after 3 attempts.
fn fast_config(store: &Store) -> Config {
    let mut config = store.config();
    config.outbox.webhook_allow_private = true;
    config.outbox.poll_ms = 50;
    config.outbox.retry_base_ms = 50;
    config.outbox.retry_cap_ms = 200;
    config.outbox.max_attempts = 3;
    config
}

/// A form submission through the draft's embed token.
async fn submit(server: &Running, id: &str, embed: &str, name: &str) -> String {
    let res = post(
        server,
        "/api/v1/submissions",
        &json!({"token": embed, "id": id, "values": {"name": name, "email": "a@b.co", "agree": true}, "hp": "", "elapsed_ms": 4200}),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn create_endpoint(
    server: &Running,
    user: &str,
    ws: &str,
    body: Value,
) -> crate::common::Res {
    post(
        server,
        &format!("/api/v1/workspaces/{ws}/webhooks"),
        &body,
        Some(user),
    )
    .await
}

/// Waits until a delivery reaches `state`; returns its detail.
async fn delivery_in(server: &Running, user: &str, ws: &str, state: &str) -> Value {
    let start = Instant::now();
    loop {
        let list = get(
            server,
            &format!("/api/v1/workspaces/{ws}/deliveries"),
            Some(user),
        )
        .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        if let Some(d) = list
            .json()
            .as_array()
            .and_then(|a| a.iter().find(|d| d["state"] == state).cloned())
        {
            let id = d["id"].as_str().expect("id");
            return get(
                server,
                &format!("/api/v1/workspaces/{ws}/deliveries/{id}"),
                Some(user),
            )
            .await
            .json();
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no delivery became {state}: {}",
            list.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

both_stores!(signed_retried_and_redelivered);

async fn signed_retried_and_redelivered(store: &Store) {
    let server = spawn(fast_config(store)).await.expect("server");
    let receiver = Receiver::start(2).await;
    let (id, embed, user, ws) = owned_widget(&server, "hooks@example.com").await;
    let res = create_endpoint(
        &server,
        &user,
        &ws,
        json!({"url": receiver.url(), "description": "CRM"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let secret = res.json()["secret"].as_str().expect("secret").to_owned();
    let endpoint = res.json()["endpoint"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(
        secret.starts_with("whsec_") && secret.len() >= 40,
        "{secret}"
    );
    // Shown once: never in a listing.
    let listed = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/webhooks"),
        Some(&user),
    )
    .await;
    assert!(!listed.text.contains(&secret), "{}", listed.text);
    assert_eq!(
        listed.json()[0]["secret_hint"],
        format!("whsec_…{}", &secret[secret.len() - 4..])
    );

    let started = Instant::now();
    let submission = submit(&server, &id, &embed, "Ann").await;
    // The submit path never waits for receivers.
    assert!(started.elapsed() < Duration::from_secs(2));
    let hits = receiver
        .until("a 200 after two 500s", |h| {
            h.iter().any(|h| h.answered == 200)
        })
        .await;
    assert_eq!(
        hits.iter().map(|h| h.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    let delivery = hits[0].headers["clickeen-delivery"]
        .to_str()
        .expect("id")
        .to_owned();
    for hit in &hits {
        assert_eq!(
            hit.headers["clickeen-delivery"],
            delivery.as_str(),
            "a stable delivery id"
        );
        assert_eq!(hit.headers["content-type"], "application/json");
        let sig = hit.headers["clickeen-signature"].to_str().expect("sig");
        assert!(
            verify(&secret, sig, &hit.body, unix_now()),
            "signature verifies: {sig}"
        );
        assert!(!verify("whsec_wrong", sig, &hit.body, unix_now()));
        assert!(!verify(&secret, sig, b"{\"tampered\":1}", unix_now()));
    }
    let body: Value = serde_json::from_slice(&hits[2].body).expect("json");
    assert_eq!(body["id"], delivery.as_str());
    assert_eq!(body["type"], "submission.created");
    assert_eq!(body["data"]["submission"]["id"], submission.as_str());
    assert_eq!(body["data"]["submission"]["values"]["name"], "Ann");
    assert!(body["data"]["submission"]["url"]
        .as_str()
        .is_some_and(|u| u.ends_with(&format!("/app/submissions/{submission}"))));

    let detail = delivery_in(&server, &user, &ws, "delivered").await;
    assert_eq!(detail["id"], delivery.as_str());
    assert_eq!(detail["attempts"], 3);
    assert_eq!(detail["endpoint_id"], endpoint.as_str());
    let log = detail["attempts_log"].as_array().expect("log");
    let statuses: Vec<_> = log.iter().map(|a| a["response_status"].as_i64()).collect();
    assert_eq!(statuses, [Some(200), Some(500), Some(500)], "{detail}");
    assert_eq!(log[1]["response_snippet"], "receiver is down");
    assert_eq!(log[0]["outcome"], "delivered");

    // Redelivery was asked for: the same delivery id arrives once more.
    let res = post(
        &server,
        &format!("/api/v1/workspaces/{ws}/deliveries/{delivery}/redeliver"),
        &json!({}),
        Some(&user),
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);
    let hits = receiver.until("the redelivery", |h| h.len() == 4).await;
    assert_eq!(hits[3].headers["clickeen-delivery"], delivery.as_str());

    // Another account sees none of it.
    let (stranger, _) = signup(&server, "stranger@example.com").await;
    let res = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/deliveries/{delivery}"),
        Some(&stranger),
    )
    .await;
    assert_error(&res, StatusCode::NOT_FOUND, "not_found");
    let res = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/webhooks"),
        Some(&stranger),
    )
    .await;
    assert_eq!(res.json(), json!([]), "{}", res.text);
    let res = create_endpoint(&server, &stranger, &ws, json!({"url": receiver.url()})).await;
    assert_error(&res, StatusCode::NOT_FOUND, "not_found");

    // Turned off: new submissions are not sent to it.
    let res = send(
        client()
            .patch(format!(
                "{}/api/v1/workspaces/{ws}/webhooks/{endpoint}",
                server.url()
            ))
            .bearer_auth(&user)
            .json(&json!({"active": false})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["active"], false);
    submit(&server, &id, &embed, "Bob").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.hits().len(), 4);
    let res = send(
        client()
            .delete(format!(
                "{}/api/v1/workspaces/{ws}/webhooks/{endpoint}",
                server.url()
            ))
            .bearer_auth(&user),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    server.shutdown().await.expect("shutdown");
}

both_stores!(dead_letter_after_the_limit);

async fn dead_letter_after_the_limit(store: &Store) {
    let server = spawn(fast_config(store)).await.expect("server");
    let receiver = Receiver::start(usize::MAX).await;
    let (id, embed, user, ws) = owned_widget(&server, "dead@example.com").await;
    let res = create_endpoint(
        &server,
        &user,
        &ws,
        json!({"url": receiver.url(), "instance_ids": [id]}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    submit(&server, &id, &embed, "Ann").await;
    let detail = delivery_in(&server, &user, &ws, "dead").await;
    assert_eq!(detail["attempts"], 3, "{detail}");
    assert_eq!(detail["last_error"], "HTTP 500 Internal Server Error");
    // No attempt after the last one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.hits().len(), 3);
    server.shutdown().await.expect("shutdown");
    // Finished deliveries are kept 30 days: a start sweeps older ones, and their attempts.
    store
        .execute(
            "update delivery_outbox set updated_at = updated_at - 31 * 86400000",
            "update delivery_outbox set updated_at = updated_at - interval '31 days'",
        )
        .await;
    let server = spawn(fast_config(store)).await.expect("server");
    let start = Instant::now();
    while store.scalar("select count(*) from delivery_outbox").await > 0 {
        assert!(start.elapsed() < Duration::from_secs(10), "not swept");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        store.scalar("select count(*) from delivery_attempts").await,
        0
    );
    server.shutdown().await.expect("shutdown");
}

both_stores!(two_processes_deliver_each_once);

async fn two_processes_deliver_each_once(store: &Store) {
    let a = spawn(fast_config(store)).await.expect("server a");
    let b = spawn(fast_config(store)).await.expect("server b");
    let receiver = Receiver::start(0).await;
    let (id, embed, user, ws) = owned_widget(&a, "twice@example.com").await;
    let res = create_endpoint(&a, &user, &ws, json!({"url": receiver.url()})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    const N: usize = 24;
    for i in 0..N {
        let server = if i % 2 == 0 { &a } else { &b };
        submit(server, &id, &embed, &format!("P{i}")).await;
    }
    receiver.until("every submission", |h| h.len() >= N).await;
    // Time for any duplicate to show up.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut ids: Vec<String> = receiver
        .hits()
        .iter()
        .map(|h| {
            h.headers["clickeen-delivery"]
                .to_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!((total, ids.len()), (N, N), "each delivery exactly once");
    a.shutdown().await.expect("shutdown a");
    b.shutdown().await.expect("shutdown b");
}

#[tokio::test]
async fn internal_and_plain_http_urls_are_refused() {
    let store = Store::sqlite();
    let server = store.start().await;
    let receiver = Receiver::start(0).await;
    let (id, embed, user, ws) = owned_widget(&server, "ssrf@example.com").await;
    let refused = [
        ("http://hooks.example.com/x", "url_not_https"),
        ("https://127.0.0.1/x", "url_not_public"),
        ("https://2130706433/x", "url_not_public"),
        ("https://[::1]/x", "url_not_public"),
        ("https://[::ffff:10.0.0.1]/x", "url_not_public"),
        ("https://10.0.0.1/x", "url_not_public"),
        ("https://169.254.169.254/latest/meta-data", "url_not_public"),
        ("https://[fd00::1]/x", "url_not_public"),
        ("https://user:pw@hooks.example.com/", "invalid_url"),
        ("file:///etc/passwd", "url_not_https"),
    ];
    for (url, code) in refused {
        let res = create_endpoint(&server, &user, &ws, json!({ "url": url })).await;
        assert_error(&res, StatusCode::BAD_REQUEST, code);
    }
    // A name that resolves to loopback passes the form check but is refused when connecting.
    let url = format!("https://localhost:{}/hooks", receiver.addr.port());
    let res = create_endpoint(&server, &user, &ws, json!({ "url": url })).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    submit(&server, &id, &embed, "Ann").await;
    let start = Instant::now();
    let detail = loop {
        let list = get(
            &server,
            &format!("/api/v1/workspaces/{ws}/deliveries"),
            Some(&user),
        )
        .await;
        let d = list.json()[0].clone();
        if d["attempts"].as_i64() >= Some(1) {
            break d;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "{}", list.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(detail["state"], "pending");
    assert!(
        detail["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("is not a public address")),
        "{detail}"
    );
    assert!(receiver.hits().is_empty());
    server.shutdown().await.expect("shutdown");

    // The test-only switch is refused in production.
    let mut config = production_config(&store);
    config.outbox.webhook_allow_private = true;
    let err = spawn(config).await.expect_err("refused");
    assert!(
        format!("{err:#}").contains("CK_WEBHOOK_ALLOW_PRIVATE"),
        "{err:#}"
    );
}

/// The newest mail to `to` whose subject contains `subject`, read on the local mail page.
async fn mail_page(server: &Running, to: &str, subject: &str) -> String {
    let start = Instant::now();
    loop {
        let list = get(server, &format!("/dev/mail?to={to}"), None).await;
        let found = list
            .text
            .split("<li>")
            .find(|li| li.contains(subject))
            .and_then(|li| {
                li.split("href=\"/dev/mail/")
                    .nth(1)
                    .map(|r| r.chars().take_while(|c| *c != '"').collect::<String>())
            });
        if let Some(id) = found {
            return get(server, &format!("/dev/mail/{id}"), None).await.text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no mail {subject:?}: {}",
            list.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The signed unsubscribe URL on a mail page.
fn unsubscribe_link(page: &str) -> String {
    page.split("List-Unsubscribe (one-click): <a href=\"")
        .nth(1)
        .expect("List-Unsubscribe")
        .split('"')
        .next()
        .expect("url")
        .replace("&amp;", "&")
}

async fn set_mode(server: &Running, user: &str, ws: &str, id: &str, mode: &str) {
    let res = send(
        client()
            .put(format!(
                "{}/api/v1/workspaces/{ws}/instances/{id}/notifications",
                server.url()
            ))
            .bearer_auth(user)
            .json(&json!({ "mode": mode })),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

both_stores!(notification_mail_and_unsubscribe);

async fn notification_mail_and_unsubscribe(store: &Store) {
    let server = spawn(fast_config(store)).await.expect("server");
    let (id, embed, user, ws) = owned_widget(&server, "notify@example.com").await;
    set_mode(&server, &user, &ws, &id, "each").await;
    let submission = submit(&server, &id, &embed, "Ann Example").await;
    let page = mail_page(&server, "notify@example.com", "New submission").await;
    for expected in [
        "Name: Ann Example",
        "Email: a@b.co",
        "I agree: Yes",
        &format!("/app/submissions/{submission}</a>"),
    ] {
        assert!(page.contains(expected), "{expected:?} missing in {page}");
    }
    let unsubscribe = unsubscribe_link(&page);
    assert!(
        unsubscribe.contains("/notifications/unsubscribe?u="),
        "{unsubscribe}"
    );
    // A changed signature is refused; the real one works with a bare POST (RFC 8058 one-click).
    let last = if unsubscribe.ends_with('0') { "1" } else { "0" };
    let forged = format!("{}{last}", &unsubscribe[..unsubscribe.len() - 1]);
    let res = send(
        client()
            .post(&forged)
            .form(&[("List-Unsubscribe", "One-Click")]),
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = send(client().get(&unsubscribe)).await;
    assert!(
        res.status == StatusCode::OK && res.text.contains("<form method=\"post\""),
        "{}",
        res.text
    );
    let res = send(
        client()
            .post(&unsubscribe)
            .form(&[("List-Unsubscribe", "One-Click")]),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let setting = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/instances/{id}/notifications"),
        Some(&user),
    )
    .await;
    assert_eq!(setting.json()["mode"], "none", "{}", setting.text);
    server.shutdown().await.expect("shutdown");
}

both_stores!(daily_digest_holds_the_days_submissions);

async fn daily_digest_holds_the_days_submissions(store: &Store) {
    let server = spawn(fast_config(store)).await.expect("server");
    let (id, embed, user, ws) = owned_widget(&server, "digest@example.com").await;
    set_mode(&server, &user, &ws, &id, "digest").await;
    for name in ["Ann", "Bob", "Cy"] {
        submit(&server, &id, &embed, name).await;
    }
    // One digest row for the day, due when the day ends.
    assert_eq!(
        store
            .scalar(
                "select count(*) from delivery_outbox where kind = 'digest' and state = 'pending'"
            )
            .await,
        1
    );
    assert_eq!(
        store
            .scalar("select count(*) from delivery_outbox where kind = 'email'")
            .await,
        0
    );
    // The day ends (moved forward rather than waited for).
    store
        .execute(
            "update delivery_outbox set next_attempt_at = 0 where kind = 'digest'",
            "update delivery_outbox set next_attempt_at = now() - interval '1 second' where kind = 'digest'",
        )
        .await;
    let page = mail_page(&server, "digest@example.com", "3 new submissions").await;
    for name in ["Name: Ann", "Name: Bob", "Name: Cy"] {
        assert!(page.contains(name), "{name} missing in {page}");
    }
    assert!(page.contains("List-Unsubscribe (one-click)"), "{page}");
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn rls_keeps_webhooks_to_owners() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    let server = spawn(fast_config(&store)).await.expect("server");
    let receiver = Receiver::start(0).await;
    let (id, embed, user, ws) = owned_widget(&server, "rls-hooks@example.com").await;
    let res = create_endpoint(&server, &user, &ws, json!({"url": receiver.url()})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    set_mode(&server, &user, &ws, &id, "each").await;
    submit(&server, &id, &embed, "Ann").await;
    delivery_in(&server, &user, &ws, "delivered").await;
    let (stranger_token, _) = signup(&server, "rls-stranger@example.com").await;
    let me = |token: &str| -> String {
        let claims = token.split('.').nth(1).expect("jwt");
        use base64::Engine as _;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .expect("b64");
        String::from_utf8(json).expect("utf8")
    };
    let owner = store.owner_pool().await.expect("pool");
    for (claims, visible) in [(me(&user), 1i64), (me(&stranger_token), 0)] {
        for table in [
            "webhook_endpoints",
            "delivery_outbox",
            "delivery_attempts",
            "notification_settings",
        ] {
            let mut tx = owner.begin().await.expect("tx");
            sqlx::query("select set_config('request.jwt.claims', $1, true)")
                .bind(&claims)
                .execute(&mut *tx)
                .await
                .expect("claims");
            sqlx::query("set local role authenticated")
                .execute(&mut *tx)
                .await
                .expect("role");
            let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
                .fetch_one(&mut *tx)
                .await
                .expect("count");
            assert_eq!(n.min(1), visible, "{table} as {claims}");
            // Nobody writes the outbox or the log directly.
            let write = sqlx::query(&format!("delete from {table}"))
                .execute(&mut *tx)
                .await;
            if matches!(table, "delivery_outbox" | "delivery_attempts") {
                assert!(write.is_err(), "{table} deletable as authenticated");
            }
            tx.rollback().await.expect("rollback");
        }
    }
    server.shutdown().await.expect("shutdown");
    store.cleanup().await;
}

#[tokio::test]
async fn dashboard_pages_manage_endpoints_deliveries_and_mail() {
    let store = Store::sqlite();
    let server = spawn(fast_config(&store)).await.expect("server");
    let receiver = Receiver::start(0).await;
    let (id, embed, user, ws) = owned_widget(&server, "pages@example.com").await;
    let csrf = "c".repeat(43);
    let cookie = format!("ck_access={user}; ck_csrf={csrf}");
    let page = |path: String| {
        send(
            client()
                .get(format!("{}{path}", server.url()))
                .header("cookie", &cookie),
        )
    };
    let form = |path: String, fields: Vec<(&'static str, String)>| {
        send(
            client()
                .post(format!("{}{path}", server.url()))
                .header("cookie", &cookie)
                .form(&fields),
        )
    };
    let hooks = format!("/app/workspaces/{ws}/webhooks");
    let res = page(hooks.clone()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(
        res.text.contains("Add an endpoint") && res.text.contains("No endpoints yet"),
        "{}",
        res.text
    );
    // A refused URL keeps what was typed and says why.
    let res = form(
        hooks.clone(),
        vec![
            ("csrf", csrf.clone()),
            ("url", "https://10.1.2.3/x".into()),
            ("description", "Internal".into()),
        ],
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "allowed in this test server: {}",
        res.text
    );
    let strict_store = Store::sqlite();
    let strict = strict_store.start().await;
    let (_, _, strict_user, strict_ws) = owned_widget(&strict, "strict@example.com").await;
    let res = send(
        client()
            .post(format!(
                "{}/app/workspaces/{strict_ws}/webhooks",
                strict.url()
            ))
            .header("cookie", format!("ck_access={strict_user}; ck_csrf={csrf}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("url", "https://10.1.2.3/x"),
                ("description", "Internal"),
            ]),
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert!(
        res.text.contains("10.1.2.3 is not a public address")
            && res.text.contains("value=\"Internal\""),
        "{}",
        res.text
    );
    strict.shutdown().await.expect("shutdown");
    // Created: the secret is on this answer only. Without the CSRF token nothing happens.
    let res = form(
        hooks.clone(),
        vec![("url", receiver.url()), ("csrf", "wrong".into())],
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    let res = form(
        hooks.clone(),
        vec![
            ("csrf", csrf.clone()),
            ("url", receiver.url()),
            ("description", "CRM".into()),
            ("instance_ids", id.clone()),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let secret: String = res
        .text
        .split("<code class=\"secret\">")
        .nth(1)
        .expect("secret shown")
        .chars()
        .take_while(|c| *c != '<')
        .collect();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let res = page(hooks.clone()).await;
    assert!(
        !res.text.contains(&secret) && res.text.contains("CRM"),
        "{}",
        res.text
    );
    // Deliveries with their attempts and a redeliver button.
    submit(&server, &id, &embed, "Ann").await;
    receiver.until("the delivery", |h| h.len() == 1).await;
    let delivery = delivery_in(&server, &user, &ws, "delivered").await;
    let did = delivery["id"].as_str().expect("id");
    let res = page(format!("/app/workspaces/{ws}/deliveries")).await;
    assert!(
        res.text.contains("Delivered") && res.text.contains("Redeliver"),
        "{}",
        res.text
    );
    let res = page(format!("/app/workspaces/{ws}/deliveries/{did}")).await;
    assert!(
        res.text.contains("Attempt 1")
            && res.text.contains("HTTP 200")
            && res.text.contains("thanks"),
        "{}",
        res.text
    );
    let res = form(
        format!("/app/workspaces/{ws}/deliveries/{did}/redeliver"),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    receiver.until("the redelivery", |h| h.len() == 2).await;
    // Notification settings.
    let res = page(format!("/app/workspaces/{ws}/notifications")).await;
    assert!(
        res.text.contains("Every submission") && res.text.contains("Daily digest"),
        "{}",
        res.text
    );
    let res = form(
        format!("/app/workspaces/{ws}/notifications"),
        vec![
            ("csrf", csrf.clone()),
            ("instance", id.clone()),
            ("mode", "digest".into()),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let setting = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/instances/{id}/notifications"),
        Some(&user),
    )
    .await;
    assert_eq!(setting.json()["mode"], "digest");
    // The submission page the mail links to; a stranger gets nothing.
    let sid = delivery["submission_id"].as_str().expect("submission");
    let res = page(format!("/app/submissions/{sid}")).await;
    assert!(
        res.text.contains("<dt>Name</dt><dd>Ann</dd>"),
        "{}",
        res.text
    );
    let (stranger, _) = signup(&server, "pages-stranger@example.com").await;
    let res = send(
        client()
            .get(format!("{}{hooks}", server.url()))
            .header("cookie", format!("ck_access={stranger}")),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    // Turn off, then delete.
    let listed = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/webhooks"),
        Some(&user),
    )
    .await
    .json();
    let eid = listed
        .as_array()
        .and_then(|a| a.iter().find(|e| e["url"] == receiver.url().as_str()))
        .and_then(|e| e["id"].as_str())
        .expect("endpoint")
        .to_owned();
    let res = form(
        format!("{hooks}/{eid}/toggle"),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(page(hooks.clone()).await.text.contains("Turn on"));
    let res = form(
        format!("{hooks}/{eid}/delete"),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(!page(hooks.clone()).await.text.contains(&receiver.url()));
    server.shutdown().await.expect("shutdown");
}
