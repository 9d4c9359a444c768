//! The decision document: what a department's desk records about an application, signed with
//! the department's did:key (an `eddsa-jcs-2022` proof, like the application's).
//!
//! ```json
//! {
//!   "@context": ["https://www.w3.org/ns/credentials/v2", {…Agora's terms…}],
//!   "type": ["VerifiableCredential", "AgoraDecision"],
//!   "issuer": "did:key:z6Mk…",
//!   "validFrom": "2026-11-24T01:31:07Z",
//!   "credentialSubject": {
//!     "id": "urn:uuid:3f1c…",
//!     "application_sha256": "9b1c…",
//!     "service": "parking-permit",
//!     "outcome": "approve",
//!     "reasons": [{"key": "parking-permit.eligible"}],
//!     "policy": {"id": "transport/residential-parking-permit", "version": 1, "sha256": "…"},
//!     "anchored": {"ledger": "agora.local/ledger/1f0e2d3c4b5a6978", "index": 1040, "time": "2026-11-24T01:30:02Z"}
//!   }
//! }
//! ```
//!
//! - `issuer`: the department's did:key, as the service's catalog entry names it.
//! - `validFrom`: when it was decided, UTC to the second.
//! - `credentialSubject.id`: the application decided.
//! - `application_sha256`: SHA-256 of the signed application's canonical form (RFC 8785), in
//!   lowercase hexadecimal: the decision is about exactly that document, not any other under
//!   the same id.
//! - `outcome`: `approve`, `reject`, or `refer` (the automatic review handed it to an
//!   officer, whose decision, when made, is another decision document).
//! - `reasons`: localized messages ([`crate::Message`]), in the order the policy gave them.
//! - `policy`: the policy that decided: anyone holding the application and the published
//!   policy can re-run it and compare.
//! - `delegation` (an officer's decision only): the department's signed delegation that lets
//!   the officer, the decision's `issuer`, decide it ([`crate::delegation`]).
//! - `anchored`: where the application was anchored when the department decided it: the
//!   ledger (its checkpoints' origin), the submission's leaf index, and the time the ledger
//!   gave it. A receipt's submission must be there, so a decision cannot be replayed into
//!   another tree, at another place or time. Decisions made before this member existed
//!   (receipts of version 1) lack it; a ledger takes no new decision without it.

use agora_identity::DidKey;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::application::{ApplicationId, DocumentError, check_envelope};
use crate::message::Message;
use crate::policy::{Outcome, PolicyRef};
use crate::review::Verdict;
use crate::time_format::{self, format_utc, to_utc_second};
use crate::vc;

/// The `type` of a decision.
pub const DECISION_TYPE: [&str; 2] = ["VerifiableCredential", "AgoraDecision"];

/// A department's decision on an application, unsigned. Its JSON is [`Decision::to_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// `issuer`: the department.
    pub issuer: DidKey,
    /// `validFrom`: when it was decided (UTC, to the second).
    pub valid_from: OffsetDateTime,
    /// `credentialSubject`.
    pub credential_subject: DecisionSubject,
}

/// What a decision says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionSubject {
    /// The application decided.
    pub id: ApplicationId,
    /// SHA-256 of the signed application's canonical form, lowercase hexadecimal.
    pub application_sha256: String,
    /// The service it was made to.
    pub service: String,
    /// The outcome.
    pub outcome: Outcome,
    /// Why.
    pub reasons: Vec<Message>,
    /// The policy that decided.
    pub policy: PolicyRef,
    /// Where the decided application was anchored (absent in decisions of receipts version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchored: Option<Anchor>,
    /// For an officer's decision: the signed delegation from the department that lets the
    /// officer (the decision's issuer) decide ([`crate::delegation`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegation: Option<Value>,
}

/// Where a ledger anchored an application: which ledger, at which leaf, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    /// The ledger: the origin line of its checkpoints.
    pub ledger: String,
    /// The submission's leaf index.
    pub index: u64,
    /// When the ledger appended the submission (UTC, to the second).
    #[serde(with = "time_format::utc")]
    pub time: OffsetDateTime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecision {
    #[serde(rename = "@context")]
    _context: Value,
    #[serde(rename = "type")]
    _types: Value,
    #[serde(with = "vc::did")]
    issuer: DidKey,
    #[serde(
        rename = "validFrom",
        deserialize_with = "time_format::utc::deserialize"
    )]
    valid_from: OffsetDateTime,
    #[serde(rename = "credentialSubject")]
    credential_subject: DecisionSubject,
}

