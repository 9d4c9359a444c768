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
//! A receipt from a **registry on an EVM chain** has `"backend": "evm"` and, instead of a key
//! and a checkpoint, the chain and the batch:
//!
//! ```json
//! "ledger": {
//!   "backend": "evm",
//!   "chain_id": 1337,
//!   "registry": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
//!   "submission": {"index": 40, "time": "…", "entry": {…},
//!                  "batch": {"root": "0x…", "size": 100, "leaf": 17, "proof": ["…", …]},
//!                  "transaction": "0x…", "block": 1204, "block_hash": "0x…"},
//!   "decision": {"index": 130, "time": "…", "entry": {…},
//!                "transaction": "0x…", "block": 1210, "block_hash": "0x…"}
//! }
//! ```
//!
//! The registry must be a trusted one (`eip155:<chain id>:<address>` in [`TrustedLedgers`]);
//! the submission's leaf is [`batch_leaf`] and its proof is against the batch root; the
//! decision must name the registry, the submission's position and its block's time. That the
//! root and the decision are on the chain, from that registry and in final blocks, is what a
//! check against the chain adds.
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
/// The `backend` of receipts from a registry on an EVM chain.
pub const EVM_LEDGER: &str = "evm";

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

/// The ledger's part of a receipt: what the backend that anchored the application proves,
/// told apart by `backend`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "backend")]
pub enum LedgerProof {
    /// [`AGORA_LEDGER`]: the embedded ledger's signed checkpoint and inclusion proofs.
    #[serde(rename = "agora-ledger")]
    Embedded(EmbeddedProof),
    /// [`EVM_LEDGER`]: the registry contract on an EVM chain.
    #[serde(rename = "evm")]
    Evm(EvmProof),
}

impl LedgerProof {
    /// The signed submission entry.
    pub fn submission(&self) -> &Value {
        match self {
            LedgerProof::Embedded(proof) => &proof.submission.entry,
            LedgerProof::Evm(proof) => &proof.submission.entry,
        }
    }

    /// The signed decision entry, once there is one.
    pub fn decision(&self) -> Option<&Value> {
        match self {
            LedgerProof::Embedded(proof) => proof.decision.as_ref().map(|d| &d.entry),
            LedgerProof::Evm(proof) => proof.decision.as_ref().map(|d| &d.entry),
        }
    }
}

/// The embedded ledger's part of a receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedProof {
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

/// A registry's part of a receipt: where on which chain the application's batch was anchored,
/// the submission's inclusion in the batch, and the decision's transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvmProof {
    /// The chain id (EIP-155).
    pub chain_id: u64,
    /// The registry contract's address, `0x` and 40 lowercase hexadecimal digits.
    pub registry: String,
    /// The submission, its batch and the transaction that anchored it.
    pub submission: ChainSubmission,
    /// The decision and the transaction that recorded it, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<ChainEntry>,
}

impl EvmProof {
    /// The registry's name as decisions give it (CAIP-10): `eip155:<chain id>:<address>`.
    pub fn origin(&self) -> String {
        evm_origin(self.chain_id, &self.registry)
    }
}

/// A registry's name as decisions give it (CAIP-10): `eip155:<chain id>:<address>`.
pub fn evm_origin(chain_id: u64, registry: &str) -> String {
    format!("eip155:{chain_id}:{registry}")
}

/// A submission as a registry anchored it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSubmission {
    /// Its position in the registry's sequence.
    pub index: u64,
    /// The anchoring block's time.
    #[serde(with = "agora_services::time_format::utc")]
    pub time: OffsetDateTime,
    /// The signed submission.
    pub entry: Value,
    /// Its batch and its inclusion proof there.
    pub batch: BatchProof,
    /// The anchoring transaction's hash, `0x…`.
    pub transaction: String,
    /// The anchoring block's number.
    pub block: u64,
    /// The anchoring block's hash, `0x…`.
    pub block_hash: String,
}

/// A submission's place in its batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchProof {
    /// The batch's RFC 6962 root, `0x…`, as the registry holds it.
    pub root: String,
    /// How many submissions the batch holds.
    pub size: u64,
    /// The submission's leaf index in the batch.
    pub leaf: u64,
    /// The RFC 6962 inclusion proof, standard base64 hashes from the leaf up.
    pub proof: Vec<String>,
}

/// A decision as a registry recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainEntry {
    /// Its position in the registry's sequence.
    pub index: u64,
    /// The recording block's time.
    #[serde(with = "agora_services::time_format::utc")]
    pub time: OffsetDateTime,
    /// The signed decision.
    pub entry: Value,
    /// The recording transaction's hash, `0x…`.
    pub transaction: String,
    /// The recording block's number.
    pub block: u64,
    /// The recording block's hash, `0x…`.
    pub block_hash: String,
}

