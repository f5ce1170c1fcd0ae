//! What the form and announcement browser tests share: the real server on port 0, a real
//! headless Chromium driven over WebDriver (chromedriver), and axe-core fetched from npm.
//!
//! The WebDriver client is a few JSON calls over HTTP; elements inside the widgets' open shadow
//! roots are reached by returning them from `execute_script`.

#![allow(dead_code, unreachable_pub)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

/// WebDriver key codes.
pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";
pub const SPACE: &str = "\u{E00D}";
pub const SHIFT: &str = "\u{E008}";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The embed build the server serves. `variant` None: `dist/` as built by `cargo xtask dist`;
/// Some("announcement"): a scratch dist whose only release, `embed/v{version}/`, holds the loader
/// and that variant's glue and wasm (`dist/sizes/<variant>/`, also built by `cargo xtask dist`).
/// The server answers `/embed/latest/` from the newest `v*` folder, never from a folder named
/// `latest`, so the copy must be a version folder.
pub fn dist_dir(variant: Option<&str>, scratch: &Path) -> Result<PathBuf> {
    // CK_DIST_DIR: another build of the same layout (e.g. a scratch build while iterating).
    let dist = std::env::var("CK_DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("dist"));
    let latest = dist.join("embed/latest");
    if !latest.join("loader.js").is_file() || !latest.join("ck_bindings_bg.wasm").is_file() {
        bail!(
            "{} has no embed build: run `cargo xtask dist` first",
            latest.display()
        );
    }
    let Some(variant) = variant else {
        return Ok(dist);
    };
    let from = dist.join("sizes").join(variant);
    if !from.join("ck_bindings_bg.wasm").is_file() {
        bail!(
            "{} is missing: run `cargo xtask dist` (it builds one variant per widget feature)",
            from.display()
        );
    }
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(latest.join("manifest.json"))
            .with_context(|| format!("{} has no manifest.json", latest.display()))?,
    )?;
    let version = manifest["version"]
        .as_str()
        .context("manifest.json has no version")?;
    let out = scratch.join("dist");
    // No .gz/.br siblings: the server then sends the files uncompressed.
    let embed = out.join("embed").join(format!("v{version}"));
    std::fs::create_dir_all(&embed)?;
    std::fs::copy(latest.join("loader.js"), embed.join("loader.js"))?;
    for name in ["ck_bindings.js", "ck_bindings_bg.wasm"] {
        std::fs::copy(from.join(name), embed.join(name))?;
    }
    Ok(out)
}

/// A running server (real axum app, fresh SQLite database in a temp dir).
pub struct Server {
    pub base: String,
    /// The server's SQLite database (`sqlx` URL), for tests that break the store on purpose.
    pub database_url: String,
    running: Option<ck_server::Running>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start(variant: Option<&str>) -> Result<Server> {
        let dir = tempfile::tempdir()?;
        let mut config = ck_server::Config::for_tests(dir.path());
        config.dist_dir = dist_dir(variant, dir.path())?;
        config.examples_dir = repo_root().join("examples/pages");
        let database_url = config.database_url.clone();
        let running = ck_server::spawn(config).await?;
        Ok(Server {
            base: format!("http://{}", running.addr),
            database_url,
            running: Some(running),
            _dir: dir,
        })
    }

    /// Stops the server (graceful); later requests fail with a network error.
    pub async fn stop(&mut self) -> Result<()> {
        if let Some(running) = self.running.take() {
            running.shutdown().await?;
        }
        Ok(())
    }

    /// Creates an anonymous draft form with `config`; returns (instance id, embed token).
    pub async fn draft(&self, config: &Value) -> Result<(String, String)> {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/drafts", self.base))
            .json(&json!({"type": "form", "config": config}))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() {
            bail!("draft failed: {status} {body}");
        }
        let id = body["instance_id"]
            .as_str()
            .context("instance_id")?
            .to_owned();
        let token = body["embed_token"]
            .as_str()
            .context("embed_token")?
            .to_owned();
        Ok((id, token))
    }
}

