//! What every whole-process benchmark needs: the phiguard binary and the peer tools to run,
//! the CPU time its children used, the version of a peer tool, the machine's load, and the
//! median of rounds.
//!
//! Also what the host and the assess benchmarks share, kept here once so that both time,
//! count and print the same way: a timed child process ([`timed`], [`Run`]), phiguard's JSON
//! answers ([`require_command`], [`phiguard_json`], [`json_array`], [`json_strings`],
//! [`status_counts`]), the formatting of results ([`seconds`], [`ratio`], [`walls`],
//! [`codes`], [`same`], [`machine_line`], [`cpu_note`]), the TLS probe timeouts phiguard's
//! host checks wait out ([`tls_timeouts`], [`timeout_wait`]) and the whole Lynis side
//! ([`LynisArgs`], [`LynisBench`], [`lynis_run`], [`LynisRun`], [`lynis_note`]).

use std::borrow::Borrow;
use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context;
use serde_json::Value;

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

/// One timed child process: its wall time, the CPU time (user + system) of it and its
/// descendants, and its exit code. One type for every tool, so the formatting helpers below
/// serve them all.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub wall: f64,
    pub cpu: f64,
    pub code: i32,
}

/// The last lines of a file, for a failure message.
pub fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.trim().lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Arguments joined by spaces, to name a command line in a message.
fn shell(args: &[OsString]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `program args` with no stdin, stdout and stderr to `out` and `out.err`; fails unless
/// the exit code is in `ok`, so a failure is never reported as a result. Shared so that every
/// tool a benchmark compares is timed the same way: wall time around the child alone, CPU
/// time as the change in [`children_cpu`].
pub fn timed(program: &Path, args: &[OsString], out: &Path, ok: &[i32]) -> anyhow::Result<Run> {
    let mut command = Command::new(program);
    command.args(args);
    timed_command(&mut command, out, ok)
}

/// [`timed`] for a command the caller has set up further (its environment, its working
/// directory): the program and arguments are read back from it for the messages.
pub fn timed_command(command: &mut Command, out: &Path, ok: &[i32]) -> anyhow::Result<Run> {
    let err = out.with_extension("err");
    let args: Vec<OsString> = command.get_args().map(OsString::from).collect();
    let what = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        shell(&args)
    );
    let stdout = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let stderr = File::create(&err).with_context(|| format!("creating {}", err.display()))?;
    let cpu_before = children_cpu();
    let start = Instant::now();
    let status = command
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

/// Runs `phiguard ARGS` (a command given `--json`) as [`timed`] does, output to `out`, and
/// reads the JSON it printed; `what` names the command in the error. Exit codes 0 and 1 are
/// both results (1: something it judged fails, or would with `--fail-on`), so the host and
/// the assess benchmarks read phiguard's answers the same way.
pub fn phiguard_json(
    phiguard: &Path,
    args: &[OsString],
    out: &Path,
    what: &str,
) -> anyhow::Result<(Run, Value)> {
    let run = timed(phiguard, args, out, &[0, 1])?;
    let text = fs::read_to_string(out).with_context(|| format!("reading {}", out.display()))?;
    let json: Value = serde_json::from_str(&text)
        .with_context(|| format!("`{what}` printed no JSON: {text:.300}"))?;
    Ok((run, json))
}

/// The array `json[key]` (phiguard's findings, controls…), or an error naming it.
pub fn json_array<'a>(json: &'a Value, key: &str) -> anyhow::Result<&'a [Value]> {
    json[key]
        .as_array()
        .map(Vec::as_slice)
        .with_context(|| format!("the JSON has no `{key}` array"))
}

