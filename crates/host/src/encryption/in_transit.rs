//! Encryption in transit: HIPAA §164.312(e)(1) transmission security and its addressable
//! specification (e)(2)(ii), encryption.
//!
//! Every listening TCP socket is a door ePHI can travel through. The checks read the sockets
//! from `/proc/net/tcp{,6}`, knock on each one with a TLS handshake (after the protocol's own
//! upgrade for PostgreSQL and SMTP), and judge what they find: services reachable from the
//! network without TLS, TLS servers stuck on old versions, and certificates that have expired,
//! are about to, or vouch only for themselves.
//!
//! The probe's TLS client speaks TLS 1.2 and 1.3 only, so `tls_versions` catches servers that
//! offer nothing newer than 1.1; a server that still accepts 1.0 *alongside* 1.2 is not seen.

pub mod probe;
pub mod sockets;
pub mod x509;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use phiguard_core::{Check, CheckError, CheckMeta, Finding, Severity, Status};

use self::probe::{Prober, Transport, Upgrade};
use self::sockets::Listener;
use crate::{FnCheck, PerRun, Settings, live_only, meta};

/// How long one listener gets for the connection, any upgrade and the handshake together.
/// A local service that has not answered in 2 s is not going to, and a host with a dozen
/// silent ports still finishes in a few seconds because probes run in parallel.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a listener bound to loopback only gets. On loopback a TLS server answers a
/// ClientHello within microseconds; one that has not answered in this long waits for its
/// client to speak first (Redis, Erlang distribution), which is plaintext. Either way its
/// traffic never crosses a network, so its plaintext finding passes, and waiting the full
/// [`PROBE_TIMEOUT`] on it would only make every assessment seconds slower.
pub const LOOPBACK_PROBE_TIMEOUT: Duration = Duration::from_millis(250);

/// A certificate expiring within this many days gets a warning: time to renew before
/// clients start refusing it.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

const SECONDS_PER_DAY: i64 = 24 * 60 * 60;

pub fn checks(_settings: &Settings) -> Vec<Box<dyn Check>> {
    let shared = Arc::new(SharedSurvey::default());
    vec![
        surveying(
            meta(
                "host.encryption.plaintext_listeners",
                "Services reachable from the network use TLS",
                Severity::High,
                "HIPAA 164.312(e)(1) requires guarding ePHI against unauthorized access while it \
                 is transmitted over a network, and (e)(2)(ii) calls for encrypting it. A service \
                 that accepts connections from other machines without TLS (or SSH) sends \
                 whatever it carries, ePHI and credentials included, readable by anyone on the \
                 path. Services bound to loopback only never transmit, and pass.",
                "Turn on TLS in the service's configuration (or put it behind a TLS-terminating \
                 proxy), or bind it to 127.0.0.1 if only programs on this machine use it. Until \
                 then, block the port in the host firewall for everything but the clients that \
                 need it.",
            ),
            Arc::clone(&shared),
            plaintext_findings,
        ),
        surveying(
            meta(
                "host.encryption.tls_versions",
                "TLS services offer TLS 1.2 or newer",
                Severity::High,
                "TLS 1.0 and 1.1 have known weaknesses and are deprecated (RFC 8996); NIST SP \
                 800-52r2, which HHS points to for encryption in transit, requires TLS 1.2 or \
                 later. A service that offers nothing newer leaves ePHI protected by broken \
                 cryptography.",
                "Configure the service to offer TLS 1.2 and 1.3 (for example `ssl_protocols \
                 TLSv1.2 TLSv1.3;` in nginx, `SSLProtocol -all +TLSv1.2 +TLSv1.3` in Apache, \
                 `ssl_min_protocol_version = 'TLSv1.2'` in PostgreSQL) with current cipher \
                 suites, and upgrade its TLS library if it cannot.",
            ),
            Arc::clone(&shared),
            version_findings,
        ),
        surveying(
            meta(
                "host.encryption.tls_certificates",
                "TLS certificates are current and issued by a certificate authority",
                Severity::Medium,
                "A TLS session is only as good as the client's ability to tell the real server \
                 from an impostor. An expired certificate makes careful clients refuse to \
                 connect and teaches people to click through warnings; a self-signed one gives \
                 clients nothing to check unless they were set up to trust that exact \
                 certificate.",
                "Renew the certificate before it expires (automate it, e.g. with an ACME client \
                 or your internal CA's tooling) and reload the service. Replace self-signed \
                 certificates with ones from your organisation's CA or a public CA, unless \
                 every client pins this certificate explicitly.",
            ),
            shared,
            certificate_findings,
        ),
    ]
}

/// One listening socket and what it turned out to speak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub listener: Listener,
    /// The processes holding the socket, as `nginx (pid 812)`; empty when they cannot be
    /// seen (another user's process, without root).
    pub processes: Vec<String>,
    pub transport: Transport,
}

