//! Tests of the socket tables, the certificate reader, the probe against real servers in this
//! process, and the judgements. The checks as a whole, on this machine, are tested in
//! `crates/host/tests/in_transit.rs`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use phiguard_core::CheckContext;
use proptest::prelude::*;
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, SupportedProtocolVersion};

use super::probe::{Prober, TlsSession, Transport, Upgrade};
use super::sockets::{Listener, SocketTableError, parse_socket_table, read_listeners};
use super::x509::{CertificateInfo, parse_certificate};
use super::*;

// ---------------------------------------------------------------------------------------
// Socket tables

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/in_transit")
        .join(name)
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

#[test]
fn listeners_come_from_both_tables_deduplicated_and_sorted() {
    let listeners = read_listeners(&fixture("host")).unwrap();
    let found: Vec<(SocketAddr, u64)> = listeners.iter().map(|l| (l.address, l.inode)).collect();
    assert_eq!(
        found,
        [
            (addr("127.0.0.1:22"), 4696),
            (addr("[2001:db8::1]:80"), 6004),
            // The second socket on 0.0.0.0:443 (SO_REUSEPORT, inode 5003) is the same door.
            (addr("0.0.0.0:443"), 5001),
            (addr("[::]:443"), 6001),
            (addr("[::1]:631"), 6002),
            // ::ffff:10.0.0.5 in tcp6 is the IPv4 address already listed in tcp.
            (addr("10.0.0.5:5432"), 5002),
        ],
        "established and time-wait sockets are not listeners"
    );
}

#[test]
fn where_each_listener_is_probed() {
    let listeners = read_listeners(&fixture("host")).unwrap();
    let probed: Vec<String> = listeners
        .iter()
        .map(|l| format!("{l} {} {}", l.probe_address(), l.is_loopback()))
        .collect();
    assert_eq!(
        probed,
        [
            "127.0.0.1:22 127.0.0.1:22 true",
            "[2001:db8::1]:80 [2001:db8::1]:80 false",
            "0.0.0.0:443 127.0.0.1:443 false",
            "[::]:443 [::1]:443 false",
            "[::1]:631 [::1]:631 true",
            "10.0.0.5:5432 10.0.0.5:5432 false",
        ]
    );
}

#[test]
fn a_kernel_without_ipv6_has_no_tcp6_table() {
    let listeners = read_listeners(&fixture("ipv4-only")).unwrap();
    assert_eq!(listeners.len(), 1);
    let err = read_listeners(&fixture("no-tables")).unwrap_err();
    assert!(matches!(err, SocketTableError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("no-tables/net/tcp: "), "{err}");
}

#[test]
fn malformed_lines_are_errors_naming_file_and_line() {
    let err = read_listeners(&fixture("malformed-address")).unwrap_err();
    let expected = format!(
        "{}, line 3: \"01000ZZF:0016\": address \"01000ZZF\" is not 8 or 32 hex digits",
        fixture("malformed-address/net/tcp").display()
    );
    assert_eq!(err.to_string(), expected);

    let err = read_listeners(&fixture("short-line")).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("/net/tcp, line 2: expected at least 10 columns, found 5"),
        "{err}"
    );
}

#[test]
fn each_part_of_a_listening_line_is_validated() {
    let path = Path::new("/proc/net/tcp");
    let line = |local: &str, inode: &str| {
        format!("header\n 0: {local} 00000000:0000 0A 0:0 0:0 0 0 0 {inode} 1\n")
    };
    let problem = |text: String| parse_socket_table(&text, path).unwrap_err().to_string();
    assert!(problem(line("0100007F", "1")).contains("expected ADDRESS:PORT in hex"));
    assert!(problem(line("0100007F:XYZ", "1")).contains("port \"XYZ\" is not hex"));
    assert!(problem(line("0100007F:10000", "1")).contains("is not hex"));
    assert!(problem(line("0100007F00:0016", "1")).contains("is not 8 or 32 hex digits"));
    assert!(problem(line("0100007F:0016", "socket")).contains("inode \"socket\" is not a number"));
    // Lines in other states are not looked at beyond their state.
    let other = "header\n 0: garbage 00000000:0000 01 0:0 0:0 0 0 0 x 1\n";
    assert_eq!(parse_socket_table(other, path).unwrap(), []);
}

