//! The Merkle tree of the ledger: RFC 6962 / RFC 9162 hashing and proofs, as pure functions.
//!
//! The ledger stores the hash of every *complete* subtree once, when its last leaf is appended,
//! and never changes it (the Go sumdb `tlog` layout, after Crosby & Wallach §3.3). Any range of
//! leaves splits into O(log n) such subtrees, so the root of any past size and every proof can be
//! rebuilt from a handful of stored hashes, long after the fact.
//!
//! Nothing here does I/O. Each computation comes as a pair: `*_indices` names the stored hashes it
//! needs, the database reads them in one batched query into a [`StoredHashes`] map, and the
//! matching function does the math. Both halves walk the same list of leaf ranges, so the
//! indices are exactly the hashes read.
//!
//! The hashing is RFC 6962's byte for byte, so any RFC 6962 / C2SP tlog verifier can check our
//! checkpoints and proofs without trusting this code.

use std::collections::HashMap;
use std::ops::Range;

use aws_lc_rs::digest::{Context, SHA256};
use thiserror::Error;

/// The length of a SHA-256 hash, the only hash the ledger uses.
pub const HASH_LEN: usize = 32;

/// A SHA-256 hash: of a leaf, of a subtree, or the root of a tree.
pub type Hash = [u8; HASH_LEN];

/// The root of the empty tree: SHA-256 of the empty string, `MTH({})` in RFC 6962.
///
/// C2SP tlog-checkpoint defines a size-0 checkpoint's root this way. Go's `tlog.TreeHash(0)`
/// returns all zeros instead; copying that would make our empty checkpoints unverifiable.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The hash of one ledger entry: SHA-256(0x00 || entry).
///
/// The 0x00 prefix (0x01 for [`node_hash`]) keeps a leaf from ever being passed off as an
/// interior node, which would let a forger prove inclusion of a pair of hashes as an "entry".
pub fn leaf_hash(entry: &[u8]) -> Hash {
    sha256(&[&[0x00], entry])
}

/// The hash of an interior node: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha256(&[&[0x01], left, right])
}

fn sha256(parts: &[&[u8]]) -> Hash {
    let mut context = Context::new(&SHA256);
    for part in parts {
        context.update(part);
    }
    let mut hash = [0; HASH_LEN];
    hash.copy_from_slice(context.finish().as_ref());
    hash
}

/// The storage index of the complete subtree at `level` covering leaves
/// `[n·2^level, (n+1)·2^level)` (Go `tlog.StoredHashIndex`).
///
/// Hashes are numbered in the order they are written: each leaf's hash, then the subtrees that
/// leaf completes, bottom up. This subtree is written by its last leaf `r = (n+1)·2^level - 1`,
/// `level` places after that leaf's own hash, and [`stored_hash_count`]`(r)` hashes precede
/// that. The index is therefore stable forever, and a table keyed by it is append-only.
///
/// Valid for every subtree of a tree of fewer than 2^62 leaves (beyond that the arithmetic
/// overflows; no real log gets near it).
pub fn stored_hash_index(level: u32, n: u64) -> u64 {
    let last_leaf = ((n + 1) << level) - 1;
    stored_hash_count(last_leaf) + u64::from(level)
}

/// The number of hashes stored for a tree of `size` leaves (0 for the empty tree).
///
/// A tree of `size` leaves has `size >> level` complete subtrees at each level, which sums to
/// `2·size - popcount(size)`: about two hashes per entry.
pub fn stored_hash_count(size: u64) -> u64 {
    2 * size - u64::from(size.count_ones())
}

