//! What a ledger holds: submissions and decisions, each a signed JSON document.
//!
//! A **submission** is what a citizen hands a ledger instead of their application. It names the
//! application and carries its answers only sealed to the department (HPKE, RFC 9180), and the
//! citizen signs it with the same did:key as the application (`eddsa-jcs-2022`):
//!
//! ```json
//! {
//!   "type": "AgoraSubmission",
//!   "id": "urn:uuid:3f1c…",
//!   "service": "parking-permit",
//!   "applicant": "did:key:z6Mk…",
//!   "application_sha256": "9b1c…",
//!   "sealed": {"suite": "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305", "enc": "…", "ciphertext": "…"},
//!   "proof": {…}
//! }
//! ```
//!
//! - `application_sha256`: SHA-256 of the signed application's canonical form (RFC 8785),
//!   lowercase hexadecimal. The citizen's receipt holds the application; anyone can hash it
//!   and compare.
//! - `sealed`: the signed application, encrypted to the department's X25519 key (`enc` is the
//!   encapsulated key, `ciphertext` the AEAD output, both standard base64). The ledger cannot
//!   read it; only the department's desk can.
//!
//! A **decision** is the department's signed decision document
//! (`agora_services::Decision`), citing the application's id and digest.
//!
//! Each entry becomes one leaf of the ledger's Merkle tree. The leaf's bytes are the canonical
//! JSON (RFC 8785) of `{"entry": <the signed entry>, "time": "<when the ledger appended it>"}`,
//! so a receipt proves when the application was anchored as well as what.

use std::time::SystemTime;

use agora_identity::DidKey;
use agora_identity::canonical::{self, parse_strict};
use agora_identity::proof::{self, VerifyOptions};
use agora_services::{ApplicationId, Catalog, Decision, Outcome};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use thiserror::Error;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The `type` of a submission.
pub const SUBMISSION_TYPE: &str = "AgoraSubmission";

/// The HPKE suite that seals answers: the only one a ledger accepts.
pub const SEAL_SUITE: &str = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305";

/// The most bytes an entry may have in canonical form. An application's answers are a few
/// kilobytes; this leaves room and still keeps a hostile client from filling the store.
pub const MAX_ENTRY_BYTES: usize = 256 * 1024;

/// Answers sealed to a department's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// The HPKE suite, [`SEAL_SUITE`].
    pub suite: String,
    /// The encapsulated key, standard base64 of 32 bytes.
    pub enc: String,
    /// The ciphertext, standard base64.
    pub ciphertext: String,
}

impl Sealed {
    /// The encapsulated key's bytes.
    pub fn enc_bytes(&self) -> Result<[u8; 32], Refusal> {
        BASE64
            .decode(&self.enc)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| {
                Refusal::Malformed("`sealed.enc` is not 32 bytes in standard base64".to_owned())
            })
    }

    /// The ciphertext's bytes.
    pub fn ciphertext_bytes(&self) -> Result<Vec<u8>, Refusal> {
        BASE64.decode(&self.ciphertext).map_err(|_| {
            Refusal::Malformed("`sealed.ciphertext` is not standard base64".to_owned())
        })
    }
}

/// A submission, read from its signed JSON (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// [`SUBMISSION_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The application's id.
    pub id: ApplicationId,
    /// The service applied to.
    pub service: String,
    /// The applicant, who signs the application and the submission.
    #[serde(with = "agora_services::vc::did")]
    pub applicant: DidKey,
    /// SHA-256 of the signed application's canonical form, lowercase hexadecimal.
    pub application_sha256: String,
    /// The signed application, sealed to the department.
    pub sealed: Sealed,
}

impl Submission {
    /// The submission's JSON, unsigned.
    pub fn to_json(&self) -> Value {
        json!({
            "type": SUBMISSION_TYPE,
            "id": self.id.to_string(),
            "service": self.service,
            "applicant": self.applicant.to_string(),
            "application_sha256": self.application_sha256,
            "sealed": self.sealed,
        })
    }
}

