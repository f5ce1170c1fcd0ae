//! The icon pipeline: a directory of SVG files in, one Rust `const` per icon out.
//!
//! Used by `icons/build.rs` (the `ck-icons` constants), by the `icons-bench` binary and by tools.
//! Every file is parsed with a real XML parser, checked for unsafe
//! content, then flattened to the `Icon`/`Node` shape: leaf shapes only, inherited presentation attributes
//! pushed down, colours replaced by `currentColor`, numbers and path data minified.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

/// Settings of a pipeline run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Decimal places kept in coordinates. 3 is invisible at any icon size and saves many bytes.
    pub precision: u8,
    /// Which variant of an SF Symbols template export (`<g id="Symbols">`) becomes the icon.
    pub sf_variant: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            precision: 3,
            sf_variant: "Regular-M",
        }
    }
}

/// One normalised icon, ready for code generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IconData {
    /// Runtime name: the file stem (`arrow-right`, `arrow.up.circle.fill`).
    pub name: String,
    /// Rust constant name: SCREAMING_SNAKE of the stem (`ARROW_RIGHT`, `ARROW_UP_CIRCLE_FILL`).
    pub const_name: String,
    /// The `viewBox`, normalised (`0 0 24 24`).
    pub view_box: String,
    /// Leaf shapes in paint order.
    pub nodes: Vec<NodeData>,
}

/// One shape element of an icon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeData {
    /// Element name (`path`, `circle`, …).
    pub tag: String,
    /// Attributes in a stable order: geometry first, then paint.
    pub attrs: Vec<(String, String)>,
}

/// A rejected file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The file at fault.
    pub file: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

impl std::error::Error for Error {}

/// Every rejected file of a run, so one build reports all of them at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} icon file(s) rejected:", self.0.len())?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

// ---------------------------------------------------------------------------------------------------------
// Directory level
// ---------------------------------------------------------------------------------------------------------

/// The `.svg` files directly in `dir`, sorted by name.
pub fn svg_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error {
        file: dir.to_path_buf(),
        message: format!("cannot read icon directory: {e}"),
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| Error {
                file: dir.to_path_buf(),
                message: e.to_string(),
            })?
            .path();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
            && path.is_file()
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Loads and normalises every `.svg` in each directory. Later directories override icons of the same name
/// from earlier ones (a user's `check.svg` replaces the default one). Returns icons sorted by name, or every
/// problem found.
pub fn load_dirs(dirs: &[&Path], options: Options) -> Result<Vec<IconData>, Errors> {
    let mut icons: BTreeMap<String, (IconData, PathBuf)> = BTreeMap::new();
    let mut errors = Vec::new();
    for dir in dirs {
        let files = match svg_files(dir) {
            Ok(files) => files,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut from_this_dir: BTreeMap<String, PathBuf> = BTreeMap::new();
        for (file, loaded) in files.iter().zip(load_files(&files, options)) {
            let file = file.clone();
            match loaded {
                Ok(icon) => {
                    // Two files of one directory mapping to one constant (`a-b.svg`, `a.b.svg`) is ambiguous.
                    if let Some(other) = from_this_dir.insert(icon.const_name.clone(), file.clone())
                    {
                        errors.push(Error {
                            file: file.clone(),
                            message: format!(
                                "constant {} is also produced by {}",
                                icon.const_name,
                                other.display()
                            ),
                        });
                        continue;
                    }
                    icons.insert(icon.const_name.clone(), (icon, file));
                }
                Err(e) => errors.push(e),
            }
        }
    }
    if errors.is_empty() {
        let mut icons: Vec<IconData> = icons.into_values().map(|(icon, _)| icon).collect();
        icons.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(icons)
    } else {
        Err(Errors(errors))
    }
}

/// Loads files on all cores (parsing dominates with thousands of icons), results in input order.
fn load_files(files: &[PathBuf], options: Options) -> Vec<Result<IconData, Error>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(16);
    if threads == 1 || files.len() < 64 {
        return files.iter().map(|f| load_file(f, options)).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|f| load_file(f, options))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Reads and normalises one file; the icon is named after the file stem.
pub fn load_file(file: &Path, options: Options) -> Result<IconData, Error> {
    let fail = |message: String| Error {
        file: file.to_path_buf(),
        message,
    };
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| fail("file name is not UTF-8".into()))?;
    let text = std::fs::read_to_string(file).map_err(|e| fail(format!("cannot read: {e}")))?;
    normalize(stem, &text, options).map_err(fail)
}

/// `arrow.up.circle.fill` → `ARROW_UP_CIRCLE_FILL`; `0.circle` → `ICON_0_CIRCLE`.
pub fn const_name(name: &str) -> Result<String, String> {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' => out.push(c.to_ascii_uppercase()),
            '-' | '_' | '.' | ' ' => {
                if !out.is_empty() && !out.ends_with('_') {
                    out.push('_');
                }
            }
            _ => {
                return Err(format!(
                    "file name {name:?} has {c:?}; use ASCII letters, digits, '-', '_' or '.'"
                ))
            }
        }
    }
    let out = out.trim_end_matches('_').to_string();
    if out.is_empty() {
        return Err(format!("file name {name:?} gives no usable constant name"));
    }
    Ok(if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("ICON_{out}")
    } else {
        out
    })
}

// ---------------------------------------------------------------------------------------------------------
// One document
// ---------------------------------------------------------------------------------------------------------

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// Elements that run code, load resources or embed foreign content: never allowed, anywhere in the file.
const UNSAFE_ELEMENTS: &[&str] = &[
    "script",
    "foreignObject",
    "image",
    "iframe",
    "embed",
    "object",
    "audio",
    "video",
    "handler",
    "listener",
    // Animation elements can rewrite attributes (e.g. set an href to javascript:) after sanitising.
    "set",
    "animate",
    "animateTransform",
    "animateMotion",
];

