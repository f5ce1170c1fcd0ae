//! The wasm dependency allowlist against the real workspace graph (`cargo tree`).

use std::path::PathBuf;

use size_budget::deps::{wasm_graph, Allowlist};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn shipped_wasm_graph_is_allowed_and_a_missing_entry_is_caught() {
    let graph = wasm_graph(&repo().join("Cargo.toml"), "ck-bindings", &[]).unwrap();
    assert!(
        graph.contains("ck-bindings") && graph.contains("wasm-bindgen"),
        "{graph:?}"
    );
    // Host-only crates never reach the wasm graph.
    for host_only in ["syn", "tokio", "axum", "wasm-bindgen-macro"] {
        assert!(!graph.contains(host_only), "{host_only} in {graph:?}");
    }

    let allow = Allowlist::load(&repo().join("wasm-deps.allow")).unwrap();
    assert_eq!(allow.violations(&graph), Vec::<&str>::new());

    let text = std::fs::read_to_string(repo().join("wasm-deps.allow")).unwrap();
    let without_wasm_bindgen: String = text
        .lines()
        .filter(|l| l.trim() != "wasm-bindgen")
        .map(|l| format!("{l}\n"))
        .collect();
    let strict = Allowlist::parse(&without_wasm_bindgen).unwrap();
    assert_eq!(strict.violations(&graph), ["wasm-bindgen"]);
}
