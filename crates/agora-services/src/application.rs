//! The application document: what a citizen signs and submits.
//!
//! A W3C Verifiable Credentials 2.0-shaped JSON object, unsigned, ready for an
//! `eddsa-jcs-2022` Data Integrity proof (`agora_identity::proof::sign`):
//!
//! ```json
//! {
//!   "@context": ["https://www.w3.org/ns/credentials/v2", {"@protected": true, "AgoraApplication": "…", …}],
//!   "type": ["VerifiableCredential", "AgoraApplication"],
//!   "id": "urn:uuid:3f1c…",
//!   "issuer": "did:key:z6Mk…",
//!   "validFrom": "2026-11-24T01:30:00Z",
//!   "credentialSubject": {
//!     "id": "did:key:z6Mk…",
//!     "service": "parking-permit",
//!     "policy": {"id": "transport/residential-parking-permit", "version": 1, "sha256": "…"},
//!     "answers": {"zone": "b", "plate": "粤B12345", …}
//!   }
//! }
//! ```
//!
//! - `@context`: exactly [`crate::vc::context`].
//! - `id`: a fresh random UUID as a URN, lowercase: the application's identity everywhere
//!   (outbox, ledger, decision); a ledger takes each id once.
//! - `issuer` and `credentialSubject.id`: the applicant's did:key, which signs it.
//! - `validFrom`: when it was created, UTC to the second.
//! - `credentialSubject.policy`: the policy the citizen's dry run used (id, version, hash), so
//!   a later change of policy is visible.
//! - `credentialSubject.answers`: the validated answers, exactly as given.
//!
//! Reading ([`Application::from_json`]) accepts a signed document too (its `proof` is left for
//! `agora_identity::proof::verify`) and refuses any other member, context or type.

use std::fmt;
use std::str::FromStr;

use agora_identity::DidKey;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};
use thiserror::Error;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::catalog::Service;
use crate::form::ValidAnswers;
use crate::policy::PolicyRef;
use crate::time_format::{self, format_utc, to_utc_second};
use crate::vc;

/// The `type` of an application.
pub const APPLICATION_TYPE: [&str; 2] = ["VerifiableCredential", "AgoraApplication"];

/// An application's id: a random (version 4) UUID, written `urn:uuid:<lowercase uuid>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApplicationId(Uuid);

/// Why text is not an application id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "`{found}` is not an application id: expected urn:uuid: and a lowercase UUID, like urn:uuid:3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c"
)]
pub struct ApplicationIdError {
    /// The start of the text found.
    pub found: String,
}

/// The system's random number generator failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the system's random number generator failed: {0}")]
pub struct RandomError(pub String);

impl ApplicationId {
    /// A fresh random id.
    pub fn random() -> Result<Self, RandomError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|error| RandomError(error.to_string()))?;
        Ok(Self(uuid::Builder::from_random_bytes(bytes).into_uuid()))
    }

    /// The id of a UUID.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The UUID.
    pub fn uuid(&self) -> Uuid {
        self.0
    }

    /// Reads `urn:uuid:…` with a lowercase, hyphenated UUID: the one way Agora writes it.
    pub fn parse(text: &str) -> Result<Self, ApplicationIdError> {
        let error = || ApplicationIdError {
            found: text.chars().take(60).collect(),
        };
        let uuid = text
            .strip_prefix("urn:uuid:")
            .and_then(|rest| Uuid::try_parse(rest).ok())
            .ok_or_else(error)?;
        let id = Self(uuid);
        if id.to_string() == text {
            Ok(id)
        } else {
            Err(error())
        }
    }
}

impl fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "urn:uuid:{}", self.0.hyphenated())
    }
}

impl fmt::Debug for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApplicationId({self})")
    }
}

impl FromStr for ApplicationId {
    type Err = ApplicationIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for ApplicationId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ApplicationId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An application, unsigned. Its JSON is [`Application::to_json`]; see the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    /// `id`.
    pub id: ApplicationId,
    /// `issuer`: the applicant.
    pub issuer: DidKey,
    /// `validFrom`: when it was created (UTC, to the second).
    pub valid_from: OffsetDateTime,
    /// `credentialSubject`.
    pub credential_subject: ApplicationSubject,
}

