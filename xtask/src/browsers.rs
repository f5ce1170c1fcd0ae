//! Proof that a test run leaves no browser behind.
//!
//! `cargo xtask test` gives every test command `CK_BROWSER_ROOT=<a fresh folder>`. Every process a
//! test starts inherits that variable (chromedriver, the Chromium browser process, its crash
//! handler, wasm-bindgen-test-runner's own driver and browser), and the e2e harness puts each
//! Chromium profile under that folder, so its zygote and renderers (which Chromium starts with a
//! cleared environment) name it on their command line. After the run, any live browser or driver
//! process that carries either mark, or descends from one that does, is a leak: the check kills it
//! and fails. Processes of other runs, other worktrees or the developer's own browser carry
//! neither mark and are never touched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use crate::sh::{self, cmd};

/// The variable the e2e harness (`ck-e2e`) reads to place its Chromium profiles.
pub(crate) const ROOT_ENV: &str = "CK_BROWSER_ROOT";

/// One test run's mark; the folder is removed on drop.
pub(crate) struct RunMark {
    dir: PathBuf,
}

impl RunMark {
    /// A fresh, empty folder under `target/browser-runs/`, named by this process id (unique among
    /// live processes, so two runs at once get two marks).
    pub(crate) fn new(target: &Path) -> Result<RunMark> {
        let dir = target
            .join("browser-runs")
            .join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(RunMark { dir })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Fails, after killing them, if browser or driver processes of this run are still alive.
    /// Gives processes that are shutting down a few seconds first.
    pub(crate) fn check(&self) -> Result<Option<String>> {
        if !Path::new("/proc/self/environ").exists() {
            return Ok(Some("no /proc on this system to look for processes".into()));
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut left = self.left();
        while !left.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            left = self.left();
        }
        if left.is_empty() {
            println!("no browser or driver process of this run is running");
            return Ok(None);
        }
        for p in &left {
            eprintln!("left running: {} {}", p.pid, p.command);
        }
        let pids: Vec<String> = left.iter().map(|p| p.pid.to_string()).collect();
        let mut args = vec!["-KILL"];
        args.extend(pids.iter().map(String::as_str));
        let _ = sh::run(&mut cmd("kill", &args));
        bail!(
            "{} browser/driver process(es) started by this run were still running (now killed): {}",
            left.len(),
            pids.join(" ")
        )
    }

    /// Live browser and driver processes of this run.
    fn left(&self) -> Vec<Process> {
        let env_mark = format!("{ROOT_ENV}={}", self.dir.display());
        let arg_mark = self.dir.display().to_string();
        let all = processes();
        let marked = |p: &Process| p.environ.contains(&env_mark) || p.command.contains(&arg_mark);
        let by_pid: HashMap<u32, &Process> = all.iter().map(|p| (p.pid, p)).collect();
        let ours = |p: &Process| {
            let mut at = Some(p);
            // Bounded: a parent chain is never longer than the process table.
            for _ in 0..all.len() {
                let Some(q) = at else { return false };
                if marked(q) {
                    return true;
                }
                at = by_pid
                    .get(&q.ppid)
                    .copied()
                    .filter(|parent| parent.pid != q.pid);
            }
            false
        };
        all.iter()
            .filter(|p| p.is_browser() && ours(p))
            .cloned()
            .collect()
    }
}

impl Drop for RunMark {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Clone)]
struct Process {
    pid: u32,
    ppid: u32,
    /// The kernel's short name (`chromium`, `chromedriver`, `chrome_crashpad`).
    name: String,
    /// Arguments joined by spaces.
    command: String,
    environ: Vec<String>,
}

impl Process {
    fn is_browser(&self) -> bool {
        ["chrom", "headless_shell", "firefox", "geckodriver"]
            .iter()
            .any(|n| self.name.contains(n))
    }
}

/// Every live (not zombie) process this user may read, from /proc.
fn processes() -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (name, ppid, state) = parse_stat(&stat)?;
            if state == 'Z' {
                // Exited; a zombie holds no memory and is its parent's (or init's) to reap.
                return None;
            }
            let read_nul = |file: &str| -> Vec<String> {
                std::fs::read(format!("/proc/{pid}/{file}"))
                    .unwrap_or_default()
                    .split(|&b| b == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            };
            Some(Process {
                pid,
                ppid,
                name,
                command: read_nul("cmdline").join(" "),
                environ: read_nul("environ"),
            })
        })
        .collect()
}

/// (name, parent pid, state) from `/proc/PID/stat`: `pid (name) state ppid …`; the name may
/// itself hold spaces and parentheses, so it ends at the last `)`.
fn parse_stat(stat: &str) -> Option<(String, u32, char)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?.to_string();
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((name, ppid, state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stat_lines_with_odd_names() {
        assert_eq!(
            parse_stat("4242 (chrome_crashpad) S 1 4241 4241 0 -1"),
            Some(("chrome_crashpad".into(), 1, 'S'))
        );
        assert_eq!(
            parse_stat("7 (a) (b) Z 3 7 7"),
            Some(("a) (b".into(), 3, 'Z'))
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn finds_a_marked_browser_and_its_children_only() {
        if !Path::new("/proc/self/environ").exists() {
            return;
        }
        let target = std::env::temp_dir().join(format!("ck-xtask-mark-{}", std::process::id()));
        let mark = RunMark::new(&target).expect("mark");
        assert!(mark.left().is_empty());
        // A stand-in browser: a copy of `sleep` named `chromium-probe` (the kernel's process name).
        let fake = target.join("chromium-probe");
        std::fs::copy("/bin/sleep", &fake).expect("copy sleep");
        let mut unmarked = std::process::Command::new(&fake)
            .arg("30")
            .env_remove(ROOT_ENV)
            .spawn()
            .expect("spawn");
        let mut marked = std::process::Command::new(&fake)
            .arg("30")
            .env(ROOT_ENV, mark.dir())
            .spawn()
            .expect("spawn");
        let left: Vec<u32> = mark.left().iter().map(|p| p.pid).collect();
        assert_eq!(left, [marked.id()]);
        assert!(
            mark.check().is_err(),
            "a live marked browser fails the check"
        );
        let _ = marked.wait();
        assert!(mark.left().is_empty(), "the check killed it");
        let _ = unmarked.kill();
        let _ = unmarked.wait();
        drop(mark);
        let _ = std::fs::remove_dir_all(&target);
    }
}
