//! Project commands, run as `cargo xtask <command>` (alias in `.cargo/config.toml`):
//!
//! ```text
//! setup                     install what a fresh machine is missing (quiet when nothing is)
//! dist [--skip-variants] [--features a,b] [--widgets a,b]
//!                           build the embed into dist/embed/v{version}/ and dist/embed/latest/
//! size                      size gate on dist/ (builds it first when missing) + wasm dep allowlist
//! top [-n 20] [--variant bare|form|…]
//!                           largest functions and bytes per crate of the embed's wasm
//! test                      everything CI checks: fmt, clippy, tests (host + headless Chromium), dist, size
//! run [--port 8080]         dist, then the server: the builder at /, the dashboard at /app, the
//!                           embed at /embed/, test pages at /dev/, demo sites on port + 1
//! bench [--server-only|--embed-only] [--quick|--long|--secs N] [--only pixel,tokens,cluster]
//!                           benchmark tables (embed, icons, server vs nginx/trivial ceilings)
//! fuzz [target] [--secs 60] every cargo-fuzz target (or one) for N seconds; executions per target
//! schema-fuzz [--secs 600]  schemathesis against /api/openapi.json, SQLite and Postgres
//! new-widget NAME [--root DIR]
//!                           scaffold widgets/NAME (crate ck-NAME), register it, budget, test page
//! ```

mod browsers;
mod builder;
mod ci;
mod dist;
mod fuzz;
mod glue;
mod new_widget;
mod npm;
mod schema_fuzz;
mod server_bench;
mod sh;
mod shrink;
mod single;
mod split;
mod toolchain;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

const USAGE: &str = "usage: cargo xtask <command>
  setup                     install what is missing (wasm toolchain, wasm-bindgen-cli, Chromium, npm's esbuild + binaryen,
                            the WordPress block library's CSS for the demo site)
  dist [--skip-variants] [--features a,b] [--widgets a,b]
                            build the embed into dist/embed/v{version}/ (+ latest/, + widget increments;
                            --widgets: the widget set, each a lazy chunk (default: every widget feature);
                            --features adds cargo features to the release build and skips variants)
  size                      size gate on dist/ and the wasm dependency allowlist
  top [-n N] [--variant V]  largest functions and bytes per crate of the embed's wasm
                            (V = bare, form, announcement, modes: the increment builds of dist/sizes/)
  test                      fmt, clippy (host + wasm), host tests, wasm tests in headless Chromium, dist, size gate
  run [--port N] [--widgets a,b]
                            build the embed and start the server on http://127.0.0.1:N (default 8080;
                            the builder at /, the demo sites on N + 1)
  bench [--server-only|--embed-only] [--quick|--long|--secs N] [--only pixel,tokens,cluster] [--no-write]
                            print the benchmark tables (server: 6 s per wrk run, ~4 min; --quick 2 s,
                            --long 15 s) and write them to docs/bench.md
  fuzz [TARGET] [--secs N]  run every cargo-fuzz target (or TARGET) for N seconds each (default 60),
                            installing cargo-fuzz if missing; prints executions per target
  schema-fuzz [--secs N]    schemathesis against a running server's /api/openapi.json on SQLite and
                            Postgres, N seconds per store (default 600; `test` runs a short one)
  new-widget NAME [--root DIR]
                            scaffold widgets/NAME (crate ck-NAME: a tiny working widget, its icons
                            folder, tests, README), register it (workspace, bindings feature and
                            registry, increment build, size budget) and add /dev/NAME.html;
                            refuses a name that is taken; --root: another checkout";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match real_main(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask lives one level below it.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask has a parent directory")
        .to_path_buf()
}

