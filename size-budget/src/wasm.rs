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
    let mut names: HashMap<u32, String> = HashMap::new();
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
            Payload::CustomSection(custom) => {
                if let KnownCustom::Name(reader) = custom.as_known() {
                    for sub in reader {
                        // A malformed name section should not hide the sizes: fall back to indices.
                        let Ok(Name::Function(map)) = sub else {
                            continue;
                        };
                        for naming in map.into_iter().flatten() {
                            names.insert(
                                naming.index,
                                format!("{:#}", rustc_demangle::demangle(naming.name)),
                            );
                        }
                    }
                }
            }
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
    fn falls_back_to_indices_and_honours_n() {
        let top = top_functions(&module(false), 1).unwrap();
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].name, "func[2]");
    }

    #[test]
    fn rejects_non_wasm() {
        assert!(top_functions(b"not wasm at all", 5).is_err());
    }
}
