//! `cargo xtask dist`: the embed build.
//!
//! cargo (wasm profile: opt-level z, fat LTO, one codegen unit) with build-std and
//! immediate-abort panics → wasm-bindgen `--target web` → wasm-opt at every candidate level,
//! keeping the one whose gzip + brotli total is smallest (-Oz is not always smallest once
//! compressed) → `dist/embed/v{version}/` with `.gz`/`.br` siblings and `manifest.json`, mirrored
//! to `dist/embed/latest/`. Variant builds (bare runtime, runtime + each widget) go to
//! `dist/sizes/` so the size gate can budget each widget's increment.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use size_budget::{measure, Sizes};

use crate::sh::{cmd, output, run};
use crate::toolchain::{Wasm, WASM_TARGET};

/// The cdylib that becomes the embed.
const PACKAGE: &str = "ck-bindings";
/// wasm-bindgen's output name (`ck_bindings.js` + `ck_bindings_bg.wasm`).
const OUT_NAME: &str = "ck_bindings";
/// Features of the bindings crate that are not widgets; every other feature is one (a lazy
/// chunk of the release, and an increment build), so a new widget needs no line here.
const NOT_WIDGETS: &[&str] = &["default", "lazy"];
/// Widget types whose chunk is also linked into the core the loader fetches for a page with one
/// of them (`ck_bindings_bg.wasm`; pages without get the bare runtime, `core.wasm`). The form:
/// a form page then downloads one wasm with the runtime and the form, 1,488 B gzip smaller
/// than the bare core plus `form.wasm` and so under the 28 KB ceiling (the chunk's imports of
/// ~80 core functions, no inlining across the two, two gzip streams; docs/size.md).
const LINKED: &[&str] = &["form"];
/// Prefix of the allocator experiment features (not widgets either).
const ALLOC_PREFIX: &str = "alloc-";

/// The features rustc's wasm32 target emits by default, spelled out so wasm-opt never rejects
/// the module or lowers them, whatever its own defaults.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Candidate wasm-opt runs (arguments split on spaces); "none" keeps wasm-bindgen's output.
/// `--converge` repeats the pipeline until the binary stops shrinking (measured on the form
/// build with binaryen 132: −115 B gzip over -Os, and the smallest gzip + brotli).
/// -O3 and -O4 are not tried: they inline for speed, and were the largest optimised output on
/// every build measured with binaryen 108 and 132 (+400 to +500 B gzip over -Os) while taking
/// the longest under node (5–6 s each).
const LEVELS: &[&str] = &[
    "none",
    "-O1",
    "-O2",
    "-Os",
    "-Oz",
    "-Os --converge",
    "-Oz --converge",
    // Flattening and re-running the relooper after the size pipeline gives the second -Os
    // differently shaped control flow to fold (measured on the linked core: −154 B plain
    // gzip -9 over -Os --converge; a second round or -Oz at the end gave ±15 B more).
    "-Os --converge --flatten --rereloop -Os --converge",
];

/// Options of `cargo xtask dist`.
pub(crate) struct Opts {
    /// Skip the variant builds (bare runtime, runtime + each widget).
    pub(crate) skip_variants: bool,
    /// Extra cargo features for the release build (e.g. an allocator experiment).
    pub(crate) features: Vec<String>,
    /// The widget set of the release (each a lazy chunk); `None`: every widget feature.
    pub(crate) widgets: Option<Vec<String>>,
}

/// Where dist records the widget set it built, so `size` checks the dependency graph of what
/// ships (and never rebuilds with another set).
pub(crate) const WIDGETS_FILE: &str = "dist/sizes/widgets.txt";

/// The widget set of the release in dist/ (`None` before the first dist).
pub(crate) fn built_widgets(root: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(root.join(WIDGETS_FILE)).ok()?;
    Some(text.split_whitespace().map(String::from).collect())
}

/// `--widgets a,b`: a comma list (empty entries ignored).
pub(crate) fn widget_list(arg: Option<String>) -> Option<Vec<String>> {
    arg.map(|w| {
        w.split(',')
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect()
    })
}

