//! Assessment benchmark: `phiguard assess` (FIM excluded) beside Lynis, and OpenSCAP when it is
//! installed, whole processes, on this machine, the tools alternating in rounds (the median is
//! reported).
//!
//! - `phiguard --home H1 assess --skip fim --json`, H1 a fresh home made once with `phiguard
//!   --home H1 init -q` (untimed).
//! - `phiguard --home H2 assess --skip fim --json`, H2 seeded once by `phiguard --home H2 demo`
//!   (untimed): a full register, a responsibility matrix and attestations. The demo points
//!   H2's FIM rules at a sample tree, which is why FIM is skipped here too.
//! - `phiguard --home H2 assess --skip fim --html T/report.html --oscal T/results.json --json`:
//!   the same with both reports written (and the OSCAL plan of action beside them).
//! - `assess --skip fim,host --json` on H1 and on H2, so the share of the host checks (whose
//!   TLS probes of local listeners that never answer wait up to their time limit) is visible:
//!   it is the whole run less this one.
//! - `lynis audit system --quick --no-colors --log-file T/lynis-N.log --report-file
//!   T/lynis-report-N.dat`, exactly as bench/host runs it (nothing under /var/log).
//! - Optional, when `oscap` and Debian's SCAP Security Guide content (`ssg-debian`) are
//!   installed: `oscap xccdf eval --profile P --results T/oscap-N.xml CONTENT`. Debian ships
//!   content for older releases only (bookworm's ssg-debian has Debian 10 and 11); when the
//!   content is for another release than this machine, a copy whose platform check also accepts
//!   this release is made (untimed), or every rule would be "notapplicable".
//!
//! Counted: phiguard's controls assessed (`.controls | length`) and their statuses
//! (`.summary`), the ledger size its checkpoint names; Lynis's tests performed
//! (`lynis_tests_done=`) and its warnings and suggestions; OpenSCAP's rules evaluated (its
//! `Result` lines) by result. Wall time, and CPU time as the children's user + system time
//! from cutime/cstime in /proc/self/stat (USER_HZ = 100), so Lynis's own children count.
//!
//! Target: `phiguard assess` on this machine, FIM excluded, under 1 s.
//!
//! ```sh
//! apt-get install -y lynis openscap-scanner ssg-debian   # the last two are optional
//! cargo build --release -p phiguard -p phiguard-bench-assess
//! target/release/phiguard-bench-assess
//! ```

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use phiguard_bench_support::{
    LynisArgs, LynisRun, PROBE_PARALLELISM, Run, codes, cpu_note, json_array, json_strings,
    load_average, locate_program, lynis_note, lynis_run, machine_line, median, phiguard_json,
    ratio, require_command, same, seconds, status_counts, tail, timed, timeout_wait, version_line,
    walls,
};
use serde_json::Value;

/// The target: seconds for a whole `phiguard assess --skip fim`.
const TARGET_SECONDS: f64 = 1.0;
/// Where Debian's `ssg-debian` package puts its SCAP content.
const SSG_CONTENT: &str = "/usr/share/xml/scap/ssg/content";

#[derive(Debug, Parser)]
#[command(about = "Benchmark `phiguard assess` against `lynis audit system` (and `oscap`)")]
struct Args {
    #[command(flatten)]
    common: LynisArgs,
    /// The oscap program [default: `oscap` on PATH, /usr/sbin or /usr/bin; skipped if absent]
    #[arg(long, value_name = "PATH")]
    oscap: Option<PathBuf>,
    /// SCAP source data stream for oscap [default: the ssg-debian one for this Debian release,
    /// else the newest Debian one]
    #[arg(long, value_name = "FILE")]
    scap_content: Option<PathBuf>,
    /// XCCDF profile for oscap (the ANSSI high profile selects the most rules of ssg-debian)
    #[arg(
        long,
        value_name = "ID",
        default_value = "xccdf_org.ssgproject.content_profile_anssi_np_nt28_high"
    )]
    scap_profile: String,
    /// Leave OpenSCAP out even if it is installed
    #[arg(long)]
    no_oscap: bool,
}

/// Which home a phiguard case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Home {
    /// `init` only.
    Fresh,
    /// Seeded by `demo`.
    Demo,
}

