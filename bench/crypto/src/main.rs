//! Sealing benchmark, run whole and side by side with the tools people would otherwise use,
//! so each number is a ratio to its baseline (absolute times on shared machines mislead).
//!
//! 1. The library in memory, one thread: `phiguard_crypto::seal` and `unseal` of 1 MiB
//!    messages, beside raw AES-256-GCM over the same megabyte (the ceiling). Measured first,
//!    so the process's allocator is in the same state every run.
//! 2. Whole processes on a large file on tmpfs (2 GiB by default): `phiguard seal` and
//!    `phiguard unseal` beside `age` (X25519 recipient) and `openssl enc -aes-256-ctr`
//!    (unauthenticated), each to a file on tmpfs and to /dev/null, the tools alternating in
//!    rounds; the median of the rounds is reported.
//!
//! Targets (from the issue): at least 2× age's throughput both ways, at least 0.8× openssl's
//! unauthenticated CTR, and at least 5 GB/s in memory on one core.
//!
//! ```sh
//! cargo build --release -p phiguard
//! cargo run --release -p phiguard-bench-crypto
//! ```

use std::fs::File;
use std::hint::black_box;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use clap::Parser;
use phiguard_bench_support::{
    Target, children_cpu, locate_phiguard, median, print_targets, version_line,
};
use phiguard_crypto::{Kek, KeyBytes, Recipients};

const MIB: usize = 1024 * 1024;
/// The in-memory message size.
const MESSAGE: usize = MIB;
/// Targets from the issue.
const TARGET_AGE: f64 = 2.0;
const TARGET_OPENSSL: f64 = 0.8;
const TARGET_MEMORY_GBPS: f64 = 5.0;

#[derive(Debug, Parser)]
#[command(about = "Benchmark phiguard seal/unseal against age and openssl, and in memory")]
struct Args {
    /// Directory for the test files; tmpfs, so the disk is not what is measured
    #[arg(long, default_value = "/dev/shm")]
    dir: PathBuf,
    /// Size of the test file in MiB
    #[arg(long, default_value_t = 2048)]
    size_mib: u64,
    /// Rounds of the whole-process comparison (the median is reported)
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Only the in-memory measurement
    #[arg(long)]
    skip_files: bool,
    /// The phiguard binary [default: next to this benchmark's executable]
    #[arg(long, value_name = "PATH")]
    phiguard: Option<PathBuf>,
    /// 1 MiB messages per in-memory run
    #[arg(long, default_value_t = 500)]
    iterations: usize,
    /// In-memory runs (the median is reported)
    #[arg(long, default_value_t = 5)]
    memory_runs: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Phiguard,
    Age,
    Openssl,
}

impl Tool {
    const ALL: [Tool; 3] = [Tool::Phiguard, Tool::Age, Tool::Openssl];

    fn name(self) -> &'static str {
        match self {
            Tool::Phiguard => "phiguard",
            Tool::Age => "age",
            Tool::Openssl => "openssl",
        }
    }

    fn index(self) -> usize {
        match self {
            Tool::Phiguard => 0,
            Tool::Age => 1,
            Tool::Openssl => 2,
        }
    }
}

/// One row of the whole-process table: a direction and where the output goes.
#[derive(Debug, Clone, Copy)]
struct Case {
    seal: bool,
    to_file: bool,
}

const CASES: [Case; 4] = [
    Case {
        seal: true,
        to_file: true,
    },
    Case {
        seal: true,
        to_file: false,
    },
    Case {
        seal: false,
        to_file: true,
    },
    Case {
        seal: false,
        to_file: false,
    },
];

impl Case {
    fn label(self) -> &'static str {
        match (self.seal, self.to_file) {
            (true, true) => "seal → tmpfs file",
            (true, false) => "seal → /dev/null",
            (false, true) => "unseal → tmpfs file",
            (false, false) => "unseal → /dev/null",
        }
    }

    fn index(self) -> usize {
        usize::from(!self.seal) * 2 + usize::from(!self.to_file)
    }
}

/// The age identity the files are sealed for.
#[derive(Debug)]
struct Age {
    identity: PathBuf,
    recipient: String,
}

/// The key and IV openssl encrypts with.
#[derive(Debug)]
struct Openssl {
    key: String,
    iv: String,
}

/// Everything the child processes need.
#[derive(Debug)]
struct Setup {
    phiguard: PathBuf,
    home: PathBuf,
    age: Option<Age>,
    openssl: Option<Openssl>,
}

