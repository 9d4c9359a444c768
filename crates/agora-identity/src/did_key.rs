//! `did:key` for Ed25519 (the did:key method, v0.7): `did:key:z6Mk…`, whose method-specific id
//! is the key's Multikey, and whose one verification method is `did:key:z6Mk…#z6Mk…`.
//!
//! Resolving a did:key needs no network: the DID *is* the public key. [`DidKey::parse`] and
//! [`DidKey::from_verification_method`] check everything a verifier must before trusting the
//! key, and say what is wrong with a DID that fails.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::VerifyingKey;
use thiserror::Error;

use crate::multikey::{self, MultikeyError};

/// The scheme and method every did:key starts with.
pub const PREFIX: &str = "did:key:";

/// How much of a rejected input an error message quotes.
const QUOTE_LEN: usize = 60;

/// An Ed25519 `did:key`: a public key that names itself.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DidKey {
    key: VerifyingKey,
}

/// Why a string is not a usable Ed25519 did:key or did:key verification method.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DidKeyError {
    /// The string does not start with `did:key:`.
    #[error("`{found}` is not a did:key: it must start with `did:key:`")]
    NotDidKey {
        /// The start of the string found.
        found: String,
    },
    /// A path, query, parameter or extra `:` that an Ed25519 did:key never has.
    #[error("`{found}` is not a plain did:key: {problem}")]
    Malformed {
        /// The start of the string found.
        found: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// The method-specific id is not an Ed25519 public Multikey.
    #[error("the did:key's key is unusable: {0}")]
    Key(#[from] MultikeyError),
    /// A verification method id needs a `#fragment`.
    #[error("`{found}` is a DID, not a verification method: the `#z6Mk…` fragment is missing")]
    MissingFragment {
        /// The start of the string found.
        found: String,
    },
    /// The fragment does not name the did:key's own key.
    #[error(
        "the verification method fragment `#{fragment}` does not name the did:key's own key \
         (`#{expected}`)"
    )]
    FragmentMismatch {
        /// The fragment found.
        fragment: String,
        /// The only fragment a did:key has.
        expected: String,
    },
}

/// The start of `text`, for error messages, cut at a character boundary.
fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_LEN) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

impl DidKey {
    /// The did:key of an Ed25519 public key.
    pub fn from_public_key(key: VerifyingKey) -> Self {
        Self { key }
    }

    /// Parses `did:key:z6Mk…` (no fragment, path or query).
    pub fn parse(did: &str) -> Result<Self, DidKeyError> {
        let id = did
            .strip_prefix(PREFIX)
            .ok_or_else(|| DidKeyError::NotDidKey { found: quote(did) })?;
        if id.contains('#') {
            return Err(DidKeyError::Malformed {
                found: quote(did),
                problem: "a DID has no `#fragment` (that is a verification method id)",
            });
        }
        if id.contains(['/', '?', ';', ':']) {
            return Err(DidKeyError::Malformed {
                found: quote(did),
                problem: "Ed25519 did:keys have no version, path, query or parameters",
            });
        }
        let key = multikey::decode_public(id)?;
        Ok(Self { key })
    }

    /// Resolves a verification method id, `did:key:z6Mk…#z6Mk…`, to its did:key. The fragment
    /// must be the key's own Multikey, as the did:key method defines.
    pub fn from_verification_method(id: &str) -> Result<Self, DidKeyError> {
        let (did, fragment) = id
            .split_once('#')
            .ok_or_else(|| DidKeyError::MissingFragment { found: quote(id) })?;
        let did_key = Self::parse(did)?;
        let expected = did_key.multibase();
        if fragment != expected {
            return Err(DidKeyError::FragmentMismatch {
                fragment: quote(fragment),
                expected,
            });
        }
        Ok(did_key)
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// The method-specific id: the key as a Multikey, `z6Mk…`.
    pub fn multibase(&self) -> String {
        multikey::encode_public(&self.key)
    }

    /// The id of the key's verification method, `did:key:z6Mk…#z6Mk…`: the value a Data
    /// Integrity proof names in `verificationMethod`.
    pub fn verification_method(&self) -> String {
        let multibase = self.multibase();
        format!("{PREFIX}{multibase}#{multibase}")
    }
}

impl fmt::Display for DidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", self.multibase())
    }
}

impl fmt::Debug for DidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DidKey({self})")
    }
}

impl FromStr for DidKey {
    type Err = DidKeyError;

    fn from_str(did: &str) -> Result<Self, Self::Err> {
        Self::parse(did)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_cut_at_a_character_boundary() {
        let long = "é".repeat(100);
        let quoted = quote(&long);
        assert_eq!(quoted.chars().count(), QUOTE_LEN + 1);
        assert_eq!(quote("short"), "short");
    }
}
