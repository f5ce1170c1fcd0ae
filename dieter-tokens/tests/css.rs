//! The generated stylesheets parse, hold every token the shared contract names, and stay small.

use std::io::Write as _;

use dieter_tokens::css;

/// A rule as parsed: the enclosing at-rule prelude (if any), the selector, and its declarations.
#[derive(Debug)]
struct Rule {
    at: Option<String>,
    selector: String,
    declarations: Vec<(String, String)>,
}

/// A strict parser for the subset the generator emits: style rules, optionally inside one `@media` level.
/// Fails on anything unbalanced, empty or unexpected, so a generator bug cannot slip through as "valid".
fn parse(css: &str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    let mut rest = css;
    while !rest.is_empty() {
        let open = rest
            .find('{')
            .ok_or_else(|| format!("expected a block after {rest:?}"))?;
        let prelude = &rest[..open];
        if let Some(media) = prelude.strip_prefix("@media ") {
            if !(media.starts_with('(') && media.ends_with(')')) {
                return Err(format!("bad media query {media:?}"));
            }
            let inner_end = matching_close(&rest[open..])? + open;
            for mut rule in parse(&rest[open + 1..inner_end])? {
                if rule.at.is_some() {
                    return Err("nested @media".into());
                }
                rule.at = Some(media.to_string());
                rules.push(rule);
            }
            rest = &rest[inner_end + 1..];
        } else {
            check_selector(prelude)?;
            let close = rest[open..].find('}').ok_or("unclosed block")? + open;
            let body = &rest[open + 1..close];
            if body.contains('{') {
                return Err(format!("unexpected '{{' in {body:?}"));
            }
            let declarations = body
                .split(';')
                .map(|d| {
                    let (name, value) = d
                        .split_once(':')
                        .ok_or_else(|| format!("declaration without ':' {d:?}"))?;
                    let name_ok = name.starts_with("--ck-")
                        && name[5..]
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                    if !(name_ok || name == "color-scheme") || value.trim().is_empty() {
                        return Err(format!("bad declaration {d:?}"));
                    }
                    if value.matches('"').count() % 2 != 0 || value.contains(['{', '}', '\\']) {
                        return Err(format!("bad value {value:?}"));
                    }
                    Ok((name.to_string(), value.to_string()))
                })
                .collect::<Result<Vec<_>, String>>()?;
            rules.push(Rule {
                at: None,
                selector: prelude.to_string(),
                declarations,
            });
            rest = &rest[close + 1..];
        }
    }
    Ok(rules)
}

fn matching_close(s: &str) -> Result<usize, String> {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => {}
        }
    }
    Err("unbalanced braces".into())
}

fn check_selector(selector: &str) -> Result<(), String> {
    let ok = !selector.is_empty()
        && selector.matches('(').count() == selector.matches(')').count()
        && selector.matches('[').count() == selector.matches(']').count()
        && selector
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":()[]=-_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("bad selector {selector:?}"))
    }
}

/// The custom properties the team contract promises to widgets and the dashboard.
fn contract() -> Vec<String> {
    let mut names: Vec<String> = [
        "surface",
        "surface-raised",
        "text",
        "muted",
        "border",
        "accent",
        "accent-text",
        "danger",
        "success",
        "focus",
    ]
    .iter()
    .map(|c| format!("--ck-color-{c}"))
    .collect();
    names.push("--ck-font-family".into());
    names.extend(
        ["xs", "sm", "md", "lg", "xl"]
            .iter()
            .map(|s| format!("--ck-font-size-{s}")),
    );
    names.extend(
        ["tight", "normal"]
            .iter()
            .map(|s| format!("--ck-line-height-{s}")),
    );
    names.extend(
        ["regular", "medium", "bold"]
            .iter()
            .map(|s| format!("--ck-font-weight-{s}")),
    );
    names.extend((1..=8).map(|n| format!("--ck-space-{n}")));
    names.extend(
        ["sm", "md", "lg", "full"]
            .iter()
            .map(|s| format!("--ck-radius-{s}")),
    );
    names.extend(["sm", "md"].iter().map(|s| format!("--ck-shadow-{s}")));
    names.extend(
        ["fast", "normal"]
            .iter()
            .map(|s| format!("--ck-duration-{s}")),
    );
    names
}

fn declared<'a>(rules: &'a [Rule], at: Option<&str>, selector: &str) -> Vec<&'a str> {
    rules
        .iter()
        .filter(|r| r.at.as_deref() == at && r.selector == selector)
        .flat_map(|r| r.declarations.iter().map(|(n, _)| n.as_str()))
        .collect()
}

#[test]
fn theme_parses_and_holds_every_contract_token_in_every_theme() {
    let rules =
        parse(css::THEME).unwrap_or_else(|e| panic!("THEME does not parse: {e}\n{}", css::THEME));
    let light = declared(&rules, None, ":host");
    let auto_dark = declared(
        &rules,
        Some("(prefers-color-scheme:dark)"),
        ":host(:not([data-ck-theme=light]))",
    );
    let forced_dark = declared(&rules, None, ":host([data-ck-theme=dark])");
    for name in contract() {
        assert!(light.contains(&name.as_str()), "{name} missing from :host");
        if name.starts_with("--ck-color-") {
            assert!(
                auto_dark.contains(&name.as_str()),
                "{name} missing from the OS dark rule"
            );
            assert!(
                forced_dark.contains(&name.as_str()),
                "{name} missing from the forced dark rule"
            );
        }
    }
    let reduced = declared(&rules, Some("(prefers-reduced-motion:reduce)"), ":host");
    assert_eq!(reduced, ["--ck-duration-fast", "--ck-duration-normal"]);
}

