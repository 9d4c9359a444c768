//! A batch of submissions as one anchoring: their RFC 6962 tree, whose root the registry
//! anchors, each submission's inclusion proof in it, and their compact bytes for the call's
//! data.
//!
//! A submission's leaf is RFC 6962's leaf hash of its canonical JSON (RFC 8785), the signed
//! submission exactly as decoding the compact form gives it back: whoever holds the
//! submission (the citizen's receipt, the department's desk, an auditor reading the chain)
//! rebuilds the same leaf. Unlike the embedded ledger's leaves, the leaf holds no time: the
//! block that anchors the batch gives it.

use agora_ledger::tree::{Hash, Tree};
use serde_json::Value;

use super::codec::{self, CodecError};

/// The leaf hash of a signed submission.
pub fn leaf(submission: &Value) -> Result<Hash, CodecError> {
    crate::receipt::batch_leaf(submission).map_err(CodecError::NotCompact)
}

/// A batch ready to anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The RFC 6962 root of the submissions' leaves, in order.
    pub root: Hash,
    /// Each submission's leaf.
    pub leaves: Vec<Hash>,
    /// Each submission's inclusion proof (leaf to root).
    pub proofs: Vec<Vec<Hash>>,
    /// The submissions' compact bytes, one after another (for a batch with its submissions
    /// in the call's data).
    pub data: Vec<u8>,
}

impl Batch {
    /// The batch of `submissions` (signed, to one service), in this order.
    pub fn new(submissions: &[Value]) -> Result<Self, CodecError> {
        let leaves = submissions
            .iter()
            .map(leaf)
            .collect::<Result<Vec<_>, _>>()?;
        let data = codec::encode_batch(submissions)?;
        Ok(Self::from_parts(leaves, data))
    }

    /// The batch of submissions already hashed (`leaves`) and encoded (`data`, their compact
    /// forms one after another, in the same order).
    pub fn from_parts(leaves: Vec<Hash>, data: Vec<u8>) -> Self {
        let (root, proofs) = tree_of(&leaves);
        Self {
            root,
            leaves,
            proofs,
            data,
        }
    }

    /// How many submissions.
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }
}

/// The root of `leaves` and each one's inclusion proof.
pub fn tree_of(leaves: &[Hash]) -> (Hash, Vec<Vec<Hash>>) {
    let mut tree = Tree::default();
    for leaf in leaves {
        tree.push(*leaf);
    }
    let proofs = (0..leaves.len() as u64)
        .map(|index| tree.prove_inclusion(index))
        .collect();
    (tree.root(), proofs)
}
