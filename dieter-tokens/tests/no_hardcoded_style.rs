//! The form widget and the dashboard take every colour and font from the Dieter tokens.
//!
//! Scans the form widget's sources (`widgets/form/src/**`) and the server's styles and pages
//! (`server/**/*.{css,html,js}` and `server/src/**`) for hard-coded colours (`#hex`, `rgb(`/`hsl(`/… and
//! named colours in colour properties) and font families other than `var(--ck-…)`. Paths that do not exist
//! yet are skipped. A line with `ck-style-allow` (in a comment, with a reason) is exempt.

use std::path::{Path, PathBuf};

const NAMED_COLORS: &[&str] = &[
    "aliceblue",
    "antiquewhite",
    "aqua",
    "aquamarine",
    "azure",
    "beige",
    "bisque",
    "black",
    "blanchedalmond",
    "blue",
    "blueviolet",
    "brown",
    "burlywood",
    "cadetblue",
    "chartreuse",
    "chocolate",
    "coral",
    "cornflowerblue",
    "cornsilk",
    "crimson",
    "cyan",
    "darkblue",
    "darkcyan",
    "darkgoldenrod",
    "darkgray",
    "darkgreen",
    "darkgrey",
    "darkkhaki",
    "darkmagenta",
    "darkolivegreen",
    "darkorange",
    "darkorchid",
    "darkred",
    "darksalmon",
    "darkseagreen",
    "darkslateblue",
    "darkslategray",
    "darkslategrey",
    "darkturquoise",
    "darkviolet",
    "deeppink",
    "deepskyblue",
    "dimgray",
    "dimgrey",
    "dodgerblue",
    "firebrick",
    "floralwhite",
    "forestgreen",
    "fuchsia",
    "gainsboro",
    "ghostwhite",
    "gold",
    "goldenrod",
    "gray",
    "green",
    "greenyellow",
    "grey",
    "honeydew",
    "hotpink",
    "indianred",
    "indigo",
    "ivory",
    "khaki",
    "lavender",
    "lavenderblush",
    "lawngreen",
    "lemonchiffon",
    "lightblue",
    "lightcoral",
    "lightcyan",
    "lightgoldenrodyellow",
    "lightgray",
    "lightgreen",
    "lightgrey",
    "lightpink",
    "lightsalmon",
    "lightseagreen",
    "lightskyblue",
    "lightslategray",
    "lightslategrey",
    "lightsteelblue",
    "lightyellow",
    "lime",
    "limegreen",
    "linen",
    "magenta",
    "maroon",
    "mediumaquamarine",
    "mediumblue",
    "mediumorchid",
    "mediumpurple",
    "mediumseagreen",
    "mediumslateblue",
    "mediumspringgreen",
    "mediumturquoise",
    "mediumvioletred",
    "midnightblue",
    "mintcream",
    "mistyrose",
    "moccasin",
    "navajowhite",
    "navy",
    "oldlace",
    "olive",
    "olivedrab",
    "orange",
    "orangered",
    "orchid",
    "palegoldenrod",
    "palegreen",
    "paleturquoise",
    "palevioletred",
    "papayawhip",
    "peachpuff",
    "peru",
    "pink",
    "plum",
    "powderblue",
    "purple",
    "rebeccapurple",
    "red",
    "rosybrown",
    "royalblue",
    "saddlebrown",
    "salmon",
    "sandybrown",
    "seagreen",
    "seashell",
    "sienna",
    "silver",
    "skyblue",
    "slateblue",
    "slategray",
    "slategrey",
    "snow",
    "springgreen",
    "steelblue",
    "tan",
    "teal",
    "thistle",
    "tomato",
    "turquoise",
    "violet",
    "wheat",
    "white",
    "whitesmoke",
    "yellow",
    "yellowgreen",
];

/// Properties whose value is (or contains) a colour.
const COLOR_PROPERTIES: &[&str] = &[
    "color",
    "background",
    "background-color",
    "border",
    "border-color",
    "border-top",
    "border-right",
    "border-bottom",
    "border-left",
    "border-top-color",
    "border-right-color",
    "border-bottom-color",
    "border-left-color",
    "border-block",
    "border-inline",
    "outline",
    "outline-color",
    "fill",
    "stroke",
    "box-shadow",
    "text-shadow",
    "caret-color",
    "accent-color",
    "text-decoration",
    "text-decoration-color",
    "column-rule",
    "column-rule-color",
    "scrollbar-color",
];

