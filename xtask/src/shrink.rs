//! Post-bindgen byte savings on the glue and the wasm, applied by `cargo xtask dist`.
//!
//! 1. Short import/export names. wasm-bindgen names every import `__wbg_<method>_<16 hex>` and
//!    closure exports by their full mangled path. Each name sits twice in what ships (the wasm's
//!    import/export section and the glue), and the hex hashes do not compress: about 2 KB of
//!    gzip for the runtime alone. They are renamed to `a`, `b`, … in both files, consistently.
//! 2. The glue is bundled (the runtime's `js/*.js` snippets inlined) and minified with esbuild (pinned, installed from npm by `cargo xtask setup` into
//!    `target/js-tools`: see npm.rs). Its ES module export names (`default`, `boot`, `cmd`, `initSync`) stay,
//!    which is all the loader relies on.

use std::path::Path;

use anyhow::{bail, ensure, Context, Result};

use crate::sh::{cmd, output};

/// The import module wasm-bindgen gives the glue's import object.
const OLD_MODULE: &str = "./ck_bindings_bg.js";
const NEW_MODULE: &str = "a";

/// Renames imports/exports in `wasm_file` (and in the other `cores` and the lazy `chunks`,
/// split.rs) and the glue `js_file`, moves the JS of the `lazy` chunks (names) into files of
/// their own, then minifies the glue.
pub(crate) fn shrink(
    root: &Path,
    js_file: &Path,
    wasm_file: &Path,
    cores: &[std::path::PathBuf],
    chunks: &[std::path::PathBuf],
    lazy: &[String],
) -> Result<()> {
    let esbuild = crate::npm::esbuild(root)?;
    let wasm = std::fs::read(wasm_file)?;
    let js = crate::glue::trim(&crate::glue::replace_init(&std::fs::read_to_string(
        js_file,
    )?)?)?;
    let mut names = Names::default();
    let (wasm, mut js, exports) = rename(&wasm, &js, &mut names, true)?;
    // Another core for the same glue (split.rs's bare core): its glue imports get the names
    // already given, and its exports the same names in the same order, or the glue fits one
    // core only.
    for core in cores {
        let (renamed, again, theirs) = rename(&std::fs::read(core)?, &js, &mut names, false)?;
        ensure!(
            theirs == exports,
            "{} exports other functions to the glue than the main core",
            core.display()
        );
        js = again;
        std::fs::write(core, renamed)?;
    }
    for chunk in chunks {
        let renamed = rename_chunk(&std::fs::read(chunk)?, &mut js, &mut names)?;
        std::fs::write(chunk, renamed)?;
    }
    std::fs::write(wasm_file, wasm)?;
    // Each lazy chunk's own JS becomes `{chunk}.js`, minified on its own (see glue.rs).
    let dir = js_file.parent().context("glue folder")?;
    let (js, own_js) = crate::glue::lazy_snippets(&js, lazy)?;
    for (chunk, path) in own_js {
        let min = output(
            cmd(
                &esbuild.to_string_lossy(),
                &["--minify", "--format=esm", "--log-level=warning"],
            )
            .arg(dir.join(&path)),
        )
        .with_context(|| format!("esbuild --minify on {path}"))?;
        std::fs::write(dir.join(format!("{chunk}.js")), min)?;
    }
    let renamed = js_file.with_extension("renamed.js");
    std::fs::write(&renamed, js)?;
    let out = output(
        cmd(
            &esbuild.to_string_lossy(),
            // `--bundle` inlines the runtime's hand-written JS (wasm-bindgen `module = "/js/…"`
            // snippets, written next to the glue under `snippets/`): one file, no extra request.
            &[
                "--bundle",
                "--minify",
                "--format=esm",
                "--log-level=warning",
            ],
        )
        .arg(&renamed),
    )
    .context("esbuild --minify on the glue")?;
    ensure!(
        !out.contains("snippets/"),
        "minified glue still imports a snippet file"
    );
    std::fs::remove_file(&renamed)?;
    ensure!(
        out.contains("as default") && out.contains("boot") && out.contains("cmd"),
        "minified glue lost its exports"
    );
    std::fs::write(js_file, out)?;
    Ok(())
}

