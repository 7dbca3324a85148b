#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The firewall checks on fixtures (hand-written and captured from real nft and iptables),
//! on malformed output, on arbitrary bytes, and on real rulesets loaded into a throwaway
//! network namespace.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use phiguard_core::{CheckContext, Finding, Status};
use phiguard_host::firewall::{
    self, DROP_LOGGING, EXPOSED_ADMIN_PORTS, INBOUND_DEFAULT, Position, Ruleset, RulesetReader,
    iptables::{self, Program},
    nft,
};
use proptest::prelude::*;

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/firewall")
        .join(name)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).unwrap()
}

fn nft_fixture(name: &str) -> Ruleset {
    nft::parse(fixture(name).as_bytes()).unwrap()
}

/// An iptables-save fixture and, optionally, its ip6tables-save companion, as the reader
/// would merge them.
fn iptables_fixture(v4: &str, v6: Option<&str>) -> Ruleset {
    let mut ruleset = iptables::parse(&fixture(v4), Program::IptablesSave).unwrap();
    if let Some(v6) = v6 {
        ruleset.merge_replacing(iptables::parse(&fixture(v6), Program::Ip6tablesSave).unwrap());
    }
    ruleset
}

/// `(subject, status)` of one check's findings.
fn of(findings: &[Finding], check: &str) -> Vec<(String, Status)> {
    findings
        .iter()
        .filter(|f| f.check.as_str() == check)
        .map(|f| (f.subject.clone(), f.status))
        .collect()
}

fn message<'f>(findings: &'f [Finding], check: &str, subject: &str) -> &'f str {
    &findings
        .iter()
        .find(|f| f.check.as_str() == check && f.subject == subject)
        .unwrap_or_else(|| panic!("no {check} finding about {subject}: {findings:#?}"))
        .message
}

fn subjects(list: &[(String, Status)], status: Status) -> Vec<&str> {
    list.iter()
        .filter(|(_, s)| *s == status)
        .map(|(subject, _)| subject.as_str())
        .collect()
}

fn pass(subject: &str) -> (String, Status) {
    (subject.to_owned(), Status::Pass)
}

fn fail(subject: &str) -> (String, Status) {
    (subject.to_owned(), Status::Fail)
}

// --- fixtures -------------------------------------------------------------------------

#[test]
fn strict_nft_ruleset_passes_every_check() {
    let findings = firewall::judge(&nft_fixture("strict.json"));
    assert_eq!(
        of(&findings, INBOUND_DEFAULT),
        [pass("chain input of table inet filter")]
    );
    assert_eq!(
        of(&findings, EXPOSED_ADMIN_PORTS),
        [pass("management and database ports")]
    );
    assert_eq!(
        of(&findings, DROP_LOGGING),
        [pass("chain input of table inet filter")]
    );
    let logged = message(&findings, DROP_LOGGING, "chain input of table inet filter");
    assert!(logged.contains("`log`"), "{logged}");
    assert!(findings.iter().all(|f| f.remediation.is_none()));
}

#[test]
fn open_nft_ruleset_fails_every_check_naming_ports_and_rules() {
    let findings = firewall::judge(&nft_fixture("open.json"));
    assert_eq!(
        of(&findings, INBOUND_DEFAULT),
        [pass("chain input of table inet filter")],
        "an unconditional drop as the last deciding rule is a default deny, even with an accept policy"
    );
    let exposed = of(&findings, EXPOSED_ADMIN_PORTS);
    assert_eq!(
        subjects(&exposed, Status::Fail),
        [
            "port 22 (ssh)",
            "port 5432 (postgresql)",
            "port 2375 (docker)"
        ],
        "redis is only accepted on lo, mysql is dropped by the verdict map"
    );
    let ssh = message(&findings, EXPOSED_ADMIN_PORTS, "port 22 (ssh)");
    assert!(
        ssh.contains("rule handle") && ssh.contains("tcp dport 22 ct state new accept"),
        "{ssh}"
    );
    assert!(ssh.contains("IPv4") && ssh.contains("IPv6"), "{ssh}");
    let postgres = message(&findings, EXPOSED_ADMIN_PORTS, "port 5432 (postgresql)");
    assert!(postgres.contains("ip saddr != <restricted>"), "{postgres}");
    assert!(
        !postgres.contains("IPv6"),
        "`ip saddr` never matches IPv6 packets, which meet the final drop: {postgres}"
    );
    assert_eq!(
        of(&findings, DROP_LOGGING),
        [fail("chain input of table inet filter")],
        "a log after the final drop never runs"
    );
    let failing = findings.iter().find(|f| f.status == Status::Fail).unwrap();
    assert!(failing.remediation.is_some());
}

