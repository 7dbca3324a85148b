//! Host posture benchmark: `phiguard host check` beside Lynis, whole processes, on this
//! machine, the tools alternating in rounds (the median is reported).
//!
//! - `phiguard --home H host check --json`, H a fresh home made once with `phiguard --home H
//!   init` (untimed). Exit codes 0 and 1 are both normal (1: a finding fails). Counted: the
//!   checks run (`.checks`) and the findings (`.findings | length`, passes included). Each
//!   area is also run alone (`--only AREA`) once per round, so the time of the encryption
//!   area (TLS probing of the listening ports) is visible even when the JSON does not report
//!   the TLS probing time itself.
//! - `lynis audit system --quick --no-colors --log-file T/lynis.log --report-file T/report.dat`
//!   (everything in a temporary directory; nothing under /var/log). Counted: the tests
//!   performed (`lynis_tests_done=` in the report, checked against "Tests performed" on
//!   screen) and the findings (`warning[]` + `suggestion[]` in the report).
//!
//! CPU time is the children's user + system time from cutime/cstime in /proc/self/stat
//! (USER_HZ = 100), so Lynis's own children (grep, awk, …) are included.
//!
//! Target: `phiguard host check` under 3 s, excluding TLS handshake timeouts.
//!
//! ```sh
//! apt-get install -y lynis
//! cargo build --release -p phiguard -p phiguard-bench-host
//! target/release/phiguard-bench-host
//! ```

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use phiguard_bench_support::{children_cpu, locate_phiguard, median, version_line};
use serde_json::Value;

/// The target: seconds for a whole `phiguard host check`, TLS handshake timeouts excluded.
const TARGET_SECONDS: f64 = 3.0;
/// Listeners phiguard probes at once (`MAX_PARALLEL_PROBES` in
/// crates/host/src/encryption/in_transit/probe.rs).
const PROBE_PARALLELISM: usize = 8;

#[derive(Debug, Parser)]
#[command(about = "Benchmark `phiguard host check` against `lynis audit system`")]
struct Args {
    /// Rounds of each tool, alternating (the median is reported)
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// The phiguard binary [default: next to this benchmark's executable]
    #[arg(long, value_name = "PATH")]
    phiguard: Option<PathBuf>,
    /// The Lynis program [default: `lynis` on PATH, /usr/sbin or /usr/bin]
    #[arg(long, value_name = "PATH")]
    lynis: Option<PathBuf>,
    /// Skip the per-area runs of phiguard (`--only AREA`)
    #[arg(long)]
    no_areas: bool,
}

/// One timed child process.
#[derive(Debug, Clone, Copy)]
struct Run {
    wall: f64,
    cpu: f64,
    code: i32,
}

/// What one `phiguard host check --json` reported.
#[derive(Debug, Clone)]
struct PhiguardRun {
    run: Run,
    checks: u64,
    findings: u64,
    /// pass, fail, warn, not applicable, error.
    summary: [u64; 5],
    areas: Vec<String>,
    /// Seconds of TLS probing, when the JSON says.
    tls: Option<f64>,
    /// Listeners whose TLS probe ran into its time limit, and that limit in seconds.
    timeouts: (usize, f64),
}

/// What one `lynis audit system` reported.
#[derive(Debug, Clone)]
struct LynisRun {
    run: Run,
    /// `lynis_tests_done=` in the report file.
    tests: Option<u64>,
    /// "Tests performed : N" on screen.
    tests_screen: Option<u64>,
    warnings: u64,
    suggestions: u64,
    exceptions: u64,
}

/// CPU seconds (user + system) of all waited-for children so far.
/// The last lines of a file, for a failure message.
fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.trim().lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Runs `program args` with no stdin, stdout and stderr to `out` and `out.err`; fails unless
/// the exit code is in `ok`, so a failure is never reported as a result.
fn timed(program: &Path, args: &[OsString], out: &Path, ok: &[i32]) -> anyhow::Result<Run> {
    let err = out.with_extension("err");
    let what = format!("{} {}", program.display(), shell(args));
    let stdout = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let stderr = File::create(&err).with_context(|| format!("creating {}", err.display()))?;
    let cpu_before = children_cpu();
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .with_context(|| format!("could not start `{what}`"))?;
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu_before, children_cpu()) {
        (Some((user0, sys0)), Some((user1, sys1))) => (user1 + sys1) - (user0 + sys0),
        _ => f64::NAN,
    };
    let code = status
        .code()
        .with_context(|| format!("`{what}` was killed ({status}): {}", tail(&err)))?;
    anyhow::ensure!(
        ok.contains(&code),
        "`{what}` failed (exit code {code}): {}",
        tail(&err)
    );
    Ok(Run { wall, cpu, code })
}