/// Whose submission a signed application is: its issuer's did:key, if it names one.
pub fn applicant_of(application: &Value) -> Option<DidKey> {
    application
        .get("issuer")
        .and_then(Value::as_str)
        .and_then(|issuer| DidKey::parse(issuer).ok())
}

/// The leaf hash of a submission in a registry's batch: RFC 6962's leaf hash of its
/// canonical JSON (RFC 8785). Unlike the embedded ledger's leaves it holds no time: the
/// anchoring block gives it.
pub fn batch_leaf(entry: &Value) -> Result<Hash, String> {
    agora_identity::canonical::canonicalize(entry)
        .map(|canonical| tree::leaf_hash(&canonical))
        .map_err(|error| error.to_string())
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

/// The ledgers a verifier trusts: embedded ledgers by the keys that sign their checkpoints
/// (the ones the city publishes, the citizen's own device's, or keys pinned by hand), and
/// registries on chains by their name, `eip155:<chain id>:<address>`. A receipt from any
/// other ledger proves nothing, however well it verifies: anyone can run a private tree, or
/// deploy a registry of their own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedLedgers {
    keys: Vec<VerifierKey>,
    registries: Vec<String>,
}

impl TrustedLedgers {
    /// Trusts `keys`.
    pub fn new(keys: impl IntoIterator<Item = VerifierKey>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
            registries: Vec::new(),
        }
    }

    /// Trusts `key` too.
    pub fn add(&mut self, key: VerifierKey) {
        if !self.keys.contains(&key) {
            self.keys.push(key);
        }
    }

    /// Trusts the registry `name` (`eip155:<chain id>:0x<address>`) too.
    pub fn add_registry(&mut self, name: &str) -> Result<(), String> {
        let name = parse_registry(name)?;
        if !self.registries.contains(&name) {
            self.registries.push(name);
        }
        Ok(())
    }

    /// Reads a list of trusted ledgers, as a city publishes it: one per line, a signed-note
    /// verifier key or a registry's `eip155:<chain id>:<address>`; blank lines and lines
    /// starting with `#` are ignored. `name` is for messages.
    pub fn parse(text: &str, name: &str) -> Result<Self, String> {
        let mut trusted = Self::default();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with("eip155:") {
                trusted
                    .add_registry(line)
                    .map_err(|error| format!("{name}, line {}: {error}", number + 1))?;
                continue;
            }
            let key = VerifierKey::parse(line).map_err(|error| {
                format!(
                    "{name}, line {}: not a ledger key (name+hash+base64) nor a registry (eip155:CHAIN:0xADDRESS): {error}",
                    number + 1
                )
            })?;
            trusted.add(key);
        }
        Ok(trusted)
    }

    /// Whether `key` is trusted.
    pub fn contains(&self, key: &VerifierKey) -> bool {
        self.keys.contains(key)
    }

    /// Whether the registry `name` is trusted.
    pub fn contains_registry(&self, name: &str) -> bool {
        parse_registry(name).is_ok_and(|name| self.registries.contains(&name))
    }

    /// The trusted keys.
    pub fn keys(&self) -> &[VerifierKey] {
        &self.keys
    }

    /// The trusted registries.
    pub fn registries(&self) -> &[String] {
        &self.registries
    }
}

/// A registry's name, `eip155:<chain id>:0x<40 hex digits>`, with the address in lowercase.
fn parse_registry(name: &str) -> Result<String, String> {
    let problem = || {
        format!("`{name}` is not a registry: expected eip155:CHAIN_ID:0x and 40 hexadecimal digits")
    };
    let rest = name.strip_prefix("eip155:").ok_or_else(problem)?;
    let (chain, address) = rest.split_once(':').ok_or_else(problem)?;
    let chain: u64 = chain.parse().map_err(|_| problem())?;
    let digits = address.strip_prefix("0x").ok_or_else(problem)?;
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(problem());
    }
    Ok(evm_origin(
        chain,
        &format!("0x{}", digits.to_ascii_lowercase()),
    ))
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

/// What a receipt claims about its application: whose it is, its id, its service and its
/// digest. A full receipt takes it from the signed application; a compact one
/// ([`crate::compact`]), which carries no answers, from the submission the applicant signed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Claim {
    pub(crate) applicant: DidKey,
    pub(crate) id: agora_services::ApplicationId,
    pub(crate) service: String,
    pub(crate) digest: String,
}

