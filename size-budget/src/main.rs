//! `size-budget`: the size gate of the embed.
//!
//! ```text
//! size-budget [check] [--config size-budget.json]   table of budgets; exit 1 when one is over
//! size-budget top <file.wasm> [-n 20]               largest functions (name section)
//! size-budget deps [--allowlist wasm-deps.allow] [--package ck-bindings] [--features a,b]
//! size-budget manifest verify <dir>                 manifest.json vs the files on disk
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use size_budget::{check, deps, manifest, top_functions, BudgetFile};

const USAGE: &str = "usage:
  size-budget [check] [--config FILE]
  size-budget top <file.wasm> [-n N]
  size-budget deps [--allowlist FILE] [--package NAME] [--features a,b] [--manifest-path Cargo.toml]
  size-budget manifest verify <dir>";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("size-budget: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Takes the value after `flag`, removing both from `args`.
fn take_opt(args: &mut Vec<String>, flag: &str) -> Result<Option<String>> {
    match args.iter().position(|a| a == flag) {
        None => Ok(None),
        Some(i) if i + 1 < args.len() => {
            let v = args.remove(i + 1);
            args.remove(i);
            Ok(Some(v))
        }
        Some(_) => bail!("{flag} needs a value\n{USAGE}"),
    }
}

/// Finds `name` in the current directory or one of its parents (the repo root).
fn find_up(name: &str) -> Result<PathBuf> {
    let mut dir = std::env::current_dir()?;
    loop {
        let candidate = dir.join(name);
        if candidate.exists() {
            return Ok(candidate);
        }
        if !dir.pop() {
            bail!("{name} not found in the current directory or its parents");
        }
    }
}

fn no_extra(args: &[String]) -> Result<()> {
    if let Some(a) = args.first() {
        bail!("unexpected argument {a:?}\n{USAGE}");
    }
    Ok(())
}

fn run(mut args: Vec<String>) -> Result<ExitCode> {
    let cmd = if args.first().is_some_and(|a| !a.starts_with('-')) {
        args.remove(0)
    } else {
        "check".to_string()
    };
    match cmd.as_str() {
        "check" => {
            let config = match take_opt(&mut args, "--config")? {
                Some(c) => PathBuf::from(c),
                None => find_up("size-budget.json")?,
            };
            no_extra(&args)?;
            let report = check(&BudgetFile::load(&config)?)?;
            print!("{}", report.table());
            let failures = report.failures();
            if failures.is_empty() {
                println!("size budgets: all {} within limits", report.rows.len());
                Ok(ExitCode::SUCCESS)
            } else {
                for f in &failures {
                    eprintln!("size budget exceeded: {f}");
                }
                Ok(ExitCode::FAILURE)
            }
        }
        "top" => {
            let n = take_opt(&mut args, "-n")?
                .map(|n| n.parse::<usize>().context("-n takes a number"))
                .transpose()?
                .unwrap_or(20);
            let [file] = args.as_slice() else {
                bail!("top takes one wasm file\n{USAGE}");
            };
            let data = std::fs::read(file).with_context(|| format!("reading {file}"))?;
            let top = top_functions(&data, n)?;
            println!("{:>8}  {:>6}  function", "bytes", "share");
            for f in &top {
                println!(
                    "{:>8}  {:>5.1}%  {}",
                    f.size,
                    100.0 * f.size as f64 / data.len() as f64,
                    f.name
                );
            }
            println!("{:>8}  total wasm bytes", data.len());
            println!("\n{:>8}  {:>5}  crate", "bytes", "fns");
            for (krate, bytes, count) in size_budget::by_crate(&data)? {
                println!("{bytes:>8}  {count:>5}  {krate}");
            }
            if top.iter().all(|f| f.name.starts_with("func[")) {
                println!("(no name section: use the wasm cargo built, before wasm-bindgen/wasm-opt strip names)");
            }
            Ok(ExitCode::SUCCESS)
        }
        "deps" => {
            let allowlist = match take_opt(&mut args, "--allowlist")? {
                Some(p) => PathBuf::from(p),
                None => find_up("wasm-deps.allow")?,
            };
            let package = take_opt(&mut args, "--package")?.unwrap_or_else(|| "ck-bindings".into());
            let features = take_opt(&mut args, "--features")?.unwrap_or_default();
            let manifest_path = match take_opt(&mut args, "--manifest-path")? {
                Some(p) => PathBuf::from(p),
                None => allowlist
                    .parent()
                    .unwrap_or(Path::new("."))
                    .join("Cargo.toml"),
            };
            no_extra(&args)?;
            let allow = deps::Allowlist::load(&allowlist)?;
            let features: Vec<&str> = features.split(',').filter(|f| !f.is_empty()).collect();
            let graph = deps::wasm_graph(&manifest_path, &package, &features)?;
            let bad = allow.violations(&graph);
            if bad.is_empty() {
                println!(
                    "wasm dependency allowlist: {} crates in {package}'s wasm graph, all allowed",
                    graph.len()
                );
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "wasm dependency allowlist: {} crate(s) not allowed in {package}'s wasm: {}",
                    bad.len(),
                    bad.join(", ")
                );
                eprintln!(
                    "add them to {} only after measuring what they cost (size-budget top)",
                    allowlist.display()
                );
                Ok(ExitCode::FAILURE)
            }
        }
        "manifest" => match args.as_slice() {
            [verb, dir] if verb == "verify" => {
                let m = manifest::verify(Path::new(dir))?;
                println!(
                    "{dir}/manifest.json: {} files match (sizes, SRI, precompressed siblings)",
                    m.files.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            _ => bail!("{USAGE}"),
        },
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => bail!("unknown command {other:?}\n{USAGE}"),
    }
}
