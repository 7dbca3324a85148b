//! `phiguard keys …`: create, list, rotate, retire, rewrap, and enroll break-glass keys.
//! Every change to the keys is recorded in the ledger, for 164.312(b).

use std::path::Path;

use anyhow::Context;
use phiguard_core::Escaped;
use phiguard_crypto::{BreakGlassSecret, Keyring};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{GlobalArgs, KeyProvider, KeysCommand, KeysInitArgs};
use crate::keys;
use crate::output::Output;
use phiguard_app::installation::{Installation, Purpose};
use phiguard_app::keys::NewRoot;

pub async fn run(
    global: &GlobalArgs,
    command: &KeysCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    match command {
        KeysCommand::Init(args) => init(global, args, out).await,
        KeysCommand::List => {
            let keyring =
                phiguard_app::keys::open_keyring(&keys::open_home(global, out)?, &keys::Terminal)?;
            let summary = keyring.summary();
            out.result(&summary, || {
                let mut text = format!(
                    "keyring {} (root key: {})\n  seals with version {}; opens versions {} and later\n",
                    summary.id, summary.provider, summary.current_version, summary.min_decrypt_version
                );
                for kek in &summary.keks {
                    text.push_str(&format!("  version {:<4} {:<8} created {}\n", kek.version, kek.state, kek.created));
                }
                if summary.break_glass.is_empty() {
                    text.push_str("  no break-glass key enrolled (phiguard keys break-glass --out FILE)");
                }
                for key in &summary.break_glass {
                    text.push_str(&format!("  break-glass {} created {} {}\n", key.id, key.created, Escaped(&key.note)));
                }
                text.trim_end().to_owned()
            });
            Ok(Outcome::Ok)
        }
        KeysCommand::Rotate => {
            let mut keyring =
                phiguard_app::keys::open_keyring(&keys::open_home(global, out)?, &keys::Terminal)?;
            let version = keyring.rotate()?;
            record(
                global,
                out,
                "keys.rotated",
                serde_json::json!({ "keyring": keyring.summary().id, "version": version }),
            )
            .await?;
            out.result(&serde_json::json!({ "current_version": version }), || {
                format!("key-encryption key version {version} now seals new data; rewrap older files with `phiguard keys rewrap`, then retire old versions")
            });
            Ok(Outcome::Ok)
        }
        KeysCommand::Retire { version } => {
            let mut keyring =
                phiguard_app::keys::open_keyring(&keys::open_home(global, out)?, &keys::Terminal)?;
            let changed = keyring.retire_through(*version)?;
            let minimum = keyring.summary().min_decrypt_version;
            if changed {
                record(global, out, "keys.retired", serde_json::json!({ "keyring": keyring.summary().id, "min_decrypt_version": minimum })).await?;
            }
            out.result(&serde_json::json!({ "min_decrypt_version": minimum, "changed": changed }), || {
                if changed {
                    format!("versions up to {version} are retired: data still wrapped under them no longer opens")
                } else {
                    format!("versions up to {version} were already retired (this keyring opens versions {minimum} and later); nothing changed")
                }
            });
            Ok(Outcome::Ok)
        }
        KeysCommand::Rewrap { files } => rewrap(global, files, out).await,
        KeysCommand::BreakGlass { out: file, note } => {
            let mut keyring =
                phiguard_app::keys::open_keyring(&keys::open_home(global, out)?, &keys::Terminal)?;
            let secret = BreakGlassSecret::generate()?;
            let public = secret.public().map_err(anyhow::Error::msg)?;
            let text = zeroize::Zeroizing::new(format!(
                "# phiguard break-glass key for keyring {}, created {}\n# Keep it offline. Whoever holds it can open everything sealed for it.\n{}\n",
                keyring.summary().id,
                jiff::Timestamp::now(),
                secret.to_text().as_str()
            ));
            phiguard_home::write_private_file_new(file, text.as_bytes()).with_context(|| {
                format!("could not create {} (it must not exist)", file.display())
            })?;
            keyring.enroll_break_glass(public, note)?;
            let id = phiguard_core::hex::encode(&secret.id());
            record(global, out, "keys.break_glass_enrolled", serde_json::json!({ "keyring": keyring.summary().id, "break_glass_key": id, "note": note })).await?;
            out.result(&serde_json::json!({ "break_glass_key": id, "file": file.display().to_string() }), || {
                format!(
                    "break-glass key {id} written to {} and enrolled.\nMove that file to offline storage now and delete it here; rewrap older files to cover them.",
                    Escaped(&file.display().to_string())
                )
            });
            Ok(Outcome::Ok)
        }
    }
}

