//! `manifest.json` of a released embed directory: every file with its raw size, the sizes of its
//! precompressed `.gz`/`.br` siblings and an SRI hash, so a publisher (or the loader) can pin
//! exact bytes with `integrity="sha384-…"`.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha384};

/// File name of the manifest inside a release directory.
pub const FILE_NAME: &str = "manifest.json";

/// The manifest of one release directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Semver of the embed (the bindings crate's version).
    pub version: String,
    /// Every served file, sorted by path.
    pub files: Vec<Entry>,
}

/// One served file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// File name relative to the release directory.
    pub path: String,
    /// Bytes of the file itself.
    pub raw: u64,
    /// Bytes of `path.gz`.
    pub gzip: u64,
    /// Bytes of `path.br`.
    pub brotli: u64,
    /// Subresource Integrity hash of the uncompressed bytes: `sha384-<base64>`.
    pub integrity: String,
}

/// `sha384-<base64>` of `data`, as the `integrity` attribute wants it.
pub fn sri(data: &[u8]) -> String {
    let digest = Sha384::digest(data);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn is_sibling(name: &str) -> bool {
    name.ends_with(".gz") || name.ends_with(".br") || name == FILE_NAME
}

fn file_names(dir: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            let name = entry
                .file_name()
                .into_string()
                .map_err(|n| anyhow::anyhow!("{}: non-UTF-8 file name {n:?}", dir.display()))?;
            names.insert(name);
        }
    }
    Ok(names)
}

fn decompressed_matches(dir: &Path, name: &str, original: &[u8]) -> Result<(u64, u64)> {
    let gz = std::fs::read(dir.join(format!("{name}.gz")))
        .with_context(|| format!("{name}.gz is missing in {}", dir.display()))?;
    let br = std::fs::read(dir.join(format!("{name}.br")))
        .with_context(|| format!("{name}.br is missing in {}", dir.display()))?;
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut back)
        .with_context(|| format!("{name}.gz is not valid gzip"))?;
    ensure!(back == original, "{name}.gz does not decompress to {name}");
    back.clear();
    brotli::Decompressor::new(&br[..], 4096)
        .read_to_end(&mut back)
        .with_context(|| format!("{name}.br is not valid brotli"))?;
    ensure!(back == original, "{name}.br does not decompress to {name}");
    Ok((gz.len() as u64, br.len() as u64))
}

/// Builds the manifest of `dir` from the files on disk. Every file other than `.gz`, `.br` and
/// the manifest itself must have both precompressed siblings, and they must decompress to it.
pub fn build(dir: &Path, version: &str) -> Result<Manifest> {
    let names = file_names(dir)?;
    let mut files = Vec::new();
    for name in names.iter().filter(|n| !is_sibling(n)) {
        let data = std::fs::read(dir.join(name))?;
        let (gzip, brotli) = decompressed_matches(dir, name, &data)?;
        files.push(Entry {
            path: name.clone(),
            raw: data.len() as u64,
            gzip,
            brotli,
            integrity: sri(&data),
        });
    }
    ensure!(!files.is_empty(), "{} has no files to list", dir.display());
    Ok(Manifest {
        version: version.to_string(),
        files,
    })
}

/// Builds the manifest of `dir` and writes it to `dir/manifest.json`.
pub fn write(dir: &Path, version: &str) -> Result<Manifest> {
    let m = build(dir, version)?;
    let mut json = serde_json::to_string_pretty(&m)?;
    json.push('\n');
    std::fs::write(dir.join(FILE_NAME), json)?;
    Ok(m)
}

/// Checks `dir/manifest.json` against the files on disk: same file set (no file missing, none
/// unlisted), same raw/gzip/brotli sizes, same SRI hashes, and precompressed siblings that
/// decompress to the original. Returns the manifest when everything matches.
pub fn verify(dir: &Path) -> Result<Manifest> {
    let path = dir.join(FILE_NAME);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let listed: Manifest =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let actual = build(dir, &listed.version)?;
    let listed_names: BTreeSet<&str> = listed.files.iter().map(|f| f.path.as_str()).collect();
    let actual_names: BTreeSet<&str> = actual.files.iter().map(|f| f.path.as_str()).collect();
    if listed_names != actual_names {
        bail!(
            "{}: listed files {:?} but the directory has {:?}",
            path.display(),
            listed_names,
            actual_names
        );
    }
    for (l, a) in listed.files.iter().zip(&actual.files) {
        ensure!(
            l == a,
            "{}: entry for {} says {:?} but the file on disk gives {:?}",
            path.display(),
            l.path,
            l,
            a
        );
    }
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sri_is_sha384_base64() {
        // Known answer: sha384("abc") from FIPS 180-2, base64-encoded.
        assert_eq!(
            sri(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }
}
