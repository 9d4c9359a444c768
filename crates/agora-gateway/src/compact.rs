//! Compact receipts: a receipt without the application, small enough for a QR code that a
//! kiosk's visitor takes home.
//!
//! A kiosk keeps nothing of a visitor, and a QR code is seen by anyone standing behind them,
//! so the code holds no answers: only the ledger's part of the receipt ([`LedgerProof`]: the
//! submission the applicant signed, which carries the application's digest and the answers
//! sealed to the department, the signed checkpoint and the inclusion proofs, the decision).
//! It is encoded the way the EU Digital COVID Certificate's QR codes are: CBOR (RFC 8949),
//! compressed with zlib (RFC 1950), Base45 (RFC 9285), behind a prefix that names the format:
//!
//! ```text
//! AGR1:<Base45 of zlib of CBOR {"v": 2, "ledger": {…the receipt's `ledger`…}}>
//! ```
//!
//! Base45 uses only the characters of a QR code's alphanumeric mode, so the code fills the
//! fewest modules. [`verify`] checks everything a full receipt's ledger part proves: the
//! submission is signed by the applicant it names, for the application id, service and digest
//! it names; the checkpoint is signed by a trusted ledger (or the batch is a trusted
//! registry's); the submission is included; the decision is the department's, about that
//! application, anchored there. What it cannot show is the answers: whoever holds the
//! application (the department) can check that its digest is the one proven here.

use std::io::Read as _;

use agora_identity::DidKey;
use agora_ledger::entry::{Entry, check_entry};
use agora_services::{ApplicationId, Catalog, Decision};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

use crate::receipt::{
    Claim, LedgerProof, Part, RECEIPT_VERSION, Receipt, ReceiptError, TrustedLedgers,
    VerifiedLedger, verify_ledger,
};

/// What every compact receipt starts with.
pub const PREFIX: &str = "AGR1:";

/// The longest code read: a QR code holds at most 4,296 alphanumeric characters.
pub const MAX_CODE: usize = 4_296;

/// The most a code may inflate to: far more than any receipt, far less than a zip bomb.
const MAX_INFLATED: u64 = 64 * 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Compact {
    v: u32,
    ledger: LedgerProof,
}

/// Why a code is not a compact receipt.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodeError {
    /// It does not start with [`PREFIX`].
    #[error("it does not start with {PREFIX}: it is not an Agora receipt code")]
    Prefix,
    /// It is longer than any QR code holds.
    #[error("it is {0} characters long; a receipt code is at most {MAX_CODE}")]
    TooLong(usize),
    /// Not Base45.
    #[error("it is not Base45 (RFC 9285): {0}")]
    Base45(String),
    /// Not zlib, or inflating past the limit.
    #[error("its compressed data is damaged or too large: {0}")]
    Inflate(String),
    /// Not the CBOR of a compact receipt.
    #[error("it does not hold a receipt: {0}")]
    Cbor(String),
    /// A version this code does not read.
    #[error("it is a version {0} receipt code; this verifier reads version {RECEIPT_VERSION}")]
    Version(u32),
}

/// The compact code of `receipt`: its ledger part, without the application.
pub fn encode(receipt: &Receipt) -> String {
    let compact = Compact {
        v: receipt.version,
        ledger: receipt.ledger.clone(),
    };
    let mut cbor = Vec::new();
    // Writing CBOR into memory fails only for values serde cannot express, which a receipt
    // (plain JSON) never holds.
    ciborium::into_writer(&compact, &mut cbor).expect("a receipt is plain data");
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut zlib, &cbor).expect("writing into memory");
    let deflated = zlib.finish().expect("writing into memory");
    format!("{PREFIX}{}", base45::encode(&deflated))
}

/// The ledger part a code holds, and its version. Surrounding whitespace is ignored.
fn decode(code: &str) -> Result<Compact, CodeError> {
    let code = code.trim();
    let body = code.strip_prefix(PREFIX).ok_or(CodeError::Prefix)?;
    if code.len() > MAX_CODE {
        return Err(CodeError::TooLong(code.len()));
    }
    let deflated = base45::decode(body).map_err(|e| CodeError::Base45(e.to_string()))?;
    let mut cbor = Vec::new();
    flate2::read::ZlibDecoder::new(deflated.as_slice())
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut cbor)
        .map_err(|e| CodeError::Inflate(e.to_string()))?;
    if cbor.len() as u64 > MAX_INFLATED {
        return Err(CodeError::Inflate(format!(
            "it inflates to more than {MAX_INFLATED} bytes"
        )));
    }
    let compact: Compact =
        ciborium::from_reader(cbor.as_slice()).map_err(|e| CodeError::Cbor(e.to_string()))?;
    if compact.v != RECEIPT_VERSION {
        return Err(CodeError::Version(compact.v));
    }
    Ok(compact)
}

