//! `cargo xtask new-widget NAME`: a new widget crate `widgets/NAME` (`ck-NAME`) that builds,
//! mounts and passes its tests as it is, registered everywhere the embed build looks, with a size
//! budget and a test page.
//!
//! Nothing is written until every edit has been computed, and nothing is overwritten: a name
//! that is taken anywhere (folder, crate, feature, page) is refused before any change. Every
//! edit of a shared file inserts lines next to their siblings and never reformats the file.
//! All registration edits are in [`register`], the one place to change when widgets are
//! registered another way.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Names the embed already uses for something else: `bare` is the size build without widgets,
/// `widget` the runtime's event prefix (`widget:mounted`), the rest are crates, folders and
/// build outputs of the workspace; `config`, `value`, … would name the widget's type like an
/// SDK type it imports.
const RESERVED: &[&str] = &[
    "bare",
    "widget",
    "widgets",
    "form",
    "form-check",
    "announcement",
    "runtime",
    "bindings",
    "core",
    "default",
    "latest",
    "sizes",
    "embed",
    "icons",
    "tokens",
    "build",
    "test",
    "tests",
    "ck",
    "config",
    "value",
    "mounted",
    "instance",
    "listener",
    "self",
    "super",
    "crate",
];

/// Checks a widget name: 2 to 32 characters of `a-z`, `0-9` and single inner hyphens, starting
/// with a letter, not [`RESERVED`] and not an allocator feature (`alloc-*`). It becomes the
/// `data-ck-widget` value, the folder, the cargo feature, the crate `ck-NAME` and the event
/// prefix `NAME:`.
pub(crate) fn validate(name: &str) -> Result<()> {
    let why = if !(2..=32).contains(&name.len()) {
        Some("2 to 32 characters")
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("must start with a letter a-z")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Some("only a-z, 0-9 and '-'")
    } else if name.ends_with('-') || name.contains("--") {
        Some("'-' only between letters or digits")
    } else if RESERVED.contains(&name) || name.starts_with("alloc-") {
        Some("reserved: the embed uses that name already")
    } else {
        None
    };
    match why {
        Some(why) => bail!("widget name {name:?}: {why}"),
        None => Ok(()),
    }
}

