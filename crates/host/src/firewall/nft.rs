//! `nft -j list ruleset` (the libnftables JSON schema) into the [`Ruleset`] model.
//!
//! Only structure the model needs is required; expressions it does not know become
//! [`Match::Other`] or are ignored (counters, quotas), so a newer nft with new expressions
//! still reads. Every access goes through `serde_json::Value` getters, never indexing, so
//! no input can panic the parser.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::error::{ParseError, Position};
use super::model::{Base, Chain, Family, IpVersion, Match, Origin, Policy, Rule, Ruleset, Verdict};

/// How the command is shown in messages.
pub const SOURCE: &str = "nft -j list ruleset";

/// Named sets and maps, by (family, table, name), holding their `elem` arrays.
type Sets<'a> = HashMap<(String, String, String), &'a Value>;

/// Parses the JSON `nft -j list ruleset` prints.
pub fn parse(json: &[u8]) -> Result<Ruleset, ParseError> {
    let doc: Value = serde_json::from_slice(json).map_err(|e| {
        ParseError::new(
            SOURCE,
            Position::LineColumn(e.line(), e.column()),
            format!("it is not valid JSON ({e})"),
        )
    })?;
    let elements = doc
        .get("nftables")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ParseError::new(
                SOURCE,
                Position::Document,
                "expected an object with an `nftables` array",
            )
        })?;

    let mut sets = Sets::new();
    for element in elements {
        for kind in ["set", "map"] {
            if let Some(set) = element.get(kind).and_then(Value::as_object)
                && let (Some(family), Some(table), Some(name)) = (
                    str_of(set, "family"),
                    str_of(set, "table"),
                    str_of(set, "name"),
                )
            {
                let elem = set.get("elem").unwrap_or(&Value::Null);
                sets.insert((family.into(), table.into(), name.into()), elem);
            }
        }
    }

    let mut ruleset = Ruleset {
        sources: vec![SOURCE.to_owned()],
        ..Ruleset::default()
    };
    for (index, element) in elements.iter().enumerate() {
        let fail = |problem: String| ParseError::new(SOURCE, Position::Element(index), problem);
        let Some(object) = element.as_object() else {
            return Err(fail("expected an object such as {\"rule\": …}".into()));
        };
        if let Some(table) = object.get("table") {
            let table = table.as_object().ok_or_else(|| fail(not_object("table")))?;
            let family = required(table, "family", "table").map_err(&fail)?;
            let name = required(table, "name", "table").map_err(&fail)?;
            ruleset
                .tables
                .push((Family::parse(family), name.to_owned()));
        } else if let Some(chain) = object.get("chain") {
            let chain = chain.as_object().ok_or_else(|| fail(not_object("chain")))?;
            ruleset.chains.push(parse_chain(chain).map_err(&fail)?);
        } else if let Some(rule) = object.get("rule") {
            let rule = rule.as_object().ok_or_else(|| fail(not_object("rule")))?;
            add_rule(&mut ruleset, rule, &sets).map_err(&fail)?;
        }
        // metainfo, sets, maps, elements, flowtables, counters…: nothing the checks judge.
    }
    Ok(ruleset)
}

fn not_object(what: &str) -> String {
    format!("`{what}` is not an object")
}

fn str_of<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

fn required<'a>(object: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a str, String> {
    str_of(object, key).ok_or_else(|| format!("the {what} has no `{key}` string"))
}

fn parse_chain(chain: &Map<String, Value>) -> Result<Chain, String> {
    let family = Family::parse(required(chain, "family", "chain")?);
    let table = required(chain, "table", "chain")?.to_owned();
    let name = required(chain, "name", "chain")?.to_owned();
    let base = match str_of(chain, "hook") {
        None => None,
        Some(hook) => {
            // nft's default policy for a base chain is accept, and it omits nothing in
            // practice, but an absent policy must not read as a safe one.
            let policy = match str_of(chain, "policy") {
                None | Some("accept") => Policy::Accept,
                Some("drop") => Policy::Drop,
                Some(other) => {
                    return Err(format!(
                        "chain {name} has policy {other:?}; nft only knows accept and drop"
                    ));
                }
            };
            Some(Base {
                kind: str_of(chain, "type").unwrap_or("filter").to_owned(),
                hook: hook.to_owned(),
                policy,
            })
        }
    };
    Ok(Chain {
        family,
        table,
        name,
        base,
        rules: Vec::new(),
        xtables: false,
    })
}

