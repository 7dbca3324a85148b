//! Firewall checks: inbound traffic is denied by default, management and database ports are
//! not open to the world, and dropped traffic is logged (HIPAA 164.312(e)(1) transmission
//! security, 164.312(b) audit controls).
//!
//! The live ruleset is read with `nft -j list ruleset`, or `iptables-save` and
//! `ip6tables-save` where nft is missing or cannot describe the rules ([`RulesetReader`]),
//! into one small [`model`]; the judgements ([`judge`]) work on that model alone, so
//! fixtures, captured rulesets and the running kernel are judged by the same code.

mod error;
pub mod iptables;
mod judge;
pub mod model;
pub mod nft;
mod read;

use std::sync::Arc;

use phiguard_core::{Check, CheckContext, CheckError, CheckMeta, Finding, Severity, Status};

use crate::{FnCheck, PerRun, Settings, live_only, meta};

pub use error::{ParseError, Position, ReadError};
pub use model::Ruleset;
pub use read::RulesetReader;

/// The management and database ports no firewall may open to the world: one list for the
/// host's firewall and the cloud's security groups and network ACLs.
pub use phiguard_core::ports::{ADMIN_SERVICES, AdminService};

pub const INBOUND_DEFAULT: &str = "host.firewall.inbound_default";
pub const EXPOSED_ADMIN_PORTS: &str = "host.firewall.exposed_admin_ports";
pub const DROP_LOGGING: &str = "host.firewall.drop_logging";

/// The judgement a check makes once the ruleset is read.
type Judge = fn(&CheckMeta, &Ruleset) -> Vec<Finding>;

/// The three checks with their metadata and judgement, in one place for `checks` and `judge`.
fn definitions() -> [(CheckMeta, Judge); 3] {
    [
        (
            meta(
                INBOUND_DEFAULT,
                "Inbound traffic is denied by default",
                Severity::High,
                "HIPAA 164.312(e)(1) requires guarding ePHI against unauthorised access over the network. A firewall that accepts what no rule mentions exposes every service started later, including ones nobody meant to publish.",
                "Set the policy of every input chain to drop and accept only what is needed, e.g. `nft add chain inet filter input '{ type filter hook input priority 0; policy drop; }'` after accepting `ct state established,related` and `iifname lo`; with iptables, `iptables -P INPUT DROP` and `ip6tables -P INPUT DROP`. Make it persistent (/etc/nftables.conf, or iptables-persistent).",
            ),
            judge::inbound_default,
        ),
        (
            meta(
                EXPOSED_ADMIN_PORTS,
                "Management and database ports are not open to any address",
                Severity::High,
                "Remote shells, remote desktops, database and cache ports open to the internet are scanned and brute-forced continuously; databases hold the ePHI itself. HIPAA 164.312(e)(1) and 164.312(a)(1) call for limiting who can reach them.",
                "Accept these ports only from the addresses that need them, e.g. `ip saddr 10.0.0.0/8 tcp dport 22 accept` or `iptables -A INPUT -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT`, or through a VPN or bastion, and delete the rules that accept them from anywhere.",
            ),
            judge::exposed_admin_ports,
        ),
        (
            meta(
                DROP_LOGGING,
                "Dropped inbound traffic is logged",
                Severity::Medium,
                "HIPAA 164.312(b) requires recording and examining activity in systems that hold ePHI; refused connection attempts are the first sign of a scan or an attack, and without a log rule the firewall drops them silently.",
                "Log before dropping, e.g. `nft add rule inet filter input limit rate 10/second log prefix \"input drop: \"` as the chain's last rule (its drop policy follows), or `iptables -A INPUT -m limit --limit 10/second -j LOG --log-prefix \"input drop: \"` before the final DROP, and ship the kernel log to your log store.",
            ),
            judge::drop_logging,
        ),
    ]
}

/// The firewall checks, reading the running system's ruleset.
pub fn checks(_settings: &Settings) -> Vec<Box<dyn Check>> {
    checks_reading(RulesetReader::system())
}

/// The firewall checks, reading the ruleset with `reader` (tests point it at a network
/// namespace). Each run reads the ruleset afresh, once for its three checks, so a check
/// never judges a stale copy.
pub fn checks_reading(reader: RulesetReader) -> Vec<Box<dyn Check>> {
    let shared = Arc::new((reader, PerRun::default()));
    definitions()
        .into_iter()
        .map(|(meta, judgement)| {
            let shared = Arc::clone(&shared);
            FnCheck::boxed(meta, move |meta, ctx| {
                run(meta, ctx, &shared.0, &shared.1, judgement)
            })
        })
        .collect()
}

fn run(
    meta: &CheckMeta,
    ctx: &CheckContext,
    reader: &RulesetReader,
    ruleset: &PerRun<Result<Ruleset, ReadError>>,
    judgement: Judge,
) -> Result<Vec<Finding>, CheckError> {
    if let Some(skipped) = live_only(meta, ctx) {
        return Ok(skipped);
    }
    match ruleset.get(ctx, || reader.read()).as_ref() {
        Ok(ruleset) => Ok(judgement(meta, ruleset)),
        // A ruleset that cannot be parsed is reported against the tool that printed it.
        Err(ReadError::Malformed(e)) => Ok(vec![meta.finding(
            Status::Error,
            e.source_name.clone(),
            e.to_string(),
        )]),
        Err(e) => Err(CheckError::new(e.to_string())),
    }
}

/// Every firewall finding for `ruleset`, as the three checks would report them on a host
/// whose firewall it is.
pub fn judge(ruleset: &Ruleset) -> Vec<Finding> {
    definitions()
        .iter()
        .flat_map(|(meta, judgement)| judgement(meta, ruleset))
        .collect()
}
