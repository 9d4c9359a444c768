//! A department's public encryption key: X25519, the key that HPKE (RFC 9180, DHKEM(X25519))
//! encrypts a citizen's answers to, written as a Multikey: base58btc multibase of the
//! multicodec `x25519-pub` (0xec, varint bytes `0xec 0x01`) and the 32-byte key, which always
//! reads `z6LS…`.
//!
//! The matching secret key never appears in a catalog. (Its Multikey form, used by the demo
//! desk's key files, is multicodec `x25519-priv`, 0x1302, varint bytes `0x82 0x26`.)

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The multicodec code of an X25519 public key.
pub const X25519_PUB: u64 = 0xec;
/// The varint bytes of [`X25519_PUB`].
pub const X25519_PUB_PREFIX: [u8; 2] = [0xec, 0x01];
/// The multicodec code of an X25519 secret key.
pub const X25519_PRIV: u64 = 0x1302;
/// The varint bytes of [`X25519_PRIV`].
pub const X25519_PRIV_PREFIX: [u8; 2] = [0x82, 0x26];

/// An X25519 public key: where a department's applications are encrypted to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EncryptionKey {
    bytes: [u8; 32],
}

/// Why a string is not an X25519 public Multikey.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncryptionKeyError {
    /// Nothing to decode.
    #[error("the encryption key is empty")]
    Empty,
    /// Far longer than a Multikey.
    #[error("the encryption key is {len} characters long; an X25519 Multikey has 48")]
    TooLong {
        /// Length found, in bytes.
        len: usize,
    },
    /// Not base58btc multibase.
    #[error("the encryption key starts with `{prefix}`, not `z`: it must be base58btc multibase")]
    NotBase58Btc {
        /// The first character found.
        prefix: char,
    },
    /// Not base58.
    #[error("the encryption key is not valid base58btc: {reason}")]
    InvalidBase58 {
        /// What the decoder said.
        reason: String,
    },
    /// Another key type, such as an Ed25519 key (`z6Mk…`) where X25519 (`z6LS…`) belongs.
    #[error(
        "the encryption key is not an X25519 public key (multicodec 0xec, `z6LS…`){}",
        if *.ed25519 { ": it is an Ed25519 key (`z6Mk…`), which signs but cannot encrypt" } else { "" }
    )]
    WrongCodec {
        /// Whether it is an Ed25519 public key, the usual mix-up.
        ed25519: bool,
    },
    /// The wrong number of key bytes.
    #[error("the encryption key has {len} key bytes; X25519 keys have 32")]
    WrongLength {
        /// Key bytes found after the multicodec header.
        len: usize,
    },
    /// A key of all zeros, which every shared secret would equal.
    #[error("the encryption key is all zeros, which no real key is")]
    Zero,
}

impl EncryptionKey {
    /// The key with these 32 bytes (the X25519 u-coordinate, little-endian).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { bytes }
    }

    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Reads a Multikey, `z6LS…`.
    pub fn parse(text: &str) -> Result<Self, EncryptionKeyError> {
        let mut chars = text.chars();
        let prefix = chars.next().ok_or(EncryptionKeyError::Empty)?;
        if text.len() > 128 {
            return Err(EncryptionKeyError::TooLong { len: text.len() });
        }
        if prefix != 'z' {
            return Err(EncryptionKeyError::NotBase58Btc { prefix });
        }
        let decoded = bs58::decode(chars.as_str()).into_vec().map_err(|error| {
            EncryptionKeyError::InvalidBase58 {
                reason: error.to_string(),
            }
        })?;
        let Some(key) = decoded.strip_prefix(&X25519_PUB_PREFIX) else {
            return Err(EncryptionKeyError::WrongCodec {
                ed25519: decoded.starts_with(&[0xed, 0x01]),
            });
        };
        let bytes: [u8; 32] = key
            .try_into()
            .map_err(|_| EncryptionKeyError::WrongLength { len: key.len() })?;
        if bytes == [0; 32] {
            return Err(EncryptionKeyError::Zero);
        }
        Ok(Self { bytes })
    }

    /// The Multikey, `z6LS…`.
    pub fn multibase(&self) -> String {
        let mut bytes = Vec::with_capacity(34);
        bytes.extend_from_slice(&X25519_PUB_PREFIX);
        bytes.extend_from_slice(&self.bytes);
        format!("z{}", bs58::encode(bytes).into_string())
    }
}

impl fmt::Display for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.multibase())
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey({})", self.multibase())
    }
}

impl FromStr for EncryptionKey {
    type Err = EncryptionKeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}
