//! `cargo xtask test` (what CI runs), `size` (the size gate) and `bench`.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use size_budget::{check, deps, manifest, BudgetFile};

use crate::browsers::{self, RunMark};
use crate::dist::{self, Opts};
use crate::sh::{self, cmd, env_nonempty, on_path, run_counting, Counts};
use crate::toolchain::{self, Wasm, WASM_TARGET};

/// The crates compiled to wasm: clippy checks them for wasm32 too.
const WASM_CRATES: &[&str] = &[
    "ck-runtime",
    "ck-form",
    "ck-form-check",
    "ck-bindings",
    "ck-announcement",
    "ck-rating",
    "ck-modes",
];
/// The crates with `wasm_bindgen_test` browser tests.
const WASM_TEST_CRATES: &[&str] = &["ck-runtime", "ck-form"];
/// Seconds of the short schemathesis pass per store (`cargo xtask schema-fuzz` runs longer).
const SCHEMA_FUZZ_SECS: u64 = 45;
const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The size gate: budgets table, wasm dependency allowlist, manifest check.
pub(crate) fn size(root: &Path, target: &Path) -> Result<()> {
    let latest = root.join("dist/embed/latest");
    // Budgets read the release itself (core and chunks): variant builds are optional extras.
    // A dist/ that exists is measured as built, with its own widget set, never rebuilt.
    if !latest.join("manifest.json").is_file() {
        println!("size: dist/ has no release; building it first (every widget)");
        let wasm = toolchain::detect()?;
        dist::dist(
            root,
            target,
            wasm,
            &Opts {
                skip_variants: true,
                features: Vec::new(),
                widgets: None,
            },
        )?;
    }
    let mut problems = Vec::new();
    match manifest::verify(&latest) {
        Ok(m) => println!(
            "manifest: dist/embed/latest/manifest.json v{} matches {} files on disk",
            m.version,
            m.files.len()
        ),
        Err(e) => problems.push(format!("manifest: {e:#}")),
    }
    let allow_path = root.join("wasm-deps.allow");
    let allow = deps::Allowlist::load(&allow_path)?;
    // The features that ship: the release's widget set (every chunk), not allocator experiments.
    let widgets: Vec<String> = match dist::built_widgets(root) {
        Some(w) => w,
        None => dist::bindings(root)?
            .widgets()
            .into_iter()
            .map(String::from)
            .collect(),
    };
    let widgets: Vec<&str> = widgets.iter().map(String::as_str).collect();
    println!("size: widget set of the release: {}", widgets.join(", "));
    let graph = deps::wasm_graph(&root.join("Cargo.toml"), "ck-bindings", &widgets)?;
    let bad = allow.violations(&graph);
    if bad.is_empty() {
        println!(
            "wasm dependency allowlist: {} crates in the wasm graph, all allowed: {}",
            graph.len(),
            graph.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    } else {
        problems.push(format!(
            "wasm dependency allowlist: not allowed into the wasm: {} (see {})",
            bad.join(", "),
            allow_path.display()
        ));
    }
    if let Ok(levels) = std::fs::read_to_string(root.join("dist/sizes/wasm-opt-levels.md")) {
        println!("\nwasm-opt levels (chosen = smallest gzip + brotli):\n{levels}");
    }
    if let Ok(increments) = std::fs::read_to_string(root.join("dist/sizes/increments.md")) {
        println!("widget increments (bytes):\n{increments}");
    }
    let report = check(&BudgetFile::load(&root.join("size-budget.json"))?)?;
    println!("\nsize budgets:\n{}", report.table());
    for f in report.failures() {
        problems.push(format!("size budget exceeded: {f}"));
    }
    if problems.is_empty() {
        println!("size gate: all {} budgets within limits", report.rows.len());
        Ok(())
    } else {
        for p in &problems {
            eprintln!("{p}");
        }
        bail!("size gate failed: {}", problems.join("; "))
    }
}

/// `host:port` of a postgres URL (`postgres://user@host:port/db?…`).
fn pg_addr(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let hostport = authority.rsplit('@').next()?;
    if hostport.is_empty() {
        return None;
    }
    Some(if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:5432")
    })
}