impl Claim {
    fn of(application: &Application, digest: String) -> Self {
        Self {
            applicant: application.issuer,
            id: application.id,
            service: application.credential_subject.service.clone(),
            digest,
        }
    }
}

/// What the ledger's part of a receipt proves, whichever way its claim was made.
pub(crate) struct LedgerFindings {
    pub(crate) ledger: VerifiedLedger,
    pub(crate) index: u64,
    pub(crate) anchored_at: OffsetDateTime,
    pub(crate) decision: Option<Decision>,
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
    /// The ledger that anchored it, one of the trusted ones, and what it showed.
    pub ledger: VerifiedLedger,
    /// The submission's position on the ledger (its leaf index on the embedded ledger).
    pub index: u64,
    /// When the ledger anchored it.
    pub anchored_at: OffsetDateTime,
    /// The decision, if the receipt holds one.
    pub decision: Option<Decision>,
}

/// The trusted ledger a receipt came from, and what it showed.
#[derive(Debug, Clone, PartialEq)]
pub enum VerifiedLedger {
    /// The embedded ledger: its key and the checkpoint the proofs are against.
    Embedded {
        /// The ledger's checkpoint key.
        key: VerifierKey,
        /// The checkpoint.
        checkpoint: Checkpoint,
    },
    /// A registry on a chain. Offline, only the signatures and the inclusion in the batch are
    /// checked; that the batch and the decision are on the chain, from this registry and in
    /// final blocks, takes the chain (`agora verify --chain URL`).
    Evm {
        /// `eip155:<chain id>:<address>`.
        origin: String,
        /// The anchoring block's number and hash.
        block: (u64, String),
        /// The batch root.
        root: Hash,
        /// The decision's block's number and hash, if decided.
        decision_block: Option<(u64, String)>,
    },
}

impl VerifiedReceipt {
    /// The decision's outcome, if decided.
    pub fn outcome(&self) -> Option<Outcome> {
        self.decision.as_ref().map(|d| d.credential_subject.outcome)
    }
}

/// Verifies a receipt offline, at `now` (for proof expiry). `catalog` names each service's
/// department, whose key must have signed the decision; `trusted` the ledgers whose word
/// counts.
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
    let (application, applicant, digest) = check_application(&receipt.application, now)?;
    let claim = Claim::of(&application, digest);
    let found = verify_ledger(&receipt.ledger, version, &claim, catalog, trusted)?;
    Ok(VerifiedReceipt {
        version,
        application,
        applicant,
        ledger: found.ledger,
        index: found.index,
        anchored_at: found.anchored_at,
        decision: found.decision,
    })
}

/// Steps 2 to 5 for `claim`: the submission, the ledger, the inclusion and the decision.
pub(crate) fn verify_ledger(
    ledger: &LedgerProof,
    version: u32,
    claim: &Claim,
    catalog: &Catalog,
    trusted: &TrustedLedgers,
) -> Result<LedgerFindings, ReceiptError> {
    match ledger {
        LedgerProof::Embedded(ledger) => verify_embedded(ledger, version, claim, catalog, trusted),
        LedgerProof::Evm(ledger) => {
            if version == RECEIPT_VERSION_1 {
                return Err(fail(Part::Receipt)(
                    "version 1 receipts come only from the embedded ledger".to_owned(),
                ));
            }
            verify_evm(ledger, claim, catalog, trusted)
        }
    }
}

/// Step 1, the application: signed by its issuer. Returns it, its signer and its digest.
fn check_application(
    signed: &Value,
    now: SystemTime,
) -> Result<(Application, DidKey, String), ReceiptError> {
    let verified = proof::verify(signed, &VerifyOptions::assertion().at(now).exact_context())
        .map_err(|error| fail(Part::Application)(error.to_string()))?;
    let application = Application::from_json(&verified.document)
        .map_err(|error| fail(Part::Application)(error.to_string()))?;
    if verified.signer != application.issuer {
        return Err(fail(Part::Application)(format!(
            "it is signed by {}, not by its issuer {}",
            verified.signer, application.issuer
        )));
    }
    let digest = digest_hex(signed).map_err(|e| fail(Part::Application)(e.to_string()))?;
    Ok((application, verified.signer, digest))
}

