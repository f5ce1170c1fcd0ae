//! Lazy chunks: splits the embed's wasm into the runtime core and one module per chunk.
//!
//! The bindings crate is built with its `lazy` feature: each widget is then reachable only
//! through its exported entry `ck_chunk_{name}` (bindings/src/lib.rs). The linker keeps its
//! relocations (`--emit-relocs`), which say exactly which function calls or takes the address of
//! which function, and which code or data points at which data symbol (vtables, strings, CSS).
//! From them:
//!
//! - the core is everything reachable from the module's other exports;
//! - chunk `T` is everything reachable from `ck_chunk_T` and not from the core, nor from another
//!   chunk's entry (shared code stays in the core);
//! - functions map to wasm-bindgen's output by name (wasm-bindgen renumbers, never renames), data
//!   by address (nobody moves it).
//!
//! The core keeps every function index (a moved body becomes `unreachable`, which wasm-opt then
//! drops as dead code), loses the moved table slots and data bytes, and exports what chunks need
//! under numeric names (`0`, `1`, …; shrink.rs leaves those alone): memory, function table, the
//! globals and functions chunk code uses. A chunk imports the glue's JS functions as the core
//! does, the core's exports from module `$`, and writes its functions into its table slots and
//! its data into memory when it is instantiated; its one export `e` is the entry. This mirrors
//! the approach of the `wasm_split_cli_support` crate (Leptos `#[lazy]`), done after
//! wasm-bindgen so the function-table pruning, short names and glue init stay as they are.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use wasm_encoder::reencode::Reencode;
use wasmparser::{
    DataKind, ElementItems, ElementKind, ExternalKind, KnownCustom, Linking, Name, Operator,
    Parser, Payload, SymbolInfo, TypeRef,
};

/// Prefix of the exported chunk entries (bindings/src/lib.rs `widgets!`).
pub(crate) const ENTRY_PREFIX: &str = "ck_chunk_";
/// The import module of the core's exports in a chunk (glue.rs passes the core exports as it).
pub(crate) const CORE_MODULE: &str = "$";
/// A chunk's entry export (glue.rs calls it after instantiation).
pub(crate) const CHUNK_ENTRY: &str = "e";

/// What one chunk gets: function names and data address ranges.
#[derive(Debug, Default)]
pub(crate) struct ChunkPlan {
    pub(crate) name: String,
    functions: BTreeSet<String>,
    data: Vec<(u32, u32)>,
}

/// Node ids of the reference graph: functions by index, then data symbols.
struct Graph {
    edges: Vec<Vec<usize>>,
}

impl Graph {
    fn reach(&self, roots: &[usize], blocked: &HashSet<usize>) -> HashSet<usize> {
        let mut seen: HashSet<usize> = HashSet::new();
        let mut stack: Vec<usize> = roots
            .iter()
            .copied()
            .filter(|r| !blocked.contains(r))
            .collect();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            for &m in &self.edges[n] {
                if !seen.contains(&m) && !blocked.contains(&m) {
                    stack.push(m);
                }
            }
        }
        seen
    }
}

