//! Signed submissions in the compact form they take in an anchoring call's data.
//!
//! Calldata is what a chain charges for (about 40 gas a byte since EIP-7623), and most of a
//! submission's JSON is the same for every submission or follows from the rest: the type, the
//! proof's suite and purpose, the verification method (the applicant's did:key again), the
//! service (the batch names it), base64 and base58 text for binary values. The compact form
//! keeps only what varies, as bytes:
//!
//! ```text
//! version        1 byte   (1)
//! id             16       the application id's UUID
//! applicant      32       the applicant's Ed25519 public key (the did:key)
//! digest         32       application_sha256
//! enc            32       the HPKE encapsulated key
//! created        8        the proof's `created`, Unix seconds, big-endian
//! signature      64       the proof's Ed25519 signature
//! length         2        the ciphertext's length, big-endian
//! ciphertext     length   the sealed application
//! ```
//!
//! Decoding gives back the signed submission's JSON exactly, so its signature verifies and its
//! RFC 6962 leaf ([`super::batch::leaf`]) is the same whoever rebuilds it. [`encode`] refuses a
//! submission that the compact form cannot carry exactly (another suite, a proof with other
//! members, a timestamp with fractions), rather than anchor something that would decode to a
//! different document.

use std::time::{Duration, SystemTime};

use agora_identity::DidKey;
use agora_identity::proof::timestamp;
use agora_ledger::entry::{SEAL_SUITE, SUBMISSION_TYPE, Sealed, Submission};
use agora_services::ApplicationId;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};
use thiserror::Error;
use time::OffsetDateTime;
use uuid::Uuid;

/// The compact form's version byte.
pub const VERSION: u8 = 1;

/// The bytes of a compact submission before its ciphertext.
pub const FIXED_LEN: usize = 1 + 16 + 32 + 32 + 32 + 8 + 64 + 2;

/// Why a submission has no compact form, or bytes are not one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// The submission has a member or value the compact form cannot carry exactly.
    #[error("the submission cannot be carried in the compact form exactly: {0}")]
    NotCompact(String),
    /// The bytes are not a compact submission.
    #[error("the anchoring call's data is not a batch of compact submissions: {0}")]
    Malformed(String),
}

fn not_compact(problem: impl Into<String>) -> CodecError {
    CodecError::NotCompact(problem.into())
}

fn malformed(problem: impl Into<String>) -> CodecError {
    CodecError::Malformed(problem.into())
}

/// The compact form of the signed submission `signed`.
pub fn encode(signed: &Value) -> Result<Vec<u8>, CodecError> {
    let object = signed
        .as_object()
        .ok_or_else(|| not_compact("not a JSON object"))?;
    let mut unsigned = object.clone();
    let proof = unsigned
        .remove("proof")
        .ok_or_else(|| not_compact("it is not signed"))?;
    let submission: Submission = serde_json::from_value(Value::Object(unsigned))
        .map_err(|error| not_compact(error.to_string()))?;
    if submission.kind != SUBMISSION_TYPE {
        return Err(not_compact(format!("its type is `{}`", submission.kind)));
    }
    if submission.sealed.suite != SEAL_SUITE {
        return Err(not_compact(format!(
            "its suite is `{}`",
            submission.sealed.suite
        )));
    }
    let digest = hex32(&submission.application_sha256)
        .ok_or_else(|| not_compact("application_sha256 is not 64 lowercase hex digits"))?;
    let enc: [u8; 32] = BASE64
        .decode(&submission.sealed.enc)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| not_compact("sealed.enc is not 32 bytes of base64"))?;
    let ciphertext = BASE64
        .decode(&submission.sealed.ciphertext)
        .map_err(|_| not_compact("sealed.ciphertext is not base64"))?;
    let length = u16::try_from(ciphertext.len())
        .map_err(|_| not_compact("the ciphertext is longer than 65,535 bytes"))?;
    let created = proof
        .get("created")
        .and_then(Value::as_str)
        .and_then(|text| {
            let time =
                OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
            u64::try_from(time.unix_timestamp()).ok()
        })
        .ok_or_else(|| not_compact("the proof's `created` is not an RFC 3339 time"))?;
    let signature: [u8; 64] = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .and_then(|text| text.strip_prefix('z'))
        .and_then(|text| bs58::decode(text).into_vec().ok())
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| not_compact("the proof's value is not a base58btc Ed25519 signature"))?;

    let mut bytes = Vec::with_capacity(FIXED_LEN + ciphertext.len());
    bytes.push(VERSION);
    bytes.extend_from_slice(submission.id.uuid().as_bytes());
    bytes.extend_from_slice(submission.applicant.public_key().as_bytes());
    bytes.extend_from_slice(&digest);
    bytes.extend_from_slice(&enc);
    bytes.extend_from_slice(&created.to_be_bytes());
    bytes.extend_from_slice(&signature);
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(&ciphertext);

    // Whatever the compact form drops must be what decoding puts back.
    let (back, used) = decode(&bytes, &submission.service)?;
    if used != bytes.len() || &back != signed {
        return Err(not_compact(
            "it has members or spellings that the compact form does not keep (a proof with \
             other members, a timestamp with fractions or an offset)",
        ));
    }
    Ok(bytes)
}