/// Whether `text` looks like a compact receipt (it has the prefix).
pub fn is_code(text: &str) -> bool {
    text.trim_start().starts_with(PREFIX)
}

/// A short code a person can read out or type: the first eight hexadecimal digits of the
/// application's id, in two groups (`D644-0D87`), enough for a clerk to find it among a
/// hall's applications; it proves nothing by itself.
pub fn short_code(id: ApplicationId) -> String {
    let hex: String = id
        .to_string()
        .trim_start_matches("urn:uuid:")
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(8)
        .collect::<String>()
        .to_ascii_uppercase();
    format!("{}-{}", &hex[..4.min(hex.len())], &hex[4.min(hex.len())..])
}

/// What a valid compact receipt proves.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCode {
    /// The application's id.
    pub id: ApplicationId,
    /// Its service.
    pub service: String,
    /// Who applied (signed the submission).
    pub applicant: DidKey,
    /// SHA-256 of the signed application, which the department holds.
    pub application_sha256: String,
    /// The trusted ledger that anchored it, and what it showed.
    pub ledger: VerifiedLedger,
    /// Its position on the ledger.
    pub index: u64,
    /// When the ledger anchored it.
    pub anchored_at: OffsetDateTime,
    /// The decision, if the code holds one.
    pub decision: Option<Decision>,
}

/// Verifies a compact receipt offline (see the module docs). A damaged code is
/// [`Part::Receipt`]; the rest fails as a full receipt's ledger part would.
pub fn verify(
    code: &str,
    catalog: &Catalog,
    trusted: &TrustedLedgers,
) -> Result<VerifiedCode, ReceiptError> {
    let compact = decode(code).map_err(|error| ReceiptError {
        part: Part::Receipt,
        problem: error.to_string(),
    })?;
    let (entry, time) = match &compact.ledger {
        LedgerProof::Embedded(proof) => (&proof.submission.entry, proof.submission.time),
        LedgerProof::Evm(proof) => (&proof.submission.entry, proof.submission.time),
    };
    let submission = match check_entry(entry, catalog, time.into()) {
        Ok(Entry::Submission(submission)) => submission,
        Ok(Entry::Decision(_) | Entry::Access(_)) => {
            return Err(ReceiptError {
                part: Part::Submission,
                problem: "it is a decision or an access entry, not a submission".to_owned(),
            });
        }
        Err(refusal) => {
            return Err(ReceiptError {
                part: Part::Submission,
                problem: refusal.to_string(),
            });
        }
    };
    let claim = Claim {
        applicant: submission.applicant,
        id: submission.id,
        service: submission.service.clone(),
        digest: submission.application_sha256.clone(),
    };
    let found = verify_ledger(&compact.ledger, compact.v, &claim, catalog, trusted)?;
    Ok(VerifiedCode {
        id: claim.id,
        service: claim.service,
        applicant: claim.applicant,
        application_sha256: claim.digest,
        ledger: found.ledger,
        index: found.index,
        anchored_at: found.anchored_at,
        decision: found.decision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_codes_are_named() {
        assert_eq!(
            decode("HC1:ABC").expect_err("another prefix"),
            CodeError::Prefix
        );
        assert!(matches!(
            decode(&format!("{PREFIX}{}", "A".repeat(MAX_CODE))),
            Err(CodeError::TooLong(_))
        ));
        assert!(matches!(
            decode(&format!("{PREFIX}abc")),
            Err(CodeError::Base45(_))
        ));
        // Base45 of bytes that are not zlib.
        let junk = format!("{PREFIX}{}", base45::encode(b"not zlib at all"));
        assert!(matches!(decode(&junk), Err(CodeError::Inflate(_))));
        // A small zlib stream that inflates past the limit.
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut zlib, &vec![0u8; 1 << 20]).expect("in memory");
        let bomb = format!(
            "{PREFIX}{}",
            base45::encode(zlib.finish().expect("in memory"))
        );
        assert!(bomb.len() < MAX_CODE, "{}", bomb.len());
        assert!(matches!(decode(&bomb), Err(CodeError::Inflate(_))));
        // zlib of CBOR that is not a receipt.
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let mut cbor = Vec::new();
        ciborium::into_writer(&("a", 1), &mut cbor).expect("in memory");
        std::io::Write::write_all(&mut zlib, &cbor).expect("in memory");
        let other = format!(
            "{PREFIX}{}",
            base45::encode(zlib.finish().expect("in memory"))
        );
        assert!(matches!(decode(&other), Err(CodeError::Cbor(_))));
    }

    #[test]
    fn the_short_code_is_the_ids_first_eight_digits() {
        let id =
            ApplicationId::parse("urn:uuid:d6440d87-2e78-4be9-9dd6-d3e5d5288ddd").expect("an id");
        assert_eq!(short_code(id), "D644-0D87");
    }
}