/// One phiguard command line the benchmark times.
#[derive(Debug, Clone, Copy)]
struct Case {
    label: &'static str,
    home: Home,
    skip: &'static str,
    reports: bool,
    /// Judged against the target (FIM excluded, host checks included).
    judged: bool,
}

const CASES: [Case; 5] = [
    Case {
        label: "`phiguard assess --skip fim`, fresh home",
        home: Home::Fresh,
        skip: "fim",
        reports: false,
        judged: true,
    },
    Case {
        label: "`phiguard assess --skip fim`, demo home",
        home: Home::Demo,
        skip: "fim",
        reports: false,
        judged: true,
    },
    Case {
        label: "`phiguard assess --skip fim --html FILE --oscal FILE`, demo home",
        home: Home::Demo,
        skip: "fim",
        reports: true,
        judged: true,
    },
    Case {
        label: "`phiguard assess --skip fim,host`, fresh home",
        home: Home::Fresh,
        skip: "fim,host",
        reports: false,
        judged: false,
    },
    Case {
        label: "`phiguard assess --skip fim,host`, demo home",
        home: Home::Demo,
        skip: "fim,host",
        reports: false,
        judged: false,
    },
];

/// What one `phiguard assess --json` reported.
#[derive(Debug, Clone)]
struct AssessRun {
    run: Run,
    controls: u64,
    /// met, partial, not met, unknown, not applicable.
    summary: [u64; 5],
    /// Entries in the ledger at the checkpoint the run signed.
    ledger: Option<u64>,
    notes: Vec<String>,
    /// Listeners whose TLS probe ran into its time limit, and that limit in seconds.
    timeouts: (usize, f64),
    /// Bytes of the HTML report, the OSCAL results and the plan of action, when asked for.
    reports: Option<[u64; 3]>,
}

/// What one `oscap xccdf eval` reported: its `Result` lines, by result.
#[derive(Debug, Clone)]
struct OscapRun {
    run: Run,
    rules: u64,
    results: Vec<(String, u64)>,
}

/// How OpenSCAP is run, once found and prepared.
#[derive(Debug)]
struct Oscap {
    program: PathBuf,
    content: PathBuf,
    /// What was done to the content, for the notes.
    about: String,
}

