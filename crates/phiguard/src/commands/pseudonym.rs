//! `phiguard pseudonym`: this installation's pseudonym for an identifier.

use std::io::BufRead;

use anyhow::Context;
use serde::Serialize;

use crate::Outcome;
use crate::cli::{GlobalArgs, PseudonymArgs};
use crate::keys;
use crate::output::Output;

#[derive(Debug, Serialize)]
struct PseudonymResult<'a> {
    kind: &'a str,
    pseudonym: String,
}

pub fn run(global: &GlobalArgs, args: &PseudonymArgs, out: &Output) -> anyhow::Result<Outcome> {
    let keyring = phiguard_app::key_management::keyring(
        &crate::commands::options(global),
        &keys::Terminal,
        out,
    )?;
    let pseudonymizer = keyring.pseudonymizer()?;
    let one = |value: &str, line: Option<usize>| -> anyhow::Result<()> {
        let pseudonym = pseudonymizer
            .pseudonym(&args.kind, value)
            .map_err(|e| match line {
                // The identifier itself is never repeated: it is PHI.
                Some(line) => anyhow::Error::new(e).context(format!("line {line} of stdin")),
                None => anyhow::Error::new(e),
            })?;
        out.result(
            &PseudonymResult {
                kind: &args.kind,
                pseudonym: pseudonym.clone(),
            },
            || pseudonym,
        );
        Ok(())
    };
    if args.value == "-" {
        for (index, line) in std::io::stdin().lock().lines().enumerate() {
            let line = zeroize::Zeroizing::new(line.context("could not read stdin")?);
            one(&line, Some(index + 1))?;
        }
    } else {
        one(&args.value, None)?;
    }
    Ok(Outcome::Ok)
}
