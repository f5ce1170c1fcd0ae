//! Embeds `migrations/{sqlite,postgres}/NNNN_name.sql` into the binary, so a single `ck-server` file can
//! migrate a database with no source tree beside it. New files are picked up without code changes.

use std::{env, fmt::Write as _, fs, path::Path, process::Command};

fn main() {
    embed_migrations();
    // The short sha `/api/healthz` reports. Deliberately not re-run on every commit (that would
    // rebuild the server for each one); release builds are clean builds, and GIT_SHA overrides.
    println!("cargo:rerun-if-env-changed=GIT_SHA");
    let sha = env::var("GIT_SHA")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .map(|s| s.trim().to_owned())
        });
    println!("cargo:rustc-env=CK_BUILD_SHA={}", sha.unwrap_or_default());
}

fn embed_migrations() {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut out = String::new();
    for dialect in ["sqlite", "postgres"] {
        let dir = Path::new(&manifest).join("migrations").join(dialect);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .collect();
        files.sort();
        writeln!(
            out,
            "pub(crate) const {}: &[(i64, &str, &str)] = &[",
            dialect.to_uppercase()
        )
        .unwrap();
        for path in files {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("utf-8 file name");
            let (version, description) = stem
                .split_once('_')
                .unwrap_or_else(|| panic!("{stem}: migrations are named NNNN_description.sql"));
            let version: i64 = version
                .parse()
                .unwrap_or_else(|_| panic!("{stem}: version must be a number"));
            writeln!(
                out,
                "    ({version}, {description:?}, include_str!({:?})),",
                path.display().to_string()
            )
            .unwrap();
        }
        out.push_str("];\n");
    }
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("migrations.rs");
    fs::write(dest, out).expect("write migrations.rs");
}
