//! One small model of a packet filter, filled from either `nft -j list ruleset` or
//! `iptables-save`: only what the checks judge (hooks, policies, the matches that decide who
//! may reach a port, verdicts and logging), so the judgement is written once for both tools.

use std::fmt;

/// The IP version a packet travels on. Each is filtered by its own set of input chains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IpVersion {
    V4,
    V6,
}

impl IpVersion {
    pub const ALL: [IpVersion; 2] = [IpVersion::V4, IpVersion::V6];
}

impl fmt::Display for IpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IpVersion::V4 => "IPv4",
            IpVersion::V6 => "IPv6",
        })
    }
}

/// An nftables table family; iptables-save is `ip`, ip6tables-save `ip6`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Family {
    Ip,
    Ip6,
    Inet,
    /// `arp`, `bridge`, `netdev`: never on the IP input path the checks judge.
    Other(String),
}

impl Family {
    pub fn parse(name: &str) -> Family {
        match name {
            "ip" => Family::Ip,
            "ip6" => Family::Ip6,
            "inet" => Family::Inet,
            other => Family::Other(other.to_owned()),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Family::Ip => "ip",
            Family::Ip6 => "ip6",
            Family::Inet => "inet",
            Family::Other(name) => name,
        }
    }

    /// Whether packets of `version` pass through this family's chains.
    pub fn carries(&self, version: IpVersion) -> bool {
        matches!(
            (self, version),
            (Family::Inet, _) | (Family::Ip, IpVersion::V4) | (Family::Ip6, IpVersion::V6)
        )
    }
}

/// Every chain the firewall tools reported, in their order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ruleset {
    pub chains: Vec<Chain>,
    /// The tables seen, including empty ones: `(family, name)`.
    pub tables: Vec<(Family, String)>,
    /// The commands the ruleset was read from, for messages.
    pub sources: Vec<String>,
}

impl Ruleset {
    /// Nothing loaded at all: no table in any family.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.chains.is_empty()
    }

    /// The chain `name` in the same table as `from`, the target of a jump or goto.
    pub fn chain_in_table(&self, from: &Chain, name: &str) -> Option<&Chain> {
        self.chains
            .iter()
            .find(|c| c.family == from.family && c.table == from.table && c.name == name)
    }

    /// The filter base chains on the input hook, the ones every inbound packet must pass.
    pub fn input_chains(&self) -> impl Iterator<Item = &Chain> {
        self.chains.iter().filter(|c| c.is_input_filter())
    }

    /// Whether some rule uses an xtables extension that `nft -j` cannot describe (rules that
    /// iptables-nft wrote): then iptables-save is the faithful source for those tables.
    pub fn has_xtables(&self) -> bool {
        self.chains.iter().any(|c| c.xtables)
    }

    /// Replaces the tables `other` also has (same family and name) with its version, and adds
    /// the rest: iptables-save's view of an iptables-nft table understands its extensions,
    /// and iptables-legacy tables are not visible to nft at all.
    pub fn merge_replacing(&mut self, other: Ruleset) {
        let replaced = |family: &Family, table: &str| {
            other.tables.iter().any(|(f, t)| f == family && t == table)
        };
        self.chains.retain(|c| !replaced(&c.family, &c.table));
        self.tables.retain(|(f, t)| !replaced(f, t));
        self.chains.extend(other.chains);
        self.tables.extend(other.tables);
        self.sources.extend(other.sources);
    }
}

/// What a base chain does with a packet no rule decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Accept,
    Drop,
}

/// The hook, type and policy of a base chain (one packets enter without a jump).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// `filter`, `nat`, `route`; for iptables the table name.
    pub kind: String,
    pub hook: String,
    pub policy: Policy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub family: Family,
    pub table: String,
    pub name: String,
    /// `None` for a regular chain, reached only by jump or goto.
    pub base: Option<Base>,
    pub rules: Vec<Rule>,
    /// Holds rules with xtables extensions (see [`Ruleset::has_xtables`]).
    pub xtables: bool,
}

impl Chain {
    pub fn is_input_filter(&self) -> bool {
        let ip = !matches!(self.family, Family::Other(_));
        ip && self
            .base
            .as_ref()
            .is_some_and(|b| b.hook == "input" && b.kind == "filter")
    }
}

impl fmt::Display for Chain {
    /// `chain input of table inet filter`, the way nft names it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "chain {} of table {} {}",
            self.name,
            self.family.name(),
            self.table
        )
    }
}

/// Where a rule came from, so a finding can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An nft rule with its handle (`nft -a list ruleset` shows it).
    Nft { handle: Option<u64> },
    /// A line of iptables-save or ip6tables-save output.
    Line {
        program: String,
        line: usize,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Drop,
    Reject,
    Return,
    Jump(String),
    Goto(String),
    /// Handed to a user-space program, which decides.
    Queue,
}

