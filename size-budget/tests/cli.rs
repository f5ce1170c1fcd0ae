//! The `size-budget` binary against fixture builds: a passing set, one over budget, a missing file.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_size-budget"))
        .args(args)
        .current_dir(fixtures())
        .output()
        .expect("spawn size-budget")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn within_budget_prints_table_and_passes() {
    let out = run(&["check", "--config", "within.json"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    for col in ["file", "raw", "gzip", "brotli", "limit", "headroom"] {
        assert!(stdout.contains(col), "missing column {col}:\n{stdout}");
    }
    assert!(stdout.contains("loader (dist/loader.js)"), "{stdout}");
    assert!(stdout.contains("  dist/glue.js"), "{stdout}");
    assert!(stdout.contains("− bare/app.wasm"), "{stdout}");
    assert!(stdout.contains("under the 14,600 B aim"), "{stdout}");
    assert!(stdout.contains("all 3 within limits"), "{stdout}");
}

#[test]
fn over_budget_fails_naming_file_and_overshoot() {
    let out = run(&["check", "--config", "over.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let wasm = std::fs::read(fixtures().join("dist/app.wasm")).unwrap();
    let gz = size_budget::measure(&wasm).gzip;
    assert!(gz > 2000, "fixture must be incompressible, gzip {gz}");
    let stderr = text(&out.stderr);
    let over = gz - 2000;
    let expected = format!(
        "wasm (dist/app.wasm) is {},{:03} B over its 2 KB gzip limit",
        over / 1000,
        over % 1000
    );
    assert!(
        over >= 1000,
        "fixture overshoot {over} must need a thousands separator"
    );
    assert!(
        stderr.contains(&expected),
        "expected {expected:?} in:\n{stderr}"
    );
    assert!(
        !stderr.contains("loader"),
        "only the failing budget is named:\n{stderr}"
    );
    assert!(text(&out.stdout).contains("OVER"));
}

#[test]
fn missing_file_is_an_error_not_a_pass() {
    let out = run(&["check", "--config", "missing.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no file matches \"dist/nope-*.wasm\""));
}

#[test]
fn top_lists_functions_of_a_wasm() {
    // The fixture is not valid wasm past its header: `top` must say so rather than invent sizes.
    let out = run(&["top", "dist/app.wasm", "-n", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("parsing wasm"));
}

#[test]
fn unknown_command_is_usage_error() {
    let out = run(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("usage:"));
}