impl Setup {
    fn available(&self, tool: Tool) -> bool {
        match tool {
            Tool::Phiguard => true,
            Tool::Age => self.age.is_some(),
            Tool::Openssl => self.openssl.is_some(),
        }
    }

    /// The command for `tool` doing `case` on `input`; output to `output`, or to stdout
    /// (which the caller sends to /dev/null) when `None`.
    fn command(
        &self,
        tool: Tool,
        seal: bool,
        input: &Path,
        output: Option<&Path>,
    ) -> anyhow::Result<Command> {
        let mut command;
        match tool {
            Tool::Phiguard => {
                command = Command::new(&self.phiguard);
                command
                    .arg("--home")
                    .arg(&self.home)
                    .arg("-q")
                    .arg(if seal { "seal" } else { "unseal" })
                    .arg(input)
                    .arg("-o")
                    .arg(output.unwrap_or(Path::new("-")));
            }
            Tool::Age => {
                let age = self.age.as_ref().context("age is not set up")?;
                command = Command::new("age");
                if seal {
                    command.arg("-r").arg(&age.recipient);
                } else {
                    command.arg("-d").arg("-i").arg(&age.identity);
                }
                if let Some(output) = output {
                    command.arg("-o").arg(output);
                }
                command.arg(input);
            }
            Tool::Openssl => {
                let openssl = self.openssl.as_ref().context("openssl is not set up")?;
                command = Command::new("openssl");
                command.args(["enc", "-aes-256-ctr"]);
                if !seal {
                    command.arg("-d");
                }
                command
                    .args(["-K", &openssl.key, "-iv", &openssl.iv, "-in"])
                    .arg(input);
                if let Some(output) = output {
                    command.arg("-out").arg(output);
                }
            }
        }
        Ok(command)
    }
}

/// Wall time of one child process, and the CPU time it used.
#[derive(Debug, Clone, Copy)]
struct Run {
    wall: f64,
    user: f64,
    sys: f64,
}

/// CPU seconds (user, system) of all waited-for children, from /proc (USER_HZ = 100).
/// Runs `command` to completion with no stdin and stdout to /dev/null; fails unless it
/// exits successfully, so a failure is never timed as a result.
fn timed(mut command: Command, what: &str) -> anyhow::Result<Run> {
    command.stdin(Stdio::null()).stdout(Stdio::null());
    let before = children_cpu();
    let started = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("could not start {what}"))?;
    let wall = started.elapsed().as_secs_f64();
    let after = children_cpu();
    anyhow::ensure!(
        output.status.success(),
        "{what} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let (user, sys) = match (before, after) {
        (Some(b), Some(a)) => (a.0 - b.0, a.1 - b.1),
        _ => (f64::NAN, f64::NAN),
    };
    Ok(Run { wall, user, sys })
}

/// Runs a short setup command and returns its stdout.
fn run_quietly(command: &mut Command, what: &str) -> anyhow::Result<String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start {what}"))?;
    anyhow::ensure!(
        output.status.success(),
        "{what} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The version line of a peer tool, or `None` when it is not installed.
fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| anyhow::anyhow!("the system random number generator failed"))?;
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// xorshift64*: cheap pseudo-random bytes, so the input is not compressible or all zeros.
struct Xorshift(u64);

impl Xorshift {
    fn fill(&mut self, buffer: &mut [u8]) {
        for word in buffer.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let value = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
            word.copy_from_slice(&value[..word.len()]);
        }
    }
}

fn write_input(path: &Path, bytes: u64) -> anyhow::Result<()> {
    let mut file =
        File::create(path).with_context(|| format!("could not create {}", path.display()))?;
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    let mut chunk = vec![0u8; MIB];
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left.min(MIB as u64))?;
        rng.fill(&mut chunk[..n]);
        file.write_all(&chunk[..n])
            .with_context(|| format!("could not write {}", path.display()))?;
        left -= n as u64;
    }
    Ok(())
}

/// Whether two files hold the same bytes.
fn same_contents(a: &Path, b: &Path) -> anyhow::Result<bool> {
    let mut fa = File::open(a).with_context(|| format!("could not open {}", a.display()))?;
    let mut fb = File::open(b).with_context(|| format!("could not open {}", b.display()))?;
    let len = fa.metadata()?.len();
    if fb.metadata()?.len() != len {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0u8; 4 * MIB], vec![0u8; 4 * MIB]);
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left.min(4 * MIB as u64))?;
        fa.read_exact(&mut ba[..n])?;
        fb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
        left -= n as u64;
    }
    Ok(true)
}

/// Every run of every tool and case: `[tool][case]`.
type Results = [[Vec<Run>; 4]; 3];

