//! Receipts: self-contained JSON that proves an application was anchored on a ledger and, once
//! it is, how it was decided. `agora verify RECEIPT.json` checks one offline.
//!
//! ```json
//! {
//!   "type": "AgoraReceipt",
//!   "version": 1,
//!   "application": { …the signed application, with its eddsa-jcs-2022 proof… },
//!   "ledger": {
//!     "backend": "agora-ledger",
//!     "key": "agora.local/ledger/1f0e2d3c4b5a6978+8a3b1c2d+AQ…",
//!     "checkpoint": "agora.local/ledger/1f0e2d3c4b5a6978\n1042\n3n0h…=\n\n— agora.local/ledger/… …\n",
//!     "submission": {"index": 1040, "time": "2026-11-24T01:30:02Z", "entry": {…}, "proof": ["…", …]},
//!     "decision": {"index": 1041, "time": "2026-11-24T01:30:03Z", "entry": {…}, "proof": ["…", …]}
//!   }
//! }
//! ```
//!
//! - `application`: what the citizen signed, answers included (a receipt is the citizen's; it
//!   is the only place outside the department where the answers are readable).
//! - `ledger.key`: the ledger's checkpoint key as a C2SP signed-note verifier key. A verifier
//!   who knows the ledger compares it with the published one; the receipt cannot vouch for
//!   its own ledger.
//! - `ledger.checkpoint`: the newest checkpoint when the receipt was made, signed by that key
//!   (C2SP tlog-checkpoint).
//! - `ledger.submission`: the submission entry as the ledger holds it, its leaf index and time,
//!   and its RFC 6962 inclusion proof against the checkpoint (standard base64 hashes, leaf to
//!   root). The leaf is the SHA-256 of the canonical `{"entry", "time"}` record (see
//!   `agora_ledger::entry`).
//! - `ledger.decision` (once decided): the department's signed decision, with its inclusion
//!   proof against the same checkpoint.
//!
//! [`verify`] checks, in order: the application's signature; that the submission is signed by
//! the same applicant and names this application's id, service and digest; the submission's
//! inclusion; the checkpoint's signature; and the decision's signature (by the department
//! that the catalog names for the service), its subject (this application, this digest), and
//! inclusion. A failure names the part that failed.

use std::fmt;
use std::time::SystemTime;

use agora_identity::DidKey;
use agora_identity::proof::{self, VerifyOptions};
use agora_ledger::entry::{self, Entry, check_entry, digest_hex};
use agora_ledger::{Checkpoint, StoredEntry, VerifierKey};
use agora_services::{Application, Catalog, Decision, Outcome};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ct_merkle::{InclusionProof, RootHash};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use thiserror::Error;
use time::OffsetDateTime;

/// The `type` of a receipt.
pub const RECEIPT_TYPE: &str = "AgoraReceipt";
/// The receipt format version.
pub const RECEIPT_VERSION: u32 = 1;
/// The `backend` of receipts from the embedded ledger.
pub const AGORA_LEDGER: &str = "agora-ledger";

/// A receipt (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// [`RECEIPT_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// [`RECEIPT_VERSION`].
    pub version: u32,
    /// The signed application.
    pub application: Value,
    /// Where and how it was anchored.
    pub ledger: LedgerProof,
}

/// The ledger's part of a receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerProof {
    /// [`AGORA_LEDGER`].
    pub backend: String,
    /// The checkpoint key, as a signed-note verifier key.
    pub key: String,
    /// The signed checkpoint.
    pub checkpoint: String,
    /// The submission and its inclusion proof.
    pub submission: Inclusion,
    /// The decision and its inclusion proof, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Inclusion>,
}

/// An entry, where it is, and its inclusion proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inclusion {
    /// Its leaf index.
    pub index: u64,
    /// When it was appended.
    #[serde(with = "agora_services::time_format::utc")]
    pub time: OffsetDateTime,
    /// The signed entry.
    pub entry: Value,
    /// The RFC 6962 inclusion proof, standard base64 hashes from the leaf up.
    pub proof: Vec<String>,
}

