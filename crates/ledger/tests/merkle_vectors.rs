//! The Merkle tree against the published transparency-dev/merkle vectors (`testonly/constants.go`,
//! `proof/verify_test.go`), RFC 6962's recursive definitions, and property tests over trees of
//! up to a few thousand entries. Every proof here is served from the hashes `Frontier::append`
//! stored, reading exactly the indices the `*_indices` functions name.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use phiguard_ledger::merkle::{
    EMPTY_ROOT, Frontier, HASH_LEN, Hash, MerkleError, StoredHashes, consistency_indices,
    consistency_proof, inclusion_indices, inclusion_proof, leaf_hash, root_from_stored,
    root_indices, root_of_leaves, stored_hash_index, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

const LEAF_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

// The complete subtrees of the eight-entry vector tree, named by level and position.
const L0: &str = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
const L1: &str = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7";
const L2: &str = "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7";
const L3: &str = "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7";
const L4: &str = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b";
const L5: &str = "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658";
const L6: &str = "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f";
const L7: &str = "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1";
const N1_0: &str = "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125";
const N1_1: &str = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e";
const N1_2: &str = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a";
const N1_3: &str = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0";
const N2_0: &str = "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7";
const N2_1: &str = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4";
const N3_0: &str = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";
/// MTH(d4..d6), not a complete subtree: a proof hash folded from two stored ones.
const MTH_4_7: &str = "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e";

const LEAF_HASHES: [&str; 8] = [L0, L1, L2, L3, L4, L5, L6, L7];
const NODE_HASHES: [(u32, u64, &str); 7] = [
    (1, 0, N1_0),
    (1, 1, N1_1),
    (1, 2, N1_2),
    (1, 3, N1_3),
    (2, 0, N2_0),
    (2, 1, N2_1),
    (3, 0, N3_0),
];

/// By size, from 0 (SHA-256 of nothing) to 8.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    L0,
    N1_0,
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    N2_0,
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    N3_0,
];

/// (0-based index, size, proof): verify_test.go's `inclusionProofs` (which numbers leaves from
/// 1), then two computed from PATH.
const INCLUSION_PROOFS: &[(u64, u64, &[&str])] = &[
    (0, 1, &[]),
    (0, 8, &[L1, N1_1, N2_1]),
    (5, 8, &[L4, N1_3, N2_0]),
    (2, 3, &[N1_0]),
    (1, 5, &[L0, N1_1, L4]),
    (7, 8, &[L6, N1_2, N2_0]),
    (6, 7, &[N1_2, N2_0]),
];

/// (old size, new size, proof): verify_test.go's `consistencyProofs`, then three from SUBPROOF.
const CONSISTENCY_PROOFS: &[(u64, u64, &[&str])] = &[
    (1, 1, &[]),
    (1, 8, &[L1, N1_1, N2_1]),
    (6, 8, &[N1_2, N1_3, N2_0]),
    (2, 5, &[N1_1, L4]),
    (6, 7, &[N1_2, L6, N2_0]),
    (3, 7, &[L2, L3, N1_0, MTH_4_7]),
    (4, 7, &[MTH_4_7]),
    (4, 8, &[N2_1]),
];

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn hash(hex: &str) -> Hash {
    bytes(hex).try_into().unwrap()
}

fn hashes(hexes: &[&str]) -> Vec<Hash> {
    hexes.iter().map(|hex| hash(hex)).collect()
}

fn flip(hash: &Hash, bit: usize) -> Hash {
    let mut flipped = *hash;
    flipped[bit / 8 % HASH_LEN] ^= 1 << (bit % 8);
    flipped
}

/// A log built the way the ledger builds one: appending leaf hashes to a frontier and storing
/// what each append returns.
struct Log {
    leaves: Vec<Hash>,
    /// The frontier's root after each append, from size 0.
    roots: Vec<Hash>,
    stored: StoredHashes,
}

impl Log {
    fn new(leaves: Vec<Hash>) -> Log {
        let mut frontier = Frontier::empty();
        let mut roots = vec![frontier.root()];
        let mut stored = StoredHashes::new();
        for leaf in &leaves {
            stored.extend(frontier.append(*leaf));
            roots.push(frontier.root());
        }
        Log {
            leaves,
            roots,
            stored,
        }
    }

    fn vectors() -> Log {
        Log::new(
            LEAF_INPUTS
                .iter()
                .map(|input| leaf_hash(&bytes(input)))
                .collect(),
        )
    }

