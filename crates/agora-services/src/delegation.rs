//! The delegation: a department names an officer who may decide, by hand, the applications its
//! policy referred to one. A W3C VC 2.0-shaped credential, signed by the department's key like
//! a decision.
//!
//! ```json
//! {
//!   "@context": ["https://www.w3.org/ns/credentials/v2", {…Agora's terms…}],
//!   "type": ["VerifiableCredential", "AgoraDelegation"],
//!   "issuer": "did:key:z6Mk…",
//!   "validFrom": "2027-01-01T00:00:00Z",
//!   "validUntil": "2027-07-01T00:00:00Z",
//!   "credentialSubject": {
//!     "id": "did:key:z6Mk…",
//!     "name": "Li Wei",
//!     "department": "transport",
//!     "services": ["parking-permit"]
//!   }
//! }
//! ```
//!
//! - `issuer`: one of the department's keys, valid when it signed the delegation (its proof's
//!   `created`).
//! - `credentialSubject.id`: the officer's own did:key, which signs their decisions.
//! - `name`: how the officer is named to the department's staff (citizens see "an officer of"
//!   the department).
//! - `services`: the services whose referred applications the officer may decide.
//! - `validFrom`, `validUntil`: decisions count only if the ledger records them in between.
//!
//! An officer's decision carries the signed delegation (`credentialSubject.delegation`), so a
//! verifier checks the whole chain offline: the officer signed the decision, the department
//! signed the delegation, the catalog lists the department's key.

use agora_identity::DidKey;
use agora_identity::proof::{self, VerifyOptions};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::application::{DocumentError, check_envelope};
use crate::catalog::{Catalog, KeyProblem};
use crate::time_format::{self, format_utc, to_utc_second};
use crate::vc;

/// The `type` of a delegation.
pub const DELEGATION_TYPE: [&str; 2] = ["VerifiableCredential", "AgoraDelegation"];

/// A department's delegation to an officer, unsigned. Its JSON is [`Delegation::to_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    /// `issuer`: the department's key that signs it.
    pub issuer: DidKey,
    /// `validFrom`.
    pub valid_from: OffsetDateTime,
    /// `validUntil`.
    pub valid_until: OffsetDateTime,
    /// `credentialSubject`.
    pub credential_subject: Officer,
}

/// Who is delegated, and for what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// The officer's did:key.
    #[serde(with = "vc::did")]
    pub id: DidKey,
    /// The officer's name, for the department's staff.
    pub name: String,
    /// The department delegating.
    pub department: String,
    /// The services the officer may decide.
    pub services: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDelegation {
    #[serde(rename = "@context")]
    _context: Value,
    #[serde(rename = "type")]
    _types: Value,
    #[serde(with = "vc::did")]
    issuer: DidKey,
    #[serde(rename = "validFrom", with = "time_format::utc")]
    valid_from: OffsetDateTime,
    #[serde(rename = "validUntil", with = "time_format::utc")]
    valid_until: OffsetDateTime,
    #[serde(rename = "credentialSubject")]
    credential_subject: Officer,
}

/// Why a delegation does not let its officer decide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DelegationProblem {
    /// It is not a signed delegation.
    #[error("the delegation is not a signed delegation: {0}")]
    Unreadable(String),
    /// The department named has no such key, or the key was not valid then.
    #[error("the delegation is not the department's: {0}")]
    NotTheDepartments(#[from] KeyProblem),
    /// It names another department or no such department.
    #[error("the delegation is from the department `{0}`, which does not run `{1}`")]
    OtherDepartment(String, String),
    /// The service is not in its scope.
    #[error("the delegation lets {officer} decide {services}, not `{service}`")]
    OutOfScope {
        /// The officer.
        officer: String,
        /// What it covers.
        services: String,
        /// What was decided.
        service: String,
    },
    /// Recorded outside its period.
    #[error("the delegation is valid from {from} until {until}, and this was recorded on {at}")]
    OutOfTime {
        /// Its start.
        from: String,
        /// Its end.
        until: String,
        /// When the decision was recorded.
        at: String,
    },
    /// Signed by someone else than the officer it names.
    #[error("the decision is signed by {signer}, but the delegation names {officer}")]
    OtherOfficer {
        /// Who signed the decision.
        signer: String,
        /// Whom the delegation names.
        officer: String,
    },
}