/// Step 2, the submission entry: signed by the applicant, naming this application.
fn check_submission(
    entry: &Value,
    time: OffsetDateTime,
    catalog: &Catalog,
    claim: &Claim,
) -> Result<(), ReceiptError> {
    let submission = match check_entry(entry, catalog, time.into()) {
        Ok(Entry::Submission(submission)) => submission,
        Ok(Entry::Decision(_) | Entry::Access(_)) => {
            return Err(fail(Part::Submission)(
                "it is a decision or an access entry, not a submission".to_owned(),
            ));
        }
        Err(refusal) => return Err(fail(Part::Submission)(refusal.to_string())),
    };
    let mismatch = if submission.applicant != claim.applicant {
        Some("it was signed by someone else than the applicant")
    } else if submission.id != claim.id {
        Some("it names another application id")
    } else if submission.service != claim.service {
        Some("it names another service")
    } else if submission.application_sha256 != claim.digest {
        Some("its digest is not this application's: the application was changed")
    } else {
        None
    };
    match mismatch {
        Some(problem) => Err(fail(Part::Submission)(problem.to_owned())),
        None => Ok(()),
    }
}

/// Where a decision must say its application was anchored.
struct Anchoring<'a> {
    ledger: &'a str,
    index: u64,
    time: OffsetDateTime,
    /// Version 1 receipts' decisions name no anchoring.
    may_be_unnamed: bool,
}

/// Step 5, the decision: by the service's department, about this application, anchored where the
/// receipt's submission is.
fn check_decision(
    entry: &Value,
    time: OffsetDateTime,
    index: u64,
    catalog: &Catalog,
    claim: &Claim,
    anchoring: &Anchoring<'_>,
) -> Result<Decision, ReceiptError> {
    let decision = match check_entry(entry, catalog, time.into()) {
        Ok(Entry::Decision(decision)) => decision,
        Ok(Entry::Submission(_) | Entry::Access(_)) => {
            return Err(fail(Part::Decision)(
                "it is a submission or an access entry, not a decision".to_owned(),
            ));
        }
        Err(refusal) => return Err(fail(Part::Decision)(refusal.to_string())),
    };
    let decided = &decision.credential_subject;
    if decided.id != claim.id || decided.application_sha256 != claim.digest {
        return Err(fail(Part::Decision)(
            "it is about another application".to_owned(),
        ));
    }
    if decided.service != claim.service {
        return Err(fail(Part::Decision)(
            "it is about another service".to_owned(),
        ));
    }
    if index <= anchoring.index {
        return Err(fail(Part::Decision)(
            "it stands before the application on the ledger".to_owned(),
        ));
    }
    match &decided.anchored {
        None if anchoring.may_be_unnamed => {}
        None => {
            return Err(fail(Part::Decision)(
                "it does not say on which ledger, at which leaf and time the application was anchored".to_owned(),
            ));
        }
        Some(anchored) => {
            if anchored.ledger != anchoring.ledger {
                return Err(fail(Part::Decision)(format!(
                    "it decides an application anchored on the ledger `{}`, not on `{}`",
                    anchored.ledger, anchoring.ledger
                )));
            }
            if anchored.index != anchoring.index || anchored.time != anchoring.time {
                return Err(fail(Part::Decision)(format!(
                    "it decides the application anchored at leaf {} on {}, but the receipt's submission is at leaf {} on {}",
                    anchored.index,
                    agora_services::time_format::format_utc(anchored.time),
                    anchoring.index,
                    agora_services::time_format::format_utc(anchoring.time),
                )));
            }
        }
    }
    Ok(decision)
}

fn verify_embedded(
    ledger: &EmbeddedProof,
    version: u32,
    claim: &Claim,
    catalog: &Catalog,
    trusted: &TrustedLedgers,
) -> Result<LedgerFindings, ReceiptError> {
    let submitted = &ledger.submission;
    check_submission(&submitted.entry, submitted.time, catalog, claim)?;

    // 3. The checkpoint, by a trusted ledger.
    let ledger_key =
        VerifierKey::parse(&ledger.key).map_err(|e| fail(Part::Checkpoint)(e.to_string()))?;
    if !trusted.contains(&ledger_key) {
        return Err(fail(Part::Ledger)(format!(
            "its checkpoint is signed by the ledger key {ledger_key}, which is not one this verifier trusts: anyone can sign a tree of their own. If it is your city's ledger, compare it with the key the city publishes and pin it (`agora verify --trust-ledger KEY`, or a file of keys with `--trusted-ledgers FILE`)"
        )));
    }
    let checkpoint = Checkpoint::open(&ledger.checkpoint, &ledger_key)
        .map_err(|e| fail(Part::Checkpoint)(e.to_string()))?;

    // 4. Inclusion of the submission.
    check_inclusion(submitted, &checkpoint, version, Part::SubmissionInclusion)?;

    // 5. The decision.
    let decision = match &ledger.decision {
        None => None,
        Some(inclusion) => {
            let anchoring = Anchoring {
                ledger: &checkpoint.origin,
                index: submitted.index,
                time: submitted.time,
                may_be_unnamed: version == RECEIPT_VERSION_1,
            };
            let decision = check_decision(
                &inclusion.entry,
                inclusion.time,
                inclusion.index,
                catalog,
                claim,
                &anchoring,
            )?;
            check_inclusion(inclusion, &checkpoint, version, Part::DecisionInclusion)?;
            Some(decision)
        }
    };

    Ok(LedgerFindings {
        index: submitted.index,
        anchored_at: submitted.time,
        ledger: VerifiedLedger::Embedded {
            key: ledger_key,
            checkpoint,
        },
        decision,
    })
}