/// The `type` of an access entry.
pub const ACCESS_TYPE: &str = "AgoraAccess";

/// Why an application was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// The department's desk opened it to run the published policy.
    AutomaticReview,
    /// An officer opened it to decide what the policy referred to them.
    OfficerReview,
}

impl Purpose {
    /// `automatic-review` or `officer-review`.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::AutomaticReview => "automatic-review",
            Purpose::OfficerReview => "officer-review",
        }
    }
}

/// An access entry: who opened an application's sealed answers, when and why, signed by
/// them and recorded before anything they decide ("who opened my application").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// [`ACCESS_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The application's id.
    pub id: ApplicationId,
    /// Its service.
    pub service: String,
    /// SHA-256 of the signed application's canonical form, lowercase hexadecimal.
    pub application_sha256: String,
    /// Where the application was anchored.
    pub anchored: agora_services::Anchor,
    /// Who opened it: a department key, or an officer's.
    #[serde(with = "agora_services::vc::did")]
    pub by: DidKey,
    /// Why.
    pub purpose: Purpose,
    /// When it was opened (UTC, to the second).
    #[serde(with = "agora_services::time_format::utc")]
    pub at: OffsetDateTime,
    /// An officer's delegation from the department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegation: Option<Value>,
}

impl Access {
    /// The entry's JSON, unsigned.
    pub fn to_json(&self) -> Value {
        let mut json = json!({
            "type": ACCESS_TYPE,
            "id": self.id.to_string(),
            "service": self.service,
            "application_sha256": self.application_sha256,
            "anchored": {
                "ledger": self.anchored.ledger,
                "index": self.anchored.index,
                "time": agora_services::time_format::format_utc(self.anchored.time),
            },
            "by": self.by.to_string(),
            "purpose": self.purpose,
            "at": agora_services::time_format::format_utc(self.at),
        });
        if let Some(delegation) = &self.delegation {
            json["delegation"] = delegation.clone();
        }
        json
    }
}

/// SHA-256 of a JSON document's canonical form, lowercase hexadecimal: how an application is
/// named in a submission and a decision.
pub fn digest_hex(document: &Value) -> Result<String, Refusal> {
    let canonical =
        canonical::canonicalize(document).map_err(|error| Refusal::Malformed(error.to_string()))?;
    Ok(hex(&Sha256::digest(canonical)))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A ledger entry, checked: its signature verified and its kind known.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A citizen's submission.
    Submission(Submission),
    /// A department's decision.
    Decision(Decision),
    /// Someone at the department opened the application.
    Access(Access),
}

impl Entry {
    /// The application the entry is about.
    pub fn application_id(&self) -> ApplicationId {
        match self {
            Entry::Submission(submission) => submission.id,
            Entry::Decision(decision) => decision.credential_subject.id,
            Entry::Access(access) => access.id,
        }
    }

    /// The service the entry is about.
    pub fn service(&self) -> &str {
        match self {
            Entry::Submission(submission) => &submission.service,
            Entry::Decision(decision) => &decision.credential_subject.service,
            Entry::Access(access) => &access.service,
        }
    }

    /// Who signed it.
    pub fn signer(&self) -> DidKey {
        match self {
            Entry::Submission(submission) => submission.applicant,
            Entry::Decision(decision) => decision.issuer,
            Entry::Access(access) => access.by,
        }
    }

    /// `submission`, `decision` or `access`.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Submission(_) => "submission",
            Entry::Decision(_) => "decision",
            Entry::Access(_) => "access",
        }
    }
}

/// A signed entry, read and verified: what [`read_entry`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedEntry {
    /// What it says.
    pub entry: Entry,
    /// The signed JSON, proof included.
    pub json: Value,
}

