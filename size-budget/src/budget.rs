use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::measure::{measure, Sizes};

/// Which transfer size a budget limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Bytes on disk.
    Raw,
    /// gzip as served: zopfli-compressed, like the `.gz` files `dist` writes.
    Gzip,
    /// brotli quality 11.
    Brotli,
    /// Plain gzip at level 9 (`gzip -9`), what a CDN compressing on the fly sends.
    #[serde(rename = "gzip-9")]
    Gzip9,
}

impl Compression {
    fn pick_delta(self, d: Delta) -> i64 {
        match self {
            Compression::Raw => d.raw,
            Compression::Gzip => d.gzip,
            Compression::Brotli => d.brotli,
            Compression::Gzip9 => d.gzip9,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Compression::Raw => "raw",
            Compression::Gzip => "gzip",
            Compression::Brotli => "brotli",
            Compression::Gzip9 => "gzip -9",
        }
    }
}

/// One or several path globs.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Globs {
    One(String),
    Many(Vec<String>),
}

impl Globs {
    fn list(&self) -> Vec<&str> {
        match self {
            Globs::One(g) => vec![g.as_str()],
            Globs::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    name: String,
    path: Globs,
    #[serde(default)]
    minus: Option<Globs>,
    compression: Compression,
    limit: String,
    #[serde(default)]
    aim: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    budgets: Vec<RawBudget>,
}

/// One budget line: the files it sums, an optional baseline it subtracts, and its limit.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Name shown in the table and in failure messages.
    pub name: String,
    /// Globs (relative to the budgets file) whose files are measured one by one and summed.
    pub paths: Vec<String>,
    /// Globs of a baseline build whose sum is subtracted: this is how a widget's increment is
    /// budgeted (runtime+widget build minus bare runtime build).
    pub minus: Vec<String>,
    /// Which size the limit applies to.
    pub compression: Compression,
    /// Limit in bytes (1 KB = 1,000 B).
    pub limit: u64,
    /// Optional aim in bytes, reported but not enforced (e.g. one TCP initial window, 14,600 B).
    pub aim: Option<u64>,
}

/// A parsed budgets file.
#[derive(Debug, Clone)]
pub struct BudgetFile {
    /// Directory the globs are relative to (the budgets file's directory).
    pub base: PathBuf,
    /// Budgets in file order.
    pub budgets: Vec<Budget>,
}

/// Parses "1.5 KB", "28 kB", "14600 B", "2 MB" into bytes, counting 1 KB as 1,000 B.
pub(crate) fn parse_limit(s: &str) -> Result<u64> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .with_context(|| format!("limit {s:?}: expected a number like \"1.5 KB\""))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        other => bail!("limit {s:?}: unknown unit {other:?} (use B, KB or MB)"),
    };
    Ok((n * mult).round() as u64)
}