fn add_rule(ruleset: &mut Ruleset, rule: &Map<String, Value>, sets: &Sets) -> Result<(), String> {
    let family = required(rule, "family", "rule")?;
    let table = required(rule, "table", "rule")?;
    let chain_name = required(rule, "chain", "rule")?;
    let handle = rule.get("handle").and_then(Value::as_u64);
    let exprs = rule
        .get("expr")
        .and_then(Value::as_array)
        .ok_or("the rule has no `expr` list")?;
    let scope = Scope {
        sets,
        family,
        table,
    };

    let mut base = Rule {
        origin: Origin::Nft { handle },
        matches: Vec::new(),
        logs: false,
        verdict: None,
    };
    let mut xtables = false;
    // A verdict map stands for one rule per entry, each with the key as an extra match;
    // they are expanded once the rest of the rule is known.
    let mut vmap: Option<Vec<(Match, Verdict)>> = None;
    for (i, expr) in exprs.iter().enumerate() {
        let Some((kind, body)) = expr.as_object().and_then(|o| o.iter().next()) else {
            return Err(format!("expression {i} of the rule is not an object"));
        };
        match kind.as_str() {
            "match" => base.matches.push(scope.parse_match(body)),
            "log" => base.logs = true,
            "xt" => {
                xtables = true;
                let name = body.get("name").and_then(Value::as_str).unwrap_or("?");
                match body.get("type").and_then(Value::as_str) {
                    Some("target") => match name {
                        "LOG" | "NFLOG" | "ULOG" => base.logs = true,
                        "REJECT" => base.verdict = Some(Verdict::Reject),
                        _ => {}
                    },
                    _ => base.matches.push(Match::Other(format!("xt match {name}"))),
                }
            }
            "vmap" => vmap = Some(scope.parse_vmap(body)),
            other => {
                if let Some(verdict) = parse_verdict(other, body)? {
                    base.verdict = Some(verdict);
                }
                // counter, limit, quota, meta/ct set, notrack…: they neither decide who
                // reaches a port nor log.
            }
        }
    }

    let chain = ruleset
        .chains
        .iter_mut()
        .find(|c| c.family.name() == family && c.table == table && c.name == chain_name)
        .ok_or_else(|| {
            format!("the rule belongs to chain {chain_name} of table {family} {table}, which was not listed before it")
        })?;
    chain.xtables |= xtables;
    match vmap {
        None => chain.rules.push(base),
        Some(entries) => chain
            .rules
            .extend(entries.into_iter().map(|(key, verdict)| {
                let mut rule = base.clone();
                rule.matches.push(key);
                rule.verdict = Some(verdict);
                rule
            })),
    }
    Ok(())
}

/// A verdict statement (`{"accept": null}`, `{"jump": {"target": "x"}}`), or `None` for
/// other statements.
fn parse_verdict(kind: &str, body: &Value) -> Result<Option<Verdict>, String> {
    let target = || {
        body.get("target")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("`{kind}` has no target chain"))
    };
    Ok(Some(match kind {
        "accept" => Verdict::Accept,
        "drop" => Verdict::Drop,
        "reject" => Verdict::Reject,
        "return" => Verdict::Return,
        "queue" => Verdict::Queue,
        "jump" => Verdict::Jump(target()?),
        "goto" => Verdict::Goto(target()?),
        _ => return Ok(None),
    }))
}

/// The table a rule is in, to resolve `@set` references.
struct Scope<'a> {
    sets: &'a Sets<'a>,
    family: &'a str,
    table: &'a str,
}