proptest! {
    #[test]
    fn the_socket_table_parser_never_panics(lines in prop::collection::vec(".{0,200}", 0..6)) {
        let _ = parse_socket_table(&lines.join("\n"), Path::new("/proc/net/tcp"));
    }

    #[test]
    fn addresses_round_trip(ip in any::<[u8; 4]>(), ip6 in any::<[u8; 16]>(), port: u16) {
        let word = |b: &[u8]| format!("{:08X}", u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
        let v4 = format!("x\n0: {}:{port:04X} 0:0 0A 0:0 0:0 0 0 0 7 1\n", word(&ip));
        let parsed = parse_socket_table(&v4, Path::new("tcp")).unwrap();
        prop_assert_eq!(parsed[0].address, SocketAddr::from((Ipv4Addr::from(ip), port)));
        let hex: String = ip6.chunks(4).map(word).collect();
        let v6 = format!("x\n0: {hex}:{port:04X} 0:0 0A 0:0 0:0 0 0 0 7 1\n");
        let parsed = parse_socket_table(&v6, Path::new("tcp6")).unwrap();
        let expected = Ipv6Addr::from(ip6).to_canonical();
        prop_assert_eq!(parsed[0].address, SocketAddr::new(expected, port));
    }

    #[test]
    fn the_certificate_reader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_certificate(&bytes);
    }
}

#[test]
fn sockets_are_traced_to_their_process() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let listeners = read_listeners(Path::new("/proc")).unwrap();
    let ours = listeners.iter().find(|l| l.address.port() == port).unwrap();
    let owners = sockets::socket_owners(Path::new("/proc"), &BTreeSet::from([ours.inode]));
    let expected = format!("(pid {})", std::process::id());
    assert!(
        owners[&ours.inode].iter().any(|o| o.ends_with(&expected)),
        "{owners:?}"
    );
    assert!(sockets::socket_owners(Path::new("/nonexistent"), &BTreeSet::from([1])).is_empty());
}

// ---------------------------------------------------------------------------------------
// Certificates, made by the openssl command-line tool

/// A certificate and its PKCS#8 key, in DER.
struct TestCert {
    cert: Vec<u8>,
    key: Vec<u8>,
    dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Turns `cert.pem` and `key.pem` in `dir` into DER.
fn der_files(dir: tempfile::TempDir) -> TestCert {
    let path = dir.path();
    openssl(
        path,
        &[
            "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der",
        ],
    );
    openssl(
        path,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out", "key.der",
        ],
    );
    TestCert {
        cert: std::fs::read(path.join("cert.der")).unwrap(),
        key: std::fs::read(path.join("key.der")).unwrap(),
        dir,
    }
}

const EC_KEY: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/// A self-signed certificate for `subject`, valid from now for `days`.
fn self_signed(subject: &str, days: u32) -> Option<TestCert> {
    phiguard_testkit::program("openssl", "openssl")?;
    let dir = tempfile::tempdir().unwrap();
    let days = days.to_string();
    let mut args = vec![
        "req", "-x509", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
    ];
    args.extend(EC_KEY);
    args.extend(["-subj", subject, "-days", &days]);
    openssl(dir.path(), &args);
    Some(der_files(dir))
}

/// A certificate for `CN=leaf.test` signed by a throwaway CA, valid for `days`.
fn ca_signed(days: u32) -> Option<TestCert> {
    phiguard_testkit::program("openssl", "openssl")?;
    let dir = tempfile::tempdir().unwrap();
    let days = days.to_string();
    let mut ca = vec![
        "req", "-x509", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
    ];
    ca.extend(EC_KEY);
    ca.extend(["-subj", "/CN=Test CA", "-days", "400"]);
    openssl(dir.path(), &ca);
    let mut request = vec![
        "req", "-new", "-nodes", "-keyout", "key.pem", "-out", "leaf.csr",
    ];
    request.extend(EC_KEY);
    request.extend(["-subj", "/CN=leaf.test/O=Clinic"]);
    openssl(dir.path(), &request);
    openssl(
        dir.path(),
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            &days,
            "-out",
            "cert.pem",
        ],
    );
    Some(der_files(dir))
}