/// Shapes that become `Node`s.
const SHAPES: &[&str] = &[
    "path", "circle", "ellipse", "line", "polyline", "polygon", "rect",
];

/// Content that is dropped with everything inside it: metadata, editor data, and paint servers or clips
/// (their `url(#…)` users are repainted with currentColor or lose the reference).
const DROPPED: &[&str] = &[
    "metadata",
    "title",
    "desc",
    "defs",
    "style",
    "clipPath",
    "mask",
    "linearGradient",
    "radialGradient",
    "pattern",
    "filter",
    "symbol",
    "marker",
];

/// Geometry attributes, in output order; numbers in them are minified.
const GEOMETRY: &[&str] = &[
    "d",
    "points",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "x",
    "y",
    "width",
    "height",
    "x1",
    "y1",
    "x2",
    "y2",
    "pathLength",
];

/// Presentation attributes kept (inherited from `svg`/`g` unless noted), in output order.
const PAINT: &[&str] = &[
    "fill",
    "fill-rule",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-opacity",
    "clip-rule",
    "opacity",
    "transform",
    "vector-effect",
];

/// Paint attributes whose colour values become `currentColor`.
const COLOR_ATTRS: &[&str] = &["fill", "stroke"];

/// Normalises one SVG document. `name` is the icon's runtime name (usually the file stem).
pub fn normalize(name: &str, svg: &str, options: Options) -> Result<IconData, String> {
    let const_name = const_name(name)?;
    let parse_options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(svg, parse_options)
        .map_err(|e| format!("not well-formed XML: {e}"))?;
    check_safety(&doc)?;

    let root = doc.root_element();
    if root.tag_name().name() != "svg"
        || !matches!(root.tag_name().namespace(), None | Some(SVG_NS))
    {
        return Err(format!(
            "root element is <{}>, expected <svg>",
            root.tag_name().name()
        ));
    }
    if let Some(symbols) = root.descendants().find(|n| {
        n.is_element() && n.tag_name().name() == "g" && n.attribute("id") == Some("Symbols")
    }) {
        return sf_template(name, const_name, root, symbols, options);
    }
    let view_box = match root.attribute("viewBox") {
        Some(vb) => {
            let numbers =
                split_numbers(vb).ok_or_else(|| format!("viewBox {vb:?} is not four numbers"))?;
            if numbers.len() != 4 || numbers[2] <= 0.0 || numbers[3] <= 0.0 {
                return Err(format!(
                    "viewBox {vb:?} must be four numbers with positive width and height"
                ));
            }
            numbers
                .iter()
                .map(|n| format_number(*n, options.precision))
                .collect::<Vec<_>>()
                .join(" ")
        }
        // No viewBox: width/height in user units give the same coordinate system.
        None => match (
            root.attribute("width").and_then(|w| w.parse::<f64>().ok()),
            root.attribute("height").and_then(|h| h.parse::<f64>().ok()),
        ) {
            (Some(w), Some(h)) if w > 0.0 && h > 0.0 => {
                format!(
                    "0 0 {} {}",
                    format_number(w, options.precision),
                    format_number(h, options.precision)
                )
            }
            _ => return Err("no viewBox (and no numeric width/height to derive one)".into()),
        },
    };

    let mut nodes = Vec::new();
    let inherited = presentation(root)?;
    flatten(root, &inherited, options, &mut nodes)?;
    if nodes.is_empty() {
        return Err("no drawable shapes".into());
    }
    Ok(IconData {
        name: name.to_string(),
        const_name,
        view_box,
        nodes,
    })
}

/// An SF Symbols template export: a 3300×2200 sheet with notes, guides and one group per weight and size.
/// Takes the `options.sf_variant` group (`Regular-M`), drops the rest, and fits the viewBox to the glyph.
fn sf_template(
    name: &str,
    const_name: String,
    root: roxmltree::Node<'_, '_>,
    symbols: roxmltree::Node<'_, '_>,
    options: Options,
) -> Result<IconData, String> {
    let variants = symbols
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "g");
    let Some(variant) = variants
        .clone()
        .find(|g| g.attribute("id") == Some(options.sf_variant))
    else {
        let available: Vec<&str> = variants.filter_map(|g| g.attribute("id")).collect();
        return Err(format!(
            "SF Symbols template has no {:?} variant (it has: {})",
            options.sf_variant,
            available.join(", ")
        ));
    };
    // The variant sits on the sheet by a translation; drawing in its own coordinates needs no transform.
    let mut own = presentation(variant)?;
    if let Some(i) = own.iter().position(|(n, _)| *n == "transform") {
        let (_, transform) = own.remove(i);
        translation(&transform).ok_or_else(|| {
            format!("unsupported transform {transform:?} on the SF Symbols variant group")
        })?;
    }
    let inherited = cascade(&cascade(&presentation(root)?, presentation(symbols)?), own);
    let mut nodes = Vec::new();
    flatten(variant, &inherited, options, &mut nodes)?;
    if nodes.is_empty() {
        return Err(format!(
            "SF Symbols variant {:?} has no shapes",
            options.sf_variant
        ));
    }
    let (x0, y0, x1, y1) = extent(&nodes)?;
    // Whole units outward: the glyph is never clipped, and the numbers stay short.
    let (x0, y0, x1, y1) = (x0.floor(), y0.floor(), x1.ceil(), y1.ceil());
    let view_box = [x0, y0, x1 - x0, y1 - y0]
        .iter()
        .map(|n| format_number(*n, options.precision))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(IconData {
        name: name.to_string(),
        const_name,
        view_box,
        nodes,
    })
}

/// `translate(x [y])` or `matrix(1 0 0 1 x y)`.
fn translation(transform: &str) -> Option<(f64, f64)> {
    let transform = transform.trim();
    let (function, args) = transform.strip_suffix(')')?.split_once('(')?;
    let n = split_numbers(args)?;
    match (function.trim(), n.as_slice()) {
        ("translate", [x]) => Some((*x, 0.0)),
        ("translate", [x, y]) => Some((*x, *y)),
        ("matrix", [a, b, c, d, x, y]) if (*a, *b, *c, *d) == (1.0, 0.0, 0.0, 1.0) => {
            Some((*x, *y))
        }
        _ => None,
    }
}