/// The strings of the array `json[key]` (phiguard's areas, notes…); none if there is none.
pub fn json_strings(json: &Value, key: &str) -> Vec<String> {
    json[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| Some(v.as_str()?.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// How many of phiguard's results have each of `statuses`: `.summary.STATUS` in its JSON, else
/// counted from the `status` of `items`. The items spell a status as in `statuses`
/// (`not_applicable`) unless `kebab`, when they spell it with hyphens (`not-applicable`, as
/// assess's controls do).
pub fn status_counts<const N: usize>(
    json: &Value,
    statuses: [&str; N],
    items: &[Value],
    kebab: bool,
) -> [u64; N] {
    statuses.map(|status| {
        json["summary"][status].as_u64().unwrap_or_else(|| {
            let spelled = if kebab {
                status.replace('_', "-")
            } else {
                status.to_owned()
            };
            items.iter().filter(|i| i["status"] == spelled).count() as u64
        })
    })
}

/// The line under a report's title: the machine (kernel, with `debian` also its Debian
/// release, logical CPUs), the load averages before and after the rounds (other work may
/// share the machine), how many rounds and how long they took in all.
pub fn machine_line(
    debian: bool,
    load_before: &str,
    load_after: &str,
    rounds: usize,
    elapsed: f64,
) -> String {
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let debian = if debian {
        let release = fs::read_to_string("/etc/debian_version").unwrap_or_else(|_| "?".into());
        format!(" Debian {},", release.trim())
    } else {
        String::new()
    };
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    format!(
        "Linux {},{debian} {cpus} logical CPUs; load average {load_before} before, {load_after} \
         after; rounds: {rounds}, tools alternating, {elapsed:.0} s in all.",
        kernel.trim()
    )
}

/// The note that says how [`timed`] measures CPU time; with `uid`, also the user it ran as
/// (Lynis sees more of the machine as root).
pub fn cpu_note(uid: bool) -> String {
    let who = if uid {
        let uid = fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines().find_map(|l| {
                    l.strip_prefix("Uid:")?
                        .split_whitespace()
                        .next()
                        .map(str::to_owned)
                })
            })
            .unwrap_or_else(|| "?".to_owned());
        format!("Run as uid {uid}; other")
    } else {
        "Other".to_owned()
    };
    format!(
        "- CPU time: cutime + cstime of /proc/self/stat before and after each child (all its \
         waited-for descendants, 10 ms resolution). {who} builds may share the machine (see the \
         load averages)."
    )
}

/// Seconds for a table: two decimals under 10 s, one above, "?" for NaN (no rounds, or no
/// CPU time to be read).
pub fn seconds(s: f64) -> String {
    if s.is_nan() {
        "?".to_owned()
    } else if s < 10.0 {
        format!("{s:.2}")
    } else {
        format!("{s:.1}")
    }
}

/// How many times `ours` fits in `theirs` ("4.2×"), or "?" when it cannot be said.
pub fn ratio(theirs: f64, ours: f64) -> String {
    if ours > 0.0 && theirs.is_finite() {
        format!("{:.1}×", theirs / ours)
    } else {
        "?".to_owned()
    }
}

/// The wall time of every round, in order, for the notes.
pub fn walls<'a>(runs: impl IntoIterator<Item = &'a Run>) -> String {
    runs.into_iter()
        .map(|r| seconds(r.wall))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The distinct exit codes the rounds ended with, for the notes.
pub fn codes<'a>(runs: impl IntoIterator<Item = &'a Run>) -> String {
    let mut codes: Vec<i32> = runs.into_iter().map(|r| r.code).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A count that should be the same in every round: the value, or the range if it varied.
pub fn same(values: impl IntoIterator<Item = u64>) -> String {
    let values: Vec<u64> = values.into_iter().collect();
    match (values.iter().min(), values.iter().max()) {
        (Some(lo), Some(hi)) if lo == hi => lo.to_string(),
        (Some(lo), Some(hi)) => format!("{lo}–{hi}"),
        _ => "?".to_owned(),
    }
}

/// Listeners phiguard probes at once (`MAX_PARALLEL_PROBES` in
/// crates/host/src/encryption/in_transit/probe.rs).
pub const PROBE_PARALLELISM: usize = 8;

/// Listeners whose TLS probe waited out its time limit, one per subject, and the longest
/// limit: the `findings` of an encryption check whose message says "… within N s" or "…
/// (limit N s)". The caller says which JSON values are findings (`host check` lists them all
/// at the top; `assess` nests them), so both benchmarks read the wording the same way.
pub fn tls_timeouts<'a>(findings: impl IntoIterator<Item = &'a Value>) -> (usize, f64) {
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
pub fn timeout_wait((count, limit): (usize, f64)) -> f64 {
    count.div_ceil(PROBE_PARALLELISM) as f64 * limit
}

/// The options of a benchmark that runs phiguard beside Lynis in rounds; flattened first into
/// its own options (`#[command(flatten)]`), so every such benchmark takes and documents them
/// the same way.
#[derive(Debug, clap::Args)]
pub struct LynisArgs {
    /// Rounds of each tool, alternating (the median is reported)
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// The phiguard binary [default: next to this benchmark's executable]
    #[arg(long, value_name = "PATH")]
    pub phiguard: Option<PathBuf>,
    /// The Lynis program [default: `lynis` on PATH, /usr/sbin or /usr/bin]
    #[arg(long, value_name = "PATH")]
    pub lynis: Option<PathBuf>,
}

/// What a benchmark beside Lynis starts from: both programs found, their versions, and the
/// temporary directory every output goes to (removed when this is dropped).
#[derive(Debug)]
pub struct LynisBench {
    pub phiguard: PathBuf,
    pub lynis: PathBuf,
    pub phiguard_version: String,
    pub lynis_version: String,
    pub scratch: tempfile::TempDir,
}

impl LynisArgs {
    /// Checks the options, finds phiguard and Lynis, reads their versions and makes the
    /// temporary directory (named `prefix…`), in that order, the same for every benchmark.
    pub fn prepare(&self, prefix: &str) -> anyhow::Result<LynisBench> {
        anyhow::ensure!(self.rounds > 0, "--rounds must be at least 1");
        let phiguard = locate_phiguard(self.phiguard.as_deref())?;
        let lynis = locate_program(
            self.lynis.as_deref(),
            "lynis",
            "Debian: `apt-get install -y lynis`; or give --lynis PATH",
        )?;
        let phiguard_version = version_line(&phiguard, "--version").unwrap_or_else(|| "?".into());
        let lynis_version = version_line(&lynis, "--version").unwrap_or_else(|| "?".into());
        let scratch = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .context("could not create a temporary directory")?;
        Ok(LynisBench {
            phiguard,
            lynis,
            phiguard_version,
            lynis_version,
            scratch,
        })
    }
}

/// Fails unless `phiguard COMMAND --help` succeeds (untimed, output to `scratch/help.out`), so
/// a phiguard built before COMMAND existed is told apart from one whose COMMAND fails.
pub fn require_command(phiguard: &Path, command: &[&str], scratch: &Path) -> anyhow::Result<()> {
    let help: Vec<OsString> = command
        .iter()
        .chain(&["--help"])
        .map(OsString::from)
        .collect();
    timed(phiguard, &help, &scratch.join("help.out"), &[0]).with_context(|| {
        format!(
            "{} has no `{}` command; rebuild it (`cargo build --release -p phiguard`)",
            phiguard.display(),
            command.join(" ")
        )
    })?;
    Ok(())
}

/// What one `lynis audit system` reported.
#[derive(Debug, Clone)]
pub struct LynisRun {
    pub run: Run,
    /// `lynis_tests_done=` in the report file.
    pub tests: Option<u64>,
    /// "Tests performed : N" on screen.
    pub tests_screen: Option<u64>,
    pub warnings: u64,
    pub suggestions: u64,
    /// `exception_event[]` lines: Lynis's own internal errors.
    pub exceptions: u64,
}

impl LynisRun {
    /// The tests performed: the report's count, else the screen's.
    pub fn tests_run(&self) -> Option<u64> {
        self.tests.or(self.tests_screen)
    }
}

/// Runs `lynis audit system --quick --no-colors --log-file T/lynis-N.log --report-file
/// T/lynis-report-N.dat`, T = `scratch` and N = `round` (so nothing goes under /var/log),
/// and reads what it found from the report and the screen. One function, so every benchmark
/// that compares phiguard with Lynis runs Lynis exactly the same way.
pub fn lynis_run(lynis: &Path, scratch: &Path, round: usize) -> anyhow::Result<LynisRun> {
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

/// The note that says how Lynis was run ([`lynis_run`]'s command line), its exit codes and
/// its wall time per round; a benchmark adds what it has to say after it.
pub fn lynis_note(version: &str, lynis: &Path, runs: &[LynisRun]) -> String {
    format!(
        "- Lynis {version} (`{}`): `lynis audit system --quick --no-colors --log-file \
         T/lynis-N.log --report-file T/lynis-report-N.dat`, T a temporary directory. Exit codes \
         seen: {}. Wall per round: {} s.",
        lynis.display(),
        codes(runs.iter().map(|r| &r.run)),
        walls(runs.iter().map(|r| &r.run))
    )
}

/// A target of an issue, what was measured against it, and whether it was met (`None`: not
/// measured in this run).
pub type Target = (String, String, Option<bool>);

/// Prints the closing table of targets every bench ends with.
pub fn print_targets(targets: &[Target]) {
    println!("| target | measured | result |");
    println!("|---|---|---|");
    for (target, measured, met) in targets {
        let result = match met {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "not measured",
        };
        println!("| {target} | {measured} | {result} |");
    }
}
