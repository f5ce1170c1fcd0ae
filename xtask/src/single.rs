//! A bench-only shape of the embed: the single-file embed (loader, glue and the wasm inlined as
//! base64 in one classic script), built from the release files of `dist/embed/latest/` into
//! `dist/bench/single/embed/v{version}/loader.js` (+ `.gz`, `.br`), the layout the server serves
//! (`/embed/latest/loader.js`, `max-age=300, stale-while-revalidate=60`). `cargo xtask bench`
//! builds it and `embed-bench` measures it against the wave; it is never part of a release.
//!
//! The same code as the release, rearranged: the glue's ES module becomes a function returning
//! its exports (a classic script cannot `export`), the loader's wave `fetch` of the wasm becomes
//! a `Response` over the decoded bytes (so the glue's `instantiateStreaming` path is unchanged),
//! and its `import()` of the glue a resolved promise of that function's exports.

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use base64::Engine as _;

/// Where the single-file build goes, below the repository root.
pub(crate) const DIR: &str = "dist/bench/single";

/// Builds the single-file embed from `dist/embed/latest/`; returns its dist folder.
pub(crate) fn build(root: &Path) -> Result<PathBuf> {
    let latest = root.join("dist/embed/latest");
    let read = |name: &str| {
        std::fs::read(latest.join(name))
            .with_context(|| format!("{name}: run `cargo xtask dist` first"))
    };
    let loader = String::from_utf8(read("loader.js")?)?;
    let glue = String::from_utf8(read("ck_bindings.js")?)?;
    let wasm = read("ck_bindings_bg.wasm")?;
    let manifest: serde_json::Value = serde_json::from_slice(&read("manifest.json")?)?;
    let version = manifest["version"]
        .as_str()
        .context("manifest.json has no version")?;
    let js = bundle(&loader, &glue, &wasm)?;
    let out = root.join(DIR);
    let folder = out.join("embed").join(format!("v{version}"));
    std::fs::create_dir_all(&folder)?;
    let file = folder.join("loader.js");
    std::fs::write(&file, &js)?;
    std::fs::write(
        folder.join("loader.js.gz"),
        size_budget::gzip(js.as_bytes()),
    )?;
    std::fs::write(
        folder.join("loader.js.br"),
        size_budget::brotli(js.as_bytes()),
    )?;
    // Lazy widget chunks (and their JS) and the bare core stay separate files: the single script
    // fetches them from its own folder as the release loader does.
    for entry in std::fs::read_dir(&latest)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let chunk_js = name.ends_with(".js") && !["loader.js", "ck_bindings.js"].contains(&name);
        if (name.ends_with(".wasm") && name != "ck_bindings_bg.wasm") || chunk_js {
            std::fs::copy(&path, folder.join(name))?;
        }
    }
    let s = size_budget::measure(js.as_bytes());
    println!(
        "single-file embed (bench only): {} — raw {} B, gzip {} B, brotli {} B, gzip -9 {} B",
        file.display(),
        s.raw,
        s.gzip,
        s.brotli,
        s.gzip9
    );
    Ok(out)
}

/// The glue's exports as an object expression: `export{a as default,b as boot}` →
/// `{default:a,boot:b}`; the glue without that statement.
fn module_to_function(glue: &str) -> Result<(String, String)> {
    // `import()` stays: a classic script's dynamic imports resolve against the script's own
    // URL, as the module's did (a lazy chunk's JS, glue.rs `chunk`). `import.meta` has no
    // classic-script meaning.
    ensure!(
        !glue.contains("import.meta"),
        "glue: uses import.meta; cannot inline it"
    );
    let at = glue
        .rfind("export{")
        .context("glue: no export{…} statement")?;
    let close = glue[at..].find('}').context("glue: unclosed export{")? + at;
    let mut object = String::from("{");
    for item in glue[at + "export{".len()..close].split(',') {
        let (local, name) = item.split_once(" as ").unwrap_or((item, item));
        object.push_str(name.trim());
        object.push(':');
        object.push_str(local.trim());
        object.push(',');
    }
    object.pop();
    object.push('}');
    let rest = glue[close + 1..].trim_start_matches(';').trim();
    ensure!(
        rest.is_empty(),
        "glue: code after its export statement: {rest:.40}"
    );
    let body = glue[..at].to_string();
    ensure!(
        !body.contains("export ") && !body.contains("export{"),
        "glue: more than one export statement"
    );
    Ok((body, object))
}