impl Observation {
    /// The listener for a message: `nginx (pid 812) on 0.0.0.0:443 (every IPv4 address)`.
    fn service(&self) -> String {
        let who = if self.processes.is_empty() {
            "The service".to_owned()
        } else {
            self.processes.join(", ")
        };
        let listener = &self.listener;
        let scope = match listener.address.ip() {
            _ if listener.is_loopback() => " (loopback only)",
            IpAddr::V4(_) if listener.is_wildcard() => " (every IPv4 address)",
            IpAddr::V6(_) if listener.is_wildcard() => " (every IPv6 address)",
            _ => "",
        };
        format!("{who} on {listener}{scope}")
    }
}

/// Reads the listening sockets under `proc_dir`, probes each one (sending `server_name` as
/// SNI, at most `timeout` each) and names the processes that hold them.
pub fn survey(
    proc_dir: &Path,
    server_name: &str,
    timeout: Duration,
) -> Result<Vec<Observation>, CheckError> {
    let listeners =
        sockets::read_listeners(proc_dir).map_err(|e| CheckError::new(e.to_string()))?;
    let prober = Prober::new(server_name, timeout).map_err(CheckError::new)?;
    let targets: Vec<(SocketAddr, Upgrade, Duration)> = listeners
        .iter()
        .map(|l| {
            let limit = if l.is_loopback() {
                timeout.min(LOOPBACK_PROBE_TIMEOUT)
            } else {
                timeout
            };
            (
                l.probe_address(),
                Upgrade::for_port(l.address.port()),
                limit,
            )
        })
        .collect();
    let transports = prober.probe_all(&targets);
    let inodes = listeners.iter().map(|l| l.inode).collect();
    let owners = sockets::socket_owners(proc_dir, &inodes);
    Ok(listeners
        .into_iter()
        .zip(transports)
        .map(|(listener, transport)| Observation {
            processes: owners
                .get(&listener.inode)
                .map(|names| names.iter().cloned().collect())
                .unwrap_or_default(),
            listener,
            transport,
        })
        .collect())
}

/// The survey the three checks judge, taken once per run: each port is knocked on once.
type SharedSurvey = PerRun<Result<Vec<Observation>, CheckError>>;

type Judge = fn(&CheckMeta, &[Observation], Timestamp) -> Vec<Finding>;

/// A live-only check that judges the shared survey with `judge`.
fn surveying(meta: CheckMeta, shared: Arc<SharedSurvey>, judge: Judge) -> Box<dyn Check> {
    FnCheck::boxed(meta, move |meta, ctx| {
        if let Some(skipped) = live_only(meta, ctx) {
            return Ok(skipped);
        }
        let survey = shared.get(ctx, || {
            let server_name = ctx.host.as_deref().unwrap_or("localhost");
            survey(&ctx.path("/proc"), server_name, PROBE_TIMEOUT)
        });
        let observations = survey.as_ref().as_ref().map_err(Clone::clone)?;
        Ok(judge(meta, observations, ctx.now))
    })
}

/// One finding per listener: plaintext reachable from the network fails.
pub fn plaintext_findings(
    meta: &CheckMeta,
    observations: &[Observation],
    _now: Timestamp,
) -> Vec<Finding> {
    if observations.is_empty() {
        return vec![meta.finding(
            Status::Pass,
            "listening sockets",
            "Nothing listens on TCP on this host, so nothing here can receive data unencrypted.",
        )];
    }
    observations
        .iter()
        .map(|o| {
            let service = o.service();
            let local = o.listener.is_loopback();
            let (status, message) = match &o.transport {
                Transport::Tls(session) => (
                    Status::Pass,
                    format!(
                        "{service} speaks {}{}.",
                        session.version,
                        upgrade_note(session)
                    ),
                ),
                Transport::OutdatedTls { .. } | Transport::TlsRefused { .. } => (
                    Status::Pass,
                    format!(
                        "{service} speaks TLS, though not in a way phiguard's TLS 1.2/1.3 \
                         client accepts; host.encryption.tls_versions has the details."
                    ),
                ),
                Transport::Ssh { banner } => (
                    Status::Pass,
                    format!("{service} is an SSH server ({banner}); SSH encrypts its own traffic."),
                ),
                Transport::Plaintext { reason } if local => (
                    Status::Pass,
                    format!(
                        "{service} does not use TLS: {reason}. Only this machine can connect \
                         to it, so its traffic never crosses a network."
                    ),
                ),
                Transport::Plaintext { reason } => (
                    Status::Fail,
                    format!(
                        "{service} does not use TLS: {reason}. It accepts connections from \
                         the network, so whatever it carries, ePHI and passwords included, can \
                         be read or altered on the way."
                    ),
                ),
                Transport::Unreachable { error } if local => (
                    Status::Pass,
                    format!(
                        "{service} could not be probed: {error}. Only this machine can \
                         connect to it, so its traffic never crosses a network."
                    ),
                ),
                Transport::Unreachable { error } => (
                    Status::Warn,
                    format!(
                        "phiguard could not connect to {service} to see whether it uses TLS \
                         ({error}). A local firewall rule may block the probe; check the \
                         service's configuration by hand."
                    ),
                ),
            };
            meta.finding(status, o.listener.to_string(), message)
        })
        .collect()
}