/// `my-widget` → `MyWidget`: the widget's type.
fn type_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Scaffolds widget `name` into the workspace at `root` and prints what it did.
pub(crate) fn run(root: &Path, name: &str) -> Result<()> {
    validate(name)?;
    let dir = root.join("widgets").join(name);
    if dir.exists() {
        bail!("{} exists already: pick another name", dir.display());
    }
    let mut writes = crate_files(name)
        .into_iter()
        .map(|(path, text)| (dir.join(path), text))
        .collect::<Vec<_>>();
    writes.extend(register(root, name)?);
    for (path, text) in &writes {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    println!("new-widget: ck-{name} in widgets/{name}/, registered:");
    for (path, _) in &writes {
        let shown = path.strip_prefix(root).unwrap_or(path);
        println!("  {}", shown.display());
    }
    println!(
        "next: cargo test -p ck-{name}; cargo xtask dist (builds dist/sizes/{name}/); \
         cargo xtask size; see it: cargo xtask dist --features {name}, cargo run -p ck-server, \
         http://127.0.0.1:8080/dev/{name}.html"
    );
    Ok(())
}

/// Every change outside the widget's own folder, as (file, its new full text), computed from
/// the files as they are; fails, changing nothing, when any of them already knows `name`.
/// The one function to retarget when registration changes (lazy chunks, a generated registry).
pub(crate) fn register(root: &Path, name: &str) -> Result<Vec<(PathBuf, String)>> {
    let krate = format!("ck-{name}");
    let ident = krate.replace('-', "_");
    let ty = type_name(name);
    let mut out = Vec::new();

    // The workspace: a member, and the version line every crate refers to.
    let path = root.join("Cargo.toml");
    let text = read(&path)?;
    let member = format!("\"widgets/{name}\"");
    refuse_if(&path, &text, &[&member, &format!("\n{krate} ")])?;
    let text = insert_in_table(
        &text,
        "members = [",
        |l| l.starts_with("\"widgets/"),
        &format!("  {member},"),
    )?;
    let text = insert_in_table(
        &text,
        "[workspace.dependencies]",
        |l| l.starts_with("ck-") && l.contains("path = "),
        &format!("{krate} = {{ path = \"widgets/{name}\" }}"),
    )?;
    out.push((path, text));

    // The embed: a cargo feature, the optional dependency, the registry line.
    let path = root.join("bindings/Cargo.toml");
    let text = read(&path)?;
    refuse_if(
        &path,
        &text,
        &[&format!("\n{name} = "), &format!("\n{krate} ")],
    )?;
    let text = insert_in_table(
        &text,
        "[features]",
        |l| l.contains("= [\"dep:ck-"),
        &format!("{name} = [\"dep:{krate}\"]"),
    )?;
    let text = insert_in_table(
        &text,
        "[dependencies]",
        |l| l.starts_with("ck-") && l.contains("optional = true"),
        &format!("{krate} = {{ workspace = true, optional = true }}"),
    )?;
    out.push((path, text));

    let path = root.join("bindings/src/lib.rs");
    let text = read(&path)?;
    refuse_if(&path, &text, &[&format!("\"{name}\" =>")])?;
    // One line in the `widgets!` list: a lazy chunk `{name}.wasm` in a release, registered
    // directly in host builds.
    let start = text
        .find("widgets! {\n")
        .context("bindings/src/lib.rs has no `widgets! {` list")?;
    let end = text[start..]
        .find("\n}\n")
        .map(|at| start + at + 1)
        .context("bindings/src/lib.rs: the `widgets!` list does not end in `}`")?;
    let text = format!(
        "{}    \"{name}\" => {ident}::{ty},\n{}",
        &text[..end],
        &text[end..]
    );
    out.push((path, text));

    // `cargo xtask test` lints the wasm crates for wasm32 too.
    let path = root.join("xtask/src/ci.rs");
    let text = add_to_list(&read(&path)?, "const WASM_CRATES: &[&str] = &[", &krate)
        .with_context(|| path.display().to_string())?;
    out.push((path, text));

    // The size gate: the widget's lazy chunk.
    let path = root.join("size-budget.json");
    let text = read(&path)?;
    let title = format!("\"{name} chunk\"");
    refuse_if(&path, &text, &[&title])?;
    let close = text
        .rfind(']')
        .context("size-budget.json: no budgets array")?;
    let last = text[..close]
        .rfind('}')
        .context("size-budget.json: the budgets array is empty")?;
    let entry = format!(
        ",\n    {{\n      \"name\": {title},\n      \
         \"path\": \"dist/embed/latest/{name}.wasm\",\n      \
         \"compression\": \"gzip\",\n      \"limit\": \"10 KB\",\n      \"aim\": \"5 KB\"\n    }}"
    );
    let text = format!("{}{entry}{}", &text[..=last], &text[last + 1..]);
    let parsed: serde_json::Value =
        serde_json::from_str(&text).context("size-budget.json is no longer JSON after the edit")?;
    let named = parsed["budgets"]
        .as_array()
        .is_some_and(|b| b.iter().any(|e| e["name"] == format!("{name} chunk")));
    if !named {
        bail!("size-budget.json: the entry did not land in \"budgets\"");
    }
    out.push((path, text));

    // A test page at /dev/NAME.html (the server serves examples/pages/ there).
    let page = root.join("examples/pages").join(format!("{name}.html"));
    if page.exists() {
        bail!("{} exists already", page.display());
    }
    out.push((page, fill(PAGE, name)));
    Ok(out)
}

/// Adds the string `item` at the end of the Rust list literal that starts with `marker`
/// (`const X: &[&str] = &[`), on one line or one entry per line as rustfmt left it.
fn add_to_list(text: &str, marker: &str, item: &str) -> Result<String> {
    let start = text
        .find(marker)
        .with_context(|| format!("no `{marker}`"))?
        + marker.len();
    let end = start
        + text[start..]
            .find("];")
            .with_context(|| format!("`{marker}` is not closed"))?;
    let list = &text[start..end];
    if list.contains(&format!("\"{item}\"")) {
        bail!("{marker}…] has {item:?} already: the name is taken");
    }
    let (head, tail) = (&text[..start], &text[end..]);
    if let Some(last_line) = list.rfind('\n') {
        // One entry per line: a new line before the closing `];`'s line.
        let (entries, indent) = list.split_at(last_line + 1);
        return Ok(format!(
            "{head}{entries}{indent}    \"{item}\",\n{indent}{tail}"
        ));
    }
    let kept = list.trim_end();
    let sep = if kept.trim().is_empty() { "" } else { ", " };
    Ok(format!("{head}{kept}{sep}\"{item}\"{tail}"))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Refuses a name `text` already mentions in one of the given spellings.
fn refuse_if(path: &Path, text: &str, spellings: &[&str]) -> Result<()> {
    let text = format!("\n{text}");
    match spellings.iter().find(|s| text.contains(*s)) {
        Some(s) => bail!(
            "{} already has {:?}: the name is taken (nothing was changed)",
            path.display(),
            s.trim()
        ),
        None => Ok(()),
    }
}

/// Inserts `line` after the last line of the table (or array) opened by the line `header`
/// that `sibling` accepts (lines trimmed), or right after the header when none does. A table
/// ends at the next `[` header, an array at its `]` line.
fn insert_in_table(
    text: &str,
    header: &str,
    sibling: impl Fn(&str) -> bool,
    line: &str,
) -> Result<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == header)
        .with_context(|| format!("no `{header}` line"))?;
    let array = header.ends_with('[');
    let mut at = start;
    for (i, l) in lines.iter().enumerate().skip(start + 1) {
        let l = l.trim();
        if (array && l.starts_with(']')) || (!array && l.starts_with('[')) {
            break;
        }
        if sibling(l) {
            at = i;
        }
    }
    let mut out = String::with_capacity(text.len() + line.len() + 1);
    for (i, l) in lines.iter().enumerate() {
        out.push_str(l);
        if i == at {
            if !l.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// The widget crate's files, relative to its folder.
fn crate_files(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Cargo.toml", fill(CARGO_TOML, name)),
        ("build.rs", fill(BUILD_RS, name)),
        ("src/lib.rs", fill(LIB_RS, name)),
        ("src/widget.css", fill(CSS, name)),
        ("icons/spark.svg", SPARK_SVG.to_string()),
        ("README.md", fill(README, name)),
    ]
}

fn fill(template: &str, name: &str) -> String {
    template
        .replace("__NAME__", name)
        .replace("__CRATE__", &format!("ck-{name}"))
        .replace("__IDENT__", &format!("ck_{}", name.replace('-', "_")))
        .replace("__TYPE__", &type_name(name))
}

const CARGO_TOML: &str = r#"[package]
name = "__CRATE__"
description = "The __NAME__ widget of the Clickeen embed."
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[lints]
workspace = true

# This crate's own icons: every SVG file in icons/ becomes a constant (`spark.svg` →
# `icons::SPARK`), made by build.rs through the shared icon pipeline. No environment variable.
[package.metadata.ck]
icons = "icons"

[dependencies]
# The SDK (Widget, MountCtx, dom, keys, js, fmt, Timer, Value); re-exports wasm_bindgen,
# js_sys and web_sys, so the widget uses exactly the runtime's versions.
ck-runtime = { workspace = true }
ck-icons = { workspace = true }

[build-dependencies]
# build.rs: the stylesheets (src/widget.css + only the dieter tokens it reads) and the icons.
ck-build = { workspace = true }
dieter-tokens = { workspace = true }
"#;

const BUILD_RS: &str = r#"//! `src/widget.css` joined into one line plus the dieter tokens it reads (`$OUT_DIR/widget.css`,
//! `$OUT_DIR/widget_theme.css`), and this crate's icons from the folder named in Cargo.toml
//! (`$OUT_DIR/ck_icons.rs`, included by `ck_icons::include_icons!`).

fn main() {
    dieter_tokens::build_sheets("widget");
    ck_build::author::icons();
}
"#;

const CSS: &str = r#".card{display:flex;flex-wrap:wrap;align-items:center;gap:var(--ck-space-3);padding:var(--ck-space-4);background:var(--ck-color-surface);color:var(--ck-color-text);border:1px solid var(--ck-color-border);border-radius:var(--ck-radius-md)}
p{margin:0;flex:1 1 12em}
button{display:inline-flex;align-items:center;gap:var(--ck-space-2);padding:var(--ck-space-2) var(--ck-space-4);border:0;border-radius:var(--ck-radius-sm);background:var(--ck-color-accent);color:var(--ck-color-accent-text);font:inherit;cursor:pointer}
:focus-visible{outline:2px solid var(--ck-color-focus);outline-offset:2px}
"#;

const SPARK_SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2l2.5 7.5L22 12l-7.5 2.5L12 22l-2.5-7.5L2 12l7.5-2.5z"/></svg>
"#;

const LIB_RS: &str = r#"//! The __NAME__ widget (`data-ck-widget="__NAME__"`), scaffolded by `cargo xtask new-widget`:
//! a text and a button; a click counts an interaction and emits `__NAME__:clicked`.
//!
//! ```html
//! <div data-ck-widget="__NAME__" data-ck-config='{"text":"Hello"}'></div>
//! ```
//!
//! Config: `text` (1-200 characters, default "Hello"). Events: `__NAME__:clicked`, detail
//! `{id, widget, element}`.

use ck_runtime::dom::{self, Listener};
use ck_runtime::wasm_bindgen::JsValue;
use ck_runtime::{ConfigError, MountCtx, Value, Widget};

// `mod icons`: this crate's icons/ folder (Cargo.toml `[package.metadata.ck] icons`).
ck_icons::include_icons!();

/// The widget type, registered in `bindings/src/lib.rs`.
pub struct __TYPE__;

/// The parsed config.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The text shown.
    pub text: String,
}

/// `src/widget.css` and the dieter tokens it reads (build.rs).
const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.css"));
const THEME: &str = include_str!(concat!(env!("OUT_DIR"), "/widget_theme.css"));

impl Widget for __TYPE__ {
    const TYPE: &'static str = "__NAME__";
    type Config = Config;
    // What the mounted widget keeps alive; dropping it (unmount) removes the listener.
    type Mounted = Listener;

    fn styles() -> &'static [&'static str] {
        &[THEME, CSS]
    }

    fn parse_config(config: &Value) -> Result<Config, ConfigError> {
        parse(config)
    }

    fn mount(ctx: MountCtx<Config>) -> Result<Listener, JsValue> {
        let (config, instance) = ctx.into_parts();
        let card = dom::add(instance.root(), "div", "class=card");
        // Config text goes through textContent: never markup.
        dom::add_text(&card, "p", "", &config.text);
        let button = dom::add_text(&card, "button", "type=button", "Click me");
        dom::append(&button, &dom::icon(&icons::SPARK, None)?)?;
        dom::listen(&button, "click", move |_| {
            instance.metric_interaction("click");
            instance.emit("__NAME__:clicked", &[]);
        })
    }
}