/// Facts about the bindings crate read from `cargo metadata`.
pub(crate) struct Bindings {
    pub(crate) version: String,
    pub(crate) features: Vec<String>,
}

impl Bindings {
    /// The widget features this crate has (the ones that ship and get increment builds).
    pub(crate) fn widgets(&self) -> Vec<&str> {
        let mut w: Vec<&str> = self
            .features
            .iter()
            .map(String::as_str)
            .filter(|f| !NOT_WIDGETS.contains(f) && !f.starts_with(ALLOC_PREFIX))
            .collect();
        w.sort_unstable();
        w
    }
}

pub(crate) fn bindings(root: &Path) -> Result<Bindings> {
    let meta = output(
        cmd(
            "cargo",
            &[
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--manifest-path",
            ],
        )
        .arg(root.join("Cargo.toml")),
    )?;
    let meta: serde_json::Value = serde_json::from_str(&meta).context("cargo metadata JSON")?;
    let pkg = meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == PACKAGE))
        .with_context(|| format!("{PACKAGE} is not in the workspace"))?;
    Ok(Bindings {
        version: pkg["version"].as_str().unwrap_or("0.0.0").to_string(),
        features: pkg["features"]
            .as_object()
            .map(|f| f.keys().cloned().collect())
            .unwrap_or_default(),
    })
}

/// Which features a build gets.
#[derive(Clone, Copy)]
enum Features<'a> {
    /// Exactly these (variant builds).
    Only(&'a [&'a str]),
}

/// RUSTFLAGS of every wasm build (see `cargo_build`; `builder::build_check` shares them so the
/// one std build serves both).
pub(crate) const WASM_RUSTFLAGS: &str =
    "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none \
     -Zfmt-debug=none -Ctarget-feature=-reference-types";

/// Builds the bindings cdylib for wasm32 and returns the path of the wasm cargo wrote. With
/// `relocs` the linker keeps its relocations (`--emit-relocs`, for split.rs), passed through
/// `cargo rustc` so that only the bindings crate's own flags change, not the std build's.
fn cargo_build(
    root: &Path,
    target_dir: &Path,
    wasm: Wasm,
    features: Features<'_>,
    relocs: bool,
) -> Result<PathBuf> {
    let mut c = wasm.cargo();
    c.current_dir(root)
        .args([
            if relocs { "rustc" } else { "build" },
            "--quiet",
            "-p",
            PACKAGE,
            "--profile",
            "wasm",
            "--target",
            WASM_TARGET,
        ])
        .arg("-Zbuild-std=std,panic_abort")
        .env("CARGO_TARGET_DIR", target_dir)
        // immediate-abort drops the panic formatting machinery: panics become a bare trap.
        // No panic locations and no-op Debug impls: file names and Debug code never reach a
        // visitor anyway (measured: ~1 KB of wasm).
        // Only the wasm build gets them: with --target, RUSTFLAGS skip host build scripts.
        // Without reference types wasm-bindgen keeps JS values in a JS-side slab instead of an
        // externref table: every JsValue drop and clone is then a plain import call rather than
        // table bookkeeping in the wasm (measured: -860 B gzip wasm, +~200 B glue).
        .env("RUSTFLAGS", WASM_RUSTFLAGS);
    match features {
        Features::Only(only) => {
            c.arg("--no-default-features");
            if !only.is_empty() {
                c.args(["--features", &only.join(",")]);
            }
        }
    }
    if relocs {
        c.args(["--lib", "--", "-Clink-arg=--emit-relocs"]);
    }
    run(&mut c)?;
    let wasm_file = target_dir
        .join(WASM_TARGET)
        .join("wasm")
        .join(format!("{OUT_NAME}.wasm"));
    if !wasm_file.is_file() {
        bail!(
            "{} was not produced: is {PACKAGE} a cdylib?",
            wasm_file.display()
        );
    }
    Ok(wasm_file)
}

