//! Receipts: self-contained JSON that proves an application was anchored on a ledger and, once
//! it is, how it was decided. `agora verify RECEIPT.json` checks one offline.
//!
//! ```json
//! {
//!   "type": "AgoraReceipt",
//!   "version": 2,
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
//!   root). The leaf is the canonical `{"entry", "time"}` record (see `agora_ledger::entry`)
//!   and its hash RFC 6962's, `SHA-256(0x00 ‖ record)`, so any tlog tool checks the proof.
//! - `ledger.decision` (once decided): the department's signed decision, with its inclusion
//!   proof against the same checkpoint. The decision names the ledger, leaf and time at which
//!   the application was anchored (`credentialSubject.anchored`), and they must be the
//!   submission's here.
//!
//! [`verify`] checks, in order: the application's signature; that the submission is signed by
//! the same applicant and names this application's id, service and digest; that the
//! checkpoint is signed by a ledger key the verifier trusts ([`TrustedLedgers`]: a receipt
//! cannot vouch for its own ledger) and the submission's inclusion; and the decision's
//! signature (by the department that the catalog names for the service), its subject (this
//! application, this digest, anchored at this submission's place and time on this ledger),
//! and inclusion. A failure names the part that failed.
//!
//! **Version 1** receipts (made before the leaf hash was RFC 6962's) are still read: their
//! leaves are `SHA-256(0x00 ‖ SHA-256(record))`, and their decisions do not name where the
//! application was anchored, so for them the anchoring time rests on the trusted ledger key
//! alone ([`VerifiedReceipt::version`] tells which).

use std::fmt;
use std::time::SystemTime;

use agora_identity::DidKey;
use agora_identity::proof::{self, VerifyOptions};
use agora_ledger::entry::{self, Entry, check_entry, digest_hex};
use agora_ledger::tree::{self, Hash, InclusionError};
use agora_ledger::{Checkpoint, StoredEntry, VerifierKey};
use agora_services::{Application, Catalog, Decision, Outcome};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;
use time::OffsetDateTime;

/// The `type` of a receipt.
pub const RECEIPT_TYPE: &str = "AgoraReceipt";
/// The receipt format version this code writes: RFC 6962 leaves, decisions that name where
/// their application was anchored.
pub const RECEIPT_VERSION: u32 = 2;
/// The older version it still reads (see the module docs).
pub const RECEIPT_VERSION_1: u32 = 1;
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
    /// The inclusion of `stored` with the audit path `hashes`, leaf to root.
    pub fn new(stored: StoredEntry, hashes: &[Hash]) -> Self {
        Self {
            index: stored.index,
            time: stored.time,
            entry: stored.entry,
            proof: hashes.iter().map(|hash| BASE64.encode(hash)).collect(),
        }
    }
}

/// The ledger keys a verifier trusts to sign checkpoints: the ones the city publishes, the
/// citizen's own device's, or keys pinned by hand. A receipt whose checkpoint another key
/// signed proves nothing, however well it verifies: anyone can run a private tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedLedgers(Vec<VerifierKey>);

impl TrustedLedgers {
    /// Trusts `keys`.
    pub fn new(keys: impl IntoIterator<Item = VerifierKey>) -> Self {
        Self(keys.into_iter().collect())
    }

    /// Trusts `key` too.
    pub fn add(&mut self, key: VerifierKey) {
        if !self.0.contains(&key) {
            self.0.push(key);
        }
    }