/// Writes the hand-written loader to `out` minified by esbuild: its comments explain every
/// byte-saving trick to the next reader and cost ~0.5 KB gzip when shipped (esbuild keeps the
/// `/*!` licence line). Whitespace and comments only: the loader is already written in its
/// smallest syntax, and `--minify` keeps it a classic script (no format conversion). The
/// release's lazy chunk names replace the loader's `'CK_CHUNKS'` placeholder.
pub(crate) fn minify_loader(
    root: &Path,
    loader: &Path,
    out: &Path,
    chunks: &[&str],
    linked: &[&str],
) -> Result<()> {
    let esbuild = crate::npm::esbuild(root)?;
    let js = output(
        cmd(
            &esbuild.to_string_lossy(),
            &["--minify", "--log-level=warning"],
        )
        .arg(loader),
    )
    .context("esbuild --minify on the loader")?;
    ensure!(
        js.contains("ck_bindings.js")
            && js.contains("ck_bindings_bg.wasm")
            && js.contains(crate::split::BARE_CORE),
        "minified loader lost its asset names"
    );
    let js = with_list(&js, "CK_CHUNKS", chunks)?;
    std::fs::write(out, with_list(&js, "CK_LINKED", linked)?)?;
    Ok(())
}

/// `["CK_CHUNKS"]` → `["form","announcement"]` (for `placeholder` `CK_CHUNKS`).
fn with_list(js: &str, placeholder: &str, chunks: &[&str]) -> Result<String> {
    let placeholder = format!("[\"{placeholder}\"]");
    ensure!(
        js.matches(&placeholder).count() == 1,
        "the minified loader has no {placeholder} (or several)"
    );
    for c in chunks {
        ensure!(
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "chunk name {c:?} is not [A-Za-z0-9_-]+"
        );
    }
    let list: Vec<String> = chunks.iter().map(|c| format!("\"{c}\"")).collect();
    Ok(js.replace(&placeholder, &format!("[{}]", list.join(","))))
}

/// The demangled name every closure invoke shim of wasm-bindgen 0.2.130 has (generic arguments
/// follow as `::<…>`).
const INVOKE_SHIM: &str = "wasm_bindgen::convert::closures::_::invoke";

fn is_invoke_shim(name: &str) -> bool {
    name.strip_prefix(INVOKE_SHIM)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::<"))
}

/// The module's sections other than custom ones (names, producers), as (id, body) pairs.
fn code_sections(wasm: &[u8]) -> Result<Vec<(u8, &[u8])>> {
    ensure!(
        wasm.len() >= 8 && &wasm[..4] == b"\0asm",
        "not a wasm module"
    );
    let mut pos = 8;
    let mut out = Vec::new();
    while pos < wasm.len() {
        let id = wasm[pos];
        pos += 1;
        let size = read_leb(wasm, &mut pos)? as usize;
        let body = wasm.get(pos..pos + size).context("truncated section")?;
        pos += size;
        if id != 0 {
            out.push((id, body));
        }
    }
    Ok(out)
}