/// chromedriver + one headless Chromium session.
pub struct Browser {
    driver: Child,
    url: String,
    http: reqwest::Client,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Browser {
    pub async fn start() -> Result<Browser> {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = free_port()?;
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {chromedriver}"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let base = format!("http://127.0.0.1:{port}");
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
                         "--no-first-run", "--window-size=1024,900", "--lang=en-US"]
            }
        }}});
        let reply: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await?
            .json()
            .await?;
        let session = reply["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session: {reply}"))?;
        Ok(Browser {
            driver,
            url: format!("{base}/session/{session}"),
            http,
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut request = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply: Value = request.send().await?.json().await?;
        if let Some(error) = reply["value"].get("error") {
            bail!(
                "webdriver {path}: {error} {}",
                reply["value"]["message"].as_str().unwrap_or_default()
            );
        }
        Ok(reply["value"].clone())
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .map(drop)
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) and returns its result.
    pub async fn eval(&self, script: &str, args: Value) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Like [`Browser::eval`] for asynchronous scripts: the last argument is the callback.
    pub async fn eval_async(&self, script: &str, args: Value) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
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
        self.call(
            reqwest::Method::POST,
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
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
        self.call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
        .await
    }

    /// Runs axe-core on `host` (its open shadow root included) and returns the serious and
    /// critical violations as "rule: target" lines.
    pub async fn axe_serious(&self, host: &str) -> Result<Vec<String>> {
        let source = axe_source()?;
        self.eval(
            "if (!window.axe) { (0, eval)(arguments[0]); } return !!window.axe;",
            json!([source]),
        )
        .await?;
        let result = self
            .eval_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document.querySelector(arguments[0]), {resultTypes: ['violations']})\
                   .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
                     .map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => JSON.stringify(n.target)).join(' '))))\
                   .catch(e => done(['axe failed: ' + e]));",
                json!([host]),
            )
            .await?;
        Ok(result
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// axe-core's `axe.min.js`: `CK_AXE_JS` if set, else the npm package unpacked once into
/// `target/axe-core/` (`npm pack axe-core@4`). Test-only: it never ships in the embed.
pub fn axe_source() -> Result<String> {
    if let Ok(path) = std::env::var("CK_AXE_JS") {
        return std::fs::read_to_string(&path).with_context(|| format!("reading {path}"));
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"));
    let dir = target.join("axe-core");
    let file = dir.join("package/axe.min.js");
    if !file.is_file() {
        std::fs::create_dir_all(&dir)?;
        let status = Command::new("npm")
            .args(["pack", "axe-core@4", "--silent"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .status()
            .context("running npm pack axe-core")?;
        if !status.success() {
            bail!("npm pack axe-core failed");
        }
        let tarball = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "tgz"))
            .context("axe-core tarball")?;
        let status = Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .current_dir(&dir)
            .status()?;
        if !status.success() {
            bail!("unpacking {} failed", tarball.display());
        }
    }
    std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))
}

/// Server + browser on the e2e page, with one form mounted from a real draft.
pub struct FormPage {
    pub server: Server,
    pub browser: Browser,
    pub id: String,
}

pub const HOST: &str = "#slot [data-ck-widget=form]";

impl FormPage {
    /// Starts everything and mounts the form of `config` (extra mount attributes in `attrs`).
    pub async fn open(config: &Value, attrs: &[(&str, &str)]) -> Result<FormPage> {
        let server = Server::start(None).await?;
        let (id, token) = server.draft(config).await?;
        let browser = Browser::start().await?;
        browser
            .goto(&format!("{}/form-e2e.html", server.base))
            .await?;
        let mut all = vec![
            ("data-ck-widget", "form"),
            ("data-ck-id", id.as_str()),
            ("data-ck-token", token.as_str()),
        ];
        all.extend_from_slice(attrs);
        browser
            .eval(
                "const el = document.createElement('div');\
                 for (const [k, v] of arguments[0]) el.setAttribute(k, v);\
                 document.getElementById('slot').appendChild(el);",
                json!([all]),
            )
            .await?;
        browser
            .wait_for(
                &format!(
                    "document.querySelector('{HOST}')?.shadowRoot?.querySelector('form button')"
                ),
                "the form to render",
            )
            .await?;
        Ok(FormPage {
            server,
            browser,
            id,
        })
    }

    /// `expr` evaluated with `root` bound to the form's shadow root.
    pub async fn in_root(&self, expr: &str) -> Result<Value> {
        self.browser
            .eval(
                &format!(
                    "const root = document.querySelector('{HOST}').shadowRoot; return ({expr});"
                ),
                json!([]),
            )
            .await
    }

    pub async fn field(&self, name: &str) -> Result<String> {
        self.browser
            .shadow(HOST, &format!("[name=\"{name}\"]"))
            .await
    }

    pub async fn events(&self, name: &str) -> Result<Vec<Value>> {
        let all = self
            .browser
            .eval(
                "return window.ckEvents.filter(e => e.name === arguments[0]);",
                json!([name]),
            )
            .await?;
        Ok(all.as_array().cloned().unwrap_or_default())
    }
}

/// A contact form config used by most tests.
pub fn contact_config() -> Value {
    json!({
        "title": "Contact us",
        "description": "We answer within a day.",
        "fields": [
            {"type": "text", "name": "name", "label": "Your name", "required": true},
            {"type": "email", "name": "email", "label": "Email", "required": true},
            {"type": "select", "name": "topic", "label": "Topic", "options": ["Sales", "Support"]},
            {"type": "radio", "name": "size", "label": "Team size", "options": ["1-10", "11+"]},
            {"type": "number", "name": "seats", "label": "Seats", "min": 1, "max": 100},
            {"type": "textarea", "name": "message", "label": "Message", "min_length": 5},
            {"type": "checkbox", "name": "agree", "label": "I agree to the terms", "required": true},
            {"type": "hidden", "name": "source", "value": "e2e"}
        ],
        "submit_label": "Send",
        "success_message": "Thanks, we got it!",
        "min_fill_ms": 300
    })
}