/// wasm-bindgen `--target web`: an ES module glue the loader imports (no eval, so it runs
/// under `script-src 'self' 'wasm-unsafe-eval'`) plus `ck_bindings_bg.wasm`.
/// With `keep_names` the name section stays (for `cargo xtask top`, never shipped).
fn bindgen(input: &Path, out_dir: &Path, keep_names: bool) -> Result<()> {
    if out_dir.exists() {
        std::fs::remove_dir_all(out_dir)?;
    }
    let mut c = cmd("wasm-bindgen", &["--target", "web", "--no-typescript"]);
    if !keep_names {
        // Names and producers are for debuggers, not visitors.
        c.args(["--remove-name-section", "--remove-producers-section"]);
    }
    c.args(["--out-name", OUT_NAME, "--out-dir"])
        .arg(out_dir)
        .arg(input);
    if keep_names {
        output(&mut c).map(|_| ())
    } else {
        run(&mut c)
    }
}

fn wasm_opt(root: &Path, input: &Path, output_file: &Path, level: &str) -> Result<()> {
    if level == "none" {
        std::fs::copy(input, output_file)?;
        return Ok(());
    }
    // A chunk shares the core's memory, checked with the core (it has no globals of its own).
    let data = std::fs::read(input)?;
    if !is_chunk(&data)? {
        low_memory_is_unused(&data).with_context(|| {
            format!(
                "{} breaks --low-memory-unused's assumption",
                input.display()
            )
        })?;
    }
    let bin = crate::npm::wasm_opt(root);
    let mut c = cmd(&bin.to_string_lossy(), &[]);
    c.args(level.split_whitespace())
        .args(WASM_FEATURES)
        .args([
            // Lets binaryen fold constant offsets into loads and stores (measured: −182 B
            // gzip). Sound for rustc's wasm32 layout, which `low_memory_is_unused` checks on
            // every build: the stack comes first and grows down from 1 MiB, static data lies
            // above it, so the low 1 KiB is reached only by a stack overflow.
            "--low-memory-unused",
            "--strip-debug",
            "--strip-producers",
            "--strip-target-features",
            "-o",
        ])
        .arg(output_file)
        .arg(input);
    crate::sh::output(&mut c).map(|_| ())
}