#[test]
fn accept_policy_without_final_drop_fails_inbound_default_and_exposes_every_port() {
    let json = r#"{"nftables": [
        {"table": {"family": "inet", "name": "t", "handle": 1}},
        {"chain": {"family": "inet", "table": "t", "name": "in", "handle": 1, "type": "filter",
                   "hook": "input", "prio": 0, "policy": "accept"}},
        {"rule": {"family": "inet", "table": "t", "chain": "in", "handle": 2,
                  "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}}, {"drop": null}]}}
    ]}"#;
    let findings = firewall::judge(&nft::parse(json.as_bytes()).unwrap());
    assert_eq!(
        of(&findings, INBOUND_DEFAULT),
        [fail("chain in of table inet t")]
    );
    let exposed = of(&findings, EXPOSED_ADMIN_PORTS);
    assert_eq!(
        subjects(&exposed, Status::Fail).len(),
        firewall::ADMIN_SERVICES.len()
    );
    assert!(
        message(&findings, EXPOSED_ADMIN_PORTS, "port 3389 (rdp)")
            .contains("lets it through with its accept policy")
    );
}

#[test]
fn ipv4_only_nft_ruleset_leaves_ipv6_open() {
    let findings = firewall::judge(&nft_fixture("ipv4_only.json"));
    assert_eq!(
        of(&findings, INBOUND_DEFAULT),
        [pass("chain input of table ip filter"), fail("IPv6")]
    );
    let exposed = of(&findings, EXPOSED_ADMIN_PORTS);
    assert_eq!(
        subjects(&exposed, Status::Fail).len(),
        firewall::ADMIN_SERVICES.len()
    );
    let rdp = message(&findings, EXPOSED_ADMIN_PORTS, "port 3389 (rdp)");
    assert!(
        !rdp.contains("over IPv4"),
        "rdp is open only to one IPv4 address: {rdp}"
    );
    assert!(rdp.contains("no input chain filters IPv6"), "{rdp}");
    let logged = message(&findings, DROP_LOGGING, "chain input of table ip filter");
    assert!(
        logged.contains("log drop") && logged.contains("chain log_and_drop"),
        "{logged}"
    );
}

