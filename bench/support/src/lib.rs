//! What every whole-process benchmark needs: the phiguard binary and the peer tools to run,
//! the CPU time its children used, the version of a peer tool, the machine's load, and the
//! median of rounds.

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

/// A peer tool: the flag, else `name` on PATH, in /usr/sbin or in /usr/bin; the error says
/// how to get it (`hint`, e.g. "Debian: `apt-get install -y lynis`").
pub fn locate_program(flag: Option<&Path>, name: &str, hint: &str) -> anyhow::Result<PathBuf> {
    if let Some(path) = flag {
        anyhow::ensure!(path.is_file(), "no {name} at {}", path.display());
        return Ok(path.to_owned());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .with_context(|| format!("{name} is not installed ({hint})"))
}

/// The 1, 5 and 15 minute load averages of /proc/loadavg, as it prints them ("?" if
/// unreadable): a benchmark reports them before and after, since other work may share the
/// machine.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_owned())
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
