//! The encrypted key file, format version 1. Profile keys and backups share it.
//!
//! ```text
//! offset size  field
//!      0    8  magic "AGORAKEY"
//!      8    1  format version (1)
//!      9    1  KDF (1 = Argon2id, version 0x13)
//!     10    4  Argon2 memory, KiB         (u32, little-endian)
//!     14    4  Argon2 iterations          (u32, little-endian)
//!     18    4  Argon2 lanes               (u32, little-endian)
//!     22   16  salt                       (random)
//!     38   24  XChaCha20-Poly1305 nonce   (random)
//!     62   32  Ed25519 public key         (so the DID can be shown without the PIN)
//!     94   48  ciphertext: the 32-byte Ed25519 seed and the 16-byte Poly1305 tag
//!    142   32  SHA-256 of bytes 0..142
//! ```
//!
//! The key is `Argon2id(PIN, salt)`; bytes 0..94 (the header) are the AEAD's associated
//! data, so no header field can be changed without the unlock failing. The trailing SHA-256
//! is not a security measure (anyone who can change the file can recompute it): it tells a
//! file damaged on disk apart from a wrong PIN, which the AEAD alone cannot.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::Zeroizing;

use super::Pin;
use super::kdf::KdfParams;
use crate::identity::{RandomError, fill_random};

/// The first bytes of every key file.
pub const MAGIC: &[u8; 8] = b"AGORAKEY";
/// The format version this code writes.
pub const VERSION: u8 = 1;
/// The KDF code of Argon2id version 0x13.
const KDF_ARGON2ID: u8 = 1;

const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 8 + 1 + 1 + 3 * 4 + SALT_LEN + NONCE_LEN + 32;
const CIPHERTEXT_LEN: usize = 32 + 16;
const CHECKSUM_LEN: usize = 32;
/// The length of a version 1 key file.
pub const FILE_LEN: usize = HEADER_LEN + CIPHERTEXT_LEN + CHECKSUM_LEN;

/// What is wrong with a damaged key file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Damage {
    /// The file has the wrong size.
    #[error(
        "it is {found} bytes long, but a key file has {FILE_LEN}: it was truncated or is not a key file"
    )]
    Length {
        /// Its size in bytes.
        found: usize,
    },
    /// The magic bytes are missing.
    #[error("it does not start with AGORAKEY: it is not an Agora key file")]
    Magic,
    /// A version this code does not know.
    #[error("it is format version {found}, which this version of Agora cannot read; update Agora")]
    Version {
        /// The version found.
        found: u8,
    },
    /// An unknown key derivation function.
    #[error("it names key derivation function {found}, which this version of Agora does not know")]
    Kdf {
        /// The code found.
        found: u8,
    },
    /// KDF parameters Argon2 refuses or that exceed what a file may demand.
    #[error(
        "its Argon2id parameters ({memory_kib} KiB, {iterations} iterations, {parallelism} lanes) \
         are invalid or more than a key file may demand (at most 1 GiB, 8 iterations, 8 lanes, \
         and 4 GiB of memory passes in all): it was not made by Agora, or was made to tie up \
         this machine"
    )]
    KdfParams {
        /// Memory, in KiB.
        memory_kib: u32,
        /// Iterations.
        iterations: u32,
        /// Lanes.
        parallelism: u32,
    },
    /// The checksum does not match.
    #[error("its checksum does not match: the file was changed or damaged on disk")]
    Checksum,
    /// The public key in the header is not an Ed25519 key.
    #[error("the public key in its header is not a valid Ed25519 key")]
    PublicKey,
    /// The secret decrypted, but does not belong to the header's public key.
    #[error("the secret key inside does not match the public key in its header")]
    KeyMismatch,
}

/// A key file whose structure checked out; its secret is still encrypted.
#[derive(Debug, Clone)]
pub struct Sealed {
    bytes: [u8; FILE_LEN],
    kdf: KdfParams,
    public_key: VerifyingKey,
}

