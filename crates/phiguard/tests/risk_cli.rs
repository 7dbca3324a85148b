//! `phiguard asset …`, `phiguard flow …` and `phiguard risk …`, end to end on a temporary
//! home: what each records and prints, its JSON, and what it refuses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

mod common;

use std::fs;
use std::path::Path;

use common::{json, new_home, phiguard, stderr_of, tree};
use serde_json::Value;

fn run(home: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    phiguard(home).args(args).assert()
}

fn succeeds(home: &Path, args: &[&str]) -> Value {
    let out = phiguard(home).args(args).arg("--json").assert().success();
    json(&out.get_output().stdout)
}

fn fails(home: &Path, args: &[&str]) -> String {
    stderr_of(&phiguard(home).args(args).assert().code(2))
}

fn ids(listed: &Value, key: impl Fn(&Value) -> &Value) -> Vec<String> {
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|item| key(item).as_str().unwrap().to_owned())
        .collect()
}

fn add_asset(home: &Path, id: &str) {
    run(
        home,
        &[
            "asset",
            "add",
            id,
            "--name",
            "EHR database",
            "--type",
            "data_store",
            "--ephi",
            "maintains",
            "--criticality",
            "critical",
        ],
    )
    .success();
}

#[test]
fn assets_seen_and_recorded_are_listed_updated_shown_and_removed() {
    let (_tmp, home) = new_home();
    add_asset(&home, "ehr-db");
    // A vendor that touches PHI is an asset phiguard sees, without anyone recording it.
    run(
        &home,
        &[
            "register",
            "vendor",
            "add",
            "acme",
            "--name",
            "Acme Cloud",
            "--touches-phi",
        ],
    )
    .success();
    let listed = succeeds(&home, &["asset", "list"]);
    assert_eq!(
        ids(&listed, |a| &a["asset"]["id"]),
        ["ehr-db", "vendor:acme"]
    );
    let vendor = &listed[1];
    assert_eq!(vendor["recorded"], Value::Null);
    assert_eq!(vendor["origins"][0]["source"], "register_vendor");

    // Updating the seen asset records it, with what no machine knows laid over what is seen.
    let out = run(
        &home,
        &[
            "asset",
            "update",
            "vendor:acme",
            "--owner",
            "Sam Lee",
            "--criticality",
            "high",
        ],
    )
    .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("Added asset vendor:acme"), "{text}");
    let shown = succeeds(&home, &["asset", "show", "vendor:acme"]);
    assert_eq!(shown["asset"]["owner"], "Sam Lee");
    assert_eq!(shown["asset"]["name"], "Acme Cloud");
    assert!(shown["recorded"]["seq"].is_u64(), "{shown}");
    assert_eq!(shown["origins"][0]["source"], "register_vendor");
    assert_eq!(shown["risks"], Value::Array(Vec::new()));
    let out = run(&home, &["asset", "show", "vendor:acme"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("register vendor: register vendor acme"),
        "{text}"
    );
    assert!(text.contains("owner: Sam Lee"), "{text}");

    let stderr = fails(&home, &["asset", "update", "host:nowhere", "--owner", "X"]);
    assert!(stderr.contains("no asset \"host:nowhere\""), "{stderr}");

    // Filters.
    let ephi = succeeds(&home, &["asset", "list", "--ephi", "--type", "data_store"]);
    assert_eq!(ids(&ephi, |a| &a["asset"]["id"]), ["ehr-db"]);
    let stderr = fails(&home, &["asset", "list", "--type", "spaceship"]);
    assert!(stderr.contains("spaceship"), "{stderr}");
    let out = run(&home, &["asset", "list"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.starts_with("ID "), "{text}");
    assert!(text.contains("recorded"), "{text}");
    assert!(text.contains("register vendor"), "{text}");

    // Removing the record of a seen asset leaves it listed; it cannot be removed twice.
    let out = run(&home, &["asset", "remove", "vendor:acme"]).success();
    assert!(
        stderr_of(&out).contains("stays in the inventory while phiguard sees it"),
        "{}",
        stderr_of(&out)
    );
    let shown = succeeds(&home, &["asset", "show", "vendor:acme"]);
    assert_eq!(shown["recorded"], Value::Null);
    assert_eq!(shown["asset"]["owner"], Value::Null);
    let stderr = fails(&home, &["asset", "remove", "vendor:acme"]);
    assert!(
        stderr.contains("is not recorded: phiguard sees it"),
        "{stderr}"
    );
    run(&home, &["asset", "remove", "ehr-db"]).success();
    let stderr = fails(&home, &["asset", "show", "ehr-db"]);
    assert!(stderr.contains("`phiguard asset list`"), "{stderr}");
}

#[test]
fn an_asset_file_is_imported_whole_or_not_at_all() {
    let (tmp, home) = new_home();
    add_asset(&home, "ehr-db");
    let good = tmp.path().join("assets.yaml");
    fs::write(
        &good,
        "- id: ehr-db\n  name: EHR database\n  asset_type: data_store\n  owner: Dana Ruiz\n\
         - id: laptop-7\n  name: Front desk laptop\n  asset_type: device\n",
    )
    .unwrap();
    let planned = succeeds(
        &home,
        &["asset", "import", good.to_str().unwrap(), "--dry-run"],
    );
    let actions: Vec<(&str, &str)> = planned
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["action"].as_str().unwrap(), p["id"].as_str().unwrap()))
        .collect();
    assert_eq!(actions, [("update", "ehr-db"), ("create", "laptop-7")]);
    assert_eq!(
        succeeds(&home, &["asset", "list"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let bad = tmp.path().join("bad.yaml");
    fs::write(
        &bad,
        "- id: tablet-1\n  name: Tablet\n  asset_type: device\n\
         - id: tablet-2\n  name: ''\n  asset_type: device\n",
    )
    .unwrap();
    let stderr = fails(&home, &["asset", "import", bad.to_str().unwrap()]);
    let at = format!("{}:4", bad.display());
    assert!(stderr.contains(&at), "{stderr}");
    assert!(stderr.contains("tablet-2"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(
        succeeds(&home, &["asset", "list"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let applied = succeeds(&home, &["asset", "import", good.to_str().unwrap()]);
    assert_eq!(applied.as_array().unwrap().len(), 2);
    let listed = succeeds(&home, &["asset", "list"]);
    assert_eq!(ids(&listed, |a| &a["asset"]["id"]), ["ehr-db", "laptop-7"]);
    assert_eq!(listed[0]["asset"]["owner"], "Dana Ruiz");
    // The same file again changes nothing.
    let again = succeeds(&home, &["asset", "import", good.to_str().unwrap()]);
    assert_eq!(again, Value::Array(Vec::new()));
}

#[test]
fn a_flow_to_an_unknown_asset_is_recorded_with_a_warning() {
    let (_tmp, home) = new_home();
    add_asset(&home, "ehr-db");
    let out = run(
        &home,
        &[
            "flow",
            "add",
            "ehr-to-lab",
            "--from",
            "ehr-db",
            "--to",
            "lab-portal",
            "--protocol",
            "HTTPS",
            "--encrypted",
        ],
    )
    .success();
    let stderr = stderr_of(&out);
    assert!(stderr.contains("warning: flow ehr-to-lab"), "{stderr}");
    assert!(stderr.contains("(lab-portal)"), "{stderr}");
    let flows = succeeds(&home, &["flow", "list"]);
    assert_eq!(ids(&flows, |f| &f["flow"]["id"]), ["ehr-to-lab"]);
    assert_eq!(
        flows[0]["unknown_endpoints"],
        serde_json::json!(["lab-portal"])
    );
    assert_eq!(flows[0]["in_transit"]["state"], "encrypted");
    assert_eq!(flows[0]["in_transit"]["basis"]["by"], "stated");

    // Once the asset is recorded, changing the flow warns no more.
    add_asset(&home, "lab-portal");
    let out = run(
        &home,
        &["flow", "update", "ehr-to-lab", "--encrypted", "false"],
    )
    .success();
    assert!(!stderr_of(&out).contains("warning"), "{}", stderr_of(&out));
    let shown = succeeds(&home, &["flow", "show", "ehr-to-lab"]);
    assert_eq!(shown["in_transit"]["state"], "unencrypted");
    assert_eq!(shown["unknown_endpoints"], Value::Array(Vec::new()));
    let out = run(&home, &["flow", "show", "ehr-to-lab"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("in transit: unencrypted (stated)"), "{text}");
    let asset = succeeds(&home, &["asset", "show", "ehr-db"]);
    assert_eq!(asset["flows"][0]["flow"]["id"], "ehr-to-lab");

    let stderr = fails(&home, &["flow", "show", "nowhere"]);
    assert!(stderr.contains("`phiguard flow list`"), "{stderr}");
    run(&home, &["flow", "remove", "ehr-to-lab"]).success();
    assert_eq!(succeeds(&home, &["flow", "list"]), Value::Array(Vec::new()));
}

fn add_risk(home: &Path, id: &str, threat: &str) -> assert_cmd::assert::Assert {
    run(
        home,
        &[
            "risk",
            "add",
            id,
            "--title",
            "Ransomware encrypts the EHR database",
            "--asset",
            "ehr-db",
            "--threat",
            threat,
            "--vulnerability",
            "Backups in the same account",
            "--likelihood",
            "4",
            "--impact",
            "5",
            "--treatment",
            "mitigate",
            "--residual-likelihood",
            "2",
            "--residual-impact",
            "3",
            "--due",
            "2000-01-01",
            "--check",
            "host.patches.security",
        ],
    )
}

#[test]
fn risks_are_vetted_listed_shown_and_accepted() {
    let (_tmp, home) = new_home();
    add_asset(&home, "ehr-db");
    let stderr = stderr_of(&add_risk(&home, "ransomware-ehr", "ransomwear").code(2));
    assert!(
        stderr.contains("\"ransomwear\" is not a threat"),
        "{stderr}"
    );
    assert!(stderr.contains("`phiguard risk threats`"), "{stderr}");
    assert_eq!(
        succeeds(&home, &["register", "risk", "list"]),
        Value::Array(Vec::new())
    );

    let threats = succeeds(&home, &["risk", "threats"]);
    let threat = threats["threats"][0]["id"].as_str().unwrap().to_owned();
    add_risk(&home, "ransomware-ehr", &threat).success();
    let risks = succeeds(&home, &["risk", "list"]);
    assert_eq!(ids(&risks, |r| &r["risk"]["id"]), ["ransomware-ehr"]);
    // No check has shown the mitigation, and its day is long gone.
    assert_eq!(risks[0]["state"]["state"], "overdue");
    assert_eq!(risks[0]["residual"], risks[0]["inherent"]);
    assert_eq!(risks[0]["residual"]["level"], "very_high");
    assert_eq!(risks[0]["target"]["level"], "low");
    let out = run(&home, &["risk", "list"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("very high"), "{text}");
    assert!(text.contains("overdue"), "{text}");

    let out = run(&home, &["risk", "show", "ransomware-ehr"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("residual: very high (4×5 = 20)"), "{text}");
    assert!(
        text.contains("host.patches.security: no finding yet"),
        "{text}"
    );
    assert!(text.contains("stays the inherent one"), "{text}");

    let stderr = fails(
        &home,
        &[
            "risk",
            "accept",
            "ransomware-ehr",
            "--by",
            "Dana",
            "--reason",
            "r",
            "--until",
            "2000-01-02",
        ],
    );
    assert!(stderr.contains("not after today"), "{stderr}");
    run(
        &home,
        &[
            "risk",
            "accept",
            "ransomware-ehr",
            "--by",
            "Dana Ruiz",
            "--reason",
            "Backups move next quarter",
            "--until",
            "2099-01-01",
        ],
    )
    .success();
    let shown = succeeds(&home, &["risk", "show", "ransomware-ehr"]);
    assert_eq!(shown["state"]["state"], "accepted");
    assert_eq!(shown["risk"]["accepted_by"], "Dana Ruiz");
    let stderr = fails(&home, &["risk", "show", "nowhere"]);
    assert!(stderr.contains("`phiguard risk list`"), "{stderr}");

    // A risk naming an asset nobody knows is recorded, with a warning.
    let out = run(
        &home,
        &["risk", "update", "ransomware-ehr", "--asset", "ghost-db"],
    )
    .success();
    assert!(
        stderr_of(&out).contains("names an asset not in the inventory (ghost-db)"),
        "{}",
        stderr_of(&out)
    );
    // A threat given to update is vetted too.
    let stderr = fails(
        &home,
        &["risk", "update", "ransomware-ehr", "--threat", "gremlins"],
    );
    assert!(stderr.contains("not a threat"), "{stderr}");
}

#[test]
fn recorded_vulnerabilities_are_listed_with_the_risks_that_cover_them() {
    let (_tmp, home) = new_home();
    add_asset(&home, "ehr-db");
    run(
        &home,
        &[
            "register",
            "vulnerability",
            "add",
            "weak-vpn",
            "--title",
            "VPN accepts weak ciphers",
            "--asset",
            "ehr-db",
            "--severity",
            "high",
        ],
    )
    .success();
    let listed = succeeds(&home, &["risk", "vulnerabilities"]);
    assert_eq!(listed[0]["id"], "weak-vpn");
    assert_eq!(listed[0]["covered_by"], Value::Array(Vec::new()));
    let threats = succeeds(&home, &["risk", "threats"]);
    let threat = threats["threats"][0]["id"].as_str().unwrap().to_owned();
    add_risk(&home, "weak-vpn-risk", &threat).success();
    run(
        &home,
        &[
            "risk",
            "update",
            "weak-vpn-risk",
            "--vulnerability-id",
            "weak-vpn",
        ],
    )
    .success();
    let listed = succeeds(&home, &["risk", "vulnerabilities"]);
    assert_eq!(
        listed[0]["covered_by"],
        serde_json::json!(["weak-vpn-risk"])
    );
    let out = run(&home, &["risk", "vulnerabilities"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("recorded: weak-vpn"), "{text}");
    assert!(text.contains("weak-vpn-risk"), "{text}");
}

#[test]
fn an_analysis_is_made_written_signed_off_and_rendered_again_the_same() {
    let (tmp, home) = new_home();
    add_asset(&home, "ehr-db");
    let threats = succeeds(&home, &["risk", "threats"]);
    let threat = threats["threats"][0]["id"].as_str().unwrap().to_owned();
    add_risk(&home, "ransomware-ehr", &threat).success();
    let dir = tmp.path();
    let file = |name: &str| dir.join(name).display().to_string();
    let made = succeeds(
        &home,
        &[
            "risk",
            "analyze",
            "--id",
            "first",
            "--prepared-by",
            "Sam Lee",
            "--html",
            &file("a.html"),
            "--markdown",
            &file("a.md"),
            "--oscal",
            &file("a.json"),
        ],
    );
    assert_eq!(made["id"], "first");
    let sha256 = made["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha256.len(), 64);
    assert_eq!(made["assets"], 1);
    assert_eq!(made["ephi_assets"], 1);
    assert_eq!(made["risks"], 1);
    assert_eq!(made["overdue"], 1);
    assert_eq!(made["signed_off"], Value::Null);
    let formats: Vec<&str> = made["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats, ["html", "markdown", "oscal"]);
    for name in ["a.html", "a.md", "a.json"] {
        assert!(!fs::read(dir.join(name)).unwrap().is_empty(), "{name}");
    }
    json(&fs::read(dir.join("a.json")).unwrap());
    let document = made["document"]["seq"].as_u64().unwrap();

    // The record names the document's digest.
    let record = succeeds(&home, &["register", "risk-analysis", "show", "first"]);
    assert_eq!(record["record"]["sha256"], sha256.as_str());
    assert_eq!(record["record"]["assets"], serde_json::json!(["ehr-db"]));

    // Rendered again from the ledger: the same document, byte for byte.
    let again = succeeds(
        &home,
        &[
            "risk",
            "report",
            "first",
            "--markdown",
            &file("b.md"),
            "--html",
            &file("b.html"),
        ],
    );
    assert_eq!(again["record"]["sha256"], sha256.as_str());
    assert_eq!(again["document"]["seq"], document);
    assert_eq!(again["analysis"]["id"], "first");
    assert_eq!(again["analysis"]["prepared_by"], "Sam Lee");
    assert_eq!(
        fs::read(dir.join("a.md")).unwrap(),
        fs::read(dir.join("b.md")).unwrap()
    );
    assert_eq!(
        fs::read(dir.join("a.html")).unwrap(),
        fs::read(dir.join("b.html")).unwrap()
    );

    let out = run(&home, &["risk", "signoff", "first", "--by", "Dana Ruiz"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains(&sha256), "{text}");
    let stderr = fails(&home, &["risk", "signoff", "first", "--by", "Dana Ruiz"]);
    assert!(stderr.contains("stays as signed"), "{stderr}");
    let out = run(&home, &["risk", "report", "first"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains(&format!("SHA-256          {sha256}")),
        "{text}"
    );
    assert!(text.contains("signed off       by Dana Ruiz on "), "{text}");
    assert!(text.contains("The document matches its SHA-256"), "{text}");

    // The next analysis takes the next id; one signed at once says so.
    let second = succeeds(&home, &["risk", "analyze", "--sign-off", "Dana Ruiz"]);
    assert_ne!(second["id"], "first");
    assert_eq!(second["signed_off"]["by"], "Dana Ruiz");
    let stderr = fails(&home, &["risk", "analyze", "--id", "first"]);
    assert!(
        stderr.contains("already a risk analysis \"first\""),
        "{stderr}"
    );
    let stderr = fails(&home, &["risk", "analyze", "--as-of", "2999-01-01"]);
    assert!(stderr.contains("a day still to come"), "{stderr}");
    let stderr = fails(&home, &["risk", "report", "nowhere"]);
    assert!(stderr.contains("no risk analysis \"nowhere\""), "{stderr}");
    let stderr = fails(&home, &["risk", "signoff", "nowhere", "--by", "Dana"]);
    assert!(stderr.contains("no risk analysis \"nowhere\""), "{stderr}");
}

#[test]
fn the_risk_records_export_and_import_back_unchanged() {
    let (tmp, home) = new_home();
    add_asset(&home, "ehr-db");
    run(
        &home,
        &[
            "flow",
            "add",
            "ehr-out",
            "--from",
            "ehr-db",
            "--to",
            "ehr-db-replica",
        ],
    )
    .success();
    run(
        &home,
        &[
            "register",
            "vulnerability",
            "add",
            "weak-vpn",
            "--title",
            "VPN accepts weak ciphers",
            "--asset",
            "ehr-db",
            "--severity",
            "high",
        ],
    )
    .success();
    let threats = succeeds(&home, &["risk", "threats"]);
    let threat = threats["threats"][0]["id"].as_str().unwrap().to_owned();
    add_risk(&home, "ransomware-ehr", &threat).success();
    run(&home, &["risk", "analyze", "--sign-off", "Dana Ruiz", "-q"]).success();

    let first = tmp.path().join("first");
    run(&home, &["register", "export", first.to_str().unwrap()]).success();
    for name in [
        "assets.yaml",
        "data-flows.yaml",
        "vulnerabilities.yaml",
        "risks.yaml",
        "risk-analyses.yaml",
    ] {
        let text = fs::read_to_string(first.join(name)).unwrap();
        assert!(text.contains("\n- id: "), "{name}: {text}");
    }

    let other = tmp.path().join("other");
    run(&other, &["init", "-q"]).success();
    run(&other, &["register", "import", first.to_str().unwrap()]).success();
    let second = tmp.path().join("second");
    run(&other, &["register", "export", second.to_str().unwrap()]).success();
    assert_eq!(tree(&first), tree(&second));
    for name in tree(&first) {
        assert_eq!(
            fs::read_to_string(first.join(&name)).unwrap(),
            fs::read_to_string(second.join(&name)).unwrap(),
            "{name} differs"
        );
    }
}

#[test]
fn the_threat_catalog_is_listed_without_a_home() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("never");
    let out = run(&home, &["risk", "threats"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.starts_with("ID "), "{text}");
    assert!(text.contains("ransomware"), "{text}");
    assert!(!home.exists());
    // Reading commands on a missing home create nothing.
    let stderr = fails(&home, &["risk", "list"]);
    assert!(stderr.contains("there is no phiguard home"), "{stderr}");
    assert!(!home.exists());
}