impl Delegation {
    /// A delegation by the department key `issuer` to `officer`, valid from `from` until
    /// `until` (both kept in UTC to the second).
    pub fn new(
        issuer: DidKey,
        officer: Officer,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Self {
        Self {
            issuer,
            valid_from: to_utc_second(from),
            valid_until: to_utc_second(until),
            credential_subject: officer,
        }
    }

    /// The document as JSON, ready for the department to sign.
    pub fn to_json(&self) -> Value {
        json!({
            "@context": vc::context(),
            "type": DELEGATION_TYPE,
            "issuer": self.issuer.to_string(),
            "validFrom": format_utc(self.valid_from),
            "validUntil": format_utc(self.valid_until),
            "credentialSubject": self.credential_subject,
        })
    }

    /// Reads a delegation, signed or not (a `proof` is ignored here: [`verify`] checks it).
    pub fn from_json(value: &Value) -> Result<Self, DocumentError> {
        let value = check_envelope(value, DELEGATION_TYPE)?;
        let raw: RawDelegation = serde_json::from_value(value)
            .map_err(|error| DocumentError::Shape(error.to_string()))?;
        Ok(Self {
            issuer: raw.issuer,
            valid_from: raw.valid_from,
            valid_until: raw.valid_until,
            credential_subject: raw.credential_subject,
        })
    }
}

/// Checks that the signed delegation `signed` lets `signer` decide an application to
/// `service` in a decision the ledger recorded at `at`: signed by a key the catalog lists
/// for the department that runs the service (valid when it signed), naming
/// `signer`, covering `service`, and valid at `at`.
pub fn verify(
    signed: &Value,
    catalog: &Catalog,
    service: &str,
    signer: &DidKey,
    at: OffsetDateTime,
) -> Result<Delegation, DelegationProblem> {
    let unreadable = |error: String| DelegationProblem::Unreadable(error);
    let delegation = Delegation::from_json(signed).map_err(|e| unreadable(e.to_string()))?;
    let verified = proof::verify(
        signed,
        &VerifyOptions::assertion().at(at.into()).exact_context(),
    )
    .map_err(|e| unreadable(e.to_string()))?;
    // When the department signed it: its proof's `created` (valid RFC 3339, as it verified).
    let signed_at = verified
        .proof
        .get("created")
        .and_then(Value::as_str)
        .and_then(|text| time_format::parse_rfc3339(text).ok())
        .unwrap_or(delegation.valid_from);
    if verified.signer != delegation.issuer {
        return Err(unreadable(format!(
            "it is signed by {}, not by its issuer {}",
            verified.signer, delegation.issuer
        )));
    }
    let officer = &delegation.credential_subject;
    let runs = catalog
        .service(service)
        .map(|s| s.department.id.as_str())
        .filter(|department| *department == officer.department);
    let Some(department) = runs.and_then(|id| catalog.department(id)) else {
        return Err(DelegationProblem::OtherDepartment(
            officer.department.clone(),
            service.to_owned(),
        ));
    };
    department.signer_at(&delegation.issuer, signed_at)?;
    if officer.id != *signer {
        return Err(DelegationProblem::OtherOfficer {
            signer: signer.to_string(),
            officer: officer.id.to_string(),
        });
    }
    if !officer.services.iter().any(|s| s == service) {
        return Err(DelegationProblem::OutOfScope {
            officer: officer.id.to_string(),
            services: officer.services.join(", "),
            service: service.to_owned(),
        });
    }
    if at < delegation.valid_from || at >= delegation.valid_until {
        return Err(DelegationProblem::OutOfTime {
            from: format_utc(delegation.valid_from),
            until: format_utc(delegation.valid_until),
            at: format_utc(at),
        });
    }
    Ok(delegation)
}
