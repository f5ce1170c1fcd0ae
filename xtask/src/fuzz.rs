//! `cargo xtask fuzz [target] [--secs N]`: every cargo-fuzz target (or one) for a bounded time,
//! then a table of executions per target. Installs cargo-fuzz when it is missing.
//!
//! The targets build on the stable toolchain: `RUSTC_BOOTSTRAP=1` unlocks the `-Z` flags cargo-fuzz
//! passes, and `--sanitizer none` needs no sanitizer runtime (the code under test is safe Rust:
//! the findings are panics, overflows with debug assertions on, and slow inputs). Builds go to
//! `{target}/fuzz`; corpora and crash artifacts to `<crate>/fuzz/{corpus,artifacts}` (ignored by
//! git). A crash fails the command and names the artifact; turn it into a regression test next to
//! the parser.

use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::sh::{self, cmd};

/// (fuzz crate folder, target, what it feeds, seed inputs).
const TARGETS: &[(&str, &str, &str, &[&[u8]])] = &[
    (
        "runtime/fuzz",
        "parse_mount",
        "the mount point attribute parser",
        &[b"form\xff1a2b\xffck_pub_x\xff{\"title\":\"t\"}\xffdark\xffa,b\xff"],
    ),
    (
        "server/fuzz",
        "pixel_payload",
        "the usage pixel's body",
        &[
            br#"{"token":"ck_pub_x","events":[{"k":"view","id":"6f1c1c62-4ad4-4c1b-9a0e-2f4f3b1e2a11","n":3,"ms":120}]}"#,
            br#"{"token":"t","events":[{"k":"load","ms":0.5},{"k":"error","id":"x"}]}"#,
        ],
    ),
    (
        "server/fuzz",
        "token",
        "the embed / draft token format",
        &[
            b"ck_pub_0123456789abcdefghijABCDEFGHIJ000000",
            b"ck_draft_0123456789abcdefghijABCDEFGHIJ000000",
        ],
    ),
    (
        "server/fuzz",
        "stripe_signature",
        "the Stripe-Signature header",
        &[b"\x00\x10\x00\x00\x00\x00\x00\x00t=4096,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v0=ab\x00{\"id\":\"evt_1\"}"],
    ),
    (
        "server/fuzz",
        "form",
        "form configs and submission values",
        &[
            br#"{"name":"Ann","email":"a@b.co","site":"https://x.y","tel":"+1 (2) 3","age":"42","msg":"hi","plan":"a","size":"m","agree":true}"#,
            b"{\"fields\":[{\"type\":\"text\",\"name\":\"a\",\"label\":\"A\",\"pattern\":\"(a|b)*c+[0-9]{2,3}\"}]}\x00{\"a\":\"abac12\"}",
        ],
    ),
];

/// Runs the targets (all, or the one named) for `secs` each.
pub(crate) fn fuzz(root: &Path, target: &Path, only: Option<&str>, secs: u64) -> Result<()> {
    let chosen: Vec<_> = TARGETS
        .iter()
        .filter(|(_, name, _, _)| only.is_none_or(|o| o == *name))
        .collect();
    if chosen.is_empty() {
        let names: Vec<_> = TARGETS.iter().map(|t| t.1).collect();
        bail!(
            "no fuzz target {:?}; targets: {}",
            only.unwrap_or_default(),
            names.join(", ")
        );
    }
    if !sh::succeeds(&mut cmd("cargo", &["fuzz", "--version"])) {
        println!("fuzz: cargo-fuzz is missing; installing it");
        sh::run(&mut cmd("cargo", &["install", "cargo-fuzz", "--locked"]))?;
    }
    let build_dir = target.join("fuzz");
    let mut rows = Vec::new();
    let mut crashes = Vec::new();
    for (dir, name, what, seeds) in chosen {
        let crate_dir = root.join(dir);
        let corpus = crate_dir.join("corpus").join(name);
        std::fs::create_dir_all(&corpus)?;
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(corpus.join(format!("seed-{i}")), seed)?;
        }
        println!("\n==> fuzz {name} ({what}) for {secs} s");
        let log_path = build_dir.join(format!("{name}.log"));
        std::fs::create_dir_all(&build_dir)?;
        let log = std::fs::File::create(&log_path)?;
        let mut c = cmd(
            "cargo",
            &[
                "fuzz",
                "run",
                "--sanitizer",
                "none",
                "--debug-assertions",
                "--target-dir",
            ],
        );
        c.arg(&build_dir)
            .arg(name)
            .arg(&corpus)
            .arg("--")
            .args([
                format!("-max_total_time={secs}"),
                // An input that takes 10 s is a finding (a pattern that backtracks, a quadratic
                // parse), not something to wait for.
                "-timeout=10".into(),
                "-rss_limit_mb=2048".into(),
                "-print_final_stats=1".into(),
            ])
            .current_dir(&crate_dir)
            .env("RUSTC_BOOTSTRAP", "1")
            .stdout(Stdio::inherit())
            .stderr(log.try_clone()?);
        println!("$ {} 2> {}", sh::show(&c), log_path.display());
        let started = Instant::now();
        let status = c.status().context("starting cargo fuzz")?;
        let took = started.elapsed().as_secs_f64();
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let runs = executions(&text);
        if !status.success() {
            let artifact = text
                .lines()
                .find_map(|l| l.split("Test unit written to ").nth(1))
                .map(str::to_owned);
            let tail: Vec<_> = text.lines().rev().take(30).collect();
            eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            crashes.push(format!(
                "{name}: {status}{}",
                artifact
                    .map(|a| format!(", input in {a}"))
                    .unwrap_or_default()
            ));
        }
        rows.push((name, runs, took, status.success()));
    }
    println!("\nfuzz: executions per target ({secs} s each, after the build)");
    println!(
        "{:<18} {:>12} {:>10} {:>8}",
        "target", "executions", "exec/s", "result"
    );
    for (name, runs, took, ok) in &rows {
        let rate = runs.map_or(0.0, |r| r as f64 / (*took).min(secs as f64).max(1.0));
        println!(
            "{:<18} {:>12} {:>10.0} {:>8}",
            name,
            runs.map_or("?".into(), |r| r.to_string()),
            rate,
            if *ok { "ok" } else { "CRASH" }
        );
    }
    if !crashes.is_empty() {
        bail!(
            "fuzzing found {} crash(es): {} (make each a regression test)",
            crashes.len(),
            crashes.join("; ")
        );
    }
    Ok(())
}

/// libFuzzer's execution count: `stat::number_of_executed_units: N` (with `-print_final_stats`), or
/// the last `#N` status line.
fn executions(log: &str) -> Option<u64> {
    log.lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok())
        .or_else(|| {
            log.lines()
                .rev()
                .find_map(|l| l.strip_prefix('#')?.split_whitespace().next()?.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_libfuzzer_execution_counts() {
        let stats = "#1024\tpulse  cov: 10\nDone 5000 runs in 2 second(s)\nstat::number_of_executed_units: 5001\n";
        assert_eq!(super::executions(stats), Some(5001));
        assert_eq!(
            super::executions("#8\tINITED cov: 3\n#64\tNEW cov: 4 ft: 5\n"),
            Some(64)
        );
        assert_eq!(super::executions("nothing"), None);
    }
}