/// Why a ledger refuses an entry. These are final answers: sending the same entry again gets
/// the same one.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "refusal", content = "detail", rename_all = "kebab-case")]
pub enum Refusal {
    /// Not JSON, too large, or not the shape of a submission or decision.
    #[error("the entry is malformed: {0}")]
    Malformed(String),
    /// Its proof does not verify, or was made by someone else than it claims.
    #[error("the entry's signature does not verify: {0}")]
    BadSignature(String),
    /// No such service in the ledger's catalog.
    #[error("the service `{0}` is unknown to this ledger")]
    UnknownService(String),
    /// The service takes no applications now.
    #[error("the service `{0}` is closed and takes no applications")]
    ClosedService(String),
    /// Another application has this id.
    #[error("another application with the id {0} is already on the ledger")]
    DuplicateId(String),
    /// The same application was already submitted under another submission.
    #[error("this application (sha256 {0}) is already on the ledger")]
    DuplicateDigest(String),
    /// A decision for an application the ledger does not hold.
    #[error("there is no application {0} on this ledger to decide")]
    UnknownApplication(String),
    /// A decision that does not match the application it names.
    #[error("the decision does not match application {id}: {problem}")]
    DecisionMismatch {
        /// The application.
        id: String,
        /// What differs.
        problem: String,
    },
    /// A second final decision.
    #[error("application {0} is already decided; a decision is final")]
    AlreadyDecided(String),
    /// A decision by someone the ledger has not recorded as having opened the application.
    #[error(
        "{by} decides application {id} without having recorded that they opened it: append the access entry first"
    )]
    NotOpened {
        /// The application.
        id: String,
        /// Who decided.
        by: String,
    },
    /// An officer's decision on an application the policy did not refer to an officer.
    #[error(
        "application {0} was not referred to an officer: only referred applications are decided by hand"
    )]
    NotReferred(String),
}

/// Reads and verifies a signed entry from JSON text, judged at `now`: the proof must verify
/// and be by the entry's own signer (the applicant, or the service's department as the
/// catalog names it), and the service must be in `catalog`. Whether it fits the ledger's
/// state (duplicates, decisions for known applications) is the store's to check.
pub fn read_entry(text: &str, catalog: &Catalog, now: SystemTime) -> Result<SignedEntry, Refusal> {
    if text.len() > MAX_ENTRY_BYTES {
        return Err(Refusal::Malformed(format!(
            "it is {} bytes; an entry may have at most {MAX_ENTRY_BYTES}",
            text.len()
        )));
    }
    let json = parse_strict(text).map_err(|error| Refusal::Malformed(error.to_string()))?;
    let entry = check_entry(&json, catalog, now)?;
    Ok(SignedEntry { entry, json })
}

/// [`read_entry`] for an entry already parsed: [`Verified::check`], then
/// [`Verified::check_catalog`], both at `now`: for an entry a ledger recorded, the time it
/// recorded it.
pub fn check_entry(json: &Value, catalog: &Catalog, now: SystemTime) -> Result<Entry, Refusal> {
    let verified = Verified::check(json, now)?;
    verified.check_catalog(catalog, now.into())?;
    Ok(verified.entry)
}

/// An entry whose proof verified and whose structure was read, ready for a store to judge
/// against its catalog and contents ([`crate::Ledger::append_verified`]).
///
/// This is the slow, stateless half of checking an entry, split off so that it can run where
/// the entry is received, on any thread, and not on the one thread that writes the store.
/// [`Verified::check`] is the only way to make one: a store never holds an entry whose
/// signature nobody checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    entry: Entry,
    canonical: Vec<u8>,
    expires: Option<OffsetDateTime>,
}