/// A self-signed X.509 v1 certificate valid during January 2020 only: `openssl ca` is the
/// one tool in OpenSSL 3.0 that takes explicit dates (`req -not_after` came in 3.4).
fn expired() -> Option<TestCert> {
    phiguard_testkit::program("openssl", "openssl")?;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(
        path.join("ca.cnf"),
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n\
         default_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n",
    )
    .unwrap();
    std::fs::write(path.join("index.txt"), "").unwrap();
    std::fs::write(path.join("serial"), "01\n").unwrap();
    let mut request = vec![
        "req", "-new", "-nodes", "-keyout", "key.pem", "-out", "r.csr",
    ];
    request.extend(EC_KEY);
    request.extend(["-subj", "/CN=expired.test"]);
    openssl(path, &request);
    openssl(
        path,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-selfsign",
            "-keyfile",
            "key.pem",
            "-in",
            "r.csr",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200201000000Z",
            "-out",
            "cert.pem",
        ],
    );
    Some(der_files(dir))
}

#[test]
fn certificates_are_read_for_subject_validity_and_issuer() {
    let Some(own) = self_signed("/CN=db.clinic.test/O=Clinic/C=US", 90) else {
        return;
    };
    let info = parse_certificate(&own.cert).unwrap();
    assert_eq!(info.subject, "CN=db.clinic.test, O=Clinic, C=US");
    assert!(info.self_signed);
    let days = (info.not_after.as_second() - info.not_before.as_second()) / SECONDS_PER_DAY;
    assert_eq!(days, 90);

    let Some(leaf) = ca_signed(365) else { return };
    let info = parse_certificate(&leaf.cert).unwrap();
    assert_eq!(info.subject, "CN=leaf.test, O=Clinic");
    assert!(!info.self_signed, "signed by the test CA");

    let Some(old) = expired() else { return };
    let info = parse_certificate(&old.cert).unwrap();
    assert_eq!(info.subject, "CN=expired.test");
    assert_eq!(info.not_before, "2020-01-01T00:00:00Z".parse().unwrap());
    assert_eq!(info.not_after, "2020-02-01T00:00:00Z".parse().unwrap());
    assert!(info.self_signed);

    // Every truncation of a real certificate is an error, never a panic or a wrong answer.
    for end in 0..own.cert.len() {
        assert!(parse_certificate(&own.cert[..end]).is_err(), "cut at {end}");
    }
}

#[test]
fn odd_der_is_rejected_with_a_reason() {
    let problem = |der: &[u8]| parse_certificate(der).unwrap_err();
    assert_eq!(
        problem(&[]),
        "reading the Certificate: truncated: expected a tag and a length"
    );
    assert!(problem(&[0x30, 0x80]).contains("indefinite length"));
    assert!(problem(&[0x30, 0x85, 1, 1, 1, 1, 1]).contains("length of 5 bytes"));
    assert!(problem(&[0x1f, 0x01, 0x00]).contains("multi-byte tag"));
    assert!(problem(&[0x02, 0x01, 0x00]).contains("expected the Certificate (tag 0x30)"));
}

// ---------------------------------------------------------------------------------------
// The probe, against servers in this process

/// Serves every connection to a fresh 127.0.0.1 port with `handler`, each on its own thread.
/// The threads end with the test process.
fn serve(handler: impl Fn(TcpStream) + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handler = Arc::clone(&handler);
            // A test server must never hang a test: give up on a silent client.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            std::thread::spawn(move || handler(stream));
        }
    });
    address
}

fn tls_config(
    cert: &TestCert,
    versions: &[&'static SupportedProtocolVersion],
) -> Arc<ServerConfig> {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key.clone()));
    let config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(cert.cert.clone())], key)
        .unwrap();
    Arc::new(config)
}

/// Completes a server-side handshake on `stream`, then closes it.
fn accept_tls(config: &Arc<ServerConfig>, mut stream: TcpStream) {
    let Ok(mut tls) = ServerConnection::new(Arc::clone(config)) else {
        return;
    };
    while tls.is_handshaking() {
        if tls.complete_io(&mut stream).is_err() {
            return;
        }
    }
    let _ = tls.complete_io(&mut stream);
}