/// Listeners whose TLS probe waited out its time limit, one per subject, and the longest
/// limit, counted by [`phiguard_bench_support::tls_timeouts`] over every object anywhere in
/// the JSON (assess lists in full only the findings that need attention, nested in its
/// controls).
fn tls_timeouts(json: &Value) -> (usize, f64) {
    fn walk<'a>(value: &'a Value, found: &mut Vec<&'a Value>) {
        match value {
            Value::Object(object) => {
                found.push(value);
                object.values().for_each(|v| walk(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(json, &mut found);
    phiguard_bench_support::tls_timeouts(found)
}

fn file_size(path: &Path) -> anyhow::Result<u64> {
    Ok(fs::metadata(path)
        .with_context(|| format!("`phiguard assess` did not write {}", path.display()))?
        .len())
}

fn assess_run(
    phiguard: &Path,
    home: &Path,
    case: &Case,
    scratch: &Path,
    out: &Path,
) -> anyhow::Result<AssessRun> {
    let mut args: Vec<OsString> = vec![
        "--home".into(),
        home.into(),
        "assess".into(),
        "--skip".into(),
        case.skip.into(),
        "--json".into(),
    ];
    let html = scratch.join("report.html");
    let oscal = scratch.join("results.json");
    let poam = scratch.join("results.poam.json");
    if case.reports {
        for path in [&html, &oscal, &poam] {
            // A report left by the last round must not pass for this round's.
            if path.exists() {
                fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
            }
        }
        args.extend([
            "--html".into(),
            html.clone().into(),
            "--oscal".into(),
            oscal.clone().into(),
        ]);
    }
    // Without --fail-on, assess exits 0 whenever the assessment completes; 1 is accepted (and
    // shown in the notes) in case that changes.
    let (run, json) = phiguard_json(phiguard, &args, out, "phiguard assess --json")?;
    let controls = json_array(&json, "controls")?;
    let statuses = ["met", "partial", "not_met", "unknown", "not_applicable"];
    let summary = status_counts(&json, statuses, controls, true);
    let reports = if case.reports {
        Some([file_size(&html)?, file_size(&oscal)?, file_size(&poam)?])
    } else {
        None
    };
    Ok(AssessRun {
        run,
        controls: controls.len() as u64,
        summary,
        ledger: json["checkpoint"]["size"].as_u64(),
        notes: json_strings(&json, "notes"),
        timeouts: tls_timeouts(&json),
        reports,
    })
}

fn oscap_run(
    oscap: &Oscap,
    profile: &str,
    scratch: &Path,
    round: usize,
) -> anyhow::Result<OscapRun> {
    let args: Vec<OsString> = vec![
        "xccdf".into(),
        "eval".into(),
        "--profile".into(),
        profile.into(),
        "--results".into(),
        scratch.join(format!("oscap-{round}.xml")).into(),
        oscap.content.clone().into(),
    ];
    let out = scratch.join(format!("oscap-{round}.out"));
    // 2: at least one rule failed.
    let run = timed(&oscap.program, &args, &out, &[0, 2])?;
    let screen = fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
    let mut results: Vec<(String, u64)> = Vec::new();
    for line in screen.lines() {
        let Some(result) = line.strip_prefix("Result") else {
            continue;
        };
        let result = result.trim().to_owned();
        match results.iter_mut().find(|(r, _)| *r == result) {
            Some((_, n)) => *n += 1,
            None => results.push((result, 1)),
        }
    }
    results.sort();
    let rules = results.iter().map(|(_, n)| n).sum();
    anyhow::ensure!(
        rules > 0,
        "`oscap xccdf eval --profile {profile}` evaluated no rule: {}",
        tail(&out)
    );
    Ok(OscapRun {
        run,
        rules,
        results,
    })
}

/// The leading number of /etc/debian_version (12 for "12.11"); none on testing ("trixie/sid").
fn debian_release() -> Option<u32> {
    let text = fs::read_to_string("/etc/debian_version").ok()?;
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The Debian release an ssg-debian data stream is for: 11 for `ssg-debian11-ds.xml`.
fn content_release(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?;
    name.strip_prefix("ssg-debian")?
        .strip_suffix("-ds.xml")?
        .parse()
        .ok()
}

/// OpenSCAP and its content, ready to run; `Err` says why it is left out (it is optional).
fn prepare_oscap(args: &Args, scratch: &Path) -> Result<Oscap, String> {
    if args.no_oscap {
        return Err("left out (--no-oscap)".into());
    }
    let program = locate_program(
        args.oscap.as_deref(),
        "oscap",
        "Debian: `apt-get install -y openscap-scanner ssg-debian`",
    )
    .map_err(|e| format!("{e:#}"))?;
    let here = debian_release();
    let content = match &args.scap_content {
        Some(path) => path.clone(),
        None => {
            let mut found: Vec<(u32, PathBuf)> = fs::read_dir(SSG_CONTENT)
                .map_err(|e| {
                    format!(
                        "no SCAP content in {SSG_CONTENT} ({e}); Debian: `apt-get install -y \
                         ssg-debian`, or give --scap-content FILE"
                    )
                })?
                .filter_map(|entry| {
                    let path = entry.ok()?.path();
                    Some((content_release(&path)?, path))
                })
                .collect();
            found.sort();
            let exact = found.iter().find(|(r, _)| Some(*r) == here).cloned();
            exact
                .or_else(|| found.pop())
                .map(|(_, path)| path)
                .ok_or_else(|| {
                    format!("no ssg-debianNN-ds.xml in {SSG_CONTENT}; give --scap-content FILE")
                })?
        }
    };
    let (Some(theirs), Some(here)) = (content_release(&content), here) else {
        return Ok(Oscap {
            about: format!("`{}`, unchanged", content.display()),
            program,
            content,
        });
    };
    if theirs == here {
        return Ok(Oscap {
            about: format!("`{}`, unchanged", content.display()),
            program,
            content,
        });
    }
    // The content's platform check reads /etc/debian_version with this OVAL pattern; let it
    // also accept this machine's release, or every rule is "notapplicable".
    let text = fs::read_to_string(&content)
        .map_err(|e| format!("could not read {}: {e}", content.display()))?;
    let pattern = format!("^{theirs}.[0-9]+$");
    let widened = format!("^({theirs}|{here}).[0-9]+$");
    let matches = text.matches(&pattern).count();
    if matches == 0 {
        return Ok(Oscap {
            about: format!(
                "`{}` (for Debian {theirs}), unchanged: its platform check was not found, so \
                 rules may be \"notapplicable\" on Debian {here}",
                content.display()
            ),
            program,
            content,
        });
    }
    let copy = scratch.join(format!("ssg-debian{theirs}-on-{here}-ds.xml"));
    fs::write(&copy, text.replace(&pattern, &widened))
        .map_err(|e| format!("could not write {}: {e}", copy.display()))?;
    Ok(Oscap {
        about: format!(
            "`{}`, the newest Debian content Debian ships, is for Debian {theirs}; this machine \
             runs Debian {here}, so a copy is used whose platform check (the OVAL pattern \
             `{pattern}` on /etc/debian_version, {matches} places) reads `{widened}`; nothing \
             else changed",
            content.display()
        ),
        program,
        content: copy,
    })
}

fn kib(bytes: u64) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}

/// The tools of a round, in the order they run: rotated every round so none always runs
/// after the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Phiguard,
    Lynis,
    Oscap,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bench = args.common.prepare("phiguard-bench-assess-")?;
    let (phiguard, lynis) = (&bench.phiguard, &bench.lynis);
    let t = bench.scratch.path();
    let fresh = t.join("fresh");
    let demo = t.join("demo");

    // Untimed: both homes, and whether this phiguard has `assess` and `demo` at all.
    for command in ["assess", "demo"] {
        require_command(phiguard, &[command], t)?;
    }
    let init: Vec<OsString> = vec![
        "--home".into(),
        fresh.clone().into(),
        "init".into(),
        "-q".into(),
    ];
    timed(phiguard, &init, &t.join("init.out"), &[0])?;
    eprintln!("seeding the demo home (untimed)");
    let seed: Vec<OsString> = vec!["--home".into(), demo.clone().into(), "demo".into()];
    let seeding = timed(phiguard, &seed, &t.join("demo.out"), &[0, 1])?;
    // Untimed: one host check on the fresh home, for the listeners whose TLS probe timed out.
    let host_check: Vec<OsString> = vec![
        "--home".into(),
        fresh.clone().into(),
        "host".into(),
        "check".into(),
        "--json".into(),
    ];
    let host_out = t.join("host-check.json");
    let host_run = timed(phiguard, &host_check, &host_out, &[0, 1])?;
    let host_timeouts = fs::read_to_string(&host_out)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .map(|json| tls_timeouts(&json));

    let oscap = prepare_oscap(&args, t);
    let mut tools = vec![Tool::Phiguard, Tool::Lynis];
    if oscap.is_ok() {
        tools.push(Tool::Oscap);
    }
    let oscap_version = oscap
        .as_ref()
        .ok()
        .and_then(|o| version_line(&o.program, "--version"))
        .unwrap_or_else(|| "?".into());

    let load_before = load_average();
    let mut ours: Vec<Vec<AssessRun>> = CASES.iter().map(|_| Vec::new()).collect();
    let mut theirs: Vec<LynisRun> = Vec::new();
    let mut scap: Vec<OscapRun> = Vec::new();
    let bench_start = Instant::now();
    for round in 0..args.common.rounds {
        for i in 0..tools.len() {
            match tools[(round + i) % tools.len()] {
                Tool::Phiguard => {
                    for (case, runs) in CASES.iter().zip(&mut ours) {
                        eprintln!("round {}: {}", round + 1, case.label);
                        let home = match case.home {
                            Home::Fresh => &fresh,
                            Home::Demo => &demo,
                        };
                        let out = t.join(format!("assess-{round}-{}.json", runs.len()));
                        runs.push(assess_run(phiguard, home, case, t, &out)?);
                    }
                }
                Tool::Lynis => {
                    eprintln!("round {}: lynis audit system (about a minute)", round + 1);
                    theirs.push(lynis_run(lynis, t, round)?);
                }
                Tool::Oscap => {
                    if let Ok(oscap) = &oscap {
                        eprintln!("round {}: oscap xccdf eval", round + 1);
                        scap.push(oscap_run(oscap, &args.scap_profile, t, round)?);
                    }
                }
            }
        }
    }
    let elapsed = bench_start.elapsed().as_secs_f64();
    let load_after = load_average();

    let wall = |runs: &[AssessRun]| median(runs.iter().map(|r| r.run.wall));
    let cpu = |runs: &[AssessRun]| median(runs.iter().map(|r| r.run.cpu));
    let their_wall = median(theirs.iter().map(|r| r.run.wall));
    let their_cpu = median(theirs.iter().map(|r| r.run.cpu));
    let scap_wall = median(scap.iter().map(|r| r.run.wall));
    let scap_cpu = median(scap.iter().map(|r| r.run.cpu));

    println!(
        "# phiguard assess vs Lynis{}\n",
        if scap.is_empty() { "" } else { " and OpenSCAP" }
    );
    let machine = machine_line(true, &load_before, &load_after, args.common.rounds, elapsed);
    println!("{machine}\n");
    println!(
        "| tool | wall s (median) | CPU s (user + sys, median) | controls assessed / tests run | \
         results | Lynis wall ÷ this | under {TARGET_SECONDS:.0} s |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (case, runs) in CASES.iter().zip(&ours) {
        let s = |i: usize| median(runs.iter().map(|r| r.summary[i] as f64));
        println!(
            "| {} | {} | {} | {} | {} met, {} partial, {} not met, {} unknown, {} n/a | {} | {} |",
            case.label,
            seconds(wall(runs)),
            seconds(cpu(runs)),
            same(runs.iter().map(|r| r.controls)),
            s(0),
            s(1),
            s(2),
            s(3),
            s(4),
            if case.judged {
                ratio(their_wall, wall(runs))
            } else {
                "— (no host checks)".to_owned()
            },
            if !case.judged {
                "(not judged: host skipped)"
            } else if wall(runs) < TARGET_SECONDS {
                "PASS"
            } else {
                "FAIL"
            }
        );
    }
    println!(
        "| lynis audit system --quick | {} | {} | {} tests | {} warnings, {} suggestions | 1.0× | |",
        seconds(their_wall),
        seconds(their_cpu),
        same(theirs.iter().map(|r| r.tests_run().unwrap_or(0))),
        same(theirs.iter().map(|r| r.warnings)),
        same(theirs.iter().map(|r| r.suggestions)),
    );
    if !scap.is_empty() {
        let mut names: Vec<&str> = scap
            .iter()
            .flat_map(|r| r.results.iter().map(|(n, _)| n.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        let results = names
            .iter()
            .map(|name| {
                let n = same(scap.iter().map(|r| {
                    r.results
                        .iter()
                        .find(|(r, _)| r == name)
                        .map_or(0, |(_, n)| *n)
                }));
                format!("{n} {name}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "| oscap xccdf eval ({}) | {} | {} | {} rules | {results} | {} | |",
            args.scap_profile
                .strip_prefix("xccdf_org.ssgproject.content_profile_")
                .unwrap_or(&args.scap_profile),
            seconds(scap_wall),
            seconds(scap_cpu),
            same(scap.iter().map(|r| r.rules)),
            ratio(their_wall, scap_wall),
        );
    }

    let judged: Vec<(&Case, f64)> = CASES
        .iter()
        .zip(&ours)
        .filter(|(case, _)| case.judged)
        .map(|(case, runs)| (case, wall(runs)))
        .collect();
    let worst = judged.iter().map(|(_, w)| *w).fold(0.0, f64::max);
    println!(
        "\n**{}**: `phiguard assess --skip fim` under {TARGET_SECONDS:.0} s on this machine — \
         slowest of the {} judged commands {} s (median), host checks included.",
        if worst < TARGET_SECONDS {
            "PASS"
        } else {
            "FAIL"
        },
        judged.len(),
        seconds(worst)
    );
    println!("\nLynis ÷ phiguard (wall, CPU):");
    for (case, runs) in CASES.iter().zip(&ours).filter(|(c, _)| c.judged) {
        let scap_part = if scap.is_empty() {
            String::new()
        } else {
            format!(
                "; OpenSCAP ÷ phiguard {} wall, {} CPU",
                ratio(scap_wall, wall(runs)),
                ratio(scap_cpu, cpu(runs))
            )
        };
        println!(
            "- {}: **{}** wall, {} CPU{scap_part}",
            case.label,
            ratio(their_wall, wall(runs)),
            ratio(their_cpu, cpu(runs)),
        );
    }

    println!("\n## The host checks' share\n");
    for home in [Home::Fresh, Home::Demo] {
        let pick = |skip: &str| {
            CASES
                .iter()
                .zip(&ours)
                .find(|(c, _)| c.home == home && c.skip == skip && !c.reports)
                .map(|(_, runs)| runs)
        };
        if let (Some(all), Some(rest)) = (pick("fim"), pick("fim,host")) {
            let share = wall(all) - wall(rest);
            println!(
                "- {} home: `--skip fim` {} s, `--skip fim,host` {} s: the host checks take \
                 {} s of wall time ({:.0}%) and {} s of CPU.",
                match home {
                    Home::Fresh => "fresh",
                    Home::Demo => "demo",
                },
                seconds(wall(all)),
                seconds(wall(rest)),
                seconds(share),
                100.0 * share / wall(all),
                seconds(cpu(all) - cpu(rest)),
            );
        }
    }
    match host_timeouts {
        Some((0, _)) => println!(
            "- `phiguard host check --json` once on the fresh home (untimed setup, {} s): no TLS \
             probe ran into its time limit (per its findings).",
            seconds(host_run.wall)
        ),
        Some(timeouts) => println!(
            "- `phiguard host check --json` once on the fresh home (setup, {} s): {} listeners \
             did not answer within {} s, probed {PROBE_PARALLELISM} at a time, so at least {} \
             s of any run with host checks is waiting on TLS probe time limits.",
            seconds(host_run.wall),
            timeouts.0,
            timeouts.1,
            seconds(timeout_wait(timeouts))
        ),
        None => println!(
            "- `phiguard host check --json` once on the fresh home printed no JSON; TLS probe \
             timeouts unknown."
        ),
    }
    let in_assess = ours
        .iter()
        .flatten()
        .map(|r| r.timeouts.0 as u64)
        .max()
        .unwrap_or(0);
    println!(
        "- In the assess JSON (findings needing attention only), TLS probe timeouts visible: \
         {in_assess} listeners."
    );

    println!("\n## Notes\n");
    println!(
        "- {} (`{}`). H1: `phiguard --home H1 init -q`; H2: `phiguard --home \
         H2 demo` ({} s, untimed, exit {}). Both homes are kept for every round, so every \
         assess run adds its results and a checkpoint to the ledger that the next run \
         verifies.",
        bench.phiguard_version,
        phiguard.display(),
        seconds(seeding.wall),
        seeding.code
    );
    for (case, runs) in CASES.iter().zip(&ours) {
        let ledger = |r: Option<&AssessRun>| {
            r.and_then(|r| r.ledger)
                .map_or("?".to_owned(), |n| n.to_string())
        };
        println!(
            "- {}: wall per round {} s; exit codes {}; ledger entries at its checkpoint {} → {}.",
            case.label,
            walls(runs.iter().map(|r| &r.run)),
            codes(runs.iter().map(|r| &r.run)),
            ledger(runs.first()),
            ledger(runs.last()),
        );
    }
    if let Some((case, runs)) = CASES.iter().zip(&ours).find(|(c, _)| c.reports)
        && let Some(sizes) = runs.last().and_then(|r| r.reports)
    {
        println!(
            "- Reports written by {}: HTML {}, OSCAL assessment results {}, plan of action {}.",
            case.label,
            kib(sizes[0]),
            kib(sizes[1]),
            kib(sizes[2])
        );
    }
    let mut notes: Vec<&str> = ours
        .iter()
        .flatten()
        .flat_map(|r| r.notes.iter().map(String::as_str))
        .collect();
    notes.sort_unstable();
    notes.dedup();
    if !notes.is_empty() {
        println!(
            "- Notes phiguard put in its assessments: {}.",
            notes
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    println!(
        "{} Tests: `lynis_tests_done=` in its report. Lynis judges the host only; phiguard's \
         controls also rest on the register, the ledger and attestations, so the counts are \
         not of the same thing.",
        lynis_note(&bench.lynis_version, lynis, &theirs)
    );
    match &oscap {
        Ok(oscap) => println!(
            "- {oscap_version} (`{}`): `oscap xccdf eval --profile {} --results \
             T/oscap-N.xml CONTENT`; content: {}. Exit codes seen: {} (2: a rule failed). Wall \
             per round: {} s. Rules counted from its `Result` lines; many are \"notapplicable\" \
             in a container.",
            oscap.program.display(),
            args.scap_profile,
            oscap.about,
            codes(scap.iter().map(|r| &r.run)),
            walls(scap.iter().map(|r| &r.run))
        ),
        Err(why) => println!("- OpenSCAP: {why}."),
    }
    println!("{}", cpu_note(false));
    Ok(())
}
