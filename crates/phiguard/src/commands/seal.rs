//! `phiguard seal` and `phiguard unseal`: files and streams in, sealed or opened out, in
//! constant memory, never over the input, and never leaving a partial file behind: not when
//! the input fails to authenticate, and not when the process is interrupted. What the ledger
//! records of each attempt is `phiguard_app::seal`'s.

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
use phiguard_app::installation::{Installation, Purpose};
use phiguard_app::seal::{Access, Observer, finish_attempt, pairs, path_pseudonym};

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
    /// The file written, if it is one.
    fn path(&self) -> Option<&Path> {
        match self {
            Destination::Stdout => None,
            Destination::File { path, .. } => Some(path),
        }
    }

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

/// Where the output is being written. A file is written without a name (or, where the file
/// system cannot do that, under a hidden temporary name that SIGINT, SIGTERM and SIGHUP
/// remove), flushed to disk, and named only by [`Sink::name`]: dropped before that, it leaves
/// nothing. Between the two, the command records what it did in the ledger, so output whose
/// making could not be recorded never appears.
enum Sink {
    Stdout(WriteBehind),
    File {
        // Dropped in this order: the writer, then the unnamed file, then the signal handler
        // that removes a named temporary file.
        writer: WriteBehind,
        pending: PendingFile,
        path: PathBuf,
        force: bool,
        _removal: Option<RemoveOnSignal>,
    },
}

impl Sink {
    /// Starts writing to `destination`; what is written also passes through `observer`.
    fn open(destination: &Destination, observer: Option<&Observer>) -> anyhow::Result<Sink> {
        let observed = |inner| -> Box<dyn Write + Send> {
            match observer {
                Some(observer) => Box::new(observer.wrap(inner)),
                None => Box::new(inner),
            }
        };
        match destination {
            Destination::Stdout => {
                let stdout: Box<dyn Write + Send> = Box::new(io::stdout());
                let writer = WriteBehind::new(observed(stdout)).map_err(started_writing)?;
                Ok(Sink::Stdout(writer))
            }
            Destination::File { path, force } => {
                let pending = PendingFile::create(path).with_context(|| {
                    format!("could not create {} (nothing was written)", path.display())
                })?;
                // Armed until the file is named or removed.
                let removal = match pending.temporary_path() {
                    Some(temporary) => Some(
                        RemoveOnSignal::install(temporary.to_path_buf())
                            .map_err(started_writing)?,
                    ),
                    None => None,
                };
                // Written on its own thread, so writing overlaps encryption.
                let handle: Box<dyn Write + Send> =
                    Box::new(pending.file().try_clone().map_err(started_writing)?);
                let writer = WriteBehind::new(observed(handle)).map_err(started_writing)?;
                Ok(Sink::File {
                    writer,
                    pending,
                    path: path.clone(),
                    force: *force,
                    _removal: removal,
                })
            }
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Stdout(writer) | Sink::File { writer, .. } => writer,
        }
    }

    /// Writes out everything written so far.
    fn flush(&mut self) -> anyhow::Result<()> {
        match self {
            Sink::Stdout(writer) => writer.flush().context("could not write to stdout"),
            Sink::File { writer, .. } => writer.flush().context("could not write the output"),
        }
    }

    /// Gives a file its name, once complete (stdout is already written).
    fn name(self) -> anyhow::Result<()> {
        let Sink::File {
            writer,
            pending,
            path,
            force,
            _removal,
        } = self
        else {
            return Ok(());
        };
        drop(writer);
        pending.persist(force).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                anyhow::anyhow!(
                    "{} appeared while phiguard was writing; nothing was replaced. Choose \
                     another -o, or add --force to replace it",
                    path.display()
                )
            } else {
                anyhow::Error::new(e).context(format!(
                    "could not move the output into place at {}",
                    path.display()
                ))
            }
        })
    }
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

/// The input, read ahead on its own thread so reading overlaps encryption (and `observer`,
/// when given, sees it there), and its size when it is a regular file.
fn open_input(
    path: &Path,
    observer: Option<&Observer>,
) -> anyhow::Result<(ReadAhead, Option<u64>)> {
    let started = |e: io::Error| anyhow::Error::new(e).context("could not start reading");
    let (source, size): (Box<dyn io::Read + Send>, Option<u64>) = if is_dash(path) {
        (Box::new(io::stdin()), None)
    } else {
        let file =
            File::open(path).with_context(|| format!("could not open {}", path.display()))?;
        let size = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        (Box::new(file), size)
    };
    let reader = match observer {
        Some(observer) => ReadAhead::new(observer.wrap(source)),
        None => ReadAhead::new(source),
    };
    Ok((reader.map_err(started)?, size))
}

/// Where `seal` writes: `-o`, else INPUT.phg, else stdout for stdin.
fn seal_destination(args: &SealArgs) -> Destination {
    match &args.output {
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
    }
}

