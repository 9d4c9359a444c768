//! Multikey encodings of Ed25519 keys: a multicodec header followed by the raw key, written as
//! a base58btc multibase string (a leading `z`).
//!
//! - Public key: multicodec `ed25519-pub` (0xed, varint bytes `0xed 0x01`) and the 32-byte key,
//!   which always reads `z6Mk…`. This is also the method-specific id of a `did:key`.
//! - Secret key: multicodec `ed25519-priv` (0x1300, varint bytes `0x80 0x26`) and the 32-byte
//!   seed, which always reads `z3u2…`.
//!
//! Decoding says exactly what is wrong with a string: not base58btc, not base58 at all,
//! truncated, another key type, wrong length, not a curve point, or a weak key.

use ed25519_dalek::{SigningKey, VerifyingKey};
use thiserror::Error;
use zeroize::Zeroizing;

/// The multicodec code of an Ed25519 public key.
pub const ED25519_PUB: u64 = 0xed;
/// The multicodec code of an Ed25519 secret key (its 32-byte seed).
pub const ED25519_PRIV: u64 = 0x1300;
/// The varint bytes of [`ED25519_PUB`].
pub const ED25519_PUB_PREFIX: [u8; 2] = [0xed, 0x01];
/// The varint bytes of [`ED25519_PRIV`].
pub const ED25519_PRIV_PREFIX: [u8; 2] = [0x80, 0x26];
/// The multibase prefix of base58btc.
pub const BASE58BTC: char = 'z';

/// Length of a decoded Ed25519 Multikey: a 2-byte multicodec header and 32 key bytes.
const ENCODED_LEN: usize = 34;

/// Longest multibase string accepted. An Ed25519 Multikey is 48 characters; anything much
/// longer is not one, and refusing it early keeps base58 decoding (quadratic) cheap.
const MAX_MULTIBASE_LEN: usize = 128;

/// Why a string is not a usable Ed25519 Multikey.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MultikeyError {
    /// Nothing to decode.
    #[error("the key is empty")]
    Empty,
    /// Too long to be an Ed25519 key.
    #[error("the key is {len} characters long; an Ed25519 Multikey has 48")]
    TooLong {
        /// Length of the string, in bytes.
        len: usize,
    },
    /// The multibase prefix names another base than base58btc.
    #[error("the key starts with `{prefix}`, not `z`: only base58btc multibase is supported")]
    NotBase58Btc {
        /// The first character found.
        prefix: char,
    },
    /// The characters after the `z` are not base58 (the bitcoin alphabet).
    #[error("the key is not valid base58btc: {reason}")]
    InvalidBase58 {
        /// What the decoder found.
        reason: String,
    },
    /// The decoded bytes are fewer than a multicodec header and a 32-byte key: characters
    /// are missing.
    #[error(
        "the key is truncated: it decodes to {len} bytes, but an Ed25519 Multikey has 34 (a \
         2-byte multicodec header and the 32-byte key)"
    )]
    Truncated {
        /// How many bytes were decoded.
        len: usize,
    },
    /// The multicodec header names a key type other than the one expected.
    #[error(
        "the key is multicodec 0x{found:x} ({}), not 0x{expected:x} ({})",
        codec_name(*found),
        codec_name(*expected)
    )]
    UnsupportedCodec {
        /// The multicodec code found.
        found: u64,
        /// The one this function accepts.
        expected: u64,
    },
    /// More bytes than an Ed25519 Multikey has: characters were added.
    #[error(
        "the key decodes to {len} bytes, but an Ed25519 Multikey has 34 (a 2-byte multicodec \
         header and the 32-byte key)"
    )]
    WrongLength {
        /// How many bytes were decoded.
        len: usize,
    },
    /// The 32 bytes are not the encoding of a point on Ed25519.
    #[error("the 32 bytes are not a valid Ed25519 public key (not a curve point)")]
    InvalidPublicKey,
    /// A small-order point: anyone could forge "signatures" for it.
    #[error("the key is a weak (small-order) Ed25519 public key and is refused")]
    WeakPublicKey,
}

/// A readable name for the multicodec codes a person is likely to meet in a key.
fn codec_name(code: u64) -> &'static str {
    match code {
        0xe7 => "secp256k1-pub",
        0xeb => "bls12_381-g2-pub",
        0xec => "x25519-pub",
        0xed => "ed25519-pub",
        0x1200 => "p256-pub",
        0x1201 => "p384-pub",
        0x1205 => "rsa-pub",
        0x1300 => "ed25519-priv",
        0x1301 => "secp256k1-priv",
        0x1302 => "x25519-priv",
        0x1306 => "p256-priv",
        _ => "unknown",
    }
}

/// Encodes an Ed25519 public key as a Multikey (`z6Mk…`).
pub fn encode_public(key: &VerifyingKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB_PREFIX);
    bytes.extend_from_slice(key.as_bytes());
    format!("{BASE58BTC}{}", bs58::encode(bytes).into_string())
}