impl Decision {
    /// The decision a review reached on application `application` (whose signed form has the
    /// digest `application_sha256`) to `service`, by the
    /// department `department`, at `decided_at` (kept in UTC to the second).
    pub fn new(
        application: ApplicationId,
        application_sha256: String,
        service: &str,
        verdict: &Verdict,
        department: DidKey,
        decided_at: OffsetDateTime,
    ) -> Self {
        Self::made(
            application,
            application_sha256,
            service,
            verdict,
            department,
            decided_at,
            None,
        )
    }

    /// [`Decision::new`] for the application anchored at `anchored`: what a desk signs.
    pub fn anchored(
        anchored: Anchor,
        application: ApplicationId,
        application_sha256: String,
        service: &str,
        verdict: &Verdict,
        department: DidKey,
        decided_at: OffsetDateTime,
    ) -> Self {
        Self::made(
            application,
            application_sha256,
            service,
            verdict,
            department,
            decided_at,
            Some(anchored),
        )
    }

    fn made(
        application: ApplicationId,
        application_sha256: String,
        service: &str,
        verdict: &Verdict,
        department: DidKey,
        decided_at: OffsetDateTime,
        anchored: Option<Anchor>,
    ) -> Self {
        Self {
            issuer: department,
            valid_from: to_utc_second(decided_at),
            credential_subject: DecisionSubject {
                id: application,
                application_sha256,
                service: service.to_owned(),
                outcome: verdict.outcome,
                reasons: verdict.reasons.clone(),
                policy: verdict.policy.clone(),
                anchored,
                delegation: None,
            },
        }
    }

    /// An officer's final decision on a referred application anchored at `anchored`, under
    /// the signed `delegation` that lets the officer decide it: what `agora desk decide`
    /// signs with the officer's own key.
    pub fn by_officer(
        anchored: Anchor,
        application: ApplicationId,
        application_sha256: String,
        service: &str,
        verdict: &Verdict,
        officer: DidKey,
        delegation: Value,
        decided_at: OffsetDateTime,
    ) -> Self {
        let mut decision = Self::made(
            application,
            application_sha256,
            service,
            verdict,
            officer,
            decided_at,
            Some(anchored),
        );
        decision.credential_subject.delegation = Some(delegation);
        decision
    }

    /// The document as JSON, ready for the department to sign.
    pub fn to_json(&self) -> Value {
        let subject = &self.credential_subject;
        let mut json = json!({
            "@context": vc::context(),
            "type": DECISION_TYPE,
            "issuer": self.issuer.to_string(),
            "validFrom": format_utc(self.valid_from),
            "credentialSubject": {
                "id": subject.id.to_string(),
                "application_sha256": subject.application_sha256,
                "service": subject.service,
                "outcome": subject.outcome,
                "reasons": subject.reasons,
                "policy": subject.policy,
            },
        });
        if let Some(anchored) = &subject.anchored {
            json["credentialSubject"]["anchored"] = json!({
                "ledger": anchored.ledger,
                "index": anchored.index,
                "time": format_utc(anchored.time),
            });
        }
        if let Some(delegation) = &subject.delegation {
            json["credentialSubject"]["delegation"] = delegation.clone();
        }
        json
    }

    /// Reads a decision, signed or not (a `proof` is ignored here: verify it with
    /// `agora_identity::proof::verify`, and check that its key is the department's).
    pub fn from_json(value: &Value) -> Result<Self, DocumentError> {
        let value = check_envelope(value, DECISION_TYPE)?;
        let raw: RawDecision = serde_json::from_value(value)
            .map_err(|error| DocumentError::Shape(error.to_string()))?;
        Ok(Self {
            issuer: raw.issuer,
            valid_from: raw.valid_from,
            credential_subject: raw.credential_subject,
        })
    }
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Decision {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_json(&value).map_err(serde::de::Error::custom)
    }
}
