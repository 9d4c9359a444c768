//! The ledger's Merkle tree: RFC 6962 (§2.1) over the entries' leaf records.
//!
//! A leaf's hash is `SHA-256(0x00 ‖ record)`, where the record is the canonical
//! `{"entry", "time"}` JSON of [`crate::entry::leaf_bytes`]; an interior node's is
//! `SHA-256(0x01 ‖ left ‖ right)`. So any RFC 6962 or C2SP tlog tool given the record bytes
//! computes the same leaf hash, inclusion proof and root as Agora.
//!
//! The tree and its proofs come from `ct-merkle`. Its tree hashes each leaf itself, from the
//! leaf's bytes; the store keeps 32-byte leaf hashes, not the records (which would hold every
//! entry in memory), so the tree is built over [`NodeHash`]: SHA-256 for interior nodes, and
//! for a leaf, the leaf hash the store computed with [`leaf_hash`], passed through unchanged.
//!
//! Ledger stores of format 1 (and receipts of version 1) hashed the record's SHA-256 as the
//! leaf instead ([`legacy_leaf_hash`]); the store migrates them on open, and the receipt
//! verifier still reads version 1.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use sha2::digest::consts::U32;
use sha2::digest::{FixedOutput, HashMarker, Output, OutputSizeUser, Update};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The largest tree a checkpoint or proof may describe: 2^62 leaves, far beyond any ledger,
/// and small enough that no index arithmetic in a verifier can overflow.
pub const MAX_SIZE: u64 = 1 << 62;

/// The most hashes an inclusion proof has for a tree of at most [`MAX_SIZE`] leaves.
pub const MAX_PROOF_HASHES: usize = 62;

/// RFC 6962's leaf hash of a record: `SHA-256(0x00 ‖ record)`.
pub fn leaf_hash(record: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    Digest::update(&mut hasher, [0x00]);
    Digest::update(&mut hasher, record);
    hasher.finalize().into()
}

/// The leaf hash of stores of format 1 and receipts of version 1:
/// `SHA-256(0x00 ‖ SHA-256(record))`.
pub fn legacy_leaf_hash(record: &[u8]) -> Hash {
    leaf_hash(&Sha256::digest(record))
}

/// Why an inclusion proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InclusionError {
    /// The tree is larger than any this verifier accepts.
    #[error("the tree size {0} is larger than 2^62")]
    TooLarge(u64),
    /// The leaf is not in a tree of that size.
    #[error("leaf {index} is beyond the tree's {size} entries")]
    OutOfRange {
        /// The leaf's index.
        index: u64,
        /// The tree's size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for that leaf and size.
    #[error("the proof has {0} hashes, not as many as a path from this leaf to the root")]
    WrongLength(usize),
    /// The hashes do not lead to the root.
    #[error("leaf {0} is not in the tree the root describes")]
    Mismatch(u64),
}

/// Checks that the leaf whose hash is `leaf` is at `index` in the tree of `size` leaves whose
/// root is `root`, by the audit path `proof` (leaf to root). Never panics, whatever it is
/// given.
pub fn verify_inclusion(
    root: &Hash,
    size: u64,
    leaf: &Hash,
    index: u64,
    proof: &[Hash],
) -> Result<(), InclusionError> {
    if size > MAX_SIZE {
        return Err(InclusionError::TooLarge(size));
    }
    if index >= size {
        return Err(InclusionError::OutOfRange { index, size });
    }
    if proof.len() > MAX_PROOF_HASHES {
        return Err(InclusionError::WrongLength(proof.len()));
    }
    let bytes: Vec<u8> = proof.iter().flatten().copied().collect();
    let proof = InclusionProof::<NodeHash>::from_bytes(bytes);
    RootHash::<NodeHash>::new((*root).into(), size)
        .verify_inclusion(leaf, index, &proof)
        .map_err(|error| match error {
            ct_merkle::InclusionVerifError::MalformedProof => {
                InclusionError::WrongLength(proof.as_bytes().len() / 32)
            }
            _ => InclusionError::Mismatch(index),
        })
}

