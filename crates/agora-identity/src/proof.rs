//! Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite, as W3C "Data Integrity EdDSA
//! Cryptosuites v1.0" (Recommendation, May 2025) §3.3 specifies them.
//!
//! Signing (§3.3.1): the proof configuration is the proof options (`type`
//! `DataIntegrityProof`, `cryptosuite` `eddsa-jcs-2022`, `created`, `verificationMethod`,
//! `proofPurpose`) with the document's `@context` copied in when it has one. Both it and the
//! unsecured document are canonicalized with RFC 8785 (JCS) and hashed with SHA-256; the
//! signed bytes are `hashData = SHA-256(proofConfig) || SHA-256(document)` (§3.3.4: the proof
//! configuration's hash first), signed with Ed25519 and written as a base58btc multibase
//! `proofValue`.
//!
//! Verifying (§3.3.2) runs the same steps on the document without its `proof` and the proof
//! without its `proofValue`, after checking everything about the proof a verifier must:
//! its type, cryptosuite and purpose, its times, that the document's `@context` starts with
//! the proof's, and that the verification method is a did:key whose key then checks the
//! signature with `verify_strict`. Each refusal is its own [`VerifyError`].
//!
//! Only a single proof per document is supported; proof sets and chains are refused, not
//! half-checked.

use std::time::{Duration, SystemTime};

use ed25519_dalek::{Signature, Signer, SigningKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use thiserror::Error;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::canonical::{self, CanonicalizeError, InexactNumber};
use crate::did_key::{DidKey, DidKeyError};

/// The proof `type` of every Data Integrity proof this crate makes.
pub const DATA_INTEGRITY_PROOF: &str = "DataIntegrityProof";
/// The cryptosuite this crate implements.
pub const EDDSA_JCS_2022: &str = "eddsa-jcs-2022";
/// The proof purpose of a statement its signer asserts, such as a citizen's application.
pub const ASSERTION_METHOD: &str = "assertionMethod";

/// The options of a new proof: its purpose and times. The type, cryptosuite and verification
/// method follow from the cryptosuite and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// `proofPurpose`, such as [`ASSERTION_METHOD`].
    pub proof_purpose: String,
    /// `created`: an XML Schema `dateTimeStamp`, written as RFC 3339 with a time zone, such as
    /// `2023-02-24T23:36:38Z`. `None` leaves the property out, as the specification allows.
    pub created: Option<String>,
    /// `expires`: when the proof stops being valid, in the same form as `created`. `None`
    /// (the usual case) leaves the property out.
    pub expires: Option<String>,
}

impl ProofOptions {
    /// Options for an `assertionMethod` proof with no `created` or `expires` time.
    pub fn assertion() -> Self {
        Self {
            proof_purpose: ASSERTION_METHOD.to_owned(),
            created: None,
            expires: None,
        }
    }

    /// The same options with `created` set to the given RFC 3339 text (checked when signing).
    pub fn created(mut self, created: impl Into<String>) -> Self {
        self.created = Some(created.into());
        self
    }

    /// The same options with `created` set to `time`, in UTC to the second.
    pub fn created_at(mut self, time: SystemTime) -> Self {
        self.created = Some(timestamp(time));
        self
    }

    /// The same options with `expires` set to `time`, in UTC to the second.
    pub fn expires_at(mut self, time: SystemTime) -> Self {
        self.expires = Some(timestamp(time));
        self
    }
}

/// `time` as an RFC 3339 UTC timestamp to the second, `2023-02-24T23:36:38Z`: the form
/// `created` usually takes.
pub fn timestamp(time: SystemTime) -> String {
    let time = OffsetDateTime::from(time);
    let time = time.replace_nanosecond(0).unwrap_or(time);
    // Formatting a UTC time with whole seconds into RFC 3339 cannot fail for any year the
    // system clock can hold (0–9999); the fallback only keeps this free of a panic.
    time.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// Parses a proof's date-time property. The specification asks for an XML Schema
/// `dateTimeStamp`; RFC 3339 with a time zone is the form of it that every implementation
/// writes.
fn parse_time(value: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(value, &Rfc3339)
}

/// What a verifier asks of a proof besides a valid signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The `proofPurpose` the proof must have, such as [`ASSERTION_METHOD`].
    pub expected_purpose: String,
    /// The time to judge the proof's `expires` and `created` against.
    pub now: SystemTime,
    /// Whether the document's `@context` must be exactly the proof's, rather than only start
    /// with it (§3.3.2 allows contexts added after signing, for a later proof in a chain).
    /// Where a verifier keeps or forwards the document, the exact form means the bytes kept
    /// are the bytes signed.
    pub exact_context: bool,
}