/// Why a sealed key would not open.
#[derive(Debug, Error)]
pub enum OpenError {
    /// The PIN or passphrase is wrong (or the encrypted part was deliberately altered, which
    /// looks the same).
    #[error("wrong PIN or passphrase")]
    WrongPin,
    /// The file is damaged.
    #[error(transparent)]
    Damaged(#[from] Damage),
    /// Argon2 refused to run (not enough memory).
    #[error("the key derivation failed: {0}")]
    Kdf(String),
}

/// Why a key could not be sealed.
#[derive(Debug, Error)]
pub enum SealError {
    /// No randomness for the salt and nonce.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// Argon2 refused to run (not enough memory).
    #[error("the key derivation failed: {0}")]
    Kdf(String),
    /// Encryption failed.
    #[error("encryption failed")]
    Encrypt,
}

/// `Argon2id(pin, salt)`, the 32-byte AEAD key.
fn derive_key(pin: &Pin, salt: &[u8], kdf: &KdfParams) -> Result<Zeroizing<[u8; 32]>, String> {
    let params = kdf.argon2_params().map_err(|error| error.to_string())?;
    let argon2 = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon2
        .hash_password_into(pin.as_bytes(), salt, &mut key[..])
        .map_err(|error| error.to_string())?;
    Ok(key)
}

/// Encrypts `key` under `pin` with fresh salt and nonce, returning the file's bytes.
pub fn seal(key: &SigningKey, pin: &Pin, kdf: &KdfParams) -> Result<Vec<u8>, SealError> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut salt)?;
    fill_random(&mut nonce)?;

    let mut bytes = Vec::with_capacity(FILE_LEN);
    bytes.extend_from_slice(MAGIC);
    bytes.push(VERSION);
    bytes.push(KDF_ARGON2ID);
    bytes.extend_from_slice(&kdf.memory_kib().to_le_bytes());
    bytes.extend_from_slice(&kdf.iterations().to_le_bytes());
    bytes.extend_from_slice(&kdf.parallelism().to_le_bytes());
    bytes.extend_from_slice(&salt);
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(key.verifying_key().as_bytes());
    debug_assert_eq!(bytes.len(), HEADER_LEN);

    let aead_key = derive_key(pin, &salt, kdf).map_err(SealError::Kdf)?;
    let aead_key: &[u8; 32] = &aead_key;
    let cipher = XChaCha20Poly1305::new(aead_key.into());
    let ciphertext = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: key.as_bytes(),
                aad: &bytes,
            },
        )
        .map_err(|_| SealError::Encrypt)?;
    if ciphertext.len() != CIPHERTEXT_LEN {
        return Err(SealError::Encrypt);
    }
    bytes.extend_from_slice(&ciphertext);
    let checksum = Sha256::digest(&bytes);
    bytes.extend_from_slice(&checksum);
    Ok(bytes)
}