pub async fn seal(global: &GlobalArgs, args: &SealArgs, out: &Output) -> anyhow::Result<Outcome> {
    let context = context_from(&args.context)?;
    let destination = seal_destination(args);
    if matches!(destination, Destination::Stdout) && io::stdout().is_terminal() {
        anyhow::bail!(
            "refusing to write sealed (binary) data to a terminal; give -o FILE or redirect stdout"
        );
    }
    destination.check(&args.input)?;
    // The ledger first: a seal that could not be recorded does not happen.
    let installation = Installation::open(&super::options(global), Purpose::Amend, out).await?;
    let observer = Observer::new();
    let mut sealed_file = None;
    let mut plain_file = None;
    let mut result = None;
    let attempt = (|| -> anyhow::Result<Sink> {
        let keyring = phiguard_app::keys::open_keyring(&installation.home, &keys::Terminal)?;
        let pseudonyms = keyring.pseudonymizer()?;
        sealed_file = path_pseudonym(Some(&pseudonyms), destination.path())?;
        plain_file = path_pseudonym(Some(&pseudonyms), Some(&args.input))?;
        let (input, size) = open_input(&args.input, None)?;
        let bar = out.progress(size.filter(|s| *s >= PROGRESS_FROM).unwrap_or(0), "sealing");
        let recipients = keyring.recipients();
        let mut sink = Sink::open(&destination, Some(&observer))?;
        let bytes =
            phiguard_crypto::seal_stream(recipients, &context, input, sink.writer(), &mut |done| {
                bar.set_position(done)
            })
            .context("sealing failed")?;
        sink.flush()?;
        bar.finish_and_clear();
        result = Some(SealResult {
            input: args.input.display().to_string(),
            output: destination.describe(),
            bytes,
            key_version: keyring.current_version(),
            recipients: 1 + recipients.break_glass.len(),
            context: pairs(&context),
        });
        Ok(sink)
    })();
    let sealed = observer.finish();
    let mut access = Access::new("sealed", &sealed);
    access.sealed_file = sealed_file;
    access.plain_file = plain_file;
    access.context = Some(pairs(&context));
    let kek = sealed
        .header
        .iter()
        .flat_map(|h| &h.stanzas)
        .find(|s| matches!(s, phiguard_crypto::format::Stanza::Kek { .. }));
    if let Some(kek) = kek {
        access.key(&sealed, &kek.describe());
    }
    let named = match finish_attempt(&installation, "crypto.seal", access, "failed", attempt).await
    {
        Ok(sink) => sink.name(),
        Err(e) => Err(e),
    };
    // A failed attempt was recorded too: its checkpoint is signed all the same.
    let closed = installation.close().await;
    named?;
    closed?;
    if let Some(result) = result
        && (!matches!(destination, Destination::Stdout) || out.is_json())
    {
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

pub async fn unseal(
    global: &GlobalArgs,
    args: &UnsealArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
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
    // The ledger first: access to PHI that could not be recorded does not happen.
    let installation = match Installation::open(&super::options(global), Purpose::Amend, out).await
    {
        Ok(installation) => installation,
        Err(e) if args.break_glass.is_some() => {
            return Err(e.context(
                "this emergency access cannot be recorded in this home's ledger, so nothing was \
                 opened; if the home cannot be repaired, record it in a new one: `phiguard \
                 --home NEW init`, then the same unseal with `--home NEW`",
            ));
        }
        Err(e) => return Err(e),
    };
    let observer = Observer::new();
    let mut input = None;
    let mut files = (None, None);
    let mut opened = None;
    let attempt = (|| -> anyhow::Result<Sink> {
        let (opener, pseudonyms): (Box<dyn KeyOpener>, _) = match &args.break_glass {
            Some(file) => {
                let text =
                    zeroize::Zeroizing::new(std::fs::read_to_string(file).with_context(|| {
                        format!("could not read the break-glass key {}", file.display())
                    })?);
                let key = BreakGlassSecret::from_text(&text).map_err(anyhow::Error::msg)?;
                // The keyring may be lost: files are then named by their digest alone.
                (Box::new(key), None)
            }
            None => {
                let keyring =
                    phiguard_app::keys::open_keyring(&installation.home, &keys::Terminal)?;
                let pseudonyms = keyring.pseudonymizer()?;
                (Box::new(keyring), Some(pseudonyms))
            }
        };
        files = (
            path_pseudonym(pseudonyms.as_ref(), Some(&args.input))?,
            path_pseudonym(pseudonyms.as_ref(), destination.path())?,
        );
        let (reader, size) = open_input(&args.input, Some(&observer))?;
        let reader = input.insert(reader);
        let bar = out.progress(size.filter(|s| *s >= PROGRESS_FROM).unwrap_or(0), "opening");
        let mut sink = Sink::open(&destination, None)?;
        let unsealed = phiguard_crypto::unseal_stream_requiring(
            &*opener,
            &required,
            &mut *reader,
            sink.writer(),
            &mut |done| bar.set_position(done),
        )
        .map_err(anyhow::Error::new)
        .context("the data could not be opened")
        .and_then(|unsealed| {
            sink.flush()?;
            Ok(unsealed)
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
        opened = Some(unsealed);
        Ok(sink)
    })();
    // The size is of everything given, however far the attempt read.
    if let Some(mut reader) = input
        && !(is_dash(&args.input) && io::stdin().is_terminal())
    {
        let _ = io::copy(&mut reader, &mut io::sink());
    }
    let sealed = observer.finish();
    let mut access = Access::new("opened", &sealed);
    (access.sealed_file, access.plain_file) = files;
    access.required_context = Some(pairs(&required)).filter(|pairs| !pairs.is_empty());
    if let Some(opened) = &opened {
        access.context = Some(pairs(&opened.context));
        access.opened_with = Some(opened.opened_with.clone());
        access.key(&sealed, &opened.opened_with);
    }
    let named =
        match finish_attempt(&installation, "crypto.unseal", access, "refused", attempt).await {
            Ok(sink) => sink.name(),
            Err(e) => Err(e),
        };
    // A failed attempt was recorded too: its checkpoint is signed all the same.
    let closed = installation.close().await;
    named?;
    closed?;
    if let Some(opened) = opened
        && (!matches!(destination, Destination::Stdout) || out.is_json())
    {
        let result = UnsealResult {
            input: args.input.display().to_string(),
            output: destination.describe(),
            bytes: opened.plaintext_bytes,
            opened_with: opened.opened_with.clone(),
            context: pairs(&opened.context),
        };
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
