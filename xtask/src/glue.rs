//! Replaces wasm-bindgen's instantiation code at the end of the glue with a shorter one.
//!
//! wasm-bindgen's `--target web` glue ends with `__wbg_finalize_init`, `__wbg_load`, `initSync`,
//! `__wbg_init` and `__wbg_init_once`: argument shapes the loader never passes (a module, a
//! path, deprecated positional forms, each with a console warning text), a synchronous
//! `initSync`, and a long MIME warning. The loader calls `default(response)` once, with the
//! promise of the wasm `fetch` it started in its first wave, in parallel with the `import()` of
//! this glue (bindings/js/loader.js). So what init needs is: await that response,
//! `instantiateStreaming` (compiling while the rest of the body arrives), and fall back to
//! `arrayBuffer()` + `instantiate` when the server sends a wrong MIME type. Measured: −544 B
//! gzip on the glue (before the wave; taking the response saves the URL code too).
//!
//! The cut is made only when the glue ends exactly as this wasm-bindgen version writes it, so
//! an upgrade that changes it fails the build loudly instead of shipping half a glue.

use anyhow::{ensure, Context, Result};

/// The first line wasm-bindgen's instantiation code starts with.
const INIT_START: &str = "function __wbg_finalize_init(";
/// The last line of wasm-bindgen's glue.
const GLUE_END: &str = "export { initSync, __wbg_init as default };";

/// The replacement: the loader's contract is `default(fetchPromise)` → the wasm exports, and
/// `chunk(name, load)` for each lazy chunk (split.rs): when the core has the chunk linked in, its
/// entry is the core's export `0{name}`, called at once; otherwise `load(name)`'s response is
/// instantiated with the glue's imports plus the core's exports as module `$` (memory, function
/// table, stack pointer, shared functions), then its entry `e` registers its widgets with the
/// runtime.
const INIT: &str = "\
let imports;
const instantiate = async (response, i) => {
    response = await response;
    if (!response.ok) throw Error('ck: wasm ' + response.status);
    // A wrong MIME type makes instantiateStreaming reject before it reads the body.
    const { instance } = await WebAssembly.instantiateStreaming(response, i)
        .catch(() => response.arrayBuffer().then((bytes) => WebAssembly.instantiate(bytes, i)));
    return instance.exports;
};
async function __wbg_init(response) {
    imports = __wbg_get_imports();
    wasm = await instantiate(response, imports);
    return wasm;
}
const lazyJs = {};
async function chunk(name, load) {
    const linked = wasm['0' + name];
    // Not in the caller's task: the runtime asks from inside its state (boot.rs mount_element).
    await 0;
    if (linked) return linked();
    // A chunk's own JS (its crate's snippets, `lazy_snippets`) is `{name}.js`, fetched beside
    // its wasm and in place before its entry runs. A variable URL: esbuild would bundle every
    // `./*.js` for `import('./' + name + '.js')`.
    const own = './' + name + '.js';
    const [exports] = await Promise.all([
        instantiate(load(name), { ...imports, $: wasm }),
        lazyJs[name]?.(import(own)),
    ]);
    exports.e();
}
export { __wbg_init as default, chunk };
";

/// Where [`lazy_snippets`] lists the chunks with JS of their own.
const LAZY_JS: &str = "const lazyJs = {};";

