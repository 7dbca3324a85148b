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
use std::path::Path;
use std::time::Instant;

use clap::Parser;
use phiguard_bench_support::{
    LynisArgs, LynisRun, PROBE_PARALLELISM, Run, codes, cpu_note, json_array, json_strings,
    load_average, lynis_note, lynis_run, machine_line, median, phiguard_json, ratio,
    require_command, same, seconds, status_counts, timed, timeout_wait, tls_timeouts, walls,
};
use serde_json::Value;

/// The target: seconds for a whole `phiguard host check`, TLS handshake timeouts excluded.
const TARGET_SECONDS: f64 = 3.0;

#[derive(Debug, Parser)]
#[command(about = "Benchmark `phiguard host check` against `lynis audit system`")]
struct Args {
    #[command(flatten)]
    common: LynisArgs,
    /// Skip the per-area runs of phiguard (`--only AREA`)
    #[arg(long)]
    no_areas: bool,
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
    let (run, json) = phiguard_json(phiguard, &args, out, "phiguard host check --json")?;
    let findings = json_array(&json, "findings")?;
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
    let statuses = ["pass", "fail", "warn", "not_applicable", "error"];
    let summary = status_counts(&json, statuses, findings, false);
    Ok(PhiguardRun {
        run,
        checks,
        findings: findings.len() as u64,
        summary,
        areas: json_strings(&json, "areas"),
        tls: tls_seconds(&json),
        timeouts: tls_timeouts(findings),
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bench = args.common.prepare("phiguard-bench-host-")?;
    let (phiguard, lynis) = (&bench.phiguard, &bench.lynis);
    let scratch = bench.scratch.path();
    let home = scratch.join("home");

    // Untimed: the home, and whether this phiguard has `host check` at all.
    let init: Vec<OsString> = vec!["--home".into(), home.clone().into(), "init".into()];
    timed(phiguard, &init, &scratch.join("init.out"), &[0])?;
    require_command(phiguard, &["host", "check"], scratch)?;

    let load_before = load_average();
    let mut ours: Vec<PhiguardRun> = Vec::new();
    let mut theirs: Vec<LynisRun> = Vec::new();
    let mut areas: Vec<(String, Vec<PhiguardRun>)> = Vec::new();
    let bench_start = Instant::now();
    for round in 0..args.common.rounds {
        // Alternate which tool goes first, so neither always runs after the other.
        for first in [round % 2 == 0, round % 2 != 0] {
            if first {
                eprintln!("round {}: phiguard host check", round + 1);
                let out = scratch.join(format!("phiguard-{round}.json"));
                let run = phiguard_run(phiguard, &home, None, &out)?;
                if areas.is_empty() && !args.no_areas {
                    areas = run.areas.iter().map(|a| (a.clone(), Vec::new())).collect();
                }
                ours.push(run);
                for (area, runs) in &mut areas {
                    let out = scratch.join(format!("phiguard-{area}-{round}.json"));
                    runs.push(phiguard_run(phiguard, &home, Some(area), &out)?);
                }
            } else {
                eprintln!("round {}: lynis audit system (about a minute)", round + 1);
                theirs.push(lynis_run(lynis, scratch, round)?);
            }
        }
    }
    let elapsed = bench_start.elapsed().as_secs_f64();
    let load_after = load_average();

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
    let their_tests = same(theirs.iter().map(|r| r.tests_run().unwrap_or(0)));
    let their_findings = format!(
        "{} ({} warnings, {} suggestions)",
        same(theirs.iter().map(|r| r.warnings + r.suggestions)),
        same(theirs.iter().map(|r| r.warnings)),
        same(theirs.iter().map(|r| r.suggestions)),
    );

    println!("# phiguard host check vs Lynis\n");
    let machine = machine_line(
        false,
        &load_before,
        &load_after,
        args.common.rounds,
        elapsed,
    );
    println!("{machine}\n");
    println!(
        "| tool | wall s (median) | CPU s (user + sys, median) | checks/tests run | findings | rounds |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| `phiguard host check` | {} | {} | {} | {our_findings} | {} |",
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
        "\n`phiguard host check` under {TARGET_SECONDS:.0} s, excluding TLS handshake timeouts: \
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
        "- {} (`{}`): `phiguard --home H host check --json`, H made once with \
         `phiguard --home H init` (untimed) and kept for every round, so each run adds a check \
         run and a ledger entry to it. Exit codes seen: {} (1 = some finding fails). Wall per \
         round: {} s.",
        bench.phiguard_version,
        phiguard.display(),
        codes(ours.iter().map(|r| &r.run)),
        walls(ours.iter().map(|r| &r.run))
    );
    println!("{}", lynis_note(&bench.lynis_version, lynis, &theirs));
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
    println!("{}", cpu_note(true));
    Ok(())
}
