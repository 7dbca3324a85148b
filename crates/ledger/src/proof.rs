//! Inclusion and consistency proofs as the log hands them out: part of the format, which a
//! witness or an auditor checks with no database.

use phiguard_core::hex;
use serde::Serialize;

use crate::merkle::Hash;

/// Proof that entry `seq` is in the tree of `size` entries with root `root`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InclusionProof {
    pub seq: u64,
    pub size: u64,
    #[serde(with = "hex")]
    pub leaf_hash: Hash,
    #[serde(with = "hex")]
    pub root: Hash,
    #[serde(with = "hex::list")]
    pub proof: Vec<Hash>,
}

/// Proof that the tree of `old_size` entries is a prefix of the tree of `new_size` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    #[serde(with = "hex")]
    pub old_root: Hash,
    #[serde(with = "hex")]
    pub new_root: Hash,
    #[serde(with = "hex::list")]
    pub proof: Vec<Hash>,
}
