//! What a listening port speaks: a TLS handshake (after the protocol's own upgrade request
//! where it has one), recording the version, cipher suite and certificate it gets.
//!
//! The probe inventories, it does not trust: it accepts any certificate, because a self-signed
//! or expired certificate is something to report, not a reason to stop looking.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, aws_lc_rs};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, ClientConfig, ClientConnection, DigitallySignedStruct, Error as TlsError,
    PeerIncompatible, ProtocolVersion, SignatureScheme,
};

use super::x509::{self, CertificateInfo};

/// At most this many probes run at once. They spend their time waiting on the network, not
/// computing, so more threads than cores is right; the cap keeps a host with hundreds of
/// listeners from opening hundreds of connections at once.
const MAX_PARALLEL_PROBES: usize = 8;

/// PostgreSQL's SSLRequest: length 8, then the request code 80877103 (1234 << 16 | 5679).
const POSTGRES_SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// The longest SMTP reply we read before giving up on the peer being an SMTP server.
const MAX_SMTP_REPLY: usize = 8 * 1024;

/// How a protocol asks to switch an open connection to TLS before the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upgrade {
    /// The TLS handshake starts at once (HTTPS, LDAPS, Redis with TLS, …).
    None,
    /// PostgreSQL: an SSLRequest, answered `S` (go ahead) or `N` (no TLS here).
    Postgres,
    /// SMTP: `EHLO`, then `STARTTLS` if the server lists it.
    Smtp,
}

impl Upgrade {
    /// The upgrade the service conventionally on `port` expects.
    pub fn for_port(port: u16) -> Upgrade {
        match port {
            5432 => Upgrade::Postgres,
            25 | 587 => Upgrade::Smtp,
            _ => Upgrade::None,
        }
    }
}

/// What a listener turned out to speak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// A completed TLS handshake.
    Tls(TlsSession),
    /// A TLS server that offers only versions older than TLS 1.2: it answered the handshake
    /// with a `protocol_version` alert or chose an older version.
    OutdatedTls { detail: String },
    /// A TLS server that refused the handshake for another reason, e.g. no cipher suite in
    /// common with a modern client.
    TlsRefused { detail: String },
    /// An SSH server: its own protocol, encrypted.
    Ssh { banner: String },
    /// Not TLS: the peer sent something else, closed the connection, declined the upgrade, or
    /// never answered.
    Plaintext { reason: String },
    /// The probe could not connect at all.
    Unreachable { error: String },
}

/// What a TLS handshake settled on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSession {
    /// `TLS 1.3` or `TLS 1.2`.
    pub version: String,
    /// The IANA name, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// `Some("STARTTLS")` or `Some("SSLRequest")` when the protocol's upgrade came first.
    pub upgrade: Option<&'static str>,
    /// The server's own certificate, or why it could not be read.
    pub certificate: Result<CertificateInfo, String>,
}

/// Probes listeners with one TLS client configuration, name and time limit.
pub struct Prober {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    timeout: Duration,
}

