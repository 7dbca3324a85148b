//! The three judgements, on a [`Ruleset`] whatever tool it came from.

use phiguard_core::{CheckMeta, Finding, Status};

use super::ADMIN_SERVICES;
use super::model::{Chain, IpVersion, Match, Policy, Rule, Ruleset, Verdict};

/// Jumps followed before giving up; nft refuses loops and deeper nesting, so this is only
/// a guard against a hand-written fixture.
const MAX_DEPTH: usize = 16;

const NOTHING_LOADED: &str = "no firewall rules are loaded, so every port is open to every address";

/// `host.firewall.inbound_default`: every input chain denies what no rule allows.
pub fn inbound_default(meta: &CheckMeta, ruleset: &Ruleset) -> Vec<Finding> {
    if ruleset.is_empty() {
        return vec![meta.finding(Status::Fail, "firewall", NOTHING_LOADED)];
    }
    let mut findings: Vec<Finding> = ruleset
        .input_chains()
        .map(|chain| {
            let subject = chain.to_string();
            let drops = chain.base.as_ref().is_some_and(|b| b.policy == Policy::Drop);
            if drops {
                meta.finding(Status::Pass, subject, "the policy is drop: inbound traffic no rule accepts is dropped")
            } else if let Some(rule) = final_drop(ruleset, chain, 0) {
                meta.finding(
                    Status::Pass,
                    subject,
                    format!("the policy is accept, but the chain ends with {}, which drops whatever no rule accepted", rule.describe(chain)),
                )
            } else {
                meta.finding(
                    Status::Fail,
                    subject,
                    "the policy is accept and the chain does not end with an unconditional drop or reject, so inbound traffic that no rule mentions is let in",
                )
            }
        })
        .collect();
    for version in IpVersion::ALL {
        if !ruleset.input_chains().any(|c| c.family.carries(version)) {
            findings.push(meta.finding(
                Status::Fail,
                version.to_string(),
                format!("no chain on the input hook filters {version} traffic (none in an inet table or the {} family), so {version} peers reach every port", family_of(version)),
            ));
        }
    }
    findings
}

fn family_of(version: IpVersion) -> &'static str {
    match version {
        IpVersion::V4 => "ip",
        IpVersion::V6 => "ip6",
    }
}

/// The last rule that decides anything in `chain`, when it drops every packet reaching it,
/// directly or through an unconditional jump to a chain that does.
fn final_drop<'r>(ruleset: &'r Ruleset, chain: &'r Chain, depth: usize) -> Option<&'r Rule> {
    let last = chain.rules.iter().rev().find(|r| r.verdict.is_some())?;
    if !last.is_unconditional() || depth > MAX_DEPTH {
        return None;
    }
    match last.verdict.as_ref()? {
        Verdict::Drop | Verdict::Reject => Some(last),
        Verdict::Jump(target) | Verdict::Goto(target) => {
            let target = ruleset.chain_in_table(chain, target)?;
            final_drop(ruleset, target, depth + 1).map(|_| last)
        }
        _ => None,
    }
}

/// `host.firewall.exposed_admin_ports`: no management or database port accepts new
/// connections from any address.
pub fn exposed_admin_ports(meta: &CheckMeta, ruleset: &Ruleset) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ADMIN_SERVICES {
        let mut routes = Vec::new();
        for version in IpVersion::ALL {
            for &protocol in service.protocols {
                let probe = Probe {
                    version,
                    protocol,
                    port: service.port,
                };
                if let Some(how) = admitted(ruleset, &probe) {
                    routes.push(format!("{protocol} over {version}: {how}"));
                }
            }
        }
        if !routes.is_empty() {
            findings.push(meta.finding(
                Status::Fail,
                service.subject(),
                format!(
                    "{} ({}) accepts new connections from any address; {}",
                    service.subject(),
                    service.what,
                    routes.join("; ")
                ),
            ));
        }
    }
    if findings.is_empty() {
        let ports: Vec<String> = ADMIN_SERVICES.iter().map(|s| s.port.to_string()).collect();
        findings.push(meta.finding(
            Status::Pass,
            "management and database ports",
            format!(
                "none of ports {} accepts new connections from any address",
                ports.join(", ")
            ),
        ));
    }
    findings
}