    /// Reads a list of trusted ledger keys, as a city publishes it: one signed-note verifier
    /// key per line; blank lines and lines starting with `#` are ignored. `name` is for
    /// messages.
    pub fn parse(text: &str, name: &str) -> Result<Self, String> {
        let mut trusted = Self::default();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = VerifierKey::parse(line).map_err(|error| {
                format!(
                    "{name}, line {}: not a ledger key (name+hash+base64): {error}",
                    number + 1
                )
            })?;
            trusted.add(key);
        }
        Ok(trusted)
    }

    /// Whether `key` is trusted.
    pub fn contains(&self, key: &VerifierKey) -> bool {
        self.0.contains(key)
    }

    /// The trusted keys.
    pub fn keys(&self) -> &[VerifierKey] {
        &self.0
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
    /// The ledger itself: whether its key is trusted.
    Ledger,
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
            Part::Ledger => "the ledger",
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
    /// The receipt's version: [`RECEIPT_VERSION`], or [`RECEIPT_VERSION_1`], whose decision
    /// does not name where its application was anchored.
    pub version: u32,
    /// The ledger's checkpoint key, one of the trusted ones.
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
/// department, whose key must have signed the decision; `trusted` the ledger keys whose
/// checkpoints count.
pub fn verify(
    receipt: &Value,
    catalog: &Catalog,
    trusted: &TrustedLedgers,
    now: SystemTime,
) -> Result<VerifiedReceipt, ReceiptError> {
    let receipt: Receipt = serde_json::from_value(receipt.clone())
        .map_err(|error| fail(Part::Receipt)(format!("it is not an Agora receipt: {error}")))?;
    if receipt.kind != RECEIPT_TYPE
        || !(receipt.version == RECEIPT_VERSION || receipt.version == RECEIPT_VERSION_1)
    {
        return Err(fail(Part::Receipt)(format!(
            "it is a `{}` version {}, and this verifier reads `{RECEIPT_TYPE}` versions {RECEIPT_VERSION_1} and {RECEIPT_VERSION}",
            receipt.kind, receipt.version
        )));
    }
    let version = receipt.version;
    if receipt.ledger.backend != AGORA_LEDGER {
        return Err(fail(Part::Receipt)(format!(
            "its ledger backend `{}` is not one this verifier knows",
            receipt.ledger.backend
        )));
    }

    // 1. The application.
    let verified = proof::verify(
        &receipt.application,
        &VerifyOptions::assertion().at(now).exact_context(),
    )
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

    // 3. The checkpoint, by a trusted ledger.
    let ledger_key = VerifierKey::parse(&receipt.ledger.key)
        .map_err(|e| fail(Part::Checkpoint)(e.to_string()))?;
    if !trusted.contains(&ledger_key) {
        return Err(fail(Part::Ledger)(format!(
            "its checkpoint is signed by the ledger key {ledger_key}, which is not one this verifier trusts: anyone can sign a tree of their own. If it is your city's ledger, compare it with the key the city publishes and pin it (`agora verify --trust-ledger KEY`, or a file of keys with `--trusted-ledgers FILE`)"
        )));
    }
    let checkpoint = Checkpoint::open(&receipt.ledger.checkpoint, &ledger_key)
        .map_err(|e| fail(Part::Checkpoint)(e.to_string()))?;

    // 4. Inclusion of the submission.
    check_inclusion(
        &receipt.ledger.submission,
        &checkpoint,
        version,
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
            let submitted = &receipt.ledger.submission;
            match (&decided.anchored, version) {
                (None, RECEIPT_VERSION_1) => {}
                (None, _) => {
                    return Err(fail(Part::Decision)(
                        "it does not say on which ledger, at which leaf and time the application was anchored".to_owned(),
                    ));
                }
                (Some(anchored), _) => {
                    if anchored.ledger != checkpoint.origin {
                        return Err(fail(Part::Decision)(format!(
                            "it decides an application anchored on the ledger `{}`, not on `{}`",
                            anchored.ledger, checkpoint.origin
                        )));
                    }
                    if anchored.index != submitted.index || anchored.time != submitted.time {
                        return Err(fail(Part::Decision)(format!(
                            "it decides the application anchored at leaf {} on {}, but the receipt's submission is at leaf {} on {}",
                            anchored.index,
                            agora_services::time_format::format_utc(anchored.time),
                            submitted.index,
                            agora_services::time_format::format_utc(submitted.time),
                        )));
                    }
                }
            }
            check_inclusion(inclusion, &checkpoint, version, Part::DecisionInclusion)?;
            Some(decision)
        }
    };

    Ok(VerifiedReceipt {
        version,
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
    version: u32,
    part: Part,
) -> Result<(), ReceiptError> {
    let fail = fail(part);
    if inclusion.proof.len() > tree::MAX_PROOF_HASHES {
        return Err(fail(format!(
            "it has {} hashes; a proof in a tree of up to 2^62 entries has at most {}",
            inclusion.proof.len(),
            tree::MAX_PROOF_HASHES
        )));
    }
    let record =
        entry::leaf_bytes(&inclusion.entry, inclusion.time).map_err(|e| fail(e.to_string()))?;
    let leaf = if version == RECEIPT_VERSION_1 {
        tree::legacy_leaf_hash(&record)
    } else {
        tree::leaf_hash(&record)
    };
    let proof = inclusion
        .proof
        .iter()
        .map(|hash| {
            BASE64
                .decode(hash)
                .ok()
                .and_then(|hash| Hash::try_from(hash.as_slice()).ok())
                .ok_or_else(|| fail("a proof hash is not 32 bytes in standard base64".to_owned()))
        })
        .collect::<Result<Vec<Hash>, _>>()?;
    tree::verify_inclusion(
        &checkpoint.root,
        checkpoint.size,
        &leaf,
        inclusion.index,
        &proof,
    )
    .map_err(|error| match error {
        InclusionError::Mismatch(index) => fail(format!(
            "leaf {index} is not in the tree the checkpoint signed"
        )),
        InclusionError::OutOfRange { index, size } => fail(format!(
            "leaf {index} is beyond the checkpoint's {size} entries"
        )),
        other => fail(other.to_string()),
    })
}