/// Why a consistency proof does not hold: the newer tree does not extend the older one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConsistencyError {
    /// A tree is larger than any this verifier accepts.
    #[error("the tree size {0} is larger than 2^62")]
    TooLarge(u64),
    /// The newer tree is smaller: entries were taken away.
    #[error("the tree went back from {old} entries to {new}")]
    Shrank {
        /// The older size.
        old: u64,
        /// The newer size.
        new: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("the proof has {0} hashes, not as many as these two sizes need")]
    WrongLength(usize),
    /// The trees disagree: the newer one is not the older one with entries added.
    #[error("the tree of {new} entries does not extend the tree of {old} this verifier held")]
    Forked {
        /// The older size.
        old: u64,
        /// The newer size.
        new: u64,
    },
}

/// Checks that the tree of `new_size` leaves with root `new_root` is the tree of `old_size`
/// leaves with root `old_root` with leaves appended (RFC 6962 §2.1.2), by `proof`. Equal sizes
/// need equal roots and no proof; an empty older tree is extended by every tree. Never panics,
/// whatever it is given.
pub fn verify_consistency(
    old_size: u64,
    old_root: &Hash,
    new_size: u64,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ConsistencyError> {
    for size in [old_size, new_size] {
        if size > MAX_SIZE {
            return Err(ConsistencyError::TooLarge(size));
        }
    }
    if new_size < old_size {
        return Err(ConsistencyError::Shrank {
            old: old_size,
            new: new_size,
        });
    }
    let forked = ConsistencyError::Forked {
        old: old_size,
        new: new_size,
    };
    if old_size == 0 {
        return Ok(());
    }
    if old_size == new_size {
        return if old_root == new_root && proof.is_empty() {
            Ok(())
        } else if proof.is_empty() {
            Err(forked)
        } else {
            Err(ConsistencyError::WrongLength(proof.len()))
        };
    }
    if proof.len() > 2 * MAX_PROOF_HASHES {
        return Err(ConsistencyError::WrongLength(proof.len()));
    }
    let hashes = proof.len();
    let bytes: Vec<u8> = proof.iter().flatten().copied().collect();
    let proof = ConsistencyProof::<NodeHash>::try_from_bytes(bytes)
        .map_err(|_| ConsistencyError::WrongLength(hashes))?;
    RootHash::<NodeHash>::new((*new_root).into(), new_size)
        .verify_consistency(&RootHash::new((*old_root).into(), old_size), &proof)
        .map_err(|error| match error {
            ct_merkle::ConsistencyVerifError::MalformedProof => {
                ConsistencyError::WrongLength(hashes)
            }
            _ => forked,
        })
}

/// An RFC 6962 tree over leaf hashes ([`leaf_hash`]), kept in memory: the store's, and any
/// other backend's that proves entries the same way.
#[derive(Default)]
pub struct Tree(MemoryBackedTree<NodeHash, Hash>);

impl Tree {
    /// Appends a leaf by its [`leaf_hash`] (or [`legacy_leaf_hash`] for a format 1 tree).
    pub fn push(&mut self, leaf: Hash) {
        self.0.push(leaf);
    }

    /// How many leaves.
    pub fn len(&self) -> u64 {
        self.0.len()
    }

    /// The root hash (SHA-256 of nothing for the empty tree).
    pub fn root(&self) -> Hash {
        (*self.0.root().as_bytes()).into()
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The proof that this tree extends its first `old_size` leaves (RFC 6962 §2.1.2): empty
    /// when `old_size` is 0 or the whole tree.
    ///
    /// # Panics
    /// If `old_size` is larger than the tree.
    pub fn prove_consistency(&self, old_size: u64) -> Vec<Hash> {
        assert!(
            old_size <= self.len(),
            "the older tree is not a prefix of this one"
        );
        if old_size == 0 || old_size == self.len() {
            return Vec::new();
        }
        let proof = self.0.prove_consistency((self.len() - old_size) as usize);
        proof
            .as_bytes()
            .chunks_exact(32)
            .map(|hash| hash.try_into().expect("32-byte chunks"))
            .collect()
    }

    /// The audit path of leaf `index`, leaf to root.
    ///
    /// # Panics
    /// If `index` is not in the tree.
    pub fn prove_inclusion(&self, index: u64) -> Vec<Hash> {
        let proof = self.0.prove_inclusion(index as usize);
        proof
            .as_bytes()
            .chunks_exact(32)
            .map(|hash| hash.try_into().expect("32-byte chunks"))
            .collect()
    }
}

/// The digest the tree is built with (see the module docs): what `ct-merkle` feeds it after
/// its one-byte domain separator is either a leaf's 32-byte hash, which is the result as it
/// is, or two child hashes, hashed with SHA-256 after the separator. Nothing fed: the hash of
/// the empty tree, SHA-256 of nothing.
#[derive(Clone, Default)]
pub struct NodeHash(State);

#[derive(Clone, Default)]
enum State {
    #[default]
    Empty,
    Leaf(Vec<u8>),
    Node(Sha256),
}

impl HashMarker for NodeHash {}

impl OutputSizeUser for NodeHash {
    type OutputSize = U32;
}

impl Update for NodeHash {
    fn update(&mut self, data: &[u8]) {
        let Some((&first, rest)) = data.split_first() else {
            return;
        };
        match &mut self.0 {
            State::Empty => {
                self.0 = match first {
                    0x00 => State::Leaf(rest.to_vec()),
                    _ => {
                        let mut node = Sha256::new();
                        Digest::update(&mut node, data);
                        State::Node(node)
                    }
                };
            }
            State::Leaf(bytes) => bytes.extend_from_slice(data),
            State::Node(node) => Digest::update(node, data),
        }
    }
}

impl FixedOutput for NodeHash {
    fn finalize_into(self, out: &mut Output<Self>) {
        match self.0 {
            State::Empty => out.copy_from_slice(&Sha256::digest(b"")),
            // The store only ever pushes 32-byte leaf hashes; a proof's leaf is checked by
            // `verify_inclusion`'s signature. Anything else is this module's bug.
            State::Leaf(bytes) => out.copy_from_slice(
                &<[u8; 32]>::try_from(bytes.as_slice()).expect("a leaf of the tree is its hash"),
            ),
            State::Node(node) => out.copy_from_slice(&node.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ct_merkle::mem_backed_tree::MemoryBackedTree;
    use proptest::prelude::*;

    /// A tree over the records themselves, with plain SHA-256: ct-merkle's own RFC 6962.
    fn reference(records: &[Vec<u8>]) -> MemoryBackedTree<Sha256, Vec<u8>> {
        let mut tree = MemoryBackedTree::new();
        for record in records {
            tree.push(record.clone());
        }
        tree
    }

    #[test]
    fn the_leaf_hash_is_rfc_6962s() {
        // RFC 6962 test vector (certificate-transparency-go, merkle tree tests): the leaf
        // hash of the empty record, and the root of the empty tree.
        assert_eq!(
            hex(&leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            hex(&Tree::default().root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // And the tree of the vectors' first two leaves, the empty record and {0x00}.
        let mut tree = Tree::default();
        tree.push(leaf_hash(b""));
        tree.push(leaf_hash(&[0x00]));
        assert_eq!(
            hex(&tree.root()),
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    proptest! {
        #[test]
        fn the_tree_over_leaf_hashes_is_the_tree_over_records(
            records in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..40),
            pick in any::<prop::sample::Index>(),
        ) {
            let reference = reference(&records);
            let mut tree = Tree::default();
            for record in &records {
                tree.push(leaf_hash(record));
            }
            prop_assert_eq!(tree.root(), <[u8; 32]>::from(*reference.root().as_bytes()));
            let index = pick.index(records.len()) as u64;
            let proof = tree.prove_inclusion(index);
            prop_assert_eq!(
                proof.concat(),
                reference.prove_inclusion(index as usize).as_bytes().to_vec()
            );
            let root = tree.root();
            let size = tree.len();
            let leaf = leaf_hash(&records[index as usize]);
            prop_assert_eq!(verify_inclusion(&root, size, &leaf, index, &proof), Ok(()));
            // Another record at that place is not in the tree.
            let mut other = records[index as usize].clone();
            other.push(1);
            prop_assert_eq!(
                verify_inclusion(&root, size, &leaf_hash(&other), index, &proof),
                Err(InclusionError::Mismatch(index))
            );
        }
    }

    proptest! {
        #[test]
        fn a_grown_tree_proves_it_extends_every_earlier_size_and_a_changed_one_does_not(
            records in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 2..40),
            pick in any::<prop::sample::Index>(),
        ) {
            let mut tree = Tree::default();
            let mut roots = vec![tree.root()];
            for record in &records {
                tree.push(leaf_hash(record));
                roots.push(tree.root());
            }
            let size = tree.len();
            let old = 1 + pick.index(records.len() - 1) as u64;
            let proof = tree.prove_consistency(old);
            // ct-merkle's own RFC 6962 tree over the records gives the same proof.
            let reference = reference(&records);
            prop_assert_eq!(
                proof.concat(),
                reference.prove_consistency((size - old) as usize).as_bytes().to_vec()
            );
            let old_root = roots[old as usize];
            prop_assert_eq!(verify_consistency(old, &old_root, size, &tree.root(), &proof), Ok(()));
            // A tree that changed an earlier entry does not extend the older one.
            let mut changed = records.clone();
            changed[0].push(1);
            let mut forked = Tree::default();
            for record in &changed {
                forked.push(leaf_hash(record));
            }
            prop_assert_eq!(
                verify_consistency(old, &old_root, size, &forked.root(), &forked.prove_consistency(old)),
                Err(ConsistencyError::Forked { old, new: size })
            );
            // And no tree extends a larger one.
            prop_assert_eq!(
                verify_consistency(size, &tree.root(), old, &old_root, &[]),
                Err(ConsistencyError::Shrank { old: size, new: old })
            );
        }
    }

    #[test]
    fn consistency_at_the_edges() {
        let mut tree = Tree::default();
        let empty = tree.root();
        tree.push(leaf_hash(b"a"));
        let one = tree.root();
        // Every tree extends the empty tree; a tree extends itself, and only itself.
        assert_eq!(verify_consistency(0, &empty, 1, &one, &[]), Ok(()));
        assert_eq!(verify_consistency(1, &one, 1, &one, &[]), Ok(()));
        assert_eq!(
            verify_consistency(1, &one, 1, &[3; 32], &[]),
            Err(ConsistencyError::Forked { old: 1, new: 1 })
        );
        assert!(verify_consistency(1, &one, u64::MAX, &one, &[[0; 32]; 200]).is_err());
        assert!(verify_consistency(1, &one, 5, &one, &[[0; 32]; 3]).is_err());
    }

    #[test]
    fn hostile_sizes_indices_and_proofs_are_refused_without_panicking() {
        let root = [7u8; 32];
        let leaf = [9u8; 32];
        for (size, index, hashes) in [
            (u64::MAX, u64::MAX - 1, 63),
            (u64::MAX, 1 << 63, 2),
            ((1 << 63) + 2, (1 << 63) + 1, 64),
            (MAX_SIZE, MAX_SIZE - 1, 62),
            (MAX_SIZE + 1, 0, 1),
            (5, 5, 3),
            (5, u64::MAX, 3),
            (0, 0, 0),
            (1, 0, 0),
            (1, 0, 5),
            (3, 2, 1000),
        ] {
            let proof = vec![[1u8; 32]; hashes];
            let result = verify_inclusion(&root, size, &leaf, index, &proof);
            assert!(result.is_err(), "{size} {index} {hashes}: {result:?}");
        }
    }
}
