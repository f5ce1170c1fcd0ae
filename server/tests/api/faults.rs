//! Faults: the database going away and coming back while events and submissions flow, a hard kill
//! (SIGKILL) of the real binary during ingest, and slow clients (slowloris headers and bodies, more
//! connections than the limit), each with what must hold afterwards.
//!
//! What "the database goes away" means per store:
//! - Postgres: the server reaches it through a TCP proxy in this harness ([`Proxy`]); cutting it
//!   closes every open connection (pool and `LISTEN`) and drops new ones at once, as a network
//!   partition or a restarting database does.
//! - SQLite: another connection holds the write lock (`BEGIN EXCLUSIVE`), as a stuck migration, a
//!   `sqlite3` shell or a backup tool can. Reads still work in WAL mode, but every transaction of the
//!   server begins `IMMEDIATE` and waits for the lock (`busy_timeout`, 5 s) and then fails, so no
//!   write commits; `/api/healthz` probes the write lock.

use std::{
    collections::BTreeSet,
    net::SocketAddr,
    process::Stdio,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use ck_server::{spawn, Config, Limit, Running};
use reqwest::{header, StatusCode};
use serde_json::json;
use sqlx::{Connection as _, Executor as _, SqliteConnection};
use tokio::{
    io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader},
    net::{tcp::OwnedReadHalf, TcpListener, TcpStream},
    task::AbortHandle,
};

use crate::common::{
    both_stores, client, get, owned_widget, pg_base, send, wait_for_views, Res, Store, SECRET,
};

