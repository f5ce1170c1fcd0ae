//! `embed-bench [LOADS]`: cold-cache first render of the embed in headless Chromium against the
//! real server, on a cross-origin publisher page (page on `127.0.0.1:PORT`, loader, glue, wasm
//! and API on `localhost:PORT`: another origin to the browser), under Chrome's network and CPU
//! throttling presets. For each preset and each snippet (`data-ck-id` + `data-ck-token` as the
//! draft API hands it out, and inline `data-ck-config`): LOADS loads (default 10) with the HTTP
//! cache cleared before each, median and p95 of navigation start → the first widget mounted
//! (its shadow root holds the form's first `<input>` at that moment, checked), and the critical
//! chain depth: the longest run of requests after the loader where each starts only after the
//! previous one ended (Resource Timing; 1 = everything first render needs starts at once).
//!
//! The table is printed and written to `docs/bench.md` between the `bench:start` / `bench:end`
//! markers (the rest of that file is kept). `CK_BENCH_OUT` writes elsewhere, `CK_BENCH_LABEL`
//! names the run, `CK_DIST_DIR` measures another build (e.g. one made before a change).
//! Needs `cargo xtask dist`. Numbers live here, never in timed tests.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ck_e2e::{repo_root, Browser, Server};
use serde_json::{json, Value};

/// Chrome DevTools' presets (throughput in bytes per second, latency in ms) and CPU slowdown.
struct Preset {
    name: &'static str,
    latency: f64,
    down: f64,
    up: f64,
    cpu: f64,
}

const PRESETS: &[Preset] = &[
    Preset {
        name: "unthrottled",
        latency: 0.0,
        down: -1.0,
        up: -1.0,
        cpu: 1.0,
    },
    Preset {
        name: "Fast 4G, CPU 4x",
        latency: 165.0,
        down: 1_012_500.0,
        up: 168_750.0,
        cpu: 4.0,
    },
    Preset {
        name: "Slow 4G, CPU 4x",
        latency: 562.5,
        down: 180_000.0,
        up: 84_375.0,
        cpu: 4.0,
    },
];

const FORM: &str = r#"{"title":"Newsletter","fields":[{"type":"email","name":"email","label":"Email","required":true}],"submit_label":"Join"}"#;

/// Records the first mount before the loader exists (the publisher stub queues the call).
const PROBE: &str = "<script>window.ck=window.ck||function(){(ck.q=ck.q||[]).push(arguments)};\
ck('on','widget:mounted',function(){window.ckT=window.ckT||performance.now()});</script>";

/// Reads the measurement once the widget mounted: time, whether the form's input was there,
/// and the critical chain depth after the loader.
const READ: &str = "const t = window.ckT;\
 const input = !!document.querySelector('[data-ck-widget]').shadowRoot.querySelector('input');\
 const rs = performance.getEntriesByType('resource').filter(r => r.startTime < t);\
 const loader = rs.find(r => r.name.endsWith('/loader.js'));\
 const after = rs.filter(r => r !== loader && r.startTime >= loader.responseEnd - 1)\
   .sort((a, b) => a.startTime - b.startTime);\
 const depth = [];\
 after.forEach((r, i) => { depth[i] = 1 + Math.max(0, ...after.slice(0, i)\
   .map((p, j) => p.responseEnd <= r.startTime ? depth[j] : 0)); });\
 return [t, input, Math.max(0, ...depth), after.map(r => r.name.replace(/^.*\\//, '').replace(/\\?.*/, ''))];";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