#[test]
fn root_parses_and_mirrors_theme_for_the_dashboard() {
    let rules =
        parse(css::ROOT).unwrap_or_else(|e| panic!("ROOT does not parse: {e}\n{}", css::ROOT));
    let light = declared(&rules, None, ":root");
    let forced_dark = declared(&rules, None, "[data-theme=dark]");
    let auto_dark = declared(
        &rules,
        Some("(prefers-color-scheme:dark)"),
        ":root:not([data-theme=light])",
    );
    for name in contract() {
        assert!(light.contains(&name.as_str()), "{name} missing from :root");
    }
    assert_eq!(auto_dark, forced_dark);
    assert_eq!(
        css::ROOT.len(),
        css::THEME.len() + ":root".len() * 3 - ":host".len() * 3
            + ":root:not([data-theme=light])".len()
            - ":host(:not([data-ck-theme=light]))".len()
            + "[data-theme=dark]".len()
            - ":host([data-ck-theme=dark])".len()
    );
}

#[test]
fn group_stylesheets_parse_and_together_hold_what_theme_holds() {
    let groups = [
        css::THEME_COLOR,
        css::THEME_FONT,
        css::THEME_LINE_HEIGHT,
        css::THEME_SPACE,
        css::THEME_RADIUS,
        css::THEME_SHADOW,
        css::THEME_DURATION,
    ];
    let mut names: Vec<(Option<String>, String, String)> = Vec::new();
    for group in groups {
        for rule in parse(group).unwrap_or_else(|e| panic!("{e}: {group}")) {
            names.extend(
                rule.declarations
                    .into_iter()
                    .map(|(n, _)| (rule.at.clone(), rule.selector.clone(), n)),
            );
        }
    }
    let mut all: Vec<_> = parse(css::THEME)
        .expect("parses")
        .into_iter()
        .flat_map(|r| {
            r.declarations
                .into_iter()
                .map(move |(n, _)| (r.at.clone(), r.selector.clone(), n))
        })
        .collect();
    // color-scheme appears in the colour group only, once per rule, just like in THEME.
    names.sort();
    all.sort();
    assert_eq!(names, all);
}

#[test]
fn the_parser_rejects_broken_css() {
    for bad in [
        ":host{--ck-a:1",
        ":host{--ck-a:}",
        ":host{--ck-a 1}",
        "@media x{:host{--ck-a:1}}",
        ":host{--ck-a:\"x}",
        "{--ck-a:1}",
        ":host{color:red}",
    ] {
        assert!(parse(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn font_stack_is_the_system_ui_stack() {
    let family = dieter_tokens::font::FAMILY;
    assert!(
        family.starts_with("system-ui,-apple-system,\"Segoe UI\""),
        "{family}"
    );
    for banned in ["Ubuntu", "Roboto", "url(", "@font-face"] {
        assert!(!css::THEME.contains(banned), "THEME mentions {banned}");
    }
    assert!(
        !css::THEME.contains("rem") && !css::THEME.contains("em;"),
        "sizes must be px"
    );
}

/// The tokens' cost in the embed: THEME sits in the wasm data section as-is; gzip is what travels.
#[test]
fn theme_stays_within_its_byte_budget() {
    let gzip = |text: &str| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(text.as_bytes()).expect("in-memory write");
        gz.finish().expect("in-memory write").len()
    };
    let gz_len = gzip(css::THEME);
    for (name, sheet) in [
        ("THEME", css::THEME),
        ("THEME_COLOR", css::THEME_COLOR),
        ("THEME_FONT", css::THEME_FONT),
        ("THEME_LINE_HEIGHT", css::THEME_LINE_HEIGHT),
        ("THEME_SPACE", css::THEME_SPACE),
        ("THEME_RADIUS", css::THEME_RADIUS),
        ("THEME_SHADOW", css::THEME_SHADOW),
        ("THEME_DURATION", css::THEME_DURATION),
    ] {
        println!(
            "css::{name}: {} bytes raw, {} bytes gzip",
            sheet.len(),
            gzip(sheet)
        );
    }
    assert!(
        css::THEME.len() <= 2000,
        "THEME grew to {} bytes",
        css::THEME.len()
    );
    assert!(gz_len <= 700, "THEME grew to {gz_len} bytes gzip");
}

#[test]
fn subset_keeps_only_the_tokens_a_widget_uses_and_still_parses() {
    let widget = ".b{background:var(--ck-color-accent);color:var(--ck-color-accent-text);\
                  padding:var(--ck-space-2);transition:opacity var(--ck-duration-fast)}";
    let sheet = dieter_tokens::subset(css::THEME, widget);
    let rules = parse(&sheet).unwrap_or_else(|e| panic!("{e}: {sheet}"));
    let mut names: Vec<&str> = rules
        .iter()
        .flat_map(|r| r.declarations.iter().map(|(n, _)| n.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names,
        [
            "--ck-color-accent",
            "--ck-color-accent-text",
            "--ck-duration-fast",
            "--ck-space-2",
            "color-scheme"
        ],
        "{sheet}"
    );
    // Light, OS dark, forced dark, reduced motion: the theming behaviour survives the cut.
    assert_eq!(rules.len(), 4, "{sheet}");
    assert!(
        sheet.len() * 3 < css::THEME.len(),
        "{} vs {}",
        sheet.len(),
        css::THEME.len()
    );
    assert_eq!(dieter_tokens::subset(css::THEME, "a{color:red}"), "");
    assert_eq!(
        dieter_tokens::subset(css::THEME, ".x{margin:var(--ck-space-1)}"),
        ":host{--ck-space-1:4px}"
    );
    assert_eq!(dieter_tokens::subset(css::ROOT, ""), "");
}