/// Function names by index, demangled (so the linker's and wasm-bindgen's names compare).
fn function_names(wasm: &[u8]) -> Result<HashMap<u32, String>> {
    let mut out = HashMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CustomSection(c) = payload? {
            if let KnownCustom::Name(reader) = c.as_known() {
                for sub in reader {
                    if let Name::Function(map) = sub? {
                        for n in map {
                            let n = n?;
                            // wasm-bindgen writes demangled names; the linker mangled ones.
                            out.insert(n.index, rustc_demangle::demangle(n.name).to_string());
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Reads the relocations of the linked wasm (`raw`, built with `--emit-relocs`) and decides
/// what moves to each chunk.
/// Plans the chunks of `raw` (a build with relocations); `linked` names the chunks the main
/// core also holds (see [`split`]).
pub(crate) fn plan(raw: &[u8], linked: &[String]) -> Result<Vec<ChunkPlan>> {
    let mut func_imports = 0u32;
    let mut bodies: Vec<(usize, usize)> = Vec::new();
    let mut code_start = None;
    let mut data_start = None;
    // Segment address and the absolute byte range of its bytes in `raw`.
    let mut segments: Vec<(u32, usize, usize)> = Vec::new();
    let mut exports: Vec<(String, u32)> = Vec::new();
    let mut start = None;
    // (symbol index → node) filled from the symbol table.
    let mut symbols: Vec<Option<SymbolRef>> = Vec::new();
    let mut data_syms: Vec<(u32, u32, u32)> = Vec::new(); // segment, offset, size
    let mut data_syms_names: Vec<String> = Vec::new();
    let mut init_funcs: Vec<u32> = Vec::new();
    let mut relocs: Vec<(String, Vec<wasmparser::RelocationEntry>)> = Vec::new();
    for payload in Parser::new(0).parse_all(raw) {
        match payload? {
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    if let TypeRef::Func(_) = import?.ty {
                        func_imports += 1;
                    }
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e?;
                    if e.kind == ExternalKind::Func {
                        exports.push((e.name.to_string(), e.index));
                    }
                }
            }
            Payload::StartSection { func, .. } => start = Some(func),
            Payload::CodeSectionStart { range, .. } => code_start = Some(range.start),
            Payload::CodeSectionEntry(body) => {
                let r = body.range();
                bodies.push((r.start, r.end));
            }
            Payload::DataSection(r) => {
                data_start = Some(r.range().start);
                for d in r {
                    let d = d?;
                    let DataKind::Active { offset_expr, .. } = d.kind else {
                        bail!("a passive data segment: the splitter handles active ones only");
                    };
                    let addr = const_i32(&offset_expr)?;
                    let end = d.range.end;
                    segments.push((addr, end - d.data.len(), end));
                }
            }
            Payload::CustomSection(c) => match c.as_known() {
                KnownCustom::Linking(reader) => {
                    for sub in reader.subsections() {
                        match sub? {
                            Linking::SymbolTable(map) => {
                                for sym in map {
                                    symbols.push(match sym? {
                                        SymbolInfo::Func { index, .. } => {
                                            Some(SymbolRef::Func(index))
                                        }
                                        SymbolInfo::Data {
                                            symbol: Some(d),
                                            name,
                                            ..
                                        } => {
                                            data_syms.push((d.index, d.offset, d.size));
                                            data_syms_names.push(name.to_string());
                                            Some(SymbolRef::Data(data_syms.len() - 1))
                                        }
                                        _ => None,
                                    });
                                }
                            }
                            Linking::InitFuncs(map) => {
                                for f in map {
                                    init_funcs.push(f?.symbol_index);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                KnownCustom::Reloc(reader) => {
                    let entries: Result<Vec<_>, _> = reader.entries().into_iter().collect();
                    relocs.push((c.name().to_string(), entries?));
                }
                _ => {}
            },
            _ => {}
        }
    }
    ensure!(
        !symbols.is_empty() && !relocs.is_empty(),
        "the wasm has no relocations: it must be linked with --emit-relocs"
    );
    let code_start = code_start.context("no code section")?;
    let n_funcs = func_imports as usize + bodies.len();
    let n = n_funcs + data_syms.len();
    let mut graph = Graph {
        edges: vec![Vec::new(); n + 1],
    };
    // The last node stands for references from data outside any symbol: they keep what they
    // reference in the core.
    let unknown = n;
    let node_of = |s: u32| -> Option<usize> {
        match symbols.get(s as usize).copied().flatten()? {
            SymbolRef::Func(i) if i >= func_imports => Some(i as usize),
            SymbolRef::Func(_) => None,
            SymbolRef::Data(d) => Some(n_funcs + d),
        }
    };
    let data_addr = |d: usize| -> Option<(u32, u32)> {
        let (seg, off, size) = data_syms[d];
        let (addr, _, _) = *segments.get(seg as usize)?;
        Some((addr + off, addr + off + size))
    };
    for (name, entries) in &relocs {
        let (base, is_code) = match name.as_str() {
            "reloc.CODE" => (code_start, true),
            "reloc.DATA" => (data_start.context("data relocations without data")?, false),
            _ => continue,
        };
        for e in entries {
            // A type index, not a symbol: nothing to follow.
            if e.ty == wasmparser::RelocationType::TypeIndexLeb {
                continue;
            }
            let Some(dst) = node_of(e.index) else {
                continue;
            };
            let pos = base + e.offset as usize;
            let srcs: Vec<usize> = if is_code {
                let i = bodies.partition_point(|&(_, end)| end <= pos);
                ensure!(
                    bodies.get(i).is_some_and(|&(s, _)| s <= pos),
                    "a code relocation outside every function"
                );
                vec![func_imports as usize + i]
            } else {
                let seg = segments
                    .iter()
                    .position(|&(_, s, e)| s <= pos && pos < e)
                    .context("a data relocation outside every segment")?;
                let off = (pos - segments[seg].1) as u32;
                let holders: Vec<usize> = data_syms
                    .iter()
                    .enumerate()
                    .filter(|(_, &(s, o, size))| s as usize == seg && o <= off && off < o + size)
                    .map(|(d, _)| n_funcs + d)
                    .collect();
                if holders.is_empty() {
                    vec![unknown]
                } else {
                    holders
                }
            };
            for s in srcs {
                graph.edges[s].push(dst);
            }
        }
    }
    // Aliases (two symbols over the same bytes) reach each other: one is all of them.
    let mut by_range: HashMap<(u32, u32, u32), Vec<usize>> = HashMap::new();
    for (d, &r) in data_syms.iter().enumerate() {
        by_range.entry(r).or_default().push(n_funcs + d);
    }
    for group in by_range.values().filter(|g| g.len() > 1) {
        for &a in group {
            for &b in group {
                if a != b {
                    graph.edges[a].push(b);
                }
            }
        }
    }

    let names = function_names(raw)?;
    let mut entries: Vec<(String, usize)> = Vec::new();
    let mut core_roots: Vec<usize> = vec![unknown];
    for (name, index) in &exports {
        match name.strip_prefix(ENTRY_PREFIX) {
            Some(chunk) => entries.push((chunk.to_string(), *index as usize)),
            None => core_roots.push(*index as usize),
        }
    }
    core_roots.extend(start.map(|s| s as usize));
    core_roots.extend(init_funcs.iter().filter_map(|&s| node_of(s)));
    // A function whose name is not unique cannot be found again after wasm-bindgen: it stays.
    let mut seen_names: HashMap<&str, usize> = HashMap::new();
    for name in names.values() {
        *seen_names.entry(name.as_str()).or_default() += 1;
    }
    for (&i, name) in &names {
        if seen_names[name.as_str()] > 1 {
            core_roots.push(i as usize);
        }
    }
    let core = graph.reach(&core_roots, &HashSet::new());
    if std::env::var_os("CK_SPLIT_DEBUG").is_some() {
        explain(&graph, &core_roots, &names, n_funcs, &data_syms_names);
    }
    let reached: Vec<HashSet<usize>> = entries
        .iter()
        .map(|(_, e)| graph.reach(&[*e], &core))
        .collect();
    let is_linked: Vec<bool> = entries.iter().map(|(c, _)| linked.contains(c)).collect();
    let mut plans = Vec::new();
    for (i, (chunk, _)) in entries.iter().enumerate() {
        let mut p = ChunkPlan {
            name: chunk.clone(),
            ..ChunkPlan::default()
        };
        for &node in &reached[i] {
            // Reached from another entry too: shared. Shared with a linked chunk it stays in
            // the cores (the linked core has it anyway; what it reaches is shared as well, so
            // the cores stay closed); shared by chunks that are not linked only, each of them
            // gets a copy, so neither core carries code only those chunks run. Measured
            // (docs/size.md "Lazy chunks"): the form page's core −1,107 B, the bare core
            // −1,688 B, each other chunk +0.8 to +1.4 KB.
            let mut sharers = reached
                .iter()
                .enumerate()
                .filter(|(j, r)| *j != i && r.contains(&node))
                .map(|(j, _)| j)
                .peekable();
            if sharers.peek().is_some() && (is_linked[i] || sharers.any(|j| is_linked[j])) {
                continue;
            }
            if node < n_funcs {
                let name = names
                    .get(&(node as u32))
                    .with_context(|| format!("function {node} has no name"))?;
                p.functions.insert(name.clone());
            } else if node < n {
                let (s, e) = data_addr(node - n_funcs).context("data symbol segment")?;
                if e > s {
                    p.data.push((s, e));
                }
            }
        }
        p.data = merge_ranges(std::mem::take(&mut p.data));
        plans.push(p);
    }
    Ok(plans)
}

/// Debug aid (`CK_SPLIT_DEBUG=1`): the path from a core root to each widget function kept in
/// the core.
fn explain(
    graph: &Graph,
    roots: &[usize],
    names: &HashMap<u32, String>,
    n_funcs: usize,
    data: &[String],
) {
    let mut parent: HashMap<usize, usize> = HashMap::new();
    let mut stack: Vec<usize> = roots.to_vec();
    for r in roots {
        parent.insert(*r, usize::MAX);
    }
    while let Some(n) = stack.pop() {
        for &m in &graph.edges[n] {
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(m) {
                e.insert(n);
                stack.push(m);
            }
        }
    }
    let label = |n: usize| -> String {
        if n < n_funcs {
            names
                .get(&(n as u32))
                .cloned()
                .unwrap_or_else(|| format!("f{n}"))
        } else {
            data.get(n - n_funcs)
                .cloned()
                .unwrap_or_else(|| "unknown data".into())
        }
    };
    let mut shown = 0;
    for (&i, name) in names {
        if (name.contains("ck_form") || name.contains("ck_announcement"))
            && parent.contains_key(&(i as usize))
            && shown < 8
        {
            shown += 1;
            let mut chain = vec![label(i as usize)];
            let mut n = i as usize;
            while let Some(&p) = parent.get(&n) {
                if p == usize::MAX {
                    break;
                }
                chain.push(label(p));
                n = p;
            }
            eprintln!("split: in the core: {}", chain.join("  <-  "));
        }
    }
}

#[derive(Clone, Copy)]
enum SymbolRef {
    Func(u32),
    Data(usize),
}

fn merge_ranges(mut r: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    r.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (s, e) in r {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn const_i32(expr: &wasmparser::ConstExpr<'_>) -> Result<u32> {
    match expr.get_operators_reader().read()? {
        Operator::I32Const { value } => Ok(value as u32),
        other => bail!("unexpected constant expression {other:?}"),
    }
}

/// Strips the linking and relocation sections (what wasm-bindgen should see).
pub(crate) fn strip_relocs(raw: &[u8]) -> Result<Vec<u8>> {
    let mut out = raw[..8].to_vec();
    for payload in Parser::new(0).parse_all(raw) {
        let payload = payload?;
        if let Some((id, range)) = payload.as_section() {
            if let Payload::CustomSection(c) = &payload {
                if c.name() == "linking" || c.name().starts_with("reloc.") {
                    continue;
                }
            }
            out.push(id);
            crate::shrink::write_leb(&mut out, (range.end - range.start) as u32);
            out.extend_from_slice(&raw[range]);
        }
    }
    Ok(out)
}

/// The parsed parts of wasm-bindgen's output the split needs.
struct Module<'a> {
    wasm: &'a [u8],
    func_imports: Vec<(String, String, u32)>,
    /// Type index of each defined function.
    func_types: Vec<u32>,
    bodies: Vec<wasmparser::FunctionBody<'a>>,
    globals: Vec<wasmparser::GlobalType>,
    memory: wasmparser::MemoryType,
    table: wasmparser::TableType,
    /// (slot, function) of every active element.
    slots: Vec<(u32, u32)>,
    /// (address, bytes) of each active data segment.
    data: Vec<(u32, &'a [u8])>,
    type_section: Option<(u8, std::ops::Range<usize>)>,
    exports: Vec<(String, ExternalKind, u32)>,
}

fn parse(wasm: &[u8]) -> Result<Module<'_>> {
    let mut m = Module {
        wasm,
        func_imports: Vec::new(),
        func_types: Vec::new(),
        bodies: Vec::new(),
        globals: Vec::new(),
        memory: wasmparser::MemoryType {
            memory64: false,
            shared: false,
            initial: 0,
            maximum: None,
            page_size_log2: None,
        },
        table: wasmparser::TableType {
            element_type: wasmparser::RefType::FUNCREF,
            table64: false,
            initial: 0,
            maximum: None,
            shared: false,
        },
        slots: Vec::new(),
        data: Vec::new(),
        type_section: None,
        exports: Vec::new(),
    };
    let (mut memories, mut tables) = (0, 0);
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        match &payload {
            Payload::TypeSection(_) => {
                m.type_section = payload.as_section();
            }
            Payload::ImportSection(r) => {
                for import in r.clone().into_imports() {
                    let import = import?;
                    match import.ty {
                        TypeRef::Func(t) => m.func_imports.push((
                            import.module.to_string(),
                            import.name.to_string(),
                            t,
                        )),
                        _ => bail!(
                            "the wasm imports a non-function: the splitter does not expect it"
                        ),
                    }
                }
            }
            Payload::FunctionSection(r) => {
                for t in r.clone() {
                    m.func_types.push(t?);
                }
            }
            Payload::TableSection(r) => {
                for t in r.clone() {
                    m.table = t?.ty;
                    tables += 1;
                }
            }
            Payload::MemorySection(r) => {
                for mem in r.clone() {
                    m.memory = mem?;
                    memories += 1;
                }
            }
            Payload::GlobalSection(r) => {
                for g in r.clone() {
                    m.globals.push(g?.ty);
                }
            }
            Payload::ExportSection(r) => {
                for e in r.clone() {
                    let e = e?;
                    m.exports.push((e.name.to_string(), e.kind, e.index));
                }
            }
            Payload::ElementSection(r) => {
                for el in r.clone() {
                    let el = el?;
                    let ElementKind::Active {
                        table_index,
                        offset_expr,
                    } = el.kind
                    else {
                        bail!("a non-active element segment");
                    };
                    ensure!(table_index.unwrap_or(0) == 0, "elements of a second table");
                    let ElementItems::Functions(funcs) = el.items else {
                        bail!("element expressions: the splitter handles function indices only");
                    };
                    let offset = const_i32(&offset_expr)?;
                    for (i, f) in funcs.into_iter().enumerate() {
                        m.slots.push((offset + i as u32, f?));
                    }
                }
            }
            Payload::DataSection(r) => {
                for d in r.clone() {
                    let d = d?;
                    let DataKind::Active { offset_expr, .. } = d.kind else {
                        bail!("a passive data segment");
                    };
                    m.data.push((const_i32(&offset_expr)?, d.data));
                }
            }
            Payload::DataCountSection { .. } => bail!("a data count section (passive data?)"),
            Payload::CodeSectionEntry(body) => m.bodies.push(body.clone()),
            _ => {}
        }
    }
    ensure!(
        memories == 1 && tables == 1,
        "expected one memory and one table, found {memories} and {tables}"
    );
    Ok(m)
}

/// The functions a body calls (or names with `ref.func`) and the globals it touches.
fn uses(body: &wasmparser::FunctionBody<'_>) -> Result<(Vec<u32>, Vec<u32>)> {
    let (mut funcs, mut globals) = (Vec::new(), Vec::new());
    let mut ops = body.get_operators_reader()?;
    while !ops.eof() {
        match ops.read()? {
            Operator::Call { function_index }
            | Operator::ReturnCall { function_index }
            | Operator::RefFunc { function_index } => funcs.push(function_index),
            Operator::GlobalGet { global_index } | Operator::GlobalSet { global_index } => {
                globals.push(global_index)
            }
            _ => {}
        }
    }
    Ok((funcs, globals))
}

fn i32_consts(body: &wasmparser::FunctionBody<'_>) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    let mut ops = body.get_operators_reader()?;
    while !ops.eof() {
        if let Operator::I32Const { value } = ops.read()? {
            out.push(value as u32);
        }
    }
    Ok(out)
}

struct Remap {
    funcs: HashMap<u32, u32>,
    globals: HashMap<u32, u32>,
}

impl Reencode for Remap {
    type Error = String;

    fn function_index(&mut self, func: u32) -> Result<u32, wasm_encoder::reencode::Error<String>> {
        self.funcs
            .get(&func)
            .copied()
            .ok_or_else(|| wasm_encoder::reencode::Error::UserError(format!("function {func}")))
    }

    fn global_index(&mut self, global: u32) -> Result<u32, wasm_encoder::reencode::Error<String>> {
        self.globals
            .get(&global)
            .copied()
            .ok_or_else(|| wasm_encoder::reencode::Error::UserError(format!("global {global}")))
    }
}

/// Sizes of what the split moved, for the dist log.
pub(crate) struct Moved {
    pub(crate) name: String,
    pub(crate) functions: usize,
    pub(crate) data_bytes: u32,
}

/// A core function a chunk that is not linked calls is copied into the chunk when its body is
/// at most this many bytes (before wasm-opt), and imported from the core otherwise. Small
/// functions are what wasm-opt inlines or drops in the core unless they are exported; large
/// ones stay out of line anyway, and copying them makes every chunk carry them. Measured
/// (`cargo xtask dist`, gzip as served: linked core / announcement / rating / modes chunk):
/// import all 24,051 / 5,603 / 4,977 / 3,949; 60 B: 23,705 / 5,940 / 5,153 / 4,134; 150 B:
/// 23,630 / 6,526 / 5,784 / 4,610; 250 B: 23,510 / 7,152 / 6,452 / 5,162; copy all (and 500 B):
/// 23,467 / 8,112 / 7,418 / 6,313. 250 B: +43 B on a form page for ~1 KB off each chunk.
const COPY_LIMIT: usize = 250;

/// The bare runtime core's file name, next to `bg` (the core with the `linked` chunks).
pub(crate) const BARE_CORE: &str = "core.wasm";

/// Splits `bg` (wasm-bindgen's output, function names from `named`, same indices) by `plans`:
/// writes `{chunk}.wasm` for every plan and [`BARE_CORE`], the runtime without any of them,
/// next to `bg`, and rewrites `bg` as the core with the `linked` chunks kept in. Both cores
/// export what every chunk they do not hold imports, under the same names, so a chunk runs
/// against either; the core with linked chunks also exports each one's entry as `0{name}`.
pub(crate) fn split(
    named: &Path,
    bg: &Path,
    plans: &[ChunkPlan],
    linked: &[String],
) -> Result<Vec<Moved>> {
    let names = function_names(&std::fs::read(named)?)?;
    let bytes = std::fs::read(bg)?;
    let m = parse(&bytes)?;
    let n_imp = m.func_imports.len() as u32;
    let mut index_of: HashMap<&str, Option<u32>> = HashMap::new();
    for (&i, name) in &names {
        index_of
            .entry(name.as_str())
            .and_modify(|e| *e = None)
            .or_insert(Some(i));
    }
    // Function index → the chunks it moves to (a copy in each).
    let mut owner: HashMap<u32, Vec<usize>> = HashMap::new();
    for (c, p) in plans.iter().enumerate() {
        for name in &p.functions {
            // Gone (wasm-bindgen removed it) or ambiguous: nothing to move.
            if let Some(Some(i)) = index_of.get(name.as_str()) {
                if *i >= n_imp {
                    owner.entry(*i).or_default().push(c);
                }
            }
        }
    }
    // Neither the core nor a chunk may call a moved function it does not have: checked, not
    // assumed.
    for (i, body) in m.bodies.iter().enumerate() {
        let f = n_imp + i as u32;
        let (calls, _) = uses(body)?;
        for callee in calls {
            let Some(theirs) = owner.get(&callee) else {
                continue;
            };
            let ok = owner
                .get(&f)
                .is_some_and(|mine| mine.iter().all(|c| theirs.contains(c)));
            ensure!(
                ok,
                "{} calls {} (moved to chunk {}), which it cannot reach",
                names.get(&f).map_or("?", String::as_str),
                names.get(&callee).map_or("?", String::as_str),
                plans[theirs[0]].name
            );
        }
    }
    for (name, kind, index) in &m.exports {
        if *kind == ExternalKind::Func && !name.starts_with(ENTRY_PREFIX) {
            ensure!(
                !owner.contains_key(index),
                "export {name} is a moved function"
            );
        }
    }
    // Data moved: its bytes must be the bytes the relocations described, and no core code may
    // hold an address inside it.
    let moved_data: Vec<(u32, u32, usize)> = plans
        .iter()
        .enumerate()
        .flat_map(|(c, p)| p.data.iter().map(move |&(s, e)| (s, e, c)))
        .collect();
    for (i, body) in m.bodies.iter().enumerate() {
        if owner.contains_key(&(n_imp + i as u32)) {
            continue;
        }
        for k in i32_consts(body)? {
            if let Some((s, e, c)) = moved_data.iter().find(|&&(s, e, _)| s < k && k < e) {
                bail!(
                    "{} holds {k}, inside data [{s}, {e}) moved to chunk {}",
                    names.get(&(n_imp + i as u32)).map_or("?", String::as_str),
                    plans[*c].name
                );
            }
        }
    }

    // What chunks need from the core, with the core's export names.
    let mut core_exports: BTreeMap<(u8, u32), String> = BTreeMap::new();
    let mut next_name = 0usize;
    let mut export_name = |key: (u8, u32), map: &mut BTreeMap<(u8, u32), String>| -> String {
        map.entry(key)
            .or_insert_with(|| {
                next_name += 1;
                (next_name - 1).to_string()
            })
            .clone()
    };
    const FUNC: u8 = 0;
    const TABLE: u8 = 1;
    const MEMORY: u8 = 2;
    const GLOBAL: u8 = 3;
    let table_name = export_name((TABLE, 0), &mut core_exports);
    let memory_name = export_name((MEMORY, 0), &mut core_exports);
    let out_dir = bg.parent().context("bg has a folder")?;
    let mut moved = Vec::new();
    let is_linked: Vec<bool> = plans.iter().map(|p| linked.contains(&p.name)).collect();
    // What each chunk imports from the core (keys of `core_exports`).
    let mut needs: Vec<BTreeSet<(u8, u32)>> = Vec::new();
    for (c, p) in plans.iter().enumerate() {
        let mut need: BTreeSet<(u8, u32)> = [(TABLE, 0), (MEMORY, 0)].into();
        let mine: Vec<u32> = {
            let mut v: Vec<u32> = owner
                .iter()
                .filter(|(_, o)| o.contains(&c))
                .map(|(&f, _)| f)
                .collect();
            v.sort_unstable();
            v
        };
        let entry = m
            .exports
            .iter()
            .find(|(n, k, _)| *k == ExternalKind::Func && n == &format!("{ENTRY_PREFIX}{}", p.name))
            .map(|e| e.2)
            .with_context(|| format!("no export {ENTRY_PREFIX}{}", p.name))?;
        ensure!(
            mine.contains(&entry),
            "the entry of chunk {} did not move (is it reached from the core?)",
            p.name
        );
        let mut core_funcs: BTreeSet<u32> = BTreeSet::new();
        let mut globals: BTreeSet<u32> = BTreeSet::new();
        // A chunk that is not linked takes a copy of each small core function it calls (and of
        // what those call) instead of importing it ([`COPY_LIMIT`]): an exported function
        // cannot be inlined or dropped in the linked core, which is what most pages download.
        // The copies work on the one memory; calls through the table still reach the core's.
        let copy = !is_linked[c];
        let mut body_of: Vec<u32> = mine.clone();
        let mut i = 0;
        while i < body_of.len() {
            let (calls, gs) = uses(&m.bodies[(body_of[i] - n_imp) as usize])?;
            for callee in calls
                .into_iter()
                .filter(|c| *c >= n_imp && !owner.contains_key(c))
            {
                let size = m.bodies[(callee - n_imp) as usize].range().len();
                if !copy || size > COPY_LIMIT {
                    core_funcs.insert(callee);
                } else if !body_of.contains(&callee) {
                    body_of.push(callee);
                }
            }
            globals.extend(gs);
            i += 1;
        }
        let copies: Vec<u32> = {
            let mut v = body_of[mine.len()..].to_vec();
            v.sort_unstable();
            v
        };
        let mut remap = Remap {
            funcs: (0..n_imp).map(|i| (i, i)).collect(),
            globals: HashMap::new(),
        };
        let mut imports = wasm_encoder::ImportSection::new();
        for (module, name, ty) in &m.func_imports {
            imports.import(module, name, wasm_encoder::EntityType::Function(*ty));
        }
        let mut next_func = n_imp;
        for &f in &core_funcs {
            need.insert((FUNC, f));
            let name = export_name((FUNC, f), &mut core_exports);
            let ty = m.func_types[(f - n_imp) as usize];
            imports.import(CORE_MODULE, &name, wasm_encoder::EntityType::Function(ty));
            remap.funcs.insert(f, next_func);
            next_func += 1;
        }
        let conv = |e: wasm_encoder::reencode::Error<String>| anyhow::anyhow!("{e:?}");
        let mut rt = wasm_encoder::reencode::RoundtripReencoder;
        imports.import(
            CORE_MODULE,
            &memory_name,
            rt.memory_type(m.memory)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        );
        imports.import(
            CORE_MODULE,
            &table_name,
            rt.table_type(m.table)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        );
        for (i, &g) in globals.iter().enumerate() {
            need.insert((GLOBAL, g));
            let name = export_name((GLOBAL, g), &mut core_exports);
            let ty = rt
                .global_type(m.globals[g as usize])
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            imports.import(CORE_MODULE, &name, ty);
            remap.globals.insert(g, i as u32);
        }
        let mut functions = wasm_encoder::FunctionSection::new();
        for &f in mine.iter().chain(&copies) {
            remap.funcs.insert(f, next_func);
            next_func += 1;
            functions.function(m.func_types[(f - n_imp) as usize]);
        }
        let mut code = wasm_encoder::CodeSection::new();
        for &f in mine.iter().chain(&copies) {
            remap
                .parse_function_body(&mut code, m.bodies[(f - n_imp) as usize].clone())
                .map_err(conv)?;
        }
        let mut elements = wasm_encoder::ElementSection::new();
        for run in runs(
            m.slots
                .iter()
                .filter(|(_, f)| owner.get(f).is_some_and(|o| o.contains(&c)))
                .copied(),
        ) {
            let funcs: Vec<u32> = run.1.iter().map(|f| remap.funcs[f]).collect();
            elements.active(
                Some(0),
                &wasm_encoder::ConstExpr::i32_const(run.0 as i32),
                wasm_encoder::Elements::Functions(funcs.into()),
            );
        }
        let mut data = wasm_encoder::DataSection::new();
        let mut data_bytes = 0;
        for &(s, e) in &p.data {
            let bytes = memory_bytes(&m.data, s, e)
                .with_context(|| format!("chunk {} data [{s}, {e})", p.name))?;
            data_bytes += e - s;
            data.active(0, &wasm_encoder::ConstExpr::i32_const(s as i32), bytes);
        }
        let mut exports = wasm_encoder::ExportSection::new();
        exports.export(
            CHUNK_ENTRY,
            wasm_encoder::ExportKind::Func,
            remap.funcs[&entry],
        );
        let mut module = wasm_encoder::Module::new();
        let (id, range) = m.type_section.clone().context("no type section")?;
        module.section(&wasm_encoder::RawSection {
            id,
            data: &m.wasm[range],
        });
        module.section(&imports);
        module.section(&functions);
        module.section(&exports);
        if !elements.is_empty() {
            module.section(&elements);
        }
        module.section(&code);
        if !data.is_empty() {
            module.section(&data);
        }
        let chunk = module.finish();
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
            .validate_all(&chunk)
            .with_context(|| format!("chunk {} does not validate", p.name))?;
        std::fs::write(out_dir.join(format!("{}.wasm", p.name)), chunk)?;
        moved.push(Moved {
            name: p.name.clone(),
            functions: mine.len(),
            data_bytes,
        });
        needs.push(need);
    }
    for name in linked {
        ensure!(
            plans.iter().any(|p| &p.name == name),
            "linked chunk {name} is not a chunk"
        );
    }
    // The bare core: every chunk moved out, what any chunk imports exported.
    let bare = write_core(&m, &owner, &moved_data, &core_exports, &[])?;
    // The linked core: a function leaves only when no linked chunk has it, data only for chunks
    // that are not linked; it exports what the other chunks import, and the linked entries.
    let owner_linked: HashMap<u32, Vec<usize>> = owner
        .iter()
        .filter(|(_, o)| o.iter().all(|&c| !is_linked[c]))
        .map(|(&f, o)| (f, o.clone()))
        .collect();
    let data_linked: Vec<(u32, u32, usize)> = moved_data
        .iter()
        .copied()
        .filter(|&(_, _, c)| !is_linked[c])
        .collect();
    let wanted: BTreeSet<(u8, u32)> = needs
        .iter()
        .enumerate()
        .filter(|(c, _)| !is_linked[*c])
        .flat_map(|(_, n)| n.iter().copied())
        .collect();
    let exports_linked: BTreeMap<(u8, u32), String> = core_exports
        .iter()
        .filter(|(k, _)| wanted.contains(k))
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    let full = write_core(&m, &owner_linked, &data_linked, &exports_linked, linked)?;
    for (core, what) in [(&bare, "the bare core"), (&full, "the linked core")] {
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
            .validate_all(core)
            .with_context(|| format!("{what} does not validate"))?;
    }
    std::fs::write(out_dir.join(BARE_CORE), bare)?;
    std::fs::write(bg, full)?;
    Ok(moved)
}

/// Consecutive (slot, function) pairs as (first slot, functions).
fn runs(slots: impl Iterator<Item = (u32, u32)>) -> Vec<(u32, Vec<u32>)> {
    let mut out: Vec<(u32, Vec<u32>)> = Vec::new();
    for (slot, f) in slots {
        match out.last_mut() {
            Some((start, fs)) if *start + fs.len() as u32 == slot => fs.push(f),
            _ => out.push((slot, vec![f])),
        }
    }
    out
}

/// The bytes of memory `[s, e)` as the data segments initialise it (zero where none does).
fn memory_bytes(data: &[(u32, &[u8])], s: u32, e: u32) -> Result<Vec<u8>> {
    let mut out = vec![0u8; (e - s) as usize];
    for &(addr, bytes) in data {
        let end = addr + bytes.len() as u32;
        let (from, to) = (addr.max(s), end.min(e));
        if from < to {
            out[(from - s) as usize..(to - s) as usize]
                .copy_from_slice(&bytes[(from - addr) as usize..(to - addr) as usize]);
        }
    }
    Ok(out)
}

/// The core: moved bodies become `unreachable`, moved slots and data bytes go, the chunk
/// entries are no longer exported (the `linked` ones are, as `0{name}`), and what chunks import
/// is.
fn write_core(
    m: &Module<'_>,
    owner: &HashMap<u32, Vec<usize>>,
    moved_data: &[(u32, u32, usize)],
    core_exports: &BTreeMap<(u8, u32), String>,
    linked: &[String],
) -> Result<Vec<u8>> {
    let n_imp = m.func_imports.len() as u32;
    let mut module = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(m.wasm) {
        let payload = payload?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        match id {
            7 => {
                let mut exports = wasm_encoder::ExportSection::new();
                for (name, kind, index) in &m.exports {
                    if let Some(chunk) = name.strip_prefix(ENTRY_PREFIX) {
                        if linked.iter().any(|l| l == chunk) {
                            exports.export(&format!("0{chunk}"), (*kind).into(), *index);
                        }
                        continue;
                    }
                    exports.export(name, (*kind).into(), *index);
                }
                for (&(kind, index), name) in core_exports {
                    let kind = match kind {
                        0 => wasm_encoder::ExportKind::Func,
                        1 => wasm_encoder::ExportKind::Table,
                        2 => wasm_encoder::ExportKind::Memory,
                        _ => wasm_encoder::ExportKind::Global,
                    };
                    exports.export(name, kind, index);
                }
                module.section(&exports);
            }
            9 => {
                let mut elements = wasm_encoder::ElementSection::new();
                for run in runs(
                    m.slots
                        .iter()
                        .filter(|(_, f)| !owner.contains_key(f))
                        .copied(),
                ) {
                    elements.active(
                        Some(0),
                        &wasm_encoder::ConstExpr::i32_const(run.0 as i32),
                        wasm_encoder::Elements::Functions(run.1.into()),
                    );
                }
                module.section(&elements);
            }
            10 => {
                let mut code = wasm_encoder::CodeSection::new();
                for (i, body) in m.bodies.iter().enumerate() {
                    if owner.contains_key(&(n_imp + i as u32)) {
                        // No locals, `unreachable`, `end`: dead, and wasm-opt removes it.
                        code.raw(&[0, 0x00, 0x0b]);
                    } else {
                        let r = body.range();
                        code.raw(&m.wasm[r]);
                    }
                }
                module.section(&code);
            }
            11 => {
                let mut data = wasm_encoder::DataSection::new();
                let mut cuts: Vec<(u32, u32)> =
                    moved_data.iter().map(|&(s, e, _)| (s, e)).collect();
                cuts.sort_unstable();
                for &(addr, bytes) in &m.data {
                    let mut at = addr;
                    let end = addr + bytes.len() as u32;
                    for &(s, e) in cuts.iter().filter(|&&(s, e)| s < end && e > addr) {
                        if s > at {
                            data.active(
                                0,
                                &wasm_encoder::ConstExpr::i32_const(at as i32),
                                bytes[(at - addr) as usize..(s - addr) as usize]
                                    .iter()
                                    .copied(),
                            );
                        }
                        at = at.max(e);
                    }
                    if at < end {
                        data.active(
                            0,
                            &wasm_encoder::ConstExpr::i32_const(at as i32),
                            bytes[(at - addr) as usize..].iter().copied(),
                        );
                    }
                }
                module.section(&data);
            }
            _ => {
                module.section(&wasm_encoder::RawSection {
                    id,
                    data: &m.wasm[range],
                });
            }
        }
    }
    Ok(module.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_runs_split_on_gaps() {
        assert_eq!(
            merge_ranges(vec![(10, 20), (0, 5), (15, 30), (30, 31)]),
            [(0, 5), (10, 31)]
        );
        assert_eq!(
            runs([(1, 7), (2, 8), (4, 9)].into_iter()),
            [(1, vec![7, 8]), (4, vec![9])]
        );
    }

    #[test]
    fn memory_bytes_fill_gaps_with_zeros() {
        let data: [(u32, &[u8]); 2] = [(10, &[1, 2, 3]), (15, &[4, 5])];
        assert_eq!(memory_bytes(&data, 11, 17).unwrap(), [2, 3, 0, 0, 4, 5]);
    }
}

#[cfg(test)]
mod debug {
    /// `CK_SPLIT_RAW=target/ck-dist/main/raw.wasm CK_SPLIT_DEBUG=1 cargo test -p xtask -- --ignored plan_of`
    #[test]
    #[ignore]
    fn plan_of_a_built_wasm() {
        let Some(path) = std::env::var_os("CK_SPLIT_RAW") else {
            return;
        };
        let plans = super::plan(&std::fs::read(path).unwrap(), &["form".into()]).unwrap();
        for p in plans {
            eprintln!(
                "{}: {} functions, {:?} data",
                p.name,
                p.functions.len(),
                p.data.len()
            );
        }
    }
}
