//! manifest.json against the files on disk: a fresh manifest verifies, every kind of drift fails.
//!
//! With `CK_DIST_MANIFEST_DIR` set (as `cargo xtask test` does after `cargo xtask dist`), the
//! real release directory is verified too.

use std::path::{Path, PathBuf};

use size_budget::manifest;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "size-budget-{tag}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn put(dir: &Path, name: &str, data: &[u8]) {
    std::fs::write(dir.join(name), data).unwrap();
    std::fs::write(dir.join(format!("{name}.gz")), size_budget::gzip(data)).unwrap();
    std::fs::write(dir.join(format!("{name}.br")), size_budget::brotli(data)).unwrap();
}

fn release(tag: &str) -> TempDir {
    let t = TempDir::new(tag);
    put(
        &t.0,
        "loader.js",
        b"(function(){window.ck=window.ck||[]})()",
    );
    put(
        &t.0,
        "ck_bindings_bg.wasm",
        &[0u8, 97, 115, 109, 1, 0, 0, 0, 1, 2, 3],
    );
    manifest::write(&t.0, "0.1.0").unwrap();
    t
}

#[test]
fn fresh_manifest_matches_disk() {
    let t = release("fresh");
    let m = manifest::verify(&t.0).unwrap();
    assert_eq!(m.version, "0.1.0");
    let names: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names, ["ck_bindings_bg.wasm", "loader.js"]);
    let loader = &m.files[1];
    assert_eq!(loader.raw, 39);
    assert!(loader.integrity.starts_with("sha384-"));
    assert_eq!(loader.integrity.len(), "sha384-".len() + 64);
}

/// The gate's "gzip" (size_budget::measure) must be the byte count of the `.gz` file the server
/// sends, or the budget would measure something nobody downloads.
fn assert_gate_measures_served_bytes(dir: &Path, m: &manifest::Manifest) {
    for f in &m.files {
        let data = std::fs::read(dir.join(&f.path)).unwrap();
        let measured = size_budget::measure(&data);
        assert_eq!(measured.gzip, f.gzip, "{}: gate gzip vs served .gz", f.path);
        assert_eq!(
            measured.brotli, f.brotli,
            "{}: gate brotli vs served .br",
            f.path
        );
    }
}

#[test]
fn gate_measures_the_served_files() {
    let t = release("served");
    let m = manifest::verify(&t.0).unwrap();
    assert_gate_measures_served_bytes(&t.0, &m);
}

#[test]
fn changed_bytes_fail() {
    let t = release("changed");
    // Same length, different content: only the SRI hash can catch it.
    std::fs::write(
        t.0.join("loader.js"),
        b"(function(){window.ck=window.ck||{}})()",
    )
    .unwrap();
    let err = manifest::verify(&t.0).unwrap_err().to_string();
    assert!(err.contains("loader.js"), "{err}");
}

#[test]
fn stale_precompressed_sibling_fails() {
    let t = release("stale");
    std::fs::write(t.0.join("loader.js.br"), size_budget::brotli(b"old")).unwrap();
    let err = format!("{:#}", manifest::verify(&t.0).unwrap_err());
    assert!(err.contains("loader.js.br does not decompress"), "{err}");
}

#[test]
fn unlisted_and_missing_files_fail() {
    let t = release("unlisted");
    put(&t.0, "extra.js", b"1");
    let err = manifest::verify(&t.0).unwrap_err().to_string();
    assert!(err.contains("extra.js"), "{err}");

    let t = release("missing");
    std::fs::remove_file(t.0.join("loader.js")).unwrap();
    std::fs::remove_file(t.0.join("loader.js.gz")).unwrap();
    std::fs::remove_file(t.0.join("loader.js.br")).unwrap();
    let err = manifest::verify(&t.0).unwrap_err().to_string();
    assert!(err.contains("loader.js"), "{err}");
}

#[test]
fn file_without_precompressed_siblings_cannot_be_released() {
    let t = TempDir::new("nogz");
    std::fs::write(t.0.join("loader.js"), b"x").unwrap();
    assert!(manifest::write(&t.0, "0.1.0").is_err());
}

#[test]
fn real_dist_manifest_matches_disk() {
    let Some(dir) = std::env::var_os("CK_DIST_MANIFEST_DIR") else {
        eprintln!("CK_DIST_MANIFEST_DIR unset: only the temp-dir manifests were checked");
        return;
    };
    let m = manifest::verify(Path::new(&dir)).unwrap();
    for needed in ["loader.js", "ck_bindings.js", "ck_bindings_bg.wasm"] {
        assert!(
            m.files.iter().any(|f| f.path == needed),
            "{needed} missing from {}",
            Path::new(&dir).display()
        );
    }
    assert_gate_measures_served_bytes(Path::new(&dir), &m);
}
