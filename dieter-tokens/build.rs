//! Compiles `tokens.json` (or the file named by `DIETER_TOKENS`) into `$OUT_DIR/tokens.rs`.

#[path = "codegen.rs"]
#[allow(dead_code)]
mod codegen;

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=DIETER_TOKENS");
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let source = std::env::var_os("DIETER_TOKENS")
        .map_or_else(|| manifest_dir.join("tokens.json"), PathBuf::from);
    println!("cargo::rerun-if-changed={}", source.display());
    println!("cargo::rerun-if-changed=codegen.rs");

    let text = std::fs::read_to_string(&source)
        .unwrap_or_else(|e| panic!("cannot read design tokens {}: {e}", source.display()));
    let tokens = match codegen::parse_tokens(&text) {
        Ok(tokens) => tokens,
        Err(e) => panic!("{}: {e}", source.display()),
    };
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("tokens.rs");
    std::fs::write(&out, codegen::rust(&tokens))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
