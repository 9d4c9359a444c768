//! Checking an EVM receipt against the chain: what offline verification cannot see.
//!
//! [`on_chain`] asks a node (any node of the chain: the verifier's own, or a public one) that
//! the receipt's registry is a contract there, that it holds the receipt's batch root with the
//! receipt's size and positions, anchored in the receipt's block, that the decision's
//! transaction recorded that decision (its digest and position) from that registry, and that
//! both blocks are still in the chain and final: at least `confirmations` blocks deep. The
//! offline checks ([`crate::receipt::verify`]) come first; this adds the chain's word.

use alloy::primitives::{Address, B256};
use alloy::providers::Provider as _;
use alloy::signers::local::PrivateKeySigner;
use sha2::{Digest as _, Sha256};

use super::chain::{ChainError, Registry, classify};
use super::contract::AgoraRegistry;
use crate::receipt::EvmProof;

/// Why a receipt does not hold against the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnChainError {
    /// The chain could not be asked.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The chain says otherwise than the receipt.
    #[error("the chain does not bear it out: {0}")]
    Differs(String),
    /// Everything is there, but not yet final.
    #[error("{0} is not final yet: {1} confirmation(s) of the {2} asked for; try again later")]
    NotFinal(String, u64, u64),
}

fn differs(problem: impl Into<String>) -> OnChainError {
    OnChainError::Differs(problem.into())
}

/// What the chain confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnChain {
    /// The newest block when asked.
    pub head: u64,
    /// The confirmations the batch's block has.
    pub batch_confirmations: u64,
    /// The confirmations the decision's block has, if the receipt holds a decision.
    pub decision_confirmations: Option<u64>,
}

/// Checks `proof` (a receipt's ledger part, already verified offline) against the chain at
/// `url`, asking for `confirmations` blocks over each of its blocks.
pub async fn on_chain(
    proof: &EvmProof,
    url: &str,
    confirmations: u64,
) -> Result<OnChain, OnChainError> {
    let address: Address = proof
        .registry
        .parse()
        .map_err(|_| differs(format!("`{}` is not an address", proof.registry)))?;
    // Reading needs no funds: any key will do, and it signs nothing.
    let registry = Registry::connect(
        url,
        Some(proof.chain_id),
        address,
        PrivateKeySigner::random(),
    )
    .await?;
    let head = registry.block_number().await?;
    let depth = |block: u64| head.saturating_sub(block);

    // The batch: held by the registry as the receipt says, in the receipt's block.
    let submitted = &proof.submission;
    let root: B256 = submitted
        .batch
        .root
        .parse()
        .map_err(|_| differs("the batch root is not a 32-byte hash"))?;
    let batch = registry
        .contract()
        .getBatch(root)
        .call()
        .await
        .map_err(|error| differs(format!("the registry cannot be read: {error}")))?;
    if batch.count == 0 {
        return Err(differs(format!(
            "the registry holds no batch with the root {root}"
        )));
    }
    if u64::from(batch.count) != submitted.batch.size
        || batch.first.checked_add(submitted.batch.leaf) != Some(submitted.index)
    {
        return Err(differs(format!(
            "the registry's batch {root} has {} submissions from position {}, not {} with this one at position {}",
            batch.count, batch.first, submitted.batch.size, submitted.index
        )));
    }
    if batch.blockNumber != submitted.block {
        return Err(differs(format!(
            "the batch was anchored in block {}, not {}",
            batch.blockNumber, submitted.block
        )));
    }
    let time = i64::try_from(batch.time).unwrap_or(i64::MAX);
    if time != submitted.time.unix_timestamp() {
        return Err(differs(
            "the batch's block has another time than the receipt's",
        ));
    }
    let hash = registry.block_hash(submitted.block).await?;
    if hash.map(|h| h.to_string()) != Some(submitted.block_hash.clone()) {
        return Err(differs(format!(
            "block {} is not the receipt's block {} any more: the chain reorganised",
            submitted.block, submitted.block_hash
        )));
    }
    if depth(submitted.block) < confirmations {
        return Err(OnChainError::NotFinal(
            "the batch".to_owned(),
            depth(submitted.block),
            confirmations,
        ));
    }

    // The decision: its transaction, from this registry, recorded this document.
    let decision_confirmations = match &proof.decision {
        None => None,
        Some(decided) => {
            let transaction: B256 = decided
                .transaction
                .parse()
                .map_err(|_| differs("the decision's transaction is not a 32-byte hash"))?;
            let receipt = registry
                .provider()
                .get_transaction_receipt(transaction)
                .await
                .map_err(|error| OnChainError::Chain(classify(url, error)))?
                .ok_or_else(|| differs(format!("the chain has no transaction {transaction}")))?;
            if !receipt.status()
                || receipt.block_number != Some(decided.block)
                || receipt.block_hash.map(|h| h.to_string()) != Some(decided.block_hash.clone())
            {
                return Err(differs(format!(
                    "transaction {transaction} did not succeed in block {} ({})",
                    decided.block, decided.block_hash
                )));
            }
            let document = agora_identity::canonical::canonicalize(&decided.entry)
                .map_err(|error| differs(error.to_string()))?;
            let digest = B256::from(<[u8; 32]>::from(Sha256::digest(&document)));
            let recorded = receipt.inner.logs().iter().any(|log| {
                log.address() == address
                    && log
                        .log_decode::<AgoraRegistry::DecisionRecorded>()
                        .is_ok_and(|event| {
                            let event = event.inner.data;
                            event.digest == digest
                                && event.position == decided.index
                                && event.applicationPosition == submitted.index
                                && event.root == root
                        })
            });
            if !recorded {
                return Err(differs(format!(
                    "transaction {transaction} recorded no decision with this document's digest at position {} from the registry",
                    decided.index
                )));
            }
            let hash = registry.block_hash(decided.block).await?;
            if hash.map(|h| h.to_string()) != Some(decided.block_hash.clone()) {
                return Err(differs(format!(
                    "block {} is not the decision's block {} any more: the chain reorganised",
                    decided.block, decided.block_hash
                )));
            }
            if depth(decided.block) < confirmations {
                return Err(OnChainError::NotFinal(
                    "the decision".to_owned(),
                    depth(decided.block),
                    confirmations,
                ));
            }
            Some(depth(decided.block))
        }
    };
    Ok(OnChain {
        head,
        batch_confirmations: depth(submitted.block),
        decision_confirmations,
    })
}
