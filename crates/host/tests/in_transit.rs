#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The encryption-in-transit checks as a whole: registered, skipped on an image, and run
//! against every listening socket of this machine, with `ss` as the independent witness of
//! what listens. The parser, the probe and the judgements are tested in the module itself
//! (`src/encryption/in_transit/tests.rs`), against fixtures and servers in the test process.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use phiguard_core::{CheckContext, Finding, Status};
use phiguard_host::{Settings, registry};

const PLAINTEXT: &str = "host.encryption.plaintext_listeners";
const VERSIONS: &str = "host.encryption.tls_versions";
const CERTIFICATES: &str = "host.encryption.tls_certificates";

/// Live surveys knock on every listener of the machine, the other tests' too: one at a time,
/// so a test can count the probes its own listener receives.
static LIVE_SURVEY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run(ctx: &CheckContext) -> Vec<Finding> {
    let _one_at_a_time = LIVE_SURVEY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    run_alone(ctx)
}

/// [`run`] for a caller that holds [`LIVE_SURVEY`] itself.
fn run_alone(ctx: &CheckContext) -> Vec<Finding> {
    let registry = registry(&Settings::default()).unwrap();
    registry.run_all(ctx, |m| {
        [PLAINTEXT, VERSIONS, CERTIFICATES].contains(&m.id.as_str())
    })
}

#[test]
fn on_an_image_the_checks_say_they_were_skipped() {
    let image = tempfile::tempdir().unwrap();
    let findings = run(&CheckContext::new(image.path(), Timestamp::now()));
    let ids: Vec<&str> = findings.iter().map(|f| f.check.as_str()).collect();
    assert_eq!(ids, [PLAINTEXT, CERTIFICATES, VERSIONS]);
    for finding in &findings {
        assert_eq!(finding.status, Status::NotApplicable);
        assert!(
            finding.message.starts_with("skipped:"),
            "{}",
            finding.message
        );
    }
}