fn whole_process(args: &Args) -> anyhow::Result<Vec<Target>> {
    let phiguard = locate_phiguard(args.phiguard.as_deref())?;
    let work = tempfile::Builder::new()
        .prefix("phiguard-bench-crypto-")
        .tempdir_in(&args.dir)
        .with_context(|| format!("could not create a directory in {}", args.dir.display()))?;
    let home = work.path().join("home");
    run_quietly(
        Command::new(&phiguard)
            .arg("--home")
            .arg(&home)
            .args(["-q", "init", "--name", "bench"]),
        "phiguard init",
    )?;

    let mut notes = Vec::new();
    let age = match (
        version_line(Path::new("age"), "--version"),
        version_line(Path::new("age-keygen"), "--version"),
    ) {
        (Some(version), Some(_)) => {
            let identity = work.path().join("age.key");
            run_quietly(
                Command::new("age-keygen").arg("-o").arg(&identity),
                "age-keygen",
            )?;
            let recipient = run_quietly(
                Command::new("age-keygen").arg("-y").arg(&identity),
                "age-keygen -y",
            )?;
            notes.push(format!("age {version}, X25519 recipient"));
            Some(Age {
                identity,
                recipient,
            })
        }
        _ => {
            notes.push("age: not installed, skipped (Debian package `age`)".to_owned());
            None
        }
    };
    let openssl = match version_line(Path::new("openssl"), "version") {
        Some(version) => {
            notes.push(format!("{version}, `enc -aes-256-ctr` (no authentication)"));
            Some(Openssl {
                key: hex(&random_bytes::<32>()?),
                iv: hex(&random_bytes::<16>()?),
            })
        }
        None => {
            notes.push("openssl: not installed, skipped (Debian package `openssl`)".to_owned());
            None
        }
    };
    let setup = Setup {
        phiguard,
        home,
        age,
        openssl,
    };

    let bytes = args.size_mib * MIB as u64;
    let input = work.path().join("input");
    eprintln!(
        "writing {} MiB of test data to {}",
        args.size_mib,
        input.display()
    );
    write_input(&input, bytes)?;

    let tools: Vec<Tool> = Tool::ALL
        .into_iter()
        .filter(|t| setup.available(*t))
        .collect();
    let mut results: Results = Default::default();
    for round in 0..args.rounds {
        for k in 0..tools.len() {
            // Each round starts with a different tool, so none always goes first.
            let tool = tools[(round + k) % tools.len()];
            eprintln!("  round {}/{}: {}", round + 1, args.rounds, tool.name());
            let sealed = work.path().join(format!("{}.sealed", tool.name()));
            let opened = work.path().join(format!("{}.opened", tool.name()));
            for case in CASES {
                let (from, to) = if case.seal {
                    (&input, &sealed)
                } else {
                    (&sealed, &opened)
                };
                let what = format!("{} {}", tool.name(), case.label());
                let command = setup.command(tool, case.seal, from, case.to_file.then_some(to))?;
                let run = timed(command, &what)?;
                results[tool.index()][case.index()].push(run);
                if case.seal && case.to_file {
                    let len = std::fs::metadata(&sealed)?.len();
                    anyhow::ensure!(
                        len >= bytes,
                        "{what} wrote {len} bytes for {bytes} bytes of input"
                    );
                }
                if !case.seal && case.to_file {
                    if round == 0 {
                        anyhow::ensure!(
                            same_contents(&input, &opened)?,
                            "{} unseal did not give back the input",
                            tool.name()
                        );
                    }
                    std::fs::remove_file(&opened)?;
                }
            }
            std::fs::remove_file(&sealed)?;
        }
    }
    drop(setup);
    work.close().context("could not remove the test files")?;

    Ok(report_whole_process(args, &tools, &results, &notes))
}

