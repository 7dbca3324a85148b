//! `phiguard ledger …`: the tamper-evident evidence ledger.

use anyhow::{Context, bail};
use phiguard_core::{Evidence, hex};
use phiguard_ledger::merkle;
use phiguard_ledger::note::{CosignerKey, VerifierKey, open_checkpoint};
use phiguard_ledger::witness::{self, read_text_file};
use phiguard_ledger::{
    Anchor, ConsistencyProof, Ledger, StoredEntry, Tamper, VerifyReport, bundle, entry,
};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{AppendArgs, GlobalArgs, LedgerCommand, VerifyArgs, WitnessCommand};
use crate::output::Output;
use phiguard_app::installation::{
    CheckpointPacer, Existing, Installation, Purpose, local_source, read_ledger_key, witness_file,
};

pub async fn run(
    global: &GlobalArgs,
    command: &LedgerCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    match command {
        // Offline bundle verification must not touch (or create) a home or database.
        LedgerCommand::Verify(
            args @ VerifyArgs {
                bundle: Some(dir),
                key: Some(key),
                ..
            },
        ) => {
            let key = parse_verifier(key)?;
            let anchors = external_anchors(args, &key)?;
            let bar = out.progress(0, "verifying");
            let verdict =
                bundle::verify_bundle(dir, &key, &anchors, &mut |done| bar.set_position(done))?;
            bar.finish_and_clear();
            return Ok(report_verdict(verdict, out));
        }
        // Verification judges what is there and creates nothing.
        LedgerCommand::Verify(args) => return verify_database(global, args, out).await,
        _ => {}
    }

    let installation = Installation::open(&super::options(global), purpose(command), out).await?;
    let ledger = installation.ledger();
    let outcome = match command {
        LedgerCommand::Append(args) => append(&installation, args, out).await?,
        LedgerCommand::Show { seq } => {
            let entry = ledger.get(*seq).await?.with_context(|| {
                format!("there is no entry {seq}; `phiguard ledger tail` shows the newest")
            })?;
            print_entries(&[entry], out);
            Outcome::Ok
        }
        LedgerCommand::Tail { count } => {
            let entries = ledger.tail(*count).await?;
            print_entries(&entries, out);
            Outcome::Ok
        }
        LedgerCommand::Checkpoint => {
            let signer = installation.ledger_signing_key()?;
            let checkpoint = ledger.checkpoint(&signer).await?;
            out.result(&checkpoint, || checkpoint.note.clone());
            Outcome::Ok
        }
        LedgerCommand::Prove { seq, size } => prove(&installation, *seq, *size, out).await?,
        LedgerCommand::Consistency { old, new } => {
            let proof = ledger.consistency_proof(*old, *new).await?;
            // A proof is for machines; the text form is the same JSON.
            out.result(&proof, || to_json(&proof));
            Outcome::Ok
        }
        LedgerCommand::Verify(_) => unreachable_verify()?,
        LedgerCommand::Export { out: dir } => {
            let signer = installation.ledger_signing_key()?;
            let checkpoint = ledger.checkpoint(&signer).await?;
            let bar = out.progress(checkpoint.size, "exporting");
            let manifest = ledger
                .export(dir, checkpoint.size, &mut |done, _| bar.set_position(done))
                .await?;
            bar.finish_and_clear();
            out.result(&manifest, || {
                format!(
                    "Exported {} entries and {} checkpoints to {}\nVerify offline with:\n  \
                     phiguard ledger verify --bundle {} --key '{}'",
                    manifest.entries,
                    manifest.checkpoints,
                    dir.display(),
                    dir.display(),
                    signer.verifier()
                )
            });
            Outcome::Ok
        }
        LedgerCommand::Key => {
            let verifier = installation.ledger_signing_key()?.verifier().to_string();
            out.result(&serde_json::json!({ "verifier_key": verifier }), || {
                verifier.clone()
            });
            Outcome::Ok
        }
        LedgerCommand::Witness(command) => witness(&installation, command, out)?,
    };
    installation.close().await?;
    Ok(outcome)
}

/// Whether a ledger command may start a home. Reading, proving and the verifier key need a
/// ledger that exists; so do signing and exporting one. Appending records evidence, and a
/// witness keeps its own state from its first use.
fn purpose(command: &LedgerCommand) -> Purpose {
    match command {
        LedgerCommand::Append(_) | LedgerCommand::Witness(_) => Purpose::Record,
        LedgerCommand::Checkpoint | LedgerCommand::Export { .. } => Purpose::Amend,
        LedgerCommand::Show { .. }
        | LedgerCommand::Tail { .. }
        | LedgerCommand::Prove { .. }
        | LedgerCommand::Consistency { .. }
        | LedgerCommand::Verify(_)
        | LedgerCommand::Key => Purpose::Read,
    }
}