/// Points dead function-table slots of `wasm_file` (wasm-bindgen's output, before wasm-opt) at a
/// kept function, so that wasm-opt's dead-code removal drops the functions they held.
///
/// js-sys describes closure signatures (typed-array `for_each` callbacks and the like) whose
/// invoke shims land in the function table; wasm-bindgen removes the descriptors but not the
/// table entries, so ~45 never-callable shims (~4.6 KB of code) would ship. A slot is dead when
///
/// - nothing names its index: a slot can only be called through `call_indirect` with its index,
///   and Rust materialises function pointers as `i32.const` in code or as 32-bit words in data
///   (vtables); or
/// - it holds a closure invoke shim (by name, from `named_file`, the same bindgen output with its
///   name section). wasm-bindgen 0.2.130 takes an invoke's address only inside the describe
///   functions it runs at build time and removes (`inform(invoke::<…> as usize as u32)`), and its
///   glue calls the shims it needs through named exports (`makeMutClosure(a, b, wasm.<export>)`).
///   Many shim indices survive the first test only because small numbers also occur as ordinary
///   constants.
///
/// Both tests assume JS cannot reach the function table: pruning is skipped when it is exported
/// or imported. The names are only used when `named_file` has exactly the same non-custom
/// sections as `wasm_file` (so the same function indices); otherwise the build fails.
pub(crate) fn prune(named_file: &Path, wasm_file: &Path) -> Result<()> {
    let wasm = std::fs::read(wasm_file)?;
    let named = std::fs::read(named_file)?;
    ensure!(
        code_sections(&named)? == code_sections(&wasm)?,
        "{} and {} differ outside their custom sections: function indices may differ, so the \
         names of one cannot prune the other",
        named_file.display(),
        wasm_file.display()
    );
    let shims: std::collections::HashSet<u32> = size_budget::function_names(&named)?
        .into_iter()
        .filter(|(_, name)| is_invoke_shim(name))
        .map(|(index, _)| index)
        .collect();
    if let Some((pruned, unreferenced, by_name)) = prune_table(&wasm, &shims)? {
        std::fs::write(wasm_file, pruned)?;
        println!(
            "dist: {} function-table slots point at a kept function ({unreferenced} unreferenced, \
             {by_name} more holding closure invoke shims)",
            unreferenced + by_name
        );
    }
    Ok(())
}

/// Whether an export or import exposes a funcref table to JS (which could then call any slot).
fn funcref_table_reachable(wasm: &[u8]) -> Result<bool> {
    use wasmparser::{ExternalKind, Parser, Payload, RefType, TypeRef};

    let mut tables: Vec<RefType> = Vec::new();
    let mut exported: Vec<u32> = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if let TypeRef::Table(t) = import?.ty {
                        if t.element_type.is_func_ref() {
                            return Ok(true);
                        }
                        tables.push(t.element_type);
                    }
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    tables.push(table?.ty.element_type);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    if export.kind == ExternalKind::Table {
                        exported.push(export.index);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(exported
        .iter()
        .any(|&i| tables.get(i as usize).is_none_or(|t| t.is_func_ref())))
}

/// Rewrites the element section so that dead slots (see [`prune`]) hold a live function.
/// Returns the new module and the counts of slots pruned as unreferenced and as invoke shims, or
/// `None` when there is nothing to prune (or an element section shape this does not handle, or a
/// reachable function table: then nothing is changed).
fn prune_table(
    wasm: &[u8],
    shims: &std::collections::HashSet<u32>,
) -> Result<Option<(Vec<u8>, usize, usize)>> {
    use std::collections::HashSet;
    use wasmparser::{Operator, Parser, Payload};

    if funcref_table_reachable(wasm)? {
        println!("dist: the function table is exported or imported: no slots pruned");
        return Ok(None);
    }
    let mut named: HashSet<u32> = HashSet::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    if let Operator::I32Const { value } = ops.read()? {
                        named.insert(value as u32);
                    }
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    for w in data?.data.windows(4) {
                        named.insert(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
                    }
                }
            }
            _ => {}
        }
    }

    let mut out = wasm[..8].to_vec();
    let mut pos = 8;
    let (mut unreferenced, mut by_name) = (0, 0);
    while pos < wasm.len() {
        let id = wasm[pos];
        pos += 1;
        let size = read_leb(wasm, &mut pos)? as usize;
        let body = wasm.get(pos..pos + size).context("truncated section")?;
        pos += size;
        let new_body = if id == 9 {
            match prune_elements(body, &named, shims)? {
                Some((b, u, n)) => {
                    unreferenced += u;
                    by_name += n;
                    b
                }
                None => return Ok(None),
            }
        } else {
            body.to_vec()
        };
        out.push(id);
        write_leb(&mut out, new_body.len() as u32);
        out.extend_from_slice(&new_body);
    }
    if unreferenced + by_name == 0 {
        return Ok(None);
    }
    Ok(Some((out, unreferenced, by_name)))
}