/// What an application says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationSubject {
    /// The applicant's did:key.
    #[serde(with = "vc::did")]
    pub id: DidKey,
    /// The service's id.
    pub service: String,
    /// The policy the citizen's dry run used.
    pub policy: PolicyRef,
    /// The answers.
    pub answers: Map<String, Value>,
}

/// Why JSON is not an Agora document of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DocumentError {
    /// Its `@context` is not Agora's.
    #[error("the document's @context is not Agora's (the W3C VC 2.0 context and Agora's terms)")]
    Context,
    /// Its `type` is not the one expected.
    #[error("the document's type is {found}, not [\"{}\", \"{}\"]", .expected[0], .expected[1])]
    Type {
        /// The type found.
        found: String,
        /// The type expected.
        expected: [&'static str; 2],
    },
    /// A member is missing, of the wrong type, or unknown.
    #[error("the document is not in Agora's shape: {0}")]
    Shape(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApplication {
    #[serde(rename = "@context")]
    context: Value,
    #[serde(rename = "type")]
    types: Value,
    id: ApplicationId,
    #[serde(with = "vc::did")]
    issuer: DidKey,
    #[serde(
        rename = "validFrom",
        deserialize_with = "time_format::utc::deserialize"
    )]
    valid_from: OffsetDateTime,
    #[serde(rename = "credentialSubject")]
    credential_subject: ApplicationSubject,
}

/// Checks `@context` and `type`, and removes a `proof` so the rest can be read.
pub(crate) fn check_envelope(
    value: &Value,
    expected: [&'static str; 2],
) -> Result<Value, DocumentError> {
    let mut value = value.clone();
    let Value::Object(members) = &mut value else {
        return Err(DocumentError::Shape("expected a JSON object".to_owned()));
    };
    members.remove("proof");
    if members.get("@context") != Some(&vc::context()) {
        return Err(DocumentError::Context);
    }
    if members.get("type") != Some(&json!(expected)) {
        return Err(DocumentError::Type {
            found: members
                .get("type")
                .map_or_else(|| "missing".to_owned(), Value::to_string),
            expected,
        });
    }
    Ok(value)
}

impl Application {
    /// A new application to `service` with validated answers, by `applicant`, created at
    /// `created` (kept in UTC to the second), citing the service's current policy.
    pub fn new(
        service: &Service,
        answers: &ValidAnswers,
        applicant: DidKey,
        id: ApplicationId,
        created: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            issuer: applicant,
            valid_from: to_utc_second(created),
            credential_subject: ApplicationSubject {
                id: applicant,
                service: service.id.clone(),
                policy: service.policy.reference(),
                answers: answers.as_json().clone(),
            },
        }
    }

    /// The document as JSON, ready to sign.
    pub fn to_json(&self) -> Value {
        let subject = &self.credential_subject;
        json!({
            "@context": vc::context(),
            "type": APPLICATION_TYPE,
            "id": self.id.to_string(),
            "issuer": self.issuer.to_string(),
            "validFrom": format_utc(self.valid_from),
            "credentialSubject": {
                "id": subject.id.to_string(),
                "service": subject.service,
                "policy": {
                    "id": subject.policy.id,
                    "version": subject.policy.version,
                    "sha256": subject.policy.sha256,
                },
                "answers": subject.answers,
            },
        })
    }

    /// Reads an application, signed or not (a `proof` is ignored here: verify it with
    /// `agora_identity::proof::verify`).
    pub fn from_json(value: &Value) -> Result<Self, DocumentError> {
        let value = check_envelope(value, APPLICATION_TYPE)?;
        let raw: RawApplication = serde_json::from_value(value)
            .map_err(|error| DocumentError::Shape(error.to_string()))?;
        let _ = (raw.context, raw.types);
        Ok(Self {
            id: raw.id,
            issuer: raw.issuer,
            valid_from: raw.valid_from,
            credential_subject: raw.credential_subject,
        })
    }
}

impl Serialize for Application {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Application {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_json(&value).map_err(serde::de::Error::custom)
    }
}