/// The right edge of the tree: the roots of its maximal complete subtrees, largest (leftmost)
/// first, one per set bit of the size.
///
/// This is all an appender needs to keep in memory: appending a leaf merges it with the
/// smallest subtrees it completes, so the hashes to store come out without reading anything back,
/// and the root is the fold of the edge. After a restart it is rebuilt from
/// [`Frontier::indices`], a single read of at most 64 hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Invariant: `hashes.len() == size.count_ones()`.
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn empty() -> Frontier {
        Frontier {
            size: 0,
            hashes: Vec::new(),
        }
    }

    /// Indices of the stored hashes that make up the frontier of a tree of `size` leaves, in
    /// frontier order. (The same list as [`root_indices`]: the root is the fold of the frontier.)
    pub fn indices(size: u64) -> Vec<u64> {
        block_indices(0..size).collect()
    }

    /// Rebuilds the frontier from the hashes stored at [`Frontier::indices`]`(size)`, in that
    /// order. Only the count can be checked here; a wrong hash shows up as a root that no longer
    /// matches the last signed checkpoint.
    pub fn from_hashes(size: u64, hashes: Vec<Hash>) -> Result<Frontier, MerkleError> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(MerkleError::WrongHashCount {
                expected,
                got: hashes.len(),
            });
        }
        Ok(Frontier { size, hashes })
    }

    /// The number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf, given as its [`leaf_hash`], and returns the `(stored index, hash)` pairs
    /// to store for it, in increasing index order.
    ///
    /// The indices are contiguous: the leaf at level 0, then one parent per subtree the leaf
    /// completes (one per trailing 1 bit of the old size), each the [`node_hash`] of a frontier
    /// hash and the subtree below it.
    pub fn append(&mut self, leaf: Hash) -> Vec<(u64, Hash)> {
        let first = stored_hash_index(0, self.size);
        let mut stored = Vec::with_capacity(1 + self.size.trailing_ones() as usize);
        self.append_each(leaf, |hash| {
            stored.push((first + stored.len() as u64, *hash));
        });
        stored
    }

    /// [`Frontier::append`] without allocating: calls `each` with every hash to store, leaf
    /// first, in index order. Verification replays millions of leaves through this.
    pub fn append_each(&mut self, leaf: Hash, mut each: impl FnMut(&Hash)) {
        let completed = self.size.trailing_ones() as usize;
        let keep = self.hashes.len() - completed;
        let mut hash = leaf;
        each(&hash);
        for left in self.hashes.drain(keep..).rev() {
            hash = node_hash(&left, &hash);
            each(&hash);
        }
        self.hashes.push(hash);
        self.size += 1;
    }

    /// The root of the tree so far ([`EMPTY_ROOT`] when empty).
    pub fn root(&self) -> Hash {
        fold_blocks(&self.hashes)
    }
}

/// Stored hashes by index: what the database read for a `*_indices` list.
///
/// It may hold hashes of a larger tree than the one asked about: stored hashes never change, so
/// proofs about any past size are served from the current table.
pub type StoredHashes = HashMap<u64, Hash>;

/// The stored hashes [`root_from_stored`] reads: at most one per set bit of `size`.
pub fn root_indices(size: u64) -> Vec<u64> {
    Frontier::indices(size)
}

/// The root of the tree's first `size` leaves, from the hashes at [`root_indices`]`(size)`.
pub fn root_from_stored(size: u64, stored: &StoredHashes) -> Result<Hash, MerkleError> {
    subtree_hash(0..size, stored)
}

/// The stored hashes [`inclusion_proof`] reads.
pub fn inclusion_indices(index: u64, size: u64) -> Result<Vec<u64>, MerkleError> {
    Ok(inclusion_ranges(index, size)?
        .into_iter()
        .flat_map(block_indices)
        .collect())
}

/// The RFC 6962 audit path `PATH(index, D[size])`: the sibling hashes from the leaf up to the
/// root, bottom to top, as [`verify_inclusion`] takes them.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    stored: &StoredHashes,
) -> Result<Vec<Hash>, MerkleError> {
    inclusion_ranges(index, size)?
        .into_iter()
        .map(|range| subtree_hash(range, stored))
        .collect()
}

/// The stored hashes [`consistency_proof`] reads.
pub fn consistency_indices(old_size: u64, new_size: u64) -> Result<Vec<u64>, MerkleError> {
    Ok(consistency_ranges(old_size, new_size)?
        .into_iter()
        .flat_map(block_indices)
        .collect())
}

/// The RFC 6962 consistency proof `PROOF(old_size, D[new_size])`, as [`verify_consistency`]
/// takes it. Empty when `old_size` is 0 or equals `new_size`: there is nothing to prove.
pub fn consistency_proof(
    old_size: u64,
    new_size: u64,
    stored: &StoredHashes,
) -> Result<Vec<Hash>, MerkleError> {
    consistency_ranges(old_size, new_size)?
        .into_iter()
        .map(|range| subtree_hash(range, stored))
        .collect()
}

