//! `runtime-bench [ROUNDS]`: the embed runtime in headless Chromium, each figure next to a ceiling
//! measured on the same page in the same run (absolute times drift on shared machines):
//! - mount: 1, 10 and 100 inline-config form widgets appended to a page whose runtime is already
//!   booted, from the append to the last `widget:mounted` and a forced layout; the ceiling is plain DOM code building
//!   the same number of shadow roots holding a form with the same fields;
//! - bus: `ck('emit')` dispatches per second through the wasm runtime's bus to one JS handler; the
//!   ceiling is a native `EventTarget` dispatching `CustomEvent`s to one listener.
//!
//! Medians of ROUNDS (default 5). Printed, and written to docs/bench.md between the
//! `runtime-bench` markers (`--no-write` only prints). Needs `cargo xtask dist`.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ck_e2e::{repo_root, Browser, Server};
use serde_json::{json, Value};

const FORM: &str = r#"{"title":"Newsletter","fields":[{"type":"email","name":"email","label":"Email","required":true},{"type":"text","name":"name","label":"Name"}],"submit_label":"Join"}"#;

/// Appends `n` widgets and resolves with the ms until the `n`th `widget:mounted` plus a forced
/// layout (the ceiling forces one too, so both include the style and layout work).
const MOUNT: &str = "const [n, token, config, done] = arguments;\
 const box = document.createElement('div');\
 for (let i = 0; i < n; i++) { const d = document.createElement('div');\
   d.dataset.ckWidget = 'form'; d.dataset.ckToken = token; d.dataset.ckConfig = config; box.appendChild(d); }\
 let seen = 0; const t0 = performance.now();\
 const on = () => { if (++seen === n) { box.getBoundingClientRect(); const t = performance.now() - t0; ck('off', 'widget:mounted', on);\
   box.remove(); setTimeout(() => done(t), 50); } };\
 ck('on', 'widget:mounted', on);\
 document.body.appendChild(box);";

/// The ceiling of MOUNT: `n` shadow roots with a form of the same fields, built by plain DOM code.
const MOUNT_CEILING: &str = "const [n, done] = arguments;\
 const box = document.createElement('div'); document.body.appendChild(box);\
 const t0 = performance.now();\
 for (let i = 0; i < n; i++) { const host = document.createElement('div'); box.appendChild(host);\
   const root = host.attachShadow({mode: 'open'}); const f = document.createElement('form');\
   const h = document.createElement('h2'); h.textContent = 'Newsletter'; f.appendChild(h);\
   for (const [type, name, label] of [['email', 'email', 'Email'], ['text', 'name', 'Name']]) {\
     const l = document.createElement('label'); l.textContent = label; const input = document.createElement('input');\
     input.type = type; input.name = name; l.appendChild(input); f.appendChild(l); }\
   const b = document.createElement('button'); b.textContent = 'Join'; f.appendChild(b); root.appendChild(f); }\
 box.getBoundingClientRect(); const t = performance.now() - t0; box.remove(); done(t);";

/// `m` emits through the runtime's bus to one handler; resolves with dispatches per second.
const BUS: &str = "const [m, done] = arguments; let got = 0;\
 const h = () => { got++; }; ck('on', 'bench:tick', h);\
 const t0 = performance.now(); for (let i = 0; i < m; i++) ck('emit', 'bench:tick', i);\
 const wait = () => { if (got >= m) { const t = performance.now() - t0; ck('off', 'bench:tick', h);\
   done(m / t * 1000); } else setTimeout(wait, 0); }; wait();";

