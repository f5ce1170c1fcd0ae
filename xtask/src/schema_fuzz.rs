//! Schemathesis against `/api/openapi.json` of the real server, once on SQLite and once on a fresh
//! Postgres database: no 5xx and no response that contradicts the document (status codes, content
//! types, bodies). `cargo xtask test` runs a short bounded pass; `cargo xtask schema-fuzz` a long one.
//!
//! Schemathesis comes from PyPI, pinned, into a venv under `target/` (`cargo xtask setup` makes it;
//! a second run only checks the version). Requests carry a bearer token for a user that exists
//! only in the token (HS256 with the server's `JWT_SECRET`, as Supabase-issued tokens are
//! accepted), so the member routes are exercised past authentication.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::sh::{self, cmd, env_nonempty};

/// The schemathesis release the checks are written against.
const VERSION: &str = "4.32.5";
/// The server's JWT secret for these runs (the server refuses nothing in development).
const SECRET: &str = "schema-fuzz-secret-schema-fuzz-secret-0123456789";
/// Checks: server errors, and conformance of status codes, content types and bodies to the
/// document.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

fn venv(root: &Path) -> PathBuf {
    root.join("target/schemathesis")
}

/// Installs the pinned schemathesis into `target/schemathesis` unless it is there already.
pub(crate) fn setup(root: &Path) -> Result<PathBuf> {
    let dir = venv(root);
    let bin = dir.join("bin/schemathesis");
    let have = sh::output(Command::new(&bin).arg("--version")).unwrap_or_default();
    if have.contains(VERSION) {
        return Ok(bin);
    }
    println!(
        "setup: installing schemathesis {VERSION} into {}",
        dir.display()
    );
    sh::run(cmd("python3", &["-m", "venv"]).arg(&dir))?;
    sh::run(
        Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("schemathesis=={VERSION}")),
    )?;
    Ok(bin)
}

/// A server started for one run, killed on drop (its database goes with the run).
struct Server {
    child: Child,
    url: String,
    cleanup: Option<Command>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(c) = &mut self.cleanup {
            let _ = c.stdout(Stdio::null()).stderr(Stdio::null()).status();
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `GET path` over plain HTTP/1.0; the status code, or `None` when nothing answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

fn start(root: &Path, target: &Path, store: &str) -> Result<Server> {
    let port = free_port()?;
    let work = target.join("schema-fuzz");
    std::fs::create_dir_all(&work)?;
    let mut c = Command::new(target.join("debug/ck-server"));
    let mut cleanup = None;
    if store == "postgres" {
        let base = env_nonempty("CK_TEST_PG")
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".into());
        let db = format!("ck_schema_{}", std::process::id());
        let admin = format!("{base}/postgres");
        sh::run(&mut cmd(
            "psql",
            &[
                &admin,
                "-qc",
                &format!("drop database if exists {db} with (force)"),
            ],
        ))?;
        sh::run(&mut cmd(
            "psql",
            &[&admin, "-qc", &format!("create database {db}")],
        ))?;
        cleanup = Some(cmd(
            "psql",
            &[
                &admin,
                "-qc",
                &format!("drop database if exists {db} with (force)"),
            ],
        ));
        c.env("DATABASE_URL", format!("{base}/{db}")).env(
            "DATABASE_APP_URL",
            format!("{}/{db}", base.replacen("postgres@", "ck_app@", 1)),
        );
    } else {
        let file = work.join(format!("{}.sqlite", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
        c.env("DATABASE_URL", format!("sqlite://{}", file.display()));
    }
    let roomy = "600000/100000";
    c.env("PORT", port.to_string())
        .env("JWT_SECRET", SECRET)
        .env("STRIPE_WEBHOOK_SECRET", "whsec_schema_fuzz")
        .env("CK_DIST_DIR", root.join("dist"))
        .env("CK_EXAMPLES_DIR", root.join("examples/pages"))
        .env("RUST_LOG", "warn,ck_server::access=off")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for limit in [
        "CK_LIMIT_EVENTS_TOKEN",
        "CK_LIMIT_EVENTS_IP",
        "CK_LIMIT_SUBMISSIONS_TOKEN",
        "CK_LIMIT_SUBMISSIONS_IP",
        "CK_LIMIT_DRAFTS_IP",
        "CK_LIMIT_CONFIG_IP",
        "CK_LIMIT_AUTH_IP",
        "CK_LIMIT_AUTH_ACCOUNT_IP",
    ] {
        c.env(limit, roomy);
    }
    let mut server = Server {
        child: c.spawn().context("starting target/debug/ck-server")?,
        url: format!("http://127.0.0.1:{port}"),
        cleanup,
    };
    let started = Instant::now();
    while http_status(port, "/api/healthz") != Some(200) {
        if let Some(status) = server.child.try_wait()? {
            bail!("ck-server exited at start ({status})");
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("ck-server did not answer /api/healthz within 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(server)
}

/// An HS256 access token for a user that exists only in it (a Supabase-style token).
fn bearer() -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "sub": "00000000-0000-4000-8000-00000000f022",
        "role": "authenticated",
        "aud": "authenticated",
        "email": "schema-fuzz@example.com",
        "iat": now,
        "exp": now + 24 * 3600,
    });
    let claims = b64.encode(claims.to_string());
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(format!("{header}.{claims}").as_bytes());
    let signature = b64.encode(mac.finalize().into_bytes());
    format!("{header}.{claims}.{signature}")
}

/// Builds the server, then runs schemathesis for `secs` on each store. Fails on any finding.
pub(crate) fn run(root: &Path, target: &Path, secs: u64) -> Result<()> {
    let st = setup(root)?;
    sh::run(
        cmd("cargo", &["build", "--quiet", "-p", "ck-server"])
            .current_dir(root)
            .env("CARGO_TARGET_DIR", target),
    )?;
    let reports = target.join("schema-fuzz");
    let mut failed = Vec::new();
    for store in ["sqlite", "postgres"] {
        println!("\n==> schemathesis on {store}, {secs} s");
        let server = start(root, target, store)?;
        let report = reports.join(format!("{store}.junit.xml"));
        let mut c = Command::new(&st);
        c.args(["run", &format!("{}/api/openapi.json", server.url)])
            .args(["--checks", CHECKS])
            .args(["--max-time", &secs.to_string()])
            // One worker: CPython 3.11's AST constructor keeps its recursion depth in shared state
            // (python/cpython#106905), and hypothesis parses lambdas on every worker thread, so two
            // workers now and then abort a case with "AST constructor recursion depth mismatch".
            .args(["--workers", "1", "--request-timeout", "10"])
            .args(["--suppress-health-check", "too_slow,filter_too_much"])
            .args(["--header", &format!("Authorization: Bearer {}", bearer())])
            .args(["--report", "junit", "--report-junit-path"])
            .arg(&report)
            .args(["--no-color", "--warnings", "off"])
            // Its cache of found failures (`.schemathesis/`) goes there too, not into the tree.
            .current_dir(&reports);
        if let Err(e) = sh::run(&mut c) {
            failed.push(format!(
                "{store}: {e:#} (JUnit report: {})",
                report.display()
            ));
        }
        drop(server);
    }
    if !failed.is_empty() {
        bail!("schemathesis found problems: {}", failed.join("; "));
    }
    Ok(())
}