/// Parses the config; every error names its key.
pub fn parse(config: &Value) -> Result<Config, ConfigError> {
    match config.get("text") {
        Value::Null => Ok(Config {
            text: "Hello".into(),
        }),
        Value::Str(s) if !s.trim().is_empty() && s.chars().count() <= 200 => {
            Ok(Config { text: s.clone() })
        }
        _ => Err(ConfigError::new("text", "must be a string of 1-200 characters")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_cases() {
        let text = |v: Value| Value::Obj(vec![("text".into(), v)]);
        for (config, want) in [
            (Value::Obj(vec![]), Ok("Hello")),
            (text(Value::Str("Hi".into())), Ok("Hi")),
            (text(Value::Str(" ".into())), Err("text")),
            (text(Value::Str("x".repeat(201))), Err("text")),
            (text(Value::Num(3.0)), Err("text")),
        ] {
            match (parse(&config), want) {
                (Ok(c), Ok(want)) => assert_eq!(c.text, want),
                (Err(e), Err(path)) => assert_eq!(e.path, path),
                (got, want) => panic!("{config:?}: got {got:?}, want {want:?}"),
            }
        }
    }
}
"#;

const README: &str = r#"# __CRATE__

The `__NAME__` widget, scaffolded by `cargo xtask new-widget __NAME__`. The guide to the SDK
is [docs/widgets.md](../../docs/widgets.md).

```html
<div data-ck-widget="__NAME__" data-ck-config='{"text":"Hello"}'></div>
<script async src="https://HOST/embed/latest/loader.js"></script>
```

| key | type | default |
|---|---|---|
| `text` | string, 1-200 characters | `Hello` |

Events: `__NAME__:clicked` (detail `{id, widget, element}`). Metrics: one interaction per click.

## Files

- `src/lib.rs`: the `Widget` impl, the config parser and its tests.
- `src/widget.css`: the styles, one rule per line, tokens only (`var(--ck-…)`); `build.rs`
  joins them and adds the dieter tokens they read.
- `icons/`: this widget's SVG icons (`spark.svg` → `icons::SPARK`), declared in `Cargo.toml`
  under `[package.metadata.ck]`.

Registered by the scaffold in the root `Cargo.toml` (member + `[workspace.dependencies]`),
`bindings/Cargo.toml` (feature `__NAME__`), `bindings/src/lib.rs` (a `widgets!` line: its own
lazy chunk `__NAME__.wasm` in a release), `xtask/src/ci.rs` (`WASM_CRATES`: wasm32 clippy) and
`size-budget.json` (the chunk ≤ 10 KB gz);
test page `examples/pages/__NAME__.html`.

## Build, measure, look

```sh
cargo test -p __CRATE__                      # the config parser
cargo xtask dist && cargo xtask size         # dist/embed/latest/__NAME__.wasm and its budget
cargo run -p ck-server -- --port 8080        # http://127.0.0.1:8080/dev/__NAME__.html
```
"#;

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>__NAME__ widget</title>
  <link rel="stylesheet" href="form-demo.css">
</head>
<body>
  <!-- The __NAME__ widget (widgets/__NAME__), made by `cargo xtask new-widget`. A release has
       every widget feature as a lazy chunk (`cargo xtask dist`; `--widgets` narrows it), so
       this page loads `__NAME__.wasm` next to the runtime core. Config is inline. -->
  <main>
    <h1>__NAME__</h1>
    <div id="light" data-ck-widget="__NAME__" data-ck-config='{"text":"Hello from __NAME__"}'></div>
    <p>The same widget, <code>data-ck-theme="dark"</code>:</p>
    <div id="dark" data-ck-widget="__NAME__" data-ck-theme="dark" data-ck-config='{"text":"Hello in the dark"}'></div>
  </main>
  <script src="form-e2e.js" data-ck-events="__NAME__:clicked"></script>
  <script async src="/embed/latest/loader.js"></script>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["rating", "my-widget", "ab", "w2", "a-1-b"] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("", "2 to 32"),
            ("a", "2 to 32"),
            (&"a".repeat(33), "2 to 32"),
            ("2fa", "start with a letter"),
            ("-x", "start with a letter"),
            ("Rating", "start with a letter"),
            ("my_widget", "only a-z"),
            ("my widget", "only a-z"),
            ("rätsel", "only a-z"),
            ("a/b", "only a-z"),
            ("ab-", "between"),
            ("a--b", "between"),
            ("form", "reserved"),
            ("bare", "reserved"),
            ("widget", "reserved"),
            ("value", "reserved"),
            ("self", "reserved"),
            ("alloc-talc", "reserved"),
        ] {
            let err = validate(bad).expect_err(bad).to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn type_names() {
        for (name, ty) in [
            ("rating", "Rating"),
            ("my-widget", "MyWidget"),
            ("a-1b", "A1b"),
        ] {
            assert_eq!(type_name(name), ty);
        }
    }

    #[test]
    fn lists_grow_on_one_line_or_one_per_line() {
        let m = "const L: &[&str] = &[";
        for (text, want) in [
            (
                "const L: &[&str] = &[\"a\", \"b\"];",
                "const L: &[&str] = &[\"a\", \"b\", \"n\"];",
            ),
            ("const L: &[&str] = &[];", "const L: &[&str] = &[\"n\"];"),
            (
                "const L: &[&str] = &[\n    \"a\",\n    \"b\",\n];\n",
                "const L: &[&str] = &[\n    \"a\",\n    \"b\",\n    \"n\",\n];\n",
            ),
        ] {
            assert_eq!(add_to_list(text, m, "n").unwrap(), want);
        }
        assert!(add_to_list("const L: &[&str] = &[\"n\"];", m, "n").is_err());
        assert!(add_to_list("nothing", m, "n").is_err());
    }

    #[test]
    fn inserts_after_the_last_sibling_or_the_header() {
        let toml = "[a]\nx = 1\n\n[features]\ndefault = []\nform = [\"dep:ck-form\"]\n# c\nalloc = []\n\n[dependencies]\n";
        let out = insert_in_table(
            toml,
            "[features]",
            |l| l.contains("dep:ck-"),
            "r = [\"dep:ck-r\"]",
        )
        .unwrap();
        assert!(
            out.contains("form = [\"dep:ck-form\"]\nr = [\"dep:ck-r\"]\n# c\n"),
            "{out}"
        );
        let out =
            insert_in_table(toml, "[dependencies]", |l| l.starts_with("ck-"), "ck-r = 1").unwrap();
        assert!(out.ends_with("[dependencies]\nck-r = 1\n"), "{out}");
        let members = "members = [\n  \"runtime\",\n  \"widgets/form\",\n  \"tests\",\n]\n";
        let out = insert_in_table(
            members,
            "members = [",
            |l| l.starts_with("\"widgets/"),
            "  \"widgets/r\",",
        )
        .unwrap();
        assert!(
            out.contains("\"widgets/form\",\n  \"widgets/r\",\n  \"tests\""),
            "{out}"
        );
        assert!(insert_in_table(toml, "[nope]", |_| true, "x").is_err());
    }
}