/// Replaces the call `call(…"name")` in `js` (the last call named `call` before the quoted
/// `name`) with `with`.
fn replace_call(js: &str, call: &str, name: &str, with: &str) -> Result<String> {
    let quoted = [format!("\"{name}\")"), format!("'{name}')")];
    let Some((end, len)) = quoted
        .iter()
        .find_map(|q| js.find(q.as_str()).map(|i| (i, q.len())))
    else {
        bail!("loader: no {call}(…{name:?})");
    };
    let start = js[..end]
        .rfind(&format!("{call}("))
        .with_context(|| format!("loader: no {call}( before {name:?}"))?;
    Ok(format!("{}{with}{}", &js[..start], &js[end + len..]))
}

/// One classic script: the glue as a function, the wasm as base64, the loader reading both.
fn bundle(loader: &str, glue: &str, wasm: &[u8]) -> Result<String> {
    let (body, exports) = module_to_function(glue)?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(wasm);
    // The loader's licence comment goes: the bundle has its own.
    let loader = loader.trim();
    let loader = match loader.strip_prefix("/*") {
        Some(rest) => rest.split_once("*/").map_or(rest, |(_, code)| code).trim(),
        None => loader,
    };
    let loader = replace_call(
        loader,
        "fetch",
        "ck_bindings_bg.wasm",
        "Promise.resolve(new Response(Uint8Array.from(atob(__ckW),c=>c.charCodeAt(0)),\
         {headers:{\"content-type\":\"application/wasm\"}}))",
    )?;
    let loader = replace_call(
        &loader,
        "import",
        "ck_bindings.js",
        "Promise.resolve(__ckG)",
    )?;
    Ok(format!(
        "/*! Clickeen single-file embed (bench only) */(()=>{{let __ckW=\"{b64}\",\
         __ckG=(()=>{{{body};return {exports}}})();{loader}}})();\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_glue_becomes_a_function_and_the_loader_reads_it() {
        let glue =
            "let wasm;function a(){}async function b(r){}export{a as boot,b as default,c as cmd};";
        // The release loader's shape: the linked core or the bare one.
        let loader = "/*! x (y) */\n((w)=>{let m=o?fetch(u+\"ck_bindings_bg.wasm\"):fetch(u+\"core.wasm\");import(u+\"ck_bindings.js\").then(g=>g.default(m))})(window);";
        let out = bundle(loader, glue, b"\0asm").unwrap();
        assert!(out.contains("return {boot:a,default:b,cmd:c}"), "{out}");
        assert!(out.contains("Promise.resolve(__ckG).then"), "{out}");
        assert!(
            out.contains("atob(__ckW)") && out.contains("\"AGFzbQ==\""),
            "{out}"
        );
        assert!(
            !out.contains("export") && !out.contains("ck_bindings"),
            "{out}"
        );
        assert!(out.contains("fetch(u+\"core.wasm\")"), "{out}");
    }

    #[test]
    fn refuses_what_it_cannot_inline() {
        assert!(module_to_function("const u=import.meta.url;export{u as default};").is_err());
        assert!(module_to_function("const f=(n)=>import(n);export{f as default};").is_ok());
        assert!(module_to_function("let a;").is_err());
        assert!(replace_call("fetch(x)", "fetch", "ck_bindings_bg.wasm", "y").is_err());
    }
}
