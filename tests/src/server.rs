//! The real server (`ck_server::spawn` on port 0, a fresh SQLite database in a temp dir) serving
//! an embed build, the builder, the test pages of `examples/pages/` under `/dev/`, and the demo
//! sites of `examples/sites/` on a second port (another origin), as `cargo xtask run` does.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

/// The workspace root (the parent of `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The embed build the server serves. `variant` None: `dist/` as built by `cargo xtask dist`;
/// Some("announcement"): a scratch dist whose only release, `embed/v{version}/`, holds that
/// variant's loader (no lazy chunks), glue and wasm (`dist/sizes/<variant>/`, also built by
/// `cargo xtask dist`).
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
    // The variant's loader knows no lazy chunks: it fetches `core.wasm`, the variant's wasm.
    for name in [
        "loader.js",
        "ck_bindings.js",
        "ck_bindings_bg.wasm",
        "core.wasm",
    ] {
        std::fs::copy(from.join(name), embed.join(name))?;
    }
    Ok(out)
}

/// A running server (real axum app, fresh SQLite database in a temp dir).
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `http://127.0.0.1:PORT2`: the demo sites (`examples/sites/`), another origin.
    pub sites: String,
    /// The server's SQLite database (`sqlx` URL), for tests that break the store on purpose.
    pub database_url: String,
    /// Where [`Server::write_page`] writes: a [`Server::publisher`]'s scratch pages folder.
    pages: Option<PathBuf>,
    running: Option<ck_server::Running>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts the server with the embed build `variant` (see [`dist_dir`]).
    pub async fn start(variant: Option<&str>) -> Result<Server> {
        Self::serving(variant, None).await
    }

    /// A server for a publisher's page written by the test ([`Server::write_page`]) and loaded
    /// cross-origin, as on a real site: the page from [`Server::base`] (`127.0.0.1`), the embed
    /// and the API from [`Server::embed_origin`] (`localhost`, another origin to the browser).
    pub async fn publisher() -> Result<Server> {
        Self::serving(None, Some("pages")).await
    }

    /// [`Server::publisher`] serving the embed from `dist` (a folder with `embed/v{version}/`,
    /// e.g. the bench-only single-file build) instead of [`dist_dir`]'s.
    pub async fn publisher_with_dist(dist: PathBuf) -> Result<Server> {
        Self::serving_dist(Some(dist), None, Some("pages")).await
    }

    async fn serving(variant: Option<&str>, scratch_pages: Option<&str>) -> Result<Server> {
        Self::serving_dist(None, variant, scratch_pages).await
    }

    async fn serving_dist(
        dist: Option<PathBuf>,
        variant: Option<&str>,
        scratch_pages: Option<&str>,
    ) -> Result<Server> {
        let dir = tempfile::tempdir()?;
        let mut config = ck_server::Config::for_tests(dir.path());
        config.dist_dir = match dist {
            Some(dist) => dist,
            None => dist_dir(variant, dir.path())?,
        };
        let pages = scratch_pages.map(|name| dir.path().join(name));
        config.examples_dir = match &pages {
            Some(pages) => {
                std::fs::create_dir_all(pages)?;
                pages.clone()
            }
            None => repo_root().join("examples/pages"),
        };
        config.sites_port = Some(0);
        config.sites_dir = repo_root().join("examples/sites");
        config.sites_vendor_dir = repo_root().join("target/js-tools");
        let database_url = config.database_url.clone();
        let running = ck_server::spawn(config).await?;
        let sites = running.sites_addr.context("the demo sites did not start")?;
        Ok(Server {
            base: format!("http://{}", running.addr),
            sites: format!("http://{sites}"),
            database_url,
            pages,
            running: Some(running),
            _dir: dir,
        })
    }

    /// `http://localhost:PORT`: the same server under another origin (the embed's, on a
    /// publisher's page served from [`Server::base`]).
    pub fn embed_origin(&self) -> String {
        self.base.replace("127.0.0.1", "localhost")
    }

    /// The URL of the test page `name` (`examples/pages/`, or a [`Server::write_page`] page).
    pub fn page(&self, name: &str) -> String {
        format!("{}/dev/{name}", self.base)
    }

    /// Writes the test page `name` (served at [`Server::page`]); for a [`Server::publisher`].
    pub fn write_page(&self, name: &str, html: &str) -> Result<()> {
        let pages = self
            .pages
            .as_ref()
            .context("write_page needs a Server::publisher (the demo pages are the repo's)")?;
        std::fs::write(pages.join(name), html).with_context(|| format!("writing page {name}"))
    }

    /// Stops the server (graceful); later requests fail with a network error.
    pub async fn stop(&mut self) -> Result<()> {
        if let Some(running) = self.running.take() {
            running.shutdown().await?;
        }
        Ok(())
    }

    /// One number from the server's SQLite database (e.g. `select count(*) from submissions`).
    pub async fn scalar(&self, sql: &str) -> Result<i64> {
        use sqlx::Connection as _;
        let mut db = sqlx::SqliteConnection::connect(&self.database_url).await?;
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut db).await?;
        db.close().await?;
        Ok(n)
    }

    /// Puts instance `id` (a draft) into a new workspace on an active `pro` subscription, as
    /// the Stripe webhook mirror would, so its config manifest serves the plan's flags
    /// (`remove_branding`, …). Written straight into the server's SQLite database: a workspace
    /// needs a creator, and this one's is a placeholder (foreign keys off for this connection).
    pub async fn give_pro_plan(&self, id: &str) -> Result<()> {
        use sqlx::Connection as _;
        let mut db = sqlx::SqliteConnection::connect(&self.database_url).await?;
        let ws = uuid_blob(&format!("{:032x}", 0xe2e_u128));
        let instance = uuid_blob(&id.replace('-', ""));
        for sql in [
            "PRAGMA foreign_keys = OFF".to_owned(),
            format!("insert into workspaces (id, name, created_by) values ({ws}, 'Pro', {ws})"),
            format!("update widget_instances set workspace_id = {ws} where id = {instance}"),
            format!(
                "insert into stripe_subscriptions (id, customer_id, workspace_id, status, plan) \
                 values ('sub_e2e', 'cus_e2e', {ws}, 'active', 'pro')"
            ),
        ] {
            sqlx::raw_sql(&sql).execute(&mut db).await?;
        }
        db.close().await?;
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

/// A UUID's 32 hex digits as an SQLite blob literal (how the server stores ids).
fn uuid_blob(hex: &str) -> String {
    format!("X'{hex}'")
}