async fn init(global: &GlobalArgs, args: &KeysInitArgs, out: &Output) -> anyhow::Result<Outcome> {
    // A new home gets no keyring of its own here: this command makes it, with the root key
    // chosen.
    let installation = Installation::create_without_keyring(&super::options(global), out).await?;
    let path = phiguard_app::keys::keyring_path(&installation.home);
    anyhow::ensure!(
        path.symlink_metadata().is_err(),
        "a keyring already exists at {}; its keys open everything sealed so far, so it is never replaced",
        path.display()
    );
    let root = match args.provider {
        KeyProvider::File => NewRoot::File,
        KeyProvider::Passphrase => NewRoot::Passphrase,
        KeyProvider::Pkcs11 => NewRoot::Pkcs11 {
            module: args
                .pkcs11_module
                .clone()
                .context("--pkcs11-module is required")?,
            token: args
                .pkcs11_token
                .clone()
                .context("--pkcs11-token is required")?,
        },
    };
    let keyring = phiguard_app::keys::create_keyring(&installation.home, &root, &keys::Terminal)?;
    let summary = keyring.summary();
    installation
        .record(
            "keys.created",
            serde_json::json!({ "keyring": summary.id, "root_provider": summary.provider }),
        )
        .await?;
    installation.close().await?;
    out.result(&summary, || {
        format!(
            "created keyring {} at {} (root key: {})\nBack up keyring.json{}; without them nothing sealed here can be opened.",
            summary.id,
            path.display(),
            summary.provider,
            if summary.provider == "file" { " and root.key, separately" } else { "" }
        )
    });
    Ok(Outcome::Ok)
}

#[derive(Debug, Serialize)]
struct RewrapResult {
    file: String,
    /// `rewrapped`, `current` (nothing to do) or `failed`.
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

async fn rewrap(
    global: &GlobalArgs,
    files: &[std::path::PathBuf],
    out: &Output,
) -> anyhow::Result<Outcome> {
    let keyring =
        phiguard_app::keys::open_keyring(&keys::open_home(global, out)?, &keys::Terminal)?;
    let mut results = Vec::new();
    for file in files {
        let (outcome, error) = match rewrap_file(&keyring, file) {
            Ok(true) => ("rewrapped", None),
            Ok(false) => ("current", None),
            Err(e) => ("failed", Some(format!("{e:#}"))),
        };
        results.push(RewrapResult {
            file: file.display().to_string(),
            outcome,
            error,
        });
    }
    let rewrapped = results.iter().filter(|r| r.outcome == "rewrapped").count();
    let failed = results.iter().filter(|r| r.outcome == "failed").count();
    if rewrapped > 0 {
        record(global, out, "keys.rewrapped", serde_json::json!({ "keyring": keyring.summary().id, "version": keyring.current_version(), "files": rewrapped })).await?;
    }
    out.result(&results, || {
        results
            .iter()
            .map(|r| match &r.error {
                Some(e) => format!("{}: failed: {}", Escaped(&r.file), Escaped(e)),
                None => format!("{}: {}", Escaped(&r.file), r.outcome),
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    anyhow::ensure!(
        failed == 0,
        "{failed} of {} files could not be rewrapped (see above); they are unchanged",
        results.len()
    );
    Ok(Outcome::Ok)
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
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new()
        .prefix(".phiguard-")
        .suffix(".partial")
        .tempfile_in(dir)?;
    {
        let input = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, temporary.as_file_mut());
        phiguard_crypto::rewrap_stream(keyring, recipients, input, &mut writer)?;
        std::io::Write::flush(&mut writer)?;
    }
    temporary
        .as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(true)
}

/// Appends a key-management event to the ledger.
async fn record(
    global: &GlobalArgs,
    out: &Output,
    kind: &str,
    body: serde_json::Value,
) -> anyhow::Result<()> {
    let installation = Installation::open(&super::options(global), Purpose::Amend, out).await?;
    installation
        .record(kind, body)
        .await
        .context("the key change was made, but recording it in the ledger failed")?;
    installation.close().await?;
    Ok(())
}
