//! An unlocked identity: an Ed25519 signing key in memory, wiped when dropped.

use std::fmt;

use ed25519_dalek::SigningKey;
use serde_json::Value;
use thiserror::Error;
use zeroize::Zeroizing;

use crate::did_key::DidKey;
use crate::multikey::{self, MultikeyError};
use crate::proof::{self, ProofOptions, SignError};

/// The operating system's random number generator failed.
#[derive(Debug, Clone, Error)]
#[error("the system's random number generator failed: {0}")]
pub struct RandomError(String);

/// Fills `bytes` from the operating system's random number generator.
pub fn fill_random(bytes: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(bytes).map_err(|error| RandomError(error.to_string()))
}

/// A citizen's signing key, in memory. The secret is wiped when the identity is dropped
/// (`ed25519-dalek` zeroizes its `SigningKey` on drop), and it is never printed: `Debug`
/// shows only the DID.
pub struct Identity {
    key: SigningKey,
}

impl Identity {
    /// A fresh random identity that lives only in memory: a kiosk visit's key, gone when it
    /// is dropped. Nothing is written anywhere unless the caller hands it to a key store.
    pub fn generate() -> Result<Self, RandomError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        fill_random(&mut seed[..])?;
        Ok(Self::from_signing_key(SigningKey::from_bytes(&seed)))
    }

    /// The identity of an existing signing key.
    pub fn from_signing_key(key: SigningKey) -> Self {
        Self { key }
    }

    /// Reads an Ed25519 secret key written as a Multikey (`z3u2…`, base58btc, multicodec
    /// `ed25519-priv` 0x1300), such as `agora sign --key-file` takes.
    pub fn from_secret_multikey(multibase: &str) -> Result<Self, MultikeyError> {
        multikey::decode_secret(multibase.trim()).map(Self::from_signing_key)
    }

    /// The secret key as a Multikey (`z3u2…`), wiped from memory when dropped. Handle with
    /// care: whoever holds it can sign as this identity.
    pub fn secret_multikey(&self) -> Zeroizing<String> {
        multikey::encode_secret(&self.key)
    }

    /// The identity's `did:key`.
    pub fn did(&self) -> DidKey {
        DidKey::from_public_key(self.key.verifying_key())
    }

    /// The signing key, for signing anything else than a Data Integrity proof.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// Secures `document` with an `eddsa-jcs-2022` proof made with this identity; see
    /// [`proof::sign`].
    pub fn sign(&self, document: &Value, options: &ProofOptions) -> Result<Value, SignError> {
        proof::sign(document, &self.key, options)
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("did", &self.did().to_string())
            .finish_non_exhaustive()
    }
}
