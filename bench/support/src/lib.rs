//! What every whole-process benchmark needs: the phiguard binary to run, the CPU time its
//! children used, the version of a peer tool, and the median of rounds.

use std::borrow::Borrow;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

/// The phiguard binary: the flag, else the one next to this benchmark's executable (both are
/// built into the same target directory).
pub fn locate_phiguard(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match flag {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()
            .context("could not find this benchmark's executable")?
            .parent()
            .context("this benchmark's executable has no directory")?
            .join("phiguard"),
    };
    anyhow::ensure!(
        path.is_file(),
        "no phiguard binary at {}; build it first with `cargo build --release -p phiguard` \
         (or give --phiguard PATH)",
        path.display()
    );
    Ok(path)
}

/// User and system CPU seconds of every child this process has waited for (cutime and
/// cstime of /proc/self/stat). A tool's time is the difference before and after it ran.
pub fn children_cpu() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 16 and 17 (cutime, cstime); `rest` starts at field 3.
    let user: f64 = fields.get(13)?.parse().ok()?;
    let sys: f64 = fields.get(14)?.parse().ok()?;
    Some((user / 100.0, sys / 100.0))
}

/// The first line `program arg` prints (stdout, else stderr), if it succeeds.
pub fn version_line(program: &Path, arg: &str) -> Option<String> {
    let output = Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = if output.stdout.is_empty() {
        output.stderr
    } else {
        output.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

/// The median of `values` (a slice or an iterator of seconds, rates…); NaN for none.
pub fn median<T: Borrow<f64>>(values: impl IntoIterator<Item = T>) -> f64 {
    let mut sorted: Vec<f64> = values.into_iter().map(|v| *v.borrow()).collect();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}