impl Inclusion {
    /// The inclusion of `stored` with the proof `hashes`.
    pub fn new(stored: StoredEntry, hashes: &InclusionProof<Sha256>) -> Self {
        Self {
            index: stored.index,
            time: stored.time,
            entry: stored.entry,
            proof: hashes
                .as_bytes()
                .chunks(32)
                .map(|hash| BASE64.encode(hash))
                .collect(),
        }
    }
}

/// Which part of a receipt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The receipt's own shape.
    Receipt,
    /// The citizen's signed application.
    Application,
    /// The ledger's submission entry.
    Submission,
    /// The submission's inclusion proof.
    SubmissionInclusion,
    /// The ledger's signed checkpoint.
    Checkpoint,
    /// The department's decision.
    Decision,
    /// The decision's inclusion proof.
    DecisionInclusion,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Receipt => "the receipt",
            Part::Application => "the application",
            Part::Submission => "the ledger's submission entry",
            Part::SubmissionInclusion => "the submission's inclusion proof",
            Part::Checkpoint => "the ledger's checkpoint",
            Part::Decision => "the decision",
            Part::DecisionInclusion => "the decision's inclusion proof",
        })
    }
}

/// Why a receipt does not verify: which part, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{part} does not verify: {problem}")]
pub struct ReceiptError {
    /// The part that failed.
    pub part: Part,
    /// What is wrong.
    pub problem: String,
}

fn fail(part: Part) -> impl Fn(String) -> ReceiptError {
    move |problem| ReceiptError { part, problem }
}

/// What a valid receipt proves.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedReceipt {
    /// The application.
    pub application: Application,
    /// Who signed it.
    pub applicant: DidKey,
    /// The ledger's checkpoint key.
    pub ledger_key: VerifierKey,
    /// The checkpoint the proofs are against.
    pub checkpoint: Checkpoint,
    /// The submission's leaf index.
    pub index: u64,
    /// When the ledger anchored it.
    pub anchored_at: OffsetDateTime,
    /// The decision, if the receipt holds one.
    pub decision: Option<Decision>,
}

impl VerifiedReceipt {
    /// The decision's outcome, if decided.
    pub fn outcome(&self) -> Option<Outcome> {
        self.decision.as_ref().map(|d| d.credential_subject.outcome)
    }
}