fn shell(args: &[OsString]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first line a program prints for `arg` (stdout, else stderr).
/// A count that should be the same in every round: the value, or the range if it varied.
fn same(values: impl IntoIterator<Item = u64>) -> String {
    let values: Vec<u64> = values.into_iter().collect();
    match (values.iter().min(), values.iter().max()) {
        (Some(lo), Some(hi)) if lo == hi => lo.to_string(),
        (Some(lo), Some(hi)) => format!("{lo}–{hi}"),
        _ => "?".to_owned(),
    }
}

fn locate_lynis(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = flag {
        anyhow::ensure!(path.is_file(), "no Lynis at {}", path.display());
        return Ok(path.to_owned());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|dir| dir.join("lynis"))
        .find(|p| p.is_file())
        .context(
            "Lynis is not installed (Debian: `apt-get install -y lynis`), or give --lynis PATH",
        )
}

/// Seconds of TLS probing, if the JSON reports them: a number under a key that mentions TLS
/// (or probing), at the top level or in a `timings`/`timing`/`durations` object; `_ms` and
/// `_us` suffixes are converted.
fn tls_seconds(json: &Value) -> Option<f64> {
    let from = |object: &serde_json::Map<String, Value>| {
        object.iter().find_map(|(key, value)| {
            let key = key.to_ascii_lowercase();
            if !(key.contains("tls") || key.contains("probe")) {
                return None;
            }
            let n = value.as_f64()?;
            Some(if key.ends_with("_ms") || key.ends_with("millis") {
                n / 1e3
            } else if key.ends_with("_us") || key.ends_with("micros") {
                n / 1e6
            } else {
                n
            })
        })
    };
    let top = json.as_object()?;
    from(top).or_else(|| {
        ["timings", "timing", "durations"]
            .iter()
            .find_map(|k| top.get(*k)?.as_object().and_then(from))
    })
}

/// Listeners whose TLS probe waited out its time limit, from the encryption findings' messages
/// ("… did not answer a TLS ClientHello within 2 s", "… (limit 2 s)"), one per subject, and
/// the longest limit.
fn tls_timeouts(findings: &[Value]) -> (usize, f64) {
    let mut subjects: Vec<&str> = Vec::new();
    let mut limit: f64 = 0.0;
    for finding in findings {
        let check = finding["check"].as_str().unwrap_or_default();
        let message = finding["message"].as_str().unwrap_or_default();
        if !check.contains("encryption") {
            continue;
        }
        let waited = ["within ", "(limit "].iter().find_map(|marker| {
            let (_, after) = message.split_once(marker)?;
            let (number, rest) = after.split_once(' ')?;
            rest.starts_with('s').then(|| number.parse::<f64>().ok())?
        });
        if let Some(waited) = waited {
            limit = limit.max(waited);
            subjects.push(finding["subject"].as_str().unwrap_or_default());
        }
    }
    subjects.sort_unstable();
    subjects.dedup();
    (subjects.len(), limit)
}

/// The least time a run spent waiting on TLS probe time limits: phiguard probes
/// `PROBE_PARALLELISM` listeners at a time, so k timeouts of T seconds hold it at least
/// ⌈k / PROBE_PARALLELISM⌉ × T.
fn timeout_wait((count, limit): (usize, f64)) -> f64 {
    count.div_ceil(PROBE_PARALLELISM) as f64 * limit
}

fn phiguard_run(
    phiguard: &Path,
    home: &Path,
    only: Option<&str>,
    out: &Path,
) -> anyhow::Result<PhiguardRun> {
    let mut args: Vec<OsString> = vec![
        "--home".into(),
        home.into(),
        "host".into(),
        "check".into(),
        "--json".into(),
    ];
    if let Some(area) = only {
        args.extend(["--only".into(), area.into()]);
    }
    let run = timed(phiguard, &args, out, &[0, 1])?;
    let text = fs::read_to_string(out).with_context(|| format!("reading {}", out.display()))?;
    let json: Value = serde_json::from_str(&text)
        .with_context(|| format!("`phiguard host check --json` printed no JSON: {text:.300}"))?;
    let findings = json["findings"]
        .as_array()
        .context("the JSON has no `findings` array")?;
    let checks = json["checks"].as_u64().unwrap_or_else(|| {
        // Older shape: count the distinct checks that reported.
        let mut ids: Vec<&str> = findings
            .iter()
            .filter_map(|f| f["check"].as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len() as u64
    });
    let summary = ["pass", "fail", "warn", "not_applicable", "error"].map(|status| {
        json["summary"][status]
            .as_u64()
            .unwrap_or_else(|| findings.iter().filter(|f| f["status"] == status).count() as u64)
    });
    let areas = json["areas"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| Some(v.as_str()?.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Ok(PhiguardRun {
        run,
        checks,
        findings: findings.len() as u64,
        summary,
        areas,
        tls: tls_seconds(&json),
        timeouts: tls_timeouts(findings),
    })
}

fn lynis_run(lynis: &Path, scratch: &Path, round: usize) -> anyhow::Result<LynisRun> {
    let report = scratch.join(format!("lynis-report-{round}.dat"));
    let args: Vec<OsString> = vec![
        "audit".into(),
        "system".into(),
        "--quick".into(),
        "--no-colors".into(),
        "--log-file".into(),
        scratch.join(format!("lynis-{round}.log")).into(),
        "--report-file".into(),
        report.clone().into(),
    ];
    let out = scratch.join(format!("lynis-{round}.out"));
    // 78: `error-on-warnings=yes` in a profile and a warning found.
    let run = timed(lynis, &args, &out, &[0, 78])?;
    let report = fs::read_to_string(&report)
        .with_context(|| format!("Lynis wrote no report at {}", report.display()))?;
    let count = |prefix: &str| report.lines().filter(|l| l.starts_with(prefix)).count() as u64;
    let tests = report
        .lines()
        .find_map(|l| l.strip_prefix("lynis_tests_done=")?.trim().parse().ok());
    let tests_screen = fs::read_to_string(&out).ok().and_then(|screen| {
        screen.lines().find_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == "Tests performed").then(|| value.trim().parse().ok())?
        })
    });
    Ok(LynisRun {
        run,
        tests,
        tests_screen,
        warnings: count("warning[]="),
        suggestions: count("suggestion[]="),
        exceptions: count("exception_event[]="),
    })
}

fn seconds(s: f64) -> String {
    if s.is_nan() {
        "?".to_owned()
    } else if s < 10.0 {
        format!("{s:.2}")
    } else {
        format!("{s:.1}")
    }
}

fn ratio(theirs: f64, ours: f64) -> String {
    if ours > 0.0 && theirs.is_finite() {
        format!("{:.1}×", theirs / ours)
    } else {
        "?".to_owned()
    }
}

fn walls<'a>(runs: impl IntoIterator<Item = &'a Run>) -> String {
    runs.into_iter()
        .map(|r| seconds(r.wall))
        .collect::<Vec<_>>()
        .join(", ")
}