/// A TCP proxy to Postgres that a test can cut (every connection closed, new ones dropped) and
/// restore.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (up2, conns2) = (up.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !up2.load(Ordering::SeqCst) {
                    // Cut: the connection is closed at once, like a refused one.
                    drop(inbound);
                    continue;
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                conns2.lock().expect("lock").push(task.abort_handle());
            }
        })
        .abort_handle();
        Proxy {
            addr,
            up,
            conns,
            accept,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for conn in self.conns.lock().expect("lock").drain(..) {
            conn.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// How a test takes the database away: see the module docs.
enum Fault {
    Proxy(Proxy),
    /// The SQLite file, and while the outage lasts the connection holding its write lock.
    Lock(String, Option<SqliteConnection>),
}

impl Fault {
    /// Prepares the fault for `store` and returns it with the server configuration that goes
    /// through it.
    async fn new(store: &Store) -> (Self, Config) {
        let mut config = store.config();
        let fault = match store {
            Store::Sqlite(_) => Fault::Lock(config.database_url.clone(), None),
            Store::Postgres { .. } => {
                let base = pg_base();
                let (user, host) = base.rsplit_once('@').expect("user@host in CK_TEST_PG");
                let proxy = Proxy::start(host.to_owned()).await;
                let proxied = proxy.addr.to_string();
                config.database_url = config.database_url.replace(host, &proxied);
                config.database_app_url = config
                    .database_app_url
                    .map(|url| url.replace(host, &proxied));
                assert!(config.database_url.starts_with(user));
                Fault::Proxy(proxy)
            }
        };
        (fault, config)
    }

    async fn begin(&mut self) {
        match self {
            Fault::Proxy(proxy) => proxy.cut(),
            Fault::Lock(url, held) => {
                let mut conn = SqliteConnection::connect(url).await.expect("locker");
                conn.execute("begin exclusive").await.expect("write lock");
                *held = Some(conn);
            }
        }
    }

    async fn end(&mut self) {
        match self {
            Fault::Proxy(proxy) => proxy.restore(),
            Fault::Lock(_, held) => {
                let mut conn = held.take().expect("held");
                conn.execute("rollback").await.expect("release");
                conn.close().await.expect("close");
            }
        }
    }
}

async fn beacon(base: &str, token: &str, id: &str) -> Res {
    send(
        client()
            .post(format!("{base}/api/v1/events"))
            .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(json!({"token": token, "events": [{"k": "view", "id": id, "n": 1}]}).to_string()),
    )
    .await
}

async fn submit(base: &str, token: &str, id: &str, name: &str) -> Res {
    send(
        client()
            .post(format!("{base}/api/v1/submissions"))
            .json(&json!({"token": token, "id": id, "values": {"name": name, "email": "a@b.co"}, "hp": "", "elapsed_ms": 4200})),
    )
    .await
}

/// Names of the stored submissions of an instance, read through the owner API.
async fn stored_names(server: &Running, user: &str, ws: &str, id: &str) -> BTreeSet<String> {
    let res = get(
        server,
        &format!("/api/v1/workspaces/{ws}/instances/{id}/submissions?limit=1000"),
        Some(user),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
        .as_array()
        .expect("list")
        .iter()
        .map(|row| row["data"]["name"].as_str().expect("name").to_owned())
        .collect()
}

async fn wait_for_health(server: &Running, want: StatusCode, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let status = get(server, "/api/healthz", None).await.status;
        if status == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "healthz still {status}, want {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Roomy limits so that only the outage, never a rate limit, refuses a request. During a
/// Postgres outage each refused submission returns at once, so the submit loop sends thousands a
/// second: a burst of 10,000 was seen to run out (a 429 in a CI run).
fn roomy(config: &mut Config) {
    let roomy = Limit {
        per_minute: 60_000_000,
        burst: 10_000_000,
    };
    config.product.limit_submissions_token = roomy;
    config.product.limit_submissions_ip = roomy;
    config.product.limit_events_ip = roomy;
    config.product.limit_events_token = roomy;
}

/// How long the database stays away: longer than SQLite's `busy_timeout` (5 s) and Postgres'
/// pool wait (5 s), so writes really fail.
const OUTAGE: Duration = Duration::from_secs(7);

both_stores!(database_outage_loses_nothing);

/// The database goes away for [`OUTAGE`] while the pixel and submissions keep coming: healthz says
/// 503 meanwhile; every beacon is answered 204 promptly; no submission gets a 2xx unless it is
/// stored; after the database is back (no restart) healthz says 200, exactly the counts accepted
/// arrive, and submissions work again.
async fn database_outage_loses_nothing(store: &Store) {
    let (mut fault, mut config) = Fault::new(store).await;
    roomy(&mut config);
    config.product.usage_flush_ms = 200;
    config.product.token_cache_ttl_ms = 200;
    config.product.plan_cache_ttl_ms = 200;
    config.product.embed_db_wait_ms = 300;
    let server = spawn(config).await.expect("server");
    let base = server.url();
    let (id, token, user, ws) = owned_widget(&server, "outage@example.com").await;
    assert_eq!(
        beacon(&base, &token, &id).await.status,
        StatusCode::NO_CONTENT
    );
    let res = submit(&base, &token, &id, "before").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    // Every cache entry past its TTL: the checks below go to the database first.
    tokio::time::sleep(Duration::from_millis(300)).await;

    fault.begin().await;
    let started = Instant::now();
    let detected = wait_for_health(&server, StatusCode::SERVICE_UNAVAILABLE, OUTAGE).await;
    let beacons = {
        let (base, token, id) = (base.clone(), token.clone(), id.clone());
        tokio::spawn(async move {
            let mut sent = 0i64;
            let mut slowest = Duration::ZERO;
            while started.elapsed() < OUTAGE {
                let t = Instant::now();
                let res = beacon(&base, &token, &id).await;
                assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
                slowest = slowest.max(t.elapsed());
                sent += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (sent, slowest)
        })
    };
    let submissions = {
        let (base, token, id) = (base.clone(), token.clone(), id.clone());
        tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut i = 0;
            while started.elapsed() < OUTAGE {
                // Several in flight at once, as visitors would.
                let batch: Vec<_> = (0..3)
                    .map(|k| {
                        let name = format!("o{}", i + k);
                        let (base, token, id) = (base.clone(), token.clone(), id.clone());
                        tokio::spawn(async move {
                            let res = submit(&base, &token, &id, &name).await;
                            (name, res.status)
                        })
                    })
                    .collect();
                i += 3;
                for task in batch {
                    answers.push(task.await.expect("submit"));
                }
            }
            answers
        })
    };
    let (sent, slowest) = beacons.await.expect("beacons");
    let answers = submissions.await.expect("submissions");
    let during = wait_for_health(&server, StatusCode::SERVICE_UNAVAILABLE, OUTAGE).await;
    assert!(during < Duration::from_secs(3), "still down at the end");
    fault.end().await;

    let recovered = wait_for_health(&server, StatusCode::OK, Duration::from_secs(15)).await;
    wait_for_views(store, sent + 1).await;
    let res = submit(&base, &token, &id, "after").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    let stored = stored_names(&server, &user, &ws, &id).await;
    let acked: BTreeSet<String> = answers
        .iter()
        .filter(|(_, s)| s.is_success())
        .map(|(n, _)| n.clone())
        .collect();
    let refused: Vec<_> = answers.iter().filter(|(_, s)| !s.is_success()).collect();
    for (name, status) in &refused {
        // 503 `unavailable` on both stores (SQLite's "database is locked" was a 500 before).
        assert_eq!(
            *status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{name}: the outage, not the request, must be the reason"
        );
    }
    assert!(!refused.is_empty(), "the outage refused no submission");
    assert!(
        acked.is_subset(&stored),
        "acknowledged but not stored: {:?}",
        acked.difference(&stored).collect::<Vec<_>>()
    );
    assert!(stored.contains("before") && stored.contains("after"));
    eprintln!(
        "outage: healthz 503 after {detected:?}, 200 {recovered:?} after the end; {sent} beacons \
         (slowest {slowest:?}) all counted; submissions: {} answered 2xx and stored, {} refused \
         ({:?})",
        acked.len(),
        refused.len(),
        refused
            .iter()
            .map(|(_, s)| s.as_u16())
            .collect::<BTreeSet<_>>()
    );
    assert!(
        slowest < Duration::from_secs(2),
        "slowest beacon {slowest:?}"
    );
    server.shutdown().await.expect("shutdown");
}

/// The real `ck-server` binary as a child process on `config`'s database.
struct Child {
    process: tokio::process::Child,
    url: String,
}

impl Child {
    async fn start(config: &Config, flush_ms: u64) -> Self {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_ck-server"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("PORT", "0")
            .env("DATABASE_URL", &config.database_url)
            .env("JWT_SECRET", SECRET)
            .env("CK_DIST_DIR", &config.dist_dir)
            .env("CK_EXAMPLES_DIR", &config.examples_dir)
            .env("CK_USAGE_FLUSH_MS", flush_ms.to_string())
            .env("CK_LIMIT_EVENTS_TOKEN", "600000/100000")
            .env("CK_LIMIT_EVENTS_IP", "600000/100000")
            .env("CK_LIMIT_SUBMISSIONS_TOKEN", "600000/100000")
            .env("CK_LIMIT_SUBMISSIONS_IP", "600000/100000")
            .env("CK_LIMIT_AUTH_IP", "600000/100000")
            .env("CK_LIMIT_AUTH_ACCOUNT_IP", "600000/100000")
            .env("RUST_LOG", "warn,ck_server=info,ck_server::access=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if let Some(app) = &config.database_app_url {
            command.env("DATABASE_APP_URL", app);
        }
        let mut process = command.spawn().expect("spawn ck-server");
        let mut lines = BufReader::new(process.stdout.take().expect("stdout")).lines();
        let url = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(rest) = line.split("Clickeen server on ").nth(1) {
                    return rest
                        .split(|c: char| c.is_whitespace() || c == '"')
                        .next()
                        .expect("url")
                        .to_owned();
                }
            }
            panic!("ck-server exited before it listened");
        })
        .await
        .expect("ck-server listening within 60 s");
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Child { process, url }
    }

    /// SIGKILL: no shutdown hook, no final flush.
    async fn kill_hard(mut self) {
        // tokio sends SIGKILL on Unix.
        self.process.start_kill().expect("kill -9");
        let status = self.process.wait().await.expect("wait");
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(status.signal(), Some(9), "{status:?}");
    }
}