impl Verdict {
    pub fn is_drop(&self) -> bool {
        matches!(self, Verdict::Drop | Verdict::Reject)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accept => f.write_str("accept"),
            Verdict::Drop => f.write_str("drop"),
            Verdict::Reject => f.write_str("reject"),
            Verdict::Return => f.write_str("return"),
            Verdict::Jump(target) => write!(f, "jump {target}"),
            Verdict::Goto(target) => write!(f, "goto {target}"),
            Verdict::Queue => f.write_str("queue"),
        }
    }
}

/// One condition of a rule; a rule applies when all of its matches do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Input interface names (`iifname`, `-i`); `lo` is the loopback.
    Interface { names: Vec<String>, negated: bool },
    /// Source address. `any` when it is `0.0.0.0/0` or `::/0`, which restricts nothing;
    /// `version` when the match only applies to one IP version (`ip saddr`, `ip6 saddr`).
    Source {
        version: Option<IpVersion>,
        any: bool,
        negated: bool,
    },
    /// Transport protocol names (`tcp`, `udp`).
    Protocol { names: Vec<String>, negated: bool },
    /// `meta nfproto ipv4`: the rule applies to one IP version.
    Version { version: IpVersion, negated: bool },
    /// Destination ports as inclusive ranges; `protocol` when the match implies one
    /// (`tcp dport`), `None` for `th dport`.
    DestPort {
        protocol: Option<String>,
        ports: Vec<(u16, u16)>,
        negated: bool,
    },
    /// Connection-tracking states (`ct state`, `--ctstate`, `--state`), lower case.
    State { states: Vec<String>, negated: bool },
    /// Anything the model does not interpret, described for people.
    Other(String),
}

impl Match {
    pub fn is_loopback_only(&self) -> bool {
        match self {
            Match::Interface { names, negated } => {
                !negated && !names.is_empty() && names.iter().all(|n| is_loopback(n))
            }
            _ => false,
        }
    }
}

/// `lo`, and the wildcard forms `lo+` (iptables) and `lo*` (nft) that match only it.
fn is_loopback(name: &str) -> bool {
    matches!(name, "lo" | "lo+" | "lo*")
}

fn not(negated: bool) -> &'static str {
    if negated { "!= " } else { "" }
}

fn list(items: &[String]) -> String {
    match items {
        [one] => one.clone(),
        many => format!("{{ {} }}", many.join(", ")),
    }
}

impl fmt::Display for Match {
    /// Roughly nft syntax, to show people which rule a finding is about.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Match::Interface { names, negated } => {
                write!(f, "iifname {}{}", not(*negated), list(names))
            }
            Match::Source {
                version,
                any,
                negated,
            } => {
                let family = match version {
                    Some(IpVersion::V6) => "ip6",
                    _ => "ip",
                };
                let what = if *any { "any" } else { "<restricted>" };
                write!(f, "{family} saddr {}{what}", not(*negated))
            }
            Match::Protocol { names, negated } => {
                write!(f, "meta l4proto {}{}", not(*negated), list(names))
            }
            Match::Version { version, negated } => {
                let name = match version {
                    IpVersion::V4 => "ipv4",
                    IpVersion::V6 => "ipv6",
                };
                write!(f, "meta nfproto {}{name}", not(*negated))
            }
            Match::DestPort {
                protocol,
                ports,
                negated,
            } => {
                let ports: Vec<String> = ports
                    .iter()
                    .map(|&(lo, hi)| {
                        if lo == hi {
                            lo.to_string()
                        } else {
                            format!("{lo}-{hi}")
                        }
                    })
                    .collect();
                let protocol = protocol.as_deref().unwrap_or("th");
                write!(f, "{protocol} dport {}{}", not(*negated), list(&ports))
            }
            Match::State { states, negated } => {
                write!(f, "ct state {}{}", not(*negated), list(states))
            }
            Match::Other(what) => f.write_str(what),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub origin: Origin,
    pub matches: Vec<Match>,
    /// Whether the rule logs the packets it matches (`log`, `-j LOG`, `-j NFLOG`).
    pub logs: bool,
    /// `None` when the rule only logs or counts and the packet goes on to the next rule.
    pub verdict: Option<Verdict>,
}

impl Rule {
    /// Applies to every packet that reaches it.
    pub fn is_unconditional(&self) -> bool {
        self.matches.is_empty()
    }

    /// Where the rule is and what it says, for a finding: `rule handle 6 (tcp dport 22
    /// accept) in chain input of table inet filter`, or the iptables-save line.
    pub fn describe(&self, chain: &Chain) -> String {
        match &self.origin {
            Origin::Nft { handle } => {
                let handle = handle.map(|h| format!(" handle {h}")).unwrap_or_default();
                format!("rule{handle} `{}` in {chain}", self.summary())
            }
            Origin::Line {
                program,
                line,
                text,
            } => format!("{program} line {line} `{text}`"),
        }
    }

    /// The rule in roughly nft syntax.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self.matches.iter().map(Match::to_string).collect();
        if self.logs {
            parts.push("log".into());
        }
        if let Some(verdict) = &self.verdict {
            parts.push(verdict.to_string());
        }
        parts.join(" ")
    }
}
