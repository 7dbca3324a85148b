//! `iptables-save` and `ip6tables-save` text into the [`Ruleset`] model.
//!
//! The format is line based: `*table`, `:CHAIN POLICY [packets:bytes]`, `-A CHAIN options`,
//! `COMMIT`. Options the model does not interpret become [`Match::Other`] (when they restrict
//! which packets match) or are skipped (comments, target options); a line that breaks the
//! format is an error naming it.

use super::error::{ParseError, Position};
use super::model::{Base, Chain, Family, IpVersion, Match, Origin, Policy, Rule, Ruleset, Verdict};

/// Which of the two programs printed the text: they differ only in the IP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    IptablesSave,
    Ip6tablesSave,
}

impl Program {
    pub fn name(self) -> &'static str {
        match self {
            Program::IptablesSave => "iptables-save",
            Program::Ip6tablesSave => "ip6tables-save",
        }
    }

    fn family(self) -> Family {
        match self {
            Program::IptablesSave => Family::Ip,
            Program::Ip6tablesSave => Family::Ip6,
        }
    }

    fn version(self) -> IpVersion {
        match self {
            Program::IptablesSave => IpVersion::V4,
            Program::Ip6tablesSave => IpVersion::V6,
        }
    }
}

/// Parses what `program` printed.
pub fn parse(text: &str, program: Program) -> Result<Ruleset, ParseError> {
    let mut ruleset = Ruleset {
        sources: vec![program.name().to_owned()],
        ..Ruleset::default()
    };
    // The table being read and the line that opened it, for a missing COMMIT.
    let mut open: Option<(String, usize)> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let fail =
            |problem: String| ParseError::new(program.name(), Position::Line(number), problem);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(table) = line.strip_prefix('*') {
            if let Some((previous, _)) = &open {
                return Err(fail(format!(
                    "table {table} starts before table {previous} ends with COMMIT"
                )));
            }
            let table = table.trim();
            if table.is_empty() {
                return Err(fail("`*` must be followed by a table name".into()));
            }
            ruleset.tables.push((program.family(), table.to_owned()));
            open = Some((table.to_owned(), number));
            continue;
        }
        let Some((table, _)) = &open else {
            return Err(fail(format!(
                "`{}` comes before any `*table` line",
                shorten(line)
            )));
        };
        if line == "COMMIT" {
            open = None;
        } else if let Some(declaration) = line.strip_prefix(':') {
            let chain = parse_chain(declaration, table, program).map_err(fail)?;
            ruleset.chains.push(chain);
        } else {
            let tokens = tokenize(line).map_err(fail)?;
            add_rule(&mut ruleset, table, &tokens, program, number, line).map_err(fail)?;
        }
    }
    if let Some((table, line)) = open {
        return Err(ParseError::new(
            program.name(),
            Position::Line(line),
            format!("table {table} is never closed with COMMIT; the output looks cut short"),
        ));
    }
    Ok(ruleset)
}

fn shorten(line: &str) -> String {
    match line.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// `INPUT DROP [0:0]` (a built-in chain with its policy) or `LOGDROP - [0:0]`.
fn parse_chain(declaration: &str, table: &str, program: Program) -> Result<Chain, String> {
    let mut parts = declaration.split_whitespace();
    let (Some(name), Some(policy)) = (parts.next(), parts.next()) else {
        return Err(
            "a chain declaration needs a name and a policy, as in `:INPUT DROP [0:0]`".into(),
        );
    };
    let policy = match policy {
        "-" => None,
        "ACCEPT" => Some(Policy::Accept),
        "DROP" => Some(Policy::Drop),
        other => {
            return Err(format!(
                "chain {name} has policy {other:?}; iptables only knows ACCEPT and DROP"
            ));
        }
    };
    let base = policy.map(|policy| Base {
        // Only the filter table's chains are packet filters; nat, mangle and raw are
        // judged by nothing here, and their type keeps them out of the input checks.
        kind: table.to_owned(),
        hook: name.to_ascii_lowercase(),
        policy,
    });
    Ok(Chain {
        family: program.family(),
        table: table.to_owned(),
        name: name.to_owned(),
        base,
        rules: Vec::new(),
        xtables: false,
    })
}

/// Splits a rule line into words, honouring the double quotes iptables-save puts around
/// comments and log prefixes (with `\"` and `\\` escapes inside).
fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut chars = line.chars();
    let mut current: Option<String> = None;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let word = current.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        None => return Err("a double quote is never closed".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(escaped) => word.push(escaped),
                            None => return Err("a double quote is never closed".into()),
                        },
                        Some(other) => word.push(other),
                    }
                }
            }
            c if c.is_whitespace() => tokens.extend(current.take()),
            c => current.get_or_insert_with(String::new).push(c),
        }
    }
    tokens.extend(current);
    Ok(tokens)
}

