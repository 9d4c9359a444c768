//! Checkpoints as C2SP signed notes: <https://c2sp.org/signed-note> and
//! <https://c2sp.org/tlog-checkpoint>.
//!
//! A checkpoint is the text
//!
//! ```text
//! agora.local/ledger/1f0e2d3c4b5a6978
//! 1042
//! 3n0hXj2ShW6V7VtN3Yy2RmWkdpVJ0JrYtUWn0kBq8Qk=
//! ```
//!
//! (the log's origin, the tree size, the RFC 6962 root hash in standard base64), signed as a note:
//! an empty line, then one line per signature, `— <key name> <base64 of key hash and signature>`.
//! Only Ed25519 keys (signature type `0x01`) are made and checked here, which is what the
//! tlog-checkpoint specification requires of a log's own key.
//!
//! The format is three short rules, so it is written here rather than taken from a crate: the
//! one Rust implementation (`signed_note`) depends on ed25519-dalek 2 and sha2 0.10, a second
//! copy of both next to the workspace's. The tests hold this module to the published example
//! of Go's `golang.org/x/mod/sumdb/note`, the reference implementation (the `PeterNeumann`
//! note of its package documentation, reproduced byte for byte).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

/// The signature type byte of Ed25519 keys in signed notes.
const ED25519: u8 = 0x01;

/// How a signature line starts: an em dash and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// At most this many signature lines are read; a note with more is refused (the
/// specification lets verifiers set such a limit).
const MAX_SIGNATURES: usize = 100;

/// Why a note, key or checkpoint is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NoteError {
    /// The key name is empty or holds a space, `+` or a control character.
    #[error(
        "`{0}` is not a valid key name: it must be non-empty, without spaces, `+` or control characters"
    )]
    KeyName(String),
    /// A verifier key string is not `<name>+<hash>+<base64>`.
    #[error("`{key}` is not a signed-note verifier key: {problem}")]
    VerifierKey {
        /// The key as given.
        key: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// The note text does not follow the rules.
    #[error("the note is malformed: {0}")]
    Malformed(&'static str),
    /// No signature by the expected key.
    #[error("the note carries no signature by {0}")]
    NotSigned(String),
    /// A signature by the expected key does not verify.
    #[error(
        "the note's signature by {0} does not verify: the text was changed or the signature forged"
    )]
    BadSignature(String),
    /// The checkpoint text is not a tlog-checkpoint.
    #[error("the checkpoint is malformed: {0}")]
    Checkpoint(&'static str),
}

/// A note signer's public key with its name: what a verifier needs to trust a log.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key: VerifyingKey,
}

impl VerifierKey {
    /// The key `key` under the name `name`.
    pub fn new(name: impl Into<String>, key: VerifyingKey) -> Result<Self, NoteError> {
        let name = name.into();
        check_name(&name)?;
        Ok(Self { name, key })
    }

    /// The key's name (for a log, its origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Ed25519 public key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }

    /// The key hash: the first four bytes of SHA-256(name, newline, type byte, key).
    pub fn hash(&self) -> [u8; 4] {
        let mut hasher = Sha256::new();
        hasher.update(self.name.as_bytes());
        hasher.update(b"\n");
        hasher.update([ED25519]);
        hasher.update(self.key.as_bytes());
        let digest = hasher.finalize();
        [digest[0], digest[1], digest[2], digest[3]]
    }

    /// Reads the text form `<name>+<8 hex digits of the key hash>+<base64 of type and key>`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let problem = |problem| NoteError::VerifierKey {
            key: text.to_owned(),
            problem,
        };
        // The base64 may hold `+` itself, so split from the left, twice.
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(problem("expected <name>+<key hash>+<key>"));
        };
        check_name(name)?;
        if hash.len() != 8
            || !hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(problem("the key hash must be 8 lowercase hex digits"));
        }
        let bytes = BASE64
            .decode(key)
            .map_err(|_| problem("the key is not standard base64"))?;
        let Some((&ED25519, public)) = bytes.split_first() else {
            return Err(problem("only Ed25519 keys (type 0x01) are supported"));
        };
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| problem("an Ed25519 key has 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| problem("the key is not a valid Ed25519 point"))?;
        let verifier = Self {
            name: name.to_owned(),
            key,
        };
        if hex(&verifier.hash()) != hash {
            return Err(problem("the key hash does not match the name and key"));
        }
        Ok(verifier)
    }

    /// Verifies `note` and returns its text: it must carry a signature by this key that
    /// verifies. Signatures by other keys are ignored.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let (text, signatures) = split(note)?;
        let hash = self.hash();
        let mut found = false;
        for line in signatures {
            let (name, blob) = parse_signature_line(line)?;
            if name != self.name {
                continue;
            }
            let Some((key_hash, signature)) = blob.split_first_chunk::<4>() else {
                return Err(NoteError::Malformed(
                    "a signature is shorter than its key hash",
                ));
            };
            if *key_hash != hash {
                continue;
            }
            found = true;
            let signature = Signature::from_slice(signature)
                .map_err(|_| NoteError::BadSignature(self.to_string()))?;
            self.key
                .verify_strict(text.as_bytes(), &signature)
                .map_err(|_| NoteError::BadSignature(self.to_string()))?;
        }
        if found {
            Ok(text)
        } else {
            Err(NoteError::NotSigned(self.to_string()))
        }
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut typed = Vec::with_capacity(33);
        typed.push(ED25519);
        typed.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex(&self.hash()),
            BASE64.encode(typed)
        )
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

