//! The generated CSS in a real browser: headless Chromium parses `css::THEME` as a constructable stylesheet
//! in shadow roots and `css::ROOT` on the page, and the theme switches by OS preference, by attribute, and
//! durations drop under reduced motion.
//!
//! Needs Chromium (`CHROME=/path`, or `chromium`/`chromium-browser`/`google-chrome` on PATH); without one the
//! test says so and passes.

use std::path::PathBuf;
use std::process::Command;

use dieter_tokens::css;

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

/// Value of `name` in the first declaration after `marker` in `sheet`.
fn declared(sheet: &str, marker: &str, name: &str) -> String {
    let from = sheet
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in sheet"));
    let rest = &sheet[from..];
    let at = rest
        .find(&format!("{name}:"))
        .unwrap_or_else(|| panic!("{name} not after {marker}"))
        + name.len()
        + 1;
    rest[at..]
        .split([';', '}'])
        .next()
        .unwrap_or_default()
        .to_string()
}

const PAGE: &str = r#"<!doctype html><meta charset=utf-8>
<div id=auto></div><div id=dark data-ck-theme=dark></div><div id=light data-ck-theme=light></div>
<style>#over{--ck-color-surface:#b00020}</style><div id=over></div>
<pre id=out>pending</pre><script>
const sheet = new CSSStyleSheet();
sheet.replaceSync(THEME);
const lines = ['rules ' + sheet.cssRules.length];
for (const id of ['auto', 'dark', 'light', 'over']) {
  const host = document.getElementById(id);
  host.attachShadow({mode: 'open'}).adoptedStyleSheets = [sheet];
  const style = getComputedStyle(host);
  lines.push(id + ' ' + style.getPropertyValue('--ck-color-surface').trim() + ' ' +
    style.getPropertyValue('--ck-duration-fast').trim() + ' ' + style.getPropertyValue('color-scheme').trim());
}
const root = document.createElement('style');
root.textContent = ROOT;
document.head.append(root);
lines.push('root ' + root.sheet.cssRules.length + ' ' +
  getComputedStyle(document.documentElement).getPropertyValue('--ck-color-surface').trim());
document.getElementById('out').textContent = lines.join('\n');
</script>"#;

fn run(chrome: &std::path::Path, extra: &[&str]) -> Vec<Vec<String>> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tokens-browser");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let html = dir.join("theme.html");
    let page = PAGE
        .replace("THEME);", &format!("{:?});", css::THEME))
        .replace("= ROOT;", &format!("= {:?};", css::ROOT));
    std::fs::write(&html, page).expect("write page");
    let output = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--dump-dom",
        ])
        .args(extra)
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&output.stdout);
    let text = dom
        .split("<pre id=\"out\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "no result:\n{dom}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    text.lines()
        .map(|l| l.split(' ').map(str::to_string).collect())
        .collect()
}

#[test]
fn theme_and_root_work_in_chromium() {
    let Some(chrome) = chrome() else {
        eprintln!("SKIPPED: no Chromium found (set CHROME=/path/to/chromium)");
        return;
    };
    let light = declared(css::THEME, ":host{", "--ck-color-surface");
    let dark = declared(
        css::THEME,
        ":host([data-ck-theme=dark])",
        "--ck-color-surface",
    );
    let fast = declared(css::THEME, ":host{", "--ck-duration-fast");
    assert_ne!(light, dark);

    // OS in light mode.
    let out = run(&chrome, &["--blink-settings=preferredColorScheme=1"]);
    eprintln!("light OS: {out:?}");
    // :host, OS-dark :host, forced dark, reduced-motion: every rule parsed, none dropped.
    assert_eq!(out[0], ["rules", "4"]);
    assert_eq!(out[1], ["auto", &light, &fast, "light"]);
    assert_eq!(out[2], ["dark", &dark, &fast, "dark"]);
    assert_eq!(out[3], ["light", &light, &fast, "light"]);
    // A publisher's page CSS on the mount element beats the widget's :host rules.
    assert_eq!(out[4], ["over", "#b00020", &fast, "light"]);
    assert_eq!(out[5], ["root", "4", &light]);

    // OS in dark mode, visitor prefers reduced motion.
    let out = run(
        &chrome,
        &[
            "--blink-settings=preferredColorScheme=0",
            "--force-prefers-reduced-motion",
        ],
    );
    eprintln!("dark OS, reduced motion: {out:?}");
    assert_eq!(out[1], ["auto", &dark, "0ms", "dark"]);
    assert_eq!(out[2], ["dark", &dark, "0ms", "dark"]);
    assert_eq!(
        out[3],
        ["light", &light, "0ms", "light"],
        "data-ck-theme=light must beat the OS preference"
    );
    assert_eq!(out[5], ["root", "4", &dark]);
}