fn tls_server(cert: &TestCert, versions: &[&'static SupportedProtocolVersion]) -> SocketAddr {
    let config = tls_config(cert, versions);
    serve(move |stream| accept_tls(&config, stream))
}

fn prober(timeout: Duration) -> Prober {
    Prober::new("localhost", timeout).unwrap()
}

fn probe(address: SocketAddr, upgrade: Upgrade) -> Transport {
    prober(Duration::from_secs(2)).probe(address, upgrade)
}

fn tls_session(transport: Transport) -> TlsSession {
    match transport {
        Transport::Tls(session) => session,
        other => panic!("expected a TLS session, got {other:?}"),
    }
}

fn reason(transport: Transport) -> String {
    match transport {
        Transport::Plaintext { reason } => reason,
        other => panic!("expected plaintext, got {other:?}"),
    }
}

#[test]
fn a_tls_server_is_inventoried() {
    let Some(cert) = self_signed("/CN=localhost", 365) else {
        return;
    };
    let tls13 = tls_session(probe(
        tls_server(&cert, rustls::ALL_VERSIONS),
        Upgrade::None,
    ));
    assert_eq!(tls13.version, "TLS 1.3");
    assert!(
        tls13.cipher_suite.starts_with("TLS13_"),
        "{}",
        tls13.cipher_suite
    );
    assert_eq!(tls13.upgrade, None);
    assert_eq!(tls13.certificate, parse_certificate(&cert.cert));

    let tls12 = tls_session(probe(
        tls_server(&cert, &[&rustls::version::TLS12]),
        Upgrade::None,
    ));
    assert_eq!(tls12.version, "TLS 1.2");
    assert!(
        tls12.cipher_suite.starts_with("TLS_ECDHE_ECDSA_"),
        "{}",
        tls12.cipher_suite
    );
}

#[test]
fn non_tls_servers_are_plaintext() {
    let hello = serve(|mut s| {
        let _ = s.write_all(b"HELLO\r\n");
    });
    assert!(reason(probe(hello, Upgrade::None)).contains("data that is not TLS"));

    let http = serve(|mut s| {
        let _ = s.read(&mut [0u8; 512]);
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    assert!(reason(probe(http, Upgrade::None)).contains("plain HTTP"));

    let closes = serve(drop);
    assert!(reason(probe(closes, Upgrade::None)).contains("the connection on a TLS ClientHello"));

    let ssh = serve(|mut s| {
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n");
        let _ = s.read(&mut [0u8; 512]);
    });
    assert_eq!(
        probe(ssh, Upgrade::None),
        Transport::Ssh {
            banner: "SSH-2.0-OpenSSH_9.6p1 Debian-4".into()
        }
    );
}

#[test]
fn a_silent_server_is_classified_within_the_deadline() {
    let silent = serve(|s| {
        std::thread::sleep(Duration::from_secs(10));
        drop(s);
    });
    let started = Instant::now();
    let transport = prober(Duration::from_millis(500)).probe(silent, Upgrade::None);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        reason(transport),
        "it did not answer a TLS ClientHello within 0.5 s"
    );
}

#[test]
fn probes_run_in_parallel() {
    let silent = serve(|s| {
        std::thread::sleep(Duration::from_secs(10));
        drop(s);
    });
    let targets = vec![(silent, Upgrade::None, Duration::from_millis(500)); 12];
    let started = Instant::now();
    let results = prober(Duration::from_millis(500)).probe_all(&targets);
    // Twelve listeners on eight threads: two rounds of 0.5 s, not twelve.
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(results.len(), 12);
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Transport::Plaintext { .. }))
    );
}

#[test]
fn a_closed_port_is_unreachable() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // The listener is dropped: nothing listens there any more.
    match probe(port, Upgrade::None) {
        Transport::Unreachable { error } => assert!(error.starts_with("connecting to 127.0.0.1:")),
        other => panic!("{other:?}"),
    }
}

/// A PostgreSQL server's first step: read the SSLRequest and answer `answer`.
fn postgres_answering(answer: u8) -> impl Fn(&mut TcpStream) -> bool {
    move |stream| {
        let mut request = [0u8; 8];
        stream.read_exact(&mut request).is_ok()
            && request == [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]
            && stream.write_all(&[answer]).is_ok()
    }
}