/// The flush interval of the kill test, and what may delay a flush beyond it (the flush's own
/// transaction on a busy 2-core machine).
const FLUSH_MS: u64 = 1_000;
const FLUSH_SLACK: Duration = Duration::from_millis(750);

both_stores!(sigkill_during_ingest_loses_at_most_one_flush_interval);

/// The real binary takes beacons, submissions and sign-ups, then gets SIGKILL. Restarted on the same
/// database: every acknowledged submission and account is there, and the usage counts lost are at
/// most those acknowledged in the last flush interval (docs/server-product.md, "What a hard crash
/// loses"); the loss is measured and printed.
async fn sigkill_during_ingest_loses_at_most_one_flush_interval(store: &Store) {
    // Set up with an in-process server: an owned widget and its embed token.
    let server = store.start().await;
    let (id, token, user, ws) = owned_widget(&server, "kill@example.com").await;
    server.shutdown().await.expect("shutdown");

    let config = store.config();
    let child = Child::start(&config, FLUSH_MS).await;
    let base = child.url.clone();
    let load = Duration::from_millis(3 * FLUSH_MS + FLUSH_MS / 2);
    let started = Instant::now();
    let mut acks: Vec<Instant> = Vec::new();
    let mut submitted = Vec::new();
    let mut accounts = Vec::new();
    let mut i = 0u32;
    while started.elapsed() < load {
        let res = beacon(&base, &token, &id).await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
        acks.push(Instant::now());
        if i.is_multiple_of(20) {
            let name = format!("k{i}");
            let res = submit(&base, &token, &id, &name).await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
            submitted.push(name);
        }
        if i.is_multiple_of(100) {
            let email = format!("killed{i}@example.com");
            let res = send(
                client()
                    .post(format!("{base}/api/v1/auth/signup"))
                    .json(&json!({"email": email, "password": crate::common::PASSWORD})),
            )
            .await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
            accounts.push(email);
        }
        i += 1;
    }
    child.kill_hard().await;
    let killed = Instant::now();

    // Restart on the same database (in process: it opens the file or database the child left).
    let server = spawn(config).await.expect("restart after SIGKILL");
    let stored = store
        .scalar("select coalesce(sum(views), 0) from usage_counters_daily")
        .await;
    let acked = acks.len() as i64;
    let window = Duration::from_millis(FLUSH_MS) + FLUSH_SLACK;
    let in_last_interval = acks
        .iter()
        .filter(|t| killed.duration_since(**t) <= window)
        .count() as i64;
    let lost = acked - stored;
    eprintln!(
        "SIGKILL: {acked} beacons acknowledged, {stored} stored, {lost} lost; bound: {in_last_interval} \
         acknowledged in the last {window:?} (flush interval {FLUSH_MS} ms + {FLUSH_SLACK:?} slack); \
         {} submissions and {} accounts all kept",
        submitted.len(),
        accounts.len()
    );
    assert!(stored > 0, "no flush ran in {load:?}");
    assert!(lost >= 0, "more counted than acknowledged");
    assert!(
        lost <= in_last_interval,
        "lost {lost} counts, more than the {in_last_interval} of the last flush interval"
    );
    let kept = stored_names(&server, &user, &ws, &id).await;
    for name in &submitted {
        assert!(kept.contains(name), "acknowledged submission {name} lost");
    }
    for email in &accounts {
        let n = store
            .scalar(&format!(
                "select count(*) from users where email = '{email}'"
            ))
            .await;
        assert_eq!(n, 1, "acknowledged sign-up {email} lost");
    }
    server.shutdown().await.expect("shutdown");
}

