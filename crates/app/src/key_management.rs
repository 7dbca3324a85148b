//! Key management: the keyring created with the root key chosen, listed, rotated, its old
//! versions retired, sealed files rewrapped, break-glass keys enrolled, additional wrappings
//! (a KMS key beside the on-premises root) added and removed. Every change to the keys is
//! recorded in the ledger, for 164.312(b).

use std::path::{Path, PathBuf};

use anyhow::Context;
use phiguard_cloud::aws::{AwsKmsRoot, ScanOptions};
use phiguard_crypto::keyring::{KeyringSummary, RootSummary};
use phiguard_crypto::{BreakGlassSecret, Keyring, RootConfig};
use phiguard_home::Home;
use serde::Serialize;

use crate::installation::{Installation, Purpose, existing_home};
use crate::keys::{
    NewRoot, Secrets, create_keyring, keyring_path, open_keyring, reach_every_root, reach_roots,
};
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

/// The keyring and its home.
fn keyring_in_home(
    options: &Options,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<(Keyring, Home)> {
    let home = existing_home(options, notices)?.0;
    Ok((open_keyring(&home, secrets)?, home))
}

/// The keyring's versions and break-glass keys.
pub fn list(
    options: &Options,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<KeyringSummary> {
    Ok(keyring(options, secrets, notices)?.summary())
}

/// Makes a new key-encryption key version the one that seals; returns it. It is wrapped
/// under every root: one that cannot be reached refuses the rotation, by name, and nothing
/// changes (a version one root could not open would break "either root opens everything").
pub async fn rotate(
    options: &Options,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<u32> {
    let (mut keyring, home) = keyring_in_home(options, secrets, notices)?;
    reach_every_root(&home, &mut keyring, secrets)?;
    let version = keyring.rotate()?;
    let summary = keyring.summary();
    record(
        options,
        notices,
        "keys.rotated",
        serde_json::json!({ "keyring": summary.id, "version": version, "roots": summary.roots.len() }),
    )
    .await?;
    Ok(version)
}

/// One root of the keyring as `phiguard keys status` shows it.
#[derive(Debug, Serialize)]
pub struct RootStatus {
    #[serde(flatten)]
    pub root: RootSummary,
    /// Whole days since it wrapped the keyring's secrets.
    pub age_days: i64,
    /// Whether it opened the keyring just now.
    pub opens: bool,
    /// Why it does not, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Every root of the keyring and whether each opens it now.
#[derive(Debug, Serialize)]
pub struct KeyStatus {
    pub keyring: String,
    pub current_version: u32,
    /// The root that opened the keyring for this command.
    pub opened_with: String,
    pub roots: Vec<RootStatus>,
}

/// Opens the keyring, then tries every other root, so the status says which roots would open
/// it today and when each wrapped it.
pub fn status(
    options: &Options,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<KeyStatus> {
    let (mut keyring, home) = keyring_in_home(options, secrets, notices)?;
    let opened_with = keyring
        .opened_with()
        .map(RootConfig::describe)
        .unwrap_or_default();
    let reached = reach_roots(&home, &mut keyring, secrets);
    let summary = keyring.summary();
    let now = jiff::Timestamp::now();
    let roots = summary
        .roots
        .into_iter()
        .zip(reached)
        .map(|(root, (_, error))| RootStatus {
            age_days: now.duration_since(root.created).as_secs() / 86_400,
            opens: error.is_none(),
            error,
            root,
        })
        .collect();
    Ok(KeyStatus {
        keyring: summary.id,
        current_version: summary.current_version,
        opened_with,
        roots,
    })
}

/// A root to wrap the keyring under as well.
#[derive(Debug, Clone)]
pub enum NewWrapping {
    /// A symmetric KMS key: its ARN, id or alias, and its region when not in an ARN.
    AwsKms { key: String, region: Option<String> },
}

/// Wraps every secret of the keyring under another root as well, so it alone opens the
/// keyring from now on. Refused, with the keyring unchanged, when that root cannot be reached
/// or cannot both encrypt and decrypt.
pub async fn add_wrapping(
    options: &Options,
    wrapping: &NewWrapping,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<RootSummary> {
    let mut keyring = keyring(options, secrets, notices)?;
    let NewWrapping::AwsKms { key, region } = wrapping;
    let (config, root) = AwsKmsRoot::connect(key, region.as_deref(), &ScanOptions::default())
        .resolve()
        .map_err(|error| phiguard_crypto::KeyringError::RootUnreachable {
            root: format!("aws-kms {key}"),
            reason: error.to_string(),
        })?;
    keyring.add_wrapping(config.clone(), Box::new(root))?;
    let summary = keyring.summary();
    let added = summary
        .roots
        .iter()
        .find(|r| !r.primary && r.key == config.key())
        .cloned()
        .context("the wrapping was written but is not in the keyring")?;
    let body = serde_json::json!({
        "keyring": summary.id,
        "provider": added.provider,
        "key": added.key,
        "region": added.region,
    });
    record(options, notices, "keys.wrapping_added", body).await?;
    Ok(added)
}

/// Removes the additional wrapping under the root whose key is `key` (a KMS key ARN). The
/// primary root cannot be removed, nor the only root that can be reached here.
pub async fn remove_wrapping(
    options: &Options,
    key: &str,
    secrets: &dyn Secrets,
    notices: &dyn Notices,
) -> anyhow::Result<RootSummary> {
    let (mut keyring, home) = keyring_in_home(options, secrets, notices)?;
    let configs = phiguard_crypto::keyring::root_configs(keyring.path())?;
    let Some(config) = configs.iter().skip(1).find(|c| c.key() == key).cloned() else {
        anyhow::bail!(
            "no additional wrapping of this keyring is under {key}; `phiguard keys status` lists them"
        );
    };
    let removed = keyring
        .summary()
        .roots
        .into_iter()
        .find(|r| !r.primary && r.key == key)
        .context("the wrapping is not in the keyring")?;
    // Best effort: whichever other roots open the keyring here, so that one is sure to remain.
    let _ = reach_roots(&home, &mut keyring, secrets);
    keyring.remove_wrapping(&config)?;
    let body = serde_json::json!({
        "keyring": keyring.summary().id,
        "provider": removed.provider,
        "key": removed.key,
    });
    record(options, notices, "keys.wrapping_removed", body).await?;
    Ok(removed)
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
