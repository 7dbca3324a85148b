//! Key management: the keyring created with the root key chosen, listed, rotated, its old
//! versions retired, sealed files rewrapped, break-glass keys enrolled. Every change to the
//! keys is recorded in the ledger, for 164.312(b).

use std::path::{Path, PathBuf};

use anyhow::Context;
use phiguard_crypto::keyring::KeyringSummary;
use phiguard_crypto::{BreakGlassSecret, Keyring};
use serde::Serialize;

use crate::installation::{Installation, Purpose, existing_home};
use crate::keys::{NewRoot, Secrets, create_keyring, keyring_path, open_keyring};
use crate::{Notices, Options};

/// A keyring created.
#[derive(Debug)]
pub struct Created {
    pub summary: KeyringSummary,
    pub path: PathBuf,
}

/// Creates the home's keyring with a new root key where `root` says. A new home gets no
/// keyring of its own first: this makes it. An existing keyring is never replaced: its keys
/// open everything sealed so far, and that is said before what is wrong with `root`, if
/// anything is (the caller may pass the error it met reading what the user chose).
pub async fn init(
    options: &Options,
    root: anyhow::Result<NewRoot>,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<Created> {
    let installation = Installation::create_without_keyring(options, notices).await?;
    let path = keyring_path(&installation.home);
    anyhow::ensure!(
        path.symlink_metadata().is_err(),
        "a keyring already exists at {}; its keys open everything sealed so far, so it is never replaced",
        path.display()
    );
    let keyring = create_keyring(&installation.home, &root?, secrets)?;
    let summary = keyring.summary();
    installation
        .record(
            "keys.created",
            serde_json::json!({ "keyring": summary.id, "root_provider": summary.provider }),
        )
        .await?;
    installation.close().await?;
    Ok(Created { summary, path })
}

/// The keyring of the existing home `options` name, opened with what its root key needs.
pub fn keyring(
    options: &Options,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<Keyring> {
    open_keyring(&existing_home(options, notices)?.0, secrets)
}

/// The keyring's versions and break-glass keys.
pub fn list(
    options: &Options,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<KeyringSummary> {
    Ok(keyring(options, secrets, notices)?.summary())
}

/// Makes a new key-encryption key version the one that seals; returns it.
pub async fn rotate(
    options: &Options,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<u32> {
    let mut keyring = keyring(options, secrets, notices)?;
    let version = keyring.rotate()?;
    record(
        options,
        notices,
        "keys.rotated",
        serde_json::json!({ "keyring": keyring.summary().id, "version": version }),
    )
    .await?;
    Ok(version)
}

/// Versions retired.
#[derive(Debug, Serialize)]
pub struct Retired {
    /// False when they were retired already.
    pub changed: bool,
    pub min_decrypt_version: u32,
}

/// Retires the versions up to `version`: data still wrapped under them no longer opens.
pub async fn retire(
    options: &Options,
    version: u32,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<Retired> {
    let mut keyring = keyring(options, secrets, notices)?;
    let changed = keyring.retire_through(version)?;
    let minimum = keyring.summary().min_decrypt_version;
    if changed {
        let body =
            serde_json::json!({ "keyring": keyring.summary().id, "min_decrypt_version": minimum });
        record(options, notices, "keys.retired", body).await?;
    }
    Ok(Retired {
        changed,
        min_decrypt_version: minimum,
    })
}

/// A break-glass key made and enrolled.
#[derive(Debug, Serialize)]
pub struct BreakGlass {
    pub break_glass_key: String,
    pub file: String,
}

/// Makes a break-glass key, writes its secret to `file` (which must not exist) and enrolls it,
/// so files sealed from now on open with it too.
pub async fn break_glass(
    options: &Options,
    file: &Path,
    note: &str,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<BreakGlass> {
    let mut keyring = keyring(options, secrets, notices)?;
    let secret = BreakGlassSecret::generate()?;
    let public = secret.public().map_err(anyhow::Error::msg)?;
    let text = zeroize::Zeroizing::new(format!(
        "# phiguard break-glass key for keyring {}, created {}\n# Keep it offline. Whoever holds it can open everything sealed for it.\n{}\n",
        keyring.summary().id,
        jiff::Timestamp::now(),
        secret.to_text().as_str()
    ));
    phiguard_home::write_private_file_new(file, text.as_bytes())
        .with_context(|| format!("could not create {} (it must not exist)", file.display()))?;
    keyring.enroll_break_glass(public, note)?;
    let id = phiguard_core::hex::encode(&secret.id());
    let body =
        serde_json::json!({ "keyring": keyring.summary().id, "break_glass_key": id, "note": note });
    record(options, notices, "keys.break_glass_enrolled", body).await?;
    Ok(BreakGlass {
        break_glass_key: id,
        file: file.display().to_string(),
    })
}

/// What rewrapping did to one file.
#[derive(Debug, Serialize)]
pub struct Rewrapped {
    pub file: String,
    /// `rewrapped`, `current` (nothing to do) or `failed`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Rewrapped {
    pub fn failed(&self) -> bool {
        self.outcome == "failed"
    }
}

/// Rewraps each of `files` for the current version and break-glass keys; a file that fails
/// is left unchanged and reported, and the others still rewrapped.
pub async fn rewrap(
    options: &Options,
    files: &[PathBuf],
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Rewrapped>> {
    let keyring = keyring(options, secrets, notices)?;
    let mut results = Vec::new();
    for file in files {
        let (outcome, error) = match rewrap_file(&keyring, file) {
            Ok(true) => ("rewrapped", None),
            Ok(false) => ("current", None),
            Err(e) => ("failed", Some(format!("{e:#}"))),
        };
        results.push(Rewrapped {
            file: file.display().to_string(),
            outcome,
            error,
        });
    }
    let rewrapped = results.iter().filter(|r| r.outcome == "rewrapped").count();
    if rewrapped > 0 {
        let body = serde_json::json!({ "keyring": keyring.summary().id, "version": keyring.current_version(), "files": rewrapped });
        record(options, notices, "keys.rewrapped", body).await?;
    }
    Ok(results)
}

/// Rewraps one file in place, atomically; `false` if it already is wrapped for the current
/// version and break-glass keys.
fn rewrap_file(keyring: &Keyring, path: &Path) -> anyhow::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    let header = phiguard_crypto::read_header(
        std::fs::File::open(path).with_context(|| format!("could not open {}", path.display()))?,
    )?;
    let recipients = keyring.recipients();
    let kek_current = header.stanzas.iter().any(|s| {
        matches!(s, phiguard_crypto::format::Stanza::Kek { keyring: id, version, .. } if *id == keyring.id() && *version == keyring.current_version())
    });
    let break_glass_current = recipients.break_glass.iter().all(|b| {
        header.stanzas.iter().any(|s| matches!(s, phiguard_crypto::format::Stanza::BreakGlass { key_id, .. } if *key_id == b.id))
    });
    if kek_current && break_glass_current {
        return Ok(false);
    }
    let mode = std::fs::metadata(path)?.permissions().mode();
    // Created private, then given the original's mode once complete.
    let rewrapped = phiguard_home::PendingFile::create(path)?;
    {
        let input = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, rewrapped.file());
        phiguard_crypto::rewrap_stream(keyring, recipients, input, &mut writer)?;
        std::io::Write::flush(&mut writer)?;
    }
    rewrapped
        .file()
        .set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))?;
    rewrapped.persist(true)?;
    Ok(true)
}

/// Appends a key-management event to the ledger of the existing installation.
async fn record(
    options: &Options,
    notices: &dyn Notices,
    kind: &str,
    body: serde_json::Value,
) -> anyhow::Result<()> {
    let installation = Installation::open(options, Purpose::Amend, notices).await?;
    installation
        .record(kind, body)
        .await
        .context("the key change was made, but recording it in the ledger failed")?;
    installation.close().await?;
    Ok(())
}