impl fmt::Debug for Prober {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prober")
            .field("server_name", &self.server_name)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Prober {
    /// A prober that sends `server_name` as SNI (falling back to `localhost` if it is not a
    /// valid DNS name) and gives each listener `timeout` for connecting, any upgrade and the
    /// handshake together.
    pub fn new(server_name: &str, timeout: Duration) -> Result<Prober, String> {
        let provider = Arc::new(aws_lc_rs::default_provider());
        let verifier = Arc::new(InventoryVerifier {
            algorithms: provider.signature_verification_algorithms,
        });
        let config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(|e| format!("setting up the TLS client: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let server_name = ServerName::try_from(server_name.to_owned())
            .or_else(|_| ServerName::try_from("localhost"))
            .map_err(|e| format!("the TLS server name: {e}"))?;
        Ok(Prober {
            config: Arc::new(config),
            server_name,
            timeout,
        })
    }

    /// Probes every `(address, upgrade, limit)` on a few threads, each within its own time
    /// limit; the result at index `i` is for `targets[i]`. Bounded by about the longest limit
    /// × ⌈targets / 8⌉.
    pub fn probe_all(&self, targets: &[(SocketAddr, Upgrade, Duration)]) -> Vec<Transport> {
        let next = AtomicUsize::new(0);
        let workers = targets.len().clamp(1, MAX_PARALLEL_PROBES);
        let mut results = BTreeMap::new();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&(address, upgrade, limit)) = targets.get(i) else {
                                return done;
                            };
                            done.push((i, self.probe_within(address, upgrade, limit)));
                        }
                    })
                })
                .collect();
            for handle in handles {
                // A probe that panicked leaves its target without a result; it is reported
                // below rather than taking the whole check down.
                if let Ok(done) = handle.join() {
                    results.extend(done);
                }
            }
        });
        (0..targets.len())
            .map(|i| {
                results
                    .remove(&i)
                    .unwrap_or_else(|| Transport::Unreachable {
                        error: "the probe failed unexpectedly".into(),
                    })
            })
            .collect()
    }

    /// Connects to `address`, performs `upgrade`, and attempts a TLS handshake.
    pub fn probe(&self, address: SocketAddr, upgrade: Upgrade) -> Transport {
        self.probe_within(address, upgrade, self.timeout)
    }

    /// [`Prober::probe`] within `limit` for the connection, the upgrade and the handshake.
    pub fn probe_within(
        &self,
        address: SocketAddr,
        upgrade: Upgrade,
        limit: Duration,
    ) -> Transport {
        let deadline = Deadline::after(limit);
        let mut stream = match TcpStream::connect_timeout(&address, limit) {
            Ok(stream) => stream,
            Err(err) => {
                return Transport::Unreachable {
                    error: format!("connecting to {address}: {err}"),
                };
            }
        };
        let upgraded = match upgrade {
            Upgrade::None => Ok(None),
            Upgrade::Postgres => postgres_ssl_request(&mut stream, &deadline),
            Upgrade::Smtp => smtp_starttls(&mut stream, &deadline),
        };
        match upgraded {
            Ok(upgraded) => self.handshake(&mut stream, &deadline, upgraded),
            Err(reason) => Transport::Plaintext { reason },
        }
    }

    fn handshake(
        &self,
        stream: &mut TcpStream,
        deadline: &Deadline,
        upgrade: Option<&'static str>,
    ) -> Transport {
        let mut tls = match ClientConnection::new(self.config.clone(), self.server_name.clone()) {
            Ok(tls) => tls,
            Err(err) => {
                return Transport::Unreachable {
                    error: format!("starting a TLS handshake: {err}"),
                };
            }
        };
        let mut buffer = vec![0u8; 16 * 1024];
        let mut answered = false;
        while tls.is_handshaking() {
            if let Err(err) = flush(&mut tls, stream, deadline) {
                return interrupted(&err, answered, deadline);
            }
            let n = match deadline.read(stream, &mut buffer) {
                Ok(0) => return closed(answered),
                Ok(n) => n,
                Err(err) => return interrupted(&err, answered, deadline),
            };
            let mut received = buffer.get(..n).unwrap_or_default();
            if !answered {
                answered = true;
                if let Some(other) = not_tls(received) {
                    return other;
                }
            }
            if let Err(err) = feed(&mut tls, &mut received) {
                // Tell the server why we stop (rustls queued an alert); it may be gone already.
                let _ = flush(&mut tls, stream, deadline);
                return handshake_failed(&err);
            }
        }
        // Our Finished may still be queued; sending it is a courtesy to the server's logs.
        let _ = flush(&mut tls, stream, deadline);
        Transport::Tls(session(&tls, upgrade))
    }
}

/// Hands what the server sent to rustls and lets it process the records.
fn feed(tls: &mut ClientConnection, received: &mut &[u8]) -> Result<(), TlsError> {
    while !received.is_empty() {
        tls.read_tls(received)
            .map_err(|e| TlsError::General(e.to_string()))?;
        tls.process_new_packets()?;
    }
    Ok(())
}

/// Sends whatever rustls has queued (handshake messages, an alert).
fn flush(
    tls: &mut ClientConnection,
    stream: &mut TcpStream,
    deadline: &Deadline,
) -> io::Result<()> {
    while tls.wants_write() {
        stream.set_write_timeout(Some(deadline.remaining()?))?;
        tls.write_tls(stream)?;
    }
    Ok(())
}

/// A handshake that rustls stopped: the server speaks TLS, but not in a way we accept.
fn handshake_failed(err: &TlsError) -> Transport {
    let detail = match err {
        TlsError::AlertReceived(alert) => {
            format!("the server ended the handshake with the alert `{alert:?}`")
        }
        other => other.to_string(),
    };
    // A server whose oldest version is newer than TLS 1.1 would have accepted our 1.2 or 1.3;
    // one that rejects them by version, or picks an older one, has nothing newer to offer.
    let outdated = matches!(
        err,
        TlsError::AlertReceived(AlertDescription::ProtocolVersion)
            | TlsError::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13)
    );
    if outdated {
        Transport::OutdatedTls { detail }
    } else {
        Transport::TlsRefused { detail }
    }
}