/// One finding per listener that speaks TLS: nothing newer than 1.1 fails; a handshake the
/// server refused for another reason warns, since we could not see what it offers.
pub fn version_findings(
    meta: &CheckMeta,
    observations: &[Observation],
    _now: Timestamp,
) -> Vec<Finding> {
    let findings: Vec<Finding> = observations
        .iter()
        .filter_map(|o| {
            let service = o.service();
            let (status, message) = match &o.transport {
                Transport::Tls(session) => (
                    Status::Pass,
                    format!(
                        "{service} negotiated {} with {}{}.",
                        session.version,
                        session.cipher_suite,
                        upgrade_note(session)
                    ),
                ),
                Transport::OutdatedTls { detail } => (
                    Status::Fail,
                    format!(
                        "{service} offers only TLS versions older than 1.2 ({detail}). TLS 1.0 \
                         and 1.1 are deprecated and have known attacks; current clients refuse \
                         them, and the ones that still accept them get weak protection."
                    ),
                ),
                Transport::TlsRefused { detail } => (
                    Status::Warn,
                    format!(
                        "{service} speaks TLS but refused a handshake offering TLS 1.2 and 1.3 \
                         with current cipher suites ({detail}). It may accept only obsolete \
                         cipher suites, or insist on a client certificate; check its TLS \
                         configuration."
                    ),
                ),
                Transport::Ssh { .. }
                | Transport::Plaintext { .. }
                | Transport::Unreachable { .. } => return None,
            };
            Some(meta.finding(status, o.listener.to_string(), message))
        })
        .collect();
    or_no_tls(meta, findings, "TLS versions")
}

/// One finding per TLS listener about its certificate: expired fails; not yet valid,
/// expiring soon and self-signed warn.
pub fn certificate_findings(
    meta: &CheckMeta,
    observations: &[Observation],
    now: Timestamp,
) -> Vec<Finding> {
    let findings: Vec<Finding> = observations
        .iter()
        .filter_map(|o| {
            let Transport::Tls(session) = &o.transport else {
                return None;
            };
            let service = o.service();
            let finding = match &session.certificate {
                Err(problem) => meta.finding(
                    Status::Warn,
                    o.listener.to_string(),
                    format!(
                        "{service} speaks {}, but its certificate could not be read: {problem}.",
                        session.version
                    ),
                ),
                Ok(certificate) => {
                    let (status, message) = judge_certificate(certificate, now);
                    let named = if certificate.subject.is_empty() {
                        "with an empty subject".to_owned()
                    } else {
                        format!("for {}", certificate.subject)
                    };
                    meta.finding(
                        status,
                        o.listener.to_string(),
                        format!("{service} presents a certificate {named}. {message}"),
                    )
                }
            };
            Some(finding)
        })
        .collect();
    or_no_tls(meta, findings, "certificates")
}

/// The status of a certificate at `now`, and the sentences that explain it.
fn judge_certificate(certificate: &x509::CertificateInfo, now: Timestamp) -> (Status, String) {
    let days_left = (certificate.not_after.as_second() - now.as_second()) / SECONDS_PER_DAY;
    let until = day(certificate.not_after);
    let mut status = Status::Pass;
    let mut problems = Vec::new();
    if certificate.not_after <= now {
        status = Status::Fail;
        problems.push(format!(
            "It expired on {until}, {} days ago: clients that check certificates refuse the \
             connection, and clients that do not cannot tell this server from an impostor.",
            -days_left
        ));
    } else if certificate.not_before > now {
        status = Status::Warn;
        problems.push(format!(
            "It is not valid until {}, so clients refuse it until then; check the clock and \
             the certificate.",
            day(certificate.not_before)
        ));
    } else if days_left < EXPIRY_WARNING_DAYS {
        status = Status::Warn;
        problems.push(format!(
            "It expires on {until}, in {days_left} days; renew it before clients start \
             refusing it."
        ));
    }
    if certificate.self_signed {
        if status == Status::Pass {
            status = Status::Warn;
        }
        problems.push(
            "It is self-signed, so no certificate authority vouches for it. That is fine for \
             an internal service whose clients are set up to trust this exact certificate; \
             anything else should get one from your organisation's CA or a public CA."
                .to_owned(),
        );
    }
    if problems.is_empty() {
        let message = format!(
            "It is issued by a certificate authority and valid until {until} ({days_left} days)."
        );
        return (status, message);
    }
    (status, problems.join(" "))
}

/// The findings, or one saying there was nothing to judge.
fn or_no_tls(meta: &CheckMeta, findings: Vec<Finding>, what: &str) -> Vec<Finding> {
    if !findings.is_empty() {
        return findings;
    }
    vec![meta.finding(
        Status::NotApplicable,
        "TLS listeners",
        format!(
            "No listener on this host gave phiguard any {what} to judge; \
             host.encryption.plaintext_listeners covers the listeners without TLS."
        ),
    )]
}

fn upgrade_note(session: &probe::TlsSession) -> String {
    session
        .upgrade
        .map(|how| format!(" (after {how})"))
        .unwrap_or_default()
}

fn day(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}