/// Where cargo builds go: CARGO_TARGET_DIR when set (helpers and CI use their own), else target/.
fn target_dir(root: &Path) -> PathBuf {
    sh::env_nonempty("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

fn take_flag(args: &mut Vec<String>, flag: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != flag);
    args.len() != before
}

fn take_value(args: &mut Vec<String>, flag: &str) -> Result<Option<String>> {
    if let Some(i) = args.iter().position(|a| a == flag) {
        if i + 1 >= args.len() {
            bail!("{flag} needs a value");
        }
        let v = args.remove(i + 1);
        args.remove(i);
        return Ok(Some(v));
    }
    let prefix = format!("{flag}=");
    if let Some(i) = args.iter().position(|a| a.starts_with(&prefix)) {
        let v = args.remove(i)[prefix.len()..].to_string();
        return Ok(Some(v));
    }
    Ok(None)
}

fn no_more(args: &[String]) -> Result<()> {
    match args.first() {
        Some(a) => bail!("unexpected argument {a:?}\n{USAGE}"),
        None => Ok(()),
    }
}

fn real_main(mut args: Vec<String>) -> Result<()> {
    if args.is_empty() {
        println!("{USAGE}");
        return Ok(());
    }
    let command = args.remove(0);
    let root = root();
    let target = target_dir(&root);
    match command.as_str() {
        "setup" => {
            no_more(&args)?;
            toolchain::setup(&root, &target).map(|_| ())
        }
        "dist" => {
            let skip_variants = take_flag(&mut args, "--skip-variants");
            let features = take_value(&mut args, "--features")?
                .map(|f| {
                    f.split(',')
                        .filter(|f| !f.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            let widgets = dist::widget_list(take_value(&mut args, "--widgets")?);
            no_more(&args)?;
            let wasm = toolchain::detect()?;
            let opts = dist::Opts {
                skip_variants,
                features,
                widgets,
            };
            dist::dist(&root, &target, wasm, &opts).map(|_| ())
        }
        "size" => {
            no_more(&args)?;
            ci::size(&root, &target)
        }
        "top" => {
            let n = take_value(&mut args, "-n")?.unwrap_or_else(|| "20".into());
            let variant = take_value(&mut args, "--variant")?;
            no_more(&args)?;
            let named = match &variant {
                Some(v) => root.join("dist/sizes").join(v).join("named.wasm"),
                None => root.join("dist/sizes/named.wasm"),
            };
            if !named.is_file() {
                bail!(
                    "{} is missing: run `cargo xtask dist` first",
                    named.display()
                );
            }
            let data = std::fs::read(&named)?;
            let n: usize = n.parse().context("-n takes a number")?;
            println!(
                "largest functions of {} (after wasm-bindgen, before wasm-opt):",
                named.display()
            );
            for f in size_budget::top_functions(&data, n)? {
                println!("{:>8}  {}", f.size, f.name);
            }
            println!("\ncode bytes per crate (before wasm-opt):");
            for (krate, bytes, count) in size_budget::by_crate(&data)? {
                println!("{bytes:>8}  {count:>5} fns  {krate}");
            }
            Ok(())
        }
        "test" => {
            no_more(&args)?;
            ci::test(&root, &target)
        }
        "run" => {
            let port = take_value(&mut args, "--port")?.unwrap_or_else(|| "8080".into());
            let port: u16 = port
                .parse()
                .with_context(|| format!("--port {port:?} is not a port number"))?;
            let widgets = dist::widget_list(take_value(&mut args, "--widgets")?);
            no_more(&args)?;
            let wasm = toolchain::setup(&root, &target)?;
            let opts = dist::Opts {
                skip_variants: true,
                features: Vec::new(),
                widgets,
            };
            dist::dist(&root, &target, wasm, &opts)?;
            let sites = port
                .checked_add(1)
                .context("--port leaves no room for the demo sites")?;
            println!(
                "run: the builder        http://127.0.0.1:{port}/\n\
                 run: the dashboard      http://127.0.0.1:{port}/app  (sign up at /signup; mail at /dev/mail)\n\
                 run: the demo sites     http://127.0.0.1:{sites}/  (a second origin; publish in the builder first)\n\
                 run: test pages         http://127.0.0.1:{port}/dev/  and the embed at /embed/latest/loader.js"
            );
            sh::run(
                sh::cmd(
                    "cargo",
                    &["run", "-p", "ck-server", "--", "--port", &port.to_string()],
                )
                .args(["--sites-port", &sites.to_string()])
                .current_dir(&root),
            )
        }
        "bench" => {
            let server = server_bench::args(&mut args)?;
            let server_only = take_flag(&mut args, "--server-only");
            no_more(&args)?;
            if !server_only {
                ci::bench(&root)?;
            }
            match server {
                Some(server) => server_bench::run(&root, &target, &server),
                None => Ok(()),
            }
        }
        "fuzz" => {
            let secs = take_value(&mut args, "--secs")?.unwrap_or_else(|| "60".into());
            let secs: u64 = secs.parse().context("--secs takes a number of seconds")?;
            let only = if args.first().is_some_and(|a| !a.starts_with('-')) {
                Some(args.remove(0))
            } else {
                None
            };
            no_more(&args)?;
            fuzz::fuzz(&root, &target, only.as_deref(), secs)
        }
        "schema-fuzz" => {
            let secs = take_value(&mut args, "--secs")?.unwrap_or_else(|| "600".into());
            let secs: u64 = secs.parse().context("--secs takes a number of seconds")?;
            no_more(&args)?;
            schema_fuzz::run(&root, &target, secs)
        }
        "new-widget" => {
            let at = take_value(&mut args, "--root")?.map(PathBuf::from);
            let name = match args.first() {
                Some(a) if !a.starts_with('-') => args.remove(0),
                _ => bail!("new-widget needs a NAME\n{USAGE}"),
            };
            no_more(&args)?;
            new_widget::run(at.as_deref().unwrap_or(&root), &name)
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n{USAGE}"),
    }
}