const COLOR_FUNCTIONS: &[&str] = &[
    "rgb(", "rgba(", "hsl(", "hsla(", "hwb(", "lab(", "lch(", "oklab(", "oklch(",
];

/// One finding: `file:line: what`.
fn scan(label: &str, text: &str) -> Vec<String> {
    let rust_like = label.ends_with(".rs") || label.ends_with(".js");
    let mut findings = Vec::new();
    let text = strip_block_comments(text);
    let shipped = if label.ends_with(".rs") {
        strip_test_module(&text)
    } else {
        &text
    };
    for (number, line) in shipped.lines().enumerate() {
        if line.contains("ck-style-allow") {
            continue;
        }
        let code = if rust_like {
            strip_line_comment(line)
        } else {
            line
        };
        let lower = code.to_ascii_lowercase();
        let mut report = |what: String| {
            findings.push(format!("{label}:{}: {what}: {}", number + 1, line.trim()))
        };

        for hex in hex_colors(code) {
            report(format!("hard-coded colour {hex}"));
        }
        for function in COLOR_FUNCTIONS {
            let mut from = 0;
            while let Some(at) = lower[from..].find(function).map(|i| i + from) {
                from = at + function.len();
                let preceded_by_word = lower[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                // rgb(from var(--ck-…) r g b / .1) derives from a token: allowed.
                let args = &lower[from..(from + 80).min(lower.len())];
                if !preceded_by_word && !args.contains("var(--ck-") {
                    report(format!("hard-coded colour {}…)", &code[at..from]));
                }
            }
        }
        for (property, value) in declarations(&lower) {
            if COLOR_PROPERTIES.contains(&property) {
                for word in value.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
                    if NAMED_COLORS.contains(&word) {
                        report(format!("named colour {word} in {property}"));
                    }
                }
            }
            if property == "font-family" || property == "font" {
                let only_tokens = value
                    .split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|w| !w.is_empty())
                    .all(|w| {
                        w.starts_with("var(--ck-")
                            || matches!(w, "inherit" | "initial" | "unset" | "revert")
                    });
                let font_ok =
                    property == "font" && (value.contains("var(--ck-font-family") || only_tokens);
                if !(only_tokens || font_ok) {
                    report(format!("font {property} not from tokens: {value}"));
                }
            }
        }
    }
    findings
}

/// `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa` standing alone (not `&#039;`, not part of a longer word).
fn hex_colors(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    for (i, _) in line.match_indices('#') {
        if i > 0 && (bytes[i - 1] == b'&' || bytes[i - 1].is_ascii_alphanumeric()) {
            continue;
        }
        let digits = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        let next = bytes.get(i + 1 + digits);
        let ends_word =
            !next.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-');
        if matches!(digits, 3 | 4 | 6 | 8) && ends_word {
            found.push(&line[i..i + 1 + digits]);
        }
    }
    found
}

/// `property: value` pairs in a line of CSS (also CSS inside Rust strings or HTML style attributes).
fn declarations(lower: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    for (colon, _) in lower.match_indices(':') {
        let before = &lower[..colon];
        let start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .map_or(0, |i| i + 1);
        let property = before[start..].trim();
        // Pseudo-classes (`a:hover`) and Rust paths (`a::b`) are not declarations.
        let prev = before[..start].chars().next_back();
        if property.is_empty()
            || lower[colon + 1..].starts_with(':')
            || before.ends_with(':')
            || prev == Some(':')
        {
            continue;
        }
        let rest = &lower[colon + 1..];
        // A quote ends CSS embedded in a Rust/HTML string, unless the value itself starts with one
        // (`font-family: "Segoe UI"`).
        let quoted = rest.trim_start().starts_with(['"', '\'']);
        let terminators: &[char] = if quoted {
            &[';', '}', '{']
        } else {
            &[';', '}', '"', '\'', '{']
        };
        let end = rest.find(terminators).unwrap_or(rest.len());
        out.push((property, rest[..end].trim()));
    }
    out
}

/// A Rust file up to its `#[cfg(test)] mod …` (conventionally last): test code is not shipped style, and
/// tests that assert the absence of colours have to spell them out.
fn strip_test_module(text: &str) -> &str {
    let mut offset = 0;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines.peek().is_some_and(|next| {
                // `mod tests`, `pub(crate) mod tests` (a module other tests reuse), `pub mod`.
                let next = next.trim_start();
                let next = next
                    .strip_prefix("pub(crate) ")
                    .or_else(|| next.strip_prefix("pub "))
                    .unwrap_or(next);
                next.starts_with("mod ")
            })
        {
            return &text[..offset];
        }
        offset += line.len() + 1;
    }
    text
}

