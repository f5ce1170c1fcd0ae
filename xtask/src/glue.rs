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

/// The replacement: the loader's contract is `default(fetchPromise)` → the wasm exports.
const INIT: &str = "\
async function __wbg_init(response) {
    const imports = __wbg_get_imports();
    response = await response;
    if (!response.ok) throw Error('ck: wasm ' + response.status);
    // A wrong MIME type makes instantiateStreaming reject before it reads the body.
    const { instance } = await WebAssembly.instantiateStreaming(response, imports)
        .catch(() => response.arrayBuffer().then((bytes) => WebAssembly.instantiate(bytes, imports)));
    wasm = instance.exports;
    return wasm;
}
export { __wbg_init as default };
";

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
            .ends_with("export { __wbg_init as default };"));
    }

    #[test]
    fn refuses_a_glue_it_does_not_know() {
        assert!(replace_init("export default 1;").is_err());
        let changed_end = GLUE.replace("export { initSync, __wbg_init as default };", "");
        assert!(replace_init(&changed_end).is_err());
    }
}
