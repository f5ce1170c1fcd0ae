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
//! Only the embed's own requests count for the chain (glue, wasm, config manifests: URLs on the
//! embed origin), never the page's (its `favicon.ico`, images). With `CK_SINGLE_DIST` (set by
//! `cargo xtask bench`, which builds the bench-only single-file embed there) a second table
//! compares that single script against the wave for both snippets, first visit (cold
//! cache) and repeat visit (everything cached as the server's headers allow), unthrottled and
//! Slow 4G.
//!
//! The tables are printed and written to `docs/bench.md` between the `bench:start` / `bench:end`
//! markers (the rest of that file is kept). `CK_BENCH_OUT` writes elsewhere, `CK_BENCH_LABEL`
//! names the run, `CK_DIST_DIR` measures another build (e.g. one made before a change),
//! `CK_BENCH_TRACE` prints every load's timeline (requests, the loader's marks, the mount).
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
/// The announcement of the three-types page (inline config).
const ANNOUNCEMENT: &str = r#"{"message":"Spring sale","ends_at":"2030-04-01T00:00:00Z"}"#;

const PROBE: &str = "<script>window.ck=window.ck||function(){(ck.q=ck.q||[]).push(arguments)};\
ck('on','widget:mounted',function(){window.ckN=(window.ckN||0)+1;\
if(ckN>=(window.ckWant||1))window.ckT=window.ckT||performance.now()});</script>";

/// Reads the measurement once the widget mounted: time, whether the form's input was there,
/// and the critical chain depth after the loader, over the embed's own requests (URLs starting
/// with `arguments[0]`, the embed origin; not the page's favicon or images). A request follows
/// another only if that one is code (`.js`, `.wasm`) and ended before it started: a config
/// manifest's JSON starts nothing. (Unthrottled, the wasm can still arrive before the module
/// loader issues the glue's `import()` request, a task later: docs/bench.md.)
const READ: &str = "const t = window.ckT;\
 const input = !!document.querySelector('[data-ck-widget]').shadowRoot.querySelector('input');\
 const rs = performance.getEntriesByType('resource')\
   .filter(r => r.startTime < t && r.name.startsWith(arguments[0] + '/'));\
 const loader = rs.find(r => r.name.endsWith('/loader.js'));\
 const after = rs.filter(r => r !== loader && r.startTime >= loader.responseEnd - 1)\
   .sort((a, b) => a.startTime - b.startTime);\
 const depth = [];\
 after.forEach((r, i) => { depth[i] = 1 + Math.max(0, ...after.slice(0, i)\
   .map((p, j) => p.responseEnd <= r.startTime && /\\.(js|wasm)$/.test(p.name) ? depth[j] : 0)); });\
 return [t, input, Math.max(0, ...depth), after.map(r => r.name.replace(/^.*\\//, '').replace(/\\?.*/, ''))];";

/// With `CK_BENCH_TRACE`: one load's timeline (ms from navigation start): each request's start,
/// first byte and end, the loader's `ck:load:` marks and the mount, to see what a row's time
/// is made of.
const TRACE: &str = "const f = x => Math.round(x);\
 const rs = performance.getEntriesByType('resource').concat(performance.getEntriesByType('mark'))\
   .sort((a, b) => a.startTime - b.startTime);\
 const nav = performance.getEntriesByType('navigation')[0];\
 return ['page ' + f(nav.responseStart) + '-' + f(nav.responseEnd)].concat(rs.map(r =>\
   r.name.replace(/^.*\\//, '').replace(/\\?.*/, '') + ' ' + f(r.startTime)\
   + (r.responseEnd ? '/' + f(r.responseStart) + '-' + f(r.responseEnd) : '')),\
   'mounted ' + f(window.ckT)).join(', ');";

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
    /// The snippet, in the shapes table (where `snippet` names the shape).
    page: &'static str,
    visit: Visit,
    times: Vec<f64>,
    depths: Vec<u64>,
    chain: String,
}

/// Cold cache before every load, or a repeat visit (cache filled once, then kept).
#[derive(Clone, Copy, PartialEq)]
enum Visit {
    First,
    Repeat,
}

