//! The passphrase or PIN a keyring's root key needs: from the environment, else a prompt on
//! the terminal.

use std::io::{BufRead, Write};

use anyhow::Context;
use phiguard_crypto::RootSecret;
use zeroize::Zeroizing;

/// Secrets from the environment, else asked on the terminal.
#[derive(Debug, Clone, Copy)]
pub struct Terminal;

impl phiguard_app::keys::Secrets for Terminal {
    fn secret(&self, what: RootSecret, confirm: bool) -> anyhow::Result<Zeroizing<String>> {
        secret(what, confirm)
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
