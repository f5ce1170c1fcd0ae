//! The processes under load: the release `ck-server`, nginx answering `return 204`, and the
//! trivial axum handler (this binary with `--ceiling PORT`). Each is its own process, started and
//! stopped by the bench, so the server and its ceilings compete for the same cores the same way.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// A free loopback port.
pub(crate) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A child process stopped with SIGTERM (then SIGKILL after `grace`) when dropped or stopped.
pub(crate) struct Proc {
    pub(crate) name: String,
    pub(crate) base: String,
    child: Option<Child>,
}

impl Proc {
    /// The process id (while running).
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGTERM and wait (graceful: ck-server drains and writes its final usage flush).
    pub(crate) fn stop(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let pid = libc::pid_t::try_from(child.id())?;
        // SAFETY: `pid` is our own child, not yet reaped (we hold its `Child`).
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait()? {
                if !status.success() && !self.name.starts_with("nginx") {
                    bail!("{} exited with {status}", self.name);
                }
                return Ok(());
            }
            if Instant::now() > deadline {
                child.kill()?;
                child.wait()?;
                bail!("{} did not stop within 30 s", self.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits until `url` answers (any HTTP status) or `child` exits.
async fn ready(child: &mut Child, name: &str, url: &str, log: &Path) -> Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if client.get(url).send().await.is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            bail!("{name} exited with {status} before answering:\n{log}");
        }
        if Instant::now() > deadline {
            bail!("{name} did not answer {url} within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn spawn_logged(mut cmd: Command, log: &Path) -> Result<Child> {
    let out = std::fs::File::create(log)?;
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))
}

/// nginx with one `location / { return 204; }`, its workers `auto` (one per core), no logs.
pub(crate) async fn nginx(dir: &Path) -> Result<Proc> {
    let port = free_port()?;
    let prefix = dir.join(format!("nginx-{port}"));
    std::fs::create_dir_all(&prefix)?;
    let p = prefix.display();
    let conf = format!(
        "worker_processes auto;\ndaemon off;\npid {p}/nginx.pid;\nerror_log {p}/error.log warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {p}/body;\n  proxy_temp_path {p}/proxy;\n  \
         fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n  \
         keepalive_requests 1000000;\n  \
         server {{\n    listen 127.0.0.1:{port};\n    location / {{ return 204; }}\n  }}\n}}\n"
    );
    let conf_path = prefix.join("nginx.conf");
    std::fs::write(&conf_path, conf)?;
    let nginx = ["/usr/sbin/nginx", "nginx"]
        .into_iter()
        .find(|n| Path::new(n).is_file() || which(n))
        .context("nginx is not installed (run `cargo xtask setup`)")?;
    let mut cmd = Command::new(nginx);
    cmd.arg("-p").arg(&prefix).arg("-c").arg(&conf_path);
    let log = prefix.join("stderr.log");
    let mut child = spawn_logged(cmd, &log)?;
    let base = format!("http://127.0.0.1:{port}");
    ready(&mut child, "nginx", &base, &log).await?;
    Ok(Proc {
        name: "nginx".into(),
        base,
        child: Some(child),
    })
}

fn which(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(name).is_file()))
}

/// The trivial-handler ceiling: this binary re-run with `--ceiling PORT`.
pub(crate) async fn ceiling(dir: &Path) -> Result<Proc> {
    let port = free_port()?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(["--ceiling", &port.to_string()]);
    let log = dir.join(format!("ceiling-{port}.log"));
    let mut child = spawn_logged(cmd, &log)?;
    let base = format!("http://127.0.0.1:{port}");
    ready(&mut child, "ceiling", &format!("{base}/api/healthz"), &log).await?;
    Ok(Proc {
        name: "axum trivial".into(),
        base,
        child: Some(child),
    })
}

/// Serves the trivial handlers on `port` until SIGTERM: the same paths as the server, answering
/// without any work (204 for the pixel, a small JSON for the manifest, 201 for a submission), on
/// the same stack (tokio multi-thread, axum, hyper) with the same worker count as `ck-server`.
pub(crate) fn serve_ceiling(port: u16) -> Result<()> {
    use axum::routing::{get, post};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let app = axum::Router::new()
            .route("/api/healthz", get(|| async { "ok" }))
            .route(
                "/api/v1/events",
                post(|_body: axum::body::Bytes| async { axum::http::StatusCode::NO_CONTENT }),
            )
            .route(
                "/api/v1/widgets/{id}/config",
                get(|| async {
                    (
                        [("content-type", "application/json")],
                        r#"{"type":"form","config":{},"flags":[]}"#,
                    )
                }),
            )
            .route(
                "/api/v1/submissions",
                post(|_body: axum::body::Bytes| async {
                    (
                        axum::http::StatusCode::CREATED,
                        [("content-type", "application/json")],
                        r#"{"id":"00000000-0000-0000-0000-000000000000"}"#,
                    )
                }),
            );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let term = async {
            let mut s =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            match s.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(term)
            .await?;
        Ok(())
    })
}

