//! `phiguard ledger …`: the tamper-evident evidence ledger (see `phiguard_app::ledger`).

use std::io::Write;

use anyhow::{Context, bail};
use phiguard_app::installation::{Installation, Purpose};
use phiguard_app::ledger;
use phiguard_core::hex;
use phiguard_ledger::{StoredEntry, Tamper, VerifyReport};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{AppendArgs, GlobalArgs, LedgerCommand, VerifyArgs, WitnessCommand};
use crate::output::Output;

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
            let bars = out.bars();
            let verdict = ledger::verify_bundle(dir, key, &verify_request(args), bars.as_ref())?;
            return Ok(report_verdict(verdict, out));
        }
        // Verification judges what is there and creates nothing.
        LedgerCommand::Verify(args) => {
            let options = super::options(global);
            let bars = out.bars();
            let verdict =
                ledger::verify_database(&options, &verify_request(args), out, bars.as_ref())
                    .await?;
            return Ok(report_verdict(verdict, out));
        }
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

/// The flags' verification request.
fn verify_request(args: &VerifyArgs) -> ledger::VerifyRequest {
    ledger::VerifyRequest {
        key: args.key.clone(),
        checkpoints: args.checkpoints.clone(),
        witness_keys: args.witness_keys.clone(),
    }
}

/// `phiguard ledger witness`: this installation as a witness of other logs.
fn witness(
    installation: &Installation,
    command: &WitnessCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    match command {
        WitnessCommand::Key => {
            let cosigner = ledger::witness_key(installation)?;
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
            let request = ledger::CosignRequest {
                log_key: log_key.clone(),
                checkpoint: checkpoint.clone(),
                proof: proof.clone(),
            };
            match ledger::cosign(installation, &request)? {
                Ok(cosigned) => {
                    out.result(&serde_json::json!({ "cosigned": cosigned }), || {
                        cosigned.clone()
                    });
                    Ok(Outcome::Ok)
                }
                Err(refusal) => {
                    out.result(
                        &serde_json::json!({ "cosigned": null, "refused": refusal }),
                        || format!("NOT COSIGNED: {refusal}"),
                    );
                    Ok(Outcome::FailingFindings)
                }
            }
        }
    }
}

async fn append(
    installation: &Installation,
    args: &AppendArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    if args.lines {
        // One JSON line per entry as soon as it is durable.
        let mut stdout = std::io::stdout();
        let stdin = std::io::BufReader::new(std::io::stdin());
        ledger::append_lines(installation, &args.kind, stdin, |reference| {
            writeln!(stdout, "{}", serde_json::to_string(&reference)?)?;
            stdout.flush()?;
            Ok(())
        })
        .await?;
        return Ok(Outcome::Ok);
    }
    let body = match args.body.as_deref().unwrap_or("-") {
        "-" => ledger::Body::Stdin,
        body if body.starts_with('@') => ledger::Body::File(body[1..].into()),
        body => ledger::Body::Text(body.to_owned()),
    };
    let reference = ledger::append(installation, &args.kind, &body).await?;
    out.result(&reference, || {
        format!(
            "appended entry {} (leaf {})",
            reference.seq,
            reference.leaf_hash_hex()
        )
    });
    Ok(Outcome::Ok)
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
    let proved = ledger::prove(installation, seq, size).await?;
    #[derive(Serialize)]
    struct ProofWithCheckpoint<'a> {
        #[serde(flatten)]
        proof: &'a phiguard_ledger::InclusionProof,
        /// The signed checkpoint at this size, when there is one.
        checkpoint: Option<&'a str>,
    }
    let value = ProofWithCheckpoint {
        proof: &proved.proof,
        checkpoint: proved.checkpoint.as_ref().map(|c| c.note.as_str()),
    };
    out.result(&value, || match &proved.verdict {
        Ok(text) => text.clone(),
        Err(problem) => format!("ENTRY {seq} IS NOT PROVED: {problem}"),
    });
    Ok(if proved.verdict.is_ok() {
        Outcome::Ok
    } else {
        Outcome::FailingFindings
    })
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

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
