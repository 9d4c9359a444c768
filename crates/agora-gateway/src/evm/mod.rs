//! The EVM backend: Agora's ledger as a registry contract (`contracts/AgoraRegistry.sol`) on an
//! Ethereum-compatible chain, so that one ledger serves every citizen's client, every hall's
//! kiosks and every department's desk of a city.
//!
//! - [`contract`]: the contract's bindings, bytecode and keys.
//! - [`chain`]: a connection to the registry through one account, with named failures.
//! - [`anvil`]: a local node for tests and benchmarks.

pub mod anvil;
pub mod chain;
pub mod contract;

pub use chain::{ChainError, Registry};

/// The alloy this backend is built on, for callers that speak to the chain themselves.
pub use alloy;
