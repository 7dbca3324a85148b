//! `phiguard ledger …`: the tamper-evident evidence ledger.

use std::io::Read;

use anyhow::{Context, bail};
use phiguard_core::{Evidence, hex};
use phiguard_ledger::note::VerifierKey;
use phiguard_ledger::{Ledger, StoredEntry, Tamper, VerifyReport, bundle, entry};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{AppendArgs, GlobalArgs, LedgerCommand, VerifyArgs};
use crate::installation::{Installation, local_source};
use crate::output::Output;

pub async fn run(
    global: &GlobalArgs,
    command: &LedgerCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    // Offline bundle verification must not touch (or create) a home or database.
    if let LedgerCommand::Verify(VerifyArgs {
        bundle: Some(dir),
        key: Some(key),
    }) = command
    {
        let key = parse_verifier(key)?;
        let bar = out.progress(0, "verifying");
        let verdict = bundle::verify_bundle(dir, &key, &mut |done| bar.set_position(done))?;
        bar.finish_and_clear();
        return Ok(report_verdict(verdict, out));
    }

    let installation = Installation::open(global, None).await?;
    let ledger = installation.ledger();
    let outcome = match command {
        LedgerCommand::Append(args) => append(&ledger, args, out).await?,
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
        LedgerCommand::Prove { seq, size } => {
            prove(&ledger, *seq, *size, out).await?;
            Outcome::Ok
        }
        LedgerCommand::Consistency { old, new } => {
            let proof = ledger.consistency_proof(*old, *new).await?;
            // A proof is for machines; the text form is the same JSON.
            out.result(&proof, || to_json(&proof));
            Outcome::Ok
        }
        LedgerCommand::Verify(args) => {
            let key = match &args.key {
                Some(key) => parse_verifier(key)?,
                None => installation.ledger_signing_key()?.verifier(),
            };
            let bar = out.progress(ledger.size().await?, "verifying");
            let verdict = ledger
                .verify(&key, &mut |done, _| bar.set_position(done))
                .await?;
            bar.finish_and_clear();
            report_verdict(verdict, out)
        }
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
    };
    installation.store.close().await;
    Ok(outcome)
}

async fn append(ledger: &Ledger, args: &AppendArgs, out: &Output) -> anyhow::Result<Outcome> {
    entry::validate_kind(&args.kind)?;
    if args.lines {
        return append_lines(ledger, &args.kind, out).await;
    }
    let text = match args.body.as_deref().unwrap_or("-") {
        "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("could not read the body from stdin")?;
            text
        }
        body if body.starts_with('@') => {
            let path = &body[1..];
            std::fs::read_to_string(path)
                .with_context(|| format!("could not read the body from {path}"))?
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

/// Appends one entry per line of stdin, in line order. Up to `IN_FLIGHT` appends wait for
/// their commit at once, so the ledger's group commit stores many per transaction; each
/// acknowledgment is printed only after its entry is durable. A bad line stops the run
/// with an error naming it; every line before it stays stored.
async fn append_lines(ledger: &Ledger, kind: &str, out: &Output) -> anyhow::Result<Outcome> {
    use std::collections::VecDeque;
    use std::io::{BufRead, Write};
    const IN_FLIGHT: usize = 256;

    let (lines_tx, mut lines_rx) = tokio::sync::mpsc::channel::<std::io::Result<String>>(IN_FLIGHT);
    // stdin is blocking; read it on its own thread.
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if lines_tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    let mut pending: VecDeque<phiguard_ledger::PendingAppend> = VecDeque::new();
    let mut stdout = std::io::stdout();
    let mut acknowledge = |reference: phiguard_core::EvidenceRef| -> anyhow::Result<()> {
        let line = if out.is_json() {
            serde_json::to_string(&reference)?
        } else {
            format!(
                "appended entry {} (leaf {})",
                reference.seq,
                reference.leaf_hash_hex()
            )
        };
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
        Ok(())
    };
    let mut number = 0u64;
    let mut failure = None;
    while let Some(line) = lines_rx.recv().await {
        number += 1;
        let line = line.context("could not read stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        match evidence_of(kind, &line) {
            Ok(evidence) => pending.push_back(ledger.submit(&[evidence]).await?),
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
    }
    while let Some(queued) = pending.pop_front() {
        queued
            .durable()
            .await?
            .into_iter()
            .try_for_each(&mut acknowledge)?;
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(Outcome::Ok),
    }
}

fn evidence_of(kind: &str, body: &str) -> anyhow::Result<Evidence> {
    let body: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| anyhow::anyhow!("the body is not valid JSON ({e})"))?;
    Ok(Evidence {
        kind: kind.to_owned(),
        time: jiff::Timestamp::now(),
        source: local_source(),
        body,
    })
}

async fn prove(ledger: &Ledger, seq: u64, size: Option<u64>, out: &Output) -> anyhow::Result<()> {
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
    out.result(&value, || to_json(&value));
    Ok(())
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

/// A verifier key given as its text or as a file holding it.
fn parse_verifier(given: &str) -> anyhow::Result<VerifierKey> {
    let path = std::path::Path::new(given);
    let text = if path.is_file() {
        std::fs::read_to_string(path)
            .with_context(|| format!("could not read the key file {given}"))?
    } else {
        given.to_owned()
    };
    VerifierKey::parse(text.trim()).with_context(|| {
        "the verifier key is not valid; it looks like name+1a2b3c4d+base64, as printed by `phiguard ledger key`"
    })
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