#[test]
fn no_firewall_at_all_fails_every_check() {
    let empty = nft::parse(br#"{"nftables": [{"metainfo": {"version": "1.0.6"}}]}"#).unwrap();
    assert!(empty.is_empty());
    let findings = firewall::judge(&empty);
    assert_eq!(of(&findings, INBOUND_DEFAULT), [fail("firewall")]);
    assert!(
        message(&findings, INBOUND_DEFAULT, "firewall").contains("no firewall rules are loaded")
    );
    assert_eq!(
        subjects(&of(&findings, EXPOSED_ADMIN_PORTS), Status::Fail).len(),
        firewall::ADMIN_SERVICES.len()
    );
    assert_eq!(of(&findings, DROP_LOGGING), [fail("firewall")]);
}

#[test]
fn ufw_style_iptables_ruleset_is_followed_through_jumps_and_returns() {
    let ruleset = iptables_fixture("ufw.iptables-save", Some("ufw.ip6tables-save"));
    let findings = firewall::judge(&ruleset);
    assert_eq!(
        of(&findings, INBOUND_DEFAULT),
        [
            pass("chain INPUT of table ip filter"),
            pass("chain INPUT of table ip6 filter")
        ]
    );
    assert_eq!(
        subjects(&of(&findings, EXPOSED_ADMIN_PORTS), Status::Fail),
        ["port 22 (ssh)", "port 3389 (rdp)", "port 3306 (mysql)"],
        "3300:3400 covers rdp and mysql; ufw-not-local returns for local traffic (addrtype, not modelled), so the user rules are reached"
    );
    let ssh = message(&findings, EXPOSED_ADMIN_PORTS, "port 22 (ssh)");
    assert!(ssh.contains("iptables-save line 26"), "{ssh}");
    assert!(
        !ssh.contains("IPv6"),
        "IPv6 ssh is restricted to 2001:db8::/32: {ssh}"
    );
    let rdp = message(&findings, EXPOSED_ADMIN_PORTS, "port 3389 (rdp)");
    assert!(rdp.contains("--dports 3300:3400"), "{rdp}");
    assert_eq!(
        of(&findings, DROP_LOGGING),
        [
            pass("chain INPUT of table ip filter"),
            pass("chain INPUT of table ip6 filter")
        ]
    );
    assert!(
        message(&findings, DROP_LOGGING, "chain INPUT of table ip filter").contains("[UFW BLOCK]"),
        "the LOG at the end of ufw-after-input is followed by INPUT's DROP policy"
    );
}

#[test]
fn open_iptables_ruleset_fails_and_other_tables_are_ignored() {
    let findings = firewall::judge(&iptables_fixture("open.iptables-save", None));
    assert_eq!(
        of(&findings, INBOUND_DEFAULT),
        [fail("chain INPUT of table ip filter"), fail("IPv6")],
        "the nat table's INPUT chain is not a filter"
    );
    let exposed = of(&findings, EXPOSED_ADMIN_PORTS);
    let failed = subjects(&exposed, Status::Fail);
    for port in [
        "port 22 (ssh)",
        "port 27017 (mongodb)",
        "port 9200 (elasticsearch)",
        "port 11211 (memcached)",
    ] {
        assert!(failed.contains(&port), "{port} in {failed:?}");
    }
    let memcached = message(&findings, EXPOSED_ADMIN_PORTS, "port 11211 (memcached)");
    assert!(
        memcached.contains("udp over IPv4: accepted by iptables-save line 10"),
        "{memcached}"
    );
    let telnet = message(&findings, EXPOSED_ADMIN_PORTS, "port 23 (telnet)");
    assert!(
        !telnet.contains("line 11") && telnet.contains("accept policy"),
        "an ESTABLISHED-only accept exposes nothing; the accept policy does: {telnet}"
    );
    assert_eq!(
        of(&findings, DROP_LOGGING),
        [fail("chain INPUT of table ip filter")]
    );
}

#[test]
fn iptables_nft_rules_seen_by_nft_are_marked_for_iptables_save() {
    let ruleset = nft_fixture("ufw.nft.json");
    assert!(
        ruleset.has_xtables(),
        "nft -j shows conntrack, multiport and LOG as opaque `xt` expressions"
    );
    let mut merged = ruleset.clone();
    merged.merge_replacing(iptables_fixture(
        "ufw.iptables-save",
        Some("ufw.ip6tables-save"),
    ));
    assert!(!merged.has_xtables());
    assert_eq!(merged.input_chains().count(), 2);
    assert_eq!(
        firewall::judge(&merged),
        firewall::judge(&iptables_fixture(
            "ufw.iptables-save",
            Some("ufw.ip6tables-save")
        ))
    );
}

// --- malformed input ------------------------------------------------------------------

#[test]
fn malformed_nft_json_names_the_element() {
    let err = nft::parse(fixture("malformed_rule.json").as_bytes()).unwrap_err();
    assert_eq!(err.source_name, "nft -j list ruleset");
    assert_eq!(err.position, Position::Element(3));
    assert_eq!(
        err.to_string(),
        "the firewall ruleset printed by `nft -j list ruleset` could not be understood at \
         element 3 of the `nftables` array: the rule has no `expr` list. Run `nft -j list \
         ruleset` yourself to see it; if the tool's output looks right, please report it to \
         phiguard with that output"
    );

    let err = nft::parse(b"{\"nftables\": [\n  {\"table\": ").unwrap_err();
    assert!(matches!(err.position, Position::LineColumn(2, _)), "{err}");
    assert!(err.to_string().contains("not valid JSON"));

    let err = nft::parse(br#"{"tables": []}"#).unwrap_err();
    assert_eq!(err.position, Position::Document);

    let orphan =
        br#"{"nftables": [{"rule": {"family": "ip", "table": "t", "chain": "c", "expr": []}}]}"#;
    let err = nft::parse(orphan).unwrap_err();
    assert_eq!(err.position, Position::Element(0));
    assert!(err.problem.contains("chain c of table ip t"), "{err}");
}

#[test]
fn malformed_iptables_save_names_the_line() {
    let err = iptables::parse(
        &fixture("malformed_port.iptables-save"),
        Program::IptablesSave,
    )
    .unwrap_err();
    assert_eq!(err.position, Position::Line(7));
    assert!(
        err.to_string().starts_with(
            "the firewall ruleset printed by `iptables-save` could not be understood at line 7: \
             `--dport` expects ports or ranges like 22,1000:2000, found `ssh-ish`"
        ),
        "{err}"
    );

    let err =
        iptables::parse(&fixture("truncated.iptables-save"), Program::Ip6tablesSave).unwrap_err();
    assert_eq!(err.source_name, "ip6tables-save");
    assert_eq!(err.position, Position::Line(1));
    assert!(err.problem.contains("never closed with COMMIT"), "{err}");

    for (text, line, problem) in [
        ("-A INPUT -j DROP\n", 1, "before any `*table` line"),
        ("*filter\n:INPUT\n", 2, "needs a name and a policy"),
        (
            "*filter\n:INPUT QUEUE [0:0]\n",
            2,
            "only knows ACCEPT and DROP",
        ),
        ("*filter\n-A INPUT -j DROP\n", 2, "does not declare"),
        (
            "*filter\n:INPUT DROP [0:0]\n-A INPUT -j LOG --log-prefix \"x\n",
            3,
            "never closed",
        ),
        (
            "*filter\n:INPUT DROP [0:0]\n-A INPUT -s\n",
            3,
            "`-s` needs a value",
        ),
        (
            "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp !\n",
            3,
            "negates nothing",
        ),
        (
            "*filter\n:INPUT DROP [0:0]\n-I INPUT -j DROP\n",
            3,
            "neither a rule",
        ),
        ("*filter\n*nat\n", 2, "before table filter ends"),
    ] {
        let err = iptables::parse(text, Program::IptablesSave).unwrap_err();
        assert_eq!(err.position, Position::Line(line), "{text:?}: {err}");
        assert!(err.problem.contains(problem), "{text:?}: {err}");
    }
}

#[test]
fn checks_are_skipped_on_an_image_root() {
    let ctx = CheckContext::new("/mnt/image", "2026-01-01T00:00:00Z".parse().unwrap());
    let checks = firewall::checks_reading(RulesetReader::with_prefix(["/nonexistent/never-run"]));
    let ids: Vec<&str> = checks.iter().map(|c| c.meta().id.as_str()).collect();
    assert_eq!(ids, [INBOUND_DEFAULT, EXPOSED_ADMIN_PORTS, DROP_LOGGING]);
    for check in &checks {
        let findings = check.run(&ctx).unwrap();
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::NotApplicable);
    }
}

#[test]
fn missing_tools_are_an_error_that_says_what_to_install() {
    let ctx = CheckContext::new("/", "2026-01-01T00:00:00Z".parse().unwrap());
    // The prefix program does not exist, as if neither nft nor iptables-save were installed.
    let checks = firewall::checks_reading(RulesetReader::with_prefix(["/nonexistent/never-run"]));
    let err = checks[0].run(&ctx).unwrap_err();
    assert!(
        err.to_string().contains("apt-get install nftables"),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = nft::parse(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = iptables::parse(&text, Program::IptablesSave);
    }

    #[test]
    fn parsers_never_panic_on_iptables_like_lines(
        lines in proptest::collection::vec(
            proptest::sample::select(vec![
                "*filter", "COMMIT", ":INPUT DROP [0:0]", ":X - [0:0]", "-A INPUT", "-A X",
                "-j", "X", "DROP", "!", "-s", "0.0.0.0/0", "--dport", "22:", ":65535", "99999",
                "-m", "multiport", "--dports", "1,2:3", "\"", "\\", "--comment", "-i", "lo",
                "--ctstate", "NEW", "-p", "6", "[1:2]", "-g", "--syn",
            ]),
            0..40,
        )
    ) {
        let text = lines.join(" ").replace("COMMIT ", "COMMIT\n").replace(" *", "\n*");
        if let Ok(ruleset) = iptables::parse(&text, Program::IptablesSave) {
            let _ = firewall::judge(&ruleset);
        }
    }

    #[test]
    fn parsers_and_judges_never_panic_on_arbitrary_json(json in arbitrary_nft_json()) {
        if let Ok(ruleset) = nft::parse(json.to_string().as_bytes()) {
            let _ = firewall::judge(&ruleset);
        }
    }
}

/// JSON shaped like nft output, with random values where nft puts them.
fn arbitrary_nft_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..70000).prop_map(Value::from),
        "[a-z@ ]{0,6}".prop_map(Value::from),
        proptest::sample::select(vec![
            "input", "accept", "drop", "tcp", "dport", "saddr", "ip", "inet", "lo", "new", "@s",
            "c", "t", "==", "!=", "<", "in",
        ])
        .prop_map(Value::from),
    ];
    let value = leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(
                proptest::sample::select(vec![
                    "match", "op", "left", "right", "payload", "protocol", "field", "meta", "key",
                    "set", "range", "prefix", "len", "vmap", "data", "jump", "target", "accept",
                    "drop", "log", "xt", "type", "name", "ct", "elem", "val",
                ])
                .prop_map(str::to_owned),
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    proptest::collection::vec((0usize..5, value), 0..8).prop_map(|items| {
        let elements: Vec<Value> = items
            .into_iter()
            .map(|(kind, v)| match kind {
                0 => json!({"table": {"family": "inet", "name": "t"}}),
                1 => json!({"chain": {"family": "inet", "table": "t", "name": "c",
                                      "type": "filter", "hook": "input", "policy": "drop"}}),
                2 => json!({"set": {"family": "inet", "table": "t", "name": "s", "elem": v}}),
                3 => json!({"rule": {"family": "inet", "table": "t", "chain": "c", "expr": [v]}}),
                _ => v,
            })
            .collect();
        json!({ "nftables": elements })
    })
}

