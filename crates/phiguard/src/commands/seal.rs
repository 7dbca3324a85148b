//! `phiguard seal` and `phiguard unseal`: files and streams in, sealed or opened out, in
//! constant memory, never over the input, and never leaving a partial file behind: not when
//! the input fails to authenticate, and not when the process is interrupted.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use phiguard_core::Escaped;
use phiguard_crypto::{BreakGlassSecret, KeyOpener, ReadAhead, WriteBehind};
use phiguard_home::PendingFile;
use serde::Serialize;

use crate::Outcome;
use crate::cli::{GlobalArgs, SealArgs, UnsealArgs};
use crate::keys;
use crate::output::Output;

/// The suffix `seal` adds and `unseal` removes.
const SUFFIX: &str = "phg";
/// Files at least this large get a progress bar (on a terminal).
const PROGRESS_FROM: u64 = 64 * 1024 * 1024;

#[derive(Debug, Serialize)]
struct SealResult {
    input: String,
    output: String,
    bytes: u64,
    key_version: u32,
    recipients: usize,
    context: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
struct UnsealResult {
    input: String,
    output: String,
    bytes: u64,
    opened_with: String,
    context: std::collections::BTreeMap<String, String>,
}

fn context_from(pairs: &[String]) -> anyhow::Result<phiguard_crypto::Context> {
    let mut context = phiguard_crypto::Context::new();
    for pair in pairs {
        context.insert_pair(pair).map_err(anyhow::Error::msg)?;
    }
    Ok(context)
}

fn is_dash(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Where the result goes.
enum Destination {
    Stdout,
    File { path: PathBuf, force: bool },
}

impl Destination {
    fn describe(&self) -> String {
        match self {
            Destination::Stdout => "-".into(),
            Destination::File { path, .. } => path.display().to_string(),
        }
    }

    /// Refuses an output that exists (unless forced) or that is the input itself.
    fn check(&self, input: &Path) -> anyhow::Result<()> {
        let Destination::File { path, force } = self else {
            return Ok(());
        };
        let Ok(existing) = std::fs::metadata(path) else {
            return Ok(());
        };
        if let Ok(source) = std::fs::metadata(input)
            && source.dev() == existing.dev()
            && source.ino() == existing.ino()
        {
            anyhow::bail!(
                "the output {} is the input file; phiguard never writes over its input. Choose another -o",
                path.display()
            );
        }
        if !force {
            anyhow::bail!(
                "{} already exists; choose another -o, or add --force to replace it",
                path.display()
            );
        }
        Ok(())
    }
}

/// Runs `work` with a writer for the destination. A file is written without a name (or,
/// where the file system cannot do that, under a hidden temporary name that SIGINT, SIGTERM
/// and SIGHUP remove), flushed to disk, and named only when `work` succeeded; on failure
/// nothing is left.
fn write_to<T>(
    destination: &Destination,
    work: impl FnOnce(&mut dyn Write) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    match destination {
        Destination::Stdout => {
            let mut writer = WriteBehind::new(io::stdout()).map_err(started_writing)?;
            let value = work(&mut writer)?;
            writer.flush().context("could not write to stdout")?;
            Ok(value)
        }
        Destination::File { path, force } => {
            let pending = PendingFile::create(path).with_context(|| {
                format!("could not create {} (nothing was written)", path.display())
            })?;
            // Armed until the file is named or removed: `pending` is dropped inside
            // `write_pending`, before this is.
            let _removal = match pending.temporary_path() {
                Some(temporary) => Some(
                    RemoveOnSignal::install(temporary.to_path_buf()).map_err(started_writing)?,
                ),
                None => None,
            };
            write_pending(pending, path, *force, work)
        }
    }
}

/// Writes `pending` through `work` and names it `path` when `work` succeeded.
fn write_pending<T>(
    pending: PendingFile,
    path: &Path,
    force: bool,
    work: impl FnOnce(&mut dyn Write) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    // Written on its own thread, so writing overlaps encryption.
    let handle = pending.file().try_clone().map_err(started_writing)?;
    let mut writer = WriteBehind::new(handle).map_err(started_writing)?;
    let value = work(&mut writer)?;
    writer.flush().context("could not write the output")?;
    drop(writer);
    pending.persist(force).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} appeared while phiguard was writing; nothing was replaced. Choose another \
                 -o, or add --force to replace it",
                path.display()
            )
        } else {
            anyhow::Error::new(e).context(format!(
                "could not move the output into place at {}",
                path.display()
            ))
        }
    })?;
    Ok(value)
}

/// While it lives, SIGINT, SIGTERM and SIGHUP remove a file before the process dies of them,
/// as it would have without phiguard's handler (same signal, same exit status). A signal
/// that was ignored when phiguard started (`nohup`) stays ignored.
///
/// Once dropped, the file is no longer removed, but the handler stays: the process still
/// dies of those signals (an uninstalled handler would leave them swallowed instead).
struct RemoveOnSignal {
    armed: Arc<AtomicBool>,
}

impl RemoveOnSignal {
    fn install(path: PathBuf) -> io::Result<RemoveOnSignal> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let ignored = ignored_signals();
        let wanted = [SIGINT, SIGTERM, SIGHUP]
            .into_iter()
            .filter(|signal| ignored & (1 << (signal - 1)) == 0);
        let mut signals = signal_hook::iterator::Signals::new(wanted)?;
        let armed = Arc::new(AtomicBool::new(true));
        let removing = armed.clone();
        std::thread::Builder::new()
            .name("phiguard-remove-on-signal".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    if removing.load(Ordering::SeqCst) {
                        let _ = std::fs::remove_file(&path);
                    }
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal);
                }
            })?;
        Ok(RemoveOnSignal { armed })
    }
}