/// Checks that `leaf` (a [`leaf_hash`]) is entry `index` of the tree of `size` leaves whose root
/// is `root`, given the audit path from [`inclusion_proof`] (RFC 9162 §2.1.3.2).
///
/// This is the RFC's algorithm in the equivalent form of transparency-dev/merkle, which knows the
/// proof's length before hashing, so a truncated or padded proof is reported as such. It never
/// panics, whatever the sizes: they come from untrusted checkpoints.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    let (inner, border) = path_shape(index, size);
    check_length(proof, inner + border)?;
    let (inner_path, border_path) = proof.split_at(inner);
    let mut hash = *leaf;
    for (level, sibling) in inner_path.iter().enumerate() {
        hash = if index >> level & 1 == 0 {
            node_hash(&hash, sibling)
        } else {
            node_hash(sibling, &hash)
        };
    }
    let hash = border_path
        .iter()
        .fold(hash, |hash, sibling| node_hash(sibling, &hash));
    if hash == *root {
        Ok(())
    } else {
        Err(MerkleError::RootMismatch)
    }
}

/// Checks that the tree of `new_size` leaves with root `new_root` extends the tree of `old_size`
/// leaves with root `old_root`, given the proof from [`consistency_proof`] (RFC 9162 §2.1.4.2).
///
/// The RFC only defines `0 < old_size < new_size`. Outside it:
/// - `old_size == new_size`: valid only with an empty proof and equal roots. Two roots for one
///   size mean the log forked, the strongest evidence of tampering there is.
/// - `old_size == 0`: valid with an empty proof, as long as `old_root` is [`EMPTY_ROOT`]: every
///   tree extends the empty tree. (transparency-dev rejects this case as meaningless; Sigsum
///   accepts it. Accepting lets a verifier treat "no checkpoint yet" like any other.)
/// - `old_size > new_size`: an error; a log never shrinks.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), MerkleError> {
    if old_size > new_size {
        return Err(MerkleError::SizeOrder {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 || old_size == new_size {
        check_length(proof, 0)?;
        if old_size == 0 && *old_root != EMPTY_ROOT {
            return Err(MerkleError::OldRootMismatch);
        }
        if old_size == new_size && old_root != new_root {
            return Err(MerkleError::NewRootMismatch);
        }
        return Ok(());
    }
    // The proof is an audit path, in the new tree, for the old tree's last complete subtree
    // (the seed; for an old tree that is one complete subtree, the old root itself, which the
    // proof then omits). The left siblings alone rebuild the old root; all of them, the new root.
    let (inner, border) = path_shape(old_size - 1, new_size);
    let seed_level = old_size.trailing_zeros();
    // old_size - 1 ends in `seed_level` one bits and new_size - 1 > old_size - 1, so the two
    // differ above those bits: `inner > seed_level`.
    let inner = inner - seed_level as usize;
    let seed_in_proof = !old_size.is_power_of_two();
    check_length(proof, usize::from(seed_in_proof) + inner + border)?;
    let (seed, path) = match proof.split_first() {
        Some((first, rest)) if seed_in_proof => (*first, rest),
        _ => (*old_root, proof),
    };
    let (inner_path, border_path) = path.split_at(inner);
    let seed_index = (old_size - 1) >> seed_level;
    let (mut old_hash, mut new_hash) = (seed, seed);
    for (level, sibling) in inner_path.iter().enumerate() {
        if seed_index >> level & 1 == 1 {
            old_hash = node_hash(sibling, &old_hash);
            new_hash = node_hash(sibling, &new_hash);
        } else {
            new_hash = node_hash(&new_hash, sibling);
        }
    }
    for sibling in border_path {
        old_hash = node_hash(sibling, &old_hash);
        new_hash = node_hash(sibling, &new_hash);
    }
    if old_hash != *old_root {
        return Err(MerkleError::OldRootMismatch);
    }
    if new_hash != *new_root {
        return Err(MerkleError::NewRootMismatch);
    }
    Ok(())
}

/// The root straight from RFC 6962's recursive definition of `MTH`, given the leaf hashes.
/// The reference the stored-hash code is tested against; fine for small trees.
pub fn root_of_leaves(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => EMPTY_ROOT,
        [leaf] => *leaf,
        _ => {
            let (left, right) = leaves.split_at(split_point(leaves.len() as u64) as usize);
            node_hash(&root_of_leaves(left), &root_of_leaves(right))
        }
    }
}

/// What went wrong computing or checking a root or proof.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MerkleError {
    #[error("entry {index} is not in a tree of {size} entries (indices run from 0 to size - 1)")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error(
        "the old tree size {old} is larger than the new tree size {new}: a log only grows, so pass the older checkpoint first"
    )]
    SizeOrder { old: u64, new: u64 },
    #[error(
        "stored hash {index} was not supplied: read every index the matching `*_indices` function returns; if it was read and is absent, the ledger's hash table is incomplete"
    )]
    MissingHash { index: u64 },
    #[error(
        "{got} stored hashes were supplied for the frontier but it has {expected}: read exactly `Frontier::indices(size)`"
    )]
    WrongHashCount { expected: usize, got: usize },
    #[error(
        "the proof has {got} hashes but a proof for these sizes and index has {expected}: it was truncated, padded, or made for other sizes"
    )]
    ProofLength { expected: usize, got: usize },
    #[error(
        "the inclusion proof does not lead to the checkpoint's root: the entry, its index, the proof or the checkpoint has been altered"
    )]
    RootMismatch,
    #[error(
        "the consistency proof does not reproduce the old checkpoint's root: the log rewrote the history that checkpoint covers, or the old checkpoint or the proof is corrupt"
    )]
    OldRootMismatch,
    #[error(
        "the consistency proof does not reproduce the new checkpoint's root: the log rewrote its history or forked, or the new checkpoint or the proof is corrupt"
    )]
    NewRootMismatch,
}

