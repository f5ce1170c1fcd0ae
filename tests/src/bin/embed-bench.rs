//! `embed-bench [LOADS] [PAGE]`: loads an embed page LOADS times (default 25) in headless
//! Chromium against the real server and prints a table of the time from the loader's start
//! mark (`ck:load:start`) to the loader's end mark and to the first `widget:mounted`.
//! Needs `cargo xtask dist`. Numbers live here, never in timed tests.

use std::time::Duration;

use anyhow::{bail, Result};
use ck_e2e::Page;
use serde_json::json;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let loads: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(25);
    let page = args.next().unwrap_or_else(|| "embed-bench.html".into());
    if loads < 1 {
        bail!("LOADS must be at least 1");
    }
    let bench = Page::start(None).await?;
    let browser = &bench.browser;
    let (mut to_mount, mut to_wasm) = (Vec::new(), Vec::new());
    for i in 0..loads {
        bench.goto(&format!("{page}?run={i}")).await?;
        browser.wait_events("widget:mounted", 1).await?;
        let t = browser
            .eval(
                "const s = performance.getEntriesByName('ck:load:start')[0].startTime;\
                 const e = performance.getEntriesByName('ck:load:end')[0].startTime;\
                 const m = ckEvents.find(e => e.name === 'widget:mounted').t;\
                 return [e - s, m - s];",
                json!([]),
            )
            .await?;
        to_wasm.push(t[0].as_f64().unwrap_or(f64::NAN));
        to_mount.push(t[1].as_f64().unwrap_or(f64::NAN));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("embed-bench: {loads} loads of /{page} (headless Chromium, local server, HTTP cache warm after the first load)");
    println!("| from ck:load:start to | median ms | p95 ms | min ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    for (name, mut v) in [
        ("ck:load:end (glue + wasm ready)", to_wasm),
        ("first widget:mounted", to_mount),
    ] {
        v.sort_by(f64::total_cmp);
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {:.1} |",
            percentile(&v, 50.0),
            percentile(&v, 95.0),
            v[0],
            v[v.len() - 1]
        );
    }
    let Page {
        browser,
        mut server,
    } = bench;
    drop(browser);
    server.stop().await?;
    Ok(())
}
