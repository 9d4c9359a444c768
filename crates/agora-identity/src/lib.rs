//! Citizen identity for Agora, with no Bevy and no network.
//!
//! - [`did_key`] and [`multikey`]: the citizen's `did:key` (Ed25519, `z6Mk…`) and the Multikey
//!   encodings of Ed25519 public and secret keys.
//! - [`proof`]: Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C "Data Integrity
//!   EdDSA Cryptosuites v1.0", May 2025): sign a JSON document, verify a signed one.
//! - [`canonical`]: RFC 8785 JSON canonicalization, and a JSON reader that refuses duplicate
//!   member names.
//! - [`keystore`]: one encrypted key per profile in a directory (Argon2id + XChaCha20-Poly1305),
//!   unlocked by a PIN or passphrase, with a back-off on wrong PINs that survives restarts,
//!   and encrypted backups.
//! - [`Identity`]: an unlocked key in memory; [`Identity::generate`] alone makes an ephemeral
//!   identity (a kiosk visit) that never touches the disk.
//!
//! The only I/O this crate does is on the key store's directory and backup files the caller
//! names.

pub mod canonical;
pub mod clock;
pub mod did_key;
pub mod home;
mod identity;
pub mod keystore;
pub mod multikey;
pub mod proof;

pub use clock::{Clock, SystemClock};
pub use did_key::{DidKey, DidKeyError};
pub use home::{HomeError, KEYSTORE_DIR, default_home, resolve_home};
pub use identity::{Identity, RandomError, fill_random};
pub use keystore::{
    BackoffPolicy, KdfParams, KeyStore, Overwrite, Pin, PinError, Profile, ProfileError, StoreError,
};
pub use multikey::MultikeyError;
pub use proof::{ProofOptions, SignError, Verified, VerifyError, VerifyOptions};

/// The Ed25519 key types this crate builds on, re-exported so callers need not depend on
/// `ed25519-dalek` themselves.
pub use ed25519_dalek::{SigningKey, VerifyingKey};