/// Moves each lazy chunk's wasm-bindgen snippet out of the glue. wasm-bindgen imports every
/// `module = "/js/…"` file of every crate statically at the top of the glue, and esbuild then
/// bundles it in, so every page would download the popup's JS. For chunk `c` (crate `ck-{c}`),
/// the static `import { a, b as b1 } from './snippets/ck-{c}-{hash}/…'` becomes `let a, b1;`,
/// filled by `chunk(c)` from `./{c}.js` before the chunk's entry runs. Returns the new glue and,
/// per chunk with a snippet, the snippet's path (relative to the glue) to ship as `{c}.js`.
pub(crate) fn lazy_snippets(
    js: &str,
    chunks: &[String],
) -> Result<(String, Vec<(String, String)>)> {
    let mut out = String::with_capacity(js.len());
    let mut lazy: Vec<(String, String, String)> = Vec::new();
    for line in js.split_inclusive('\n') {
        let chunk = chunks.iter().find(|c| {
            line.starts_with("import {") && line.contains(&format!("from './snippets/ck-{c}-"))
        });
        let Some(chunk) = chunk else {
            out.push_str(line);
            continue;
        };
        let (names, path) = line
            .trim_end()
            .strip_prefix("import {")
            .and_then(|l| l.split_once("} from '"))
            .and_then(|(names, rest)| Some((names, rest.strip_suffix("';")?)))
            .with_context(|| format!("glue: an import line of another shape: {line:?}"))?;
        ensure!(
            !lazy.iter().any(|(c, _, _)| c == chunk),
            "glue: chunk {chunk} has two snippet files (one per chunk is supported)"
        );
        let mut declared = Vec::new();
        let mut pattern = Vec::new();
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name.split_once(" as ") {
                Some((from, to)) => {
                    declared.push(to.trim());
                    pattern.push(format!("{}: {}", from.trim(), to.trim()));
                }
                None => {
                    declared.push(name);
                    pattern.push(name.to_string());
                }
            }
        }
        out.push_str(&format!("let {};\n", declared.join(", ")));
        lazy.push((chunk.clone(), path.to_string(), pattern.join(", ")));
    }
    if lazy.is_empty() {
        return Ok((out, Vec::new()));
    }
    ensure!(
        out.matches(LAZY_JS).count() == 1,
        "glue: no {LAZY_JS:?} (is the init replaced?)"
    );
    let table: Vec<String> = lazy
        .iter()
        .map(|(c, _, p)| format!("{c}: async (m) => ({{ {p} }} = await m)"))
        .collect();
    let out = out.replace(
        LAZY_JS,
        &format!("const lazyJs = {{ {} }};", table.join(", ")),
    );
    Ok((
        out,
        lazy.into_iter().map(|(c, path, _)| (c, path)).collect(),
    ))
}

/// The glue with its instantiation code replaced by [`INIT`].
pub(crate) fn replace_init(js: &str) -> Result<String> {
    let start = js
        .find(INIT_START)
        .context("glue: no __wbg_finalize_init (did wasm-bindgen change its output?)")?;
    ensure!(
        js.trim_end().ends_with(GLUE_END),
        "glue: does not end with {GLUE_END:?} (did wasm-bindgen change its output?)"
    );
    ensure!(
        js[..start].contains("function __wbg_get_imports(") && js[..start].contains("let wasm"),
        "glue: __wbg_get_imports or the wasm binding is missing before the init code"
    );
    let mut out = String::with_capacity(start + INIT.len());
    out.push_str(&js[..start]);
    out.push_str(INIT);
    Ok(out)
}

/// Parts of wasm-bindgen's glue that the embed's browsers never run, each cut by an exact match
/// (`from` must occur exactly once wherever its marker, the middle field, occurs, or the build
/// fails: a wasm-bindgen upgrade that rewrites one is noticed, not shipped half-cut; a glue
/// without the marker, e.g. one with no closures, has nothing to cut). The embed needs `WebAssembly.instantiateStreaming` (the
/// init above calls it; a browser without it reports through the loader's `fail`), so its
/// browsers are Chrome/Edge 84+, Firefox 79+ and Safari 15+, which all have
/// `TextEncoder.encodeInto` and `FinalizationRegistry`. Measured in docs/size.md.
const TRIMS: [(&str, &str, &str, &str); 5] = [
    (
        // Every call passes `realloc` (checked in `trim`), so the `encode` branch never runs.
        "passStringToWasm0's encode branch",
        "realloc === undefined",
        "    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }
",
        "",
    ),
    (
        // A grown memory always has a new buffer: comparing it covers the detached case too.
        "the DataView's detached checks",
        "cachedDataViewMemory0",
        "cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)",
        "cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer !== wasm.memory.buffer",
    ),
    (
        // Safari's TextDecoder fails after 2 GB decoded; the embed decodes kilobytes per mount.
        "the Safari 2 GB decoder reset",
        "function decodeText(",
        "const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
    numBytesDecoded += bytes.length;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
        cachedTextDecoder.decode();
        numBytesDecoded = bytes.length;
    }
    return cachedTextDecoder.decode(bytes);
}",
        "function decodeText(bytes) {
    return cachedTextDecoder.decode(bytes);
}",
    ),
    (
        "the encodeInto polyfill",
        "'encodeInto' in",
        "if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}
",
        "",
    ),
    (
        "the FinalizationRegistry fallback",
        "FinalizationRegistry",
        "const CLOSURE_DTORS = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(",
        "const CLOSURE_DTORS = new FinalizationRegistry(",
    ),
];