impl Verified {
    /// Verifies `json`'s proof, judged at `now` (it must be by the entry's own signer), and
    /// reads it as a submission or a decision. Whether its service is known and open, and
    /// whether a decision is by the service's department, depend on a catalog:
    /// [`Verified::check_catalog`].
    pub fn check(json: &Value, now: SystemTime) -> Result<Self, Refusal> {
        let verified = proof::verify(json, &VerifyOptions::assertion().at(now).exact_context())
            .map_err(|error| Refusal::BadSignature(error.to_string()))?;
        let entry = if json.get("type") == Some(&Value::from(SUBMISSION_TYPE)) {
            let submission: Submission = serde_json::from_value(verified.document)
                .map_err(|error| Refusal::Malformed(format!("not a submission: {error}")))?;
            check_submission(&submission)?;
            Entry::Submission(submission)
        } else if json.get("type") == Some(&Value::from(ACCESS_TYPE)) {
            let access: Access = serde_json::from_value(verified.document)
                .map_err(|error| Refusal::Malformed(format!("not an access entry: {error}")))?;
            Entry::Access(access)
        } else {
            let decision = Decision::from_json(&verified.document).map_err(|error| {
                Refusal::Malformed(format!("neither a submission nor a decision: {error}"))
            })?;
            Entry::Decision(decision)
        };
        if verified.signer != entry.signer() {
            return Err(Refusal::BadSignature(format!(
                "it is signed by {}, not by {}, whom it names",
                verified.signer,
                entry.signer()
            )));
        }
        // The proof verified, so `expires`, if present, is a valid RFC 3339 time.
        let expires = verified
            .proof
            .get("expires")
            .and_then(Value::as_str)
            .and_then(|text| OffsetDateTime::parse(text, &Rfc3339).ok());
        let canonical =
            canonical::canonicalize(json).map_err(|error| Refusal::Malformed(error.to_string()))?;
        Ok(Self {
            entry,
            canonical,
            expires,
        })
    }

    /// What the entry says.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// The signed entry in canonical form (RFC 8785), proof included: the bytes a store keeps.
    pub fn canonical(&self) -> &[u8] {
        &self.canonical
    }

