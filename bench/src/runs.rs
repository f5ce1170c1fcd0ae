//! The measured runs: the pixel against nginx, token verification and submissions against the
//! trivial handler, and several processes on one Postgres.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use sqlx::Connection;

use crate::procs::{self, Proc, ServerOpts};
use crate::report::{int, ms, ratio, rps, Section, Table};
use crate::wrk::{self, Report, Shape};
use crate::Opts;

/// Events in one pixel batch (a load with its timing, a view, an interaction counted twice): what
/// the runtime's sendBeacon sends after a widget mounted and was used.
const EVENTS_PER_BATCH: i64 = 4;

fn batch(token: &str, instance: &str) -> String {
    json!({"token": token, "events": [
        {"k": "load", "ms": 412.5},
        {"k": "view", "id": instance},
        {"k": "interaction", "id": instance, "n": 2},
    ]})
    .to_string()
}

fn pixel_shape(drafts: &[(String, String)]) -> Shape {
    Shape {
        method: "POST",
        path: "/api/v1/events".into(),
        // What sendBeacon sends for a string body: no CORS preflight.
        content_type: "text/plain;charset=UTF-8",
        bodies: drafts.iter().map(|(id, t)| batch(t, id)).collect(),
    }
}

fn manifest_shape(id: &str, token: &str) -> Shape {
    Shape {
        method: "GET",
        path: format!("/api/v1/widgets/{id}/config?token={token}"),
        content_type: "application/json",
        bodies: Vec::new(),
    }
}

fn submission_shape(id: &str, token: &str) -> Shape {
    Shape {
        method: "POST",
        path: "/api/v1/submissions".into(),
        content_type: "application/json",
        bodies: vec![
            json!({"token": token, "id": id, "hp": "", "elapsed_ms": 4200.0, "values": {
            "name": "Ada Lovelace", "email": "ada@example.com", "topic": "Sales",
            "message": "Benchmark submission", "agree": true}})
            .to_string(),
        ],
    }
}

fn draft_shape() -> Shape {
    Shape {
        method: "POST",
        path: "/api/v1/drafts".into(),
        content_type: "application/json",
        bodies: vec![draft_body().to_string()],
    }
}

fn draft_body() -> Value {
    json!({"type": "form", "config": {
        "title": "Contact us",
        "fields": [
            {"type": "text", "name": "name", "label": "Your name", "required": true},
            {"type": "email", "name": "email", "label": "Email", "required": true},
            {"type": "select", "name": "topic", "label": "Topic", "options": ["Sales", "Support"]},
            {"type": "textarea", "name": "message", "label": "Message", "min_length": 5},
            {"type": "checkbox", "name": "agree", "label": "I agree to the terms", "required": true}
        ],
        "submit_label": "Send",
        "min_fill_ms": 300
    }})
}

/// `n` anonymous drafts (instance id, embed token): the embed's real credentials.
async fn drafts(base: &str, n: usize) -> Result<Vec<(String, String)>> {
    let client = reqwest::Client::new();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let r = client
            .post(format!("{base}/api/v1/drafts"))
            .json(&draft_body())
            .send()
            .await?;
        let status = r.status();
        let body: Value = r.json().await?;
        if !status.is_success() {
            bail!("draft failed: {status} {body}");
        }
        let field = |k: &str| body[k].as_str().map(String::from).context("draft field");
        out.push((field("instance_id")?, field("embed_token")?));
    }
    Ok(out)
}

/// Responses the server counted for `route`, by status (from its own `/metrics`).
async fn statuses(base: &str, route: &str) -> Result<BTreeMap<u16, u64>> {
    let text = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(procs::METRICS_TOKEN)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    Ok(parse_statuses(&text, route))
}

/// [`statuses`] once the server is idle: requests wrk abandoned at its stop may still be running
/// (a submission's commit), so scrape until two scrapes 300 ms apart agree.
async fn settled(base: &str, route: &str) -> Result<BTreeMap<u16, u64>> {
    let mut last = statuses(base, route).await?;
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let now = statuses(base, route).await?;
        if now == last {
            break;
        }
        last = now;
    }
    Ok(last)
}

fn parse_statuses(text: &str, route: &str) -> BTreeMap<u16, u64> {
    let want = format!("route=\"{route}\"");
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(labels) = line.strip_prefix("http_requests_total{") else {
            continue;
        };
        if !labels.contains(&want) {
            continue;
        }
        let status = labels
            .split("status=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok());
        let count = line.rsplit(' ').next().and_then(|c| c.parse::<f64>().ok());
        if let (Some(status), Some(count)) = (status, count) {
            *out.entry(status).or_default() += count as u64;
        }
    }
    out
}