/// Signs `text` (which must end with a newline and follow the note rules) with `key` under
/// `verifier`'s name, returning the whole note.
pub fn sign(text: &str, key: &SigningKey, name: &str) -> Result<String, NoteError> {
    check_text(text)?;
    let verifier = VerifierKey::new(name, key.verifying_key())?;
    let signature = key.sign(text.as_bytes());
    let mut blob = Vec::with_capacity(68);
    blob.extend_from_slice(&verifier.hash());
    blob.extend_from_slice(&signature.to_bytes());
    Ok(format!(
        "{text}\n{SIGNATURE_PREFIX}{name} {}\n",
        BASE64.encode(blob)
    ))
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        Err(NoteError::KeyName(name.to_owned()))
    } else {
        Ok(())
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("the text does not end with a newline"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed("the text holds a control character"));
    }
    if text.contains("\n\n") || text.starts_with('\n') {
        return Err(NoteError::Malformed("the text holds an empty line"));
    }
    Ok(())
}

/// Splits a note into its text (with its final newline) and its signature lines.
fn split(note: &str) -> Result<(&str, impl Iterator<Item = &str>), NoteError> {
    let at = note.rfind("\n\n").ok_or(NoteError::Malformed(
        "no empty line between the text and the signatures",
    ))?;
    let (text, signatures) = (&note[..=at], &note[at + 2..]);
    check_text(text)?;
    let Some(signatures) = signatures.strip_suffix('\n') else {
        return Err(NoteError::Malformed("the note does not end with a newline"));
    };
    if signatures.is_empty() {
        return Err(NoteError::Malformed("the note has no signature lines"));
    }
    if signatures.split('\n').count() > MAX_SIGNATURES {
        return Err(NoteError::Malformed(
            "the note has more than 100 signatures",
        ));
    }
    Ok((text, signatures.split('\n')))
}

fn parse_signature_line(line: &str) -> Result<(&str, Vec<u8>), NoteError> {
    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(NoteError::Malformed(
            "a signature line does not start with `— `",
        ))?;
    let (name, blob) = rest.split_once(' ').ok_or(NoteError::Malformed(
        "a signature line has no space between name and signature",
    ))?;
    check_name(name)?;
    let blob = BASE64
        .decode(blob)
        .map_err(|_| NoteError::Malformed("a signature is not standard base64"))?;
    Ok((name, blob))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A tlog-checkpoint body: which log, how many entries, and the root hash over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin, which is also the name of its key.
    pub origin: String,
    /// How many entries the tree holds.
    pub size: u64,
    /// The RFC 6962 Merkle tree hash of those entries.
    pub root: [u8; 32],
}

