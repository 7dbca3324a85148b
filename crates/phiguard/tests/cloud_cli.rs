#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `phiguard cloud check aws` as a user runs it, against a real AWS API emulator (moto on
//! loopback) with the credentials in the environment as the AWS CLI reads them: the findings
//! by ARN, the exit codes, the JSON, and an account that cannot be read.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{json, new_home, phiguard, sqlite_exec};
use phiguard_testkit::Moto;

/// `phiguard cloud check aws` with an emulator's endpoint and credentials.
fn cloud(home: &Path, moto: &Moto) -> Command {
    let mut command = phiguard(home);
    command
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .args(["cloud", "check", "aws", "--region", "us-east-1"])
        .args(["--endpoint-url", &moto.endpoint()]);
    command
}

/// A bucket, made with a plain unsigned PUT as moto accepts.
fn bucket(moto: &Moto, name: &str) {
    use std::io::{Read, Write};
    let address = moto.endpoint().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "PUT /{name} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[test]
fn an_account_is_checked_by_arn_and_a_failure_exits_1() {
    let Some(moto) = Moto::start() else { return };
    bucket(&moto, "patient-exports");
    let (_dir, home) = new_home();
    let output = cloud(&home, &moto)
        .args(["--only", "s3", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let result = json(&output.stdout);
    assert_eq!(result["provider"], "aws");
    assert_eq!(result["account"], "123456789012");
    assert_eq!(result["regions"], serde_json::json!(["us-east-1"]));
    assert_eq!(result["resources"], 1);
    assert!(result["evidence"]["seq"].is_u64(), "{result:#}");
    let findings = result["findings"].as_array().unwrap();
    let versioning = findings
        .iter()
        .find(|f| f["check"] == "cloud.aws.s3.versioning")
        .unwrap();
    assert_eq!(versioning["subject"], "arn:aws:s3:::patient-exports");
    assert_eq!(versioning["status"], "fail");
    let remediation = versioning["remediation"].as_str().unwrap();
    assert!(remediation.contains("Console:"), "{remediation}");
    assert!(remediation.contains("aws s3api"), "{remediation}");

    // The text form names the account and what was read.
    let text = cloud(&home, &moto).args(["--only", "s3"]).output().unwrap();
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(
        stdout.contains("on AWS account 123456789012 (1 region, 1 resource)"),
        "{stdout}"
    );
    assert!(stdout.contains("arn:aws:s3:::patient-exports"), "{stdout}");

    // The inventory the check kept, as JSON and as a table, and filtered.
    let inventory = phiguard(&home)
        .args(["cloud", "inventory", "--json"])
        .output()
        .unwrap();
    assert_eq!(inventory.status.code(), Some(0), "{inventory:?}");
    let listed = json(&inventory.stdout);
    assert_eq!(listed["account"], "123456789012");
    assert_eq!(listed["total"], 1);
    assert_eq!(
        listed["resources"][0]["arn"],
        "arn:aws:s3:::patient-exports"
    );
    assert_eq!(listed["resources"][0]["kind"], "s3.bucket");
    assert!(
        listed["digest"].as_str().unwrap().starts_with("sha256:"),
        "{listed:#}"
    );
    let table = phiguard(&home)
        .args(["cloud", "inventory"])
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.starts_with("KIND"), "{table}");
    assert!(table.contains("s3.bucket"), "{table}");
    assert!(
        table.contains("1 resource of 1 in AWS account 123456789012"),
        "{table}"
    );
    let none = phiguard(&home)
        .args(["cloud", "inventory", "--kind", "ec2.volume", "--json"])
        .output()
        .unwrap();
    assert_eq!(json(&none.stdout)["resources"], serde_json::json!([]));
}

#[test]
fn an_inventory_never_taken_or_tampered_with_exits_2_and_says_what_to_do() {
    let (_dir, home) = new_home();
    let output = phiguard(&home)
        .args(["cloud", "inventory"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("no cloud account has been checked yet"),
        "{stderr}"
    );
    assert!(stderr.contains("phiguard cloud check aws"), "{stderr}");

    let Some(moto) = Moto::start() else { return };
    bucket(&moto, "patient-exports");
    cloud(&home, &moto).args(["--only", "s3"]).output().unwrap();
    // Someone with the database makes the bucket look encrypted with a key of theirs.
    sqlite_exec(
        &home,
        "UPDATE cloud_resources SET encryption = 'encrypted', encryption_key = 'k'",
    );
    let output = phiguard(&home)
        .args(["cloud", "inventory"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("cannot be trusted"), "{stderr}");
    assert!(stderr.contains("ledger entry"), "{stderr}");
}

#[test]
fn a_tagged_bucket_weighs_critical_under_the_phi_tag_given() {
    let Some(moto) = Moto::start() else { return };
    bucket(&moto, "exports");
    // Tag it data-class=phi, as an organisation with its own tagging scheme would.
    {
        use std::io::{Read, Write};
        let address = moto.endpoint().trim_start_matches("http://").to_owned();
        let body = "<Tagging><TagSet><Tag><Key>data-class</Key><Value>phi</Value></Tag></TagSet></Tagging>";
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        write!(
            stream,
            "PUT /exports?tagging HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 20"), "{response}");
    }
    let (_dir, home) = new_home();
    let severity = |tag: &str| {
        let output = cloud(&home, &moto)
            .args(["--only", "s3", "--json", "--phi-tag", tag])
            .output()
            .unwrap();
        let result = json(&output.stdout);
        result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == "cloud.aws.s3.versioning")
            .unwrap()["severity"]
            .clone()
    };
    assert_eq!(severity("data-class=phi"), "critical");
    assert_eq!(severity("phi=true"), "medium");
}

#[test]
fn bad_options_and_an_unreadable_account_exit_2_and_record_nothing() {
    let Some(moto) = Moto::start() else { return };
    let (_dir, home) = new_home();
    let output = cloud(&home, &moto).args(["--only", "s4"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("\"s4\" is not a service"), "{stderr}");
    assert!(stderr.contains("s3, ec2, rds"), "{stderr}");
    // The help names every service --only takes, and the error lists them all too.
    let help = phiguard(&home)
        .args(["cloud", "check", "aws", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout)
        .unwrap()
        .replace(char::is_whitespace, "");
    for service in phiguard_app::cloud::Service::ALL {
        assert!(
            help.contains(&format!("{service},")) || help.contains(&format!(",{service}")),
            "--only's help does not name {service}"
        );
        assert!(stderr.contains(service.as_str()), "{stderr}");
    }

    let output = cloud(&home, &moto)
        .args(["--phi-tag", "phi"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("KEY=VALUE")
    );

    // Nothing listens there any more: the account cannot be read.
    let gone = moto.endpoint();
    drop(moto);
    let output = phiguard(&home)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args([
            "cloud",
            "check",
            "aws",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &gone,
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("the AWS account could not be read"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("testing"),
        "a credential in an error: {stderr}"
    );
    let tail = phiguard(&home)
        .args(["ledger", "tail", "--json"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&tail.stdout).contains("cloud.check"),
        "a failed check was recorded"
    );
}