/// Decodes a Multikey (`z6Mk…`) into an Ed25519 public key, refusing weak keys.
pub fn decode_public(multibase: &str) -> Result<VerifyingKey, MultikeyError> {
    let bytes = decode(multibase, ED25519_PUB)?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| MultikeyError::InvalidPublicKey)?;
    if key.is_weak() {
        return Err(MultikeyError::WeakPublicKey);
    }
    Ok(key)
}

/// Encodes an Ed25519 secret key (its seed) as a Multikey (`z3u2…`). The string is wiped from
/// memory when dropped.
pub fn encode_secret(key: &SigningKey) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(34));
    bytes.extend_from_slice(&ED25519_PRIV_PREFIX);
    bytes.extend_from_slice(key.as_bytes());
    let mut out = Zeroizing::new(String::with_capacity(49));
    out.push(BASE58BTC);
    out.push_str(&Zeroizing::new(bs58::encode(&bytes[..]).into_string()));
    out
}

/// Decodes a Multikey secret (`z3u2…`) into an Ed25519 signing key.
pub fn decode_secret(multibase: &str) -> Result<SigningKey, MultikeyError> {
    let seed = decode(multibase, ED25519_PRIV)?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Decodes the multibase string, checks its multicodec header is `codec`, and returns the 32
/// key bytes after it (wiped from memory when dropped, since they may be a secret).
fn decode(multibase: &str, codec: u64) -> Result<Zeroizing<[u8; 32]>, MultikeyError> {
    let mut chars = multibase.chars();
    let prefix = chars.next().ok_or(MultikeyError::Empty)?;
    if multibase.len() > MAX_MULTIBASE_LEN {
        return Err(MultikeyError::TooLong {
            len: multibase.len(),
        });
    }
    if prefix != BASE58BTC {
        return Err(MultikeyError::NotBase58Btc { prefix });
    }
    let bytes = Zeroizing::new(bs58::decode(chars.as_str()).into_vec().map_err(|error| {
        MultikeyError::InvalidBase58 {
            reason: error.to_string(),
        }
    })?);
    // Dropping or adding characters at the end of a base58 string divides or multiplies the
    // number it encodes, which garbles its leading bytes too. So when the header is not the
    // expected one, a known multicodec means another key type, and anything else is judged
    // by its length: truncated or overlong.
    let key = match read_varint(&bytes) {
        Some((found, header_len)) if found == codec => &bytes[header_len..],
        Some((found, _)) if codec_name(found) != "unknown" && bytes.len() >= ENCODED_LEN => {
            return Err(MultikeyError::UnsupportedCodec {
                found,
                expected: codec,
            });
        }
        found => {
            return Err(if bytes.len() < ENCODED_LEN {
                MultikeyError::Truncated { len: bytes.len() }
            } else if bytes.len() > ENCODED_LEN {
                MultikeyError::WrongLength { len: bytes.len() }
            } else {
                MultikeyError::UnsupportedCodec {
                    found: found.map_or(0, |(found, _)| found),
                    expected: codec,
                }
            });
        }
    };
    if key.len() < 32 {
        return Err(MultikeyError::Truncated { len: bytes.len() });
    }
    if key.len() > 32 {
        return Err(MultikeyError::WrongLength { len: bytes.len() });
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(key);
    Ok(out)
}

/// Reads an unsigned LEB128 varint (the multicodec header) from the start of `bytes`: the
/// value and how many bytes it took, or `None` when the bytes end inside it or it does not
/// fit the 9 bytes multiformats allow.
fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (index, byte) in bytes.iter().enumerate().take(9) {
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Some((value, index + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_of_the_two_ed25519_codes() {
        assert_eq!(read_varint(&ED25519_PUB_PREFIX), Some((ED25519_PUB, 2)));
        assert_eq!(read_varint(&ED25519_PRIV_PREFIX), Some((ED25519_PRIV, 2)));
        assert_eq!(read_varint(&[0x80]), None);
        assert_eq!(read_varint(&[]), None);
        assert_eq!(read_varint(&[0xff; 12]), None);
    }

    #[test]
    fn public_keys_read_z6mk() {
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        let encoded = encode_public(&key);
        assert!(encoded.starts_with("z6Mk"), "{encoded}");
        assert_eq!(decode_public(&encoded), Ok(key));
    }

    #[test]
    fn secret_keys_read_z3u2() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let encoded = encode_secret(&key);
        assert!(encoded.starts_with("z3u2"), "{}", encoded.as_str());
        let decoded = decode_secret(&encoded).map(|k| k.to_bytes());
        assert_eq!(decoded, Ok(key.to_bytes()));
    }

    #[test]
    fn a_public_key_is_not_a_secret_key() {
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        let error = decode_secret(&encode_public(&key)).map(|_| ());
        assert_eq!(
            error,
            Err(MultikeyError::UnsupportedCodec {
                found: ED25519_PUB,
                expected: ED25519_PRIV
            })
        );
    }
}
