//! Running commands: echo them, fail with the command line, or capture output.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// A command with its display form, so failures can name exactly what ran.
pub(crate) fn cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}

pub(crate) fn show(c: &Command) -> String {
    let mut s = String::new();
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            s.push_str(&format!(
                "{}={} ",
                k.to_string_lossy(),
                quote(v.to_string_lossy().as_ref())
            ));
        }
    }
    s.push_str(&c.get_program().to_string_lossy());
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&quote(a.to_string_lossy().as_ref()));
    }
    s
}

fn quote(s: &str) -> String {
    if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        format!("'{}'", s.replace('\'', "'\\''"))
    } else {
        s.to_string()
    }
}

/// Runs `c` with inherited stdio, echoing it first; fails with its command line.
pub(crate) fn run(c: &mut Command) -> Result<()> {
    println!("$ {}", show(c));
    let _ = std::io::stdout().flush();
    let status = c
        .status()
        .with_context(|| format!("starting {}", show(c)))?;
    if !status.success() {
        bail!("command failed ({status}): {}", show(c));
    }
    Ok(())
}

/// Runs `c` without echo, returning stdout; fails with stderr in the message.
pub(crate) fn output(c: &mut Command) -> Result<String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {}", show(c)))?;
    if !out.status.success() {
        bail!(
            "command failed ({}): {}\n{}",
            out.status,
            show(c),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// True when `c` runs and exits 0 (output discarded).
pub(crate) fn succeeds(c: &mut Command) -> bool {
    c.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True when `program` can be found on PATH (or is a path that exists).
pub(crate) fn on_path(program: &str) -> bool {
    if program.contains('/') {
        return std::path::Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(program).is_file()))
}

/// Test counts scraped from libtest, wasm-bindgen-test and nextest output.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counts {
    pub(crate) passed: u64,
    pub(crate) failed: u64,
    pub(crate) skipped: u64,
}

impl Counts {
    pub(crate) fn add(&mut self, o: Counts) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.skipped += o.skipped;
    }
}

fn number_before(line: &str, word: &str) -> Option<u64> {
    let i = line.find(word)?;
    line[..i].split_whitespace().last()?.parse().ok()
}

/// Parses one output line into counts when it is a runner's summary line:
/// libtest/wasm-bindgen-test `test result: ok. 3 passed; 0 failed; 1 ignored; …` or nextest
/// `Summary [ 1.2s] 10 tests run: 9 passed, 1 failed, 2 skipped`.
pub(crate) fn parse_counts(line: &str) -> Option<Counts> {
    let line = line.trim();
    if line.starts_with("test result:") {
        return Some(Counts {
            passed: number_before(line, " passed")?,
            failed: number_before(line, " failed").unwrap_or(0),
            skipped: number_before(line, " ignored").unwrap_or(0),
        });
    }
    if line.starts_with("Summary [")
        && (line.contains(" tests run:") || line.contains(" test run:"))
    {
        let tail = &line[line.find("run:")? + 4..];
        return Some(Counts {
            passed: number_before(tail, " passed").unwrap_or(0),
            failed: number_before(tail, " failed").unwrap_or(0)
                + number_before(tail, " timed out").unwrap_or(0),
            skipped: number_before(tail, " skipped").unwrap_or(0),
        });
    }
    None
}

/// Runs `c`, streaming its stdout and stderr through while counting tests from summary lines.
pub(crate) fn run_counting(c: &mut Command) -> (Result<()>, Counts) {
    println!("$ {}", show(c));
    let _ = std::io::stdout().flush();
    let start = Instant::now();
    let mut child = match c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => {
            return (
                Err(e).context(format!("starting {}", show(c))),
                Counts::default(),
            )
        }
    };
    fn pump<R: std::io::Read + Send + 'static>(
        r: R,
        to_stderr: bool,
    ) -> std::thread::JoinHandle<Counts> {
        std::thread::spawn(move || {
            let mut counts = Counts::default();
            for line in BufReader::new(r).lines().map_while(Result::ok) {
                if let Some(found) = parse_counts(&line) {
                    counts.add(found);
                }
                if to_stderr {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            }
            counts
        })
    }
    let out = pump(child.stdout.take().expect("piped stdout"), false);
    let err = pump(child.stderr.take().expect("piped stderr"), true);
    let status = child.wait();
    let mut counts = out.join().unwrap_or_default();
    counts.add(err.join().unwrap_or_default());
    let result = match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(anyhow::anyhow!(
            "command failed ({s}) after {:.0?}: {}",
            start.elapsed(),
            show(c)
        )),
        Err(e) => Err(e.into()),
    };
    (result, counts)
}

/// `OsStr` helper for env lookups that treat empty as unset.
pub(crate) fn env_nonempty(key: impl AsRef<OsStr>) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libtest_and_wasm_bindgen_test_summaries() {
        let c = parse_counts("test result: ok. 13 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s").unwrap();
        assert_eq!((c.passed, c.failed, c.skipped), (13, 0, 2));
        let c = parse_counts("test result: FAILED. 4 passed; 1 failed; 0 ignored").unwrap();
        assert_eq!((c.passed, c.failed), (4, 1));
    }

    #[test]
    fn reads_nextest_summaries() {
        let c =
            parse_counts("     Summary [   3.021s] 57 tests run: 55 passed, 2 failed, 3 skipped")
                .unwrap();
        assert_eq!((c.passed, c.failed, c.skipped), (55, 2, 3));
        let c = parse_counts("     Summary [   0.5s] 1 test run: 1 passed, 0 skipped").unwrap();
        assert_eq!((c.passed, c.failed, c.skipped), (1, 0, 0));
    }

    #[test]
    fn ignores_other_lines() {
        assert!(parse_counts("running 3 tests").is_none());
        assert!(parse_counts("test foo ... ok").is_none());
    }

    #[test]
    fn quotes_arguments_with_spaces() {
        let c = cmd("echo", &["a b", "c"]);
        assert_eq!(show(&c), "echo 'a b' c");
    }
}