/// The ceiling of BUS: a native EventTarget.
const BUS_CEILING: &str = "const [m, done] = arguments; let got = 0; const et = new EventTarget();\
 et.addEventListener('tick', () => { got++; });\
 const t0 = performance.now(); for (let i = 0; i < m; i++) et.dispatchEvent(new CustomEvent('tick', {detail: i}));\
 const t = performance.now() - t0; done(got === m ? m / t * 1000 : 0);";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let write = {
        let before = args.len();
        args.retain(|a| a != "--no-write");
        args.len() == before
    };
    let rounds: usize = args.first().map(|a| a.parse()).transpose()?.unwrap_or(5);
    if rounds < 1 {
        bail!("ROUNDS must be at least 1");
    }
    let mut server = Server::publisher().await?;
    let embed_origin = server.embed_origin();
    let (_, token) = server.draft(&serde_json::from_str(FORM)?).await?;
    server.write_page(
        "runtime-bench.html",
        &format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>bench</title></head>\
             <body><h1>A publisher page</h1>\
             <div data-ck-widget=\"form\" data-ck-token=\"{token}\" data-ck-config='{FORM}'></div>\
             <script async src=\"{embed_origin}/embed/latest/loader.js\"></script></body></html>"
        ),
    )?;
    let browser = Browser::start().await?;
    browser.goto(&server.page("runtime-bench.html")).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    // Booted: the page's own widget rendered its form.
    while browser
        .eval(
            "const h = document.querySelector('[data-ck-widget]');\
             return !!(h && h.shadowRoot && h.shadowRoot.querySelector('input'));",
            json!([]),
        )
        .await?
        != json!(true)
    {
        if Instant::now() > deadline {
            bail!("the runtime did not mount the page's widget within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let number = |v: Value| v.as_f64().context("a number from the page");
    let mut table = String::from(
        "| measure | embed runtime | ceiling (plain DOM / EventTarget) | × ceiling |\n|---|---:|---:|---:|\n",
    );
    for n in [1u32, 10, 100] {
        let (mut ck, mut plain) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            ck.push(number(
                browser.eval_async(MOUNT, json!([n, token, FORM])).await?,
            )?);
            plain.push(number(
                browser.eval_async(MOUNT_CEILING, json!([n])).await?,
            )?);
        }
        let (ck, plain) = (median(ck), median(plain));
        let line = format!(
            "| mount {n} widget{} (ms, append → last `widget:mounted`) | {ck:.1} | {plain:.1} | {:.2}× |\n",
            if n == 1 { "" } else { "s" },
            if ck > 0.0 { plain / ck } else { 0.0 }
        );
        print!("{line}");
        table.push_str(&line);
    }
    let (mut ck, mut plain) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ck.push(number(browser.eval_async(BUS, json!([20_000])).await?)?);
        plain.push(number(
            browser.eval_async(BUS_CEILING, json!([20_000])).await?,
        )?);
    }
    let (ck, plain) = (median(ck), median(plain));
    let line = format!(
        "| bus dispatches/s (`ck('emit')` → one JS handler) | {ck:.0} | {plain:.0} | {:.2}× |\n",
        ck / plain
    );
    print!("{line}");
    table.push_str(&line);
    drop(browser);
    server.stop().await?;

    let text = format!(
        "Headless Chromium, unthrottled, median of {rounds} rounds; × ceiling = ceiling time / \
         runtime time for mounts, runtime rate / ceiling rate for the bus (1.00× = as fast as \
         the plain code). The page's `performance.now()` is coarsened to 0.1 ms, so the 1-widget \
         row sits at the timer's resolution; 10 and 100 widgets are the meaningful mount rows. \
         Mount includes the runtime's per-widget work the plain code does not do (attribute \
         parsing, the config merge, constructable stylesheets, listeners, the metrics batch).\n\n{table}"
    );
    if write {
        let path = repo_root().join("docs/bench.md");
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let (start, end) = ("<!-- runtime-bench:start -->", "<!-- runtime-bench:end -->");
        let block = format!("{start}\n{text}{end}");
        let new = match (old.find(start), old.find(end)) {
            (Some(a), Some(b)) if a < b => {
                format!("{}{block}{}", &old[..a], &old[b + end.len()..])
            }
            _ => format!("{old}\n### Runtime: mount and bus (`runtime-bench`)\n\n{block}\n"),
        };
        std::fs::write(&path, new)?;
        println!("runtime-bench: wrote {}", path.display());
    }
    Ok(())
}