/// Rewrites an element section of `flags 0` segments (`i32.const offset`, function indices):
/// a slot stays when its index is in `named` and its function is not in `shims`. Returns the
/// section and the counts pruned as unreferenced and as shims (a shim that is also unreferenced
/// counts as unreferenced).
fn prune_elements(
    body: &[u8],
    named: &std::collections::HashSet<u32>,
    shims: &std::collections::HashSet<u32>,
) -> Result<Option<(Vec<u8>, usize, usize)>> {
    let mut pos = 0;
    let count = read_leb(body, &mut pos)?;
    let mut out = Vec::new();
    write_leb(&mut out, count);
    let (mut unreferenced, mut by_name) = (0, 0);
    for _ in 0..count {
        // Only the plain form: flags 0, `i32.const N end`, vec(funcidx).
        if body.get(pos) != Some(&0) || body.get(pos + 1) != Some(&0x41) {
            return Ok(None);
        }
        pos += 2;
        // The offset is a signed LEB128; table offsets are small and positive.
        let offset = read_leb(body, &mut pos)?;
        if body.get(pos) != Some(&0x0b) {
            return Ok(None);
        }
        pos += 1;
        let n = read_leb(body, &mut pos)?;
        let mut funcs = Vec::with_capacity(n as usize);
        for _ in 0..n {
            funcs.push(read_leb(body, &mut pos)?);
        }
        let referenced = |i: usize| named.contains(&(offset + i as u32));
        let live = |i: usize| referenced(i) && !shims.contains(&funcs[i]);
        let Some(filler) = (0..funcs.len()).find(|&i| live(i)).map(|i| funcs[i]) else {
            return Ok(None);
        };
        out.extend([0, 0x41]);
        write_sleb(&mut out, offset);
        out.push(0x0b);
        write_leb(&mut out, n);
        for (i, f) in funcs.iter().enumerate() {
            if live(i) || *f == filler {
                write_leb(&mut out, *f);
            } else {
                write_leb(&mut out, filler);
                if referenced(i) {
                    by_name += 1;
                } else {
                    unreferenced += 1;
                }
            }
        }
    }
    ensure!(pos == body.len(), "element section has trailing bytes");
    Ok(Some((out, unreferenced, by_name)))
}

/// Signed LEB128 of a non-negative value (the `i32.const` immediate).
fn write_sleb(out: &mut Vec<u8>, mut n: u32) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 && byte & 0x40 == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// `a`…`z`, `A`…`Z`, then two letters: short, and never a JS keyword (none has one or two
/// letters except `do`/`if`/`in`, which are skipped).
fn short_name(mut n: usize) -> String {
    const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut s = Vec::new();
    loop {
        s.push(ALPHA[n % ALPHA.len()]);
        n /= ALPHA.len();
        if n == 0 {
            break;
        }
        n -= 1;
    }
    String::from_utf8(s).unwrap_or_default()
}