/// The connection failed or went quiet. Before the server sent anything, that is how a
/// non-TLS service reacts to a ClientHello it cannot parse; after it answered with TLS, the
/// TLS server gave up on us.
fn interrupted(err: &io::Error, answered: bool, deadline: &Deadline) -> Transport {
    let waited = deadline.total.as_secs_f64();
    match (answered, is_timeout(err)) {
        (false, true) => Transport::Plaintext {
            reason: format!("it did not answer a TLS ClientHello within {waited} s"),
        },
        (false, false) if err.kind() == io::ErrorKind::ConnectionReset => Transport::Plaintext {
            reason: "it reset the connection on a TLS ClientHello without answering".into(),
        },
        (false, false) => Transport::Plaintext {
            reason: format!("the connection failed on a TLS ClientHello: {err}"),
        },
        (true, true) => Transport::TlsRefused {
            detail: format!(
                "the server stopped answering partway through the handshake (limit {waited} s)"
            ),
        },
        (true, false) => Transport::TlsRefused {
            detail: format!("the connection failed during the handshake: {err}"),
        },
    }
}

fn closed(answered: bool) -> Transport {
    if answered {
        Transport::TlsRefused {
            detail: "the server closed the connection partway through the handshake".into(),
        }
    } else {
        Transport::Plaintext {
            reason: "it closed the connection on a TLS ClientHello without answering".into(),
        }
    }
}

/// What the first bytes of an answer say when they are not a TLS record: an SSH banner, or
/// some other protocol. `None` for a TLS record header (content type 20–24, major version 3).
fn not_tls(received: &[u8]) -> Option<Transport> {
    if let Some(banner) = received.strip_prefix(b"SSH-") {
        let line = banner
            .split(|b| *b == b'\r' || *b == b'\n')
            .next()
            .unwrap_or_default();
        let banner: String = String::from_utf8_lossy(line)
            .chars()
            .filter(|c| !c.is_control())
            .take(80)
            .collect();
        return Some(Transport::Ssh {
            banner: format!("SSH-{banner}"),
        });
    }
    let tls_record = match received {
        [content_type, rest @ ..] if (20..=24).contains(content_type) => {
            rest.first().is_none_or(|major| *major == 3)
        }
        _ => false,
    };
    // Only the protocol is named, never the bytes: a service's answer is its business, and
    // findings must not carry data from it.
    let reason = if received.starts_with(b"HTTP/") {
        "it answered a TLS ClientHello in plain HTTP"
    } else {
        "it answered a TLS ClientHello with data that is not TLS"
    };
    (!tls_record).then(|| Transport::Plaintext {
        reason: reason.into(),
    })
}

fn session(tls: &ClientConnection, upgrade: Option<&'static str>) -> TlsSession {
    let version = match tls.protocol_version() {
        Some(ProtocolVersion::TLSv1_3) => "TLS 1.3".to_owned(),
        Some(ProtocolVersion::TLSv1_2) => "TLS 1.2".to_owned(),
        Some(other) => format!("{other:?}"),
        None => "an unknown version".to_owned(),
    };
    let cipher_suite = tls.negotiated_cipher_suite().map_or_else(
        || "an unknown cipher suite".to_owned(),
        |s| format!("{:?}", s.suite()),
    );
    let certificate = tls
        .peer_certificates()
        .and_then(|chain| chain.first())
        .ok_or_else(|| "the server sent no certificate".to_owned())
        .and_then(|leaf| x509::parse_certificate(leaf));
    TlsSession {
        version,
        cipher_suite,
        upgrade,
        certificate,
    }
}

/// PostgreSQL negotiates TLS inside its own protocol: it answers an SSLRequest with `S` and
/// then expects the handshake, or `N` when TLS is off. A plain ClientHello would only get an
/// error, which would say nothing about whether TLS is available. `Err` says why the
/// connection stays plaintext.
fn postgres_ssl_request(
    stream: &mut TcpStream,
    deadline: &Deadline,
) -> Result<Option<&'static str>, String> {
    let plaintext = |reason: &str| reason.to_owned();
    let mut answer = [0u8; 1];
    deadline
        .write_all(stream, &POSTGRES_SSL_REQUEST)
        .and_then(|()| deadline.read(stream, &mut answer))
        .map_err(|err| deadline.failure("a PostgreSQL SSLRequest", &err))
        .and_then(|n| match (n, answer[0]) {
            (1, b'S') => Ok(Some("SSLRequest")),
            (1, b'N') => Err(plaintext(
                "it is a PostgreSQL server with TLS turned off (it declined the SSLRequest)",
            )),
            (1, _) => Err(plaintext(
                "it answered a PostgreSQL SSLRequest with something other than yes or no",
            )),
            _ => Err(plaintext(
                "it closed the connection on a PostgreSQL SSLRequest",
            )),
        })
}

