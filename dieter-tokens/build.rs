//! Compiles `tokens.json` (or the file named by `DIETER_TOKENS`) into `$OUT_DIR/tokens.rs` with
//! the token compiler of `ck-build`.

use std::path::PathBuf;

use ck_build::tokens;

fn main() {
    println!("cargo::rerun-if-env-changed=DIETER_TOKENS");
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let source = std::env::var_os("DIETER_TOKENS")
        .map_or_else(|| manifest_dir.join("tokens.json"), PathBuf::from);
    println!("cargo::rerun-if-changed={}", source.display());

    let text = std::fs::read_to_string(&source)
        .unwrap_or_else(|e| panic!("cannot read design tokens {}: {e}", source.display()));
    let parsed = match tokens::parse(&text) {
        Ok(parsed) => parsed,
        Err(e) => panic!("{}: {e}", source.display()),
    };
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("tokens.rs");
    std::fs::write(&out, tokens::rust(&parsed))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
