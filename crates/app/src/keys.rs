//! This installation's keyring: where it lives, making it and opening it. The passphrase or
//! PIN a root key needs comes from whoever calls (a terminal prompt, a server's secret
//! store), through [`Secrets`].

use std::path::{Path, PathBuf};

use phiguard_cloud::aws::{AwsKmsRoot, ScanOptions};
use phiguard_crypto::root::{Argon2Params, FileRoot, PassphraseRoot, Pkcs11Root};
use phiguard_crypto::{Keyring, RootConfig, RootKey, RootSecret};
use phiguard_home::Home;
use zeroize::Zeroizing;

/// Where the passphrase or PIN of a root key comes from.
pub trait Secrets {
    /// The secret `what`; `confirm` when it is a new one, which a person should type twice.
    fn secret(&self, what: RootSecret, confirm: bool) -> anyhow::Result<Zeroizing<String>>;
}

/// The keyring file inside the home's `keys/`.
pub const KEYRING_FILE: &str = "keyring.json";
/// The `file` provider's root key inside the home's `keys/`.
pub const ROOT_KEY_FILE: &str = "root.key";

pub fn keyring_path(home: &Home) -> PathBuf {
    home.keys_dir().join(KEYRING_FILE)
}

/// Where a new keyring's root key lives.
#[derive(Debug, Clone)]
pub enum NewRoot {
    File,
    Passphrase,
    Pkcs11 { module: PathBuf, token: String },
}

/// Creates the keyring with a new file root key, which needs no secret. The caller checked
/// that none exists.
pub fn create_file_keyring(home: &Home) -> anyhow::Result<Keyring> {
    struct NoSecrets;
    impl Secrets for NoSecrets {
        fn secret(&self, what: RootSecret, _: bool) -> anyhow::Result<Zeroizing<String>> {
            anyhow::bail!("a file root key needs no {what:?}")
        }
    }
    create_keyring(home, &NewRoot::File, &NoSecrets)
}

/// Creates the keyring with a new root key. The caller checked that none exists.
pub fn create_keyring(
    home: &Home,
    root: &NewRoot,
    secrets: &dyn Secrets,
) -> anyhow::Result<Keyring> {
    let path = keyring_path(home);
    let (config, key): (RootConfig, Box<dyn RootKey>) = match root {
        NewRoot::File => {
            let key = phiguard_crypto::KeyBytes::generate()?;
            home.write_new_key_file(ROOT_KEY_FILE, key.expose())?;
            (
                RootConfig::File {
                    path: ROOT_KEY_FILE.to_owned(),
                },
                Box::new(FileRoot::new(key)),
            )
        }
        NewRoot::Passphrase => {
            let passphrase = secrets.secret(RootSecret::Passphrase, true)?;
            let (config, root) = PassphraseRoot::create(&passphrase, Argon2Params::RECOMMENDED)?;
            (config, Box::new(root))
        }
        NewRoot::Pkcs11 { module, token } => {
            let pin = secrets.secret(RootSecret::Pin, false)?;
            // A label per keyring (the name plus random digits, recorded in the keyring), so
            // one token can hold the roots of several installations, even of the same name.
            let suffix: [u8; 8] = phiguard_crypto::secret::random_array()?;
            let key_label = format!(
                "phiguard root {} {}",
                home.config().installation.name,
                phiguard_core::hex::encode(&suffix)
            );
            let (config, root) = Pkcs11Root::create(module, token, &key_label, &pin)?;
            (config, Box::new(root))
        }
    };
    Ok(Keyring::create(&path, config, key)?)
}

/// Opens the keyring, asking for whatever its root key needs. A keyring with additional
/// wrappings (a KMS key beside the file root, say) opens with the first root that works, the
/// primary first: a deleted key file or a disabled KMS key still leaves the other.
pub fn open_keyring(home: &Home, secrets: &dyn Secrets) -> anyhow::Result<Keyring> {
    let path = keyring_path(home);
    let configs = phiguard_crypto::keyring::root_configs(&path)?;
    if let [config] = configs.as_slice() {
        // One root: its own error, as it always was.
        return Ok(Keyring::open(&path, open_root(home, config, secrets)?)?);
    }
    Ok(Keyring::open_any(&path, &mut |config| {
        open_root(home, config, secrets).map_err(Into::into)
    })?)
}

/// Opens every root of `keyring` it was not opened with, and fails naming the first that
/// cannot be used: a change that wraps something new (a rotation) must reach all of them, or
/// the roots would no longer open the same keys.
pub fn reach_every_root(
    home: &Home,
    keyring: &mut Keyring,
    secrets: &dyn Secrets,
) -> anyhow::Result<()> {
    let reached = reach_roots(home, keyring, secrets);
    if let Some((config, Some(reason))) = reached.into_iter().find(|(_, e)| e.is_some()) {
        return Err(phiguard_crypto::KeyringError::RootUnreachable {
            root: config.describe(),
            reason,
        }
        .into());
    }
    Ok(())
}

/// Opens every root of `keyring` it can; for each, the primary first, why it cannot be used.
pub fn reach_roots(
    home: &Home,
    keyring: &mut Keyring,
    secrets: &dyn Secrets,
) -> Vec<(RootConfig, Option<String>)> {
    keyring.reach_roots(&mut |config| open_root(home, config, secrets).map_err(Into::into))
}

/// The root key `config` describes, asking `secrets` for what it needs.
pub fn open_root(
    home: &Home,
    config: &RootConfig,
    secrets: &dyn Secrets,
) -> anyhow::Result<Box<dyn RootKey>> {
    Ok(match config {
        RootConfig::File { path: file } => Box::new(FileRoot::load(&resolve(home, file))?),
        RootConfig::Passphrase { salt, params } => {
            let passphrase = secrets.secret(RootSecret::Passphrase, false)?;
            Box::new(PassphraseRoot::open(&passphrase, salt, *params)?)
        }
        RootConfig::Pkcs11 {
            module,
            token,
            key_label,
        } => {
            let pin = secrets.secret(RootSecret::Pin, false)?;
            Box::new(Pkcs11Root::open(Path::new(module), token, key_label, &pin)?)
        }
        // Credentials and endpoint from the usual AWS chain (AWS_PROFILE, AWS_ENDPOINT_URL…).
        RootConfig::AwsKms { key_arn, region } => Box::new(AwsKmsRoot::connect(
            key_arn,
            Some(region),
            &ScanOptions::default(),
        )),
    })
}

/// The ARNs of the KMS keys that wrap the home's keyring, read from the file without opening
/// it (no passphrase, no KMS call): empty when there is no keyring or it cannot be read.
pub fn kms_root_keys(home: &Home) -> Vec<String> {
    phiguard_crypto::keyring::root_configs(&keyring_path(home))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|config| match config {
            RootConfig::AwsKms { key_arn, .. } => Some(key_arn),
            _ => None,
        })
        .collect()
}

/// A key file path from the keyring: relative ones are inside the home's `keys/`.
fn resolve(home: &Home, file: &str) -> PathBuf {
    let path = Path::new(file);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        home.keys_dir().join(path)
    }
}