impl BudgetFile {
    /// Reads and parses a budgets file; globs resolve against its directory.
    pub fn load(path: &Path) -> Result<BudgetFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading budgets file {}", path.display()))?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        BudgetFile::parse(&text, base).with_context(|| format!("in {}", path.display()))
    }

    /// Parses budgets JSON: `{"budgets":[{"name","path","minus"?,"compression","limit","aim"?}]}`.
    pub fn parse(text: &str, base: PathBuf) -> Result<BudgetFile> {
        let raw: RawFile = serde_json::from_str(text).context("budgets JSON")?;
        let budgets = raw
            .budgets
            .into_iter()
            .map(|b| {
                Ok(Budget {
                    limit: parse_limit(&b.limit).with_context(|| format!("budget {:?}", b.name))?,
                    aim: b
                        .aim
                        .as_deref()
                        .map(parse_limit)
                        .transpose()
                        .with_context(|| format!("budget {:?}", b.name))?,
                    paths: b.path.list().into_iter().map(String::from).collect(),
                    minus: b
                        .minus
                        .map(|m| m.list().into_iter().map(String::from).collect())
                        .unwrap_or_default(),
                    compression: b.compression,
                    name: b.name,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(BudgetFile { base, budgets })
    }
}

/// Signed sizes, for increments between two builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Delta {
    raw: i64,
    gzip: i64,
    brotli: i64,
    gzip9: i64,
}

impl Delta {
    fn of(plus: Sizes, minus: Sizes) -> Delta {
        Delta {
            raw: plus.raw as i64 - minus.raw as i64,
            gzip: plus.gzip as i64 - minus.gzip as i64,
            brotli: plus.brotli as i64 - minus.brotli as i64,
            gzip9: plus.gzip9 as i64 - minus.gzip9 as i64,
        }
    }
}

/// One measured budget.
#[derive(Debug, Clone)]
pub struct Row {
    /// The budget's name.
    pub name: String,
    /// Each measured file (display path, sizes); baseline files are listed with a leading "− ".
    pub files: Vec<(String, Sizes)>,
    /// Total raw bytes (minus the baseline, if any).
    pub raw: i64,
    /// Total gzip bytes (minus the baseline, if any).
    pub gzip: i64,
    /// Total brotli bytes (minus the baseline, if any).
    pub brotli: i64,
    /// Total plain gzip -9 bytes (minus the baseline, if any).
    pub gzip9: i64,
    /// Which size is limited.
    pub compression: Compression,
    /// Limit in bytes.
    pub limit: u64,
    /// Optional aim in bytes.
    pub aim: Option<u64>,
}

impl Row {
    /// The limited size.
    pub fn measured(&self) -> i64 {
        self.compression.pick_delta(Delta {
            raw: self.raw,
            gzip: self.gzip,
            brotli: self.brotli,
            gzip9: self.gzip9,
        })
    }

    /// Limit minus measured; negative when over budget.
    pub fn headroom(&self) -> i64 {
        self.limit as i64 - self.measured()
    }

    /// True when the budget is exceeded.
    pub fn over(&self) -> bool {
        self.headroom() < 0
    }
}

/// The result of checking every budget.
#[derive(Debug, Clone)]
pub struct Report {
    /// One row per budget, in file order.
    pub rows: Vec<Row>,
}

fn expand(base: &Path, globs: &[String], budget: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for g in globs {
        let pattern = base.join(g);
        let pattern = pattern.to_string_lossy();
        let mut found: Vec<PathBuf> = glob::glob(&pattern)
            .with_context(|| format!("budget {budget:?}: bad glob {g:?}"))?
            .filter_map(|p| p.ok())
            .filter(|p| p.is_file())
            .collect();
        if found.is_empty() {
            bail!("budget {budget:?}: no file matches {g:?} (under {}); build first (cargo xtask dist)", base.display());
        }
        found.sort();
        out.extend(found);
    }
    out.dedup();
    Ok(out)
}

fn display(base: &Path, p: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}

/// Measures every budget of `file`. Errors only when a glob matches nothing or a file is
/// unreadable; overshoots are reported through [`Report::failures`].
pub fn check(file: &BudgetFile) -> Result<Report> {
    let mut rows = Vec::new();
    for b in &file.budgets {
        let mut files = Vec::new();
        let mut plus = Sizes::default();
        for p in expand(&file.base, &b.paths, &b.name)? {
            let data = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
            let s = measure(&data);
            plus = plus + s;
            files.push((display(&file.base, &p), s));
        }
        let mut minus = Sizes::default();
        if !b.minus.is_empty() {
            for p in expand(&file.base, &b.minus, &b.name)? {
                let data = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
                let s = measure(&data);
                minus = minus + s;
                files.push((format!("− {}", display(&file.base, &p)), s));
            }
        }
        let d = Delta::of(plus, minus);
        rows.push(Row {
            name: b.name.clone(),
            files,
            raw: d.raw,
            gzip: d.gzip,
            brotli: d.brotli,
            gzip9: d.gzip9,
            compression: b.compression,
            limit: b.limit,
            aim: b.aim,
        });
    }
    Ok(Report { rows })
}

/// Formats a byte count with thousands separators: 14600 -> "14,600".
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

impl Report {
    /// One message per exceeded budget, naming the files and the overshoot.
    pub fn failures(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.over())
            .map(|r| {
                let mut files = String::new();
                for (f, _) in &r.files {
                    if let Some(minus) = f.strip_prefix("− ") {
                        files.push_str(" − ");
                        files.push_str(minus);
                    } else {
                        if !files.is_empty() {
                            files.push_str(" + ");
                        }
                        files.push_str(f);
                    }
                }
                format!(
                    "{} ({}) is {} B over its {} {} limit: {} B > {} B",
                    r.name,
                    files,
                    thousands(-r.headroom()),
                    kb(r.limit),
                    r.compression.label(),
                    thousands(r.measured()),
                    thousands(r.limit as i64),
                )
            })
            .collect()
    }

    /// The table: file, raw, gzip, brotli, gzip -9, limit, headroom; then the distance of each budget
    /// with an aim (e.g. the 14,600 B TCP initial window) to that aim.
    pub fn table(&self) -> String {
        let mut lines: Vec<[String; 7]> = vec![[
            "file".into(),
            "raw".into(),
            "gzip".into(),
            "brotli".into(),
            "gzip -9".into(),
            "limit".into(),
            "headroom".into(),
        ]];
        for r in &self.rows {
            let name = if r.files.len() == 1 {
                format!("{} ({})", r.name, r.files[0].0)
            } else {
                r.name.clone()
            };
            lines.push([
                name,
                thousands(r.raw),
                thousands(r.gzip),
                thousands(r.brotli),
                thousands(r.gzip9),
                format!("{} {}", kb(r.limit), r.compression.label()),
                format!(
                    "{}{}",
                    thousands(r.headroom()),
                    if r.over() { "  OVER" } else { "" }
                ),
            ]);
            if r.files.len() > 1 {
                for (f, s) in &r.files {
                    lines.push([
                        format!("  {f}"),
                        thousands(s.raw as i64),
                        thousands(s.gzip as i64),
                        thousands(s.brotli as i64),
                        thousands(s.gzip9 as i64),
                        String::new(),
                        String::new(),
                    ]);
                }
            }
        }
        let mut widths = [0usize; 7];
        for l in &lines {
            for (w, c) in widths.iter_mut().zip(l) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        for (i, l) in lines.iter().enumerate() {
            let mut line = String::new();
            for (j, c) in l.iter().enumerate() {
                let pad = widths[j] - c.chars().count();
                if j == 0 {
                    line.push_str(c);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str("  ");
                    line.push_str(&" ".repeat(pad));
                    line.push_str(c);
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
            if i == 0 {
                let total: usize = widths.iter().sum::<usize>() + 2 * 6;
                let _ = writeln!(out, "{}", "-".repeat(total));
            }
        }
        out.push_str("(bytes; limits count 1 KB = 1,000 B)\n");
        for r in &self.rows {
            if let Some(aim) = r.aim {
                let d = aim as i64 - r.measured();
                let _ = writeln!(
                    out,
                    "{}: {} B {} is {} B {} the {} B aim",
                    r.name,
                    thousands(r.measured()),
                    r.compression.label(),
                    thousands(d.abs()),
                    if d >= 0 { "under" } else { "over" },
                    thousands(aim as i64),
                );
            }
        }
        out
    }
}

/// "1500" -> "1.5 KB".
fn kb(bytes: u64) -> String {
    let k = bytes as f64 / 1000.0;
    let s = format!("{k:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s} KB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_kilobytes_as_thousands() {
        assert_eq!(parse_limit("1.5 KB").unwrap(), 1500);
        assert_eq!(parse_limit("28 kB").unwrap(), 28_000);
        assert_eq!(parse_limit("14600 B").unwrap(), 14_600);
        assert_eq!(parse_limit("14600").unwrap(), 14_600);
        assert_eq!(parse_limit("0.5MB").unwrap(), 500_000);
        assert!(parse_limit("12 KiB").is_err());
        assert!(parse_limit("KB").is_err());
    }

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(thousands(14_600), "14,600");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(kb(1500), "1.5 KB");
        assert_eq!(kb(28_000), "28 KB");
        assert_eq!(kb(14_600), "14.6 KB");
    }

    #[test]
    fn parses_single_and_multi_path_budgets() {
        let f = BudgetFile::parse(
            r#"{"budgets":[
                {"name":"loader","path":"a.js","compression":"gzip","limit":"1.5 KB"},
                {"name":"all","path":["a.js","b.wasm"],"minus":"c.wasm","compression":"brotli","limit":"28 KB","aim":"14600 B"},
                {"name":"cdn","path":"a.js","compression":"gzip-9","limit":"25000 B"}
            ]}"#,
            PathBuf::from("/x"),
        )
        .unwrap();
        assert_eq!(f.budgets.len(), 3);
        assert_eq!(f.budgets[2].compression, Compression::Gzip9);
        assert_eq!(f.budgets[0].paths, ["a.js"]);
        assert_eq!(f.budgets[0].limit, 1500);
        assert_eq!(f.budgets[1].paths, ["a.js", "b.wasm"]);
        assert_eq!(f.budgets[1].minus, ["c.wasm"]);
        assert_eq!(f.budgets[1].compression, Compression::Brotli);
        assert_eq!(f.budgets[1].aim, Some(14_600));
    }

    #[test]
    fn rejects_unknown_keys_and_compressions() {
        let bad_key = r#"{"budgets":[{"name":"x","path":"a","compression":"gzip","limit":"1 KB","limt":"2"}]}"#;
        assert!(BudgetFile::parse(bad_key, PathBuf::new()).is_err());
        let bad_comp =
            r#"{"budgets":[{"name":"x","path":"a","compression":"zstd","limit":"1 KB"}]}"#;
        assert!(BudgetFile::parse(bad_comp, PathBuf::new()).is_err());
    }
}