/// Checks a file's structure (size, magic, version, KDF and its parameters, checksum, public
/// key) without the PIN.
pub fn parse(bytes: &[u8]) -> Result<Sealed, Damage> {
    let bytes: [u8; FILE_LEN] = bytes.try_into().map_err(|_| {
        // Say "not a key file" rather than "wrong length" when the magic is wrong too.
        if bytes.starts_with(MAGIC) || MAGIC.starts_with(bytes) {
            Damage::Length { found: bytes.len() }
        } else {
            Damage::Magic
        }
    })?;
    if &bytes[..8] != MAGIC {
        return Err(Damage::Magic);
    }
    if bytes[8] != VERSION {
        return Err(Damage::Version { found: bytes[8] });
    }
    let (body, checksum) = bytes.split_at(FILE_LEN - CHECKSUM_LEN);
    if Sha256::digest(body)[..] != checksum[..] {
        return Err(Damage::Checksum);
    }
    if bytes[9] != KDF_ARGON2ID {
        return Err(Damage::Kdf { found: bytes[9] });
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let (memory_kib, iterations, parallelism) = (word(10), word(14), word(18));
    let kdf =
        KdfParams::from_file(memory_kib, iterations, parallelism).ok_or(Damage::KdfParams {
            memory_kib,
            iterations,
            parallelism,
        })?;
    let mut public_key = [0u8; 32];
    public_key.copy_from_slice(&bytes[62..94]);
    let public_key = VerifyingKey::from_bytes(&public_key).map_err(|_| Damage::PublicKey)?;
    Ok(Sealed {
        bytes,
        kdf,
        public_key,
    })
}

impl Sealed {
    /// The public key stored in the header (readable without the PIN).
    pub fn public_key(&self) -> &VerifyingKey {
        &self.public_key
    }

    /// The Argon2id parameters the file was sealed with.
    pub fn kdf(&self) -> &KdfParams {
        &self.kdf
    }

    /// Decrypts the secret key with `pin`.
    pub fn open(&self, pin: &Pin) -> Result<SigningKey, OpenError> {
        let header = &self.bytes[..HEADER_LEN];
        let salt = &self.bytes[22..22 + SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&self.bytes[38..38 + NONCE_LEN]);
        let ciphertext = &self.bytes[HEADER_LEN..HEADER_LEN + CIPHERTEXT_LEN];

        let aead_key = derive_key(pin, salt, &self.kdf).map_err(OpenError::Kdf)?;
        let aead_key: &[u8; 32] = &aead_key;
        let cipher = XChaCha20Poly1305::new(aead_key.into());
        let seed = Zeroizing::new(
            cipher
                .decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: header,
                    },
                )
                .map_err(|_| OpenError::WrongPin)?,
        );
        let seed: &[u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| Damage::KeyMismatch)?;
        let key = SigningKey::from_bytes(seed);
        if key.verifying_key() != self.public_key {
            return Err(Damage::KeyMismatch.into());
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin() -> Pin {
        Pin::new("correct horse".to_owned()).expect("a long enough PIN")
    }

    fn kdf() -> KdfParams {
        KdfParams::from_file(8, 1, 1).expect("Argon2's smallest parameters")
    }

    #[test]
    fn layout_adds_up() {
        assert_eq!(HEADER_LEN, 94);
        assert_eq!(FILE_LEN, 174);
    }

    #[test]
    fn sealed_keys_open_with_their_pin_only() -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::from_bytes(&[5; 32]);
        let bytes = seal(&key, &pin(), &kdf())?;
        assert_eq!(bytes.len(), FILE_LEN);
        let sealed = parse(&bytes)?;
        assert_eq!(sealed.public_key(), &key.verifying_key());
        assert_eq!(sealed.open(&pin())?.to_bytes(), key.to_bytes());
        let wrong = Pin::new("incorrect horse".to_owned())?;
        assert!(matches!(sealed.open(&wrong), Err(OpenError::WrongPin)));
        Ok(())
    }

    #[test]
    fn fresh_salt_and_nonce_every_time() -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::from_bytes(&[5; 32]);
        let first = seal(&key, &pin(), &kdf())?;
        let second = seal(&key, &pin(), &kdf())?;
        assert_ne!(first[22..62], second[22..62]);
        assert_ne!(first[HEADER_LEN..], second[HEADER_LEN..]);
        Ok(())
    }

    #[test]
    fn a_changed_header_field_fails_to_open_even_with_a_fixed_checksum()
    -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::from_bytes(&[5; 32]);
        let mut bytes = seal(&key, &pin(), &kdf())?;
        // Swap in another public key and recompute the checksum: the AEAD still catches it.
        let other = SigningKey::from_bytes(&[6; 32]).verifying_key();
        bytes[62..94].copy_from_slice(other.as_bytes());
        let checksum = Sha256::digest(&bytes[..FILE_LEN - CHECKSUM_LEN]);
        bytes[FILE_LEN - CHECKSUM_LEN..].copy_from_slice(&checksum);
        let sealed = parse(&bytes)?;
        assert!(matches!(sealed.open(&pin()), Err(OpenError::WrongPin)));
        Ok(())
    }
}