/// The largest power of two below `n` (n >= 2): where RFC 6962 splits a tree of `n` leaves.
fn split_point(n: u64) -> u64 {
    1 << (n - 1).ilog2()
}

/// The leaf ranges whose hashes form `PATH(index, D[size])`, bottom to top.
fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<Range<u64>>, MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    let mut path = Vec::new();
    let mut tree = 0..size;
    while tree.end - tree.start > 1 {
        let mid = tree.start + split_point(tree.end - tree.start);
        if index < mid {
            path.push(mid..tree.end);
            tree.end = mid;
        } else {
            path.push(tree.start..mid);
            tree.start = mid;
        }
    }
    path.reverse();
    Ok(path)
}

/// The leaf ranges whose hashes form `PROOF(old_size, D[new_size])`, in proof order.
fn consistency_ranges(old_size: u64, new_size: u64) -> Result<Vec<Range<u64>>, MerkleError> {
    if old_size > new_size {
        return Err(MerkleError::SizeOrder {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    // SUBPROOF(m, D[n], b) from the top down. `whole` is the RFC's b: true while the subtree
    // starts at leaf 0, so that when it ends at old_size it is the old tree, whose root the
    // verifier already has.
    let mut proof = Vec::new();
    let mut tree = 0..new_size;
    let mut whole = true;
    while tree.end != old_size {
        let mid = tree.start + split_point(tree.end - tree.start);
        if old_size <= mid {
            proof.push(mid..tree.end);
            tree.end = mid;
        } else {
            proof.push(tree.start..mid);
            tree.start = mid;
            whole = false;
        }
    }
    if !whole {
        proof.push(tree);
    }
    proof.reverse();
    Ok(proof)
}

/// The stored hashes of the complete subtrees that tile `range`, largest (leftmost) first.
///
/// Every range a root or proof needs starts at a multiple of a power of two at least as large
/// as itself, so the largest power of two that fits is always an aligned stored subtree.
fn block_indices(range: Range<u64>) -> impl Iterator<Item = u64> {
    let mut start = range.start;
    std::iter::from_fn(move || {
        (start < range.end).then(|| {
            let level = (range.end - start).ilog2();
            debug_assert_eq!(start % (1 << level), 0, "unaligned subtree range");
            let index = stored_hash_index(level, start >> level);
            start += 1 << level;
            index
        })
    })
}

/// `MTH(D[range])` from the stored hashes of the subtrees tiling the range.
fn subtree_hash(range: Range<u64>, stored: &StoredHashes) -> Result<Hash, MerkleError> {
    let blocks = block_indices(range)
        .map(|index| {
            stored
                .get(&index)
                .copied()
                .ok_or(MerkleError::MissingHash { index })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(fold_blocks(&blocks))
}

/// Combines complete-subtree hashes, largest first, into the hash of the range they tile. Each
/// block is the left half of RFC 6962's split of the remaining range, hence the right fold.
fn fold_blocks(blocks: &[Hash]) -> Hash {
    match blocks.split_last() {
        None => EMPTY_ROOT,
        Some((last, rest)) => rest
            .iter()
            .rev()
            .fold(*last, |right, left| node_hash(left, &right)),
    }
}

/// The shape of the path from leaf `index` to the root of a tree of `size` leaves
/// (`index < size`), as (inner, border) numbers of proof hashes.
///
/// The paths of `index` and of the last leaf `size - 1` join at height
/// `inner = bit length(index XOR (size - 1))`. Below that, the leaf's subtree is complete and
/// every level has a sibling. Above it, the path runs along the right edge of the tree, where a
/// level has a sibling (always on the left) only where `index` has a 1 bit.
fn path_shape(index: u64, size: u64) -> (usize, usize) {
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner as usize, border as usize)
}

fn check_length(proof: &[Hash], expected: usize) -> Result<(), MerkleError> {
    if proof.len() == expected {
        Ok(())
    } else {
        Err(MerkleError::ProofLength {
            expected,
            got: proof.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log of `size` distinct entries built by appending, with every stored hash.
    fn appended(size: u64) -> (Vec<Hash>, Frontier, StoredHashes) {
        let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut frontier = Frontier::empty();
        let mut stored = StoredHashes::new();
        for leaf in &leaves {
            stored.extend(frontier.append(*leaf));
        }
        (leaves, frontier, stored)
    }

    /// Go tlog's numbering of the first eight stored hashes, by (level, n).
    #[test]
    fn stored_hash_index_matches_go_tlog() {
        let nodes = [
            (0, 0),
            (0, 1),
            (1, 0),
            (0, 2),
            (0, 3),
            (1, 1),
            (2, 0),
            (0, 4),
        ];
        for (index, (level, n)) in (0..).zip(nodes) {
            assert_eq!(stored_hash_index(level, n), index, "level {level}, n {n}");
        }
        assert_eq!(stored_hash_count(0), 0);
        assert_eq!(stored_hash_count(8), 15);
    }

    /// Appends write indices 0, 1, 2, ... with no gap or repeat, and each index holds the hash of
    /// the subtree `stored_hash_index` says it does.
    #[test]
    fn appends_fill_the_index_space_with_subtree_hashes() {
        let (leaves, _, _) = appended(300);
        let mut frontier = Frontier::empty();
        let mut written = Vec::new();
        for (size, leaf) in (1..).zip(&leaves) {
            written.extend(frontier.append(*leaf));
            assert_eq!(written.len() as u64, stored_hash_count(size));
        }
        assert!(
            written
                .iter()
                .map(|&(index, _)| index)
                .eq(0..stored_hash_count(300))
        );
        let stored: StoredHashes = written.into_iter().collect();
        for level in 0..9 {
            for n in 0..(300 >> level) {
                let block = &leaves[(n << level) as usize..((n + 1) << level) as usize];
                assert_eq!(stored[&stored_hash_index(level, n)], root_of_leaves(block));
            }
        }
    }

    #[test]
    fn frontier_resumes_from_stored_hashes() {
        let (leaves, full, stored) = appended(45);
        let (_, mut part, _) = appended(37);
        let hashes = Frontier::indices(37).iter().map(|i| stored[i]).collect();
        let mut resumed = Frontier::from_hashes(37, hashes).unwrap();
        assert_eq!(resumed, part);
        for leaf in &leaves[37..] {
            assert_eq!(resumed.append(*leaf), part.append(*leaf));
        }
        assert_eq!(resumed, full);
        assert_eq!(
            Frontier::from_hashes(37, vec![EMPTY_ROOT; 4]),
            Err(MerkleError::WrongHashCount {
                expected: 3,
                got: 4
            })
        );
    }
}