fn report_whole_process(
    args: &Args,
    tools: &[Tool],
    results: &Results,
    notes: &[String],
) -> Vec<Target> {
    let wall = |tool: Tool, case: Case| -> Option<f64> {
        let runs = &results[tool.index()][case.index()];
        (!runs.is_empty()).then(|| median(runs.iter().map(|r| r.wall)))
    };
    let seconds = |t: Option<f64>| t.map_or("—".to_owned(), |t| format!("{t:.2}"));
    let ratio = |peer: Option<f64>, ours: Option<f64>| match (peer, ours) {
        (Some(peer), Some(ours)) => format!("{:.2}", peer / ours),
        _ => "—".to_owned(),
    };

    println!(
        "\n## Whole process: {} MiB file on tmpfs ({}), median of {} rounds\n",
        args.size_mib,
        args.dir.display(),
        args.rounds
    );
    for note in notes {
        println!("- {note}");
    }
    println!();
    println!(
        "| operation | phiguard s | age s | openssl s | phiguard ÷ age | phiguard ÷ openssl | targets |"
    );
    println!("|---|---|---|---|---|---|---|");
    for case in CASES {
        let ours = wall(Tool::Phiguard, case);
        let age = wall(Tool::Age, case);
        let openssl = wall(Tool::Openssl, case);
        let targets = if case.to_file {
            format!("≥ {TARGET_AGE}× / ≥ {TARGET_OPENSSL}×")
        } else {
            "—".to_owned()
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {targets} |",
            case.label(),
            seconds(ours),
            seconds(age),
            seconds(openssl),
            ratio(age, ours),
            ratio(openssl, ours),
        );
    }
    let ours_gbps = |case: Case| {
        wall(Tool::Phiguard, case).map_or("—".to_owned(), |t| {
            format!("{:.2}", (args.size_mib * MIB as u64) as f64 / t / 1e9)
        })
    };
    let spread = tools
        .iter()
        .flat_map(|t| CASES.iter().map(move |c| &results[t.index()][c.index()]))
        .filter(|runs| !runs.is_empty())
        .map(|runs| {
            let walls: Vec<f64> = runs.iter().map(|r| r.wall).collect();
            let (min, max) = walls
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), w| (lo.min(*w), hi.max(*w)));
            (max - min) / median(&walls)
        })
        .fold(0.0, f64::max);
    println!(
        "\nRatios are throughput ratios (the peer's time ÷ phiguard's): above 1, phiguard is \
         faster. Times are whole processes, start to exit. phiguard to a file: {} GB/s seal, \
         {} GB/s unseal. Largest spread between rounds: {:.0}% (max − min over median).",
        ours_gbps(CASES[0]),
        ours_gbps(CASES[2]),
        spread * 100.0
    );

    println!("\n## CPU time per run, user + system s (median)\n");
    println!("| tool | seal → tmpfs file | unseal → tmpfs file |");
    println!("|---|---|---|");
    for tool in tools {
        let cpu = |case: Case| {
            let runs = &results[tool.index()][case.index()];
            let user = median(runs.iter().map(|r| r.user));
            let sys = median(runs.iter().map(|r| r.sys));
            if user.is_nan() || sys.is_nan() {
                "—".to_owned()
            } else {
                format!("{user:.2} + {sys:.2}")
            }
        };
        println!(
            "| {} | {} | {} |",
            tool.name(),
            cpu(CASES[0]),
            cpu(CASES[2])
        );
    }

    // The targets are judged on file to file, the case the issue names.
    let mut targets = Vec::new();
    for case in [CASES[0], CASES[2]] {
        let direction = if case.seal { "seal" } else { "unseal" };
        let ours = wall(Tool::Phiguard, case);
        for (peer, target) in [(Tool::Age, TARGET_AGE), (Tool::Openssl, TARGET_OPENSSL)] {
            let label = format!(
                "{direction} ≥ {target}× {}'s throughput (tmpfs file → tmpfs file)",
                peer.name()
            );
            targets.push(match (wall(peer, case), ours) {
                (Some(theirs), Some(ours)) => {
                    let ratio = theirs / ours;
                    (label, format!("{ratio:.2}×"), Some(ratio >= target))
                }
                _ => (label, format!("{} not installed", peer.name()), None),
            });
        }
    }
    targets
}

/// Median rate in GB/s of `op` over 1 MiB messages: `runs` runs of `iterations` each.
fn rate(
    iterations: usize,
    runs: usize,
    mut op: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<f64> {
    for _ in 0..iterations.div_ceil(10) {
        op()?;
    }
    let mut rates = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        for _ in 0..iterations {
            op()?;
        }
        let elapsed = started.elapsed().max(Duration::from_nanos(1));
        rates.push((MESSAGE * iterations) as f64 / elapsed.as_secs_f64() / 1e9);
    }
    Ok(median(&rates))
}

/// In-memory rates, GB/s.
#[derive(Debug)]
struct Memory {
    seal: f64,
    unseal: f64,
    raw_seal: f64,
    raw_open: f64,
}

fn nonce(counter: u64) -> Nonce {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[4..].copy_from_slice(&counter.to_be_bytes());
    Nonce::assume_unique_for_key(nonce)
}

