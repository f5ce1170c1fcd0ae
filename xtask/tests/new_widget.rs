//! `cargo xtask new-widget` end to end, on a scratch copy of the files it edits (never the real
//! tree): the crate appears, every registration lands once next to its siblings, a second run
//! and a taken or invalid name change nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files `new-widget` reads and edits, copied from this checkout.
const EDITED: &[&str] = &[
    "Cargo.toml",
    "bindings/Cargo.toml",
    "bindings/src/lib.rs",
    "size-budget.json",
    "xtask/src/ci.rs",
];

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask has a parent")
        .to_path_buf()
}

fn scratch(tag: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("ck-new-widget-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for file in EDITED {
        let to = dir.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo().join(file), &to).unwrap();
    }
    std::fs::create_dir_all(dir.join("examples/pages")).unwrap();
    Scratch(dir)
}

fn new_widget(root: &Path, name: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["new-widget", name, "--root"])
        .arg(root)
        .output()
        .expect("xtask runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn snapshot(root: &Path) -> Vec<String> {
    EDITED
        .iter()
        .map(|f| std::fs::read_to_string(root.join(f)).unwrap())
        .collect()
}

#[test]
fn scaffolds_and_registers_once() {
    let dir = scratch("ok");
    let root = &dir.0;
    let before = snapshot(root);
    let (ok, out) = new_widget(root, "star-board");
    assert!(ok, "{out}");

    for file in [
        "Cargo.toml",
        "build.rs",
        "src/lib.rs",
        "src/widget.css",
        "icons/spark.svg",
        "README.md",
    ] {
        assert!(
            root.join("widgets/star-board").join(file).is_file(),
            "{file}"
        );
    }
    let lib = std::fs::read_to_string(root.join("widgets/star-board/src/lib.rs")).unwrap();
    assert!(lib.contains("pub struct StarBoard;"));
    assert!(lib.contains("const TYPE: &'static str = \"star-board\";"));
    assert!(!lib.contains("__"), "a placeholder was left");
    let manifest = std::fs::read_to_string(root.join("widgets/star-board/Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"ck-star-board\""));
    assert!(manifest.contains("[package.metadata.ck]\nicons = \"icons\""));
    assert!(root.join("examples/pages/star-board.html").is_file());

    let after = snapshot(root);
    let added = |i: usize, line: &str| {
        assert_eq!(
            after[i].matches(line).count(),
            before[i].matches(line).count() + 1,
            "{}: {line}",
            EDITED[i]
        );
    };
    added(0, "  \"widgets/star-board\",\n");
    added(0, "\nck-star-board = { path = \"widgets/star-board\" }\n");
    added(1, "\nstar-board = [\"dep:ck-star-board\"]\n");
    added(
        1,
        "\nck-star-board = { workspace = true, optional = true }\n",
    );
    added(2, "    \"star-board\" => ck_star_board::StarBoard,\n}\n");
    added(3, "\"star-board chunk\"");
    added(4, "\n    \"ck-star-board\",\n];");
    // The member sits with the other widgets, the dependency with the other crates.
    let lines: Vec<&str> = after[0].lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "  \"widgets/star-board\",")
        .unwrap();
    assert!(
        lines[at - 1].starts_with("  \"widgets/"),
        "{}",
        lines[at - 1]
    );
    assert!(
        !lines[at + 1].starts_with("  \"widgets/"),
        "{}",
        lines[at + 1]
    );
    let budgets: serde_json::Value = serde_json::from_str(&after[3]).unwrap();
    let last = budgets["budgets"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["limit"], "10 KB");
    assert_eq!(last["path"], "dist/embed/latest/star-board.wasm");
    // The manifests and the registry only gained lines: every line of before is still there,
    // in order (the budgets' closing brace is edited in place, checked above).
    for (b, a) in before.iter().zip(&after).take(3) {
        let mut rest = a.lines();
        for line in b.lines() {
            assert!(rest.any(|l| l == line), "lost line {line:?}");
        }
    }

    // A second run refuses and changes nothing.
    let (ok, out) = new_widget(root, "star-board");
    assert!(!ok);
    assert!(out.contains("exists already"), "{out}");
    assert_eq!(snapshot(root), after);
}

#[test]
fn refuses_taken_and_invalid_names_without_a_change() {
    let dir = scratch("refuse");
    let root = &dir.0;
    let before = snapshot(root);
    for (name, why) in [
        ("announcement", "reserved"),
        ("Bad_Name", "start with a letter"),
        ("x", "2 to 32"),
    ] {
        let (ok, out) = new_widget(root, name);
        assert!(!ok, "{name}");
        assert!(out.contains(why), "{name}: {out}");
    }
    // Taken in one shared file only (a half-registered widget): refused, nothing written.
    let lib = root.join("bindings/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        text.replace(
            "widgets! {\n",
            "widgets! {\n    \"half\" => ck_half::Half,\n",
        ),
    )
    .unwrap();
    let (ok, out) = new_widget(root, "half");
    assert!(!ok);
    assert!(out.contains("name is taken"), "{out}");
    assert!(!root.join("widgets/half").exists());
    assert_eq!(snapshot(root)[..2], before[..2]);
}