/// How far in the future a proof's `created` may be, for clocks that disagree a little.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

impl VerifyOptions {
    /// Expect an `assertionMethod` proof, judged at the current time.
    pub fn assertion() -> Self {
        Self {
            expected_purpose: ASSERTION_METHOD.to_owned(),
            now: SystemTime::now(),
            exact_context: false,
        }
    }

    /// The same options, judged at `now` instead.
    pub fn at(mut self, now: SystemTime) -> Self {
        self.now = now;
        self
    }

    /// The same options, requiring the document's `@context` to be the proof's exactly.
    pub fn exact_context(mut self) -> Self {
        self.exact_context = true;
        self
    }
}

/// A document whose proof checked out.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// Who signed: the did:key of the proof's verification method.
    pub signer: DidKey,
    /// The document without its proof, as it was signed (§3.3.2's `verifiedDocument`).
    pub document: Value,
    /// The proof, `proofValue` included.
    pub proof: Map<String, Value>,
}

/// Why a document could not be signed.
#[derive(Debug, Error)]
pub enum SignError {
    /// Only JSON objects can carry a proof.
    #[error("only a JSON object can be signed, and this document is {found}")]
    NotAnObject {
        /// What kind of JSON value the document is.
        found: &'static str,
    },
    /// The document already has a proof; adding a second (a proof set) is not supported.
    #[error("the document already has a `proof`; remove it to sign the document again")]
    AlreadySigned,
    /// `created` or `expires` is not a date-time.
    #[error("the proof's `{field}` time `{value}` is not an RFC 3339 date-time: {reason}")]
    InvalidTime {
        /// `created` or `expires`.
        field: &'static str,
        /// The text given.
        value: String,
        /// What the parser found.
        reason: String,
    },
    /// An integer the canonical form would round (see [`canonical::check_exact_numbers`]).
    #[error(transparent)]
    InexactNumber(#[from] InexactNumber),
    /// Canonicalization failed.
    #[error(transparent)]
    Canonicalize(#[from] CanonicalizeError),
}

/// Why a signed document did not verify. Every variant means "do not trust this document";
/// the message says what a person can check.
#[derive(Debug, Error)]
pub enum VerifyError {
    /// Only JSON objects carry proofs.
    #[error("the document is {found}, not a JSON object, so it carries no proof")]
    NotAnObject {
        /// What kind of JSON value the document is.
        found: &'static str,
    },
    /// No `proof` property.
    #[error("the document has no `proof`: it is not signed")]
    MissingProof,
    /// `proof` is an array: a proof set or chain.
    #[error("the document has {count} proofs (a proof set); only a single proof is supported")]
    ProofSet {
        /// How many proofs the array holds.
        count: usize,
    },
    /// `proof` is neither an object nor an array.
    #[error("the document's `proof` is {found}, not a JSON object")]
    ProofNotAnObject {
        /// What kind of JSON value `proof` is.
        found: &'static str,
    },
    /// A property the proof must have is missing.
    #[error("the proof has no `{field}`")]
    MissingField {
        /// The property's name.
        field: &'static str,
    },
    /// A proof property has the wrong JSON type.
    #[error("the proof's `{field}` is {found}, not {expected}")]
    FieldType {
        /// The property's name.
        field: &'static str,
        /// The JSON type it must have.
        expected: &'static str,
        /// The JSON type it has.
        found: &'static str,
    },
    /// The proof is not a Data Integrity proof.
    #[error("the proof's type is `{found}`; only `DataIntegrityProof` is supported")]
    UnknownProofType {
        /// The type found.
        found: String,
    },
    /// The proof uses another cryptosuite.
    #[error("the proof's cryptosuite is `{found}`; only `eddsa-jcs-2022` is supported")]
    UnknownCryptosuite {
        /// The cryptosuite found.
        found: String,
    },
    /// The proof was made for another purpose than the verifier expects.
    #[error("the proof's purpose is `{found}`, but `{expected}` is required here")]
    WrongPurpose {
        /// The purpose the verifier requires.
        expected: String,
        /// The purpose found.
        found: String,
    },
    /// `created` or `expires` is not a date-time.
    #[error("the proof's `{field}` value `{value}` is not an RFC 3339 date-time: {reason}")]
    InvalidTime {
        /// `created` or `expires`.
        field: &'static str,
        /// The text found.
        value: String,
        /// What the parser found.
        reason: String,
    },
    /// The proof says it was made later than now (beyond [`MAX_CLOCK_SKEW`]).
    #[error("the proof says it was created at {created}, which is in the future")]
    CreatedInFuture {
        /// The `created` value.
        created: String,
    },
    /// The document's `@context` is not exactly the proof's where that is required.
    #[error(
        "the document's `@context` is not the one it was signed with: contexts were added after signing"
    )]
    ContextAdded,
    /// The proof's `expires` time has passed.
    #[error("the proof expired at {expires}")]
    Expired {
        /// The `expires` value.
        expires: String,
    },
    /// The verification method is not a usable did:key.
    #[error("the proof's verification method cannot be used: {0}")]
    VerificationMethod(#[from] DidKeyError),
    /// `proofValue` is not a base58btc multibase of 64 bytes.
    #[error("the proof's `proofValue` is not an Ed25519 signature in base58btc: {problem}")]
    ProofValue {
        /// What is wrong with it.
        problem: String,
    },
    /// The document's `@context` does not start with the proof's.
    #[error(
        "the document's `@context` does not start with the proof's `@context`: the contexts \
         were changed after signing"
    )]
    ContextMismatch,
    /// An integer the canonical form rounds, so the signature would not cover the number as
    /// written (see [`canonical::check_exact_numbers`]).
    #[error(transparent)]
    InexactNumber(#[from] InexactNumber),
    /// Canonicalization failed.
    #[error(transparent)]
    Canonicalize(#[from] CanonicalizeError),
    /// The signature does not match.
    #[error(
        "the signature does not match: the document or its proof was changed after signing, \
         or it was signed by another key than {signer}"
    )]
    InvalidSignature {
        /// The did:key the proof names.
        signer: String,
    },
}

