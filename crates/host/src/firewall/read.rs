//! Running the firewall tools and reading their output into one [`Ruleset`].
//!
//! The programs are run directly (no shell), with no input and a time limit. A command
//! prefix lets the same code read another network namespace (`ip netns exec NS`), which is
//! how the tests check real rulesets without touching the host's firewall.

use std::ffi::OsString;
use std::io::{ErrorKind, Read};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::error::ReadError;
use super::iptables::{self, Program};
use super::model::Ruleset;
use super::nft;

/// Reads the kernel's ruleset with `nft`, or with `iptables-save` and `ip6tables-save`.
#[derive(Debug, Clone)]
pub struct RulesetReader {
    prefix: Vec<OsString>,
    timeout: Duration,
}

impl Default for RulesetReader {
    fn default() -> RulesetReader {
        RulesetReader::system()
    }
}

/// Why one program gave no output.
enum RunError {
    NotFound,
    Failed(String),
}

impl RulesetReader {
    /// The running system's firewall.
    pub fn system() -> RulesetReader {
        RulesetReader {
            prefix: Vec::new(),
            // nft answers in milliseconds even with thousands of rules; a wait this long
            // means a hung netlink socket, and the check should say so rather than hang.
            timeout: Duration::from_secs(20),
        }
    }

    /// Runs every program behind `prefix`, e.g. `["ip", "netns", "exec", "ns1"]`.
    pub fn with_prefix<I, S>(prefix: I) -> RulesetReader
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        RulesetReader {
            prefix: prefix.into_iter().map(Into::into).collect(),
            ..RulesetReader::system()
        }
    }

    /// Reads the ruleset: nft's JSON when nft is installed and reports something; the
    /// iptables-save programs when it is missing, reports nothing (iptables-legacy), or
    /// reports rules with xtables extensions its JSON cannot describe (iptables-nft).
    pub fn read(&self) -> Result<Ruleset, ReadError> {
        let (mut ruleset, nft_found, nft_error) = match self.run("nft", &["-j", "list", "ruleset"])
        {
            Ok(json) => (nft::parse(&json)?, true, None),
            Err(RunError::NotFound) => (Ruleset::default(), false, None),
            Err(RunError::Failed(why)) => (Ruleset::default(), true, Some(why)),
        };
        if !ruleset.is_empty() && !ruleset.has_xtables() {
            return Ok(ruleset);
        }

        let mut errors: Vec<String> = nft_error.into_iter().collect();
        let mut iptables_found = false;
        for program in [Program::IptablesSave, Program::Ip6tablesSave] {
            match self.run(program.name(), &[]) {
                Ok(text) => {
                    iptables_found = true;
                    let text = String::from_utf8_lossy(&text);
                    ruleset.merge_replacing(iptables::parse(&text, program)?);
                }
                Err(RunError::NotFound) => {}
                Err(RunError::Failed(why)) => {
                    iptables_found = true;
                    errors.push(why);
                }
            }
        }
        if !nft_found && !iptables_found {
            return Err(ReadError::NoTools);
        }
        // One tool failing is fine when another answered; all of them failing is not.
        if !errors.is_empty() && ruleset.sources.is_empty() {
            return Err(ReadError::Failed(errors.join("; ")));
        }
        Ok(ruleset)
    }

    /// Runs `program args…` behind the prefix and returns its standard output.
    fn run(&self, program: &str, args: &[&str]) -> Result<Vec<u8>, RunError> {
        let mut argv = self.prefix.iter().cloned().chain([OsString::from(program)]);
        let Some(first) = argv.next() else {
            return Err(RunError::NotFound);
        };
        let shown = format!("`{program} {}`", args.join(" "));
        let child = Command::new(first)
            .args(argv)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // A reader for another locale would still work, but messages quoted in
            // findings should be the ones people search for.
            .env("LC_ALL", "C")
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(RunError::NotFound),
            Err(e) => {
                return Err(RunError::Failed(format!(
                    "{shown} could not be started: {e}"
                )));
            }
        };
        let (status, stdout, stderr) = wait_with_timeout(child, self.timeout)
            .map_err(|why| RunError::Failed(format!("{shown} {why}")))?;
        if status.success() {
            return Ok(stdout);
        }
        let stderr = String::from_utf8_lossy(&stderr);
        let detail = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        Err(RunError::Failed(format!(
            "{shown} failed ({status}): {}",
            detail.trim()
        )))
    }
}

/// Waits for `child`, reading its output on threads so a full pipe cannot block it, and
/// kills it when `timeout` passes.
fn wait_with_timeout(
    mut child: Child,
    timeout: Duration,
) -> Result<(std::process::ExitStatus, Vec<u8>, Vec<u8>), String> {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "did not finish within {} seconds and was stopped",
                    timeout.as_secs()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("could not be waited for: {e}")),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok((status, stdout, stderr))
}
