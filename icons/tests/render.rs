//! The pipeline changes bytes, not pictures: every default icon, as generated, renders the same as its
//! source SVG in headless Chromium (both drawn to a canvas and compared pixel by pixel).
//!
//! Needs Chromium (`CHROME=/path` or `chromium`/`chromium-browser`/`google-chrome` on PATH); without one the
//! test says so and passes, so laptops without a browser can still run `cargo test`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const SIZE: u32 = 96;

fn chrome() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROME") {
        return Some(path.into());
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// A page that rasterises each (source, generated) pair and writes per-pair pixel differences into
/// `<pre id=out>`, read back with `--dump-dom`.
fn page(pairs: &[(String, String, String)]) -> String {
    let data: Vec<String> = pairs
        .iter()
        .map(|(name, a, b)| format!("[{name:?},{a:?},{b:?}]"))
        .collect();
    format!(
        r#"<!doctype html><meta charset=utf-8><pre id=out>pending</pre><script>
const S = {SIZE};
const pairs = [{}];
function draw(svg) {{
  return new Promise((resolve, reject) => {{
    const img = new Image(S, S);
    img.onload = () => {{
      const c = document.createElement('canvas'); c.width = S; c.height = S;
      const g = c.getContext('2d'); g.drawImage(img, 0, 0, S, S);
      resolve(g.getImageData(0, 0, S, S).data);
    }};
    img.onerror = () => reject(new Error('cannot load'));
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
  }});
}}
(async () => {{
  const lines = [];
  for (const [name, a, b] of pairs) {{
    try {{
      const [x, y] = await Promise.all([draw(a), draw(b)]);
      let ink = 0, diff = 0;
      for (let i = 3; i < x.length; i += 4) {{
        if (x[i] > 32) ink++;
        if (Math.abs(x[i] - y[i]) > 32) diff++;
      }}
      lines.push(name + ' ' + ink + ' ' + diff);
    }} catch (e) {{ lines.push(name + ' error ' + e.message); }}
  }}
  document.getElementById('out').textContent = lines.join('\n');
}})();
</script>"#,
        data.join(",")
    )
}

/// The source file with an explicit pixel size, so both sides rasterise at SIZE×SIZE.
fn sized_source(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text
        .replace("width=\"24\"", "")
        .replace("height=\"24\"", "");
    text.replacen(
        "<svg",
        &format!("<svg width=\"{SIZE}\" height=\"{SIZE}\""),
        1,
    )
}

fn sized(svg: &str) -> String {
    svg.replacen(
        "width=\"1em\" height=\"1em\"",
        &format!("width=\"{SIZE}\" height=\"{SIZE}\""),
        1,
    )
}

/// Renders the pairs; returns (name, ink pixels, differing pixels).
fn render(chrome: &Path, pairs: &[(String, String, String)]) -> Vec<(String, usize, usize)> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("icons-render");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let html = dir.join("compare.html");
    std::fs::write(&html, page(pairs)).expect("write page");
    let output = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--virtual-time-budget=20000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&output.stdout);
    let start = dom
        .find("<pre id=\"out\">")
        .map(|i| i + "<pre id=\"out\">".len());
    let text = start
        .and_then(|s| dom[s..].split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "no result from chromium:\n{dom}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    text.lines()
        .map(|line| {
            let parts: Vec<&str> = line.split(' ').collect();
            let number = |i: usize| {
                parts
                    .get(i)
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| panic!("bad result line {line:?}"))
            };
            (parts[0].to_string(), number(1), number(2))
        })
        .collect()
}

#[test]
fn generated_icons_render_like_their_sources() {
    let Some(chrome) = chrome() else {
        eprintln!("SKIPPED: no Chromium found (set CHROME=/path/to/chromium)");
        return;
    };
    let svg_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("svg");
    let mut pairs: Vec<(String, String, String)> = common::default_icons()
        .iter()
        .map(|icon| {
            let source = sized_source(&svg_dir.join(format!("{}.svg", icon.name)));
            (icon.name.to_string(), source, sized(&icon.to_svg(None)))
        })
        .collect();
    // A control that must differ: SETTINGS without its centre circle. Proves the comparison can fail.
    let mut broken = sized(&ck_icons::SETTINGS.to_svg(None));
    let circle = broken.find("<circle").expect("settings has a circle");
    let end = broken[circle..].find("/>").expect("closed") + circle + 2;
    broken.replace_range(circle..end, "");
    pairs.push(("control".into(), pairs[20].1.clone(), broken));
    assert_eq!(pairs[20].0, "settings");

    let results = render(&chrome, &pairs);
    assert_eq!(results.len(), pairs.len(), "{results:?}");
    for (name, ink, diff) in &results {
        eprintln!("{name:>14}: {ink:5} inked pixels, {diff} differ");
        if name == "control" {
            assert!(
                *diff > 50,
                "the broken control icon was not detected: {diff} pixels differ"
            );
            continue;
        }
        assert!(
            *ink > 100,
            "{name}: source drew only {ink} pixels; did it render?"
        );
        // Anti-aliasing may move a pixel or two when coordinates are rounded to 3 decimals.
        assert!(
            *diff <= 3,
            "{name}: {diff} of {ink} inked pixels differ from the source"
        );
    }
}