/// How a `ck-server` process is configured for a run.
#[derive(Clone)]
pub(crate) struct ServerOpts {
    pub(crate) database_url: String,
    /// Postgres: the RLS-bound application role's URL.
    pub(crate) database_app_url: Option<String>,
    /// `CK_TOKEN_CACHE_TTL_MS`: 0 makes every verification a database read (cold).
    pub(crate) token_cache_ttl_ms: u64,
    /// Limits set on purpose (`CK_LIMIT_…`, `per_minute/burst`); every other one is far above the
    /// offered load.
    pub(crate) limits: Vec<(&'static str, String)>,
}

/// Every limit far above any offered load (a 429 in a throughput run would measure the limiter).
const ROOMY: &str = "1000000000/100000000";

/// The release `ck-server` beside this binary (both in `target/release/`), or `CK_SERVER_BIN`.
pub(crate) fn server_bin() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("CK_SERVER_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let bin = std::env::current_exe()?
        .parent()
        .context("binary has a directory")?
        .join("ck-server");
    if !bin.is_file() {
        bail!(
            "{} is missing: `cargo build --release -p ck-server` (cargo xtask bench does)",
            bin.display()
        );
    }
    Ok(bin)
}

fn server_cmd(dir: &Path, opts: &ServerOpts) -> Result<Command> {
    let mut cmd = Command::new(server_bin()?);
    std::fs::create_dir_all(dir.join("dist"))?;
    std::fs::create_dir_all(dir.join("pages"))?;
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", &opts.database_url)
        .env("CK_DIST_DIR", dir.join("dist"))
        .env("CK_EXAMPLES_DIR", dir.join("pages"))
        .env("APP_ENV", "development")
        .env("JWT_SECRET", "bench-secret-bench-secret-bench-secret-0123")
        .env("CK_METRICS_TOKEN", METRICS_TOKEN)
        .env("CK_TOKEN_CACHE_TTL_MS", opts.token_cache_ttl_ms.to_string())
        .env("DATABASE_MAX_CONNECTIONS", "10");
    for limit in [
        "CK_LIMIT_EVENTS_TOKEN",
        "CK_LIMIT_EVENTS_IP",
        "CK_LIMIT_SUBMISSIONS_TOKEN",
        "CK_LIMIT_SUBMISSIONS_IP",
        "CK_LIMIT_DRAFTS_IP",
        "CK_LIMIT_CONFIG_IP",
        "CK_LIMIT_CONFIG_TOKEN",
    ] {
        cmd.env(limit, ROOMY);
    }
    for (limit, value) in &opts.limits {
        cmd.env(limit, value);
    }
    if let Some(app) = &opts.database_app_url {
        cmd.env("DATABASE_APP_URL", app);
    }
    Ok(cmd)
}

/// Bearer for `/metrics`.
pub(crate) const METRICS_TOKEN: &str = "bench-metrics";

/// `ck-server migrate` against the run's database (before several processes start on it).
pub(crate) fn migrate(dir: &Path, opts: &ServerOpts) -> Result<()> {
    let mut cmd = server_cmd(dir, opts)?;
    cmd.arg("migrate");
    let out = cmd.output()?;
    if !out.status.success() {
        bail!(
            "ck-server migrate failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Starts a release `ck-server` on a free port.
pub(crate) async fn server(dir: &Path, opts: &ServerOpts, name: &str) -> Result<Proc> {
    let port = free_port()?;
    let mut cmd = server_cmd(dir, opts)?;
    cmd.env("PORT", port.to_string())
        .env("CK_HOST", "127.0.0.1");
    let log = dir.join(format!("{name}-{port}.log"));
    let mut child = spawn_logged(cmd, &log)?;
    let base = format!("http://127.0.0.1:{port}");
    ready(&mut child, name, &format!("{base}/api/healthz"), &log).await?;
    Ok(Proc {
        name: name.into(),
        base,
        child: Some(child),
    })
}

/// CPU seconds (user + system) used so far by process `pid` and its children that are still
/// running (nginx's workers): read around a wrk run, it gives the CPU each request cost, which a
/// loaded machine changes much less than requests per second (those depend on what else runs).
pub(crate) fn cpu_secs(pid: u32) -> Option<f64> {
    fn ticks(stat: &str) -> Option<(u32, u64)> {
        // The fields after the command name (which is in parentheses and may hold spaces).
        let rest = stat.get(stat.rfind(')')? + 2..)?;
        let f: Vec<&str> = rest.split_whitespace().collect();
        // state(0) ppid(1) … utime(11) stime(12)
        Some((
            f.get(1)?.parse().ok()?,
            f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?,
        ))
    }
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = if hz > 0 { hz as f64 } else { 100.0 };
    let (_, own) = ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)?;
    let children: u64 = std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| ticks(&std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?))
        .filter(|(ppid, _)| *ppid == pid)
        .map(|(_, t)| t)
        .sum();
    Some((own + children) as f64 / hz)
}

/// `perf record` of `pid` (all its threads, call graphs) until [`Perf::report`].
pub(crate) struct Perf {
    child: Child,
    data: PathBuf,
}

impl Perf {
    pub(crate) fn start(dir: &Path, pid: u32) -> Result<Perf> {
        let data = dir.join(format!("perf-{pid}.data"));
        let child = Command::new("perf")
            .args(["record", "-F", "999", "-g", "-o"])
            .arg(&data)
            .args(["-p", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting perf (run `cargo xtask setup`)")?;
        Ok(Perf { child, data })
    }

    /// Stops the recording and returns the `top` symbols by self time (the flat profile).
    pub(crate) fn report(mut self, top: usize) -> Result<String> {
        let pid = libc::pid_t::try_from(self.child.id())?;
        // SAFETY: our own child; perf writes its data file on SIGINT.
        unsafe { libc::kill(pid, libc::SIGINT) };
        self.child.wait()?;
        let out = Command::new("perf")
            .args([
                "report",
                "--stdio",
                "--no-children",
                "--sort",
                "dso,symbol",
                "-g",
                "none",
                "-i",
            ])
            .arg(&self.data)
            .output()?;
        if !out.status.success() {
            bail!(
                "perf report failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        // perf pads the symbol column to the terminal width; keep "percent dso symbol".
        Ok(text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .take(top)
            .map(|l| {
                let words: Vec<&str> = l.split_whitespace().filter(|w| *w != "-").collect();
                words.join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n"))
    }
}