/// Modules whose options do not restrict which packets a rule matches in a way that
/// matters here, or whose options are read below.
const KNOWN_MODULES: &[&str] = &[
    "tcp",
    "udp",
    "sctp",
    "dccp",
    "multiport",
    "conntrack",
    "state",
    "comment",
    "limit",
    "set",
    "iprange",
];

/// Options followed by one word of free text.
const FREE_TEXT_OPTIONS: &[&str] = &["--comment", "--log-prefix", "--nflog-prefix"];

/// Options that neither restrict who reaches a port nor matter to the checks.
const IGNORED_OPTIONS: &[&str] = &[
    "--comment",
    "--limit",
    "--limit-burst",
    "-c",
    "--set-counters",
];

fn add_rule(
    ruleset: &mut Ruleset,
    table: &str,
    tokens: &[String],
    program: Program,
    line: usize,
    text: &str,
) -> Result<(), String> {
    // iptables-save -c prefixes each rule with its counters: `[12:345] -A INPUT …`.
    let tokens = match tokens {
        [counters, rest @ ..] if counters.starts_with('[') => rest,
        all => all,
    };
    let [append, chain_name, options @ ..] = tokens else {
        return Err(format!("`{}` is not a rule (`-A CHAIN …`)", shorten(text)));
    };
    if append != "-A" && append != "--append" {
        return Err(format!(
            "`{}` is neither a rule (`-A CHAIN …`) nor a chain, table or COMMIT line",
            shorten(text)
        ));
    }
    let chains: Vec<&str> = ruleset
        .chains
        .iter()
        .filter(|c| c.family == program.family() && c.table == table)
        .map(|c| c.name.as_str())
        .collect();
    if !chains.contains(&chain_name.as_str()) {
        return Err(format!(
            "the rule is appended to chain {chain_name}, which table {table} does not declare"
        ));
    }

    let mut rule = Rule {
        origin: Origin::Line {
            program: program.name().to_owned(),
            line,
            text: text.to_owned(),
        },
        matches: Vec::new(),
        logs: false,
        verdict: None,
    };
    let mut protocol: Option<String> = None;
    let mut negated = false;
    let mut target_seen = false;
    let mut i = 0;
    while let Some(option) = options.get(i) {
        i += 1;
        if option == "!" {
            negated = true;
            continue;
        }
        if FREE_TEXT_OPTIONS.contains(&option.as_str()) {
            // Free text may itself start with `-`, so it is taken whole, not as options.
            i += 1;
            negated = false;
            continue;
        }
        // The words after an option, up to the next option or `!`.
        let values: Vec<&str> = options[i..]
            .iter()
            .take_while(|v| !v.starts_with('-') && *v != "!")
            .map(String::as_str)
            .collect();
        i += values.len();
        let value = || {
            values
                .first()
                .copied()
                .ok_or_else(|| format!("`{option}` needs a value"))
        };
        let was_negated = std::mem::take(&mut negated);
        if target_seen {
            // Everything after `-j TARGET` configures the target (log prefix, reject type).
            continue;
        }
        match option.as_str() {
            "-i" | "--in-interface" => rule.matches.push(Match::Interface {
                names: vec![value()?.to_owned()],
                negated: was_negated,
            }),
            "-s" | "--source" | "--src" | "--src-range" => {
                let any = value()?.split(',').any(|a| a == "0.0.0.0/0" || a == "::/0");
                rule.matches.push(Match::Source {
                    version: Some(program.version()),
                    any,
                    negated: was_negated,
                });
            }
            "--match-set" => {
                let direction = values.get(1).copied().unwrap_or_default();
                rule.matches.push(if direction.starts_with("src") {
                    Match::Source {
                        version: Some(program.version()),
                        any: false,
                        negated: was_negated,
                    }
                } else {
                    Match::Other(format!("--match-set {}", values.join(" ")))
                });
            }
            "-p" | "--protocol" => {
                let name = value()?.to_ascii_lowercase();
                let name = match name.as_str() {
                    "6" => "tcp".to_owned(),
                    "17" => "udp".to_owned(),
                    _ => name,
                };
                if !was_negated {
                    protocol = Some(name.clone());
                }
                rule.matches.push(Match::Protocol {
                    names: vec![name],
                    negated: was_negated,
                });
            }
            "--dport" | "--destination-port" | "--dports" | "--destination-ports" | "--ports" => {
                let ports = value()?
                    .split(',')
                    .map(parse_port_range)
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        format!(
                            "`{option}` expects ports or ranges like 22,1000:2000, found `{}`",
                            value().unwrap_or_default()
                        )
                    })?;
                rule.matches.push(Match::DestPort {
                    protocol: protocol.clone(),
                    ports,
                    negated: was_negated,
                });
            }
            // A SYN is what opens a connection, so `--syn` selects new connections.
            "--syn" => rule.matches.push(Match::State {
                states: vec!["new".into()],
                negated: was_negated,
            }),
            "--ctstate" | "--state" => rule.matches.push(Match::State {
                states: value()?.split(',').map(str::to_ascii_lowercase).collect(),
                negated: was_negated,
            }),
            "-m" | "--match" => {
                let module = value()?;
                if !KNOWN_MODULES.contains(&module) {
                    rule.matches.push(Match::Other(format!("-m {module}")));
                }
            }
            "-j" | "--jump" | "-g" | "--goto" => {
                target_seen = true;
                let target = value()?;
                let goto = option == "-g" || option == "--goto";
                match target {
                    "ACCEPT" => rule.verdict = Some(Verdict::Accept),
                    "DROP" => rule.verdict = Some(Verdict::Drop),
                    "REJECT" => rule.verdict = Some(Verdict::Reject),
                    "RETURN" => rule.verdict = Some(Verdict::Return),
                    "QUEUE" | "NFQUEUE" => rule.verdict = Some(Verdict::Queue),
                    "LOG" | "NFLOG" | "ULOG" => rule.logs = true,
                    chain if chains.contains(&chain) => {
                        rule.verdict = Some(if goto {
                            Verdict::Goto(chain.to_owned())
                        } else {
                            Verdict::Jump(chain.to_owned())
                        });
                    }
                    // MARK, CT, TCPMSS, DNAT…: they change the packet, and it goes on.
                    _ => {}
                }
            }
            option if IGNORED_OPTIONS.contains(&option) => {}
            // -d, --sport, --tcp-flags, --icmp-type, options of unknown modules: they
            // restrict which packets match in ways the model does not follow.
            other => rule.matches.push(Match::Other(format!(
                "{}{other} {}",
                if was_negated { "! " } else { "" },
                values.join(" ")
            ))),
        }
    }
    if negated {
        return Err("the rule ends with a `!` that negates nothing".into());
    }

    if let Some(chain) = ruleset
        .chains
        .iter_mut()
        .find(|c| c.family == program.family() && c.table == table && c.name == *chain_name)
    {
        chain.rules.push(rule);
    }
    Ok(())
}

