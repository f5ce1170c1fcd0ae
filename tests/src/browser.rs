//! chromedriver + headless Chromium over plain WebDriver HTTP: a few JSON calls. Elements inside
//! the widgets' open shadow roots are addressed by JavaScript expressions (see [`Browser::shadow`]).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

/// WebDriver key codes for [`Browser::keys`].
pub mod keys {
    /// Tab.
    pub const TAB: &str = "\u{E004}";
    /// Enter.
    pub const ENTER: &str = "\u{E007}";
    /// Space.
    pub const SPACE: &str = "\u{E00D}";
    /// Arrow down.
    pub const ARROW_DOWN: &str = "\u{E015}";
    /// Escape.
    pub const ESCAPE: &str = "\u{E00C}";
    /// Shift (held by [`crate::Browser::chord`]).
    pub const SHIFT: &str = "\u{E008}";
}

/// chromedriver + one headless Chromium session. Dropping it ends the session and makes sure no
/// process of that browser is left (see `Session`), also when a test fails or panics.
pub struct Browser {
    http: reqwest::Client,
    session: Session,
}

/// What must not outlive a [`Browser`]: chromedriver, the WebDriver session and every Chromium
/// process it started, all of which carry the browser's own profile directory on their command
/// line. Killing chromedriver alone leaves Chromium running, so drop ends the session first.
///
/// chromedriver stays in the test's process group on purpose: a runner that stops a hung test by
/// signalling its group (nextest's timeout, Ctrl-C) stops its driver and browser with it.
struct Session {
    driver: Child,
    driver_addr: SocketAddr,
    id: Option<String>,
    profile: tempfile::TempDir,
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(id) = &self.id {
            // Chromium quits cleanly; a driver that does not answer is dealt with below.
            let _ = delete_session(self.driver_addr, id);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // Last resort (no session yet, a hung driver, a browser that ignored the driver):
        // whatever still runs with this browser's profile.
        kill_profile_processes(self.profile.path());
    }
}

/// `DELETE /session/{id}` over a plain blocking socket: `Drop` cannot await, and blocking on
/// the async client inside the test's runtime would panic. chromedriver answers once Chromium
/// has quit; it keeps the connection open, so the reply ends at its `Content-Length`.
fn delete_session(driver: SocketAddr, id: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect_timeout(&driver, Duration::from_secs(2))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        stream,
        "DELETE /session/{id} HTTP/1.1\r\nHost: {driver}\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    let mut chunk = [0; 1024];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        reply.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&reply);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if reply.len() >= end + 4 + length {
                return Ok(());
            }
        }
    }
}