/// SMTP negotiates TLS with `STARTTLS` after `EHLO`. Returns `Some("STARTTLS")` once the
/// server agreed, or `None` when it sent no greeting: a server that waits for the client to
/// speak first may be speaking TLS on this port, so the handshake is tried as it is. `Err`
/// says why the connection stays plaintext.
fn smtp_starttls(
    stream: &mut TcpStream,
    deadline: &Deadline,
) -> Result<Option<&'static str>, String> {
    let plaintext = |reason: &str| reason.to_owned();
    let greeting_deadline = deadline.fraction(2);
    match read_smtp_reply(stream, &greeting_deadline) {
        Ok(greeting) if greeting.starts_with("220") => {}
        Ok(_) => return Err(plaintext("it sent a greeting that is not SMTP")),
        Err(err) if is_timeout(&err) => return Ok(None),
        Err(err) => return Err(plaintext(&deadline.failure("an SMTP greeting", &err))),
    }
    let exchange = |stream: &mut TcpStream, command: &[u8]| {
        deadline
            .write_all(stream, command)
            .and_then(|()| read_smtp_reply(stream, deadline))
            .map_err(|err| plaintext(&deadline.failure("an SMTP command", &err)))
    };
    let capabilities = exchange(stream, b"EHLO phiguard.invalid\r\n")?;
    let offers_starttls = capabilities.starts_with("250")
        && capabilities.lines().any(|line| {
            line.get(4..)
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("STARTTLS"))
        });
    if !offers_starttls {
        return Err(plaintext(
            "it is an SMTP server that does not offer STARTTLS, so mail to it travels unencrypted",
        ));
    }
    let answer = exchange(stream, b"STARTTLS\r\n")?;
    if !answer.starts_with("220") {
        return Err(plaintext(
            "it is an SMTP server that lists STARTTLS but refused it",
        ));
    }
    Ok(Some("STARTTLS"))
}

/// One SMTP reply, all its lines: complete when the last line has a space after the code.
fn read_smtp_reply(stream: &mut TcpStream, deadline: &Deadline) -> io::Result<String> {
    let mut reply = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = deadline.read(stream, &mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        reply.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if reply.len() > MAX_SMTP_REPLY {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the reply is too long",
            ));
        }
        let text = String::from_utf8_lossy(&reply);
        if text.ends_with('\n') {
            let last = text.trim_end().rsplit('\n').next().unwrap_or_default();
            if last.as_bytes().get(3).is_none_or(|b| *b == b' ') {
                return Ok(text.into_owned());
            }
        }
    }
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The time one probe has left, across the connect, the upgrade and the handshake, so a
/// server that trickles bytes cannot hold a probe longer than a silent one.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    end: Instant,
    total: Duration,
}

impl Deadline {
    fn after(total: Duration) -> Deadline {
        Deadline {
            end: Instant::now() + total,
            total,
        }
    }

    /// A deadline `1/divisor` of the total away, never later than this one.
    fn fraction(&self, divisor: u32) -> Deadline {
        let total = self.total / divisor;
        Deadline {
            end: self.end.min(Instant::now() + total),
            total,
        }
    }

    fn remaining(&self) -> io::Result<Duration> {
        self.end
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or_else(|| io::ErrorKind::TimedOut.into())
    }

    fn read(&self, stream: &mut TcpStream, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            stream.set_read_timeout(Some(self.remaining()?))?;
            match stream.read(buffer) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                result => return result,
            }
        }
    }

    fn write_all(&self, stream: &mut TcpStream, data: &[u8]) -> io::Result<()> {
        stream.set_write_timeout(Some(self.remaining()?))?;
        stream.write_all(data)
    }

    /// Why waiting for `what` failed, for a message.
    fn failure(&self, what: &str, err: &io::Error) -> String {
        if is_timeout(err) {
            format!(
                "it did not answer {what} within {} s",
                self.total.as_secs_f64()
            )
        } else if err.kind() == io::ErrorKind::UnexpectedEof {
            format!("it closed the connection on {what}")
        } else {
            format!("the connection failed on {what}: {err}")
        }
    }
}

/// Accepts every certificate: the probe records certificates to judge them, and a handshake
/// that stopped at an expired or self-signed one would hide everything else about the
/// server. The handshake signatures are still verified with the provider's algorithms, so
/// the session was really negotiated with the holder of the certificate's key and the
/// certificate we record is the one that server uses.
#[derive(Debug)]
struct InventoryVerifier {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for InventoryVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
