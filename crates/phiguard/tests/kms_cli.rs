#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `phiguard keys wrap` and `keys status` as a user runs them, against a real AWS API emulator
//! (moto on loopback) reached through the AWS CLI's environment: a KMS key added beside the
//! file root, listed with its age, kept in step by a rotation, and opening the keyring alone
//! once the key file is gone; every change in the ledger.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{json, new_home, phiguard};
use phiguard_testkit::Moto;
use serde_json::Value;

/// `phiguard` with the emulator as the AWS endpoint, as the AWS CLI reads it.
fn with_aws(home: &Path, moto: &Moto) -> Command {
    let mut command = phiguard(home);
    command
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env_remove("AWS_PROFILE");
    command
}

/// A KMS key made with a plain KMS call (moto does not check the signature); its id and ARN.
fn create_key(moto: &Moto) -> (String, String) {
    use std::io::{Read, Write};
    let address = moto.endpoint().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    let body = "{}";
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {address}\r\nX-Amz-Target: TrentService.CreateKey\r\n\
         Content-Type: application/x-amz-json-1.1\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential=testing/20250101/us-east-1/kms/aws4_request, SignedHeaders=host, \
         Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let created: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let meta = &created["KeyMetadata"];
    (
        meta["KeyId"].as_str().unwrap().to_owned(),
        meta["Arn"].as_str().unwrap().to_owned(),
    )
}

fn status(home: &Path, moto: &Moto) -> Value {
    let out = with_aws(home, moto)
        .args(["--json", "keys", "status"])
        .assert()
        .success();
    json(&out.get_output().stdout)
}

#[test]
fn a_kms_wrapping_is_added_listed_rotated_with_and_opens_alone() {
    let Some(moto) = Moto::start() else { return };
    let (key_id, arn) = create_key(&moto);
    let (_dir, home) = new_home();

    // One root to begin with, and the status says how to add a second.
    let text = with_aws(&home, &moto)
        .args(["keys", "status"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(text.contains("wrap add aws-kms"), "{text}");

    // The key named by its id: the ARN is recorded.
    let added = with_aws(&home, &moto)
        .args([
            "--json", "keys", "wrap", "add", "aws-kms", "--key-id", &key_id,
        ])
        .assert()
        .success();
    let added = json(&added.get_output().stdout);
    assert_eq!(added["provider"], "aws-kms");
    assert_eq!(added["key"], arn.as_str());
    assert_eq!(added["region"], "us-east-1");

    let before = status(&home, &moto);
    assert_eq!(before["current_version"], 1);
    let roots = before["roots"].as_array().unwrap();
    assert_eq!(roots.len(), 2, "{before:#}");
    assert_eq!(roots[0]["provider"], "file");
    assert_eq!(roots[0]["primary"], true);
    assert_eq!(roots[1]["provider"], "aws-kms");
    assert_eq!(roots[1]["key"], arn.as_str());
    assert_eq!(roots[1]["primary"], false);
    for root in roots {
        assert_eq!(root["opens"], true, "{root:#}");
        assert!(root["age_days"].is_i64(), "{root:#}");
        assert!(root["created"].is_string(), "{root:#}");
    }

    let rotated = with_aws(&home, &moto)
        .args(["--json", "keys", "rotate"])
        .assert()
        .success();
    assert_eq!(json(&rotated.get_output().stdout)["current_version"], 2);
    let after = status(&home, &moto);
    assert_eq!(after["current_version"], 2);
    assert!(
        after["roots"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["opens"] == true),
        "{after:#}"
    );

    // The cloud check finds the key from the keyring, without opening it, and judges it.
    let checked = with_aws(&home, &moto)
        .args(["--json", "cloud", "check", "aws", "--only", "kms"])
        .args(["--region", "us-east-1", "--endpoint-url", &moto.endpoint()])
        .output()
        .unwrap();
    let checked = json(&checked.stdout);
    let watched = checked["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "cloud.aws.kms.phiguard_root")
        .unwrap_or_else(|| panic!("no phiguard_root finding: {checked:#}"));
    assert_eq!(watched["subject"], arn.as_str());
    assert_eq!(watched["status"], "pass", "{watched:#}");

    // The key file gone: KMS alone opens the keyring, at the rotated version.
    std::fs::remove_file(home.join("keys/root.key")).unwrap();
    let alone = status(&home, &moto);
    assert_eq!(alone["current_version"], 2);
    assert_eq!(alone["opened_with"], format!("aws-kms {arn}"));
    assert_eq!(alone["roots"][0]["opens"], false);
    assert!(alone["roots"][0]["error"].is_string(), "{alone:#}");
    // A rotation now cannot wrap under the lost root: refused, naming it.
    let refused = with_aws(&home, &moto)
        .args(["keys", "rotate"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(stderr.contains("root.key"), "{stderr}");

    let tail = with_aws(&home, &moto)
        .args(["--json", "ledger", "tail", "-n", "10"])
        .assert()
        .success();
    let kinds: Vec<String> = json(&tail.get_output().stdout)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["kind"].as_str().unwrap().to_owned())
        .collect();
    for kind in ["keys.wrapping_added", "keys.rotated"] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} missing from {kinds:?}"
        );
    }
}
