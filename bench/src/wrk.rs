//! `wrk` runs: a Lua script per request shape, the same script against the server and its ceiling,
//! and the parse of wrk's `--latency` report.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context, Result};

/// One request shape: method, path, content type and one or more bodies sent round-robin.
pub(crate) struct Shape {
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) content_type: &'static str,
    pub(crate) bodies: Vec<String>,
}

impl Shape {
    /// The Lua script for this shape. One body: wrk's static request (no per-request Lua). Several:
    /// a `request()` that cycles through them, paid equally by the server and its ceiling.
    pub(crate) fn script(&self) -> String {
        let mut s = format!(
            "wrk.method = {:?}\nwrk.path = {:?}\nwrk.headers[\"Content-Type\"] = {:?}\n",
            self.method, self.path, self.content_type
        );
        match self.bodies.as_slice() {
            [] => {}
            [one] => s.push_str(&format!("wrk.body = {}\n", lua_string(one))),
            many => {
                s.push_str("local bodies = {\n");
                for b in many {
                    s.push_str(&format!("  {},\n", lua_string(b)));
                }
                s.push_str(
                    "}\nlocal i = 0\nrequest = function()\n  i = i % #bodies + 1\n  \
                     return wrk.format(nil, nil, nil, bodies[i])\nend\n",
                );
            }
        }
        s
    }
}

/// A Lua long string: no escaping needed for JSON.
fn lua_string(s: &str) -> String {
    format!("[==[{s}]==]")
}

/// What wrk measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Report {
    /// Completed requests (any status).
    pub(crate) requests: u64,
    pub(crate) rps: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    /// Completed with a status outside 2xx/3xx.
    pub(crate) non_2xx: u64,
    /// connect + read + write + timeout errors.
    pub(crate) socket_errors: u64,
}

/// Starts wrk (`-t1 --latency`) against `base` with `shape`; [`finish`] waits and parses.
pub(crate) fn start(dir: &Path, base: &str, shape: &Shape, conns: u32, secs: u64) -> Result<Child> {
    // One file per call: concurrent runs (one wrk per server process) may differ.
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let script = dir.join(format!("shape-{n}.lua"));
    std::fs::write(&script, shape.script())?;
    Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(format!("{base}{}", shape.path))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting wrk (run `cargo xtask setup`)")
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Waits for a wrk started by [`start`] and parses its report.
pub(crate) fn finish(child: Child) -> Result<Report> {
    let out = child.wait_with_output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse(&text).with_context(|| format!("unexpected wrk output:\n{text}"))
}

/// Runs wrk and parses its report.
pub(crate) fn run(dir: &Path, base: &str, shape: &Shape, conns: u32, secs: u64) -> Result<Report> {
    finish(start(dir, base, shape, conns, secs)?)
}

/// Parses wrk's text report.
pub(crate) fn parse(text: &str) -> Result<Report> {
    let mut r = Report::default();
    let mut saw = (false, false);
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => r.p50_ms = duration_ms(v)?,
            ["99%", v] => r.p99_ms = duration_ms(v)?,
            ["Requests/sec:", v] => {
                r.rps = v.parse()?;
                saw.1 = true;
            }
            [n, "requests", "in", ..] => {
                r.requests = n.parse()?;
                saw.0 = true;
            }
            ["Non-2xx", "or", "3xx", "responses:", n] => r.non_2xx = n.parse()?,
            ["Socket", "errors:", rest @ ..] => {
                r.socket_errors = rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum();
            }
            _ => {}
        }
    }
    if saw != (true, true) {
        bail!("no request count or rate");
    }
    Ok(r)
}

/// `812.00us`, `1.23ms`, `2.01s`, `1.5m` → milliseconds.
fn duration_ms(v: &str) -> Result<f64> {
    let split = v
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("no unit in {v:?}"))?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse()?;
    Ok(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        "h" => n * 3_600_000.0,
        _ => bail!("unknown unit in {v:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Running 5s test @ http://127.0.0.1:1/api/v1/events
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   712.61us  301.02us  12.10ms   90.11%
    Req/Sec    44.10k     2.01k   47.00k    80.00%
  Latency Distribution
     50%  650.00us
     75%    0.90ms
     90%    1.10ms
     99%    2.05s
  219400 requests in 5.00s, 16.11MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 17
Requests/sec:  43880.12
Transfer/sec:      3.22MB
";

    #[test]
    fn parses_a_report() {
        let r = parse(SAMPLE).unwrap();
        assert_eq!(r.requests, 219_400);
        assert!((r.rps - 43_880.12).abs() < 1e-6);
        assert!((r.p50_ms - 0.65).abs() < 1e-9);
        assert!((r.p99_ms - 2050.0).abs() < 1e-9);
        assert_eq!(r.non_2xx, 17);
        assert_eq!(r.socket_errors, 3);
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse("unable to connect to 127.0.0.1:1 Connection refused").is_err());
    }

    #[test]
    fn scripts_cycle_several_bodies() {
        let mut shape = Shape {
            method: "POST",
            path: "/x".into(),
            content_type: "text/plain",
            bodies: vec!["{\"a\":1}".into()],
        };
        assert!(shape.script().contains("wrk.body = [==[{\"a\":1}]==]"));
        assert!(!shape.script().contains("request = function"));
        shape.bodies.push("{}".into());
        assert!(shape.script().contains("request = function"));
    }
}