/// `verify` is answered before the installation is opened; reaching it here is a mistake in
/// this file, reported rather than panicked on.
fn unreachable_verify() -> anyhow::Result<Outcome> {
    bail!("internal error: verification was not dispatched before opening the installation")
}

/// Verifies the ledger in the database against its checkpoints, the home's witness file and
/// the checkpoints given with `--checkpoint`, creating nothing.
async fn verify_database(
    global: &GlobalArgs,
    args: &VerifyArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let key_of = |home: &phiguard_home::Home| match &args.key {
        Some(key) => parse_verifier(key),
        None => Ok(read_ledger_key(home)?.verifier()),
    };
    let location = phiguard_app::installation::locate(&super::options(global), out)?;
    if !phiguard_home::Home::exists(&location.dir) {
        bail!(
            "{}\nAn exported bundle verifies without a home: `phiguard ledger verify --bundle DIR \
             --key KEY`.",
            location.missing()
        );
    }
    let installation = match Installation::open_existing(&super::options(global), out).await? {
        Existing::Open(installation) => installation,
        Existing::NoDatabase { home, database } => {
            let key = key_of(&home)?;
            let mut anchors = external_anchors(args, &key)?;
            let witness = witness_file(&home);
            if let Some(note) = witness.read()? {
                let held_in = format!("the witness file {}", witness.path().display());
                match Anchor::open(&note, held_in.clone(), &key, &[]) {
                    Ok(anchor) => anchors.push(anchor),
                    Err(reason) => {
                        return Ok(report_verdict(
                            Err(Tamper::AnchorUnusable { held_in, reason }),
                            out,
                        ));
                    }
                }
            }
            let Some(newest) = anchors.into_iter().max_by_key(|anchor| anchor.size) else {
                bail!(
                    "there is no database at {}, and no witness file or --checkpoint says there \
                     was one: nothing to verify. Give the database with --database, or the home \
                     with --home",
                    database.display()
                );
            };
            return Ok(report_verdict(
                Err(Tamper::DatabaseMissing {
                    database: database.display().to_string(),
                    size: newest.size,
                    held_in: newest.source,
                }),
                out,
            ));
        }
    };
    let key = key_of(&installation.home)?;
    let anchors = external_anchors(args, &key)?;
    let ledger = installation.ledger();
    let bar = out.progress(ledger.size().await?, "verifying");
    let verdict = ledger
        .verify(&key, &anchors, &mut |done, _| bar.set_position(done))
        .await?;
    bar.finish_and_clear();
    installation.close().await?;
    Ok(report_verdict(verdict, out))
}