fn diff(after: &BTreeMap<u16, u64>, before: &BTreeMap<u16, u64>) -> BTreeMap<u16, u64> {
    after
        .iter()
        .map(|(s, n)| (*s, n - before.get(s).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn ok_count(by_status: &BTreeMap<u16, u64>) -> u64 {
    by_status
        .iter()
        .filter(|(s, _)| (200..300).contains(*s))
        .map(|(_, n)| n)
        .sum()
}

fn other_count(by_status: &BTreeMap<u16, u64>) -> u64 {
    by_status
        .iter()
        .filter(|(s, _)| !(200..300).contains(*s) && **s != 429)
        .map(|(_, n)| n)
        .sum()
}

/// A database for one run: SQLite in the temp dir, or a fresh Postgres database.
enum Db {
    Sqlite(String),
    Postgres { name: String },
}

fn pg_base() -> String {
    std::env::var("CK_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

impl Db {
    async fn new(dir: &Path, postgres: bool, tag: &str) -> Result<Db> {
        if !postgres {
            let path = dir.join(format!("{tag}.sqlite"));
            return Ok(Db::Sqlite(format!("sqlite://{}", path.display())));
        }
        let name = format!("ck_bench_{}_{tag}", std::process::id());
        let mut c = sqlx::PgConnection::connect(&format!("{}/postgres", pg_base()))
            .await
            .context("connecting to Postgres (CK_TEST_PG)")?;
        sqlx::query(&format!("drop database if exists {name}"))
            .execute(&mut c)
            .await?;
        sqlx::query(&format!("create database {name}"))
            .execute(&mut c)
            .await?;
        Ok(Db::Postgres { name })
    }

    fn label(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres { .. } => "Postgres",
        }
    }

    fn opts(&self, token_cache_ttl_ms: u64) -> ServerOpts {
        let (database_url, database_app_url) = match self {
            Db::Sqlite(url) => (url.clone(), None),
            Db::Postgres { name } => (
                format!("{}/{name}", pg_base()),
                Some(format!(
                    "{}/{name}",
                    pg_base().replace("postgres@", "ck_app@")
                )),
            ),
        };
        ServerOpts {
            database_url,
            database_app_url,
            token_cache_ttl_ms,
            limits: Vec::new(),
        }
    }

    /// One number from the database as its owner (after the servers stopped).
    async fn scalar(&self, sql: &str) -> Result<i64> {
        Ok(match self {
            Db::Sqlite(url) => {
                let mut c = sqlx::SqliteConnection::connect(url).await?;
                sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut c).await?
            }
            Db::Postgres { name } => {
                let mut c = sqlx::PgConnection::connect(&format!("{}/{name}", pg_base())).await?;
                sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut c).await?
            }
        })
    }

    async fn stored_events(&self) -> Result<i64> {
        self.scalar(
            "select cast(coalesce(sum(loads + views + interactions + errors), 0) as bigint) \
             from usage_counters_daily",
        )
        .await
    }

    async fn drop(self) -> Result<()> {
        if let Db::Postgres { name } = self {
            let mut c = sqlx::PgConnection::connect(&format!("{}/postgres", pg_base())).await?;
            sqlx::query(&format!("drop database if exists {name} with (force)"))
                .execute(&mut c)
                .await?;
        }
        Ok(())
    }
}

/// One row of a throughput table: target, wrk's figures, the ratio and the statuses.
fn row(
    target: &str,
    r: &Report,
    ceiling: f64,
    by_status: Option<&BTreeMap<u16, u64>>,
) -> Vec<String> {
    let (ok, limited, other) = match by_status {
        Some(s) => (
            ok_count(s),
            s.get(&429).copied().unwrap_or(0),
            other_count(s),
        ),
        // A ceiling answers nothing but 2xx; wrk's own count is the only one.
        None => (r.requests - r.non_2xx, 0, r.non_2xx),
    };
    // Which statuses the "other" were, so a failing run says why (e.g. 503 = database wait).
    let other_text = match by_status {
        Some(s) if other > 0 => format!(
            "{} ({})",
            int(other),
            s.keys()
                .filter(|c| !(200..300).contains(*c) && **c != 429)
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => int(other),
    };
    vec![
        target.to_owned(),
        rps(r.rps),
        ratio(r.rps, ceiling),
        ms(r.p50_ms),
        ms(r.p99_ms),
        int(ok),
        int(limited),
        other_text,
        int(r.socket_errors),
    ]
}

const THROUGHPUT_HEAD: [&str; 9] = [
    "target",
    "req/s",
    "× ceiling",
    "p50 ms",
    "p99 ms",
    "2xx",
    "429",
    "other non-2xx",
    "socket errors",
];

/// Runs `f` (a wrk run against `p`) and the CPU seconds `p` used meanwhile.
fn cpu_around<T>(p: &procs::Proc, f: impl FnOnce() -> Result<T>) -> Result<(T, Option<f64>)> {
    let cpu = || p.pid().and_then(procs::cpu_secs);
    let before = cpu();
    let out = f()?;
    let used = match (before, cpu()) {
        (Some(b), Some(a)) => Some(a - b),
        _ => None,
    };
    Ok((out, used))
}

/// 1. The pixel: one token, then 50 tokens with their instances; nginx `return 204` and the
///    trivial axum handler as ceilings; the stored counters checked against the server's 204s.
pub(crate) async fn pixel(dir: &Path, opts: &Opts) -> Result<Section> {
    let mut tables = Vec::new();
    let mut exact = Table::new(&[
        "shape",
        "204s wrk received",
        "204s the server sent",
        "in flight at wrk's stop",
        "events stored",
        "4 × 204s sent",
        "exact",
    ]);
    let mut notes = Vec::new();
    let mut profile = None;
    for (shape_name, tokens) in [("one token", 1usize), ("50 tokens and instances", 50)] {
        let db = Db::new(dir, false, &format!("pixel{tokens}")).await?;
        let mut server = procs::server(dir, &db.opts(5_000), "ck-server").await?;
        let creds = drafts(&server.base, tokens).await?;
        let shape = pixel_shape(&creds);
        let mut nginx = procs::nginx(dir).await?;
        let (n, n_cpu) = cpu_around(&nginx, || {
            wrk::run(dir, &nginx.base, &shape, opts.conns, opts.secs)
        })?;
        nginx.stop()?;
        let mut ceiling = procs::ceiling(dir).await?;
        let (a, a_cpu) = cpu_around(&ceiling, || {
            wrk::run(dir, &ceiling.base, &shape, opts.conns, opts.secs)
        })?;
        ceiling.stop()?;
        let before = statuses(&server.base, "/api/v1/events").await?;
        let perf = match (opts.perf && tokens == 1, server.pid()) {
            (true, Some(pid)) => Some(procs::Perf::start(dir, pid)?),
            _ => None,
        };
        let (s, s_cpu) = cpu_around(&server, || {
            wrk::run(dir, &server.base, &shape, opts.conns, opts.secs)
        })?;
        if let Some(perf) = perf {
            profile = Some(perf.report(40)?);
        }
        let by_status = diff(&settled(&server.base, "/api/v1/events").await?, &before);
        server.stop()?;
        let stored = db.stored_events().await?;
        db.drop().await?;
        let mut t = Table::new(&THROUGHPUT_HEAD);
        t.head[0] = match tokens {
            1 => "one token: target",
            _ => "50 tokens: target",
        };
        t.head.extend(["CPU µs / 2xx", "× ceiling's CPU"]);
        let sent = by_status.get(&204).copied().unwrap_or(0);
        let per_request =
            |cpu: Option<f64>, answered: u64| cpu.map(|c| c * 1e6 / answered.max(1) as f64);
        let n_us = per_request(n_cpu, n.requests - n.non_2xx);
        for (name, r, us, by) in [
            ("nginx `return 204`", &n, n_us, None),
            (
                "axum trivial handler",
                &a,
                per_request(a_cpu, a.requests - a.non_2xx),
                None,
            ),
            (
                "ck-server (SQLite)",
                &s,
                per_request(s_cpu, sent),
                Some(&by_status),
            ),
        ] {
            let mut cells = row(name, r, n.rps, by);
            cells.push(us.map_or("–".into(), |u| format!("{u:.1}")));
            // CPU per answer, nginx's over this one's: like × ceiling, 1.00× is nginx's cost.
            cells.push(match (n_us, us) {
                (Some(c), Some(u)) if u > 0.0 => format!("{:.2}×", c / u),
                _ => "–".into(),
            });
            t.row(cells);
        }
        let seen = s.requests - s.non_2xx;
        let expected = EVENTS_PER_BATCH * i64::try_from(sent)?;
        exact.row(vec![
            shape_name.into(),
            int(seen),
            int(sent),
            format!("{}", i128::from(sent) - i128::from(seen)),
            int(u64::try_from(stored)?),
            int(u64::try_from(expected)?),
            if stored == expected { "yes" } else { "NO" }.into(),
        ]);
        if stored != expected {
            notes.push(format!(
                "{shape_name}: stored {stored} events, the server answered 204 to {sent} batches \
                 of {EVENTS_PER_BATCH}: counters are NOT exact"
            ));
        }
        tables.push(t);
    }
    tables.push(exact);
    let sec = Section {
        title: "1. Pixel ingest (`POST /api/v1/events`)",
        about: format!(
            "sendBeacon batches (`text/plain`, {EVENTS_PER_BATCH} events: a timed load, a view, an \
             interaction with n = 2) against nginx answering `return 204` (worker_processes auto) and \
             against a trivial axum handler on the same stack as the server, the same wrk script for \
             all three; × ceiling is against nginx. Rate limits are set far above the offered load. \
             2xx/429/other are the server's own counts (`/metrics`); wrk's Non-2xx for the ceilings. \
             After the run the server stops gracefully (final usage flush) and the stored counters \
             are summed: they must equal 4 × the 204s the server sent. wrk drops the requests in \
             flight when its time is up; the server answered them (counted, stored) but wrk never \
             read the answer, so \"in flight\" is the server's 204s minus wrk's, at most the \
             connection count. CPU µs / 2xx is the user + system CPU the process (nginx: master and \
             workers) used during its wrk run over its 2xx answers, and × ceiling's CPU is nginx's \
             CPU per answer over it: the cost of a request, which other load on the machine moves \
             much less than requests per second."
        ),
        tables,
        notes,
        profile,
    };
    sec.print();
    Ok(sec)
}

/// 2. Token verification (the config manifest) and submissions, SQLite and Postgres, cached and
///    cold tokens, against the trivial handler.
pub(crate) async fn tokens(dir: &Path, opts: &Opts) -> Result<Section> {
    let mut ceiling = procs::ceiling(dir).await?;
    let fake = ("00000000-0000-4000-8000-000000000000", "ck_pub_x");
    let c_manifest = wrk::run(
        dir,
        &ceiling.base,
        &manifest_shape(fake.0, fake.1),
        opts.conns,
        opts.secs,
    )?;
    let c_submit = wrk::run(
        dir,
        &ceiling.base,
        &submission_shape(fake.0, fake.1),
        opts.conns,
        opts.secs,
    )?;
    ceiling.stop()?;
    let mut manifest = Table::new(&THROUGHPUT_HEAD);
    manifest.head[0] = "token verification (GET config manifest)";
    manifest.row(row(
        "axum trivial handler",
        &c_manifest,
        c_manifest.rps,
        None,
    ));
    let mut submit = Table::new(&THROUGHPUT_HEAD);
    submit.head[0] = "submissions (POST, durable)";
    submit.row(row("axum trivial handler", &c_submit, c_submit.rps, None));
    let mut exact = Table::new(&[
        "submissions run",
        "201s the server sent",
        "rows stored",
        "stored without an answer (cancelled at wrk's stop)",
        "every 201 stored",
    ]);
    for postgres in [false, true] {
        for (cache, ttl) in [("cached", 5_000u64), ("cold", 0)] {
            let db = Db::new(dir, postgres, &format!("tokens_{cache}")).await?;
            let label = format!("ck-server, {}, {cache} token", db.label());
            let mut server = procs::server(dir, &db.opts(ttl), "ck-server").await?;
            let creds = drafts(&server.base, 1).await?;
            let (id, token) = &creds[0];
            let route = "/api/v1/widgets/{id}/config";
            let before = statuses(&server.base, route).await?;
            let r = wrk::run(
                dir,
                &server.base,
                &manifest_shape(id, token),
                opts.conns,
                opts.secs,
            )?;
            let st = diff(&settled(&server.base, route).await?, &before);
            manifest.row(row(&label, &r, c_manifest.rps, Some(&st)));
            let route = "/api/v1/submissions";
            let before = statuses(&server.base, route).await?;
            let r = wrk::run(
                dir,
                &server.base,
                &submission_shape(id, token),
                opts.conns,
                opts.secs,
            )?;
            let st = diff(&settled(&server.base, route).await?, &before);
            submit.row(row(&label, &r, c_submit.rps, Some(&st)));
            server.stop()?;
            let stored = u64::try_from(db.scalar("select count(*) from submissions").await?)?;
            let created = st.get(&201).copied().unwrap_or(0);
            // Every 201 must be stored. A few more rows are legitimate: wrk closes its connections
            // when its time is up, which cancels requests between their commit and their answer
            // (never more than one per connection).
            let ok = stored >= created && stored - created <= u64::from(opts.conns);
            exact.row(vec![
                label.clone(),
                int(created),
                int(stored),
                int(stored.saturating_sub(created)),
                if ok { "yes" } else { "NO" }.into(),
            ]);
            db.drop().await?;
        }
    }
    let sec = Section {
        title: "2. Token verification and submissions",
        about:
            "The config manifest (`GET /api/v1/widgets/{id}/config?token=…`: token verification, \
                instance lookup, JSON) and a form submission (`POST /api/v1/submissions`: \
                verification, config re-read, validation, insert, commit) with one draft's token. \
                Cached: the default per-process verification cache (`CK_TOKEN_CACHE_TTL_MS` 5000); \
                cold: TTL 0, so every request verifies against the database. × ceiling is against \
                a trivial axum handler on the same paths (a fixed JSON, no work) measured in the \
                same run."
                .into(),
        tables: vec![manifest, submit, exact],
        notes: Vec::new(),
        profile: None,
    };
    sec.print();
    Ok(sec)
}

/// 3. Two and three processes on one Postgres: pixel throughput per process with exact counters,
///    and the shared submissions and drafts limits holding across the processes.
pub(crate) async fn cluster(dir: &Path, opts: &Opts) -> Result<Section> {
    // Shared limits (per minute / burst) low enough to be reached within one run.
    const SUBMIT: (u64, u64) = (600, 20);
    const DRAFTS: (u64, u64) = (600, 10);
    let mut through = Table::new(&[
        "processes",
        "req/s per process",
        "req/s total",
        "× 1 process",
        "pixel 204s sent",
        "submissions 201",
        "events stored",
        "= 4 × 204s + 201s",
    ]);
    let mut limits = Table::new(&[
        "processes",
        "limit (shared on Postgres)",
        "requests",
        "2xx",
        "429",
        "2xx allowed by the shared limit",
        "holds",
    ]);
    let mut single = 0.0;
    for n in [1usize, 2, 3] {
        let db = Db::new(dir, true, &format!("cluster{n}")).await?;
        let mut sopts = db.opts(5_000);
        sopts.limits = vec![
            (
                "CK_LIMIT_SUBMISSIONS_TOKEN",
                format!("{}/{}", SUBMIT.0, SUBMIT.1),
            ),
            ("CK_LIMIT_DRAFTS_IP", format!("{}/{}", DRAFTS.0, DRAFTS.1)),
        ];
        procs::migrate(dir, &sopts)?;
        let mut servers = Vec::new();
        for i in 0..n {
            servers.push(procs::server(dir, &sopts, &format!("ck-server-{i}")).await?);
        }
        let creds = drafts(&servers[0].base, 1).await?;
        let (id, token) = &creds[0];
        let conns = (opts.conns / u32::try_from(n)?).max(1);
        // Pixel: one wrk per process, all at once.
        let route = "/api/v1/events";
        let reports =
            concurrently(dir, &servers, &pixel_shape(&creds), conns, opts.secs, route).await?;
        let per: Vec<f64> = reports.iter().map(|(r, _)| r.rps).collect();
        let total: f64 = per.iter().sum();
        if n == 1 {
            single = total;
        }
        let sent: u64 = reports
            .iter()
            .map(|(_, s)| s.get(&204).copied().unwrap_or(0))
            .sum();
        // Submissions and drafts against their shared limits, again on every process at once.
        let mut limit_rows = Vec::new();
        // Each stored submission also counts one interaction in the usage counters.
        let mut submitted = 0u64;
        for (what, shape, route, (per_min, burst)) in [
            (
                "submissions per token",
                submission_shape(id, token),
                "/api/v1/submissions",
                SUBMIT,
            ),
            ("drafts per IP", draft_shape(), "/api/v1/drafts", DRAFTS),
        ] {
            let secs = opts.secs.min(3);
            let started = std::time::Instant::now();
            let rs = concurrently(dir, &servers, &shape, conns, secs, route).await?;
            let elapsed = started.elapsed().as_secs_f64();
            let ok: u64 = rs.iter().map(|(_, s)| ok_count(s)).sum();
            let limited: u64 = rs
                .iter()
                .map(|(_, s)| s.get(&429).copied().unwrap_or(0))
                .sum();
            let requests: u64 = rs.iter().map(|(_, s)| s.values().sum::<u64>()).sum();
            // Burst plus what refills while the run lasts (the bucket is full again by the time
            // this starts: the pixel run took longer than the burst needs to refill).
            let allowed = burst + (per_min as f64 * elapsed / 60.0).ceil() as u64;
            if route == "/api/v1/submissions" {
                submitted = ok;
            }
            limit_rows.push(vec![
                n.to_string(),
                format!("{what}: {per_min}/min, burst {burst}"),
                int(requests),
                int(ok),
                int(limited),
                format!("≤ {}", int(allowed)),
                if ok <= allowed { "yes" } else { "NO" }.into(),
            ]);
        }
        for s in &mut servers {
            s.stop()?;
        }
        let stored = db.stored_events().await?;
        let expected = EVENTS_PER_BATCH * i64::try_from(sent)? + i64::try_from(submitted)?;
        through.row(vec![
            n.to_string(),
            per.iter().map(|r| rps(*r)).collect::<Vec<_>>().join(" + "),
            rps(total),
            ratio(total, single),
            int(sent),
            int(submitted),
            int(u64::try_from(stored)?),
            if stored == expected { "yes" } else { "NO" }.into(),
        ]);
        for r in limit_rows {
            limits.row(r);
        }
        db.drop().await?;
    }
    let sec = Section {
        title: "3. Several processes on one Postgres",
        about: format!(
            "1, 2 and 3 `ck-server` processes on one Postgres database (migrated once before they \
             start), one wrk per process at the same time ({} connections split between them), the \
             pixel with one token. The ceiling here is the single process of the same run; on 2 \
             cores more processes share the same CPUs, so the total cannot scale and the row shows \
             what coordination costs. Events stored must equal 4 × the 204s all processes sent plus one \
             interaction per stored submission (the limit runs below). \
             Then every process is hammered at once for a few seconds on endpoints whose limits are \
             documented as shared across processes on Postgres (`rate_limits` table): the 2xx \
             across all processes must stay within one limit's burst plus its refill, not N of them. \
             (The auth limits share the same table and code; they are not loaded here because \
             argon2 would dominate.)",
            opts.conns
        ),
        tables: vec![through, limits],
        notes: Vec::new(),
        profile: None,
    };
    sec.print();
    Ok(sec)
}

/// One wrk per server at the same time; each with the server's status counts for `route`.
async fn concurrently(
    dir: &Path,
    servers: &[Proc],
    shape: &Shape,
    conns: u32,
    secs: u64,
    route: &str,
) -> Result<Vec<(Report, BTreeMap<u16, u64>)>> {
    let mut before = Vec::new();
    for s in servers {
        before.push(statuses(&s.base, route).await?);
    }
    let children = servers
        .iter()
        .map(|s| wrk::start(dir, &s.base, shape, conns, secs))
        .collect::<Result<Vec<_>>>()?;
    let reports = children
        .into_iter()
        .map(wrk::finish)
        .collect::<Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for ((s, r), b) in servers.iter().zip(reports).zip(before) {
        out.push((r, diff(&settled(&s.base, route).await?, &b)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_counts_of_a_route() {
        let text = "# TYPE http_requests_total counter\n\
            http_requests_total{method=\"POST\",route=\"/api/v1/events\",status=\"204\"} 120\n\
            http_requests_total{method=\"POST\",route=\"/api/v1/events\",status=\"429\"} 3\n\
            http_requests_total{method=\"POST\",route=\"/api/v1/drafts\",status=\"201\"} 9\n";
        let s = parse_statuses(text, "/api/v1/events");
        assert_eq!(s, BTreeMap::from([(204, 120), (429, 3)]));
        assert_eq!(ok_count(&s), 120);
        assert_eq!(other_count(&s), 0);
        let before = BTreeMap::from([(204, 20)]);
        assert_eq!(diff(&s, &before), BTreeMap::from([(204, 100), (429, 3)]));
    }
}