/// SIGKILLs every process whose command line names `profile` until none is left (at most ~5 s).
/// Killing the browser process also ends its crash handler, which does not name the profile.
#[cfg(target_os = "linux")]
fn kill_profile_processes(profile: &Path) {
    let needle = format!("--user-data-dir={}", profile.display());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let pids: Vec<i32> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|args| args.split(|&b| b == 0).any(|a| a == needle.as_bytes()))
            })
            .collect();
        if pids.is_empty() || Instant::now() > deadline {
            return;
        }
        for pid in pids {
            // SAFETY: kill(2) with a pid read from /proc this moment and a constant signal.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(not(target_os = "linux"))]
fn kill_profile_processes(_profile: &Path) {}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A fresh Chromium profile directory: under `CK_BROWSER_ROOT` when set (`cargo xtask test` sets
/// it per run, then checks that no process naming it is left), else in the system temp dir.
fn profile_dir() -> Result<tempfile::TempDir> {
    let builder = tempfile::Builder::new().prefix("chromium-").to_owned();
    Ok(match std::env::var_os("CK_BROWSER_ROOT") {
        Some(root) => {
            std::fs::create_dir_all(&root)?;
            builder.tempdir_in(root)?
        }
        None => builder.tempdir()?,
    })
}

impl Browser {
    /// Starts chromedriver (`CHROMEDRIVER`, default `/usr/bin/chromedriver`) and one headless
    /// Chromium session (`CHROME`, default `/usr/bin/chromium`) with a fresh profile.
    pub async fn start() -> Result<Browser> {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let profile = profile_dir()?;
        let port = free_port()?;
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {chromedriver}"))?;
        // From here on every early return drops `session`, which cleans up.
        let mut session = Session {
            driver,
            driver_addr: SocketAddr::from(([127, 0, 0, 1], port)),
            id: None,
            profile,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let base = format!("http://{}", session.driver_addr);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            if Instant::now() > deadline {
                bail!("chromedriver did not start");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let binary = std::env::var("CHROME").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update",
                         "--no-first-run", "--window-size=1024,900", "--lang=en-US",
                         format!("--user-data-dir={}", session.profile.path().display())]
            }
        }}});
        let reply: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await?
            .json()
            .await?;
        let id = reply["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session: {reply}"))?;
        session.id = Some(id.to_owned());
        Ok(Browser { http, session })
    }

    /// A WebDriver command of this session (all the harness sends are POSTs with a JSON body).
    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        let url = format!(
            "http://{}/session/{}{path}",
            self.session.driver_addr,
            self.session.id.as_deref().unwrap_or_default()
        );
        let reply: Value = self.http.post(url).json(&body).send().await?.json().await?;
        if let Some(error) = reply["value"].get("error") {
            bail!(
                "webdriver {path}: {error} {}",
                reply["value"]["message"].as_str().unwrap_or_default()
            );
        }
        Ok(reply["value"].clone())
    }

    /// Navigates to `url` and waits for the load.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.post("/url", json!({ "url": url })).await.map(drop)
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) and returns its result.
    pub async fn eval(&self, script: &str, args: Value) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Like [`Browser::eval`] for asynchronous scripts: the last argument is the callback.
    pub async fn eval_async(&self, script: &str, args: Value) -> Result<Value> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
            .await
    }

    /// Polls `condition` (a JS expression) until it is truthy.
    pub async fn wait_for(&self, condition: &str, what: &str) -> Result<()> {
        let script = format!("return !!({condition});");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if self.eval(&script, json!([])).await?.as_bool() == Some(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for {what} ({condition})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A JS expression for the element `selector` inside the shadow root of the first `host`
    /// element (chromedriver does not hand out references to shadow-tree elements returned from
    /// scripts, so elements are addressed by expression). Fails if it does not exist.
    pub async fn shadow(&self, host: &str, selector: &str) -> Result<String> {
        let expr = format!(
            "document.querySelector({}).shadowRoot.querySelector({})",
            json!(host),
            json!(selector)
        );
        if self.eval(&format!("return !!({expr});"), json!([])).await? != json!(true) {
            bail!("no element {selector} in {host}'s shadow root");
        }
        Ok(expr)
    }

    /// Focuses the element (`expr` from [`Browser::shadow`]) and types `text` with real key
    /// events.
    pub async fn type_into(&self, expr: &str, text: &str) -> Result<()> {
        self.eval(&format!("({expr}).focus();"), json!([])).await?;
        self.keys(&[text]).await
    }

    /// Clicks the element (`expr` from [`Browser::shadow`]).
    pub async fn click(&self, expr: &str) -> Result<()> {
        self.eval(&format!("({expr}).click();"), json!([]))
            .await
            .map(drop)
    }

    /// Presses keys on whatever has focus (WebDriver actions: a real keyboard, no element
    /// targeting). Each string is typed key by key.
    pub async fn keys(&self, keys: &[&str]) -> Result<()> {
        let mut actions = Vec::new();
        for key in keys {
            for c in key.chars() {
                actions.push(json!({"type": "keyDown", "value": c.to_string()}));
                actions.push(json!({"type": "keyUp", "value": c.to_string()}));
            }
        }
        self.post(
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .await
        .map(drop)
    }

    /// Presses `keys` together (all down in order, then all up in reverse): `[SHIFT, TAB]`.
    pub async fn chord(&self, keys: &[&str]) -> Result<()> {
        let down = keys.iter().map(|k| json!({"type": "keyDown", "value": k}));
        let up = keys
            .iter()
            .rev()
            .map(|k| json!({"type": "keyUp", "value": k}));
        let actions: Vec<Value> = down.chain(up).collect();
        self.post(
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .await
        .map(drop)
    }

    /// Emulates a viewport `width` CSS px wide (window sizes have a platform minimum; the
    /// DevTools override does not).
    pub async fn set_width(&self, width: u32) -> Result<()> {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await
        .map(drop)
    }

    /// A Chrome DevTools Protocol command (chromedriver's `goog/cdp/execute`).
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        self.post("/goog/cdp/execute", json!({"cmd": cmd, "params": params}))
            .await
    }

    /// The runtime events named `name` the page recorded, oldest first (the test pages'
    /// `embed-test.js` pushes every standard event to `window.ckEvents`).
    pub async fn events(&self, name: &str) -> Result<Vec<Value>> {
        let all = self
            .eval(
                "return window.ckEvents.filter(e => e.name === arguments[0]);",
                json!([name]),
            )
            .await?;
        Ok(all.as_array().cloned().unwrap_or_default())
    }

    /// Waits until the page has recorded at least `at_least` runtime events named `name`.
    pub async fn wait_events(&self, name: &str, at_least: u64) -> Result<()> {
        self.wait_for(
            &format!(
                "window.ckEvents.filter(e => e.name === {}).length >= {at_least}",
                json!(name)
            ),
            &format!("{at_least} {name} event(s)"),
        )
        .await
    }
}