    fn numbered(size: u64) -> Log {
        Log::new((0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect())
    }

    fn root(&self, size: u64) -> Hash {
        self.read_exactly(&root_indices(size), |stored| root_from_stored(size, stored))
    }

    fn inclusion(&self, index: u64, size: u64) -> Vec<Hash> {
        let indices = inclusion_indices(index, size).unwrap();
        self.read_exactly(&indices, |stored| inclusion_proof(index, size, stored))
    }

    fn consistency(&self, old: u64, new: u64) -> Vec<Hash> {
        let indices = consistency_indices(old, new).unwrap();
        self.read_exactly(&indices, |stored| consistency_proof(old, new, stored))
    }

    /// Runs `read` on a map holding only the hashes at `indices`, checks that it fails naming
    /// any one of them that is left out, and returns its result.
    fn read_exactly<T>(
        &self,
        indices: &[u64],
        read: impl Fn(&StoredHashes) -> Result<T, MerkleError>,
    ) -> T {
        let exact: StoredHashes = indices.iter().map(|i| (*i, self.stored[i])).collect();
        for &index in indices {
            let mut missing = exact.clone();
            missing.remove(&index);
            assert_eq!(
                read(&missing).err(),
                Some(MerkleError::MissingHash { index })
            );
        }
        read(&exact).unwrap()
    }
}

/// PATH(m, D[n]) exactly as RFC 6962 §2.1.1 defines it.
fn rfc_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let (left, right) = leaves.split_at(1 << (leaves.len() - 1).ilog2());
    let (mut path, sibling) = if m < left.len() {
        (rfc_path(m, left), right)
    } else {
        (rfc_path(m - left.len(), right), left)
    };
    path.push(root_of_leaves(sibling));
    path
}

/// SUBPROOF(m, D[n], whole) exactly as RFC 6962 §2.1.2 defines it.
fn rfc_subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
    if m == leaves.len() {
        return if whole {
            Vec::new()
        } else {
            vec![root_of_leaves(leaves)]
        };
    }
    let (left, right) = leaves.split_at(1 << (leaves.len() - 1).ilog2());
    let (mut proof, sibling) = if m <= left.len() {
        (rfc_subproof(m, left, whole), right)
    } else {
        (rfc_subproof(m - left.len(), right, false), left)
    };
    proof.push(root_of_leaves(sibling));
    proof
}

/// Every proof one edit away from `proof`: each element with a bit flipped, each element
/// dropped, an extra element at either end.
fn tampered(proof: &[Hash]) -> Vec<Vec<Hash>> {
    let mut variants = Vec::new();
    for i in 0..proof.len() {
        let mut flipped = proof.to_vec();
        flipped[i] = flip(&proof[i], i * 37);
        variants.push(flipped);
        let mut dropped = proof.to_vec();
        dropped.remove(i);
        variants.push(dropped);
    }
    let extra = proof.first().copied().unwrap_or(EMPTY_ROOT);
    variants.push([proof, &[extra]].concat());
    variants.push([&[extra], proof].concat());
    variants
}

fn assert_inclusion_rejects_tampering(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) {
    for bad in tampered(proof) {
        assert!(
            verify_inclusion(index, size, leaf, &bad, root).is_err(),
            "{bad:?}"
        );
    }
    // In a tree of a given size, the path's left/right turns identify the leaf.
    for other in [index ^ 1, index + 1, index.wrapping_sub(1), index ^ 2] {
        assert!(
            verify_inclusion(other, size, leaf, proof, root).is_err(),
            "index {other}"
        );
    }
    // Doubling the size always lengthens the path; some other sizes share its shape (see
    // `a_proof_binds_the_size_only_through_the_tree_shape`).
    assert!(verify_inclusion(index, size * 2, leaf, proof, root).is_err());
    for root in [flip(root, 255), EMPTY_ROOT] {
        assert_eq!(
            verify_inclusion(index, size, leaf, proof, &root),
            Err(MerkleError::RootMismatch)
        );
    }
    let leaf = flip(leaf, 0);
    assert_eq!(
        verify_inclusion(index, size, &leaf, proof, root),
        Err(MerkleError::RootMismatch)
    );
}

/// For `0 < old < new`.
fn assert_consistency_rejects_tampering(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) {
    for bad in tampered(proof) {
        assert!(
            verify_consistency(old, new, old_root, new_root, &bad).is_err(),
            "{bad:?}"
        );
    }
    for (old, new) in [(old - 1, new), (old + 1, new), (old, new * 2)] {
        assert!(
            verify_consistency(old, new, old_root, new_root, proof).is_err(),
            "{old} -> {new}"
        );
    }
    let (bad_old, bad_new) = (flip(old_root, 7), flip(new_root, 100));
    assert!(verify_consistency(old, new, &bad_old, new_root, proof).is_err());
    assert!(verify_consistency(old, new, old_root, &bad_new, proof).is_err());
    assert!(verify_consistency(old, new, new_root, old_root, proof).is_err());
}

