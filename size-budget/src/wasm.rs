use std::collections::HashMap;

use anyhow::{Context, Result};
use wasmparser::{KnownCustom, Name, Parser, Payload, TypeRef};

/// One function body of a wasm and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSize {
    /// Index in the function index space (imports first, as the name section counts).
    pub index: u32,
    /// Demangled name from the name section, or `func[index]` when the wasm has none.
    pub name: String,
    /// Bytes of the body in the code section.
    pub size: u64,
}

/// The `n` largest function bodies of `wasm`, largest first, named from its name section.
///
/// wasm-opt and wasm-bindgen strip names by default, so point this at the wasm cargo built
/// (`cargo xtask dist` keeps a named copy under `dist/sizes/`).
pub fn top_functions(wasm: &[u8], n: usize) -> Result<Vec<FunctionSize>> {
    let mut imported_funcs = 0u32;
    let mut bodies: Vec<(u32, u64)> = Vec::new();
    let mut names = HashMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.context("parsing wasm")? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if matches!(
                        import.context("import section")?.ty,
                        TypeRef::Func(_) | TypeRef::FuncExact(_)
                    ) {
                        imported_funcs += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let index = imported_funcs + bodies.len() as u32;
                bodies.push((index, body.range().len() as u64));
            }
            Payload::CustomSection(custom) => add_names(&custom, &mut names),
            _ => {}
        }
    }
    bodies.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(bodies
        .into_iter()
        .take(n)
        .map(|(index, size)| FunctionSize {
            index,
            name: names
                .remove(&index)
                .unwrap_or_else(|| format!("func[{index}]")),
            size,
        })
        .collect())
}

/// Demangled function names of `wasm`'s name section by function index (imports first), with
/// crate hashes dropped (`wasm_bindgen::convert::closures::_::invoke::<…>`). Empty when the wasm
/// has no names.
pub fn function_names(wasm: &[u8]) -> Result<HashMap<u32, String>> {
    let mut names = HashMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CustomSection(custom) = payload.context("parsing wasm")? {
            add_names(&custom, &mut names);
        }
    }
    Ok(names)
}

fn add_names(custom: &wasmparser::CustomSectionReader<'_>, names: &mut HashMap<u32, String>) {
    if let KnownCustom::Name(reader) = custom.as_known() {
        for sub in reader {
            // A malformed name section should not hide the sizes: fall back to indices.
            let Ok(Name::Function(map)) = sub else {
                continue;
            };
            for naming in map.into_iter().flatten() {
                let demangled = format!("{:#}", rustc_demangle::demangle(naming.name));
                names.insert(naming.index, strip_disambiguators(&demangled));
            }
        }
    }
}

