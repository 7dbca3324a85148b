//! Listening TCP sockets as the kernel lists them in `/proc/net/tcp` and `/proc/net/tcp6`, and
//! the processes that hold them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// The `st` column of a socket in the TCP LISTEN state (`TCP_LISTEN` in the kernel's
/// `include/net/tcp_states.h`).
const LISTEN: &str = "0A";

/// One listening TCP socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// The local address, with IPv4-mapped IPv6 addresses (`::ffff:10.0.0.5`) turned back into
    /// IPv4, since that is the address clients use and the one an operator recognises.
    pub address: SocketAddr,
    /// The socket's inode number, which links it to the process holding it.
    pub inode: u64,
}

impl Listener {
    /// Whether the socket accepts connections from any address of its family
    /// (`0.0.0.0` or `::`).
    pub fn is_wildcard(&self) -> bool {
        self.address.ip().is_unspecified()
    }

    /// Whether only this machine can connect: bound to a loopback address
    /// (`127.0.0.0/8`, `::1`). Nothing sent to it crosses a network.
    pub fn is_loopback(&self) -> bool {
        self.address.ip().is_loopback()
    }

    /// Where to connect to reach the socket: a wildcard listener also answers on the loopback
    /// address of its family, which always exists; any other listener on its own address.
    pub fn probe_address(&self) -> SocketAddr {
        let ip = match self.address.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        SocketAddr::new(ip, self.address.port())
    }
}

impl fmt::Display for Listener {
    /// `0.0.0.0:443` or `[::]:443`, as `ss` shows them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.address.fmt(f)
    }
}

/// A socket table that could not be read or understood.
#[derive(Debug, Error)]
pub enum SocketTableError {
    #[error("{}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}, line {line}: {problem}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        problem: String,
    },
}

/// The listening TCP sockets under `proc_dir` (`/proc` on a live system; a fixture directory
/// in tests), from `net/tcp` and `net/tcp6`, deduplicated by address and port and sorted.
///
/// A missing `net/tcp6` is normal on a kernel without IPv6; a missing `net/tcp` is not.
pub fn read_listeners(proc_dir: &Path) -> Result<Vec<Listener>, SocketTableError> {
    let mut all = Vec::new();
    for (name, optional) in [("tcp", false), ("tcp6", true)] {
        let path = proc_dir.join("net").join(name);
        match fs::read_to_string(&path) {
            Ok(text) => all.extend(parse_socket_table(&text, &path)?),
            Err(err) if optional && err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(SocketTableError::Read { path, source }),
        }
    }
    // Several sockets can share an address with SO_REUSEPORT, and a dual-stack service may
    // show the same IPv4 address through both tables; probing it twice would say nothing new.
    let mut seen = BTreeSet::new();
    all.retain(|l| seen.insert(l.address));
    all.sort_by_key(|l| (l.address.port(), l.address.ip()));
    Ok(all)
}

/// The listening sockets in one `/proc/net/tcp` or `/proc/net/tcp6` table; `path` names the
/// table in errors. The header line is skipped; every other line must be well formed.
pub fn parse_socket_table(text: &str, path: &Path) -> Result<Vec<Listener>, SocketTableError> {
    let mut listeners = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let malformed = |problem: String| SocketTableError::Malformed {
            path: path.to_owned(),
            line: index + 1,
            problem,
        };
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, local, _, state, _, _, _, _, _, inode, ..] = fields[..] else {
            return Err(malformed(format!(
                "expected at least 10 columns, found {}",
                fields.len()
            )));
        };
        if !state.eq_ignore_ascii_case(LISTEN) {
            continue;
        }
        let address = parse_address(local).map_err(|p| malformed(format!("{local:?}: {p}")))?;
        let inode = inode
            .parse()
            .map_err(|_| malformed(format!("inode {inode:?} is not a number")))?;
        listeners.push(Listener { address, inode });
    }
    Ok(listeners)
}

/// `0100007F:0016` → `127.0.0.1:22`. The kernel prints the address as the 32-bit words of
/// network-order bytes in host order (`%08X` per word), so on little-endian machines each
/// word's bytes are reversed; the port is plain hex.
fn parse_address(text: &str) -> Result<SocketAddr, String> {
    let (ip, port) = text.split_once(':').ok_or("expected ADDRESS:PORT in hex")?;
    let port = u16::from_str_radix(port, 16).map_err(|_| format!("port {port:?} is not hex"))?;
    let words = ip
        .as_bytes()
        .chunks(8)
        .map(|chunk| {
            std::str::from_utf8(chunk)
                .ok()
                .filter(|w| w.len() == 8)
                .and_then(|w| u32::from_str_radix(w, 16).ok())
                .map(|w| w.to_ne_bytes())
                .ok_or_else(|| format!("address {ip:?} is not 8 or 32 hex digits"))
        })
        .collect::<Result<Vec<[u8; 4]>, String>>()?;
    let ip = match words[..] {
        [a] => IpAddr::V4(Ipv4Addr::from(a)),
        [a, b, c, d] => {
            let mut octets = [0u8; 16];
            for (slot, word) in octets.chunks_mut(4).zip([a, b, c, d]) {
                slot.copy_from_slice(&word);
            }
            IpAddr::V6(Ipv6Addr::from(octets)).to_canonical()
        }
        _ => return Err(format!("address {ip:?} is not 8 or 32 hex digits")),
    };
    Ok(SocketAddr::new(ip, port))
}

/// The names of the processes holding each of the `wanted` socket inodes, from the
/// `socket:[INODE]` links under `/proc/PID/fd` and `/proc/PID/comm`.
///
/// Best effort: without root, other users' `fd` directories cannot be read, and processes come
/// and go while we look; what cannot be read is skipped, so a socket may map to no process.
pub fn socket_owners(proc_dir: &Path, wanted: &BTreeSet<u64>) -> BTreeMap<u64, BTreeSet<String>> {
    let mut owners: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    if wanted.is_empty() {
        return owners;
    }
    let Ok(entries) = fs::read_dir(proc_dir) else {
        return owners;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let held: Vec<u64> = fds
            .flatten()
            .filter_map(|fd| fs::read_link(fd.path()).ok())
            .filter_map(|target| socket_inode(&target))
            .filter(|inode| wanted.contains(inode))
            .collect();
        if held.is_empty() {
            continue;
        }
        let comm = fs::read_to_string(entry.path().join("comm"))
            .map(|c| c.trim_end().to_owned())
            .unwrap_or_default();
        let owner = if comm.is_empty() {
            format!("pid {pid}")
        } else {
            format!("{comm} (pid {pid})")
        };
        for inode in held {
            owners.entry(inode).or_default().insert(owner.clone());
        }
    }
    owners
}

/// The inode of an fd link target such as `socket:[12345]`.
fn socket_inode(target: &Path) -> Option<u64> {
    target
        .to_str()?
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}
