//! `phiguard keys …`: create, list, rotate, retire, rewrap, and enroll break-glass keys (see
//! `phiguard_app::key_management`). Every change to the keys is recorded in the ledger.

use anyhow::Context;
use phiguard_app::key_management as keys;
use phiguard_app::keys::NewRoot;
use phiguard_core::Escaped;

use crate::Outcome;
use crate::cli::{GlobalArgs, KeyProvider, KeysCommand, KeysInitArgs, WrapCommand, WrapProvider};
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
                for root in summary.roots.iter().filter(|r| !r.primary) {
                    text.push_str(&format!("  also wrapped under {} {} (phiguard keys status)\n", root.provider, Escaped(&root.key)));
                }
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
        KeysCommand::Status => {
            let status = keys::status(&options, &Terminal, out)?;
            out.result(&status, || {
                let mut text = format!(
                    "keyring {} seals with version {}; opened with {}\n",
                    status.keyring, status.current_version, status.opened_with
                );
                for root in &status.roots {
                    text.push_str(&format!(
                        "  {:<10} {:<8} {} wrapped {} ({} days ago){}: {}\n",
                        if root.root.primary { "primary" } else { "additional" },
                        root.root.provider,
                        Escaped(&root.root.key),
                        root.root.created,
                        root.age_days,
                        root.root.region.as_deref().map(|r| format!(" in {r}")).unwrap_or_default(),
                        match &root.error {
                            None => "opens".to_owned(),
                            Some(e) => format!("does NOT open: {}", Escaped(e)),
                        }
                    ));
                }
                if status.roots.len() == 1 {
                    text.push_str("  one root only: `phiguard keys wrap add aws-kms --key-id ARN` adds a second");
                }
                text.trim_end().to_owned()
            });
            Ok(Outcome::Ok)
        }
        KeysCommand::Wrap(WrapCommand::Add {
            provider: WrapProvider::AwsKms,
            key_id,
            region,
        }) => {
            let wrapping = keys::NewWrapping::AwsKms {
                key: key_id.clone(),
                region: region.clone(),
            };
            let added = keys::add_wrapping(&options, &wrapping, &Terminal, out).await?;
            out.result(&added, || {
                format!(
                    "the keyring is now wrapped under {} {} as well: either root opens it",
                    added.provider,
                    Escaped(&added.key)
                )
            });
            Ok(Outcome::Ok)
        }
        KeysCommand::Wrap(WrapCommand::Remove { key_id }) => {
            let removed = keys::remove_wrapping(&options, key_id, &Terminal, out).await?;
            out.result(&removed, || {
                format!(
                    "the keyring is no longer wrapped under {} {}",
                    removed.provider,
                    Escaped(&removed.key)
                )
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