/// A JSON value's kind, for error messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `hashData` of §3.3.4: SHA-256 of the canonical proof configuration followed by SHA-256 of
/// the canonical document.
pub fn hash_data(canonical_proof_config: &[u8], canonical_document: &[u8]) -> [u8; 64] {
    let mut hash_data = [0u8; 64];
    hash_data[..32].copy_from_slice(&Sha256::digest(canonical_proof_config));
    hash_data[32..].copy_from_slice(&Sha256::digest(canonical_document));
    hash_data
}

/// Secures `document` with an `eddsa-jcs-2022` proof made with `key` (§3.3.1), returning the
/// document with its `proof`. The verification method is the key's did:key.
pub fn sign(
    document: &Value,
    key: &SigningKey,
    options: &ProofOptions,
) -> Result<Value, SignError> {
    let unsecured = document.as_object().ok_or(SignError::NotAnObject {
        found: kind(document),
    })?;
    let proof = create_proof(unsecured, key, options)?;
    let mut secured = unsecured.clone();
    secured.insert("proof".to_owned(), Value::Object(proof));
    Ok(Value::Object(secured))
}

/// The `eddsa-jcs-2022` proof of `document` made with `key` (§3.3.1), `proofValue` included.
pub fn create_proof(
    document: &Map<String, Value>,
    key: &SigningKey,
    options: &ProofOptions,
) -> Result<Map<String, Value>, SignError> {
    if document.contains_key("proof") {
        return Err(SignError::AlreadySigned);
    }
    document
        .values()
        .try_for_each(canonical::check_exact_numbers)?;
    for (field, value) in [("created", &options.created), ("expires", &options.expires)] {
        if let Some(value) = value {
            parse_time(value).map_err(|error| SignError::InvalidTime {
                field,
                value: value.clone(),
                reason: error.to_string(),
            })?;
        }
    }
    let signer = DidKey::from_public_key(key.verifying_key());
    let mut proof = Map::new();
    proof.insert("type".to_owned(), DATA_INTEGRITY_PROOF.into());
    proof.insert("cryptosuite".to_owned(), EDDSA_JCS_2022.into());
    if let Some(created) = &options.created {
        proof.insert("created".to_owned(), created.as_str().into());
    }
    if let Some(expires) = &options.expires {
        proof.insert("expires".to_owned(), expires.as_str().into());
    }
    proof.insert(
        "verificationMethod".to_owned(),
        signer.verification_method().into(),
    );
    proof.insert(
        "proofPurpose".to_owned(),
        options.proof_purpose.as_str().into(),
    );
    // §3.3.1 step 2: the proof carries the document's contexts, so that it still verifies
    // once the document gains more (a proof set or chain).
    if let Some(context) = document.get("@context") {
        proof.insert("@context".to_owned(), context.clone());
    }
    let canonical_proof_config = canonical::canonicalize(&proof)?;
    let canonical_document = canonical::canonicalize(document)?;
    let signature = key.sign(&hash_data(&canonical_proof_config, &canonical_document));
    proof.insert(
        "proofValue".to_owned(),
        encode_proof_value(&signature).into(),
    );
    Ok(proof)
}

