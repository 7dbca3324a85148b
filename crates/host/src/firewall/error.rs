//! Why a ruleset could not be read, worded for the person who has to look at the firewall.

use std::fmt;

use thiserror::Error;

/// Where in a tool's output the parser gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The index of the element in the `nftables` array of `nft -j` output.
    Element(usize),
    /// A line (1-based) of iptables-save output.
    Line(usize),
    /// Where JSON syntax broke, as serde_json reports it (1-based).
    LineColumn(usize, usize),
    /// The shape of the document as a whole.
    Document,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Element(i) => write!(f, "element {i} of the `nftables` array"),
            Position::Line(n) => write!(f, "line {n}"),
            Position::LineColumn(l, c) => write!(f, "line {l}, column {c}"),
            Position::Document => f.write_str("the document"),
        }
    }
}

/// Output of a firewall tool that does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "the firewall ruleset printed by `{source_name}` could not be understood at {position}: \
     {problem}. Run `{source_name}` yourself to see it; if the tool's output looks right, \
     please report it to phiguard with that output"
)]
pub struct ParseError {
    /// The command that printed it, e.g. `nft -j list ruleset`.
    pub source_name: String,
    pub position: Position,
    pub problem: String,
}

impl ParseError {
    pub(crate) fn new(
        source_name: &str,
        position: Position,
        problem: impl Into<String>,
    ) -> ParseError {
        ParseError {
            source_name: source_name.to_owned(),
            position,
            problem: problem.into(),
        }
    }
}

/// Why no ruleset could be read at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReadError {
    #[error(transparent)]
    Malformed(#[from] ParseError),
    #[error(
        "neither `nft` nor `iptables-save` is installed, so the kernel's firewall cannot be \
         read; install the nftables package (`apt-get install nftables`, `dnf install nftables`)"
    )]
    NoTools,
    #[error("the firewall ruleset could not be read: {0}")]
    Failed(String),
}