/// Whether `wasm` is a lazy chunk (imports its memory from the core).
fn is_chunk(wasm: &[u8]) -> Result<bool> {
    use wasmparser::{Parser, Payload, TypeRef};
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ImportSection(r) = payload? {
            for import in r.into_imports() {
                let import = import?;
                if import.module == crate::split::CORE_MODULE
                    && matches!(import.ty, TypeRef::Memory(_))
                {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// One wasm-opt trial.
pub(crate) struct Trial {
    pub(crate) level: &'static str,
    pub(crate) sizes: Sizes,
}

fn level_table(trials: &[Trial], chosen: &str) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "| wasm-opt | raw | gzip | brotli | gzip+brotli |");
    let _ = writeln!(t, "|---|---:|---:|---:|---:|");
    for tr in trials {
        let mark = if tr.level == chosen { " (chosen)" } else { "" };
        let _ = writeln!(
            t,
            "| {}{} | {} | {} | {} | {} |",
            tr.level,
            mark,
            tr.sizes.raw,
            tr.sizes.gzip,
            tr.sizes.brotli,
            tr.sizes.gzip + tr.sizes.brotli
        );
    }
    t
}

/// Checks what `--low-memory-unused` assumes: the stack pointer (global 0, rustc's
/// `__stack_pointer`) starts at or above 1 KiB and every data segment lies at or above 1 KiB.
fn low_memory_is_unused(wasm: &[u8]) -> Result<()> {
    use wasmparser::{DataKind, Operator, Parser, Payload};
    const LOW: i64 = 1024;
    let const_of = |expr: &wasmparser::ConstExpr<'_>| -> Result<i64> {
        match expr.get_operators_reader().read()? {
            Operator::I32Const { value } => Ok(i64::from(value)),
            other => bail!("unexpected constant expression {other:?}"),
        }
    };
    let mut stack_checked = false;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::GlobalSection(globals) => {
                let first = globals.into_iter().next().context("no globals")??;
                let start = const_of(&first.init_expr)?;
                if !first.ty.mutable || start < LOW {
                    bail!("global 0 is not a stack pointer starting at or above {LOW} ({start})");
                }
                stack_checked = true;
            }
            Payload::DataSection(data) => {
                for segment in data {
                    if let DataKind::Active { offset_expr, .. } = segment?.kind {
                        let offset = const_of(&offset_expr)?;
                        if offset < LOW {
                            bail!("a data segment starts at {offset}, below {LOW}");
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if !stack_checked {
        bail!("no global section: cannot find the stack pointer");
    }
    Ok(())
}

/// Scratch file name of a candidate: "-Oz --converge" → "Oz-converge.wasm".
fn level_file(level: &str) -> String {
    let words: Vec<&str> = level
        .split_whitespace()
        .map(|w| w.trim_start_matches('-'))
        .collect();
    format!("{}.wasm", words.join("-"))
}

/// Tries every level on `bg_wasm` and leaves the smallest (gzip + brotli) in place.
///
/// The trials are independent, so they run on as many threads as there are cores: node's
/// wasm-opt is single-threaded, and the trials are most of `dist`'s time after cargo.
fn optimise(root: &Path, bg_wasm: &Path, scratch: &Path) -> Result<(Vec<Trial>, &'static str)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    std::fs::create_dir_all(scratch)?;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Sizes>>>> =
        Mutex::new(LEVELS.iter().map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(LEVELS.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&level) = LEVELS.get(i) else { break };
                let out = scratch.join(level_file(level));
                let r = wasm_opt(root, bg_wasm, &out, level)
                    .with_context(|| format!("wasm-opt {level}"))
                    .and_then(|()| Ok(measure(&std::fs::read(&out)?)));
                // A poisoned lock means another trial panicked; that panic ends the scope.
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
            });
        }
    });
    let mut trials = Vec::new();
    let all = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a wasm-opt trial panicked"))?;
    for (&level, r) in LEVELS.iter().zip(all) {
        let sizes = r.with_context(|| format!("wasm-opt {level} did not run"))??;
        trials.push(Trial { level, sizes });
    }
    let best = trials
        .iter()
        .min_by_key(|t| (t.sizes.gzip + t.sizes.brotli, t.sizes.raw))
        .map(|t| t.level)
        .unwrap_or("none");
    std::fs::copy(scratch.join(level_file(best)), bg_wasm)?;
    Ok((trials, best))
}

fn write_compressed(file: &Path) -> Result<()> {
    let data = std::fs::read(file)?;
    let name = file
        .file_name()
        .context("file name")?
        .to_string_lossy()
        .into_owned();
    std::fs::write(
        file.with_file_name(format!("{name}.gz")),
        size_budget::gzip(&data),
    )?;
    std::fs::write(
        file.with_file_name(format!("{name}.br")),
        size_budget::brotli(&data),
    )?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

fn fresh_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// Files of a release dir that get precompressed siblings (everything but the siblings).
fn release_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            release_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The cargo build of one feature set, copied to `work/cargo.wasm` (cargo writes every feature
/// set to the same path, so builds run one after another and each keeps its own copy).
/// With `relocs`, `work/raw.wasm` keeps the linker's relocations (for split.rs) and
/// `work/cargo.wasm` is the same module without them.
fn compile(
    root: &Path,
    target_dir: &Path,
    wasm: Wasm,
    features: Features<'_>,
    work: &Path,
    relocs: bool,
) -> Result<()> {
    let raw = cargo_build(root, target_dir, wasm, features, relocs)?;
    std::fs::create_dir_all(work)?;
    if relocs {
        let data = std::fs::read(&raw)?;
        std::fs::write(work.join("cargo.wasm"), crate::split::strip_relocs(&data)?)?;
        std::fs::copy(&raw, work.join("raw.wasm"))?;
    } else {
        std::fs::copy(&raw, work.join("cargo.wasm"))?;
    }
    Ok(())
}

/// bindgen + wasm-opt + shrink of `work/cargo.wasm`: at `level`, or at the best of all levels.
/// With `work/raw.wasm` (a build with relocations) the wasm is split into the core and its lazy
/// chunks (`{name}.wasm` next to the glue) first. Touches only `work`, so several run at once.
fn post_process(
    root: &Path,
    work: &Path,
    level: Option<&'static str>,
    linked: &[String],
) -> Result<(PathBuf, Vec<Trial>, &'static str)> {
    let input = work.join("cargo.wasm");
    // What ships, minus wasm-opt, but with function names: where the bytes go.
    let named_out = work.join("bindgen-named");
    bindgen(&input, &named_out, true)?;
    std::fs::copy(
        named_out.join(format!("{OUT_NAME}_bg.wasm")),
        work.join("named.wasm"),
    )?;
    let out = work.join("bindgen");
    bindgen(&input, &out, false)?;
    let bg = out.join(format!("{OUT_NAME}_bg.wasm"));
    // Dead function-table slots point at a kept function; every wasm-opt level then drops what
    // they held (see shrink::prune).
    crate::shrink::prune(&work.join("named.wasm"), &bg)?;
    let mut chunks = Vec::new();
    let raw = work.join("raw.wasm");
    if raw.is_file() {
        let plans = crate::split::plan(&std::fs::read(&raw)?, linked)?;
        for m in crate::split::split(&work.join("named.wasm"), &bg, &plans, linked)? {
            println!(
                "dist: chunk {}: {} functions, {} data bytes moved out of the core",
                m.name, m.functions, m.data_bytes
            );
            chunks.push(out.join(format!("{}.wasm", m.name)));
        }
    }
    let bare_core = out.join(crate::split::BARE_CORE);
    let cores: Vec<PathBuf> = Some(bare_core)
        .filter(|c| c.is_file())
        .into_iter()
        .collect();
    let (trials, level) = match level {
        Some(level) => {
            let tmp = work.join("opt.wasm");
            wasm_opt(root, &bg, &tmp, level)?;
            std::fs::rename(&tmp, &bg)?;
            (Vec::new(), level)
        }
        None => optimise(root, &bg, &work.join("levels"))?,
    };
    // Chunks and the bare core at the core's level: one level keeps the trials' time.
    for chunk in chunks.iter().chain(&cores) {
        let tmp = chunk.with_extension("opt.wasm");
        wasm_opt(root, chunk, &tmp, level)?;
        std::fs::rename(&tmp, chunk)?;
    }
    // Short import/export names in wasm + glue, minified glue (see shrink.rs).
    let lazy: Vec<String> = chunks
        .iter()
        .filter_map(|c| Some(c.file_stem()?.to_string_lossy().into_owned()))
        .filter(|c| !linked.contains(c))
        .collect();
    crate::shrink::shrink(
        root,
        &out.join(format!("{OUT_NAME}.js")),
        &bg,
        &cores,
        &chunks,
        &lazy,
    )?;
    Ok((out, trials, level))
}

/// Runs the whole embed build; returns the release directory.
pub(crate) fn dist(root: &Path, target_dir: &Path, wasm: Wasm, opts: &Opts) -> Result<PathBuf> {
    let started = std::time::Instant::now();
    let b = bindings(root)?;
    let work = target_dir.join("ck-dist");
    let dist = root.join("dist");
    let widgets: Vec<String> = match &opts.widgets {
        Some(w) => {
            for name in w {
                if !b.widgets().contains(&name.as_str()) {
                    bail!(
                        "--widgets: {PACKAGE} has no widget feature {name:?} (it has: {})",
                        b.widgets().join(", ")
                    );
                }
            }
            w.clone()
        }
        None => b.widgets().into_iter().map(String::from).collect(),
    };
    println!(
        "dist: {PACKAGE} v{} with {}; widgets (lazy chunks): {}",
        b.version,
        wasm.describe(),
        widgets.join(", ")
    );
    crate::npm::ensure_wasm_opt(root)?;

    // Every widget of the release is a lazy chunk: `lazy` plus the widget set, nothing else
    // by default.
    let mut release_features: Vec<&str> = vec!["lazy"];
    release_features.extend(widgets.iter().map(String::as_str));
    release_features.extend(opts.features.iter().map(String::as_str));
    compile(
        root,
        target_dir,
        wasm,
        Features::Only(&release_features),
        &work.join("main"),
        true,
    )?;
    let linked: Vec<String> = widgets
        .iter()
        .filter(|w| LINKED.contains(&w.as_str()))
        .cloned()
        .collect();
    let (out, trials, chosen) = post_process(root, &work.join("main"), None, &linked)?;
    let table = level_table(&trials, chosen);
    println!(
        "wasm-opt levels for {OUT_NAME}_bg.wasm (bytes; chosen = smallest gzip+brotli):\n{table}"
    );

    let release = dist.join("embed").join(format!("v{}", b.version));
    fresh_dir(&release)?;
    copy_dir(&out, &release)?;
    let loader = root.join("bindings/js/loader.js");
    if loader.is_file() {
        let chunk_names: Vec<&str> = widgets.iter().map(String::as_str).collect();
        let linked: Vec<&str> = linked.iter().map(String::as_str).collect();
        crate::shrink::minify_loader(
            root,
            &loader,
            &release.join("loader.js"),
            &chunk_names,
            &linked,
        )?;
    } else {
        println!(
            "dist: WARNING {} does not exist yet; the release has no loader",
            loader.display()
        );
    }
    let mut files = Vec::new();
    release_files(&release, &mut files)?;
    for f in &files {
        write_compressed(f)?;
    }
    let manifest = size_budget::manifest::write(&release, &b.version)?;
    let latest = dist.join("embed/latest");
    fresh_dir(&latest)?;
    copy_dir(&release, &latest)?;

    crate::builder::build_check(root, target_dir, wasm)?;

    let sizes = dist.join("sizes");
    std::fs::create_dir_all(&sizes)?;
    std::fs::write(root.join(WIDGETS_FILE), widgets.join("\n") + "\n")?;
    std::fs::write(sizes.join("wasm-opt-levels.md"), &table)?;
    std::fs::write(sizes.join("wasm-opt-level.txt"), format!("{chosen}\n"))?;
    // The shipped wasm has no names: keep a named copy for `cargo xtask top`.
    std::fs::copy(work.join("main/named.wasm"), sizes.join("named.wasm"))?;

    println!("dist: {} (also dist/embed/latest/)", release.display());
    println!(
        "{:<24} {:>8} {:>8} {:>8}  integrity",
        "file", "raw", "gzip", "brotli"
    );
    for e in &manifest.files {
        println!(
            "{:<24} {:>8} {:>8} {:>8}  {}",
            e.path, e.raw, e.gzip, e.brotli, e.integrity
        );
    }

    if opts.skip_variants {
        println!("dist: variant builds skipped (--skip-variants)");
    } else if !opts.features.is_empty() {
        println!(
            "dist: variant builds skipped: --features {} changes the release only",
            opts.features.join(",")
        );
    } else {
        variants(root, target_dir, wasm, &b, &work, &sizes, chosen)?;
    }
    println!("dist: done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(release)
}

/// Bare runtime and runtime + each widget, at the chosen wasm-opt level, into dist/sizes/.
fn variants(
    root: &Path,
    target_dir: &Path,
    wasm: Wasm,
    b: &Bindings,
    work: &Path,
    sizes: &Path,
    level: &'static str,
) -> Result<()> {
    let widgets = b.widgets();
    if widgets.is_empty() {
        println!("dist: {PACKAGE} has no widget features yet: no increment builds");
        return Ok(());
    }
    let mut builds: Vec<(String, Vec<&str>)> = vec![("bare".into(), vec![])];
    builds.extend(widgets.iter().map(|w| (w.to_string(), vec![*w])));
    // Every widget in one wasm: what the release would be without lazy chunks (the measured
    // alternative to splitting: one build per widget set, docs/size.md "Lazy chunks").
    if widgets.len() > 1 {
        builds.push(("all".into(), widgets.clone()));
    }
    for (name, features) in &builds {
        compile(
            root,
            target_dir,
            wasm,
            Features::Only(features),
            &work.join(name),
            false,
        )?;
    }
    // node's wasm-opt dominates what follows and is single-threaded: one thread per build.
    let outs: Vec<Result<(PathBuf, Vec<Trial>, &'static str)>> = std::thread::scope(|s| {
        let handles: Vec<_> = builds
            .iter()
            .map(|(name, _)| {
                s.spawn(move || post_process(root, &work.join(name), Some(level), &[]))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("post-processing panicked")))
            })
            .collect()
    });
    let mut measured = Vec::new();
    for ((name, _), built) in builds.iter().zip(outs) {
        let (out, _, _) = built.with_context(|| format!("variant {name}"))?;
        let dest = sizes.join(name);
        fresh_dir(&dest)?;
        let mut total = Sizes::default();
        for f in [format!("{OUT_NAME}.js"), format!("{OUT_NAME}_bg.wasm")] {
            std::fs::copy(out.join(&f), dest.join(&f))?;
            total = total + measure(&std::fs::read(dest.join(&f))?);
        }
        std::fs::copy(work.join(name).join("named.wasm"), dest.join("named.wasm"))?;
        // What serves the variant (tests/src/server.rs): a loader with no lazy chunks, which
        // then always fetches `core.wasm`, here the variant's one wasm.
        let loader = root.join("bindings/js/loader.js");
        crate::shrink::minify_loader(root, &loader, &dest.join("loader.js"), &[], &[])?;
        std::fs::copy(
            dest.join(format!("{OUT_NAME}_bg.wasm")),
            dest.join(crate::split::BARE_CORE),
        )?;
        measured.push((name.clone(), total));
    }
    let bare = measured[0].1;
    let mut t = String::from("| build (glue + wasm) | raw | gzip | brotli | increment raw | increment gzip | increment brotli |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (name, s) in &measured {
        let d = |a: u64, b: u64| a as i64 - b as i64;
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} |",
            match name.as_str() {
                "bare" => "bare runtime".to_string(),
                "all" => format!("runtime + {} (one wasm)", widgets.join(" + ")),
                _ => format!("runtime + {name}"),
            },
            s.raw,
            s.gzip,
            s.brotli,
            d(s.raw, bare.raw),
            d(s.gzip, bare.gzip),
            d(s.brotli, bare.brotli)
        );
    }
    println!("widget increments (bytes, wasm-opt {level}):\n{t}");
    std::fs::write(sizes.join("increments.md"), t)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with a mutable i32 global 0 starting at `stack` and one data segment at `data`
    /// (both as signed LEB128 bytes).
    fn module(stack: &[u8], data: &[u8]) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        let mut global = vec![1, 0x7f, 1, 0x41];
        global.extend_from_slice(stack);
        global.push(0x0b);
        m.push(6);
        m.push(global.len() as u8);
        m.extend(global);
        let mut segment = vec![1, 0, 0x41];
        segment.extend_from_slice(data);
        segment.extend([0x0b, 1, 0]);
        m.push(11);
        m.push(segment.len() as u8);
        m.extend(segment);
        m
    }

    #[test]
    fn low_memory_check_accepts_rustc_layout_and_refuses_low_data() {
        // 1048576 = 1 MiB (rustc's stack top), 2048 and 16 as signed LEB128.
        let mib = [0x80, 0x80, 0xc0, 0x00];
        assert!(low_memory_is_unused(&module(&mib, &[0x80, 0x10])).is_ok());
        assert!(low_memory_is_unused(&module(&mib, &[0x10])).is_err());
        assert!(low_memory_is_unused(&module(&[0x10], &[0x80, 0x10])).is_err());
    }

    #[test]
    fn level_table_marks_the_choice() {
        let trials = [
            Trial {
                level: "none",
                sizes: Sizes {
                    raw: 100,
                    gzip: 60,
                    brotli: 50,
                    gzip9: 65,
                },
            },
            Trial {
                level: "-Oz",
                sizes: Sizes {
                    raw: 80,
                    gzip: 55,
                    brotli: 45,
                    gzip9: 58,
                },
            },
        ];
        let t = level_table(&trials, "-Oz");
        assert!(t.contains("| -Oz (chosen) | 80 | 55 | 45 | 100 |"), "{t}");
        assert!(t.contains("| none | 100 | 60 | 50 | 110 |"), "{t}");
    }
}
