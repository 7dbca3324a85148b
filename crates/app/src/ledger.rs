//! Ledger operations beyond recording evidence: appending what the user gives, proving an
//! entry is in a signed tree, verifying the whole ledger (in the database or an exported
//! bundle) against its checkpoints and outside anchors, and cosigning other logs' checkpoints
//! as their witness.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use phiguard_core::{Evidence, EvidenceRef, hex};
use phiguard_ledger::merkle;
use phiguard_ledger::note::{CosignerKey, VerifierKey, open_checkpoint};
use phiguard_ledger::witness::{self, read_text_file};
use phiguard_ledger::{
    Anchor, ConsistencyProof, InclusionProof, SignedCheckpoint, StoredEntry, Tamper, VerifyReport,
    bundle, entry,
};

use crate::installation::{
    CheckpointPacer, Existing, Installation, local_source, read_ledger_key, witness_file,
};
use crate::{Notices, Options, Progress};

/// What a verification judges the ledger by, besides its own checkpoints.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    /// The verifier key, as its text or a file holding it; `None` is the home's own.
    pub key: Option<String>,
    /// Checkpoint files kept elsewhere, which the ledger must be consistent with.
    pub checkpoints: Vec<PathBuf>,
    /// Witness keys each of those checkpoints must carry a cosignature of.
    pub witness_keys: Vec<String>,
}

/// A verification's verdict: what was verified, or what is wrong.
pub type Verdict = Result<VerifyReport, Tamper>;

/// Verifies an exported bundle offline, with the verifier `key`: no home or database is
/// touched or created.
pub fn verify_bundle(
    dir: &Path,
    key: &str,
    request: &VerifyRequest,
    progress: &dyn Progress,
) -> anyhow::Result<Verdict> {
    let key = parse_verifier(key)?;
    let anchors = external_anchors(request, &key)?;
    progress.begin("verifying", 0);
    let verdict = bundle::verify_bundle(dir, &key, &anchors, &mut |done| {
        progress.advance(done, 0);
    })?;
    progress.end();
    Ok(verdict)
}

