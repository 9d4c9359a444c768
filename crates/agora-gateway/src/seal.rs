//! Sealing a citizen's signed application to a department: HPKE (RFC 9180) in base mode with
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and ChaCha20-Poly1305, from the `hpke` crate.
//!
//! The plaintext is the signed application's canonical JSON. The `info` string names Agora and
//! the format version; the associated data binds the ciphertext to its submission (application
//! id, service and the application's digest), so a sealed application cannot be moved into
//! another submission.

use agora_ledger::entry::{SEAL_SUITE, Sealed};
use agora_services::EncryptionKey;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, Kem as _, OpModeR, OpModeS, Serializable as _};
use thiserror::Error;
use zeroize::Zeroizing;

type Kem = X25519HkdfSha256;

/// The HPKE `info` of every sealed application.
const INFO: &[u8] = b"agora application v1";

/// Why a sealed application cannot be opened or made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SealError {
    /// The department key is not an X25519 key HPKE can use.
    #[error("the department's encryption key cannot be used: {0}")]
    Key(String),
    /// The ciphertext is damaged, was sealed to another key, or belongs to another submission.
    #[error("the sealed application cannot be opened: {0}")]
    Open(String),
    /// The sealed parts are not well-formed.
    #[error("the sealed application is malformed: {0}")]
    Malformed(String),
}

/// What a sealed application is bound to: its submission's application id, service, digest
/// and applicant, so that a ciphertext copied into someone else's submission does not open.
pub fn associated_data(
    id: &str,
    service: &str,
    application_sha256: &str,
    applicant: &str,
) -> Vec<u8> {
    format!("{id}\n{service}\n{application_sha256}\n{applicant}").into_bytes()
}

/// The associated data of submissions sealed before the applicant was bound (what the desk
/// still opens, for submissions already on a ledger; it checks then that the sealed
/// application's signer is the submission's applicant).
pub fn legacy_associated_data(id: &str, service: &str, application_sha256: &str) -> Vec<u8> {
    format!("{id}\n{service}\n{application_sha256}").into_bytes()
}

/// Seals `plaintext` to the department key `to`, bound to `aad`.
pub fn seal(plaintext: &[u8], to: &EncryptionKey, aad: &[u8]) -> Result<Sealed, SealError> {
    let public = <Kem as hpke::Kem>::PublicKey::from_bytes(to.as_bytes())
        .map_err(|error| SealError::Key(error.to_string()))?;
    let (enc, ciphertext) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &public,
        INFO,
        plaintext,
        aad,
    )
    .map_err(|error| SealError::Key(error.to_string()))?;
    Ok(Sealed {
        suite: SEAL_SUITE.to_owned(),
        enc: BASE64.encode(enc.to_bytes()),
        ciphertext: BASE64.encode(ciphertext),
    })
}

/// A department's X25519 secret key, for opening what was sealed to it.
pub struct OpeningKey {
    secret: <Kem as hpke::Kem>::PrivateKey,
    public: EncryptionKey,
}

impl std::fmt::Debug for OpeningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpeningKey({})", self.public)
    }
}

impl OpeningKey {
    /// The key with these 32 secret bytes.
    pub fn from_bytes(secret: &[u8; 32]) -> Result<Self, SealError> {
        let secret = <Kem as hpke::Kem>::PrivateKey::from_bytes(secret)
            .map_err(|error| SealError::Key(error.to_string()))?;
        let public = Kem::sk_to_pk(&secret);
        let public: [u8; 32] = public
            .to_bytes()
            .as_slice()
            .try_into()
            .map_err(|_| SealError::Key("an X25519 public key has 32 bytes".to_owned()))?;
        Ok(Self {
            secret,
            public: EncryptionKey::from_bytes(public),
        })
    }

    /// The public half: what the catalog publishes.
    pub fn public(&self) -> EncryptionKey {
        self.public
    }

    /// Opens `sealed`, which must be bound to `aad`.
    pub fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if sealed.suite != SEAL_SUITE {
            return Err(SealError::Malformed(format!(
                "unknown suite `{}`",
                sealed.suite
            )));
        }
        let enc = sealed
            .enc_bytes()
            .map_err(|refusal| SealError::Malformed(refusal.to_string()))?;
        let ciphertext = sealed
            .ciphertext_bytes()
            .map_err(|refusal| SealError::Malformed(refusal.to_string()))?;
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&enc)
            .map_err(|error| SealError::Malformed(error.to_string()))?;
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &self.secret,
            &enc,
            INFO,
            &ciphertext,
            aad,
        )
        .map(Zeroizing::new)
        .map_err(|error| SealError::Open(error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_only_with_its_key_and_binding() {
        let key = OpeningKey::from_bytes(&[42; 32]).expect("key");
        let other = OpeningKey::from_bytes(&[43; 32]).expect("key");
        let sealed = seal(b"answers", &key.public(), b"id\nservice\nsha").expect("seals");
        assert_eq!(
            key.open(&sealed, b"id\nservice\nsha")
                .expect("opens")
                .as_slice(),
            b"answers"
        );
        assert!(matches!(
            other.open(&sealed, b"id\nservice\nsha"),
            Err(SealError::Open(_))
        ));
        assert!(matches!(
            key.open(&sealed, b"id\nother\nsha"),
            Err(SealError::Open(_))
        ));
    }
}
