//! The EVM backend: Agora's ledger as a registry contract (`contracts/AgoraRegistry.sol`) on an
//! Ethereum-compatible chain, so that one ledger serves every citizen's client, every hall's
//! kiosks and every department's desk of a city.
//!
//! - [`contract`]: the contract's bindings, bytecode and keys.
//! - [`chain`]: a connection to the registry through one account, with named failures.
//! - [`codec`]: signed submissions in the compact form an anchoring call carries.
//! - [`batch`]: a batch's RFC 6962 tree, root and inclusion proofs.
//! - [`ledger`]: [`EvmLedger`], the registry behind the gateway's `Ledger` seam.
//! - [`verify`]: an EVM receipt checked against the chain.
//! - [`anvil`]: a local node for tests and benchmarks.

pub mod anvil;
pub mod batch;
pub mod chain;
pub mod codec;
pub mod contract;
pub mod ledger;
pub mod settings;
pub mod verify;

pub use chain::{ChainError, Registry};
pub use ledger::{EvmAudit, EvmConfig, EvmLedger};

/// The alloy this backend is built on, for callers that speak to the chain themselves.
pub use alloy;