#[test]
fn postgres_is_asked_for_tls_in_its_own_protocol() {
    let no = postgres_answering(b'N');
    let without_tls = serve(move |mut s| {
        no(&mut s);
    });
    assert!(
        reason(probe(without_tls, Upgrade::Postgres))
            .contains("PostgreSQL server with TLS turned off")
    );

    let Some(cert) = self_signed("/CN=localhost", 365) else {
        return;
    };
    let config = tls_config(&cert, rustls::ALL_VERSIONS);
    let yes = postgres_answering(b'S');
    let with_tls = serve(move |mut s| {
        if yes(&mut s) {
            accept_tls(&config, s);
        }
    });
    let session = tls_session(probe(with_tls, Upgrade::Postgres));
    assert_eq!(
        (session.version.as_str(), session.upgrade),
        ("TLS 1.3", Some("SSLRequest"))
    );
}

#[test]
fn the_postgresql_server_on_this_machine_is_classified() {
    let local = addr("127.0.0.1:5432");
    match probe(local, Upgrade::Postgres) {
        Transport::Tls(_) | Transport::Plaintext { .. } => {}
        Transport::Unreachable { error } => phiguard_testkit::missing(
            "a PostgreSQL server on 127.0.0.1:5432",
            &format!("start one (see .ci/run); probing it failed: {error}"),
        ),
        other => panic!("PostgreSQL on 127.0.0.1:5432 is neither TLS nor plaintext: {other:?}"),
    }
}

/// An SMTP server that lists `STARTTLS` when `config` is given and then upgrades.
fn smtp_server(config: Option<Arc<ServerConfig>>) -> SocketAddr {
    serve(move |stream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let _ = writer.write_all(b"220 mail.test ESMTP\r\n");
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            let command = line.trim().to_ascii_uppercase();
            line.clear();
            let reply: &[u8] = match (command.as_str(), &config) {
                (c, Some(_)) if c.starts_with("EHLO") => {
                    b"250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
                }
                (c, None) if c.starts_with("EHLO") => b"250-mail.test\r\n250 8BITMIME\r\n",
                ("STARTTLS", Some(config)) => {
                    let _ = writer.write_all(b"220 go ahead\r\n");
                    return accept_tls(config, writer);
                }
                _ => b"502 no\r\n",
            };
            let _ = writer.write_all(reply);
        }
    })
}

#[test]
fn smtp_is_upgraded_with_starttls() {
    let plain = smtp_server(None);
    assert!(reason(probe(plain, Upgrade::Smtp)).contains("does not offer STARTTLS"));

    let Some(cert) = self_signed("/CN=localhost", 365) else {
        return;
    };
    let upgraded = smtp_server(Some(tls_config(&cert, rustls::ALL_VERSIONS)));
    let session = tls_session(probe(upgraded, Upgrade::Smtp));
    assert_eq!(session.upgrade, Some("STARTTLS"));

    // Something on an SMTP port that waits for the client may be speaking TLS directly.
    let direct = tls_server(&cert, rustls::ALL_VERSIONS);
    let session = tls_session(prober(Duration::from_secs(1)).probe(direct, Upgrade::Smtp));
    assert_eq!(session.upgrade, None);
}

/// `openssl s_server` offering TLS 1.0 only; killed when dropped.
struct OldTlsServer(Child, SocketAddr);

impl Drop for OldTlsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn old_tls_server(cert: &TestCert) -> OldTlsServer {
    let dir = cert.dir.path();
    let mut child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-cert",
            "cert.der",
            "-certform",
            "DER",
        ])
        .args([
            "-key",
            "key.der",
            "-keyform",
            "DER",
            "-tls1",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
        ])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let accept = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("ACCEPT ").map(addr));
    OldTlsServer(child, accept.unwrap())
}