/// A server with short slow-client limits: 1 s for headers, 1 s for a body, `max` connections.
async fn strict_server(store: &Store, max_connections: usize) -> Running {
    let mut config = store.config();
    config.header_timeout_secs = 1;
    config.body_timeout_secs = 1;
    config.max_connections = max_connections;
    spawn(config).await.expect("server")
}

/// Reads until the server closes the connection; returns what it sent and how long the close
/// took. Panics when it is still open after `within`.
async fn read_until_closed(reader: &mut OwnedReadHalf, within: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = within.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, reader.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "still open after {within:?}; got {:?}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed(),
    )
}

/// Connects, sends `head` at once, then `slow` one byte every 100 ms (repeated) for up to 5 s,
/// as a slowloris client does; returns the read half.
async fn slow_client(addr: SocketAddr, head: &[u8], slow: &'static [u8]) -> OwnedReadHalf {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (reader, mut writer) = stream.into_split();
    writer.write_all(head).await.expect("head");
    tokio::spawn(async move {
        let started = Instant::now();
        for b in slow.iter().cycle() {
            if started.elapsed() > Duration::from_secs(5) || writer.write_all(&[*b]).await.is_err()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Keeps the write half open (no FIN) until the test is over.
        tokio::time::sleep(Duration::from_secs(10)).await;
    });
    reader
}

/// Request line and headers must arrive within `CK_HEADER_TIMEOUT_SECS`, however the client
/// dribbles them; an idle connection is closed after the same time.
#[tokio::test]
async fn slowloris_headers_and_idle_connections_are_cut_off() {
    let store = Store::sqlite();
    let server = strict_server(&store, 64).await;
    // (what the client does, bytes sent at once, bytes trickled)
    let cases: [(&str, &[u8], &'static [u8]); 3] = [
        ("connects and says nothing", b"", b""),
        (
            "trickles header lines",
            b"GET /api/healthz HTTP/1.1\r\nHost: x\r\n",
            b"X-Slow: a\r\n",
        ),
        ("trickles the request line", b"GET /api/", b"healthzzzzzzzz"),
    ];
    for (what, head, slow) in cases {
        let mut reader = slow_client(server.addr, head, slow).await;
        let (_, took) = read_until_closed(&mut reader, Duration::from_secs(4)).await;
        assert!(
            took >= Duration::from_millis(800) && took < Duration::from_millis(2500),
            "{what}: closed after {took:?}, the header timeout is 1 s"
        );
    }
    // An idle keep-alive connection after a request is closed too.
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(b"GET /api/healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("request");
    let (answer, took) = read_until_closed(&mut reader, Duration::from_secs(4)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(took < Duration::from_millis(2500), "idle for {took:?}");
    let res = get(&server, "/api/healthz", None).await;
    assert_eq!(res.status, StatusCode::OK, "the server still serves others");
    server.shutdown().await.expect("shutdown");
}

/// A body that does not arrive in full within `CK_BODY_TIMEOUT_SECS` is answered 408
/// `request_timeout` and the connection is closed; nothing of it is used.
#[tokio::test]
async fn slow_bodies_get_408_and_the_connection_closes() {
    let store = Store::sqlite();
    let server = strict_server(&store, 64).await;
    for path in [
        "/api/v1/events",
        "/api/v1/submissions",
        "/api/v1/auth/login",
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"token\":"
        );
        let mut reader = slow_client(server.addr, head.as_bytes(), b" ").await;
        let (answer, took) = read_until_closed(&mut reader, Duration::from_secs(4)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(answer.contains("\"request_timeout\""), "{path}: {answer}");
        assert!(
            took >= Duration::from_millis(800) && took < Duration::from_millis(2500),
            "{path}: answered after {took:?}, the body timeout is 1 s"
        );
    }
    server.shutdown().await.expect("shutdown");
}

/// With `CK_MAX_CONNECTIONS` idle connections open, the next client waits in the backlog (no task,
/// no buffers) and is served as soon as the header timeout frees a slot.
#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_slot() {
    let store = Store::sqlite();
    let server = strict_server(&store, 4).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(slow_client(server.addr, b"", b"").await);
    }
    // Let the server accept them before the real client comes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let res = get(&server, "/api/healthz", None).await;
    let waited = started.elapsed();
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        waited >= Duration::from_millis(600) && waited < Duration::from_secs(3),
        "served after {waited:?}: it should wait for the idle connections' 1 s header timeout"
    );
    for mut reader in idle {
        read_until_closed(&mut reader, Duration::from_secs(2)).await;
    }
    server.shutdown().await.expect("shutdown");
}
