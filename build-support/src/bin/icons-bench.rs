//! `cargo run -p ck-build --release --bin icons-bench [-- COUNT] [--simple] [--out DIR]` or `-- --dir DIR`
//!
//! Generates COUNT (default 7,000) SVGs in a temp directory, runs the icon pipeline over them and prints a
//! table: count, time, peak memory, output size. By default each file is shaped like an SF Symbols app
//! template export (notes with text, guides, 27 weight/size variants; about 40 KB each); `--simple` writes
//! small single-glyph files instead. `--out DIR` keeps the files, e.g. to time
//! `CK_ICONS_DIR=DIR cargo build -p ck-icons`. `--dir DIR` runs the pipeline over an existing directory.

mod bench {
    use ck_build::icons as pipeline;

    use std::fmt::Write as _;
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    struct Args {
        count: usize,
        simple: bool,
        keep: Option<PathBuf>,
        /// Run over an existing directory (your own icons) instead of generating one.
        dir: Option<PathBuf>,
    }

    fn parse_args() -> Result<Args, String> {
        let mut parsed = Args {
            count: 7_000,
            simple: false,
            keep: None,
            dir: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--simple" => parsed.simple = true,
                "--out" => parsed.keep = Some(args.next().ok_or("--out needs a directory")?.into()),
                "--dir" => parsed.dir = Some(args.next().ok_or("--dir needs a directory")?.into()),
                n => parsed.count = n.parse().map_err(|_| format!("unknown argument {n:?}"))?,
            }
        }
        Ok(parsed)
    }

    pub(crate) fn real_main() {
        let args = match parse_args() {
            Ok(args) => args,
            Err(e) => {
                eprintln!("icons-bench: {e}\nusage: icons-bench [COUNT] [--simple] [--out DIR] | --dir DIR");
                std::process::exit(2);
            }
        };
        if let Some(dir) = &args.dir {
            if let Err(e) = pipeline_table(dir, &format!("{}", dir.display()), 0) {
                eprintln!("icons-bench: {e}");
                std::process::exit(1);
            }
            return;
        }
        let dir = args.keep.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("ck-icons-bench-{}", std::process::id()))
        });
        let result = run(&dir, &args);
        if args.keep.is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        if let Err(e) = result {
            eprintln!("icons-bench: {e}");
            std::process::exit(1);
        }
    }

    fn run(dir: &Path, args: &Args) -> Result<(), Box<dyn std::error::Error>> {
        std::fs::create_dir_all(dir)?;
        let written = Instant::now();
        let mut input_bytes = 0;
        for i in 0..args.count {
            let svg = if args.simple {
                simple_svg(i)
            } else {
                sf_template(i)
            };
            input_bytes += svg.len();
            std::fs::write(dir.join(format!("sym.{i}.fill.svg")), svg)?;
        }
        let write_time = written.elapsed();
        println!(
            "(writing the inputs took {} ms; not counted)",
            write_time.as_millis()
        );
        let kind = if args.simple {
            "generated single-glyph SVGs"
        } else {
            "generated SF Symbols template exports (Regular-M taken)"
        };
        pipeline_table(dir, kind, input_bytes)
    }

    fn pipeline_table(
        dir: &Path,
        kind: &str,
        input_bytes: usize,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let input_bytes = if input_bytes > 0 {
            input_bytes
        } else {
            pipeline::svg_files(dir)?
                .iter()
                .map(|f| f.metadata().map_or(0, |m| m.len() as usize))
                .sum()
        };
        let started = Instant::now();
        let icons = pipeline::load_dirs(&[dir], pipeline::Options::default())?;
        let parse_time = started.elapsed();
        let generated = Instant::now();
        let code = pipeline::generate(&icons);
        let generate_time = generated.elapsed();
        let total = started.elapsed();
        let nodes: usize = icons.iter().map(|i| i.nodes.len()).sum();
        let ms = |d: std::time::Duration| format!("{:.0} ms", d.as_secs_f64() * 1e3);

        println!("icons-bench: ck-icons pipeline over {kind}");
        println!("| metric                     | value |");
        println!("|----------------------------|-------|");
        println!("| icons                      | {} |", icons.len());
        println!(
            "| threads                    | {} |",
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(16)
        );
        println!("| shapes kept                | {nodes} |");
        println!(
            "| input                      | {:.1} MB |",
            input_bytes as f64 / 1e6
        );
        println!("| read + parse + normalise   | {} |", ms(parse_time));
        println!("| generate Rust              | {} |", ms(generate_time));
        println!("| pipeline total             | {} |", ms(total));
        println!(
            "| per icon                   | {:.0} µs |",
            total.as_secs_f64() * 1e6 / icons.len().max(1) as f64
        );
        println!(
            "| generated Rust             | {:.1} MB |",
            code.len() as f64 / 1e6
        );
        println!(
            "| peak memory (VmHWM)        | {} |",
            peak_memory().unwrap_or_else(|| "n/a (no /proc)".into())
        );
        Ok(())
    }

    /// Deterministic pseudo-random coordinate in 0..100 with six decimals, like exported outlines.
    fn coord(i: usize, k: usize) -> f64 {
        ((i * 7919 + k * 104_729) % 100_000) as f64 / 1000.0
    }

    /// A glyph outline: a closed path of cubic and quadratic curves with over-precise numbers.
    fn glyph_path(i: usize, seed: usize, out: &mut String) {
        let c = |k: usize| coord(i, seed * 64 + k);
        let _ = write!(out, "<path d=\"M {:.6} {:.6}", c(0), -c(1));
        for s in 0..6 {
            let k = 2 + s * 6;
            let _ = write!(
                out,
                " C {:.6} {:.6} {:.6} {:.6} {:.6} {:.6} Q {:.6} {:.6} {:.6} {:.6}",
                c(k),
                -c(k + 1),
                c(k + 2),
                -c(k + 3),
                c(k + 4),
                -c(k + 5),
                c(k + 6),
                -c(k + 7),
                c(k + 8),
                -c(k + 9)
            );
        }
        out.push_str(" Z\" fill=\"black\" fill-opacity=\"0.85\"/>");
    }

    /// Shaped like the SF Symbols app's "Export Symbol" template: a 3300×2200 sheet with notes (text),
    /// guides (lines), and 27 variant groups (9 weights × S/M/L), each translated into place.
    fn sf_template(i: usize) -> String {
        let mut svg = String::with_capacity(24_000);
        svg.push_str(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--Generator: Apple Native CoreSVG 175.5-->\n\
             <!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n\
             <svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" \
             width=\"3300\" height=\"2200\">\n <g id=\"Notes\">\n  <rect height=\"2200\" id=\"artboard\" \
             style=\"fill:white;opacity:1\" width=\"3300\" x=\"0\" y=\"0\"/>\n",
        );
        for (n, label) in [
            "Weight/Scale Variations",
            "Ultralight",
            "Thin",
            "Light",
            "Regular",
            "Medium",
            "Semibold",
            "Bold",
            "Heavy",
            "Black",
        ]
        .iter()
        .enumerate()
        {
            let _ = writeln!(
                svg,
                "  <text style=\"stroke:none;fill:black;font-family:sans-serif;font-size:13;\" \
                 transform=\"matrix(1 0 0 1 {} 322)\">{label}</text>",
                263 + n * 300
            );
        }
        svg.push_str(" </g>\n <g id=\"Guides\">\n");
        for (n, size) in ["S", "M", "L"].iter().enumerate() {
            for line in ["Baseline", "Capline"] {
                let _ = writeln!(
                    svg,
                    "  <line id=\"{line}-{size}\" style=\"fill:none;stroke:#27AAE1;opacity:1;stroke-width:0.5;\" \
                     x1=\"263\" x2=\"3036\" y1=\"{}\" y2=\"{}\"/>",
                    696 + n * 430,
                    696 + n * 430
                );
            }
        }
        svg.push_str(" </g>\n <g id=\"Symbols\">\n");
        let weights = [
            "Ultralight",
            "Thin",
            "Light",
            "Regular",
            "Medium",
            "Semibold",
            "Bold",
            "Heavy",
            "Black",
        ];
        for (s, size) in ["S", "M", "L"].iter().enumerate() {
            for (w, weight) in weights.iter().enumerate() {
                let _ = writeln!(
                    svg,
                    "  <g id=\"{weight}-{size}\" transform=\"matrix(1 0 0 1 {:.4} {})\">",
                    446.5 + w as f64 * 300.0,
                    696 + s * 430
                );
                for p in 0..(1 + i % 3) {
                    svg.push_str("   ");
                    glyph_path(i, s * 100 + w * 10 + p, &mut svg);
                    svg.push('\n');
                }
                svg.push_str("  </g>\n");
            }
        }
        svg.push_str(" </g>\n</svg>\n");
        svg
    }

    /// A small single-glyph icon: a group with a transform, filled paths with colours to repaint.
    fn simple_svg(i: usize) -> String {
        let mut paths = String::new();
        for p in 0..(2 + i % 4) {
            glyph_path(i, p, &mut paths);
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
             viewBox=\"0 -100 100 100\"><title>sym.{i}.fill</title><g transform=\"translate(0.5 0.5)\">{paths}</g></svg>"
        )
    }

    /// Peak resident set size of this process (Linux).
    fn peak_memory() -> Option<String> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        Some(line.trim_start_matches("VmHWM:").trim().to_string())
    }
}

fn main() {
    bench::real_main();
}