// --- real rulesets in a network namespace ---------------------------------------------

/// A network namespace of its own, deleted when dropped (also when the test fails), so the
/// tests load real rulesets without touching the host's firewall.
struct Netns {
    name: String,
}

impl Netns {
    /// `None` (after the skip note) when not root or `ip`/`nft` are missing.
    fn new() -> Option<Netns> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        if !rustix::process::geteuid().is_root() {
            phiguard_testkit::missing(
                "root, to create network namespaces",
                "run the tests as root (CI does, in its container)",
            );
            return None;
        }
        phiguard_testkit::program("ip", "iproute2")?;
        phiguard_testkit::program("nft", "nftables")?;
        let name = format!(
            "phiguard-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let netns = Netns { name };
        let added = Command::new("ip")
            .args(["netns", "add", &netns.name])
            .output()
            .unwrap();
        assert!(
            added.status.success(),
            "ip netns add {} failed: {}",
            netns.name,
            String::from_utf8_lossy(&added.stderr)
        );
        Some(netns)
    }

    /// Runs `program args` inside the namespace and insists that it succeeds.
    fn exec(&self, program: &str, args: &[&str]) -> Output {
        let output = Command::new("ip")
            .args(["netns", "exec", &self.name, program])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{program} {args:?} in {} failed: {}",
            self.name,
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn reader(&self) -> RulesetReader {
        RulesetReader::with_prefix(["ip", "netns", "exec", &self.name])
    }

    /// The findings of the registered checks, run as on a live host, reading this namespace.
    fn check(&self) -> Vec<Finding> {
        let ctx = CheckContext::new("/", "2026-01-01T00:00:00Z".parse().unwrap());
        firewall::checks_reading(self.reader())
            .iter()
            .flat_map(|check| check.run(&ctx).unwrap())
            .collect()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

#[test]
fn real_nft_rulesets_are_judged_like_their_captures() {
    let Some(netns) = Netns::new() else { return };
    // A fresh namespace has no firewall at all.
    let findings = netns.check();
    assert_eq!(of(&findings, INBOUND_DEFAULT), [fail("firewall")]);

    for name in ["strict", "open", "ipv4_only"] {
        let file = fixture_path(&format!("{name}.nft"));
        netns.exec("nft", &["-f", file.to_str().unwrap()]);
        let live = netns.check();
        let captured = firewall::judge(&nft_fixture(&format!("{name}.json")));
        assert_eq!(live, captured, "{name}.nft loaded for real vs its capture");
    }
    // The last one loaded is ipv4_only: IPv6 is open.
    assert!(
        netns
            .check()
            .iter()
            .any(|f| f.subject == "IPv6" && f.status == Status::Fail)
    );
}

#[test]
fn real_nft_ruleset_with_sets_ranges_and_jumps() {
    let Some(netns) = Netns::new() else { return };
    let rules = "flush ruleset
table inet filter {
  set dbports { type inet_service; flags interval; elements = { 3306, 5000-5500 } }
  chain input {
    type filter hook input priority filter; policy drop;
    iifname lo accept
    meta nfproto ipv6 tcp dport 6379 accept
    jump services
    log prefix \"dropped: \" level info
  }
  chain services {
    tcp dport @dbports accept
    ip saddr { 10.0.0.0/8, 172.16.0.0/12 } tcp dport 22 accept
    tcp dport < 24 reject with tcp reset
  }
}
";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.nft");
    std::fs::write(&file, rules).unwrap();
    netns.exec("nft", &["-f", file.to_str().unwrap()]);
    let findings = netns.check();
    assert_eq!(
        of(&findings, INBOUND_DEFAULT),
        [pass("chain input of table inet filter")]
    );
    assert_eq!(
        subjects(&of(&findings, EXPOSED_ADMIN_PORTS), Status::Fail),
        [
            "port 5432 (postgresql)",
            "port 3306 (mysql)",
            "port 6379 (redis)"
        ]
    );
    let mysql = message(&findings, EXPOSED_ADMIN_PORTS, "port 3306 (mysql)");
    assert!(
        mysql.contains("in chain services of table inet filter"),
        "{mysql}"
    );
    let redis = message(&findings, EXPOSED_ADMIN_PORTS, "port 6379 (redis)");
    assert!(
        redis.contains("over IPv6") && !redis.contains("over IPv4"),
        "{redis}"
    );
    assert_eq!(
        of(&findings, DROP_LOGGING),
        [pass("chain input of table inet filter")]
    );
}

#[test]
fn real_iptables_rules_are_read_through_iptables_save() {
    let Some(netns) = Netns::new() else { return };
    let tools = ["iptables", "iptables-save", "ip6tables", "ip6tables-save"];
    if tools
        .iter()
        .any(|tool| phiguard_testkit::program(tool, "iptables").is_none())
    {
        return;
    }
    let ipt = |args: &[&str]| netns.exec("iptables", args);
    ipt(&["-P", "INPUT", "DROP"]);
    ipt(&["-A", "INPUT", "-i", "lo", "-j", "ACCEPT"]);
    ipt(&[
        "-A",
        "INPUT",
        "-m",
        "conntrack",
        "--ctstate",
        "ESTABLISHED,RELATED",
        "-j",
        "ACCEPT",
    ]);
    ipt(&[
        "-A",
        "INPUT",
        "-p",
        "tcp",
        "-m",
        "multiport",
        "--dports",
        "22,1433",
        "-j",
        "ACCEPT",
    ]);
    ipt(&[
        "-A",
        "INPUT",
        "-s",
        "10.0.0.0/8",
        "-p",
        "tcp",
        "--dport",
        "5900",
        "-j",
        "ACCEPT",
    ]);
    ipt(&["-A", "INPUT", "-j", "LOG", "--log-prefix", "in drop: "]);
    netns.exec("ip6tables", &["-P", "INPUT", "DROP"]);

    let findings = netns.check();
    assert_eq!(
        of(&findings, INBOUND_DEFAULT),
        [
            pass("chain INPUT of table ip filter"),
            pass("chain INPUT of table ip6 filter")
        ]
    );
    assert_eq!(
        subjects(&of(&findings, EXPOSED_ADMIN_PORTS), Status::Fail),
        ["port 22 (ssh)", "port 1433 (ms-sql-s)"],
        "the conntrack accept (an opaque `xt` match to nft) must not count as accepting everything"
    );
    assert!(
        message(&findings, EXPOSED_ADMIN_PORTS, "port 22 (ssh)").contains("iptables-save line")
    );
    assert_eq!(
        of(&findings, DROP_LOGGING),
        [
            pass("chain INPUT of table ip filter"),
            fail("chain INPUT of table ip6 filter")
        ]
    );

    // The same rules, judged from a plain iptables-save capture.
    let saved = netns.exec("iptables-save", &[]);
    let mut captured = iptables::parse(
        &String::from_utf8_lossy(&saved.stdout),
        Program::IptablesSave,
    )
    .unwrap();
    let saved6 = netns.exec("ip6tables-save", &[]);
    captured.merge_replacing(
        iptables::parse(
            &String::from_utf8_lossy(&saved6.stdout),
            Program::Ip6tablesSave,
        )
        .unwrap(),
    );
    assert_eq!(firewall::judge(&captured), findings);
}