#[test]
fn a_server_with_only_old_tls_versions_is_recognised() {
    let Some(cert) = self_signed("/CN=localhost", 365) else {
        return;
    };
    let server = old_tls_server(&cert);
    match probe(server.1, Upgrade::None) {
        Transport::OutdatedTls { detail } => assert!(
            detail.contains("ProtocolVersion") || detail.contains("1.2"),
            "{detail}"
        ),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Judgements

fn now() -> Timestamp {
    "2026-06-01T12:00:00Z".parse().unwrap()
}

fn observed(address: &str, transport: Transport) -> Observation {
    Observation {
        listener: Listener {
            address: addr(address),
            inode: 1,
        },
        processes: vec!["nginx (pid 812)".into()],
        transport,
    }
}

fn plaintext(reason: &str) -> Transport {
    Transport::Plaintext {
        reason: reason.into(),
    }
}

fn tls(certificate: Result<CertificateInfo, String>) -> Transport {
    Transport::Tls(TlsSession {
        version: "TLS 1.3".into(),
        cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
        upgrade: None,
        certificate,
    })
}

fn certificate(not_after: &str, self_signed: bool) -> Result<CertificateInfo, String> {
    Ok(CertificateInfo {
        subject: "CN=portal.clinic.test".into(),
        not_before: "2025-01-01T00:00:00Z".parse().unwrap(),
        not_after: not_after.parse().unwrap(),
        self_signed,
    })
}

fn check(id: &str) -> Box<dyn Check> {
    checks(&Settings::default())
        .into_iter()
        .find(|c| c.meta().id.as_str() == id)
        .unwrap()
}

fn summary(findings: &[Finding]) -> Vec<(Status, &str)> {
    findings
        .iter()
        .map(|f| (f.status, f.subject.as_str()))
        .collect()
}

#[test]
fn plaintext_fails_only_where_the_network_can_reach_it() {
    let meta = check("host.encryption.plaintext_listeners").meta().clone();
    let observations = [
        observed(
            "0.0.0.0:6379",
            plaintext("it answered a TLS ClientHello with data that is not TLS"),
        ),
        observed("127.0.0.1:6380", plaintext("it closed the connection")),
        observed(
            "[::]:22",
            Transport::Ssh {
                banner: "SSH-2.0-OpenSSH_9.6".into(),
            },
        ),
        observed(
            "10.0.0.5:443",
            tls(certificate("2027-01-01T00:00:00Z", false)),
        ),
        observed(
            "10.0.0.5:8443",
            Transport::Unreachable {
                error: "connecting: refused".into(),
            },
        ),
    ];
    let findings = plaintext_findings(&meta, &observations, now());
    assert_eq!(
        summary(&findings),
        [
            (Status::Fail, "0.0.0.0:6379"),
            (Status::Pass, "127.0.0.1:6380"),
            (Status::Pass, "[::]:22"),
            (Status::Pass, "10.0.0.5:443"),
            (Status::Warn, "10.0.0.5:8443"),
        ]
    );
    assert_eq!(
        findings[0].message,
        "nginx (pid 812) on 0.0.0.0:6379 (every IPv4 address) does not use TLS: it answered a \
         TLS ClientHello with data that is not TLS. It accepts connections from the network, so \
         whatever it carries, ePHI and passwords included, can be read or altered on the way."
    );
    assert!(findings[0].remediation.is_some());
    assert!(
        findings[1]
            .message
            .contains("(loopback only) does not use TLS")
    );
    assert!(findings[1].remediation.is_none());
    assert!(findings[2].message.contains("SSH encrypts its own traffic"));
    assert_eq!(
        findings[3].message,
        "nginx (pid 812) on 10.0.0.5:443 speaks TLS 1.3."
    );

    let nothing = plaintext_findings(&meta, &[], now());
    assert_eq!(summary(&nothing), [(Status::Pass, "listening sockets")]);
}

#[test]
fn versions_older_than_tls_1_2_fail() {
    let meta = check("host.encryption.tls_versions").meta().clone();
    let observations = [
        observed(
            "0.0.0.0:443",
            tls(certificate("2027-01-01T00:00:00Z", false)),
        ),
        observed(
            "0.0.0.0:8443",
            Transport::OutdatedTls {
                detail: "the server ended the handshake with the alert `ProtocolVersion`".into(),
            },
        ),
        observed(
            "0.0.0.0:9443",
            Transport::TlsRefused {
                detail: "the server ended the handshake with the alert `HandshakeFailure`".into(),
            },
        ),
        observed(
            "0.0.0.0:80",
            plaintext("it answered a TLS ClientHello in plain HTTP"),
        ),
    ];
    let findings = version_findings(&meta, &observations, now());
    assert_eq!(
        summary(&findings),
        [
            (Status::Pass, "0.0.0.0:443"),
            (Status::Fail, "0.0.0.0:8443"),
            (Status::Warn, "0.0.0.0:9443")
        ]
    );
    assert!(
        findings[0]
            .message
            .ends_with("negotiated TLS 1.3 with TLS13_AES_256_GCM_SHA384.")
    );
    assert!(
        findings[1]
            .message
            .contains("offers only TLS versions older than 1.2")
    );
    assert!(
        findings[2]
            .message
            .contains("may accept only obsolete cipher suites")
    );

    let none = version_findings(&meta, &observations[3..], now());
    assert_eq!(summary(&none), [(Status::NotApplicable, "TLS listeners")]);
}

#[test]
fn certificates_fail_when_expired_and_warn_when_expiring_or_self_signed() {
    let meta = check("host.encryption.tls_certificates").meta().clone();
    let observations = [
        observed("0.0.0.0:1", tls(certificate("2026-05-01T00:00:00Z", false))),
        observed("0.0.0.0:2", tls(certificate("2026-06-11T12:00:00Z", false))),
        observed("0.0.0.0:3", tls(certificate("2027-06-01T12:00:00Z", true))),
        observed("0.0.0.0:4", tls(certificate("2027-06-01T12:00:00Z", false))),
        observed(
            "0.0.0.0:5",
            tls(Err("reading the Certificate: truncated".into())),
        ),
        observed("0.0.0.0:6", tls(certificate("2026-05-01T00:00:00Z", true))),
    ];
    let findings = certificate_findings(&meta, &observations, now());
    let statuses: Vec<Status> = findings.iter().map(|f| f.status).collect();
    use Status::{Fail, Pass, Warn};
    assert_eq!(statuses, [Fail, Warn, Warn, Pass, Warn, Fail]);
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        messages[0].contains("for CN=portal.clinic.test. It expired on 2026-05-01, 31 days ago"),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].contains("It expires on 2026-06-11, in 10 days"),
        "{}",
        messages[1]
    );
    assert!(
        messages[2].contains("It is self-signed")
            && messages[2].contains("fine for an internal service")
    );
    assert!(
        messages[3].ends_with(
            "It is issued by a certificate authority and valid until 2027-06-01 (365 days)."
        ),
        "{}",
        messages[3]
    );
    assert!(
        messages[4]
            .contains("its certificate could not be read: reading the Certificate: truncated.")
    );
    assert!(messages[5].contains("expired") && messages[5].contains("self-signed"));
}