#[test]
fn leaf_and_subtree_hashes_match_vectors() {
    let log = Log::vectors();
    assert_eq!(log.leaves, hashes(&LEAF_HASHES));
    for (n, leaf) in (0..).zip(&log.leaves) {
        assert_eq!(log.stored[&stored_hash_index(0, n)], *leaf);
    }
    for (level, n, node) in NODE_HASHES {
        assert_eq!(
            log.stored[&stored_hash_index(level, n)],
            hash(node),
            "level {level}, n {n}"
        );
    }
    assert_eq!(log.stored.len(), 15);
}

#[test]
fn roots_match_vectors_for_sizes_0_to_8() {
    let log = Log::vectors();
    for (size, expected) in (0..).zip(ROOTS) {
        let expected = hash(expected);
        assert_eq!(
            root_of_leaves(&log.leaves[..size as usize]),
            expected,
            "size {size}"
        );
        assert_eq!(log.roots[size as usize], expected, "frontier, size {size}");
        assert_eq!(log.root(size), expected, "stored hashes, size {size}");
    }
}

#[test]
fn inclusion_proofs_match_vectors() {
    let log = Log::vectors();
    for &(index, size, expected) in INCLUSION_PROOFS {
        let (leaf, root) = (&log.leaves[index as usize], &log.roots[size as usize]);
        let proof = hashes(expected);
        assert_eq!(
            log.inclusion(index, size),
            proof,
            "index {index}, size {size}"
        );
        assert_eq!(verify_inclusion(index, size, leaf, &proof, root), Ok(()));
        assert_inclusion_rejects_tampering(index, size, leaf, &proof, root);
        assert!(verify_inclusion(index, size / 2, leaf, &proof, root).is_err());
    }
    let out_of_range = MerkleError::IndexOutOfRange { index: 0, size: 0 };
    assert_eq!(
        verify_inclusion(0, 0, &log.leaves[0], &[], &EMPTY_ROOT),
        Err(out_of_range.clone())
    );
    assert_eq!(inclusion_indices(0, 0), Err(out_of_range));
}

/// A proof for (0, 3) also verifies as (0, 4) against the same root: the path turns the same
/// way and the verifier cannot see that the top sibling covers one leaf rather than two. The
/// size is bound by the signed checkpoint, which is why a checkpoint signs size and root together.
#[test]
fn a_proof_binds_the_size_only_through_the_tree_shape() {
    let log = Log::vectors();
    let proof = log.inclusion(0, 3);
    assert_eq!(
        verify_inclusion(0, 4, &log.leaves[0], &proof, &log.roots[3]),
        Ok(())
    );
    assert_ne!(log.inclusion(0, 4), proof);
}

#[test]
fn consistency_proofs_match_vectors() {
    let log = Log::vectors();
    for &(old, new, expected) in CONSISTENCY_PROOFS {
        let (old_root, new_root) = (&log.roots[old as usize], &log.roots[new as usize]);
        let proof = hashes(expected);
        assert_eq!(log.consistency(old, new), proof, "{old} -> {new}");
        assert_eq!(
            verify_consistency(old, new, old_root, new_root, &proof),
            Ok(())
        );
        if old == new {
            continue;
        }
        assert_consistency_rejects_tampering(old, new, old_root, new_root, &proof);
        for (old, new) in [(old ^ 2, new), (old, new / 2)] {
            assert!(verify_consistency(old, new, old_root, new_root, &proof).is_err());
        }
    }
}

#[test]
fn consistency_outside_the_rfc_range_follows_policy() {
    let log = Log::vectors();
    let (root1, root8) = (&log.roots[1], &log.roots[8]);
    let one_hash = [log.leaves[1]];
    // Equal sizes: only equal roots and an empty proof.
    for (size, root) in (0..).zip(&log.roots) {
        assert_eq!(verify_consistency(size, size, root, root, &[]), Ok(()));
        assert_eq!(consistency_proof(size, size, &log.stored), Ok(Vec::new()));
    }
    let fork = verify_consistency(1, 1, &hash(ROOTS[2]), &hash(ROOTS[3]), &[]);
    assert_eq!(fork, Err(MerkleError::NewRootMismatch));
    let padded = verify_consistency(1, 1, root1, root1, &one_hash);
    assert_eq!(
        padded,
        Err(MerkleError::ProofLength {
            expected: 0,
            got: 1
        })
    );
    // From the empty tree: an empty proof, and the old root must be the empty tree's.
    assert_eq!(verify_consistency(0, 8, &EMPTY_ROOT, root8, &[]), Ok(()));
    assert_eq!(
        verify_consistency(0, 8, root1, root8, &[]),
        Err(MerkleError::OldRootMismatch)
    );
    assert!(verify_consistency(0, 8, &EMPTY_ROOT, root8, &one_hash).is_err());
    assert_eq!(consistency_indices(0, 8), Ok(Vec::new()));
    // Inside the range, an empty proof proves nothing.
    let empty = verify_consistency(1, 2, root1, &log.roots[2], &[]);
    assert_eq!(
        empty,
        Err(MerkleError::ProofLength {
            expected: 1,
            got: 0
        })
    );
    // A log never shrinks.
    for (old, new) in [(2, 1), (1, 0)] {
        let shrunk = MerkleError::SizeOrder { old, new };
        let roots = (&log.roots[old as usize], &log.roots[new as usize]);
        assert_eq!(
            verify_consistency(old, new, roots.0, roots.1, &[]),
            Err(shrunk.clone())
        );
        assert_eq!(consistency_indices(old, new), Err(shrunk.clone()));
        assert_eq!(consistency_proof(old, new, &log.stored), Err(shrunk));
    }
}

