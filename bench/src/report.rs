//! Tables, the machine's name, and the server section of docs/bench.md.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::Opts;

/// A markdown table.
pub(crate) struct Table {
    pub(crate) head: Vec<&'static str>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(head: &[&'static str]) -> Table {
        Table {
            head: head.to_vec(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn markdown(&self) -> String {
        let mut s = format!("| {} |\n|", self.head.join(" | "));
        for (i, _) in self.head.iter().enumerate() {
            // Text in the first column(s), numbers right-aligned.
            s.push_str(if i == 0 { "---|" } else { "---:|" });
        }
        s.push('\n');
        for r in &self.rows {
            s.push_str(&format!("| {} |\n", r.join(" | ")));
        }
        s
    }
}

/// One titled part of the report: what it measures, its tables and what was checked.
pub(crate) struct Section {
    pub(crate) title: &'static str,
    pub(crate) about: String,
    pub(crate) tables: Vec<Table>,
    pub(crate) notes: Vec<String>,
    /// A profile to show verbatim (`--perf`).
    pub(crate) profile: Option<String>,
}

impl Section {
    pub(crate) fn markdown(&self) -> String {
        let mut s = format!("### {}\n\n{}\n\n", self.title, self.about);
        for t in &self.tables {
            s.push_str(&t.markdown());
            s.push('\n');
        }
        for n in &self.notes {
            s.push_str(&format!("- {n}\n"));
        }
        if !self.notes.is_empty() {
            s.push('\n');
        }
        if let Some(p) = &self.profile {
            s.push_str(&format!(
                "`perf record -g` of the server during the one-token run, self time by symbol:\n\n```text\n{p}\n```\n\n"
            ));
        }
        s
    }

    /// Prints the section as it is measured (the tables are readable as plain text).
    pub(crate) fn print(&self) {
        println!("{}", self.markdown());
    }
}

/// Requests per second, thousands separated.
pub(crate) fn rps(v: f64) -> String {
    int(v.round() as u64)
}

pub(crate) fn int(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(crate) fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.0}")
    }
}

pub(crate) fn ratio(v: f64, ceiling: f64) -> String {
    if ceiling > 0.0 {
        format!("{:.2}×", v / ceiling)
    } else {
        "–".into()
    }
}

/// `uname -a`, core count, CPU model and the load average when the run started.
pub(crate) fn machine() -> String {
    let uname = std::process::Command::new("uname")
        .arg("-a")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "unknown".into());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "?".into());
    format!("Machine: `{uname}`; {cores} cores (nproc); {model}; load average {load} at the start.")
}

const START: &str = "<!-- server-bench:start -->";
const END: &str = "<!-- server-bench:end -->";

/// The generated part of docs/bench.md.
pub(crate) fn document(machine: &str, opts: &Opts, sections: &[Section], took: u64) -> String {
    let mut s = format!(
        "{machine}\n\n`server-bench` (bench/src): {} s per wrk run, `wrk -t1 -c{}` on loopback, \
         release builds, whole run {took} s.\n\n",
        opts.secs, opts.conns
    );
    for sec in sections {
        s.push_str(&sec.markdown());
    }
    s
}

/// Replaces the text between the server markers of docs/bench.md (appending a section with the
/// markers when the file has none).
pub(crate) fn write_docs(generated: &str) -> Result<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("bench/ has a parent")?
        .join("docs/bench.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let block = format!("{START}\n{generated}{END}");
    let new = match (old.find(START), old.find(END)) {
        (Some(a), Some(b)) if a < b => format!("{}{block}{}", &old[..a], &old[b + END.len()..]),
        _ => format!("{old}\n# Server bench\n\n{block}\n"),
    };
    std::fs::write(&path, new)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(int(999), "999");
        assert_eq!(rps(43_880.6), "43,881");
        assert_eq!(ms(0.654), "0.65");
        assert_eq!(ms(123.4), "123");
        assert_eq!(ratio(44.0, 140.0), "0.31×");
        assert_eq!(ratio(1.0, 0.0), "–");
    }

    #[test]
    fn tables_are_markdown() {
        let mut t = Table::new(&["a", "b"]);
        t.row(vec!["x".into(), "1".into()]);
        assert_eq!(t.markdown(), "| a | b |\n|---|---:|\n| x | 1 |\n");
    }
}