#[test]
fn the_checks_skip_an_image() {
    let ctx = CheckContext::new("/mnt/image", now());
    for check in checks(&Settings::default()) {
        let findings = check.run(&ctx).unwrap();
        assert_eq!(summary(&findings), [(Status::NotApplicable, "/mnt/image")]);
    }
}

/// A silent listener bound to loopback only gets the short loopback limit (its plaintext
/// finding passes either way), while one reachable from the network keeps the full limit: a
/// slow TLS server there must not be taken for plaintext.
#[test]
fn loopback_listeners_are_given_the_short_limit_and_network_listeners_the_full_one() {
    let hold = |s: TcpStream| {
        std::thread::sleep(Duration::from_secs(5));
        drop(s);
    };
    let local = serve(hold);
    let wide = TcpListener::bind("0.0.0.0:0").unwrap();
    let wide_port = wide.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in wide.incoming().flatten() {
            std::thread::spawn(move || hold(stream));
        }
    });
    let observations = survey(Path::new("/proc"), "localhost", Duration::from_secs(1)).unwrap();
    let reason_for = |port: u16| {
        let observation = observations
            .iter()
            .find(|o| o.listener.address.port() == port)
            .unwrap_or_else(|| panic!("no listener on port {port}"));
        match &observation.transport {
            Transport::Plaintext { reason } => reason.clone(),
            other => panic!("port {port}: {other:?}"),
        }
    };
    assert!(
        reason_for(local.port()).contains("within 0.25 s"),
        "{}",
        reason_for(local.port())
    );
    assert!(
        reason_for(wide_port).contains("within 1 s"),
        "{}",
        reason_for(wide_port)
    );
}