/// Bounding box (x0, y0, x1, y1) of shapes, padded by half the stroke width. Curves count their control
/// points (a box that may be slightly loose, never too small); arcs count their end points ± radii.
fn extent(nodes: &[NodeData]) -> Result<(f64, f64, f64, f64), String> {
    let mut bounds = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for node in nodes {
        let get = |name: &str| {
            node.attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let num = |name: &str| get(name).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        if get("transform").is_some() {
            return Err(format!(
                "cannot fit a viewBox around a transformed <{}>",
                node.tag
            ));
        }
        let mut points = match node.tag.as_str() {
            "path" => path_points(get("d").unwrap_or_default())?,
            "circle" => {
                let (cx, cy, r) = (num("cx"), num("cy"), num("r"));
                vec![(cx - r, cy - r), (cx + r, cy + r)]
            }
            "ellipse" => {
                let (cx, cy, rx, ry) = (num("cx"), num("cy"), num("rx"), num("ry"));
                vec![(cx - rx, cy - ry), (cx + rx, cy + ry)]
            }
            "rect" => {
                let (x, y) = (num("x"), num("y"));
                vec![(x, y), (x + num("width"), y + num("height"))]
            }
            "line" => vec![(num("x1"), num("y1")), (num("x2"), num("y2"))],
            _ => split_numbers(get("points").unwrap_or_default())
                .unwrap_or_default()
                .chunks_exact(2)
                .map(|p| (p[0], p[1]))
                .collect(),
        };
        let pad = if get("stroke").is_some_and(|s| s != "none") {
            get("stroke-width")
                .and_then(|w| w.parse::<f64>().ok())
                .unwrap_or(1.0)
                / 2.0
        } else {
            0.0
        };
        for (x, y) in points.drain(..) {
            bounds.0 = bounds.0.min(x - pad);
            bounds.1 = bounds.1.min(y - pad);
            bounds.2 = bounds.2.max(x + pad);
            bounds.3 = bounds.3.max(y + pad);
        }
    }
    if bounds.0 > bounds.2 || bounds.1 > bounds.3 {
        return Err("shapes have no extent".into());
    }
    Ok(bounds)
}

/// Absolute end and control points of path data.
fn path_points(d: &str) -> Result<Vec<(f64, f64)>, String> {
    let mut lexer = Lexer {
        s: d.as_bytes(),
        pos: 0,
    };
    let mut points = Vec::new();
    let (mut cur, mut start) = ((0.0, 0.0), (0.0, 0.0));
    let mut command: Option<u8> = None;
    loop {
        lexer.skip_separators();
        let Some(&byte) = lexer.s.get(lexer.pos) else {
            break;
        };
        if byte.is_ascii_alphabetic() {
            lexer.pos += 1;
            command = Some(byte);
        }
        let cmd = command.ok_or("path data must start with a command")?;
        let n = arity(cmd).ok_or_else(|| format!("unknown command {:?}", cmd as char))?;
        let mut args = [0.0; 7];
        for (i, arg) in args.iter_mut().enumerate().take(n) {
            lexer.skip_separators();
            *arg = if cmd.eq_ignore_ascii_case(&b'a') && (i == 3 || i == 4) {
                lexer.flag()
            } else {
                lexer.number()
            }
            .ok_or_else(|| format!("command {:?} needs {n} numbers", cmd as char))?;
        }
        let relative = cmd.is_ascii_lowercase();
        let abs = |x: f64, y: f64| {
            if relative {
                (cur.0 + x, cur.1 + y)
            } else {
                (x, y)
            }
        };
        match cmd.to_ascii_uppercase() {
            b'Z' => {
                cur = start;
                command = None;
            }
            b'H' => cur = (if relative { cur.0 + args[0] } else { args[0] }, cur.1),
            b'V' => cur = (cur.0, if relative { cur.1 + args[0] } else { args[0] }),
            b'A' => {
                let end = abs(args[5], args[6]);
                let (rx, ry) = (args[0].abs(), args[1].abs());
                points.extend([(cur.0 - rx, cur.1 - ry), (cur.0 + rx, cur.1 + ry)]);
                points.extend([(end.0 - rx, end.1 - ry), (end.0 + rx, end.1 + ry)]);
                cur = end;
            }
            _ => {
                for pair in args[..n].chunks_exact(2) {
                    points.push(abs(pair[0], pair[1]));
                }
                cur = abs(args[n - 2], args[n - 1]);
                if cmd.eq_ignore_ascii_case(&b'm') {
                    start = cur;
                    // Numbers after a moveto continue as lineto.
                    command = Some(if relative { b'l' } else { b'L' });
                }
            }
        }
        points.push(cur);
    }
    Ok(points)
}

fn check_safety(doc: &roxmltree::Document<'_>) -> Result<(), String> {
    for node in doc.descendants() {
        if node.is_pi() {
            // <?xml-stylesheet href="…"?> loads an external stylesheet.
            return Err(
                "unsafe: processing instruction (e.g. xml-stylesheet) refers to external content"
                    .into(),
            );
        }
        if !node.is_element() {
            continue;
        }
        let tag = node.tag_name().name();
        if UNSAFE_ELEMENTS.iter().any(|u| u.eq_ignore_ascii_case(tag)) {
            return Err(format!("unsafe: <{tag}> element"));
        }
        for attr in node.attributes() {
            let (attr_name, value) = (attr.name(), attr.value());
            if attr_name.len() > 2 && attr_name[..2].eq_ignore_ascii_case("on") {
                return Err(format!(
                    "unsafe: event handler attribute {attr_name}=\"…\" on <{tag}>"
                ));
            }
            if matches!(attr_name, "href" | "src") && !value.trim_start().starts_with('#') {
                return Err(format!(
                    "unsafe: external reference {attr_name}={value:?} on <{tag}>"
                ));
            }
            check_text_safety(value)
                .map_err(|m| format!("unsafe: {m} in {attr_name} on <{tag}>"))?;
        }
        if tag == "style" {
            let css: String = node.children().filter_map(|c| c.text()).collect();
            check_text_safety(&css).map_err(|m| format!("unsafe: {m} in <style>"))?;
            if css.contains("@import") {
                return Err("unsafe: @import in <style>".into());
            }
        }
    }
    Ok(())
}

/// `url(…)` may only point inside the document; `javascript:` may not appear at all.
fn check_text_safety(text: &str) -> Result<(), String> {
    let lower = text.to_ascii_lowercase();
    if lower.contains("javascript:") {
        return Err("javascript: URL".into());
    }
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("url(") {
        rest = &rest[i + 4..];
        let target = rest.trim_start().trim_start_matches(['"', '\'']);
        if !target.starts_with('#') {
            return Err("external url(…) reference".into());
        }
    }
    Ok(())
}

type Attrs = Vec<(&'static str, String)>;

/// The presentation attributes an element sets, from attributes and its `style` attribute.
fn presentation(node: roxmltree::Node<'_, '_>) -> Result<Attrs, String> {
    let mut out: Attrs = Vec::new();
    let mut set = |name: &str, value: &str| {
        if let Some(&known) = PAINT.iter().find(|p| **p == name) {
            let value = value.trim().to_string();
            out.retain(|(n, _)| *n != known);
            out.push((known, value));
        }
    };
    for attr in node.attributes() {
        if attr.namespace().is_none() {
            set(attr.name(), attr.value());
        }
    }
    // Stylesheet rules beat presentation attributes. Illustrator-style exports paint through simple class
    // rules (`.cls-1{fill:none;stroke:#000}`); without them an outline icon would render filled.
    for (_, declarations) in stylesheet_rules(node) {
        for declaration in declarations.split(';') {
            if let Some((name, value)) = declaration.split_once(':') {
                set(name.trim(), value.trim_end_matches("!important").trim());
            }
        }
    }
    // The style attribute wins over both.
    if let Some(style) = node.attribute("style") {
        for declaration in style.split(';') {
            if let Some((name, value)) = declaration.split_once(':') {
                set(name.trim(), value.trim_end_matches("!important").trim());
            }
        }
    }
    Ok(out)
}

/// Rules of the document's `<style>` elements that match `node` by a simple selector (`.class`, `tag`, or a
/// comma list of them), in document order. Anything more complex is ignored: icons do not use it.
fn stylesheet_rules<'a>(node: roxmltree::Node<'a, '_>) -> Vec<(&'a str, &'a str)> {
    let classes: Vec<&str> = node
        .attribute("class")
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let tag = node.tag_name().name();
    let mut rules = Vec::new();
    for style in node
        .document()
        .descendants()
        .filter(|n| n.has_tag_name((SVG_NS, "style")))
    {
        let Some(css) = style.children().find_map(|c| c.text()) else {
            continue;
        };
        for rule in css.split('}') {
            let Some((selectors, declarations)) = rule.split_once('{') else {
                continue;
            };
            let matches = selectors.split(',').map(str::trim).any(|selector| {
                match selector.strip_prefix('.') {
                    Some(class) => classes.contains(&class),
                    None => selector == tag,
                }
            });
            if matches {
                rules.push((selectors, declarations));
            }
        }
    }
    rules
}

/// Merges a child's own presentation onto what it inherits.
fn cascade(inherited: &Attrs, own: Attrs) -> Attrs {
    let mut out = inherited.clone();
    for (name, value) in own {
        let inherited_value = out.iter().position(|(n, _)| *n == name);
        match (name, inherited_value) {
            // A transform on a child applies after the parent's: concatenating the lists is exact.
            ("transform", Some(i)) => out[i].1 = format!("{} {value}", out[i].1),
            // Group opacity composites the group; multiplying is the close, flattenable approximation.
            ("opacity", Some(i)) => {
                let product =
                    out[i].1.parse::<f64>().unwrap_or(1.0) * value.parse::<f64>().unwrap_or(1.0);
                out[i].1 = format_number(product, 3);
            }
            (_, Some(i)) => out[i].1 = value,
            (_, None) => out.push((name, value)),
        }
    }
    out
}

fn flatten(
    node: roxmltree::Node<'_, '_>,
    inherited: &Attrs,
    options: Options,
    out: &mut Vec<NodeData>,
) -> Result<(), String> {
    for child in node.children().filter(|c| c.is_element()) {
        let tag = child.tag_name().name();
        // Editor namespaces (sodipodi, inkscape, rdf, …) are metadata.
        if !matches!(child.tag_name().namespace(), None | Some(SVG_NS)) || DROPPED.contains(&tag) {
            continue;
        }
        if child.attribute("display") == Some("none")
            || child.attribute("visibility") == Some("hidden")
        {
            continue;
        }
        let attrs = cascade(inherited, presentation(child)?);
        match tag {
            "g" | "a" | "switch" => flatten(child, &attrs, options, out)?,
            _ if SHAPES.contains(&tag) => out.push(shape(child, tag, attrs, options)?),
            "svg" => return Err("unsupported: nested <svg>".into()),
            "use" => return Err("unsupported: <use> (inline the referenced shape)".into()),
            "text" | "tspan" | "textPath" => {
                return Err(format!("unsupported: <{tag}> (convert text to paths)"))
            }
            other => return Err(format!("unsupported element <{other}>")),
        }
    }
    Ok(())
}

fn shape(
    node: roxmltree::Node<'_, '_>,
    tag: &str,
    paint: Attrs,
    options: Options,
) -> Result<NodeData, String> {
    let mut attrs = Vec::new();
    for &name in GEOMETRY {
        let Some(value) = node.attribute(name) else {
            continue;
        };
        let value = match name {
            "d" => minify_path(value, options.precision).map_err(|e| format!("<{tag}> d: {e}"))?,
            "points" => {
                let numbers = split_numbers(value)
                    .ok_or_else(|| format!("<{tag}> points {value:?} are not numbers"))?;
                numbers
                    .iter()
                    .map(|n| format_number(*n, options.precision))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            _ => match value.trim().parse::<f64>() {
                Ok(n) => format_number(n, options.precision),
                // Lengths with units (`50%`) stay as written.
                Err(_) => value.trim().to_string(),
            },
        };
        attrs.push((name.to_string(), value));
    }
    if tag == "path" && !attrs.iter().any(|(n, v)| n == "d" && !v.is_empty()) {
        return Err("<path> without path data".into());
    }
    let mut fill_set = false;
    for &name in PAINT {
        let Some((_, value)) = paint.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let value = if COLOR_ATTRS.contains(&name) {
            fill_set |= name == "fill";
            match value.as_str() {
                "none" | "transparent" => "none".to_string(),
                _ => "currentColor".to_string(),
            }
        } else if name == "transform" {
            value.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            // `1.5px` in CSS is `1.5` in user units.
            match value.strip_suffix("px").unwrap_or(value).parse::<f64>() {
                Ok(n) => format_number(n, options.precision),
                Err(_) => value.clone(),
            }
        };
        attrs.push((name.to_string(), value));
    }
    // SVG's default fill is black; the icon must follow the text colour instead.
    if !fill_set {
        attrs.push(("fill".to_string(), "currentColor".to_string()));
    }
    Ok(NodeData {
        tag: tag.to_string(),
        attrs,
    })
}

// ---------------------------------------------------------------------------------------------------------
// Numbers and path data
// ---------------------------------------------------------------------------------------------------------

/// Shortest text for `n` rounded to `precision` decimals: `0.5` → `.5`, `-0.25` → `-.25`, `2.000` → `2`.
pub fn format_number(n: f64, precision: u8) -> String {
    let mut s = format!("{:.*}", usize::from(precision), n);
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if s == "-0" {
        s = "0".into();
    }
    if let Some(rest) = s.strip_prefix("0.") {
        s = format!(".{rest}");
    } else if let Some(rest) = s.strip_prefix("-0.") {
        s = format!("-.{rest}");
    }
    s
}

fn split_numbers(s: &str) -> Option<Vec<f64>> {
    let mut lexer = Lexer {
        s: s.as_bytes(),
        pos: 0,
    };
    let mut out = Vec::new();
    loop {
        lexer.skip_separators();
        if lexer.pos == lexer.s.len() {
            return Some(out);
        }
        out.push(lexer.number()?);
    }
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn skip_separators(&mut self) {
        while matches!(
            self.s.get(self.pos),
            Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b'\x0c')
        ) {
            self.pos += 1;
        }
    }

    /// An SVG number: sign, digits, fraction, exponent. `1.5.5` is two numbers, as the grammar says.
    fn number(&mut self) -> Option<f64> {
        let start = self.pos;
        if matches!(self.s.get(self.pos), Some(b'+' | b'-')) {
            self.pos += 1;
        }
        let mut digits = 0;
        while matches!(self.s.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
            digits += 1;
        }
        if self.s.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            while matches!(self.s.get(self.pos), Some(b'0'..=b'9')) {
                self.pos += 1;
                digits += 1;
            }
        }
        if digits == 0 {
            self.pos = start;
            return None;
        }
        if matches!(self.s.get(self.pos), Some(b'e' | b'E'))
            && matches!(self.s.get(self.pos + 1), Some(b'0'..=b'9' | b'+' | b'-'))
        {
            self.pos += 2;
            while matches!(self.s.get(self.pos), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        std::str::from_utf8(&self.s[start..self.pos])
            .ok()?
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite())
    }

    fn flag(&mut self) -> Option<f64> {
        match self.s.get(self.pos) {
            Some(b'0') => {
                self.pos += 1;
                Some(0.0)
            }
            Some(b'1') => {
                self.pos += 1;
                Some(1.0)
            }
            _ => None,
        }
    }
}

fn arity(command: u8) -> Option<usize> {
    Some(match command.to_ascii_uppercase() {
        b'Z' => 0,
        b'H' | b'V' => 1,
        b'M' | b'L' | b'T' => 2,
        b'S' | b'Q' => 4,
        b'C' => 6,
        b'A' => 7,
        _ => return None,
    })
}

/// Re-writes path data compactly: numbers rounded and trimmed, separators only where needed, repeated
/// commands left implicit. Validates the syntax on the way.
pub fn minify_path(d: &str, precision: u8) -> Result<String, String> {
    let mut lexer = Lexer {
        s: d.as_bytes(),
        pos: 0,
    };
    let mut out = String::with_capacity(d.len());
    // The command a bare number list would continue (after M it is L): a command equal to it is implicit.
    let mut implicit: Option<u8> = None;
    let mut command: Option<u8> = None;
    let mut last_number = String::new();
    loop {
        lexer.skip_separators();
        let Some(&byte) = lexer.s.get(lexer.pos) else {
            break;
        };
        if byte.is_ascii_alphabetic() {
            arity(byte).ok_or_else(|| format!("unknown command {:?}", byte as char))?;
            lexer.pos += 1;
            command = Some(byte);
        } else if command.is_none() {
            return Err("path data must start with a command".into());
        } else if command.is_some_and(|c| c.eq_ignore_ascii_case(&b'z')) {
            return Err("numbers after Z".into());
        }
        let cmd = command.ok_or("path data must start with a command")?;
        let n = arity(cmd).unwrap_or(0);
        if implicit != Some(cmd) || n == 0 {
            out.push(cmd as char);
            last_number.clear();
        }
        for i in 0..n {
            lexer.skip_separators();
            let value = if cmd.eq_ignore_ascii_case(&b'a') && (i == 3 || i == 4) {
                lexer.flag()
            } else {
                lexer.number()
            }
            .ok_or_else(|| format!("command {:?} needs {n} numbers", cmd as char))?;
            let text = format_number(value, precision);
            // `-` starts a new number, and so does a second `.` (`.5.25` is .5 then .25).
            let self_delimiting =
                text.starts_with('-') || (text.starts_with('.') && last_number.contains('.'));
            if !last_number.is_empty() && !self_delimiting {
                out.push(' ');
            }
            out += &text;
            last_number = text;
        }
        implicit = match cmd {
            b'M' => Some(b'L'),
            b'm' => Some(b'l'),
            b'Z' | b'z' => None,
            other => Some(other),
        };
        // A number right after the arguments continues the same command (M continues as L).
        lexer.skip_separators();
        if lexer
            .s
            .get(lexer.pos)
            .is_some_and(|b| !b.is_ascii_alphabetic())
        {
            command = implicit;
        }
    }
    if out.is_empty() {
        return Err("empty path data".into());
    }
    if !out.starts_with(['M', 'm']) {
        return Err("path data must start with M or m".into());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------
// Code generation
// ---------------------------------------------------------------------------------------------------------

/// Rust source: one `pub const` per icon, `NAMES`, and (for the `lookup` feature) `ALL`, sorted by name.
/// Items refer to `Icon` and `Node` unqualified; include the file where both are in scope.
pub fn generate(icons: &[IconData]) -> String {
    generate_items(icons, true)
}

/// [`generate`] without `ALL` (whose `cfg(feature = "lookup")` is ck-icons' own feature): for a
/// widget crate's own icon folder (`crate::author::icons`).
pub fn generate_local(icons: &[IconData]) -> String {
    generate_items(icons, false)
}

fn generate_items(icons: &[IconData], with_all: bool) -> String {
    let mut out = String::with_capacity(icons.len() * 400 + 256);
    out += "// @generated by ck-icons' pipeline. Do not edit; change the SVG files instead.\n\n";
    for icon in icons {
        let _ = writeln!(
            out,
            "/// The `{}` icon (viewBox `{}`).",
            icon.name, icon.view_box
        );
        let _ = write!(
            out,
            "pub const {}: Icon = Icon {{ name: {:?}, view_box: {:?}, nodes: &[",
            icon.const_name, icon.name, icon.view_box
        );
        for node in &icon.nodes {
            let _ = write!(out, "Node {{ tag: {:?}, attrs: &[", node.tag);
            for (name, value) in &node.attrs {
                let _ = write!(out, "({name:?}, {value:?}), ");
            }
            out += "] }, ";
        }
        out += "] };\n";
    }
    out += "\n/// Names of every icon, sorted. Costs nothing unless referenced.\npub const NAMES: &[&str] = &[";
    for icon in icons {
        let _ = write!(out, "{:?}, ", icon.name);
    }
    if !with_all {
        out += "];\n";
        return out;
    }
    out += "];\n\n/// Every icon, sorted by name (keeps all of them in the binary).\n#[cfg(feature = \"lookup\")]\npub static ALL: &[Icon] = &[";
    for icon in icons {
        let _ = write!(out, "{}, ", icon.const_name);
    }
    out += "];\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(svg: &str) -> Result<IconData, String> {
        normalize("test-icon", svg, Options::default())
    }

    #[test]
    fn numbers_are_trimmed() {
        assert_eq!(format_number(0.5, 3), ".5");
        assert_eq!(format_number(-0.25, 3), "-.25");
        assert_eq!(format_number(2.0, 3), "2");
        assert_eq!(format_number(1.23456, 3), "1.235");
        assert_eq!(format_number(-0.0001, 3), "0");
        assert_eq!(format_number(12.0, 0), "12");
    }

    #[test]
    fn path_data_is_minified_and_stays_equivalent() {
        assert_eq!(
            minify_path("M 20.000 6 L 9 17 L 4 12", 3).unwrap(),
            "M20 6 9 17 4 12"
        );
        assert_eq!(
            minify_path("M0,0 L 10 -5 L 0.5 0.25", 3).unwrap(),
            "M0 0 10-5 .5.25"
        );
        assert_eq!(
            minify_path("m1 1 2 2 l3 3 z M4 4", 3).unwrap(),
            "m1 1 2 2 3 3zM4 4"
        );
        assert_eq!(
            minify_path("M21 12a9 9 0 1 1-6.219-8.56", 3).unwrap(),
            "M21 12a9 9 0 1 1-6.219-8.56"
        );
        assert_eq!(
            minify_path("M0 0A5 5 0 0010 10", 3).unwrap(),
            "M0 0A5 5 0 0 0 10 10"
        );
        assert_eq!(minify_path("M1e1 0h1.5e0v-2", 3).unwrap(), "M10 0h1.5v-2");
        assert_eq!(
            minify_path("M 0 0 C 1 1 2 2 3 3 4 4 5 5 6 6", 3).unwrap(),
            "M0 0C1 1 2 2 3 3 4 4 5 5 6 6"
        );
    }

    #[test]
    fn bad_path_data_is_rejected() {
        for bad in [
            "",
            "L1 1",
            "M1",
            "M1 1 X",
            "M0 0 A1 1 0 2 0 1 1",
            "M0 0z 1 1",
        ] {
            assert!(minify_path(bad, 3).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn lucide_style_root_paint_is_pushed_down_and_metadata_dropped() {
        let icon = norm(
            r##"<!-- @license x --><svg class="lucide" xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"
                fill="none" stroke="#123456" stroke-width="2.0" stroke-linecap="round"><title>T</title><desc>D</desc>
                <metadata><x/></metadata><path d="M 20 6 L 9 17" id="p1" class="c"/><circle cx="12.000" cy="12" r="10"/></svg>"##,
        )
        .unwrap();
        assert_eq!(icon.view_box, "0 0 24 24");
        assert_eq!(icon.const_name, "TEST_ICON");
        assert_eq!(icon.nodes.len(), 2);
        let path = &icon.nodes[0];
        assert_eq!(path.tag, "path");
        let attrs: Vec<(&str, &str)> = path
            .attrs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            attrs,
            [
                ("d", "M20 6 9 17"),
                ("fill", "none"),
                ("stroke", "currentColor"),
                ("stroke-width", "2"),
                ("stroke-linecap", "round")
            ]
        );
        assert_eq!(icon.nodes[1].attrs[0], ("cx".to_string(), "12".to_string()));
    }

    #[test]
    fn colours_become_current_color_and_default_fill_is_current_color() {
        let icon = norm(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><g style="fill:#ff0000;opacity:.5"><path d="M0 0h1" transform="scale(2)"/></g>
               <path d="M1 1h1"/><path d="M2 2h1" fill="url(#grad)" stroke="red"/><rect width="10%" height="1" fill="none"/></svg>"##,
        )
        .unwrap();
        let get = |i: usize, name: &str| {
            icon.nodes[i]
                .attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get(0, "fill").as_deref(), Some("currentColor"));
        assert_eq!(get(0, "opacity").as_deref(), Some(".5"));
        assert_eq!(get(0, "transform").as_deref(), Some("scale(2)"));
        assert_eq!(get(1, "fill").as_deref(), Some("currentColor"));
        assert_eq!(get(2, "stroke").as_deref(), Some("currentColor"));
        assert_eq!(get(2, "fill").as_deref(), Some("currentColor"));
        assert_eq!(get(3, "fill").as_deref(), Some("none"));
        assert_eq!(get(3, "width").as_deref(), Some("10%"));
    }

    #[test]
    fn class_rules_from_style_elements_apply_before_the_style_attribute() {
        let icon = norm(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><defs><style>.cls-1,.cls-2{fill:none;stroke:#231f20;stroke-width:1.5px}.cls-2{stroke-width:3}</style></defs>
               <path class="cls-1" d="M0 0h1"/><path class="cls-2" d="M0 0h2" style="stroke-width:4"/><path d="M0 0h3"/></svg>"##,
        )
        .unwrap();
        let get = |i: usize, name: &str| {
            icon.nodes[i]
                .attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get(0, "fill").as_deref(), Some("none"));
        assert_eq!(get(0, "stroke").as_deref(), Some("currentColor"));
        assert_eq!(get(0, "stroke-width").as_deref(), Some("1.5"));
        assert_eq!(get(1, "stroke-width").as_deref(), Some("4"));
        assert_eq!(get(2, "fill").as_deref(), Some("currentColor"));
        assert_eq!(get(2, "stroke"), None);
    }

    #[test]
    fn editor_namespaces_and_defs_are_dropped() {
        let icon = norm(
            r##"<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
              xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="16" height="16" inkscape:version="1">
              <sodipodi:namedview id="n"/><defs><clipPath id="c"><rect width="16" height="16"/></clipPath></defs>
              <g clip-path="url(#c)" inkscape:label="Layer"><path d="M0 0h16v16z" sodipodi:nodetypes="ccc"/></g></svg>"##,
        )
        .unwrap();
        assert_eq!(icon.view_box, "0 0 16 16");
        assert_eq!(icon.nodes.len(), 1);
        assert_eq!(
            icon.nodes[0].attrs,
            [
                ("d".to_string(), "M0 0h16v16z".to_string()),
                ("fill".to_string(), "currentColor".to_string())
            ]
        );
    }

    #[test]
    fn unsafe_content_is_rejected() {
        let cases = [
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><script>alert(1)</script><path d="M0 0"/></svg>"##,
                "<script>",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" onload="alert(1)"><path d="M0 0"/></svg>"##,
                "onload",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="M0 0" onClick="x()"/></svg>"##,
                "onClick",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><foreignObject><div/></foreignObject></svg>"##,
                "<foreignObject>",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><image href="x.png"/></svg>"##,
                "<image>",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 1 1"><a xlink:href="https://evil"><path d="M0 0"/></a></svg>"##,
                "external reference",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><use href="other.svg#x"/></svg>"##,
                "external reference",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="M0 0" fill="url(https://evil/x.svg#p)"/></svg>"##,
                "url(",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="M0 0" style="fill:url( 'http://evil' )"/></svg>"##,
                "url(",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><style>@import "http://evil/a.css";</style><path d="M0 0"/></svg>"##,
                "@import",
            ),
            (
                r##"<?xml-stylesheet href="http://evil/a.css"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="M0 0"/></svg>"##,
                "processing instruction",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><set attributeName="href" to="javascript:alert(1)"/><path d="M0 0"/></svg>"##,
                "<set>",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><a href="javascript:alert(1)"><path d="M0 0"/></a></svg>"##,
                "unsafe",
            ),
        ];
        for (svg, expected) in cases {
            let error = norm(svg).expect_err(svg);
            assert!(
                error.contains(expected),
                "{svg}\n→ {error}\n(wanted {expected:?})"
            );
        }
    }

    #[test]
    fn unsupported_or_broken_files_are_rejected_with_a_reason() {
        for (svg, expected) in [
            ("<svg", "well-formed"),
            (
                r##"<html xmlns="http://www.w3.org/2000/svg"/>"##,
                "root element",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h1"/></svg>"##,
                "viewBox",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 0 1"><path d="M0 0h1"/></svg>"##,
                "viewBox",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>"##,
                "no drawable",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><text>A</text></svg>"##,
                "<text>",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="Q"/></svg>"##,
                "d:",
            ),
        ] {
            let error = norm(svg).expect_err(svg);
            assert!(
                error.contains(expected),
                "{svg}\n→ {error}\n(wanted {expected:?})"
            );
        }
    }

    /// Shaped like an SF Symbols app "Export Symbol" template (notes with text, guides, 9 weights × 3 sizes).
    const SF_TEMPLATE: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<!--Generator: Apple Native CoreSVG 175.5-->
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg version="1.1" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="3300" height="2200">
 <!--glyph: "heart.fill", point size: 100.0, font version: "19.0d4e1"-->
 <g id="Notes">
  <rect height="2200" id="artboard" style="fill:white;opacity:1" width="3300" x="0" y="0"/>
  <line style="fill:none;stroke:black;opacity:1;stroke-width:0.5;" x1="263" x2="3036" y1="292" y2="292"/>
  <text style="stroke:none;fill:black;font-family:sans-serif;font-size:13;" transform="matrix(1 0 0 1 263 322)">Weight/Scale Variations</text>
 </g>
 <g id="Guides">
  <line id="Baseline-M" style="fill:none;stroke:#27AAE1;opacity:1;stroke-width:0.5;" x1="263" x2="3036" y1="1126" y2="1126"/>
  <line id="left-margin-Regular-M" style="fill:none;stroke:#00AEEF;stroke-width:0.5;opacity:1.0;" x1="1391.3" x2="1391.3" y1="1030.79" y2="1150.12"/>
 </g>
 <g id="Symbols">
  <g id="Ultralight-S" transform="matrix(1 0 0 1 446.5 696)">
   <path d="M5 -1 L 50 -60 Z" fill="black" fill-opacity="0.85"/>
  </g>
  <g id="Regular-M" transform="matrix(1 0 0 1 1391.3 1126)">
   <path d="M 0.5 -37.25 C 0.5 -60 20 -72.4 40 -72.4 L 80.2 -36 L 40 10.6 Z" fill="black" fill-opacity="0.85"/>
  </g>
 </g>
</svg>"##;

    #[test]
    fn sf_symbols_templates_yield_their_regular_m_glyph_fitted_to_the_view_box() {
        let icon = normalize("heart.fill", SF_TEMPLATE, Options::default()).unwrap();
        assert_eq!(icon.const_name, "HEART_FILL");
        assert_eq!(icon.nodes.len(), 1, "{:?}", icon.nodes);
        assert_eq!(icon.view_box, "0 -73 81 84");
        let attrs: Vec<(&str, &str)> = icon.nodes[0]
            .attrs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            attrs,
            [
                ("d", "M.5-37.25C.5-60 20-72.4 40-72.4L80.2-36 40 10.6Z"),
                ("fill", "currentColor"),
                ("fill-opacity", ".85")
            ]
        );
        let other = Options {
            sf_variant: "Ultralight-S",
            ..Options::default()
        };
        assert_eq!(
            normalize("heart.fill", SF_TEMPLATE, other)
                .unwrap()
                .view_box,
            "5 -60 45 59"
        );
        let missing = Options {
            sf_variant: "Black-L",
            ..Options::default()
        };
        let error = normalize("heart.fill", SF_TEMPLATE, missing).unwrap_err();
        assert!(
            error.contains("no \"Black-L\" variant (it has: Ultralight-S, Regular-M)"),
            "{error}"
        );
    }

    #[test]
    fn path_extent_follows_relative_commands() {
        let points = path_points("m10 10 5 0v5h-5zM0 0q1 -2 3 0").unwrap();
        let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
        let min = |v: &[f64]| v.iter().copied().fold(f64::MAX, f64::min);
        let max = |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max);
        assert_eq!(
            (min(&xs), min(&ys), max(&xs), max(&ys)),
            (0.0, -2.0, 15.0, 15.0)
        );
    }

    #[test]
    fn const_names_are_screaming_snake_of_the_file_name() {
        assert_eq!(const_name("arrow-right").unwrap(), "ARROW_RIGHT");
        assert_eq!(
            const_name("arrow.up.circle.fill").unwrap(),
            "ARROW_UP_CIRCLE_FILL"
        );
        assert_eq!(const_name("0.circle").unwrap(), "ICON_0_CIRCLE");
        assert_eq!(const_name("a--b_").unwrap(), "A_B");
        assert!(const_name("ünïcode").is_err());
        assert!(const_name("--").is_err());
    }

    #[test]
    fn a_bad_file_in_a_directory_is_named_and_collisions_are_reported() {
        let dir =
            std::env::temp_dir().join(format!("ck-icons-pipeline-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ok = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="M0 0h1"/></svg>"##;
        std::fs::write(dir.join("good.svg"), ok).unwrap();
        std::fs::write(dir.join("a-b.svg"), ok).unwrap();
        std::fs::write(dir.join("a.b.svg"), ok).unwrap();
        std::fs::write(
            dir.join("evil.svg"),
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" onload="x()"/>"##,
        )
        .unwrap();
        std::fs::write(dir.join("notes.txt"), "not an icon").unwrap();
        let errors =
            load_dirs(&[&dir], Options::default()).expect_err("evil.svg must fail the run");
        let text = errors.to_string();
        assert!(text.contains("evil.svg: unsafe: event handler"), "{text}");
        assert!(text.contains("constant A_B is also produced by"), "{text}");
        assert_eq!(errors.0.len(), 2);

        std::fs::remove_file(dir.join("evil.svg")).unwrap();
        std::fs::remove_file(dir.join("a.b.svg")).unwrap();
        let icons = load_dirs(&[&dir], Options::default()).unwrap();
        assert_eq!(
            icons.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            ["a-b", "good"]
        );
        let code = generate(&icons);
        assert!(code.contains("pub const GOOD: Icon = Icon { name: \"good\", view_box: \"0 0 1 1\", nodes: &[Node { tag: \"path\", attrs: &[(\"d\", \"M0 0h1\"), (\"fill\", \"currentColor\"), ] }, ] };"), "{code}");
        assert!(code.contains("pub const NAMES: &[&str] = &[\"a-b\", \"good\", ];"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