fn codes<'a>(runs: impl IntoIterator<Item = &'a Run>) -> String {
    let mut codes: Vec<i32> = runs.into_iter().map(|r| r.code).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_owned())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.rounds > 0, "--rounds must be at least 1");
    let phiguard = locate_phiguard(args.phiguard.as_deref())?;
    let lynis = locate_lynis(args.lynis.as_deref())?;
    let phiguard_version = version_line(&phiguard, "--version").unwrap_or_else(|| "?".into());
    let lynis_version = version_line(&lynis, "--version").unwrap_or_else(|| "?".into());
    let scratch = tempfile::Builder::new()
        .prefix("phiguard-bench-host-")
        .tempdir()
        .context("could not create a temporary directory")?;
    let home = scratch.path().join("home");

    // Untimed: the home, and whether this phiguard has `host check` at all.
    let init: Vec<OsString> = vec!["--home".into(), home.clone().into(), "init".into()];
    timed(&phiguard, &init, &scratch.path().join("init.out"), &[0])?;
    let help: Vec<OsString> = vec!["host".into(), "check".into(), "--help".into()];
    timed(&phiguard, &help, &scratch.path().join("help.out"), &[0]).with_context(|| {
        format!(
            "{} has no `host check` command; rebuild it (`cargo build --release -p phiguard`)",
            phiguard.display()
        )
    })?;

    let load_before = loadavg();
    let mut ours: Vec<PhiguardRun> = Vec::new();
    let mut theirs: Vec<LynisRun> = Vec::new();
    let mut areas: Vec<(String, Vec<PhiguardRun>)> = Vec::new();
    let bench_start = Instant::now();
    for round in 0..args.rounds {
        // Alternate which tool goes first, so neither always runs after the other.
        for first in [round % 2 == 0, round % 2 != 0] {
            if first {
                eprintln!("round {}: phiguard host check", round + 1);
                let out = scratch.path().join(format!("phiguard-{round}.json"));
                let run = phiguard_run(&phiguard, &home, None, &out)?;
                if areas.is_empty() && !args.no_areas {
                    areas = run.areas.iter().map(|a| (a.clone(), Vec::new())).collect();
                }
                ours.push(run);
                for (area, runs) in &mut areas {
                    let out = scratch.path().join(format!("phiguard-{area}-{round}.json"));
                    runs.push(phiguard_run(&phiguard, &home, Some(area), &out)?);
                }
            } else {
                eprintln!("round {}: lynis audit system (about a minute)", round + 1);
                theirs.push(lynis_run(&lynis, scratch.path(), round)?);
            }
        }
    }
    let elapsed = bench_start.elapsed().as_secs_f64();
    let load_after = loadavg();

    let our_wall = median(ours.iter().map(|r| r.run.wall));
    let their_wall = median(theirs.iter().map(|r| r.run.wall));
    let our_cpu = median(ours.iter().map(|r| r.run.cpu));
    let their_cpu = median(theirs.iter().map(|r| r.run.cpu));
    let our_findings = {
        let s = |i: usize| median(ours.iter().map(|r| r.summary[i] as f64));
        format!(
            "{} ({} pass, {} fail, {} warn, {} n/a, {} error)",
            same(ours.iter().map(|r| r.findings)),
            s(0),
            s(1),
            s(2),
            s(3),
            s(4)
        )
    };
    let their_tests = same(
        theirs
            .iter()
            .map(|r| r.tests.or(r.tests_screen).unwrap_or(0)),
    );
    let their_findings = format!(
        "{} ({} warnings, {} suggestions)",
        same(theirs.iter().map(|r| r.warnings + r.suggestions)),
        same(theirs.iter().map(|r| r.warnings)),
        same(theirs.iter().map(|r| r.suggestions)),
    );

    println!("# phiguard host check vs Lynis\n");
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "Linux {}, {cpus} logical CPUs; load average {load_before} before, {load_after} after; \
         rounds: {}, tools alternating, {:.0} s in all.\n",
        kernel.trim(),
        args.rounds,
        elapsed
    );
    println!(
        "| tool | wall s (median) | CPU s (user + sys, median) | checks/tests run | findings | rounds |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| phiguard host check | {} | {} | {} | {our_findings} | {} |",
        seconds(our_wall),
        seconds(our_cpu),
        same(ours.iter().map(|r| r.checks)),
        ours.len()
    );
    println!(
        "| lynis audit system | {} | {} | {their_tests} | {their_findings} | {} |",
        seconds(their_wall),
        seconds(their_cpu),
        theirs.len()
    );
    println!(
        "\nLynis ÷ phiguard: **{}** wall time, {} CPU time.",
        ratio(their_wall, our_wall),
        ratio(their_cpu, our_cpu)
    );

    // The target excludes TLS handshake timeouts; only the JSON can say how long they took.
    let tls: Vec<f64> = ours.iter().filter_map(|r| r.tls).collect();
    let (judged, how) = if tls.len() == ours.len() {
        (
            median(ours.iter().map(|r| r.run.wall - r.tls.unwrap_or(0.0))),
            format!(
                "wall minus the TLS probing time the JSON reports, median {} s",
                seconds(median(tls.iter().copied()))
            ),
        )
    } else if ours.iter().any(|r| r.timeouts.0 > 0) {
        (
            median(ours.iter().map(|r| r.run.wall - timeout_wait(r.timeouts))),
            format!(
                "the JSON does not report the TLS probing time; wall minus the least time spent \
                 waiting on probe time limits, estimated from the findings: {} listeners did \
                 not answer within {} s, probed {PROBE_PARALLELISM} at a time, so ≥ {} s of \
                 waiting; whole wall time median {} s",
                same(ours.iter().map(|r| r.timeouts.0 as u64)),
                median(ours.iter().map(|r| r.timeouts.1)),
                seconds(median(ours.iter().map(|r| timeout_wait(r.timeouts)))),
                seconds(our_wall)
            ),
        )
    } else {
        (
            our_wall,
            "whole wall time: no TLS probe ran into its time limit (per the findings), and \
             the JSON does not report the TLS probing time"
                .to_owned(),
        )
    };
    println!(
        "\nphiguard host check under {TARGET_SECONDS:.0} s, excluding TLS handshake timeouts: \
         **{}** (median {} s; {how})",
        if judged < TARGET_SECONDS {
            "met"
        } else {
            "not met"
        },
        seconds(judged)
    );

    if !areas.is_empty() {
        println!("\n## phiguard by area (`--only AREA`, one run per round, median)\n");
        println!("| area | wall s | CPU s | checks | findings | exit codes |");
        println!("|---|---|---|---|---|---|");
        for (area, runs) in &areas {
            println!(
                "| {area} | {} | {} | {} | {} | {} |",
                seconds(median(runs.iter().map(|r| r.run.wall))),
                seconds(median(runs.iter().map(|r| r.run.cpu))),
                same(runs.iter().map(|r| r.checks)),
                same(runs.iter().map(|r| r.findings)),
                codes(runs.iter().map(|r| &r.run)),
            );
        }
        println!(
            "\nThe areas' sum is more than the whole run: each run also opens the home, reads \
             the configuration and records its findings in the store and the ledger."
        );
    }

    println!("\n## Notes\n");
    println!(
        "- {phiguard_version} (`{}`): `phiguard --home H host check --json`, H made once with \
         `phiguard --home H init` (untimed) and kept for every round, so each run adds a check \
         run and a ledger entry to it. Exit codes seen: {} (1 = some finding fails). Wall per \
         round: {} s.",
        phiguard.display(),
        codes(ours.iter().map(|r| &r.run)),
        walls(ours.iter().map(|r| &r.run))
    );
    println!(
        "- Lynis {lynis_version} (`{}`): `lynis audit system --quick --no-colors --log-file \
         T/lynis-N.log --report-file T/lynis-report-N.dat`, T a temporary directory. Exit codes \
         seen: {}. Wall per round: {} s.",
        lynis.display(),
        codes(theirs.iter().map(|r| &r.run)),
        walls(theirs.iter().map(|r| &r.run))
    );
    let screen = theirs
        .iter()
        .map(|r| r.tests_screen.map_or("?".to_owned(), |n| n.to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "- Lynis tests run: `lynis_tests_done=` in its report file ({their_tests}); \"Tests \
         performed\" on its screen: {screen}. Its findings are the report's `warning[]` and \
         `suggestion[]` lines; phiguard's are every finding, passes included, so the two \
         findings columns count different things. Lynis also recorded {} exception events \
         (`exception_event[]`: its own internal errors).",
        same(theirs.iter().map(|r| r.exceptions))
    );
    println!(
        "- The log goes to the temporary directory with `--log-file` rather than being \
         dropped with `--no-log`: Lynis writes its log in a normal run, and with `--no-log` \
         its screen summary (which reads the warnings back from the log) says \"no \
         warnings\" whatever it found."
    );
    if tls.is_empty() {
        println!(
            "- TLS probing time: not reported by `phiguard host check --json`; the encryption \
             area's time above includes it (and the at-rest checks). Probe timeouts are \
             recognised by the wording of the encryption findings (\"within N s\", \"limit N \
             s\"), so a change of wording would hide them."
        );
    } else {
        println!(
            "- TLS probing time (from the JSON), per round: {} s.",
            tls.iter()
                .map(|t| seconds(*t))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "- CPU time: cutime + cstime of /proc/self/stat before and after each child (all its \
         waited-for descendants, 10 ms resolution). Run as uid {}; other builds may share the \
         machine (see the load averages).",
        fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| s.lines().find_map(|l| l
                .strip_prefix("Uid:")?
                .split_whitespace()
                .next()
                .map(str::to_owned)))
            .unwrap_or_else(|| "?".to_owned())
    );
    Ok(())
}