impl Checkpoint {
    /// The checkpoint's text, ready to sign.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        )
    }

    /// The checkpoint signed by `key` under the origin's name: a signed note.
    pub fn sign(&self, key: &SigningKey) -> Result<String, NoteError> {
        sign(&self.text(), key, &self.origin)
    }

    /// Reads a checkpoint's text (extension lines after the root are allowed and ignored).
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let mut lines = text.lines();
        let origin = lines
            .next()
            .filter(|origin| !origin.is_empty())
            .ok_or(NoteError::Checkpoint("it has no origin line"))?;
        let size = lines
            .next()
            .ok_or(NoteError::Checkpoint("it has no tree size line"))?;
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(NoteError::Checkpoint(
                "the tree size is not a decimal number without leading zeros",
            ));
        }
        let size: u64 = size
            .parse()
            .ok()
            .filter(|size| *size <= crate::tree::MAX_SIZE)
            .ok_or(NoteError::Checkpoint(
                "the tree size is larger than 2^62, more than any ledger holds",
            ))?;
        let root = lines
            .next()
            .ok_or(NoteError::Checkpoint("it has no root hash line"))?;
        let root: [u8; 32] = BASE64
            .decode(root)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(NoteError::Checkpoint(
                "the root hash is not 32 bytes in standard base64",
            ))?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }

    /// Verifies a signed checkpoint with the log's key and reads it. The checkpoint's origin
    /// must be the key's name.
    pub fn open(note: &str, key: &VerifierKey) -> Result<Self, NoteError> {
        let checkpoint = Self::parse(key.open(note)?)?;
        if checkpoint.origin != key.name() {
            return Err(NoteError::Checkpoint(
                "its origin is not the name of the key that signed it",
            ));
        }
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    /// The example of Go's `golang.org/x/mod/sumdb/note` package documentation (and of
    /// c2sp.org/signed-note's test keys): a signer key, its verifier key, a text and the note.
    #[test]
    fn the_go_reference_note_is_reproduced_byte_for_byte() {
        let signer =
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let verifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let text = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
        let expected = format!(
            "{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        );
        let material = BASE64
            .decode(signer.splitn(5, '+').nth(4).expect("key material"))
            .expect("base64");
        assert_eq!(material[0], ED25519);
        let seed: [u8; 32] = material[1..].try_into().expect("32 bytes");
        let key = SigningKey::from_bytes(&seed);

        assert_eq!(sign(text, &key, "PeterNeumann").expect("signs"), expected);
        let parsed = VerifierKey::parse(verifier).expect("the verifier key reads");
        assert_eq!(parsed.to_string(), verifier);
        assert_eq!(parsed.key(), &key.verifying_key());
        assert_eq!(parsed.open(&expected), Ok(text));
        let changed = expected.replace("cryptography", "cryptographY");
        assert!(matches!(
            parsed.open(&changed),
            Err(NoteError::BadSignature(_))
        ));
    }

    #[test]
    fn a_signed_checkpoint_opens_with_its_key_and_not_another() {
        let checkpoint = Checkpoint {
            origin: "example.org/log".to_owned(),
            size: 42,
            root: [9; 32],
        };
        let note = checkpoint.sign(&key()).expect("signs");
        let verifier = VerifierKey::new("example.org/log", key().verifying_key()).expect("name");
        assert_eq!(Checkpoint::open(&note, &verifier), Ok(checkpoint));

        let other = VerifierKey::new(
            "example.org/log",
            SigningKey::from_bytes(&[8; 32]).verifying_key(),
        )
        .expect("name");
        assert!(matches!(
            Checkpoint::open(&note, &other),
            Err(NoteError::NotSigned(_))
        ));
        let renamed = VerifierKey::new("example.org/other", key().verifying_key()).expect("name");
        assert!(matches!(
            Checkpoint::open(&note, &renamed),
            Err(NoteError::NotSigned(_))
        ));
    }

    #[test]
    fn changing_the_checkpoint_breaks_its_signature() {
        let checkpoint = Checkpoint {
            origin: "example.org/log".to_owned(),
            size: 42,
            root: [9; 32],
        };
        let note = checkpoint.sign(&key()).expect("signs");
        let verifier = VerifierKey::new("example.org/log", key().verifying_key()).expect("name");
        let forged = note.replacen("\n42\n", "\n43\n", 1);
        assert!(matches!(
            Checkpoint::open(&forged, &verifier),
            Err(NoteError::BadSignature(_))
        ));
    }

    #[test]
    fn verifier_keys_round_trip_and_refuse_a_wrong_hash() {
        let verifier = VerifierKey::new("example.org/log", key().verifying_key()).expect("name");
        let text = verifier.to_string();
        assert_eq!(VerifierKey::parse(&text), Ok(verifier));
        let (name, rest) = text.split_once('+').expect("has +");
        let wrong = format!("{name}+00000000+{}", &rest[9..]);
        assert!(VerifierKey::parse(&wrong).is_err());
    }

    #[test]
    fn checkpoints_refuse_bad_sizes_and_roots() {
        for text in [
            "o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "o\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "o\n1\nAAAA\n",
            "o\n1\n",
            "\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            // Sizes that would overflow a verifier's index arithmetic.
            "o\n18446744073709551615\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "o\n9223372036854775810\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "o\n4611686018427387905\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        ] {
            assert!(Checkpoint::parse(text).is_err(), "{text:?} was accepted");
        }
        let largest = "o\n4611686018427387904\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        assert_eq!(Checkpoint::parse(largest).map(|c| c.size), Ok(1 << 62));
    }
}