/// Verifies the ledger in the database against its checkpoints, the home's witness file and
/// the checkpoints `request` gives, creating nothing: a home without its database is judged by
/// what its witness file (or a checkpoint given) says it held.
pub async fn verify_database(
    options: &Options,
    request: &VerifyRequest,
    notices: &dyn Notices,
    progress: &dyn Progress,
) -> anyhow::Result<Verdict> {
    let key_of = |home: &phiguard_home::Home| match &request.key {
        Some(key) => parse_verifier(key),
        None => Ok(read_ledger_key(home)?.verifier()),
    };
    let location = crate::installation::locate(options, notices)?;
    if !phiguard_home::Home::exists(&location.dir) {
        bail!(
            "{}\nAn exported bundle verifies without a home: `phiguard ledger verify --bundle DIR \
             --key KEY`.",
            location.missing()
        );
    }
    let installation = match Installation::open_existing(options, notices).await? {
        Existing::Open(installation) => installation,
        Existing::NoDatabase { home, database } => {
            let key = key_of(&home)?;
            let mut anchors = external_anchors(request, &key)?;
            let witness = witness_file(&home);
            if let Some(note) = witness.read()? {
                let held_in = format!("the witness file {}", witness.path().display());
                match Anchor::open(&note, held_in.clone(), &key, &[]) {
                    Ok(anchor) => anchors.push(anchor),
                    Err(reason) => return Ok(Err(Tamper::AnchorUnusable { held_in, reason })),
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
            return Ok(Err(Tamper::DatabaseMissing {
                database: database.display().to_string(),
                size: newest.size,
                held_in: newest.source,
            }));
        }
    };
    let key = key_of(&installation.home)?;
    let anchors = external_anchors(request, &key)?;
    let ledger = installation.ledger();
    let total = ledger.size().await?;
    progress.begin("verifying", total);
    let verdict = ledger
        .verify(&key, &anchors, &mut |done, _| progress.advance(done, total))
        .await?;
    progress.end();
    installation.close().await?;
    Ok(verdict)
}

/// The checkpoints given with `--checkpoint`, each opened with the log's key and carrying a
/// cosignature of every `--witness-key`.
fn external_anchors(request: &VerifyRequest, key: &VerifierKey) -> anyhow::Result<Vec<Anchor>> {
    let cosigners = request
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
    request
        .checkpoints
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

/// This installation's key as a witness, as others name it to check its cosignatures.
pub fn witness_key(installation: &Installation) -> anyhow::Result<String> {
    let key = crate::installation::witness_signing_key(&installation.home)?;
    Ok(key.cosigner().to_string())
}

/// A checkpoint of another log to cosign as its witness.
#[derive(Debug, Clone)]
pub struct CosignRequest {
    /// The log's verifier key, as its text or a file holding it.
    pub log_key: String,
    /// The checkpoint file.
    pub checkpoint: PathBuf,
    /// A file with the consistency proof from the checkpoint last cosigned for that log.
    pub proof: Option<PathBuf>,
}

/// Cosigns the checkpoint `request` names, when it is consistent with the last one this
/// witness cosigned for that log: the cosigned note, or why it was refused (the refusal is a
/// verdict, not an error).
pub fn cosign(
    installation: &Installation,
    request: &CosignRequest,
) -> anyhow::Result<Result<String, String>> {
    let key = crate::installation::witness_signing_key(&installation.home)?;
    let log_key = parse_verifier(&request.log_key)?;
    let note = read_text_file(&request.checkpoint, witness::MAX_NOTE_BYTES, "a checkpoint")?;
    let proof: Option<ConsistencyProof> = request
        .proof
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
    let kept = crate::installation::witnessed_log(&installation.home, &log_key)?;
    let last = kept.read()?;
    let now = u64::try_from(jiff::Timestamp::now().as_second()).unwrap_or(0);
    match witness::cosign(&note, &log_key, last.as_deref(), proof.as_ref(), &key, now) {
        Ok(cosigned) => {
            kept.write(&cosigned)?;
            Ok(Ok(cosigned))
        }
        Err(refusal) => Ok(Err(refusal.to_string())),
    }
}

/// A consistency proof is a few dozen hashes.
const MAX_PROOF_BYTES: u64 = 64 * 1024;

/// Where the body of an entry to append comes from.
#[derive(Debug, Clone)]
pub enum Body {
    /// The JSON text itself.
    Text(String),
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
}

/// Appends one entry of `kind` whose body is the JSON `body` holds.
pub async fn append(
    installation: &Installation,
    kind: &str,
    body: &Body,
) -> anyhow::Result<EvidenceRef> {
    entry::validate_kind(kind)?;
    let text = match body {
        Body::Stdin => read_body(std::io::stdin().lock(), "stdin")?,
        Body::File(path) => {
            let from = path.display().to_string();
            let file = std::fs::File::open(path)
                .with_context(|| format!("could not read the body from {from}"))?;
            read_body(file, &from)?
        }
        Body::Text(text) => text.clone(),
    };
    let evidence = evidence_of(kind, &text).map_err(|e| {
        anyhow::anyhow!("{e}; give a JSON value, e.g. --body '{{\"result\":\"ok\"}}'")
    })?;
    Ok(installation.ledger().append(&evidence).await?)
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

/// Appends one entry per line of `input`, in line order, and hands each entry's reference to
/// `acknowledge` as soon as it is durable. Up to `IN_FLIGHT` appends wait for
/// their commit at once, so the ledger's group commit stores many per transaction. A
/// checkpoint is signed every `[ledger] checkpoint_every_entries` entries or
/// `checkpoint_every_seconds` seconds, so a long stream never leaves much unsigned. A bad line
/// stops the run with an error naming it; every line before it stays stored.
pub async fn append_lines(
    installation: &Installation,
    kind: &str,
    input: impl std::io::BufRead + Send + 'static,
    mut acknowledge: impl FnMut(EvidenceRef) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    entry::validate_kind(kind)?;
    let ledger = installation.ledger();
    use std::collections::VecDeque;
    use std::io::Read;
    const IN_FLIGHT: usize = 256;
    let max_line = entry::MAX_ENTRY_BYTES as u64;

    let (lines_tx, mut lines_rx) =
        tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(IN_FLIGHT);
    // The input is blocking (stdin); read it on its own thread, one bounded line at a time.
    std::thread::spawn(move || {
        let mut input = input;
        loop {
            let mut line = Vec::new();
            let line = match std::io::BufRead::read_until(
                &mut (&mut input).take(max_line + 1),
                b'\n',
                &mut line,
            ) {
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
        None => Ok(()),
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

/// An inclusion proof, the signed checkpoint at its size if there is one, and what it shows.
#[derive(Debug)]
pub struct Proved {
    pub proof: InclusionProof,
    pub checkpoint: Option<SignedCheckpoint>,
    /// What the proof shows, in a sentence, or what is wrong with it.
    pub verdict: Result<String, String>,
}

/// Proves entry `seq` is in the tree of `size` entries (by default the newest signed
/// checkpoint that covers it) and checks the proof as a verifier would: the entry's text hashes
/// to the proof's leaf, the audit path leads from that leaf to the root, and the checkpoint at
/// that size is signed by this installation's ledger key over that root.
pub async fn prove(
    installation: &Installation,
    seq: u64,
    size: Option<u64>,
) -> anyhow::Result<Proved> {
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
    Ok(Proved {
        proof,
        checkpoint,
        verdict,
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
pub fn parse_verifier(given: &str) -> anyhow::Result<VerifierKey> {
    let text = key_text(given)?;
    VerifierKey::parse(text.trim()).with_context(|| {
        "the verifier key is not valid; it looks like name+1a2b3c4d+base64, as printed by `phiguard ledger key`"
    })
}