/// The checkpoints given with `--checkpoint`, each opened with the log's key and carrying a
/// cosignature of every `--witness-key`.
fn external_anchors(args: &VerifyArgs, key: &VerifierKey) -> anyhow::Result<Vec<Anchor>> {
    let cosigners = args
        .witness_keys
        .iter()
        .map(|given| {
            let text = key_text(given)?;
            CosignerKey::parse(&text).with_context(|| {
                "the witness key is not valid; it looks like name+1a2b3c4d+base64, as printed by \
                 `phiguard ledger witness key`"
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    args.checkpoints
        .iter()
        .map(|path| {
            let note = read_text_file(path, witness::MAX_NOTE_BYTES, "a checkpoint")?;
            let held_in = format!("the checkpoint file {}", path.display());
            Anchor::open(&note, held_in, key, &cosigners).map_err(|reason| {
                anyhow::anyhow!("{} cannot vouch for this ledger: {reason}", path.display())
            })
        })
        .collect()
}

/// `phiguard ledger witness`: this installation as a witness of other logs.
fn witness(
    installation: &Installation,
    command: &WitnessCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let key = phiguard_app::installation::witness_signing_key(&installation.home)?;
    match command {
        WitnessCommand::Key => {
            let cosigner = key.cosigner().to_string();
            out.result(&serde_json::json!({ "witness_key": cosigner }), || {
                cosigner.clone()
            });
            Ok(Outcome::Ok)
        }
        WitnessCommand::Cosign {
            log_key,
            checkpoint,
            proof,
        } => {
            let log_key = parse_verifier(log_key)?;
            let note = read_text_file(checkpoint, witness::MAX_NOTE_BYTES, "a checkpoint")?;
            let proof: Option<ConsistencyProof> = proof
                .as_deref()
                .map(|path| {
                    let text = read_text_file(path, MAX_PROOF_BYTES, "a consistency proof")?;
                    serde_json::from_str(&text).with_context(|| {
                        format!(
                            "{} is not a consistency proof as `phiguard ledger consistency OLD \
                             NEW --json` prints it",
                            path.display()
                        )
                    })
                })
                .transpose()?;
            let kept = phiguard_app::installation::witnessed_log(&installation.home, &log_key)?;
            let last = kept.read()?;
            let now = u64::try_from(jiff::Timestamp::now().as_second()).unwrap_or(0);
            match witness::cosign(&note, &log_key, last.as_deref(), proof.as_ref(), &key, now) {
                Ok(cosigned) => {
                    kept.write(&cosigned)?;
                    out.result(&serde_json::json!({ "cosigned": cosigned }), || {
                        cosigned.clone()
                    });
                    Ok(Outcome::Ok)
                }
                Err(refusal) => {
                    out.result(
                        &serde_json::json!({ "cosigned": null, "refused": refusal.to_string() }),
                        || format!("NOT COSIGNED: {refusal}"),
                    );
                    Ok(Outcome::FailingFindings)
                }
            }
        }
    }
}

/// A consistency proof is a few dozen hashes.
const MAX_PROOF_BYTES: u64 = 64 * 1024;

async fn append(
    installation: &Installation,
    args: &AppendArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    entry::validate_kind(&args.kind)?;
    let ledger = installation.ledger();
    if args.lines {
        return append_lines(installation, &ledger, &args.kind).await;
    }
    let text = match args.body.as_deref().unwrap_or("-") {
        "-" => read_body(std::io::stdin().lock(), "stdin")?,
        body if body.starts_with('@') => {
            let path = &body[1..];
            let file = std::fs::File::open(path)
                .with_context(|| format!("could not read the body from {path}"))?;
            read_body(file, path)?
        }
        body => body.to_owned(),
    };
    let evidence = evidence_of(&args.kind, &text).map_err(|e| {
        anyhow::anyhow!("{e}; give a JSON value, e.g. --body '{{\"result\":\"ok\"}}'")
    })?;
    let reference = ledger.append(&evidence).await?;
    out.result(&reference, || {
        format!(
            "appended entry {} (leaf {})",
            reference.seq,
            reference.leaf_hash_hex()
        )
    });
    Ok(Outcome::Ok)
}

/// Reads a body of at most one ledger entry's size; `/dev/zero` or a huge file is refused
/// after that many bytes, never read whole.
fn read_body(input: impl std::io::Read, from: &str) -> anyhow::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    input
        .take(entry::MAX_ENTRY_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("could not read the body from {from}"))?;
    anyhow::ensure!(
        bytes.len() <= entry::MAX_ENTRY_BYTES,
        "the body from {from} is larger than {} bytes, the most a ledger entry holds; keep \
         large evidence as a file and record its SHA-256 instead",
        entry::MAX_ENTRY_BYTES
    );
    String::from_utf8(bytes).with_context(|| format!("the body from {from} is not UTF-8 text"))
}

/// Appends one entry per line of stdin, in line order, and prints one JSON line per entry
/// (`{"seq":…,"leaf_hash":…}`) as soon as it is durable. Up to `IN_FLIGHT` appends wait for
/// their commit at once, so the ledger's group commit stores many per transaction. A
/// checkpoint is signed every `[ledger] checkpoint_every_entries` entries or
/// `checkpoint_every_seconds` seconds, so a long stream never leaves much unsigned. A bad line
/// stops the run with an error naming it; every line before it stays stored.
async fn append_lines(
    installation: &Installation,
    ledger: &Ledger,
    kind: &str,
) -> anyhow::Result<Outcome> {
    use std::collections::VecDeque;
    use std::io::{BufRead, Read, Write};
    const IN_FLIGHT: usize = 256;
    let max_line = entry::MAX_ENTRY_BYTES as u64;

    let (lines_tx, mut lines_rx) =
        tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(IN_FLIGHT);
    // stdin is blocking; read it on its own thread, one bounded line at a time.
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        loop {
            let mut line = Vec::new();
            let line = match (&mut stdin).take(max_line + 1).read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => Ok(line),
                Err(e) => Err(e),
            };
            if lines_tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    let mut pacer = CheckpointPacer::default();
    let mut pending: VecDeque<phiguard_ledger::PendingAppend> = VecDeque::new();
    let mut stdout = std::io::stdout();
    let mut acknowledge = |reference: phiguard_core::EvidenceRef| -> anyhow::Result<()> {
        writeln!(stdout, "{}", serde_json::to_string(&reference)?)?;
        stdout.flush()?;
        Ok(())
    };
    let mut number = 0u64;
    let mut failure = None;
    while let Some(line) = lines_rx.recv().await {
        number += 1;
        let mut line = line.context("could not read stdin")?;
        if line.len() as u64 > max_line && line.last() != Some(&b'\n') {
            failure = Some(anyhow::anyhow!(
                "line {number} is longer than {max_line} bytes, the most a ledger entry holds; \
                 nothing from this line on was stored"
            ));
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let parsed = String::from_utf8(line)
            .map_err(|_| anyhow::anyhow!("it is not UTF-8 text"))
            .and_then(|text| {
                if text.trim().is_empty() {
                    Ok(None)
                } else {
                    evidence_of(kind, &text).map(Some)
                }
            });
        match parsed {
            Ok(None) => continue,
            Ok(Some(evidence)) => pending.push_back(ledger.submit(&[evidence]).await?),
            Err(e) => {
                failure = Some(anyhow::anyhow!(
                    "line {number}: {e}; nothing from this line on was stored"
                ));
                break;
            }
        }
        while pending.len() >= IN_FLIGHT {
            if let Some(queued) = pending.pop_front() {
                queued
                    .durable()
                    .await?
                    .into_iter()
                    .try_for_each(&mut acknowledge)?;
            }
        }
        installation.checkpoint_when_due(&mut pacer, 1).await?;
    }
    while let Some(queued) = pending.pop_front() {
        queued
            .durable()
            .await?
            .into_iter()
            .try_for_each(&mut acknowledge)?;
    }
    pacer.finish().await?;
    match failure {
        Some(error) => Err(error),
        None => Ok(Outcome::Ok),
    }
}

fn evidence_of(kind: &str, body: &str) -> anyhow::Result<Evidence> {
    Ok(Evidence {
        kind: kind.to_owned(),
        time: jiff::Timestamp::now(),
        source: local_source(),
        body: entry::parse_body(body)?,
    })
}

/// Proves entry `seq` is in the tree of `size` entries (by default the newest signed
/// checkpoint that covers it) and checks the proof as a verifier would: the entry's text hashes
/// to the proof's leaf, the audit path leads from that leaf to the root, and the checkpoint at
/// that size is signed by this installation's ledger key over that root. People get the
/// verdict, machines the proof (`--json`, unchanged); exit 1 when it does not hold.
async fn prove(
    installation: &Installation,
    seq: u64,
    size: Option<u64>,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let ledger = installation.ledger();
    let latest = ledger.latest_checkpoint().await?;
    let size = match (size, &latest) {
        (Some(size), _) => size,
        (None, Some(checkpoint)) if checkpoint.size > seq => checkpoint.size,
        (None, _) => ledger.size().await?,
    };
    let checkpoint = match latest {
        Some(latest) if latest.size == size => Some(latest),
        _ => ledger.checkpoint_at(size).await?,
    };
    if seq >= size {
        bail!("entry {seq} is not in a tree of {size} entries; prove against a larger --size");
    }
    let proof = ledger.inclusion_proof(seq, size).await?;
    let entry = ledger.get(seq).await?.with_context(|| {
        format!("there is no entry {seq}; `phiguard ledger tail` shows the newest")
    })?;
    let key = installation.ledger_signing_key()?.verifier();
    let verdict = proof_verdict(&proof, &entry, checkpoint.as_ref(), &key);
    #[derive(Serialize)]
    struct ProofWithCheckpoint<'a> {
        #[serde(flatten)]
        proof: &'a phiguard_ledger::InclusionProof,
        /// The signed checkpoint at this size, when there is one.
        checkpoint: Option<&'a str>,
    }
    let value = ProofWithCheckpoint {
        proof: &proof,
        checkpoint: checkpoint.as_ref().map(|c| c.note.as_str()),
    };
    out.result(&value, || match &verdict {
        Ok(text) => text.clone(),
        Err(problem) => format!("ENTRY {seq} IS NOT PROVED: {problem}"),
    });
    Ok(if verdict.is_ok() {
        Outcome::Ok
    } else {
        Outcome::FailingFindings
    })
}

/// What a proof shows, in a sentence, or what is wrong with it.
fn proof_verdict(
    proof: &phiguard_ledger::InclusionProof,
    entry: &StoredEntry,
    checkpoint: Option<&phiguard_ledger::SignedCheckpoint>,
    key: &VerifierKey,
) -> Result<String, String> {
    let (seq, size) = (proof.seq, proof.size);
    let root = hex::encode(&proof.root);
    if merkle::leaf_hash(entry.entry.as_bytes()) != proof.leaf_hash {
        return Err(format!(
            "the text of entry {seq} does not hash to the leaf the tree holds for it: the entry \
             was altered after it was recorded; run `phiguard ledger verify`"
        ));
    }
    merkle::verify_inclusion(seq, size, &proof.leaf_hash, &proof.proof, &proof.root).map_err(
        |problem| {
            format!(
                "the audit path does not lead from its leaf to the root {root} of the tree of \
                 size {}: {problem}; run `phiguard ledger verify`",
                thousands(size)
            )
        },
    )?;
    let Some(checkpoint) = checkpoint else {
        return Ok(format!(
            "entry {seq} is included in the tree of size {}, root {root}, but no signed \
             checkpoint covers that size, so no signature vouches for that root; sign one with \
             `phiguard ledger checkpoint` and prove against it",
            thousands(size)
        ));
    };
    let signed = open_checkpoint(&checkpoint.note, key).map_err(|problem| {
        format!(
            "the checkpoint of size {} does not verify with this installation's key {}+{:08x}: \
             its signature is not valid ({problem})",
            thousands(size),
            key.name(),
            key.key_id()
        )
    })?;
    if signed.size != size || signed.root != proof.root {
        return Err(format!(
            "the signed checkpoint stored for size {} says size {} and root {}, not the root \
             {root} the tree has; run `phiguard ledger verify`",
            thousands(size),
            thousands(signed.size),
            hex::encode(&signed.root)
        ));
    }
    Ok(format!(
        "entry {seq} is included in the checkpoint of size {}, root {root}, signed by {}+{:08x}\n\
         (leaf {}; the audit path of {} hashes leads from it to that root; `--json` prints \
         the proof)",
        thousands(size),
        key.name(),
        key.key_id(),
        hex::encode(&proof.leaf_hash),
        proof.proof.len()
    ))
}

/// `1000` as `1,000`, for sizes people read.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn print_entries(entries: &[StoredEntry], out: &Output) {
    #[derive(Serialize)]
    struct Shown<'a> {
        seq: u64,
        leaf_hash: String,
        entry: serde_json::Value,
        /// The exact stored text, whose SHA-256 (after a 0x00 byte) is the leaf hash.
        text: &'a str,
    }
    let shown: Vec<Shown> = entries
        .iter()
        .map(|e| Shown {
            seq: e.seq,
            leaf_hash: hex::encode(&e.leaf_hash),
            // The stored text is valid JSON by construction; show it raw if it is not.
            entry: serde_json::from_str(&e.entry)
                .unwrap_or_else(|_| serde_json::Value::String(e.entry.clone())),
            text: &e.entry,
        })
        .collect();
    out.result(&shown, || {
        shown
            .iter()
            .map(|s| format!("#{}  leaf {}\n{}", s.seq, s.leaf_hash, to_json(&s.entry)))
            .collect::<Vec<_>>()
            .join("\n\n")
    });
}

/// Reports a verification verdict; a tampered ledger is exit 1, like a failing finding.
fn report_verdict(verdict: Result<VerifyReport, Tamper>, out: &Output) -> Outcome {
    match verdict {
        Ok(report) => {
            out.result(
                &serde_json::json!({ "valid": true, "report": report }),
                || {
                    let mut text = format!(
                        "ledger verified: {} entries, {} checkpoints, root {}",
                        report.entries,
                        report.checkpoints,
                        hex::encode(&report.root)
                    );
                    if report.unsigned_entries > 0 {
                        text.push_str(&format!(
                        "\nnote: the newest {} entries are not yet covered by a signed checkpoint; \
                         run `phiguard ledger checkpoint`",
                        report.unsigned_entries
                    ));
                    }
                    text
                },
            );
            Outcome::Ok
        }
        Err(problem) => {
            out.result(
                &serde_json::json!({ "valid": false, "problem": problem, "message": problem.to_string() }),
                || format!("LEDGER VERIFICATION FAILED: {problem}"),
            );
            Outcome::FailingFindings
        }
    }
}

/// A key given as its text or as a file holding it; a key is one short line.
fn key_text(given: &str) -> anyhow::Result<String> {
    let path = std::path::Path::new(given);
    if path.is_file() {
        Ok(read_text_file(path, 4096, "a key")
            .with_context(|| format!("could not read the key file {given}"))?)
    } else {
        Ok(given.to_owned())
    }
}

/// A verifier key given as its text or as a file holding it.
fn parse_verifier(given: &str) -> anyhow::Result<VerifierKey> {
    let text = key_text(given)?;
    VerifierKey::parse(text.trim()).with_context(|| {
        "the verifier key is not valid; it looks like name+1a2b3c4d+base64, as printed by `phiguard ledger key`"
    })
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
