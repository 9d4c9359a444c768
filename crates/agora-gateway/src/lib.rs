//! Agora's gateway: everything between a signed application and a ledger.
//!
//! - [`backend`]: the [`Ledger`] trait (the pluggable seam: async, cancel-safe, errors that
//!   separate "try again later" from "refused, here is why") and [`LocalLedger`], the
//!   embedded ledger (`agora-ledger`) on its own thread with group commit.
//! - [`city`]: a city's stack opened by one constructor: its catalog (its own directory, or
//!   the demo's), the ledger, the archive and, for the demo, the in-process desk.
//! - [`prepare`]: sign an application and seal it into a submission.
//! - [`plaintext`]: what a submission seals: the signed application in its compact form.
//! - [`seal`]: HPKE (RFC 9180) sealing of applications to a department's X25519 key.
//! - [`archive`]: the citizen's archive and durable outbox, delivery with back-off, and
//!   receipt refresh.
//! - [`desk`]: the department's side: open, verify, review with the published policy, and
//!   append a signed decision.
//! - [`receipt`]: self-contained receipts and their offline verification.
//! - [`compact`]: a receipt without its application, as a QR code's text (CBOR, zlib,
//!   Base45), and its verification.
//! - [`hall`]: a service hall's durable outbox, which holds a kiosk visitor's sealed
//!   submission (never the answers) until a ledger has it.
//! - `evm` (feature `evm`): the registry contract on an Ethereum-compatible chain.
//!
//! The only I/O is the archive, the desk's state and the ledger store, in directories the
//! caller names, and (in later backends) the network.

#![warn(missing_docs)]

pub mod archive;
pub mod backend;
pub mod city;
pub mod compact;
pub mod desk;
#[cfg(feature = "evm")]
pub mod evm;
pub mod hall;
pub mod plaintext;
pub mod prepare;
pub mod receipt;
pub mod seal;

pub use archive::{Archive, Archived, State};
pub use backend::{Ledger, LedgerError, LocalLedger};
pub use city::{CatalogSource, CityError, LedgerSpec, Stack};
pub use desk::{Desk, DeskKeys};
pub use prepare::{Prepared, prepare};
pub use receipt::{Receipt, ReceiptError, TrustedLedgers, VerifiedReceipt};
