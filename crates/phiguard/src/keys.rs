//! Opening this installation's keyring: where it lives, and asking for the passphrase or
//! PIN its root key needs (from the environment, else a prompt on the terminal).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use phiguard_crypto::root::{Argon2Params, FileRoot, PassphraseRoot, Pkcs11Root};
use phiguard_crypto::{Keyring, RootConfig, RootKey, RootSecret};
use phiguard_home::Home;
use zeroize::Zeroizing;

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

/// Creates the keyring with a new root key. The caller checked that none exists.
pub fn create_keyring(home: &Home, root: &NewRoot) -> anyhow::Result<Keyring> {
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
            let passphrase = secret(RootSecret::Passphrase, true)?;
            let (config, root) = PassphraseRoot::create(&passphrase, Argon2Params::RECOMMENDED)?;
            (config, Box::new(root))
        }
        NewRoot::Pkcs11 { module, token } => {
            let pin = secret(RootSecret::Pin, false)?;
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

/// Opens the keyring, asking for whatever its root key needs.
pub fn open_keyring(home: &Home) -> anyhow::Result<Keyring> {
    let path = keyring_path(home);
    let config = phiguard_crypto::keyring::root_config(&path)?;
    let root: Box<dyn RootKey> = match &config {
        RootConfig::File { path: file } => Box::new(FileRoot::load(&resolve(home, file))?),
        RootConfig::Passphrase { salt, params } => {
            let passphrase = secret(RootSecret::Passphrase, false)?;
            Box::new(PassphraseRoot::open(&passphrase, salt, *params)?)
        }
        RootConfig::Pkcs11 {
            module,
            token,
            key_label,
        } => {
            let pin = secret(RootSecret::Pin, false)?;
            Box::new(Pkcs11Root::open(Path::new(module), token, key_label, &pin)?)
        }
    };
    Ok(Keyring::open(&path, root)?)
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

/// The passphrase or PIN: from its environment variable, else asked on the terminal without
/// echo (twice when `confirm`, for a new passphrase).
fn secret(what: RootSecret, confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    if let Ok(value) = std::env::var(what.env_var()) {
        return Ok(Zeroizing::new(value));
    }
    let name = match what {
        RootSecret::Passphrase => "passphrase",
        RootSecret::Pin => "token PIN",
    };
    let first = prompt(&format!("phiguard {name}: ")).with_context(|| {
        format!(
            "the {name} is needed and there is no terminal to ask on; set {}",
            what.env_var()
        )
    })?;
    if confirm {
        let again = prompt(&format!("phiguard {name} again: "))?;
        anyhow::ensure!(
            *first == *again,
            "the two {name}s differ; nothing was created"
        );
    }
    Ok(first)
}

/// Reads one line from the terminal with echo off, restoring the terminal afterwards.
fn prompt(text: &str) -> anyhow::Result<Zeroizing<String>> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    let saved = tcgetattr(&tty)?;
    let mut silent = saved.clone();
    silent.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&tty, OptionalActions::Flush, &silent)?;
    let mut line = Zeroizing::new(String::new());
    let read = (|| -> std::io::Result<()> {
        let mut writer = &tty;
        writer.write_all(text.as_bytes())?;
        writer.flush()?;
        std::io::BufReader::new(&tty).read_line(&mut line)?;
        writer.write_all(b"\n")
    })();
    tcsetattr(&tty, OptionalActions::Flush, &saved)?;
    read?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned());
    Ok(trimmed)
}

/// The existing home, for commands that need its keys but not its database.
pub fn open_home(
    global: &crate::cli::GlobalArgs,
    out: &crate::output::Output,
) -> anyhow::Result<Home> {
    Ok(crate::installation::existing_home(global, out)?.0)
}