fn names() -> impl Iterator<Item = String> {
    (0..)
        .map(short_name)
        .filter(|n| !matches!(n.as_str(), "do" | "if" | "in"))
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Replaces whole-identifier occurrences of `from` (optionally only right after `prefix`).
/// Returns how many were replaced.
fn replace_ident(js: &mut String, prefix: &str, from: &str, to: &str) -> usize {
    let needle = format!("{prefix}{from}");
    let mut out = String::with_capacity(js.len());
    let mut rest = js.as_str();
    let mut count = 0;
    while let Some(pos) = rest.find(&needle) {
        let before_ok = prefix.ends_with('.')
            || pos == 0
            || !is_ident_byte(rest.as_bytes()[pos - 1]) && rest.as_bytes()[pos - 1] != b'.';
        let end = pos + needle.len();
        let after_ok = end == rest.len() || !is_ident_byte(rest.as_bytes()[end]);
        out.push_str(&rest[..pos]);
        if before_ok && after_ok {
            out.push_str(prefix);
            out.push_str(to);
            count += 1;
        } else {
            out.push_str(&needle);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    *js = out;
    count
}

fn read_leb(data: &[u8], pos: &mut usize) -> Result<u32> {
    let mut result: u32 = 0;
    let mut shift = 0;
    loop {
        let byte = *data.get(*pos).context("truncated LEB128")?;
        *pos += 1;
        result |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(result);
        }
        shift += 7;
        ensure!(shift < 35, "LEB128 too long");
    }
}

pub(crate) fn write_leb(out: &mut Vec<u8>, mut n: u32) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_name(data: &[u8], pos: &mut usize) -> Result<String> {
    let len = read_leb(data, pos)? as usize;
    let bytes = data.get(*pos..*pos + len).context("truncated name")?;
    *pos += len;
    Ok(String::from_utf8(bytes.to_vec())?)
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    write_leb(out, name.len() as u32);
    out.extend_from_slice(name.as_bytes());
}

/// Skips a `limits` (table/memory type): flags, min, optional max.
fn skip_limits(data: &[u8], pos: &mut usize) -> Result<()> {
    let flags = *data.get(*pos).context("truncated limits")?;
    *pos += 1;
    read_leb(data, pos)?;
    if flags & 1 != 0 {
        read_leb(data, pos)?;
    }
    Ok(())
}

/// The byte length of an import descriptor starting at `pos` (kind byte included).
fn skip_import_desc(data: &[u8], pos: &mut usize) -> Result<()> {
    let kind = *data.get(*pos).context("truncated import")?;
    *pos += 1;
    match kind {
        0 => {
            read_leb(data, pos)?;
        }
        1 => {
            *pos += 1; // reftype
            skip_limits(data, pos)?;
        }
        2 => skip_limits(data, pos)?,
        3 => *pos += 2, // valtype, mutability
        4 => {
            *pos += 1; // tag attribute
            read_leb(data, pos)?;
        }
        other => bail!("unknown import kind {other}"),
    }
    Ok(())
}

/// The short names given to glue imports so far: a chunk importing a glue function gets the
/// name the core's import got (or a fresh one, if only chunks import it).
#[derive(Default)]
struct Names {
    given: std::collections::HashMap<String, String>,
    used: usize,
}

impl Names {
    /// The short name of glue import `name`, renaming it in `js` the first time.
    fn of(&mut self, name: &str, js: &mut String) -> Result<String> {
        if let Some(n) = self.given.get(name) {
            return Ok(n.clone());
        }
        let new = names().nth(self.used).context("names")?;
        self.used += 1;
        // Keys of the import object: `name: function(…)`.
        let n = replace_ident(js, "", name, &new);
        ensure!(n >= 1, "import {name} not found in the glue");
        self.given.insert(name.to_string(), new.clone());
        Ok(new)
    }
}

/// Renames a chunk's glue imports as the core's were named (its `$` imports of core exports
/// keep their numeric names, which [`rename_exports`] leaves alone).
fn rename_chunk(wasm: &[u8], js: &mut String, names: &mut Names) -> Result<Vec<u8>> {
    let mut out = wasm[..8].to_vec();
    for (id, body) in code_sections(wasm)? {
        let body = if id == 2 {
            rename_imports(body, js, &mut Vec::new(), names)?
        } else {
            body.to_vec()
        };
        out.push(id);
        write_leb(&mut out, body.len() as u32);
        out.extend_from_slice(&body);
    }
    Ok(out)
}

/// Renames the glue-facing imports and all exports; returns the new wasm and glue, and the
/// glue-facing exports' old names in order. `first`: the glue is wasm-bindgen's, not yet renamed
/// for another core.
fn rename(
    wasm: &[u8],
    js: &str,
    names: &mut Names,
    first: bool,
) -> Result<(Vec<u8>, String, Vec<String>)> {
    ensure!(
        wasm.len() >= 8 && &wasm[..4] == b"\0asm",
        "not a wasm module"
    );
    let mut js = js.to_string();
    let mut out = wasm[..8].to_vec();
    let mut pos = 8;
    // Element types of all tables (imported first), for the externref table check below.
    let mut tables: Vec<u8> = Vec::new();
    let mut exports = Vec::new();
    while pos < wasm.len() {
        let id = wasm[pos];
        pos += 1;
        let size = read_leb(wasm, &mut pos)? as usize;
        let body = wasm.get(pos..pos + size).context("truncated section")?;
        pos += size;
        let new_body = match id {
            2 => Some(rename_imports(body, &mut js, &mut tables, names)?),
            4 => {
                table_types(body, &mut tables)?;
                None
            }
            7 => Some(rename_exports(body, &mut js, &tables, &mut exports)?),
            _ => None,
        };
        out.push(id);
        match new_body {
            Some(b) => {
                write_leb(&mut out, b.len() as u32);
                out.extend_from_slice(&b);
            }
            None => {
                write_leb(&mut out, size as u32);
                out.extend_from_slice(body);
            }
        }
    }
    // Once in wasm-bindgen's glue; none left when a second core renames the renamed glue.
    let module_refs = js.matches(&format!("\"{OLD_MODULE}\"")).count();
    let want = usize::from(first);
    ensure!(
        module_refs == want,
        "expected the import module {OLD_MODULE:?} {want} time(s) in the glue, found {module_refs}"
    );
    js = js.replace(&format!("\"{OLD_MODULE}\""), &format!("\"{NEW_MODULE}\""));
    Ok((out, js, exports))
}

/// Appends the element type of each table the table section defines.
fn table_types(body: &[u8], tables: &mut Vec<u8>) -> Result<()> {
    let mut pos = 0;
    for _ in 0..read_leb(body, &mut pos)? {
        tables.push(*body.get(pos).context("truncated table")?);
        pos += 1;
        skip_limits(body, &mut pos)?;
    }
    Ok(())
}

fn rename_imports(
    body: &[u8],
    js: &mut String,
    tables: &mut Vec<u8>,
    names: &mut Names,
) -> Result<Vec<u8>> {
    let mut pos = 0;
    let count = read_leb(body, &mut pos)?;
    let mut out = Vec::new();
    write_leb(&mut out, count);
    for _ in 0..count {
        let module = read_name(body, &mut pos)?;
        let name = read_name(body, &mut pos)?;
        let desc_start = pos;
        if body.get(pos) == Some(&1) {
            tables.push(*body.get(pos + 1).context("truncated table import")?);
        }
        skip_import_desc(body, &mut pos)?;
        if module == OLD_MODULE {
            let new = names.of(&name, js)?;
            write_name(&mut out, NEW_MODULE);
            write_name(&mut out, &new);
        } else {
            write_name(&mut out, &module);
            write_name(&mut out, &name);
        }
        out.extend_from_slice(&body[desc_start..pos]);
    }
    ensure!(pos == body.len(), "import section has trailing bytes");
    Ok(out)
}

/// wasm-bindgen's externref table export, which its glue fills with JS values.
const EXTERNREF_TABLE: &str = "__wbindgen_externrefs";
const EXTERNREF: u8 = 0x6f;

fn rename_exports(
    body: &[u8],
    js: &mut String,
    tables: &[u8],
    renamed: &mut Vec<String>,
) -> Result<Vec<u8>> {
    let mut pos = 0;
    let count = read_leb(body, &mut pos)?;
    let mut out = Vec::new();
    write_leb(&mut out, count);
    let mut fresh = names();
    for _ in 0..count {
        let name = read_name(body, &mut pos)?;
        let kind = *body.get(pos).context("truncated export")?;
        pos += 1;
        let index = read_leb(body, &mut pos)?;
        // The core's exports for lazy chunks (split.rs): numeric, short already, and not in
        // the glue.
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            write_name(&mut out, &name);
            out.push(kind);
            write_leb(&mut out, index);
            continue;
        }
        // Binaryen 108's wasm-opt (Debian's, used until binaryen 132 from npm) wrote this export
        // with the funcref table's index: the glue's first `table.set` then threw and nothing
        // booted. 132 gets it right; this check keeps a regression from shipping silently.
        ensure!(
            !(kind == 1
                && name == EXTERNREF_TABLE
                && tables.get(index as usize) != Some(&EXTERNREF)),
            "{EXTERNREF_TABLE} exports table {index}, which is not an externref table: the glue's \
             first table.set would throw (a wasm-opt bug?)"
        );
        let new = fresh.next().context("names")?;
        renamed.push(name.clone());
        // The glue reaches every export as `wasm.<name>`.
        replace_ident(js, "wasm.", &name, &new);
        write_name(&mut out, &new);
        out.push(kind);
        write_leb(&mut out, index);
    }
    ensure!(pos == body.len(), "export section has trailing bytes");
    // The one dynamic access allowed: a linked chunk's entry `0{name}` (glue.rs `chunk`),
    // which starts with a digit and is never renamed.
    ensure!(
        !js.replace("wasm['0' + ", "").contains("wasm[") && !js.contains("exports["),
        "the glue indexes wasm exports dynamically: renaming them is unsafe"
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_gets_the_chunk_list() {
        let js = "let c=[\"CK_CHUNKS\"],x=1;";
        assert_eq!(
            with_list(js, "CK_CHUNKS", &["form", "announcement"]).unwrap(),
            "let c=[\"form\",\"announcement\"],x=1;"
        );
        assert_eq!(with_list(js, "CK_CHUNKS", &[]).unwrap(), "let c=[],x=1;");
        assert!(with_list(js, "CK_CHUNKS", &["a\"b"]).is_err());
        assert!(with_list("let c=[];", "CK_CHUNKS", &["form"]).is_err());
        assert!(with_list(js, "CK_LINKED", &["form"]).is_err());
    }

    #[test]
    fn short_names_are_unique_and_skip_keywords() {
        let all: Vec<String> = names().take(3000).collect();
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len());
        assert!(!all.iter().any(|n| n == "in" || n == "do" || n == "if"));
        assert_eq!(all[0], "a");
    }

    #[test]
    fn replaces_whole_identifiers_only() {
        let mut js =
            String::from("x.__wbg_a_1(); __wbg_a_1: f, __wbg_a_10: g, wasm.boot(1); boot();");
        assert_eq!(replace_ident(&mut js, "", "__wbg_a_1", "q"), 1);
        assert_eq!(replace_ident(&mut js, "wasm.", "boot", "b"), 1);
        assert_eq!(js, "x.__wbg_a_1(); q: f, __wbg_a_10: g, wasm.b(1); boot();");
    }

    #[test]
    fn renames_imports_and_exports_in_both_files() {
        // (module (import "./ck_bindings_bg.js" "__wbg_x_0123" (func)) (func (export "long_export")))
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        let section = |id: u8, body: Vec<u8>, out: &mut Vec<u8>| {
            out.push(id);
            write_leb(out, body.len() as u32);
            out.extend(body);
        };
        section(1, vec![1, 0x60, 0, 0], &mut wasm);
        let mut imports = vec![1];
        write_name(&mut imports, OLD_MODULE);
        write_name(&mut imports, "__wbg_x_0123");
        imports.extend([0, 0]);
        section(2, imports, &mut wasm);
        section(3, vec![1, 0], &mut wasm);
        let mut exports = vec![1];
        write_name(&mut exports, "long_export");
        exports.extend([0, 1]);
        section(7, exports, &mut wasm);
        section(10, vec![1, 2, 0, 0x0b], &mut wasm);
        let js = "const i = { __wbg_x_0123: function() {} };\nreturn { \"./ck_bindings_bg.js\": i };\nwasm.long_export();";
        let (new_wasm, new_js, _) = rename(&wasm, js, &mut Names::default(), true).unwrap();
        assert_eq!(
            new_js,
            "const i = { a: function() {} };\nreturn { \"a\": i };\nwasm.a();"
        );
        assert!(new_wasm.len() < wasm.len());
        // The new module and names are in the wasm; the old ones are gone.
        let text = String::from_utf8_lossy(&new_wasm);
        assert!(!text.contains("__wbg_x_0123") && !text.contains("long_export"));
        assert!(!text.contains(OLD_MODULE));
    }

    #[test]
    fn refuses_an_externref_export_of_the_wrong_table() {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        // Two tables: 0 funcref, 1 externref; the export wrongly names table 0.
        wasm.extend([4, 7, 2, 0x70, 0, 1, 0x6f, 0, 1]);
        let mut exports = vec![1];
        write_name(&mut exports, EXTERNREF_TABLE);
        exports.extend([1, 0]);
        wasm.push(7);
        write_leb(&mut wasm, exports.len() as u32);
        wasm.extend(exports);
        let js = "\"./ck_bindings_bg.js\"; wasm.__wbindgen_externrefs.set(0, 1);";
        let err = rename(&wasm, js, &mut Names::default(), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an externref table"), "{err}");
        // The right table (1) renames as usual.
        let n = wasm.len();
        wasm[n - 1] = 1;
        let (new_wasm, new_js, _) = rename(&wasm, js, &mut Names::default(), true).unwrap();
        assert_eq!(new_js, "\"a\"; wasm.a.set(0, 1);");
        assert!(new_wasm.ends_with(&[7, 5, 1, 1, b'a', 1, 1]));
    }

    #[test]
    fn dead_table_slots_point_at_a_live_function() {
        use std::collections::HashSet;
        // One segment at offset 1 with functions 5, 6, 7; only slot 2 (function 6) is named.
        let body = [1, 0, 0x41, 1, 0x0b, 3, 5, 6, 7];
        let named = HashSet::from([2u32]);
        let (out, unreferenced, by_name) = prune_elements(&body, &named, &HashSet::new())
            .unwrap()
            .unwrap();
        assert_eq!((unreferenced, by_name), (2, 0));
        assert_eq!(out, [1, 0, 0x41, 1, 0x0b, 3, 6, 6, 6]);
        // Slots 1..3 all named, but function 5 is an invoke shim: it goes too.
        let named = HashSet::from([1u32, 2, 3]);
        let (out, unreferenced, by_name) = prune_elements(&body, &named, &HashSet::from([5u32]))
            .unwrap()
            .unwrap();
        assert_eq!((unreferenced, by_name), (0, 1));
        assert_eq!(out, [1, 0, 0x41, 1, 0x0b, 3, 6, 6, 7]);
        // Other segment shapes are left alone.
        assert!(
            prune_elements(&[1, 2, 0, 0x41, 1, 0x0b, 0, 0], &named, &HashSet::new())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn recognises_invoke_shims_by_name() {
        assert!(is_invoke_shim(
            "wasm_bindgen::convert::closures::_::invoke::<i8, u32, js_sys::Int8Array, (), true>"
        ));
        assert!(!is_invoke_shim(
            "wasm_bindgen::convert::closures::_::invoke_other"
        ));
        assert!(!is_invoke_shim("ck_runtime::dom::listen::<F>::{closure#0}"));
    }

    #[test]
    fn sees_an_exported_function_table() {
        // (table 1 funcref) (export "t" (table 0))
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend([4, 4, 1, 0x70, 0, 1]);
        assert!(!funcref_table_reachable(&wasm).unwrap());
        let mut exports = vec![1];
        write_name(&mut exports, "t");
        exports.extend([1, 0]);
        wasm.push(7);
        write_leb(&mut wasm, exports.len() as u32);
        wasm.extend(exports);
        assert!(funcref_table_reachable(&wasm).unwrap());
    }
}