/// `22` or `1000:2000` (either end may be left out: `:1024`, `1024:`).
fn parse_port_range(text: &str) -> Option<(u16, u16)> {
    match text.split_once(':') {
        None => {
            let port = text.parse().ok()?;
            Some((port, port))
        }
        Some((lo, hi)) => {
            let lo = if lo.is_empty() { 0 } else { lo.parse().ok()? };
            let hi = if hi.is_empty() {
                u16::MAX
            } else {
                hi.parse().ok()?
            };
            Some((lo.min(hi), lo.max(hi)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_words_keep_spaces_and_escapes() {
        assert_eq!(
            tokenize(r#"-A INPUT -m comment --comment "a \"b\" c" -j LOG"#).unwrap(),
            [
                "-A",
                "INPUT",
                "-m",
                "comment",
                "--comment",
                "a \"b\" c",
                "-j",
                "LOG"
            ]
        );
        assert_eq!(tokenize(r#"x "" y"#).unwrap(), ["x", "", "y"]);
        assert!(tokenize(r#"--log-prefix "open"#).is_err());
        assert!(tokenize(r#"--log-prefix "ends in \"#).is_err());
    }

    #[test]
    fn port_ranges_may_leave_out_either_end() {
        assert_eq!(parse_port_range("22"), Some((22, 22)));
        assert_eq!(parse_port_range("2000:1000"), Some((1000, 2000)));
        assert_eq!(parse_port_range(":1024"), Some((0, 1024)));
        assert_eq!(parse_port_range("1024:"), Some((1024, 65535)));
        assert_eq!(parse_port_range("65536"), None);
        assert_eq!(parse_port_range("ssh"), None);
    }

    #[test]
    fn free_text_that_looks_like_an_option_is_not_one() {
        let text = "*filter\n:INPUT DROP [0:0]\n\
                    -A INPUT -p tcp --dport 22 -m comment --comment -s -j ACCEPT\nCOMMIT\n";
        let ruleset = parse(text, Program::IptablesSave).unwrap();
        let rule = &ruleset.chains[0].rules[0];
        assert_eq!(rule.verdict, Some(Verdict::Accept));
        assert!(
            !rule
                .matches
                .iter()
                .any(|m| matches!(m, Match::Source { .. })),
            "{rule:?}"
        );
    }
}