/// A new connection from some address on the internet, on an interface other than the
/// loopback, to one port: the packet the exposure check follows through the chains.
struct Probe {
    version: IpVersion,
    protocol: &'static str,
    port: u16,
}

/// Whether a match applies to the probe; `Unknown` for matches the model does not follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    Yes,
    No,
    Unknown,
}

impl Truth {
    fn from(yes: bool) -> Truth {
        if yes { Truth::Yes } else { Truth::No }
    }
}

impl Probe {
    fn sees(&self, m: &Match) -> Truth {
        match m {
            // Only loopback-only rules keep the outside away; `iifname != "lo"` or a named
            // external interface lets it in.
            Match::Interface { .. } => Truth::from(!m.is_loopback_only()),
            Match::Source {
                version,
                any,
                negated,
            } => {
                if version.is_some_and(|v| v != self.version) {
                    // `ip saddr != 10.0.0.0/8` never matches an IPv6 packet.
                    Truth::No
                } else {
                    // A negation leaves almost the whole internet in, so it counts as
                    // anywhere; a positive restriction keeps the probe out.
                    Truth::from(*any != *negated)
                }
            }
            Match::Protocol { names, negated } => {
                Truth::from(names.iter().any(|n| n == self.protocol) != *negated)
            }
            Match::Version { version, negated } => {
                Truth::from((*version == self.version) != *negated)
            }
            Match::DestPort {
                protocol,
                ports,
                negated,
            } => {
                if protocol.as_deref().is_some_and(|p| p != self.protocol) {
                    Truth::No
                } else {
                    let inside = ports.iter().any(|&(lo, hi)| (lo..=hi).contains(&self.port));
                    Truth::from(inside != *negated)
                }
            }
            // Established and related traffic belongs to connections the host opened or
            // already allowed; only a rule that covers new connections exposes a port.
            Match::State { states, negated } => {
                Truth::from(states.iter().any(|s| s == "new") != *negated)
            }
            Match::Other(_) => Truth::Unknown,
        }
    }

    fn sees_rule(&self, rule: &Rule) -> Truth {
        rule.matches
            .iter()
            .map(|m| self.sees(m))
            .fold(Truth::Yes, |all, t| match (all, t) {
                (Truth::No, _) | (_, Truth::No) => Truth::No,
                (Truth::Unknown, _) | (_, Truth::Unknown) => Truth::Unknown,
                _ => Truth::Yes,
            })
    }
}

/// What can happen to the probe in one chain: it may be accepted (by this rule, in this
/// chain), and it may come back to the caller (the chain ends or returns).
#[derive(Debug, Default)]
struct Paths<'r> {
    accepted: Option<(&'r Rule, &'r Chain)>,
    returns: bool,
}

/// Whether the probe gets through every input chain of its IP version, and how: `None`
/// when some chain stops it.
fn admitted(ruleset: &Ruleset, probe: &Probe) -> Option<String> {
    if ruleset.is_empty() {
        return Some(NOTHING_LOADED.to_owned());
    }
    let chains: Vec<&Chain> = ruleset
        .input_chains()
        .filter(|c| c.family.carries(probe.version))
        .collect();
    if chains.is_empty() {
        return Some(format!("no input chain filters {}", probe.version));
    }
    // A packet must be accepted by every base chain on the hook; a drop in any is final.
    let mut reasons = Vec::new();
    for chain in chains {
        let paths = follow(ruleset, chain, probe, 0);
        let reason = match paths.accepted {
            Some((rule, in_chain)) => format!("accepted by {}", rule.describe(in_chain)),
            None if paths.returns
                && chain
                    .base
                    .as_ref()
                    .is_some_and(|b| b.policy == Policy::Accept) =>
            {
                format!("{chain} lets it through with its accept policy")
            }
            None => return None,
        };
        reasons.push(reason);
    }
    Some(reasons.join(", then "))
}

