//! `server-bench`: the server under `wrk` on loopback, every figure next to a ceiling measured in the
//! same run on the same machine (nginx `return 204`, a trivial axum handler), because absolute
//! numbers drift on shared machines and ratios drift much less. Run by `cargo xtask bench`
//! (release builds); prints the tables and rewrites the server section of docs/bench.md.
//!
//! ```text
//! server-bench [--secs N] [--conns N] [--only pixel,tokens,cluster] [--no-write] [--perf]
//! ```

mod procs;
mod report;
mod runs;
mod wrk;

use std::time::Instant;

use anyhow::{bail, Context, Result};

/// What to run and for how long.
pub(crate) struct Opts {
    /// Seconds of each wrk run.
    pub(crate) secs: u64,
    /// wrk connections (the hand measurement used 32).
    pub(crate) conns: u32,
    pub(crate) pixel: bool,
    pub(crate) tokens: bool,
    pub(crate) cluster: bool,
    /// Rewrite the section of docs/bench.md.
    pub(crate) write: bool,
    /// Profile the server with perf during the one-token pixel run.
    pub(crate) perf: bool,
}

fn parse_args(mut args: Vec<String>) -> Result<Opts> {
    let mut opts = Opts {
        secs: 6,
        conns: 32,
        pixel: true,
        tokens: true,
        cluster: true,
        write: true,
        perf: false,
    };
    while !args.is_empty() {
        let a = args.remove(0);
        let mut value = || -> Result<String> {
            if args.is_empty() {
                bail!("{a} needs a value");
            }
            Ok(args.remove(0))
        };
        match a.as_str() {
            "--secs" => opts.secs = value()?.parse().context("--secs takes a number")?,
            "--conns" => opts.conns = value()?.parse().context("--conns takes a number")?,
            "--only" => {
                let only = value()?;
                let has = |s: &str| only.split(',').any(|o| o == s);
                opts.pixel = has("pixel");
                opts.tokens = has("tokens");
                opts.cluster = has("cluster");
                if !(opts.pixel || opts.tokens || opts.cluster) {
                    bail!("--only takes pixel, tokens, cluster (comma-separated)");
                }
            }
            "--no-write" => opts.write = false,
            "--perf" => opts.perf = true,
            other => bail!(
                "unknown argument {other:?}\nusage: server-bench [--secs N] [--conns N] \
                 [--only pixel,tokens,cluster] [--no-write] [--perf]"
            ),
        }
    }
    if opts.secs == 0 || opts.conns == 0 {
        bail!("--secs and --conns must be positive");
    }
    Ok(opts)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, port] = args.as_slice() {
        if flag == "--ceiling" {
            return procs::serve_ceiling(port.parse().context("--ceiling takes a port")?);
        }
    }
    let opts = parse_args(args)?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(bench(opts))
}

async fn bench(opts: Opts) -> Result<()> {
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let machine = report::machine();
    println!(
        "server bench: {} s per run, {} connections, wrk -t1 on loopback",
        opts.secs, opts.conns
    );
    println!("{machine}\n");
    let mut sections = Vec::new();
    if opts.pixel {
        sections.push(runs::pixel(dir.path(), &opts).await?);
    }
    if opts.tokens {
        sections.push(runs::tokens(dir.path(), &opts).await?);
    }
    if opts.cluster {
        sections.push(runs::cluster(dir.path(), &opts).await?);
    }
    let took = started.elapsed().as_secs();
    let text = report::document(&machine, &opts, &sections, took);
    if opts.write {
        let path = report::write_docs(&text)?;
        println!("server bench: wrote {} ({took} s)", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_options() {
        let o = parse_args(args("--secs 2 --only pixel,cluster --no-write")).unwrap();
        assert_eq!(o.secs, 2);
        assert!(o.pixel && o.cluster && !o.tokens && !o.write);
        for bad in [
            "--secs",
            "--secs x",
            "--only nothing",
            "--conns 0",
            "--what",
        ] {
            assert!(parse_args(args(bad)).is_err(), "{bad}");
        }
    }
}