fn page_html(attrs: &str, embed_origin: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>bench</title>{PROBE}</head>\
         <body><h1>A publisher page</h1><p>Some text before the widget.</p>\
         <div {attrs}></div>\
         <script async src=\"{embed_origin}/embed/latest/loader.js\"></script></body></html>"
    )
}

async fn throttle(browser: &Browser, preset: &Preset) -> Result<()> {
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
    Ok(())
}

/// Opens `url` and waits for the first mount; (ms, chain depth, embed requests after the loader).
async fn load(
    browser: &Browser,
    url: &str,
    embed_origin: &str,
    what: &str,
) -> Result<(f64, u64, String)> {
    browser.goto(url).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while browser.eval("return !!window.ckT;", json!([])).await? != json!(true) {
        if Instant::now() > deadline {
            bail!("{what}: no widget mounted in 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let m = browser.eval(READ, json!([embed_origin])).await?;
    if std::env::var_os("CK_BENCH_TRACE").is_some() {
        let trace = browser.eval(TRACE, json!([])).await?;
        eprintln!(
            "embed-bench: {what}: {}",
            trace.as_str().unwrap_or_default()
        );
    }
    if m[1] != json!(true) {
        bail!("{what}: mounted without the form's input: {m}");
    }
    let chain = m[3]
        .as_array()
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    Ok((
        m[0].as_f64().unwrap_or(f64::NAN),
        m[2].as_u64().unwrap_or(0),
        chain,
    ))
}

/// `loads` loads of `url` under `preset`, as a table row labelled `snippet`.
async fn measure(
    browser: &Browser,
    preset: &'static Preset,
    snippet: &'static str,
    url: &str,
    embed_origin: &str,
    loads: usize,
    visit: Visit,
) -> Result<Row> {
    let what = format!("{url} under {}", preset.name);
    let mut row = Row {
        preset: preset.name,
        snippet,
        page: "",
        visit,
        times: Vec::new(),
        depths: Vec::new(),
        chain: String::new(),
    };
    if visit == Visit::Repeat {
        browser.goto("about:blank").await?;
        browser.cdp("Network.clearBrowserCache", json!({})).await?;
        load(browser, &format!("{url}?warm"), embed_origin, &what).await?;
    }
    for i in 0..loads {
        browser.goto("about:blank").await?;
        if visit == Visit::First {
            browser.cdp("Network.clearBrowserCache", json!({})).await?;
        }
        let (ms, depth, chain) =
            load(browser, &format!("{url}?run={i}"), embed_origin, &what).await?;
        row.times.push(ms);
        // The deepest load's requests are the ones worth reading.
        if row.depths.iter().all(|&d| d < depth) || row.chain.is_empty() {
            row.chain = chain;
        }
        row.depths.push(depth);
    }
    eprintln!(
        "embed-bench: {} / {snippet}{}: {:.0?} ms",
        preset.name,
        if visit == Visit::Repeat {
            " (repeat)"
        } else {
            ""
        },
        row.times
    );
    Ok(row)
}

/// The markdown table of `rows` (sorted in place); `visits` adds the first/repeat column.
fn render(rows: &mut [Row], visits: bool) -> String {
    let mut table = String::from(if visits {
        "| network, CPU | snippet | embed | visit | median ms | p95 ms | min ms | max ms | chain after loader | requests after the loader (deepest load) |\n\
         |---|---|---|---|---:|---:|---:|---:|---:|---|\n"
    } else {
        "| network, CPU | snippet | median ms | p95 ms | min ms | max ms | chain after loader | requests after the loader (deepest load) |\n\
         |---|---|---:|---:|---:|---:|---:|---|\n"
    });
    for row in rows {
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
        let visit = match (visits, row.visit) {
            (false, _) => String::new(),
            (true, Visit::First) => "first | ".into(),
            (true, Visit::Repeat) => "repeat | ".into(),
        };
        let page = if visits {
            format!("{} | ", row.page)
        } else {
            String::new()
        };
        table.push_str(&format!(
            "| {} | {page}{} | {visit}{:.0} | {:.0} | {:.0} | {:.0} | {depth} | {} |\n",
            row.preset,
            row.snippet,
            percentile(&row.times, 50.0),
            percentile(&row.times, 95.0),
            row.times[0],
            row.times[row.times.len() - 1],
            if row.chain.is_empty() {
                "–"
            } else {
                &row.chain
            }
        ));
    }
    table
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
    let page_origin = server.base.clone();
    let embed_origin = server.embed_origin();
    let (id, token) = server.draft(&serde_json::from_str(FORM)?).await?;
    let snippet = |attrs: &str| page_html(attrs, &embed_origin);
    server.write_page(
        "bench-id.html",
        &snippet(&format!(
            "data-ck-widget=\"form\" data-ck-id=\"{id}\" data-ck-token=\"{token}\""
        )),
    )?;
    // Three widget types, one chunk each beside the form's core: timed until all three mounted
    // (`ckWant`); the form comes first, so the input check still reads it.
    server.write_page(
        "bench-three.html",
        &snippet(&format!(
            "data-ck-widget=\"form\" data-ck-id=\"{id}\" data-ck-token=\"{token}\"></div>\
             <script>window.ckWant=3</script>\
             <div data-ck-widget=\"announcement\" data-ck-config='{ANNOUNCEMENT}'></div>\
             <div data-ck-widget=\"rating\" data-ck-config='{{\"label\":\"How was your visit?\"}}'"
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
        throttle(&browser, preset).await?;
        for (snippet, page) in [
            ("data-ck-id", "bench-id.html"),
            ("inline config", "bench-inline.html"),
            (
                "3 types: form (data-ck-id), announcement, rating",
                "bench-three.html",
            ),
        ] {
            let url = server.page(page);
            let row = measure(
                &browser,
                preset,
                snippet,
                &url,
                &embed_origin,
                loads,
                Visit::First,
            )
            .await?;
            rows.push(row);
        }
    }
    let mut table = format!(
        "{loads} cold loads each (HTTP cache cleared before every load), headless Chromium, \
         cross-origin page (page 127.0.0.1, embed + API localhost, one local server); \
         navigation start → first widget mounted (its form `<input>` in the shadow root). \
         Chain: the embed's own requests only.\n\n"
    );
    table.push_str(&render(&mut rows, false));

    // The bench-only single-file embed against the wave: first and repeat visits.
    if let Some(single) = std::env::var_os("CK_SINGLE_DIST") {
        let mut other = Server::publisher_with_dist(single.into()).await?;
        let (other_id, other_token) = other.draft(&serde_json::from_str(FORM)?).await?;
        let other_embed = other.embed_origin();
        for (page, attrs) in [
            (
                "bench-id.html",
                format!(
                    "data-ck-widget=\"form\" data-ck-id=\"{other_id}\" data-ck-token=\"{other_token}\""
                ),
            ),
            (
                "bench-inline.html",
                format!(
                    "data-ck-widget=\"form\" data-ck-token=\"{other_token}\" data-ck-config='{FORM}'"
                ),
            ),
        ] {
            other.write_page(page, &page_html(&attrs, &other_embed))?;
        }
        let mut shapes = Vec::new();
        for preset in PRESETS.iter().filter(|p| p.name != "Fast 4G, CPU 4x") {
            throttle(&browser, preset).await?;
            for (snippet, page) in [
                ("data-ck-id", "bench-id.html"),
                ("inline config", "bench-inline.html"),
            ] {
                for visit in [Visit::First, Visit::Repeat] {
                    for (shape, base, embed) in [
                        ("wave", &page_origin, &embed_origin),
                        ("single file", &other.base, &other_embed),
                    ] {
                        // Test pages are served under /dev/ (see Server::page).
                        let url = format!("{base}/dev/{page}");
                        let mut row =
                            measure(&browser, preset, shape, &url, embed, loads, visit).await?;
                        row.page = snippet;
                        shapes.push(row);
                    }
                }
            }
        }
        other.stop().await?;
        table.push_str(&format!(
            "\n#### single-file embed (bench only) against the wave\n\n\
             {loads} loads each. First visit: HTTP cache cleared before every load. Repeat visit: \
             cache cleared once, one load to fill it, then {loads} loads with what the server's \
             headers let the browser keep (`/embed/latest/`: `max-age=300, \
             stale-while-revalidate=60`; the config manifest: `no-cache`, revalidated).\n\n"
        ));
        table.push_str(&render(&mut shapes, true));
    }
    drop(browser);
    server.stop().await?;

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