/// Verifies the `eddsa-jcs-2022` proof of a secured document (§3.3.2) and returns who signed
/// it and what they signed.
pub fn verify(secured: &Value, options: &VerifyOptions) -> Result<Verified, VerifyError> {
    let secured = secured.as_object().ok_or(VerifyError::NotAnObject {
        found: kind(secured),
    })?;
    let proof = match secured.get("proof") {
        None => return Err(VerifyError::MissingProof),
        Some(Value::Object(proof)) => proof,
        Some(Value::Array(proofs)) => {
            return Err(VerifyError::ProofSet {
                count: proofs.len(),
            });
        }
        Some(other) => return Err(VerifyError::ProofNotAnObject { found: kind(other) }),
    };

    let proof_type = string_field(proof, "type")?;
    if proof_type != DATA_INTEGRITY_PROOF {
        return Err(VerifyError::UnknownProofType {
            found: proof_type.to_owned(),
        });
    }
    let cryptosuite = string_field(proof, "cryptosuite")?;
    if cryptosuite != EDDSA_JCS_2022 {
        return Err(VerifyError::UnknownCryptosuite {
            found: cryptosuite.to_owned(),
        });
    }
    let purpose = string_field(proof, "proofPurpose")?;
    if purpose != options.expected_purpose {
        return Err(VerifyError::WrongPurpose {
            expected: options.expected_purpose.clone(),
            found: purpose.to_owned(),
        });
    }
    if proof.contains_key("created") {
        let created = time_field(proof, "created")?;
        if created > OffsetDateTime::from(options.now + MAX_CLOCK_SKEW) {
            return Err(VerifyError::CreatedInFuture {
                created: string_field(proof, "created")?.to_owned(),
            });
        }
    }
    if proof.contains_key("expires") {
        let expires = time_field(proof, "expires")?;
        if OffsetDateTime::from(options.now) >= expires {
            return Err(VerifyError::Expired {
                expires: string_field(proof, "expires")?.to_owned(),
            });
        }
    }
    let signer = DidKey::from_verification_method(string_field(proof, "verificationMethod")?)?;
    let signature = decode_proof_value(string_field(proof, "proofValue")?)?;

    secured
        .values()
        .try_for_each(canonical::check_exact_numbers)?;

    let mut proof_options = proof.clone();
    proof_options.remove("proofValue");
    let mut unsecured = secured.clone();
    unsecured.remove("proof");
    if let Some(proof_context) = proof_options.get("@context") {
        let document_context = unsecured.get("@context").map(context_list);
        let starts_with = document_context
            .as_ref()
            .is_some_and(|document| document.starts_with(&context_list(proof_context)));
        if !starts_with {
            return Err(VerifyError::ContextMismatch);
        }
        if options.exact_context && document_context.as_ref() != Some(&context_list(proof_context))
        {
            return Err(VerifyError::ContextAdded);
        }
        unsecured.insert("@context".to_owned(), proof_context.clone());
    }

    let canonical_proof_config = canonical::canonicalize(&proof_options)?;
    let canonical_document = canonical::canonicalize(&unsecured)?;
    let hash_data = hash_data(&canonical_proof_config, &canonical_document);
    signer
        .public_key()
        .verify_strict(&hash_data, &signature)
        .map_err(|_| VerifyError::InvalidSignature {
            signer: signer.to_string(),
        })?;
    Ok(Verified {
        signer,
        document: Value::Object(unsecured),
        proof: proof.clone(),
    })
}