fn reachable(addr: &str) -> bool {
    addr.to_socket_addrs().is_ok_and(|mut addrs| {
        addrs.any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
    })
}

/// Makes sure the Postgres the tests use is up; under CI a dead one fails the run up front.
fn postgres() -> Result<String> {
    let url = env_nonempty("CK_TEST_PG")
        .or_else(|| env_nonempty("DATABASE_URL").filter(|u| u.starts_with("postgres")))
        .unwrap_or_else(|| DEFAULT_PG.into());
    let addr = pg_addr(&url).with_context(|| format!("cannot read host:port from {url:?}"))?;
    if reachable(&addr) {
        return Ok(format!("Postgres at {addr} is up"));
    }
    if let Ok(mut versions) = std::fs::read_dir("/etc/postgresql") {
        if let Some(Ok(v)) = versions.next() {
            let v = v.file_name().to_string_lossy().into_owned();
            println!("test: Postgres at {addr} is down; starting cluster {v}/main");
            let _ = sh::run(&mut cmd(
                "pg_ctlcluster",
                &["--skip-systemctl-redirect", &v, "main", "start"],
            ));
            for _ in 0..20 {
                if reachable(&addr) {
                    return Ok(format!("Postgres at {addr} started"));
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
    if env_nonempty("CI").is_some_and(|v| v == "true" || v == "1") {
        bail!("Postgres at {addr} ({url}) is unreachable and CI=true: the database tests cannot run, failing instead of skipping them");
    }
    Ok(format!(
        "WARNING: Postgres at {addr} is unreachable; database tests will fail (set CK_TEST_PG)"
    ))
}

enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

struct Step {
    name: String,
    outcome: Outcome,
    took: Duration,
}

struct Run {
    steps: Vec<Step>,
    counts: Counts,
}

impl Run {
    fn step(&mut self, name: &str, f: impl FnOnce(&mut Counts) -> Result<Option<String>>) -> bool {
        println!("\n==> {name}");
        let start = Instant::now();
        let mut counts = Counts::default();
        let outcome = match f(&mut counts) {
            Ok(None) => Outcome::Passed,
            Ok(Some(reason)) => Outcome::Skipped(reason),
            Err(e) => {
                eprintln!("==> {name} FAILED: {e:#}");
                Outcome::Failed(format!("{e:#}"))
            }
        };
        self.counts.add(counts);
        let ok = !matches!(outcome, Outcome::Failed(_));
        self.steps.push(Step {
            name: name.to_string(),
            outcome,
            took: start.elapsed(),
        });
        ok
    }

    fn summary(&self) -> bool {
        println!("\n==> summary");
        for s in &self.steps {
            let (word, note) = match &s.outcome {
                Outcome::Passed => ("ok", String::new()),
                Outcome::Skipped(r) => ("skipped", format!(" ({r})")),
                Outcome::Failed(e) => (
                    "FAILED",
                    format!(" ({})", e.lines().next().unwrap_or_default()),
                ),
            };
            println!(
                "{:<8} {:>6.1}s  {}{}",
                word,
                s.took.as_secs_f64(),
                s.name,
                note
            );
        }
        self.steps
            .iter()
            .all(|s| !matches!(s.outcome, Outcome::Failed(_)))
    }
}

fn counted(c: &mut Command, counts: &mut Counts) -> Result<()> {
    let (result, found) = run_counting(c);
    counts.add(found);
    result
}

fn cargo(root: &Path, target: &Path, args: &[&str]) -> Command {
    let mut c = cmd("cargo", args);
    c.current_dir(root).env("CARGO_TARGET_DIR", target);
    c
}

/// Everything CI checks, in an order where the cheap checks fail first; every step runs even
/// after a failure so one run shows every problem, then the exit code says whether all passed.
pub(crate) fn test(root: &Path, target: &Path) -> Result<()> {
    let started = Instant::now();
    let mut r = Run {
        steps: Vec::new(),
        counts: Counts::default(),
    };
    let mut wasm: Option<Wasm> = None;
    let setup_ok = r.step("setup", |_| {
        wasm = Some(toolchain::setup(root, target)?);
        Ok(None)
    });
    let pg_ok = r.step("postgres", |_| {
        println!("{}", postgres()?);
        Ok(None)
    });
    if !setup_ok || !pg_ok {
        r.summary();
        bail!("cannot test without the toolchain and the database (see above)");
    }
    let wasm = wasm.expect("setup succeeded");
    // Every test command carries it; the last check finds the browsers they left running.
    let mark = RunMark::new(target)?;

    r.step("cargo fmt --check", |_| {
        sh::run(&mut cargo(root, target, &["fmt", "--all", "--check"]))?;
        Ok(None)
    });
    r.step("clippy (host, all targets)", |_| {
        sh::run(&mut cargo(
            root,
            target,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ))?;
        Ok(None)
    });
    r.step("clippy (wasm32)", |_| {
        if !wasm.has_wasm_clippy() {
            return Ok(Some(
                "Debian's rustc-web ships no clippy; the wasm crates were linted for the host target above".into(),
            ));
        }
        let mut c = cargo(root, target, &["clippy", "--target", WASM_TARGET, "--lib", "--tests"]);
        for p in WASM_CRATES {
            c.args(["-p", p]);
        }
        c.args(["--", "-D", "warnings"]);
        sh::run(&mut c)?;
        Ok(None)
    });
    let dist_ok = r.step("embed build (dist)", |_| {
        let opts = Opts {
            skip_variants: false,
            features: Vec::new(),
            widgets: None,
        };
        dist::dist(root, target, wasm, &opts)?;
        Ok(None)
    });
    let release = root.join("dist/embed").join(format!(
        "v{}",
        dist::bindings(root).map(|b| b.version).unwrap_or_default()
    ));

    r.step("host tests", |counts| {
        let nextest = sh::succeeds(&mut cmd("cargo", &["nextest", "--version"]));
        let mut c = if nextest {
            cargo(
                root,
                target,
                &[
                    "nextest",
                    "run",
                    "--workspace",
                    "--no-fail-fast",
                    "--failure-output",
                    "final",
                ],
            )
        } else {
            cargo(root, target, &["test", "--workspace", "--no-fail-fast"])
        };
        c.env("CHROMEDRIVER", toolchain::chromedriver())
            .env("CK_DIST_DIR", root.join("dist"))
            .env(browsers::ROOT_ENV, mark.dir());
        if dist_ok {
            // Lets size-budget's manifest test check the real release, not only its fixtures.
            c.env("CK_DIST_MANIFEST_DIR", &release);
        }
        let first = counted(&mut c, counts);
        // nextest does not run doctests.
        let docs = if nextest {
            counted(
                &mut cargo(
                    root,
                    target,
                    &["test", "--workspace", "--doc", "--no-fail-fast"],
                ),
                counts,
            )
        } else {
            Ok(())
        };
        first.and(docs)?;
        Ok(None)
    });
    r.step("schema fuzz (schemathesis, SQLite + Postgres)", |_| {
        crate::schema_fuzz::run(root, target, SCHEMA_FUZZ_SECS)?;
        Ok(None)
    });
    r.step("wasm tests (headless Chromium)", |counts| {
        if !on_path("wasm-bindgen-test-runner") {
            bail!("wasm-bindgen-test-runner is not on PATH (cargo xtask setup installs it)");
        }
        let mut c = wasm.cargo();
        c.current_dir(root).env("CARGO_TARGET_DIR", target).args([
            "test",
            "--target",
            WASM_TARGET,
            "--no-fail-fast",
        ]);
        if !wasm.prebuilt_std() {
            c.arg("-Zbuild-std=std,panic_abort");
        }
        for p in WASM_TEST_CRATES {
            c.args(["-p", p]);
        }
        c.env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", toolchain::chromedriver())
        .env(browsers::ROOT_ENV, mark.dir())
        .env(
            "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
            root.join("webdriver.json"),
        )
        .env(
            "WASM_BINDGEN_TEST_TIMEOUT",
            env_nonempty("WASM_BINDGEN_TEST_TIMEOUT").unwrap_or_else(|| "120".into()),
        );
        counted(&mut c, counts)?;
        if counts.passed + counts.failed == 0 {
            return Ok(Some(format!(
                "no wasm_bindgen_test tests in {} yet",
                WASM_TEST_CRATES.join(", ")
            )));
        }
        Ok(None)
    });
    r.step("no browser or driver left running", |_| mark.check());
    r.step("size gate", |_| {
        if !dist_ok {
            bail!("the embed build failed, nothing to measure");
        }
        size(root, target)?;
        Ok(None)
    });

    let all_ok = r.summary();
    println!("total {:.0?}", started.elapsed());
    // One closing line in the plain form CI tools read: the tests counted from every runner.
    println!(
        "tests: {} passed, {} failed, {} skipped",
        r.counts.passed, r.counts.failed, r.counts.skipped
    );
    if !all_ok {
        bail!("some checks failed (summary above)");
    }
    Ok(())
}

fn bin_exists(meta: &serde_json::Value, package: &str, bin: &str) -> bool {
    meta["packages"].as_array().is_some_and(|ps| {
        ps.iter().filter(|p| p["name"] == package).any(|p| {
            p["targets"].as_array().is_some_and(|ts| {
                ts.iter().any(|t| {
                    t["name"] == bin
                        && t["kind"]
                            .as_array()
                            .is_some_and(|k| k.iter().any(|k| k == "bin"))
                })
            })
        })
    })
}

/// Runs each benchmark binary that exists and prints its table.
pub(crate) fn bench(root: &Path) -> Result<()> {
    let meta = sh::output(
        cmd("cargo", &["metadata", "--no-deps", "--format-version", "1"]).current_dir(root),
    )?;
    let meta: serde_json::Value = serde_json::from_str(&meta)?;
    // The single-file embed the bench measures against the wave (never a release file).
    let single = crate::single::build(root)?;
    let mut ran = 0;
    for (package, bin) in [
        ("ck-e2e", "embed-bench"),
        ("ck-e2e", "runtime-bench"),
        ("ck-build", "icons-bench"),
    ] {
        if !bin_exists(&meta, package, bin) {
            println!("bench: {package} has no `{bin}` binary yet; skipped");
            continue;
        }
        // CK_BENCH_PROFILE=dev skips the release build (a machine short of time or cores); the
        // server is then unoptimised, which shows in the unthrottled rows.
        let profile = if env_nonempty("CK_BENCH_PROFILE").as_deref() == Some("dev") {
            "--profile=dev"
        } else {
            "--release"
        };
        sh::run(
            cmd(
                "cargo",
                &["run", "--quiet", profile, "-p", package, "--bin", bin],
            )
            .current_dir(root)
            .env("CHROMEDRIVER", toolchain::chromedriver())
            .env("CK_SINGLE_DIST", &single),
        )?;
        ran += 1;
    }
    println!("bench: {ran} benchmark(s) ran");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_postgres_host_and_port() {
        assert_eq!(pg_addr(DEFAULT_PG).as_deref(), Some("127.0.0.1:5432"));
        assert_eq!(
            pg_addr("postgres://u:p@db.local:6543/x?sslmode=disable").as_deref(),
            Some("db.local:6543")
        );
        assert_eq!(
            pg_addr("postgresql://localhost/x").as_deref(),
            Some("localhost:5432")
        );
        assert_eq!(pg_addr("nonsense"), None);
    }

    #[test]
    fn finds_bins_in_metadata() {
        let meta = serde_json::json!({"packages":[{"name":"ck-build","targets":[
            {"name":"ck_build","kind":["lib"]},{"name":"icons-bench","kind":["bin"]}]}]});
        assert!(bin_exists(&meta, "ck-build", "icons-bench"));
        assert!(!bin_exists(&meta, "ck-build", "ck_build"));
        assert!(!bin_exists(&meta, "ck-e2e", "embed-bench"));
    }
}