/// Sizes come from untrusted checkpoints: near 2^64 the verifiers still answer, without
/// overflowing a shift or a subtraction.
#[test]
fn verifiers_handle_extreme_sizes() {
    let (leaf, max) = (leaf_hash(b""), u64::MAX);
    let length = |expected| Err(MerkleError::ProofLength { expected, got: 0 });
    assert_eq!(verify_inclusion(0, max, &leaf, &[], &leaf), length(64));
    assert_eq!(
        verify_inclusion(max - 1, max, &leaf, &[], &leaf),
        length(63)
    );
    assert_eq!(verify_consistency(1, max, &leaf, &leaf, &[]), length(64));
    assert_eq!(
        verify_consistency(max - 1, max, &leaf, &leaf, &[]),
        length(64)
    );
    let garbage = [leaf; 64];
    let mismatch = verify_inclusion(0, max, &leaf, &garbage, &leaf);
    assert_eq!(mismatch, Err(MerkleError::RootMismatch));
    assert!(verify_consistency(max - 1, max, &leaf, &leaf, &garbage).is_err());
}

/// Every proof of every tree up to 64 entries equals the RFC's recursive definition.
#[test]
fn small_trees_match_the_rfc_definitions() {
    let log = Log::numbered(64);
    for size in 1..=64u64 {
        let leaves = &log.leaves[..size as usize];
        let root = &log.roots[size as usize];
        for index in 0..size {
            let proof = log.inclusion(index, size);
            assert_eq!(proof, rfc_path(index as usize, leaves), "{index} in {size}");
            assert_eq!(
                verify_inclusion(index, size, &leaves[index as usize], &proof, root),
                Ok(())
            );
        }
        for old in 1..size {
            let proof = log.consistency(old, size);
            assert_eq!(
                proof,
                rfc_subproof(old as usize, leaves, true),
                "{old} -> {size}"
            );
            let old_root = &log.roots[old as usize];
            assert_eq!(
                verify_consistency(old, size, old_root, root, &proof),
                Ok(())
            );
        }
    }
}

proptest! {
    /// In a log of a few thousand entries built by appending: the frontier's root is the RFC
    /// root; proofs for the current size and for a past size, served from exactly the stored
    /// hashes their `*_indices` name, are the RFC's, verify, and stop verifying after any edit.
    #[test]
    fn stored_hash_proofs_verify_and_resist_tampering(
        (size, index, old) in (1u64..3000).prop_flat_map(|size| (Just(size), 0..size, 0..=size)),
    ) {
        let log = Log::numbered(size);
        let root = &log.roots[size as usize];
        let old_root = &log.roots[old as usize];
        prop_assert_eq!(root, &root_of_leaves(&log.leaves));
        prop_assert_eq!(old_root, &root_of_leaves(&log.leaves[..old as usize]));
        prop_assert_eq!(&log.root(size), root);
        prop_assert_eq!(&log.root(old), old_root);

        let leaf = &log.leaves[index as usize];
        let proof = log.inclusion(index, size);
        prop_assert_eq!(&proof, &rfc_path(index as usize, &log.leaves));
        prop_assert_eq!(verify_inclusion(index, size, leaf, &proof, root), Ok(()));
        assert_inclusion_rejects_tampering(index, size, leaf, &proof, root);
        if old > 0 {
            let index = index % old;
            let leaf = &log.leaves[index as usize];
            let proof = log.inclusion(index, old);
            prop_assert_eq!(verify_inclusion(index, old, leaf, &proof, old_root), Ok(()));
        }

        let proof = log.consistency(old, size);
        prop_assert_eq!(verify_consistency(old, size, old_root, root, &proof), Ok(()));
        if 0 < old && old < size {
            prop_assert_eq!(&proof, &rfc_subproof(old as usize, &log.leaves, true));
            assert_consistency_rejects_tampering(old, size, old_root, root, &proof);
        }
    }
}