impl Scope<'_> {
    fn set(&self, reference: &str) -> Option<&Value> {
        let name = reference.strip_prefix('@')?;
        let key = (self.family.into(), self.table.into(), name.to_owned());
        self.sets.get(&key).copied()
    }

    /// `{"match": {"op", "left", "right"}}`.
    fn parse_match(&self, body: &Value) -> Match {
        let op = body.get("op").and_then(Value::as_str).unwrap_or("==");
        let left = body.get("left").unwrap_or(&Value::Null);
        let right = body.get("right").unwrap_or(&Value::Null);
        self.interpret(op, left, right)
            .unwrap_or_else(|| Match::Other(describe_other(op, left, right)))
    }

    fn interpret(&self, op: &str, left: &Value, right: &Value) -> Option<Match> {
        let negated = match op {
            "==" | "in" => false,
            "!=" => true,
            // Comparisons only make sense here on ports: `tcp dport < 1024`.
            "<" | "<=" | ">" | ">=" => {
                let (protocol, field) = payload(left)?;
                let bound = u16::try_from(right.as_u64()?).ok()?;
                let range = match op {
                    "<" => (0, bound.checked_sub(1)?),
                    "<=" => (0, bound),
                    ">" => (bound.checked_add(1)?, u16::MAX),
                    _ => (bound, u16::MAX),
                };
                return (field == "dport").then(|| Match::DestPort {
                    protocol: transport(protocol),
                    ports: vec![range],
                    negated: false,
                });
            }
            _ => return None,
        };
        if let Some(key) = left
            .get("meta")
            .and_then(|m| m.get("key"))
            .and_then(Value::as_str)
        {
            return match key {
                "iifname" | "iif" => Some(Match::Interface {
                    names: self.strings(right)?,
                    negated,
                }),
                "l4proto" => Some(Match::Protocol {
                    names: self.protocols(right)?,
                    negated,
                }),
                "nfproto" => {
                    let names = self.strings(right)?;
                    let version = match names.as_slice() {
                        [one] if one == "ipv4" => IpVersion::V4,
                        [one] if one == "ipv6" => IpVersion::V6,
                        _ => return None,
                    };
                    Some(Match::Version { version, negated })
                }
                _ => None,
            };
        }
        if left
            .get("ct")
            .and_then(|c| c.get("key"))
            .and_then(Value::as_str)
            == Some("state")
        {
            return Some(Match::State {
                states: self.strings(right)?,
                negated,
            });
        }
        let (protocol, field) = payload(left)?;
        match (protocol, field) {
            ("ip" | "ip6", "saddr") => Some(Match::Source {
                version: Some(if protocol == "ip" {
                    IpVersion::V4
                } else {
                    IpVersion::V6
                }),
                any: matches_any_address(right),
                negated,
            }),
            ("ip", "protocol") | ("ip6", "nexthdr") => Some(Match::Protocol {
                names: self.protocols(right)?,
                negated,
            }),
            (_, "dport") => Some(Match::DestPort {
                protocol: transport(protocol),
                ports: self.ports(right)?,
                negated,
            }),
            _ => None,
        }
    }

    /// A string, a list or anonymous set of strings, or a named set of them.
    fn strings(&self, value: &Value) -> Option<Vec<String>> {
        match value {
            Value::String(s) if s.starts_with('@') => self.strings(self.set(s)?),
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(items) => items.iter().try_fold(Vec::new(), |mut all, item| {
                all.extend(self.strings(item)?);
                Some(all)
            }),
            Value::Object(o) if o.contains_key("set") => self.strings(o.get("set")?),
            Value::Object(o) if o.contains_key("elem") => self.strings(o.get("elem")?.get("val")?),
            _ => None,
        }
    }

    /// Protocol names; numbers are turned into the names nft prints.
    fn protocols(&self, value: &Value) -> Option<Vec<String>> {
        let normalise = |v: &Value| -> Option<Value> {
            match v.as_u64() {
                Some(6) => Some(Value::from("tcp")),
                Some(17) => Some(Value::from("udp")),
                Some(n) => Some(Value::from(n.to_string())),
                None => Some(v.clone()),
            }
        };
        match value {
            Value::Array(items) => self.strings(&Value::Array(
                items.iter().map(normalise).collect::<Option<_>>()?,
            )),
            Value::Object(o) if o.contains_key("set") => self.protocols(o.get("set")?),
            other => self.strings(&normalise(other)?),
        }
    }

    /// Ports as inclusive ranges: a number, a range, an anonymous or named set of those.
    fn ports(&self, value: &Value) -> Option<Vec<(u16, u16)>> {
        match value {
            Value::Number(n) => {
                let port = u16::try_from(n.as_u64()?).ok()?;
                Some(vec![(port, port)])
            }
            Value::String(s) if s.starts_with('@') => self.ports(self.set(s)?),
            Value::String(s) => {
                let port = service_port(s)?;
                Some(vec![(port, port)])
            }
            Value::Array(items) => items.iter().try_fold(Vec::new(), |mut all, item| {
                all.extend(self.ports(item)?);
                Some(all)
            }),
            Value::Object(o) => {
                if let Some(range) = o.get("range").and_then(Value::as_array) {
                    let [lo, hi] = range.as_slice() else {
                        return None;
                    };
                    let lo = self.ports(lo)?.first()?.0;
                    let hi = self.ports(hi)?.first()?.1;
                    Some(vec![(lo.min(hi), lo.max(hi))])
                } else if let Some(set) = o.get("set") {
                    self.ports(set)
                } else {
                    self.ports(o.get("elem")?.get("val")?)
                }
            }
            _ => None,
        }
    }

    /// `{"vmap": {"key": K, "data": {"set": [[k, verdict], …]}}}` or a named map.
    fn parse_vmap(&self, body: &Value) -> Vec<(Match, Verdict)> {
        let key = body.get("key").unwrap_or(&Value::Null);
        let data = body.get("data").unwrap_or(&Value::Null);
        let entries = match data {
            Value::String(s) => self.set(s),
            other => other.get("set"),
        };
        let Some(entries) = entries.and_then(Value::as_array) else {
            return Vec::new();
        };
        entries
            .iter()
            .filter_map(|entry| {
                let [k, verdict] = entry.as_array()?.as_slice() else {
                    return None;
                };
                let (kind, target) = verdict.as_object()?.iter().next()?;
                let verdict = parse_verdict(kind, target).ok()??;
                Some((
                    self.parse_match(&serde_json::json!({"op": "==", "left": key, "right": k})),
                    verdict,
                ))
            })
            .collect()
    }
}

