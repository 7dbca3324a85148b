//! The management and database ports that must never accept connections from anywhere: one
//! port model for every firewall phiguard judges (a host's nftables or iptables, a cloud
//! account's security groups and network ACLs).

/// A management or database service that must never accept connections from anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminService {
    pub port: u16,
    /// The name nft uses for the port, where it has one.
    pub name: &'static str,
    /// What runs there, for people.
    pub what: &'static str,
    pub protocols: &'static [&'static str],
}

impl AdminService {
    /// `port 22 (ssh)`.
    pub fn subject(&self) -> String {
        format!("port {} ({})", self.port, self.name)
    }
}

const TCP: &[&str] = &["tcp"];

/// Remote administration and database ports: open to the internet they are brute-forced
/// within minutes, and a database behind them is where the ePHI is.
pub const ADMIN_SERVICES: &[AdminService] = &[
    AdminService {
        port: 22,
        name: "ssh",
        what: "remote shell",
        protocols: TCP,
    },
    AdminService {
        port: 23,
        name: "telnet",
        what: "unencrypted remote shell",
        protocols: TCP,
    },
    AdminService {
        port: 3389,
        name: "rdp",
        what: "remote desktop",
        protocols: TCP,
    },
    AdminService {
        port: 5900,
        name: "vnc",
        what: "remote desktop",
        protocols: TCP,
    },
    AdminService {
        port: 5432,
        name: "postgresql",
        what: "PostgreSQL database",
        protocols: TCP,
    },
    AdminService {
        port: 3306,
        name: "mysql",
        what: "MySQL database",
        protocols: TCP,
    },
    AdminService {
        port: 1433,
        name: "ms-sql-s",
        what: "SQL Server database",
        protocols: TCP,
    },
    AdminService {
        port: 1521,
        name: "oracle",
        what: "Oracle database",
        protocols: TCP,
    },
    AdminService {
        port: 6379,
        name: "redis",
        what: "Redis",
        protocols: TCP,
    },
    AdminService {
        port: 27017,
        name: "mongodb",
        what: "MongoDB database",
        protocols: TCP,
    },
    AdminService {
        port: 9200,
        name: "elasticsearch",
        what: "Elasticsearch",
        protocols: TCP,
    },
    // memcached answers on UDP too, which made it the amplifier of record-size DDoS attacks.
    AdminService {
        port: 11211,
        name: "memcached",
        what: "memcached",
        protocols: &["tcp", "udp"],
    },
    AdminService {
        port: 2375,
        name: "docker",
        what: "Docker API without TLS, root on the host",
        protocols: TCP,
    },
    AdminService {
        port: 2376,
        name: "docker-tls",
        what: "Docker API",
        protocols: TCP,
    },
];