impl Drop for RemoveOnSignal {
    fn drop(&mut self) {
        self.armed.store(false, Ordering::SeqCst);
    }
}

/// The signals this process ignores (bit n-1 for signal n), from `/proc/self/status`; none
/// when that cannot be read.
fn ignored_signals() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("SigIgn:"))
                .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        })
        .unwrap_or(0)
}

fn started_writing(e: io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context("could not start writing")
}

/// The input, read ahead on its own thread so reading overlaps encryption, and its size
/// when it is a regular file.
fn open_input(path: &Path) -> anyhow::Result<(ReadAhead, Option<u64>)> {
    let started = |e: io::Error| anyhow::Error::new(e).context("could not start reading");
    if is_dash(path) {
        return Ok((ReadAhead::new(io::stdin()).map_err(started)?, None));
    }
    let file = File::open(path).with_context(|| format!("could not open {}", path.display()))?;
    let size = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    Ok((ReadAhead::new(file).map_err(started)?, size))
}

pub fn seal(global: &GlobalArgs, args: &SealArgs, out: &Output) -> anyhow::Result<Outcome> {
    let context = context_from(&args.context)?;
    let destination = match &args.output {
        Some(path) if is_dash(path) => Destination::Stdout,
        Some(path) => Destination::File {
            path: path.clone(),
            force: args.force,
        },
        None if is_dash(&args.input) => Destination::Stdout,
        None => {
            let mut name = args.input.clone().into_os_string();
            name.push(format!(".{SUFFIX}"));
            Destination::File {
                path: name.into(),
                force: args.force,
            }
        }
    };
    if matches!(destination, Destination::Stdout) && io::stdout().is_terminal() {
        anyhow::bail!(
            "refusing to write sealed (binary) data to a terminal; give -o FILE or redirect stdout"
        );
    }
    destination.check(&args.input)?;
    let home = keys::open_home(global, out)?;
    let keyring = keys::open_keyring(&home)?;
    let (input, size) = open_input(&args.input)?;
    let bar = out.progress(size.filter(|s| *s >= PROGRESS_FROM).unwrap_or(0), "sealing");
    let recipients = keyring.recipients();
    let bytes = write_to(&destination, |writer| {
        phiguard_crypto::seal_stream(recipients, &context, input, writer, &mut |done| {
            bar.set_position(done)
        })
        .context("sealing failed")
    })?;
    bar.finish_and_clear();
    let result = SealResult {
        input: args.input.display().to_string(),
        output: destination.describe(),
        bytes,
        key_version: keyring.current_version(),
        recipients: 1 + recipients.break_glass.len(),
        context: context
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    };
    if !matches!(destination, Destination::Stdout) || out.is_json() {
        out.result(&result, || {
            format!(
                "sealed {} ({} bytes) into {} with key version {}",
                Escaped(&result.input),
                result.bytes,
                Escaped(&result.output),
                result.key_version
            )
        });
    }
    Ok(Outcome::Ok)
}

pub fn unseal(global: &GlobalArgs, args: &UnsealArgs, out: &Output) -> anyhow::Result<Outcome> {
    let required = context_from(&args.context)?;
    let destination = match &args.output {
        Some(path) if is_dash(path) => Destination::Stdout,
        Some(path) => Destination::File {
            path: path.clone(),
            force: args.force,
        },
        None if is_dash(&args.input) => Destination::Stdout,
        None => match args.input.extension() {
            Some(ext) if ext == SUFFIX => Destination::File {
                path: args.input.with_extension(""),
                force: args.force,
            },
            _ => anyhow::bail!(
                "{} does not end in .{SUFFIX}, so there is no default output name; give -o FILE (or -o - for stdout)",
                args.input.display()
            ),
        },
    };
    destination.check(&args.input)?;
    let opener: Box<dyn KeyOpener> = match &args.break_glass {
        Some(file) => {
            let text =
                zeroize::Zeroizing::new(std::fs::read_to_string(file).with_context(|| {
                    format!("could not read the break-glass key {}", file.display())
                })?);
            Box::new(BreakGlassSecret::from_text(&text).map_err(anyhow::Error::msg)?)
        }
        None => Box::new(keys::open_keyring(&keys::open_home(global, out)?)?),
    };
    let (input, size) = open_input(&args.input)?;
    let bar = out.progress(size.filter(|s| *s >= PROGRESS_FROM).unwrap_or(0), "opening");
    let opened = write_to(&destination, |writer| {
        phiguard_crypto::unseal_stream_requiring(&*opener, &required, input, writer, &mut |done| {
            bar.set_position(done)
        })
        .map_err(anyhow::Error::new)
        .context("the data could not be opened")
    })
    .map_err(|e| {
        if matches!(destination, Destination::Stdout) {
            e.context(
                "nothing after this point is trustworthy: discard whatever was written to stdout",
            )
        } else {
            e
        }
    })?;
    bar.finish_and_clear();
    let result = UnsealResult {
        input: args.input.display().to_string(),
        output: destination.describe(),
        bytes: opened.plaintext_bytes,
        opened_with: opened.opened_with.clone(),
        context: opened
            .context
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    };
    if !matches!(destination, Destination::Stdout) || out.is_json() {
        out.result(&result, || {
            format!(
                "opened {} into {} ({} bytes) with {}",
                Escaped(&result.input),
                Escaped(&result.output),
                result.bytes,
                result.opened_with
            )
        });
    }
    Ok(Outcome::Ok)
}
