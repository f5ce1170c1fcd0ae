//! An icon nobody names costs zero bytes: builds `tests/fixtures/shake` (a cdylib at opt-level z + LTO, like
//! the embed) with different icons referenced and looks for every icon's path data in the binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Path data of every default icon's first shape with a `d` (long, unique strings) by name.
fn fingerprints() -> Vec<(&'static str, &'static str)> {
    let icons = common::default_icons();
    icons
        .iter()
        .filter_map(|icon| {
            let d = icon
                .nodes
                .iter()
                .flat_map(|n| n.attrs.iter())
                .filter(|(k, _)| *k == "d")
                .map(|(_, v)| *v)
                .max_by_key(|v| v.len())?;
            Some((icon.name, d))
        })
        .filter(|(_, d)| d.len() >= 12)
        .collect()
}

fn build(features: &str) -> Vec<u8> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("shake");
    let crate_dir = work.join(format!(
        "crate-{}",
        if features.is_empty() {
            "none"
        } else {
            features
        }
        .replace(',', "-")
    ));
    std::fs::create_dir_all(crate_dir.join("src")).expect("create fixture copy");
    let fixture = manifest.join("tests/fixtures/shake");
    let toml = std::fs::read_to_string(fixture.join("Cargo.toml")).expect("fixture Cargo.toml");
    let toml = toml.replace(
        "path = \"../../..\"",
        &format!("path = {:?}", manifest.display().to_string()),
    );
    std::fs::write(crate_dir.join("Cargo.toml"), toml).expect("write Cargo.toml");
    std::fs::copy(fixture.join("src/lib.rs"), crate_dir.join("src/lib.rs")).expect("copy lib.rs");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&crate_dir)
        .args(["build", "--release", "--offline", "--target-dir"])
        .arg(work.join("target"))
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if !features.is_empty() {
        cmd.args(["--features", features]);
    }
    let output = cmd.output().expect("run cargo");
    assert!(
        output.status.success(),
        "fixture build ({features}) failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lib = [
        "libck_icons_shake.so",
        "libck_icons_shake.dylib",
        "ck_icons_shake.dll",
    ]
    .iter()
    .map(|name| work.join("target/release").join(name))
    .find(|p| p.exists())
    .expect("cdylib output");
    std::fs::read(lib).expect("read cdylib")
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn unreferenced_icons_cost_zero_bytes() {
    let prints = fingerprints();
    assert!(prints.len() >= 15, "too few fingerprints: {prints:?}");
    let unlinked = build("");
    let linked = build("link");
    let check = build("check");
    let both = build("check,alert");
    eprintln!(
        "cdylib sizes: no ck-icons {} B, ck-icons linked but no icon named {} B, CHECK {} B, CHECK+ALERT {} B",
        unlinked.len(),
        linked.len(),
        check.len(),
        both.len()
    );

    for (name, d) in &prints {
        assert!(
            !contains(&linked, d),
            "{name} is in a binary that names no icon"
        );
        assert_eq!(
            contains(&check, d),
            *name == "check",
            "{name} presence wrong when only CHECK is named"
        );
        assert_eq!(
            contains(&both, d),
            matches!(*name, "check" | "alert"),
            "{name} presence wrong with CHECK+ALERT"
        );
    }
    // Linking the crate without naming an icon adds only the SVG_NS string the fixture names on purpose.
    assert!(
        linked.len() <= unlinked.len() + 64,
        "linking ck-icons alone grew the binary from {} to {}",
        unlinked.len(),
        linked.len()
    );
    assert!(
        check.len() > linked.len() && both.len() > check.len(),
        "each named icon must add bytes"
    );
}
