//! `cargo xtask bench`'s server part: builds `ck-server` and `server-bench` (bench/) in release and
//! runs the bench, which drives the server with wrk against ceilings measured in the same run and
//! rewrites the server section of docs/bench.md.

use std::path::Path;

use anyhow::{bail, Result};

use crate::sh::{self, cmd};

/// `server-bench` arguments taken from `cargo xtask bench …`; `None` with `--embed-only`.
pub(crate) fn args(args: &mut Vec<String>) -> Result<Option<Vec<String>>> {
    let embed_only = crate::take_flag(args, "--embed-only");
    let mut out = Vec::new();
    let secs = match (
        crate::take_flag(args, "--quick"),
        crate::take_flag(args, "--long"),
        crate::take_value(args, "--secs")?,
    ) {
        (_, _, Some(s)) => Some(s),
        (true, false, None) => Some("2".into()),
        (false, true, None) => Some("15".into()),
        (true, true, None) => bail!("--quick or --long, not both"),
        (false, false, None) => None,
    };
    if let Some(s) = secs {
        out.extend(["--secs".into(), s]);
    }
    for flag in ["--only", "--conns"] {
        if let Some(v) = crate::take_value(args, flag)? {
            out.extend([flag.into(), v]);
        }
    }
    for flag in ["--no-write", "--perf"] {
        if crate::take_flag(args, flag) {
            out.push(flag.into());
        }
    }
    Ok((!embed_only).then_some(out))
}

/// Builds and runs the server bench.
pub(crate) fn run(root: &Path, target: &Path, args: &[String]) -> Result<()> {
    if !sh::on_path("wrk") || !(sh::on_path("nginx") || sh::on_path("/usr/sbin/nginx")) {
        bail!("the server bench needs wrk and nginx: run `cargo xtask setup`");
    }
    sh::run(
        cmd(
            "cargo",
            &[
                "build",
                "--quiet",
                "--release",
                "-p",
                "ck-server",
                "-p",
                "ck-bench",
            ],
        )
        .current_dir(root),
    )?;
    let bin = target.join("release/server-bench");
    let mut c = cmd(&bin.to_string_lossy(), &[]);
    c.args(args).current_dir(root);
    sh::run(&mut c)
}
