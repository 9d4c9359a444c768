//! Agora's embedded ledger: the default backend behind the gateway.
//!
//! An append-only log of signed entries ([`entry`]: citizens' submissions and departments'
//! decisions) in an SQLite store ([`store`]), every entry a leaf of an RFC 6962 Merkle tree
//! (built with `ct-merkle`), and after every commit a checkpoint of the tree signed with the
//! ledger's Ed25519 key as a C2SP signed note ([`note`]).
//!
//! The ledger checks what it appends: signatures (`eddsa-jcs-2022`, by the applicant or by the
//! service's department), known and open services, one submission per application id and per
//! application digest of each applicant (so copying someone's pending submission under another
//! key cannot keep theirs out), decisions only for a submission it holds, named by its leaf,
//! and none after a final one. It never sees a citizen's answers: a submission carries them
//! sealed to the department, bound to the applicant.
//!
//! The only I/O is the store directory the caller names.

#![warn(missing_docs)]

pub mod entry;
pub mod note;
pub mod store;
pub mod tree;

pub use entry::{Entry, Refusal, SignedEntry, Submission, Verified};
pub use note::{Checkpoint, NoteError, VerifierKey};
pub use store::{
    Appended, ApplicationRecord, AuditReport, Ledger, SignedCheckpoint, StoreError, StoredEntry,
};