fn in_memory(iterations: usize, runs: usize) -> anyhow::Result<Memory> {
    let mut plaintext = vec![0u8; MESSAGE];
    Xorshift(0x2545_f491_4f6c_dd1d).fill(&mut plaintext);
    let kek = Kek::new(random_bytes::<16>()?, 1, KeyBytes::generate()?);
    let recipients = Recipients {
        kek: &kek,
        break_glass: &[],
    };
    let context = phiguard_crypto::Context::new();

    let sealed = phiguard_crypto::seal(recipients, &context, &plaintext)?;
    let (_, opened) = phiguard_crypto::unseal(&kek, &sealed)?;
    anyhow::ensure!(opened == plaintext, "unseal did not give back the message");

    eprintln!("in memory: phiguard_crypto::seal");
    let seal = rate(iterations, runs, || {
        black_box(phiguard_crypto::seal(
            recipients,
            &context,
            black_box(&plaintext),
        )?);
        Ok(())
    })?;
    eprintln!("in memory: phiguard_crypto::unseal");
    let unseal = rate(iterations, runs, || {
        black_box(phiguard_crypto::unseal(&kek, black_box(&sealed))?);
        Ok(())
    })?;

    // The ceiling: one AES-256-GCM call over the whole megabyte, no framing, no allocation.
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &random_bytes::<32>()?)?);
    let mut buffer = plaintext.clone();
    let mut counter = 0u64;
    eprintln!("in memory: raw AES-256-GCM seal in place");
    let raw_seal = rate(iterations, runs, || {
        counter += 1;
        let tag = key.seal_in_place_separate_tag(nonce(counter), Aad::empty(), &mut buffer)?;
        black_box(&tag);
        Ok(())
    })?;
    let mut ciphertext = plaintext.clone();
    let tag = key.seal_in_place_separate_tag(nonce(0), Aad::empty(), &mut ciphertext)?;
    let mut out = vec![0u8; MESSAGE];
    key.open_separate_gather(nonce(0), Aad::empty(), &ciphertext, tag.as_ref(), &mut out)?;
    anyhow::ensure!(out == plaintext, "raw AES-256-GCM did not round-trip");
    eprintln!("in memory: raw AES-256-GCM open");
    let raw_open = rate(iterations, runs, || {
        key.open_separate_gather(
            nonce(0),
            Aad::empty(),
            black_box(&ciphertext),
            tag.as_ref(),
            &mut out,
        )?;
        black_box(&out);
        Ok(())
    })?;
    Ok(Memory {
        seal,
        unseal,
        raw_seal,
        raw_open,
    })
}

fn report_memory(args: &Args, memory: &Memory) {
    println!(
        "## In memory: 1 MiB messages, one thread, median of {} runs × {}\n",
        args.memory_runs, args.iterations
    );
    println!("| operation | phiguard GB/s | raw AES-256-GCM GB/s | phiguard ÷ raw | target |");
    println!("|---|---|---|---|---|");
    for (label, ours, raw) in [
        ("seal", memory.seal, memory.raw_seal),
        ("unseal", memory.unseal, memory.raw_open),
    ] {
        println!(
            "| {label} | {ours:.2} | {raw:.2} | {:.2} | ≥ {TARGET_MEMORY_GBPS} GB/s |",
            ours / raw
        );
    }
    println!(
        "\nphiguard: `phiguard_crypto::seal` / `unseal` (fresh data key, KEK-wrapped, 64 KiB \
         frames, a new output buffer each). Raw: one `LessSafeKey` call over the megabyte, \
         sealed in place / opened into a reused buffer. GB = 10⁹ bytes."
    );
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.rounds > 0, "--rounds must be at least 1");
    anyhow::ensure!(
        args.iterations > 0 && args.memory_runs > 0,
        "--iterations and --memory-runs must be at least 1"
    );
    println!("# phiguard crypto benchmark\n");
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let threads = std::thread::available_parallelism().map_or(0, usize::from);
    println!("{cpu}, {threads} logical CPUs available.\n");

    // In memory first, in a fresh process: what ran before changes how the allocator reuses
    // memory, and with it the library's speed, so every run measures the same state.
    let memory = in_memory(args.iterations, args.memory_runs)?;
    report_memory(&args, &memory);
    let mut targets: Vec<Target> = Vec::new();
    if !args.skip_files {
        targets.extend(whole_process(&args)?);
    }
    for (label, value) in [("seal", memory.seal), ("unseal", memory.unseal)] {
        targets.push((
            format!("in-memory {label} ≥ {TARGET_MEMORY_GBPS} GB/s on one core"),
            format!("{value:.2} GB/s"),
            Some(value >= TARGET_MEMORY_GBPS),
        ));
    }

    println!("\n## Targets\n");
    print_targets(&targets);
    Ok(())
}