    /// What the catalog says of an entry recorded at `at`, then or since: its service must be
    /// in `catalog`, and a decision must be signed by a key of the service's department that
    /// was valid at `at` (so a rotated key's earlier decisions still count, and nothing a key
    /// signs after its revocation does). Whether the service is open matters only when the
    /// entry is admitted ([`Verified::check_admission`]): closing a service later changes
    /// nothing about what was submitted while it was open.
    pub fn check_catalog(&self, catalog: &Catalog, at: OffsetDateTime) -> Result<(), Refusal> {
        let entry = &self.entry;
        let service = catalog
            .service(entry.service())
            .ok_or_else(|| Refusal::UnknownService(entry.service().to_owned()))?;
        if let Entry::Access(access) = entry {
            let refused = |problem: String| {
                Refusal::BadSignature(format!(
                    "the access to an application to `{}` is not the department's: {problem}",
                    service.id
                ))
            };
            match (&access.delegation, access.purpose) {
                (None, Purpose::AutomaticReview) => {
                    service
                        .department
                        .signer_at(&access.by, at)
                        .map_err(|problem| refused(problem.to_string()))?;
                }
                (Some(delegation), Purpose::OfficerReview) => {
                    agora_services::delegation::verify(
                        delegation,
                        catalog,
                        &service.id,
                        &access.by,
                        at,
                    )
                    .map_err(|problem| refused(problem.to_string()))?;
                }
                (None, Purpose::OfficerReview) => {
                    return Err(refused(
                        "an officer's review carries the delegation".to_owned(),
                    ));
                }
                (Some(_), Purpose::AutomaticReview) => {
                    return Err(refused(
                        "the automatic review is the department's own, with no delegation"
                            .to_owned(),
                    ));
                }
            }
        }
        if let Entry::Decision(decision) = entry {
            let refused = |problem: String| {
                Refusal::BadSignature(format!(
                    "the decision for `{}` does not count: {problem}",
                    service.id
                ))
            };
            match &decision.credential_subject.delegation {
                // The department's own desk.
                None => {
                    service
                        .department
                        .signer_at(&decision.issuer, at)
                        .map_err(|problem| refused(problem.to_string()))?;
                }
                // An officer, under the department's delegation: only a final decision.
                Some(delegation) => {
                    agora_services::delegation::verify(
                        delegation,
                        catalog,
                        &service.id,
                        &decision.issuer,
                        at,
                    )
                    .map_err(|problem| refused(problem.to_string()))?;
                    if !is_final(decision) {
                        return Err(refused(
                            "an officer decides by approving or rejecting, not by referring again"
                                .to_owned(),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// [`Verified::check_catalog`] for an entry a ledger is about to record at `at`: a
    /// submission's service must also be open.
    pub fn check_admission(&self, catalog: &Catalog, at: OffsetDateTime) -> Result<(), Refusal> {
        self.check_catalog(catalog, at)?;
        match &self.entry {
            Entry::Submission(submission)
                if catalog
                    .service(&submission.service)
                    .is_some_and(|service| !service.open) =>
            {
                Err(Refusal::ClosedService(submission.service.clone()))
            }
            _ => Ok(()),
        }
    }

    /// The proof must still be valid at `now`, which may be later than when it was checked
    /// (an entry waits for its commit); a store appends it at `now`.
    pub fn check_expiry(&self, now: OffsetDateTime) -> Result<(), Refusal> {
        match self.expires {
            Some(expires) if now >= expires => Err(Refusal::BadSignature(format!(
                "its proof expired at {} before the ledger could append it",
                agora_services::time_format::format_utc(expires)
            ))),
            _ => Ok(()),
        }
    }

    /// The entry's leaf record at `time` ([`leaf_bytes`]), built from the canonical bytes
    /// without canonicalizing again: RFC 8785 writes `{"entry":<entry>,"time":"<time>"}` with
    /// the members in this order, the entry in its own canonical form, and a UTC time has no
    /// character that needs escaping.
    pub fn leaf_bytes(&self, time: OffsetDateTime) -> Vec<u8> {
        leaf_record(
            &self.canonical,
            &agora_services::time_format::format_utc(time),
        )
    }
}

/// The leaf record of an entry already in canonical form, appended at `time` (UTC, RFC 3339,
/// as `format_utc` writes it): `{"entry":<entry>,"time":"<time>"}`, which is what RFC 8785
/// makes of it (see [`Verified::leaf_bytes`]).
pub(crate) fn leaf_record(canonical: &[u8], time: &str) -> Vec<u8> {
    let mut leaf = Vec::with_capacity(canonical.len() + time.len() + 20);
    leaf.extend_from_slice(b"{\"entry\":");
    leaf.extend_from_slice(canonical);
    leaf.extend_from_slice(b",\"time\":\"");
    leaf.extend_from_slice(time.as_bytes());
    leaf.extend_from_slice(b"\"}");
    leaf
}

fn check_submission(submission: &Submission) -> Result<(), Refusal> {
    let digest = &submission.application_sha256;
    if digest.len() != 64
        || !digest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Refusal::Malformed(
            "`application_sha256` must be 64 lowercase hexadecimal digits".to_owned(),
        ));
    }
    if submission.sealed.suite != SEAL_SUITE {
        return Err(Refusal::Malformed(format!(
            "`sealed.suite` is `{}`; this ledger takes `{SEAL_SUITE}`",
            submission.sealed.suite
        )));
    }
    submission.sealed.enc_bytes()?;
    submission.sealed.ciphertext_bytes()?;
    Ok(())
}

/// Whether a decision is final: approvals and rejections are; a referral waits for an
/// officer's decision.
pub fn is_final(decision: &Decision) -> bool {
    decision.credential_subject.outcome != Outcome::Refer
}

/// The leaf record of an entry: the bytes that the Merkle tree commits to (see the module
/// docs).
pub fn leaf_bytes(entry: &Value, time: OffsetDateTime) -> Result<Vec<u8>, Refusal> {
    canonical::canonicalize(&json!({
        "entry": entry,
        "time": agora_services::time_format::format_utc(time),
    }))
    .map_err(|error| Refusal::Malformed(error.to_string()))
}

/// A leaf record, read back.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeafRecord {
    /// The signed entry.
    pub entry: Value,
    /// When the ledger appended it (UTC, RFC 3339).
    #[serde(with = "agora_services::time_format::utc")]
    pub time: OffsetDateTime,
}