/// Decodes the compact submission at the start of `bytes`, to `service`: the signed JSON and
/// how many bytes it took.
pub fn decode(bytes: &[u8], service: &str) -> Result<(Value, usize), CodecError> {
    if bytes.len() < FIXED_LEN {
        return Err(malformed(format!(
            "{} bytes left, fewer than a submission's {FIXED_LEN}",
            bytes.len()
        )));
    }
    if bytes[0] != VERSION {
        return Err(malformed(format!(
            "version {} (this code reads {VERSION})",
            bytes[0]
        )));
    }
    let mut reader = Reader { bytes, at: 1 };
    let id = ApplicationId::from_uuid(
        Uuid::from_slice(reader.take(16)).map_err(|e| malformed(e.to_string()))?,
    );
    let key: [u8; 32] = reader.take(32).try_into().map_err(|_| malformed("a key"))?;
    let applicant = DidKey::from_public_key(
        agora_identity::VerifyingKey::from_bytes(&key)
            .map_err(|_| malformed("the applicant is not an Ed25519 public key"))?,
    );
    let digest = alloy::hex::encode(reader.take(32));
    let enc = BASE64.encode(reader.take(32));
    let created = u64::from_be_bytes(reader.take(8).try_into().map_err(|_| malformed("a time"))?);
    let signature = reader.take(64).to_vec();
    let length = usize::from(u16::from_be_bytes(
        reader
            .take(2)
            .try_into()
            .map_err(|_| malformed("a length"))?,
    ));
    if reader.left() < length {
        return Err(malformed(format!(
            "a ciphertext of {length} bytes, but only {} left",
            reader.left()
        )));
    }
    let ciphertext = BASE64.encode(reader.take(length));
    let submission = Submission {
        kind: SUBMISSION_TYPE.to_owned(),
        id,
        service: service.to_owned(),
        applicant,
        application_sha256: digest,
        sealed: Sealed {
            suite: SEAL_SUITE.to_owned(),
            enc,
            ciphertext,
        },
    };
    let created = SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(created))
        .ok_or_else(|| malformed("a time beyond this system's clock"))?;
    let mut proof = Map::new();
    proof.insert("type".to_owned(), json!("DataIntegrityProof"));
    proof.insert("cryptosuite".to_owned(), json!("eddsa-jcs-2022"));
    proof.insert("created".to_owned(), json!(timestamp(created)));
    proof.insert(
        "verificationMethod".to_owned(),
        json!(applicant.verification_method()),
    );
    proof.insert("proofPurpose".to_owned(), json!("assertionMethod"));
    proof.insert(
        "proofValue".to_owned(),
        json!(format!("z{}", bs58::encode(signature).into_string())),
    );
    let mut signed = submission.to_json();
    if let Value::Object(members) = &mut signed {
        members.insert("proof".to_owned(), Value::Object(proof));
    }
    Ok((signed, reader.at))
}

/// Reads a compact submission front to back; lengths are checked before every take.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let part = &self.bytes[self.at..self.at + n];
        self.at += n;
        part
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }
}

/// A batch's submissions, one after another.
pub fn encode_batch(signed: &[Value]) -> Result<Vec<u8>, CodecError> {
    let mut bytes = Vec::new();
    for submission in signed {
        bytes.extend(encode(submission)?);
    }
    Ok(bytes)
}

/// Decodes a batch of exactly `count` submissions to `service`.
pub fn decode_batch(bytes: &[u8], service: &str, count: usize) -> Result<Vec<Value>, CodecError> {
    let mut rest = bytes;
    let mut submissions = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let (submission, used) = decode(rest, service)?;
        submissions.push(submission);
        rest = &rest[used..];
    }
    if !rest.is_empty() {
        return Err(malformed(format!(
            "{} bytes after the batch's {count} submissions",
            rest.len()
        )));
    }
    Ok(submissions)
}

/// 64 lowercase hexadecimal digits (the only spelling the compact form gives back).
fn hex32(text: &str) -> Option<[u8; 32]> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) || text.starts_with("0x") {
        return None;
    }
    alloy::hex::decode_to_array(text).ok()
}