/// A JSON-LD `@context` value as a list: a single context is a list of one.
fn context_list(context: &Value) -> Vec<Value> {
    match context {
        Value::Array(items) => items.clone(),
        single => vec![single.clone()],
    }
}

/// A string property of the proof that must be present.
fn string_field<'a>(
    proof: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a str, VerifyError> {
    match proof.get(field) {
        None => Err(VerifyError::MissingField { field }),
        Some(Value::String(value)) => Ok(value),
        Some(other) => Err(VerifyError::FieldType {
            field,
            expected: "a string",
            found: kind(other),
        }),
    }
}

/// A date-time property of the proof that must be present.
fn time_field(
    proof: &Map<String, Value>,
    field: &'static str,
) -> Result<OffsetDateTime, VerifyError> {
    let value = string_field(proof, field)?;
    parse_time(value).map_err(|error| VerifyError::InvalidTime {
        field,
        value: value.to_owned(),
        reason: error.to_string(),
    })
}

/// `proofValue`: the signature in base58btc multibase (`z…`). `five8` encodes exactly 64
/// bytes in constant work, several times faster than general base58, which is a tenth of what
/// signing a typical application costs.
fn encode_proof_value(signature: &Signature) -> String {
    let mut encoded = [0u8; five8::BASE58_ENCODED_64_MAX_LEN];
    let length = usize::from(five8::encode_64(&signature.to_bytes(), &mut encoded));
    let mut proof_value = String::with_capacity(1 + length);
    proof_value.push('z');
    // The base58 alphabet is ASCII, so each byte is one character.
    proof_value.extend(encoded[..length].iter().map(|&byte| char::from(byte)));
    proof_value
}

/// Decodes `proofValue`: base58btc multibase of a 64-byte Ed25519 signature.
fn decode_proof_value(proof_value: &str) -> Result<Signature, VerifyError> {
    let problem = |problem: String| VerifyError::ProofValue { problem };
    // 64 bytes are at most 88 base58 characters; refusing longer text keeps decoding cheap.
    if proof_value.len() > 100 {
        return Err(problem(format!(
            "it is {} characters long, far more than a signature needs",
            proof_value.len()
        )));
    }
    let encoded = proof_value
        .strip_prefix('z')
        .ok_or_else(|| problem("it does not start with `z` (base58btc multibase)".to_owned()))?;
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|error| problem(error.to_string()))?;
    let bytes: [u8; 64] = bytes.as_slice().try_into().map_err(|_| {
        problem(format!(
            "it decodes to {} bytes; an Ed25519 signature has 64",
            bytes.len()
        ))
    })?;
    Ok(Signature::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_to_the_second() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_millis(1_677_281_798_250);
        assert_eq!(timestamp(time), "2023-02-24T23:36:38Z");
    }

    #[test]
    fn proof_times_accept_offsets_and_refuse_dates_without_a_zone() {
        assert!(parse_time("2023-02-24T23:36:38Z").is_ok());
        assert!(parse_time("2023-02-24T23:36:38.5+01:00").is_ok());
        assert!(parse_time("2023-02-24T23:36:38").is_err());
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn proof_values_are_the_base58btc_of_the_signature() {
        // Leading zero bytes become leading `1`s; all-zero and all-0xff are the extremes.
        let mut patterns = vec![[0u8; 64], [0xff; 64]];
        let mut leading_zeros = [0x5a; 64];
        leading_zeros[..3].fill(0);
        patterns.push(leading_zeros);
        patterns.push(std::array::from_fn(|i| (i * 37 + 11) as u8));
        for bytes in patterns {
            let signature = Signature::from_bytes(&bytes);
            let expected = format!("z{}", bs58::encode(bytes).into_string());
            assert_eq!(encode_proof_value(&signature), expected);
            assert_eq!(decode_proof_value(&expected).ok(), Some(signature));
        }
    }

    #[test]
    fn hash_data_puts_the_proof_configuration_first() {
        let hash = hash_data(b"config", b"document");
        assert_eq!(hash[..32], Sha256::digest(b"config")[..]);
        assert_eq!(hash[32..], Sha256::digest(b"document")[..]);
    }
}