/// Verifies a receipt offline, at `now` (for proof expiry). `catalog` names each service's
/// department, whose key must have signed the decision.
pub fn verify(
    receipt: &Value,
    catalog: &Catalog,
    now: SystemTime,
) -> Result<VerifiedReceipt, ReceiptError> {
    let receipt: Receipt = serde_json::from_value(receipt.clone())
        .map_err(|error| fail(Part::Receipt)(format!("it is not an Agora receipt: {error}")))?;
    if receipt.kind != RECEIPT_TYPE || receipt.version != RECEIPT_VERSION {
        return Err(fail(Part::Receipt)(format!(
            "it is a `{}` version {}, and this verifier reads `{RECEIPT_TYPE}` version {RECEIPT_VERSION}",
            receipt.kind, receipt.version
        )));
    }
    if receipt.ledger.backend != AGORA_LEDGER {
        return Err(fail(Part::Receipt)(format!(
            "its ledger backend `{}` is not one this verifier knows",
            receipt.ledger.backend
        )));
    }

    // 1. The application.
    let verified = proof::verify(&receipt.application, &VerifyOptions::assertion().at(now))
        .map_err(|error| fail(Part::Application)(error.to_string()))?;
    let application = Application::from_json(&verified.document)
        .map_err(|error| fail(Part::Application)(error.to_string()))?;
    if verified.signer != application.issuer {
        return Err(fail(Part::Application)(format!(
            "it is signed by {}, not by its issuer {}",
            verified.signer, application.issuer
        )));
    }
    let digest =
        digest_hex(&receipt.application).map_err(|e| fail(Part::Application)(e.to_string()))?;

    // 2. The submission entry.
    let submission = match check_entry(
        &receipt.ledger.submission.entry,
        catalog,
        receipt.ledger.submission.time.into(),
    ) {
        Ok(Entry::Submission(submission)) => submission,
        Ok(Entry::Decision(_)) => {
            return Err(fail(Part::Submission)(
                "it is a decision, not a submission".to_owned(),
            ));
        }
        Err(refusal) => return Err(fail(Part::Submission)(refusal.to_string())),
    };
    let subject = &application.credential_subject;
    let mismatch = if submission.applicant != application.issuer {
        Some("it was signed by someone else than the applicant")
    } else if submission.id != application.id {
        Some("it names another application id")
    } else if submission.service != subject.service {
        Some("it names another service")
    } else if submission.application_sha256 != digest {
        Some("its digest is not this application's: the application was changed")
    } else {
        None
    };
    if let Some(problem) = mismatch {
        return Err(fail(Part::Submission)(problem.to_owned()));
    }

    // 3. The checkpoint.
    let ledger_key = VerifierKey::parse(&receipt.ledger.key)
        .map_err(|e| fail(Part::Checkpoint)(e.to_string()))?;
    let checkpoint = Checkpoint::open(&receipt.ledger.checkpoint, &ledger_key)
        .map_err(|e| fail(Part::Checkpoint)(e.to_string()))?;

    // 4. Inclusion of the submission.
    check_inclusion(
        &receipt.ledger.submission,
        &checkpoint,
        Part::SubmissionInclusion,
    )?;

    // 5. The decision.
    let decision = match &receipt.ledger.decision {
        None => None,
        Some(inclusion) => {
            let decision = match check_entry(&inclusion.entry, catalog, inclusion.time.into()) {
                Ok(Entry::Decision(decision)) => decision,
                Ok(Entry::Submission(_)) => {
                    return Err(fail(Part::Decision)(
                        "it is a submission, not a decision".to_owned(),
                    ));
                }
                Err(refusal) => return Err(fail(Part::Decision)(refusal.to_string())),
            };
            let decided = &decision.credential_subject;
            if decided.id != application.id || decided.application_sha256 != digest {
                return Err(fail(Part::Decision)(
                    "it is about another application".to_owned(),
                ));
            }
            if decided.service != subject.service {
                return Err(fail(Part::Decision)(
                    "it is about another service".to_owned(),
                ));
            }
            if inclusion.index <= receipt.ledger.submission.index {
                return Err(fail(Part::Decision)(
                    "it stands before the application on the ledger".to_owned(),
                ));
            }
            check_inclusion(inclusion, &checkpoint, Part::DecisionInclusion)?;
            Some(decision)
        }
    };

    Ok(VerifiedReceipt {
        application,
        applicant: verified.signer,
        ledger_key,
        checkpoint,
        index: receipt.ledger.submission.index,
        anchored_at: receipt.ledger.submission.time,
        decision,
    })
}

fn check_inclusion(
    inclusion: &Inclusion,
    checkpoint: &Checkpoint,
    part: Part,
) -> Result<(), ReceiptError> {
    let fail = fail(part);
    if inclusion.index >= checkpoint.size {
        return Err(fail(format!(
            "leaf {} is beyond the checkpoint's {} entries",
            inclusion.index, checkpoint.size
        )));
    }
    let leaf =
        entry::leaf_bytes(&inclusion.entry, inclusion.time).map_err(|e| fail(e.to_string()))?;
    let leaf: [u8; 32] = Sha256::digest(&leaf).into();
    let mut bytes = Vec::with_capacity(inclusion.proof.len() * 32);
    for hash in &inclusion.proof {
        let hash = BASE64
            .decode(hash)
            .ok()
            .filter(|hash| hash.len() == 32)
            .ok_or_else(|| fail("a proof hash is not 32 bytes in standard base64".to_owned()))?;
        bytes.extend_from_slice(&hash);
    }
    let proof = InclusionProof::<Sha256>::try_from_bytes(bytes).map_err(|e| fail(e.to_string()))?;
    let root = RootHash::<Sha256>::new(checkpoint.root.into(), checkpoint.size);
    root.verify_inclusion(&leaf, inclusion.index, &proof)
        .map_err(|_| {
            fail(format!(
                "leaf {} is not in the tree the checkpoint signed",
                inclusion.index
            ))
        })
}