/// The glue without [`TRIMS`].
pub(crate) fn trim(js: &str) -> Result<String> {
    let calls = js.matches("passStringToWasm0(").count();
    let with_realloc = js
        .matches(", wasm.__wbindgen_malloc, wasm.__wbindgen_realloc)")
        .count();
    // The definition is one match; every other is a call that passes `realloc`.
    ensure!(
        calls == with_realloc + 1 || !js.contains("function passStringToWasm0("),
        "glue: a passStringToWasm0 call without realloc (did wasm-bindgen change its output?)"
    );
    let mut out = js.to_owned();
    for (what, marker, from, to) in TRIMS {
        if !out.contains(marker) {
            continue;
        }
        ensure!(
            out.matches(from).count() == 1,
            "glue: {what} not found exactly once (did wasm-bindgen change its output?)"
        );
        out = out.replace(from, to);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLUE: &str =
        "let wasmModule, wasmInstance, wasm;\nfunction __wbg_get_imports() { return {}; }\n\
function __wbg_finalize_init(instance, module) { wasm = instance.exports; return wasm; }\n\
function initSync(module) {}\nasync function __wbg_init(p) {}\n\
export { initSync, __wbg_init as default };\n";

    #[test]
    fn replaces_everything_from_finalize_init() {
        let out = replace_init(GLUE).unwrap();
        assert!(out.starts_with("let wasmModule, wasmInstance, wasm;"));
        assert!(!out.contains("initSync") && !out.contains("__wbg_finalize_init"));
        assert!(out.contains("instantiateStreaming") && out.contains("arrayBuffer()"));
        assert!(out
            .trim_end()
            .ends_with("export { __wbg_init as default, chunk };"));
    }

    #[test]
    fn chunk_init_matches_the_splitter() {
        // The core's exports reach a chunk as module `$`; its entry is `e` (split.rs).
        assert!(INIT.contains(&format!("{}: wasm", crate::split::CORE_MODULE)));
        assert!(INIT.contains(&format!(".{}();", crate::split::CHUNK_ENTRY)));
    }

    #[test]
    fn refuses_a_glue_it_does_not_know() {
        assert!(replace_init("export default 1;").is_err());
        let changed_end = GLUE.replace("export { initSync, __wbg_init as default };", "");
        assert!(replace_init(&changed_end).is_err());
    }

    #[test]
    fn trims_each_part_once_and_refuses_a_glue_without_them() {
        let mut glue = String::from("function passStringToWasm0(arg, malloc, realloc) {\n");
        for (_, _, from, _) in TRIMS {
            glue.push_str(from);
            glue.push('\n');
        }
        glue.push_str(
            "f(passStringToWasm0(s, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc));\n",
        );
        let out = trim(&glue).unwrap();
        for (_, _, from, to) in TRIMS {
            assert!(!out.contains(from) && out.contains(to));
        }
        // Nothing to cut is fine.
        assert_eq!(trim("let wasm;").unwrap(), "let wasm;");
        assert!(trim(&glue.replace("numBytesDecoded", "n")).is_err());
        let no_realloc = glue.replace(", wasm.__wbindgen_realloc)", ")");
        assert!(trim(&no_realloc).is_err());
    }
}