/// `{"payload": {"protocol": "tcp", "field": "dport"}}` as `("tcp", "dport")`.
fn payload(left: &Value) -> Option<(&str, &str)> {
    let p = left.get("payload")?;
    Some((p.get("protocol")?.as_str()?, p.get("field")?.as_str()?))
}

/// The protocol a `<protocol> dport` match implies; `th` (any transport header) implies none.
fn transport(protocol: &str) -> Option<String> {
    (protocol != "th").then(|| protocol.to_owned())
}

/// Whether an address match covers every address: a `/0` prefix, alone or in a set.
fn matches_any_address(right: &Value) -> bool {
    let is_any = |v: &Value| {
        v.get("prefix")
            .and_then(|p| p.get("len"))
            .and_then(Value::as_u64)
            == Some(0)
    };
    is_any(right)
        || right
            .get("set")
            .and_then(Value::as_array)
            .is_some_and(|items| items.iter().any(is_any))
}

/// The ports of the services the checks care about, in case nft prints names (`-S`).
fn service_port(name: &str) -> Option<u16> {
    super::ADMIN_SERVICES
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.port)
        .or_else(|| name.parse().ok())
}

/// A short description of a match the model does not interpret, e.g. `fib daddr type ==`.
fn describe_other(op: &str, left: &Value, right: &Value) -> String {
    let mut text = format!("{left} {op} {right}");
    if text.len() > 80 {
        let cut = (0..=77)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only_rule(exprs: &str) -> Rule {
        let json = format!(
            r#"{{"nftables": [
                {{"chain": {{"family": "inet", "table": "t", "name": "c"}}}},
                {{"rule": {{"family": "inet", "table": "t", "chain": "c", "expr": {exprs}}}}}
            ]}}"#
        );
        let ruleset = parse(json.as_bytes()).unwrap();
        ruleset.chains[0].rules[0].clone()
    }

    #[test]
    fn port_comparisons_become_ranges() {
        let rule = only_rule(
            r#"[{"match": {"op": "<", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 1024}}, {"accept": null}]"#,
        );
        assert_eq!(
            rule.matches,
            [Match::DestPort {
                protocol: Some("tcp".into()),
                ports: vec![(0, 1023)],
                negated: false
            }]
        );
        assert_eq!(rule.summary(), "tcp dport 0-1023 accept");
    }

    #[test]
    fn unknown_expressions_are_kept_as_other_matches() {
        let rule = only_rule(
            r#"[{"match": {"op": "==", "left": {"fib": {"result": "type", "flags": ["daddr"]}}, "right": "local"}}, {"counter": null}, {"drop": null}]"#,
        );
        assert!(matches!(rule.matches.as_slice(), [Match::Other(_)]));
        assert_eq!(rule.verdict, Some(Verdict::Drop));
    }

    #[test]
    fn verdict_maps_become_one_rule_per_entry() {
        let json = r#"{"nftables": [
            {"chain": {"family": "ip", "table": "t", "name": "c"}},
            {"rule": {"family": "ip", "table": "t", "chain": "c", "handle": 9, "expr": [
                {"vmap": {"key": {"payload": {"protocol": "tcp", "field": "dport"}},
                          "data": {"set": [[22, {"accept": null}], [23, {"jump": {"target": "x"}}]]}}}]}}
        ]}"#;
        let ruleset = parse(json.as_bytes()).unwrap();
        let summaries: Vec<String> = ruleset.chains[0].rules.iter().map(Rule::summary).collect();
        assert_eq!(summaries, ["tcp dport 22 accept", "tcp dport 23 jump x"]);
    }
}
