//! `phiguard keys …`: create, list, rotate, retire, rewrap, and enroll break-glass keys (see
//! `phiguard_app::key_management`). Every change to the keys is recorded in the ledger.

use anyhow::Context;
use phiguard_app::key_management as keys;
use phiguard_app::keys::NewRoot;
use phiguard_core::Escaped;

use crate::Outcome;
use crate::cli::{GlobalArgs, KeyProvider, KeysCommand, KeysInitArgs};
use crate::keys::Terminal;
use crate::output::Output;

pub async fn run(
    global: &GlobalArgs,
    command: &KeysCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let options = super::options(global);
    match command {
        KeysCommand::Init(args) => init(global, args, out).await,
        KeysCommand::List => {
            let summary = keys::list(&options, &Terminal, out)?;
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
            let version = keys::rotate(&options, &Terminal, out).await?;
            out.result(&serde_json::json!({ "current_version": version }), || {
                format!("key-encryption key version {version} now seals new data; rewrap older files with `phiguard keys rewrap`, then retire old versions")
            });
            Ok(Outcome::Ok)
        }
        KeysCommand::Retire { version } => {
            let retired = keys::retire(&options, *version, &Terminal, out).await?;
            let minimum = retired.min_decrypt_version;
            out.result(&retired, || {
                if retired.changed {
                    format!("versions up to {version} are retired: data still wrapped under them no longer opens")
                } else {
                    format!("versions up to {version} were already retired (this keyring opens versions {minimum} and later); nothing changed")
                }
            });
            Ok(Outcome::Ok)
        }
        KeysCommand::Rewrap { files } => {
            let results = keys::rewrap(&options, files, &Terminal, out).await?;
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
            let failed = results.iter().filter(|r| r.failed()).count();
            anyhow::ensure!(
                failed == 0,
                "{failed} of {} files could not be rewrapped (see above); they are unchanged",
                results.len()
            );
            Ok(Outcome::Ok)
        }
        KeysCommand::BreakGlass { out: file, note } => {
            let enrolled = keys::break_glass(&options, file, note, &Terminal, out).await?;
            out.result(&enrolled, || {
                format!(
                    "break-glass key {} written to {} and enrolled.\nMove that file to offline storage now and delete it here; rewrap older files to cover them.",
                    enrolled.break_glass_key,
                    Escaped(&enrolled.file)
                )
            });
            Ok(Outcome::Ok)
        }
    }
}

async fn init(global: &GlobalArgs, args: &KeysInitArgs, out: &Output) -> anyhow::Result<Outcome> {
    let root = (|| {
        Ok(match args.provider {
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
        })
    })();
    let created = keys::init(&super::options(global), root, &Terminal, out).await?;
    let (summary, path) = (&created.summary, &created.path);
    out.result(summary, || {
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