/// The listening TCP addresses `ss` sees, normalised as the checks name them.
fn listening() -> Option<BTreeSet<String>> {
    let ss = phiguard_testkit::program("ss", "iproute2")?;
    let output = Command::new(ss)
        .args(["-H", "-t", "-l", "-n"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    Some(
        text.lines()
            .filter_map(|l| l.split_whitespace().nth(3))
            .map(normalise)
            .collect(),
    )
}

/// `127.0.0.53%lo:53` → `127.0.0.53:53`, `*:22` → `[::]:22`, `[::ffff:10.0.0.5]:80` →
/// `10.0.0.5:80`.
fn normalise(ss_address: &str) -> String {
    let (host, port) = ss_address.rsplit_once(':').unwrap();
    let host = host.split('%').next().unwrap();
    let host = if host == "*" { "[::]" } else { host };
    let address: SocketAddr = format!("{host}:{port}").parse().unwrap();
    SocketAddr::new(address.ip().to_canonical(), address.port()).to_string()
}

/// `openssl s_server` with a self-signed certificate that expires tomorrow; killed on drop.
struct OpensslServer {
    child: Child,
    address: SocketAddr,
    _dir: tempfile::TempDir,
}

impl OpensslServer {
    fn start() -> Option<OpensslServer> {
        phiguard_testkit::program("openssl", "openssl")?;
        let dir = tempfile::tempdir().unwrap();
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=soon.test",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let mut child = Command::new("openssl")
            .args([
                "s_server",
                "-accept",
                "127.0.0.1:0",
                "-cert",
                "cert.pem",
                "-key",
                "key.pem",
            ])
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let announced = BufReader::new(child.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("ACCEPT ").map(|a| a.parse().unwrap()));
        Some(OpensslServer {
            child,
            address: announced.expect("s_server announces its address"),
            _dir: dir,
        })
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_listener_on_this_machine_gets_a_finding() {
    // A plaintext service of our own, on loopback: not TLS, but never on the network.
    let hello = TcpListener::bind("127.0.0.1:0").unwrap();
    let hello_address = hello.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut stream in hello.incoming().flatten() {
            let _ = stream.write_all(b"HELLO\r\n");
        }
    });
    let tls = OpensslServer::start();
    let Some(before) = listening() else { return };

    let started = Instant::now();
    let ctx = CheckContext::new("/", Timestamp::now());
    let findings = run(&ctx);
    let took = started.elapsed();
    let after = listening().unwrap();

    // Probes run eight at a time with 2 s each; anything slower means one hung.
    let rounds = u32::try_from(before.len().div_ceil(8)).unwrap().max(1);
    let bound = Duration::from_secs(2) * rounds + Duration::from_secs(10);
    assert!(took < bound, "{took:?} for {} listeners", before.len());
    for finding in &findings {
        assert_ne!(finding.status, Status::Error, "{finding:?}");
    }

    let subjects = |id: &str| -> BTreeSet<&str> {
        findings
            .iter()
            .filter(|f| f.check.as_str() == id)
            .map(|f| f.subject.as_str())
            .collect()
    };
    // Other programs open and close sockets while the checks run; the ones there before and
    // after must all have been judged.
    let plaintext = subjects(PLAINTEXT);
    for address in before.intersection(&after) {
        assert!(
            plaintext.contains(address.as_str()),
            "no finding for {address}: {plaintext:?}"
        );
    }

    let ours = findings
        .iter()
        .find(|f| f.check.as_str() == PLAINTEXT && f.subject == hello_address)
        .unwrap();
    assert_eq!(ours.status, Status::Pass);
    let pid = format!("(pid {})", std::process::id());
    assert!(
        ours.message.contains(&pid),
        "names the process: {}",
        ours.message
    );
    assert!(
        ours.message.contains("does not use TLS"),
        "{}",
        ours.message
    );

    let Some(tls) = tls else { return };
    let subject = tls.address.to_string();
    let find = |id: &str| {
        findings
            .iter()
            .find(|f| f.check.as_str() == id && f.subject == subject)
            .unwrap_or_else(|| panic!("no {id} finding for {subject}: {findings:#?}"))
    };
    assert_eq!(find(PLAINTEXT).status, Status::Pass);
    let version = find(VERSIONS);
    assert_eq!(version.status, Status::Pass);
    assert!(
        version.message.contains("negotiated TLS 1.3"),
        "{}",
        version.message
    );
    let certificate = find(CERTIFICATES);
    assert_eq!(certificate.status, Status::Warn);
    for expected in ["for CN=soon.test", "It expires on", "It is self-signed"] {
        assert!(
            certificate.message.contains(expected),
            "{}",
            certificate.message
        );
    }
    assert!(certificate.remediation.is_some());
}

#[test]
fn the_survey_is_shared_by_the_three_checks_of_one_run() {
    // Probing twice would show in the connections the silent listener accepts.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_address = silent.local_addr().unwrap().to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().take(8) {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
        std::thread::sleep(Duration::from_secs(30));
        drop(held);
    });
    if !Path::new("/proc/net/tcp").exists() {
        phiguard_testkit::missing("/proc/net/tcp", "run the tests on Linux");
        return;
    }
    // No other test's survey may knock on this listener until it is counted.
    let _alone = LIVE_SURVEY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let findings = run_alone(&CheckContext::new("/", Timestamp::now()));
    let ours: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.subject == silent_address)
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "only plaintext_listeners judges a non-TLS listener"
    );
    // Bound to loopback only: the short limit, and its finding passes.
    assert!(
        ours[0]
            .message
            .contains("did not answer a TLS ClientHello within 0.25 s"),
        "{}",
        ours[0].message
    );
    assert_eq!(ours[0].status, Status::Pass);
    // The accepting thread may lag the probe; give it a moment before counting.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "three checks, one survey: the listener was probed once"
    );
}