fn verify_evm(
    ledger: &EvmProof,
    claim: &Claim,
    catalog: &Catalog,
    trusted: &TrustedLedgers,
) -> Result<LedgerFindings, ReceiptError> {
    let submitted = &ledger.submission;
    check_submission(&submitted.entry, submitted.time, catalog, claim)?;

    // 3. The registry, a trusted one.
    let origin = ledger.origin();
    if !trusted.contains_registry(&origin) {
        return Err(fail(Part::Ledger)(format!(
            "it was anchored by the registry {origin}, which is not one this verifier trusts: anyone can deploy a registry of their own. If it is your city's, compare it with the registry the city publishes and pin it (`agora verify --trust-ledger {origin}`, or a file of ledgers with `--trusted-ledgers FILE`)"
        )));
    }

    // 4. Inclusion of the submission in its batch.
    let batch = &submitted.batch;
    let part = fail(Part::SubmissionInclusion);
    let root = hex_hash(&batch.root)
        .ok_or_else(|| part("the batch root is not 0x and 64 hexadecimal digits".to_owned()))?;
    let proof = decode_proof(&batch.proof, Part::SubmissionInclusion)?;
    let leaf = batch_leaf(&submitted.entry).map_err(&part)?;
    tree::verify_inclusion(&root, batch.size, &leaf, batch.leaf, &proof).map_err(|error| {
        match error {
            InclusionError::Mismatch(index) => {
                part(format!("leaf {index} is not in the batch the root names"))
            }
            other => part(other.to_string()),
        }
    })?;

    // 5. The decision.
    let decision = match &ledger.decision {
        None => None,
        Some(recorded) => Some(check_decision(
            &recorded.entry,
            recorded.time,
            recorded.index,
            catalog,
            claim,
            &Anchoring {
                ledger: &origin,
                index: submitted.index,
                time: submitted.time,
                may_be_unnamed: false,
            },
        )?),
    };

    Ok(LedgerFindings {
        index: submitted.index,
        anchored_at: submitted.time,
        ledger: VerifiedLedger::Evm {
            origin,
            block: (submitted.block, submitted.block_hash.clone()),
            root,
            decision_block: ledger
                .decision
                .as_ref()
                .map(|d| (d.block, d.block_hash.clone())),
        },
        decision,
    })
}

/// `0x` and 64 hexadecimal digits.
fn hex_hash(text: &str) -> Option<Hash> {
    let digits = text.strip_prefix("0x")?;
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(digits.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn decode_proof(hashes: &[String], part: Part) -> Result<Vec<Hash>, ReceiptError> {
    let fail = fail(part);
    if hashes.len() > tree::MAX_PROOF_HASHES {
        return Err(fail(format!(
            "it has {} hashes; a proof in a tree of up to 2^62 entries has at most {}",
            hashes.len(),
            tree::MAX_PROOF_HASHES
        )));
    }
    hashes
        .iter()
        .map(|hash| {
            BASE64
                .decode(hash)
                .ok()
                .and_then(|hash| Hash::try_from(hash.as_slice()).ok())
                .ok_or_else(|| fail("a proof hash is not 32 bytes in standard base64".to_owned()))
        })
        .collect()
}

fn check_inclusion(
    inclusion: &Inclusion,
    checkpoint: &Checkpoint,
    version: u32,
    part: Part,
) -> Result<(), ReceiptError> {
    let proof = decode_proof(&inclusion.proof, part)?;
    let fail = fail(part);
    let record =
        entry::leaf_bytes(&inclusion.entry, inclusion.time).map_err(|e| fail(e.to_string()))?;
    let leaf = if version == RECEIPT_VERSION_1 {
        tree::legacy_leaf_hash(&record)
    } else {
        tree::leaf_hash(&record)
    };
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
