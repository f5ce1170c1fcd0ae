//! `cargo run -p ck-icons --release --bin icons-bench [-- COUNT] [--out DIR]`: generates COUNT (7,000) SVGs in a temp
//! directory, runs the icon pipeline over them and prints a table: count, time, peak memory, output size.

#[path = "../pipeline.rs"]
#[allow(dead_code, unreachable_pub)]
mod pipeline;

use std::path::Path;
use std::time::Instant;

fn main() {
    let mut count = 7_000;
    let mut keep: Option<std::path::PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), arg.parse::<usize>()) {
            (_, Ok(n)) => count = n,
            // Keep the generated SVGs, e.g. to time `CK_ICONS_DIR=DIR cargo build -p ck-icons`.
            ("--out", _) => keep = args.next().map(Into::into),
            _ => {
                eprintln!("usage: icons-bench [COUNT] [--out DIR]");
                std::process::exit(2);
            }
        }
    }
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("ck-icons-bench-{}", std::process::id()))
    });
    let result = run(&dir, count);
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let Err(e) = result {
        eprintln!("icons-bench: {e}");
        std::process::exit(1);
    }
}

fn run(dir: &Path, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let written = Instant::now();
    let mut input_bytes = 0;
    for i in 0..count {
        let svg = synthetic_svg(i);
        input_bytes += svg.len();
        std::fs::write(dir.join(format!("sym.{i}.fill.svg")), svg)?;
    }
    let write_time = written.elapsed();

    let started = Instant::now();
    let icons = pipeline::load_dirs(&[dir], pipeline::Options::default())?;
    let parse_time = started.elapsed();
    let generated = Instant::now();
    let code = pipeline::generate(&icons);
    let generate_time = generated.elapsed();
    let total = started.elapsed();
    let nodes: usize = icons.iter().map(|i| i.nodes.len()).sum();

    println!("icons-bench: ck-icons pipeline over generated SF-Symbols-like SVGs");
    println!("| metric                        | value |");
    println!("|-------------------------------|-------|");
    println!("| icons                         | {} |", icons.len());
    println!("| shapes                        | {nodes} |");
    println!("| input SVG bytes               | {input_bytes} |");
    println!(
        "| write inputs (not timed)      | {:.0} ms |",
        write_time.as_secs_f64() * 1e3
    );
    println!(
        "| read + parse + normalise      | {:.0} ms |",
        parse_time.as_secs_f64() * 1e3
    );
    println!(
        "| generate Rust                 | {:.0} ms |",
        generate_time.as_secs_f64() * 1e3
    );
    println!(
        "| pipeline total                | {:.0} ms |",
        total.as_secs_f64() * 1e3
    );
    println!(
        "| per icon                      | {:.1} µs |",
        total.as_secs_f64() * 1e6 / icons.len().max(1) as f64
    );
    println!("| generated Rust bytes          | {} |", code.len());
    println!(
        "| peak memory (VmHWM)           | {} |",
        peak_memory().unwrap_or_else(|| "n/a (no /proc)".into())
    );
    Ok(())
}

/// A deterministic icon shaped like an SF Symbols export: a few filled paths with curves and arcs, a group
/// with editor metadata, colours to repaint and over-precise numbers to trim.
fn synthetic_svg(i: usize) -> String {
    let f = |k: usize| ((i * 7919 + k * 104_729) % 10_000) as f64 / 100.0;
    let mut paths = String::new();
    for p in 0..(2 + i % 4) {
        let k = p * 10;
        paths += &format!(
            "<path fill=\"#000000\" d=\"M {:.6} {:.6} C {:.6} {:.6} {:.6} {:.6} {:.6} {:.6} L {:.6} {:.6} \
             A 10.000000 10.000000 0 0 1 {:.6} {:.6} Q {:.6} {:.6} {:.6} {:.6} Z\"/>",
            f(k),
            f(k + 1),
            f(k + 2),
            f(k + 3),
            f(k + 4),
            f(k + 5),
            f(k + 6),
            f(k + 7),
            f(k + 8),
            f(k + 9),
            f(k + 10),
            f(k + 11),
            f(k + 12),
            f(k + 13),
            f(k + 14),
            f(k + 15),
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--Generator: icons-bench-->\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\" viewBox=\"0 0 100 100\">\
         <title>sym.{i}.fill</title><g id=\"Regular-M\" transform=\"translate(0.5 0.5)\">{paths}</g></svg>"
    )
}

/// Peak resident set size of this process (Linux).
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_string())
}