struct Row {
    preset: &'static str,
    snippet: &'static str,
    times: Vec<f64>,
    depths: Vec<u64>,
    chain: String,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let loads: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10);
    if loads < 1 {
        bail!("LOADS must be at least 1");
    }
    let mut server = Server::publisher().await?;
    let embed_origin = server.embed_origin();
    let (id, token) = server.draft(&serde_json::from_str(FORM)?).await?;
    let snippet = |attrs: &str| {
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>bench</title>{PROBE}</head>\
             <body><h1>A publisher page</h1><p>Some text before the widget.</p>\
             <div {attrs}></div>\
             <script async src=\"{embed_origin}/embed/latest/loader.js\"></script></body></html>"
        )
    };
    server.write_page(
        "bench-id.html",
        &snippet(&format!(
            "data-ck-widget=\"form\" data-ck-id=\"{id}\" data-ck-token=\"{token}\""
        )),
    )?;
    server.write_page(
        "bench-inline.html",
        &snippet(&format!(
            "data-ck-widget=\"form\" data-ck-token=\"{token}\" data-ck-config='{FORM}'"
        )),
    )?;

    let browser = Browser::start().await?;
    browser.cdp("Network.enable", json!({})).await?;
    let mut rows = Vec::new();
    for preset in PRESETS {
        browser
            .cdp(
                "Network.emulateNetworkConditions",
                json!({"offline": false, "latency": preset.latency,
                       "downloadThroughput": preset.down, "uploadThroughput": preset.up}),
            )
            .await?;
        browser
            .cdp(
                "Emulation.setCPUThrottlingRate",
                json!({"rate": preset.cpu}),
            )
            .await?;
        for (snippet, page) in [
            ("data-ck-id", "bench-id.html"),
            ("inline config", "bench-inline.html"),
        ] {
            let mut row = Row {
                preset: preset.name,
                snippet,
                times: Vec::new(),
                depths: Vec::new(),
                chain: String::new(),
            };
            for i in 0..loads {
                browser.goto("about:blank").await?;
                browser.cdp("Network.clearBrowserCache", json!({})).await?;
                browser
                    .goto(&format!("{}?run={i}", server.page(page)))
                    .await?;
                let deadline = Instant::now() + Duration::from_secs(60);
                while browser.eval("return !!window.ckT;", json!([])).await? != json!(true) {
                    if Instant::now() > deadline {
                        bail!("{page} under {}: no widget mounted in 60 s", preset.name);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let m = browser.eval(READ, json!([])).await?;
                if m[1] != json!(true) {
                    bail!("{page}: mounted without the form's input: {m}");
                }
                row.times.push(m[0].as_f64().unwrap_or(f64::NAN));
                row.depths.push(m[2].as_u64().unwrap_or(0));
                row.chain = m[3]
                    .as_array()
                    .map(|names| {
                        names
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
            }
            eprintln!(
                "embed-bench: {} / {snippet}: {:.0?} ms",
                preset.name, row.times
            );
            rows.push(row);
        }
    }
    drop(browser);
    server.stop().await?;

    let mut table = format!(
        "{loads} cold loads each (HTTP cache cleared before every load), headless Chromium, \
         cross-origin page (page 127.0.0.1, embed + API localhost, one local server); \
         navigation start → first widget mounted (its form `<input>` in the shadow root).\n\n\
         | network, CPU | snippet | median ms | p95 ms | min ms | max ms | chain after loader | requests after the loader |\n\
         |---|---|---:|---:|---:|---:|---:|---|\n"
    );
    for row in &mut rows {
        row.times.sort_by(f64::total_cmp);
        let (min_depth, max_depth) = (
            row.depths.iter().min().copied().unwrap_or(0),
            row.depths.iter().max().copied().unwrap_or(0),
        );
        let depth = if min_depth == max_depth {
            max_depth.to_string()
        } else {
            format!("{min_depth}–{max_depth}")
        };
        table.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {depth} | {} |\n",
            row.preset,
            row.snippet,
            percentile(&row.times, 50.0),
            percentile(&row.times, 95.0),
            row.times[0],
            row.times[row.times.len() - 1],
            row.chain
        ));
    }
    let label = std::env::var("CK_BENCH_LABEL").unwrap_or_else(|_| "embed-bench".into());
    let section = format!("<!-- bench:start -->\n### {label}\n\n{table}<!-- bench:end -->\n");
    println!("{section}");
    let out = std::env::var("CK_BENCH_OUT")
        .map(Into::into)
        .unwrap_or_else(|_| repo_root().join("docs/bench.md"));
    let old = std::fs::read_to_string(&out).unwrap_or_default();
    let new = match (
        old.find("<!-- bench:start -->"),
        old.find("<!-- bench:end -->"),
    ) {
        (Some(a), Some(b)) if a < b => {
            let end = b + "<!-- bench:end -->\n".len().min(old.len() - b);
            format!("{}{section}{}", &old[..a], &old[end.min(old.len())..])
        }
        _ => {
            format!("# Embed bench\n\nWritten by `cargo xtask bench` (`embed-bench`).\n\n{section}")
        }
    };
    std::fs::write(&out, new).with_context(|| format!("writing {}", out.display()))?;
    println!("embed-bench: written to {}", out.display());
    Ok(())
}