/// Follows the probe through `chain` in rule order. A rule whose matches the model cannot
/// decide (`Truth::Unknown`) is taken both ways when it jumps or returns, since either may
/// happen to some packet; an undecided accept is not reported (it is restricted somehow),
/// and an undecided drop does not stop the probe (it may not apply to it).
fn follow<'r>(ruleset: &'r Ruleset, chain: &'r Chain, probe: &Probe, depth: usize) -> Paths<'r> {
    let mut paths = Paths::default();
    for rule in &chain.rules {
        let truth = probe.sees_rule(rule);
        if truth == Truth::No {
            continue;
        }
        let certain = truth == Truth::Yes;
        match &rule.verdict {
            None => {}
            Some(Verdict::Accept) if certain => {
                paths.accepted = Some((rule, chain));
                return paths;
            }
            Some(Verdict::Drop | Verdict::Reject | Verdict::Queue) if certain => return paths,
            Some(Verdict::Accept | Verdict::Drop | Verdict::Reject | Verdict::Queue) => {}
            Some(Verdict::Return) => {
                paths.returns = true;
                if certain {
                    return paths;
                }
            }
            Some(Verdict::Jump(target) | Verdict::Goto(target)) => {
                let Some(target) = ruleset.chain_in_table(chain, target) else {
                    continue;
                };
                if depth > MAX_DEPTH {
                    continue;
                }
                let inner = follow(ruleset, target, probe, depth + 1);
                if inner.accepted.is_some() {
                    paths.accepted = inner.accepted;
                    return paths;
                }
                let goto = matches!(rule.verdict, Some(Verdict::Goto(_)));
                if goto {
                    // A goto's chain returns to this chain's caller, not here.
                    paths.returns |= inner.returns;
                }
                if certain && (goto || !inner.returns) {
                    return paths;
                }
            }
        }
    }
    paths.returns = true;
    paths
}

/// `host.firewall.drop_logging`: dropped inbound traffic is logged.
pub fn drop_logging(meta: &CheckMeta, ruleset: &Ruleset) -> Vec<Finding> {
    let inputs: Vec<&Chain> = ruleset.input_chains().collect();
    if inputs.is_empty() {
        return vec![meta.finding(
            Status::Fail,
            "firewall",
            "no input chain is loaded, so nothing is dropped and nothing is logged",
        )];
    }
    inputs
        .into_iter()
        .map(|chain| {
            let subject = chain.to_string();
            let drops_at_end = chain.base.as_ref().is_some_and(|b| b.policy == Policy::Drop);
            match logging_rule(ruleset, chain, drops_at_end, 0) {
                Some((rule, in_chain)) => meta.finding(
                    Status::Pass,
                    subject,
                    format!("dropped traffic is logged by {}", rule.describe(in_chain)),
                ),
                None => meta.finding(
                    Status::Fail,
                    subject,
                    "no rule logs the traffic this chain drops, so refused connection attempts leave no audit record",
                ),
            }
        })
        .collect()
}

/// A rule that logs packets about to be dropped, in `chain` or a chain it jumps to: a log
/// that drops too, or a log followed by a drop or reject further down the same chain or,
/// once the chain returns, by a drop further along (`drops_after`: for a base chain, its
/// drop policy), as with ufw's LOG at the end of a chain jumped to before the DROP policy.
fn logging_rule<'r>(
    ruleset: &'r Ruleset,
    chain: &'r Chain,
    drops_after: bool,
    depth: usize,
) -> Option<(&'r Rule, &'r Chain)> {
    for (i, rule) in chain.rules.iter().enumerate() {
        let drop_follows = || {
            drops_after
                || chain.rules[i + 1..]
                    .iter()
                    .any(|r| r.verdict.as_ref().is_some_and(Verdict::is_drop))
        };
        match &rule.verdict {
            Some(v) if rule.logs && v.is_drop() => return Some((rule, chain)),
            None if rule.logs && drop_follows() => return Some((rule, chain)),
            Some(Verdict::Jump(target) | Verdict::Goto(target)) if depth < MAX_DEPTH => {
                // A goto never comes back here, so only what follows this chain counts.
                let after = match rule.verdict {
                    Some(Verdict::Goto(_)) => drops_after,
                    _ => drop_follows(),
                };
                if let Some(target) = ruleset.chain_in_table(chain, target)
                    && let Some(found) = logging_rule(ruleset, target, after, depth + 1)
                {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}