/// Drops v0-mangling crate hashes that wasm-bindgen leaves in names: `ck_form[4ea0]::x` → `ck_form::x`.
fn strip_disambiguators(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find('[') {
        let after = &rest[i + 1..];
        let hex_len = after
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(after.len());
        out.push_str(&rest[..i]);
        if hex_len >= 8 && after[hex_len..].starts_with(']') {
            rest = &after[hex_len + 1..];
        } else {
            out.push('[');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The crate a demangled function name belongs to: `<ck_form::view::Form as …>::mount` →
/// `ck_form`, `core::fmt::write` → `core`, `func[12]` → `?`.
pub fn crate_of(name: &str) -> &str {
    let n = name.trim_start_matches(['<', '&', '*', '(']);
    // Inherent and trait impls on primitives (`<str>::find`, `<[T]>::sort`, `<char as …>`).
    if n.starts_with('[')
        || [
            "str", "char", "u8", "u32", "u64", "usize", "i32", "i64", "f64", "bool",
        ]
        .iter()
        .any(|p| n.strip_prefix(p).is_some_and(|r| r.starts_with(['>', ' '])))
    {
        return "core";
    }
    let n = n
        .strip_prefix("dyn ")
        .or_else(|| n.strip_prefix("mut "))
        .or_else(|| n.strip_prefix("const "))
        .unwrap_or(n)
        .trim_start_matches(['<', '&']);
    match n.find("::") {
        Some(i) if !n[..i].contains([' ', '<', '[']) && !n[..i].is_empty() => &n[..i],
        _ => "?",
    }
}

/// Bytes of code per crate, largest first, from every function of `wasm`.
pub fn by_crate(wasm: &[u8]) -> Result<Vec<(String, u64, usize)>> {
    let mut totals: HashMap<String, (u64, usize)> = HashMap::new();
    for f in top_functions(wasm, usize::MAX)? {
        let e = totals.entry(crate_of(&f.name).to_string()).or_default();
        e.0 += f.size;
        e.1 += 1;
    }
    let mut v: Vec<(String, u64, usize)> =
        totals.into_iter().map(|(k, (b, n))| (k, b, n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(v)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn section(id: u8, content: &[u8]) -> Vec<u8> {
        assert!(content.len() < 128, "test encoder only does 1-byte LEBs");
        let mut s = vec![id, content.len() as u8];
        s.extend_from_slice(content);
        s
    }

    fn name(s: &str) -> Vec<u8> {
        let mut v = vec![s.len() as u8];
        v.extend_from_slice(s.as_bytes());
        v
    }

    /// A module with one imported function and two bodies of 2 and 12 bytes, optionally named.
    pub(crate) fn module(with_names: bool) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend(section(1, &[1, 0x60, 0, 0]));
        let mut imp = vec![1];
        imp.extend(name("env"));
        imp.extend(name("f"));
        imp.extend([0, 0]);
        m.extend(section(2, &imp));
        m.extend(section(3, &[2, 0, 0]));
        let mut code = vec![2, 2, 0, 0x0b, 12, 0];
        code.extend([0x01; 10]);
        code.push(0x0b);
        m.extend(section(10, &code));
        if with_names {
            let mut map = vec![3];
            for (i, n) in [
                (0u8, "env_f"),
                (1, "small"),
                (2, "_ZN3foo3big17h0123456789abcdefE"),
            ] {
                map.push(i);
                map.extend(name(n));
            }
            let mut sub = vec![1, map.len() as u8];
            sub.extend(map);
            let mut custom = name("name");
            custom.extend(sub);
            m.extend(section(0, &custom));
        }
        m
    }

    #[test]
    fn ranks_bodies_and_demangles_names() {
        let top = top_functions(&module(true), 10).unwrap();
        assert_eq!(
            top,
            vec![
                FunctionSize {
                    index: 2,
                    name: "foo::big".into(),
                    size: 12
                },
                FunctionSize {
                    index: 1,
                    name: "small".into(),
                    size: 2
                },
            ]
        );
    }

    #[test]
    fn maps_function_indices_to_demangled_names() {
        let names = function_names(&module(true)).unwrap();
        assert_eq!(names.get(&2).map(String::as_str), Some("foo::big"));
        assert_eq!(names.get(&1).map(String::as_str), Some("small"));
        assert!(function_names(&module(false)).unwrap().is_empty());
    }

    #[test]
    fn falls_back_to_indices_and_honours_n() {
        let top = top_functions(&module(false), 1).unwrap();
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].name, "func[2]");
    }

    #[test]
    fn strips_crate_hashes_only() {
        assert_eq!(
            strip_disambiguators("<ck_form[4ea060867d2d5f3]::view::State>::submit"),
            "<ck_form::view::State>::submit"
        );
        assert_eq!(strip_disambiguators("<[&str; 6]>::map"), "<[&str; 6]>::map");
        assert_eq!(strip_disambiguators("a[]b[xyz]"), "a[]b[xyz]");
        assert_eq!(strip_disambiguators("<[f64]>::sort"), "<[f64]>::sort");
    }

    #[test]
    fn attributes_functions_to_crates() {
        assert_eq!(
            crate_of("<ck_form::view::Form as ck_runtime::widget::Widget>::mount"),
            "ck_form"
        );
        assert_eq!(crate_of("core::fmt::write"), "core");
        assert_eq!(
            crate_of("<&mut alloc::vec::Vec<u8> as core::fmt::Write>::write_str"),
            "alloc"
        );
        assert_eq!(crate_of("<dyn core::any::Any>::type_id"), "core");
        assert_eq!(crate_of("func[12]"), "?");
        assert_eq!(crate_of("<str>::find::<char>"), "core");
        assert_eq!(crate_of("<[&str; 6]>::try_map"), "core");
        assert_eq!(
            crate_of("<char as core::str::pattern::Pattern>::into_searcher"),
            "core"
        );
        assert_eq!(crate_of("memcpy"), "?");
        let totals = by_crate(&module(true)).unwrap();
        assert_eq!(
            totals,
            vec![("foo".to_string(), 12, 1), ("?".to_string(), 2, 1)]
        );
    }

    #[test]
    fn rejects_non_wasm() {
        assert!(top_functions(b"not wasm at all", 5).is_err());
    }
}