fn strip_line_comment(line: &str) -> &str {
    // Good enough for style scanning: a `//` inside a string (a URL) only hides the rest of that line.
    line.find("//").map_or(line, |i| &line[..i])
}

fn strip_block_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out += &rest[..start];
        let Some(end) = rest[start..].find("*/") else {
            return out;
        };
        // Keep line numbers right.
        out.extend(rest[start..start + end].chars().filter(|c| *c == '\n'));
        rest = &rest[start + end + 2..];
    }
    out + rest
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("dieter-tokens sits in the workspace")
        .to_path_buf()
}

fn walk(dir: &Path, accept: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !matches!(
                name.to_str(),
                Some("target" | "node_modules" | "tests" | ".git")
            ) {
                walk(&path, accept, out);
            }
        } else if accept(&path) {
            out.push(path);
        }
    }
}

fn has_ext(path: &Path, exts: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.contains(&e))
}

fn scanned_files() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    walk(
        &root.join("widgets/form/src"),
        &|p| has_ext(p, &["rs", "css", "html", "js"]),
        &mut files,
    );
    walk(
        &root.join("server/src"),
        &|p| has_ext(p, &["rs", "css", "html", "js"]),
        &mut files,
    );
    walk(
        &root.join("server"),
        &|p| has_ext(p, &["css", "html"]) && !p.starts_with(root.join("server/src")),
        &mut files,
    );
    files.sort();
    files.dedup();
    files
}

fn scan_file(path: &Path) -> Vec<String> {
    let label = path
        .strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => scan(&label, &text),
        Err(_) => Vec::new(), // binary or vanished mid-run: not style source.
    }
}

#[test]
fn form_widget_and_dashboard_use_only_tokens() {
    let files = scanned_files();
    // Guard against a vacuous pass: directories that exist must contribute files.
    let root = workspace_root();
    for dir in ["widgets/form/src", "server/src"] {
        if root.join(dir).is_dir() {
            assert!(
                files.iter().any(|f| f.starts_with(root.join(dir))),
                "nothing scanned under {dir}"
            );
        }
    }
    let findings: Vec<String> = files.iter().flat_map(|f| scan_file(f)).collect();
    assert!(
        findings.is_empty(),
        "hard-coded colours/fonts (use var(--ck-…) from dieter_tokens::css, or mark a justified line with \
         `ck-style-allow: reason`):\n{}",
        findings.join("\n")
    );
}

#[test]
fn the_scanner_flags_every_hard_coded_colour_and_font_in_the_fixtures() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hardcoded");
    let css = scan_file(&fixtures.join("bad.css"));
    for expected in [
        "#333",
        "rgba(",
        "named colour red",
        "font font-family",
        "font font",
        "hsl(",
        "rebeccapurple",
        "#ffcc0080",
    ] {
        assert!(
            css.iter().any(|f| f.contains(expected)),
            "bad.css: {expected:?} not flagged in {css:#?}"
        );
    }
    // Line numbers point at the rule, so a finding is actionable.
    assert!(
        css.iter()
            .any(|f| f.contains("bad.css:2: hard-coded colour #333")),
        "{css:#?}"
    );
    let rust = scan_file(&fixtures.join("bad.rs"));
    assert_eq!(rust.len(), 3, "{rust:#?}");
    let good = scan_file(&fixtures.join("good.css"));
    assert!(good.is_empty(), "false positives: {good:#?}");
}

#[test]
fn rust_test_modules_are_not_scanned_but_code_before_them_is() {
    for module in ["mod tests", "pub(crate) mod tests", "pub mod tests"] {
        let text = format!(
            "const CSS: &str = \"a{{color:#fff}}\";\n#[cfg(test)]\n{module} {{\n    const BAD: &[&str] = &[\"#000\", \"rgb(\"];\n}}\n"
        );
        let findings = scan("x.rs", &text);
        assert_eq!(findings.len(), 1, "{module}: {findings:#?}");
        assert!(
            findings[0].starts_with("x.rs:1: hard-coded colour #fff"),
            "{module}"
        );
    }
}

#[test]
fn html_entities_rust_attributes_and_ids_are_not_colours() {
    let text = "#[derive(Debug)]\nlet s = \"it&#039;s\"; let id = \"#form-1\"; let r = r#\"x\"#;\nuse a::b;";
    assert!(scan("x.rs", text).is_empty(), "{:#?}", scan("x.rs", text));
}
